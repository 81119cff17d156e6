"""Searches run in the retrieval service's own thread, with the configured FAISS/BLAS thread cap."""

import asyncio

import faiss
import pytest
from gateway.metrics import Metrics
from gateway.retrieval.service import RetrievalService


@pytest.mark.parametrize("threads", [1, 3])
def test_search_runs_with_the_thread_cap_set_in_its_own_thread(search_index, embedder, index_root, threads):
    service = RetrievalService(embedder, search_index, index_root, Metrics(), search_threads=threads)
    try:
        retrieved, seen = asyncio.run(
            service.search_then(
                "iPhone net sales", 3, None, None, then=lambda hits: faiss.omp_get_max_threads()
            )
        )
    finally:
        service.close()
    assert seen == threads
    assert len(retrieved.hits) == 3
