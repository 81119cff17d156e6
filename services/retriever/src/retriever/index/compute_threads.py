"""Caps on the threads FAISS (OpenMP) and numpy (BLAS) use for one search."""

import faiss
from threadpoolctl import threadpool_limits


def limit_search_threads(threads: int) -> None:
    """Let searches use at most `threads` threads; 0 leaves the libraries' defaults (all cores).

    Call it in the thread that will search: OpenMP keeps its thread count per calling thread (a cap set in
    the main thread does not reach worker threads), while the BLAS cap is process-wide.

    A server runs many small searches at once, so the cores are already busy with other requests: a
    multi-threaded scan of a few thousand vectors spends more CPU starting and synchronising threads than it
    saves (2 cores, 11,503 x 384 flat scan: 3.6 CPU-ms with OpenMP's two threads, 0.5 with one; under load
    the two-thread scan took 7 ms).
    """
    if threads <= 0:
        return
    faiss.omp_set_num_threads(threads)
    threadpool_limits(limits=threads)
