"""BM25: exact scoring (as bm25s), exact scores at given rows, and the impact-pruned top for large indexes."""

import numpy as np
import pytest
from retriever.index.lexical import LexicalIndex
from retriever.index.vectors import top_k

WORDS = [
    "revenue",
    "net",
    "income",
    "cash",
    "flow",
    "operating",
    "margin",
    "segment",
    "cloud",
    "services",
    "iphone",
    "data",
    "center",
]
QUERIES = ["revenue of the cloud segment", "iphone revenue revenue", "data center margin filing7", "nothing"]
DEPTH = 50


def corpus(n: int, seed: int = 3) -> list[str]:
    """Short texts over a small vocabulary with Zipf-like word frequencies, so some postings are long."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, len(WORDS) + 1)
    words = rng.choice(WORDS, size=(n, 12), p=weights / weights.sum())
    return [" ".join(row) + f" filing{i % 97}" for i, row in enumerate(words)]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return corpus(3000)


@pytest.fixture(scope="module")
def exact(texts) -> LexicalIndex:
    return LexicalIndex.build(texts)


@pytest.fixture(scope="module")
def pruned(texts) -> LexicalIndex:
    """The large-index path at test size: every posting longer than 200 is read by its 200 best chunks."""
    return LexicalIndex.build(texts, exact_up_to=0, head=200, exact_rows=100)


def expected_top(scores: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    rows = np.flatnonzero(scores > 0) if mask is None else np.flatnonzero(mask & (scores > 0))
    return top_k(scores[rows], rows.astype(np.int64), DEPTH)


def head_scores(index: LexicalIndex, query: str, head: int) -> np.ndarray:
    """Reference for pruning: each term adds its score only to its `head` best chunks when it has more."""
    out = np.zeros(index.num_docs, dtype=np.float32)
    for term in index.terms(query):
        column = index.scores_at(np.array([term]), np.arange(index.num_docs))
        holders = np.flatnonzero(column > 0)
        if len(holders) > head:
            holders = holders[np.argsort(-column[holders], kind="stable")[:head]]
        out[holders] += column[holders]
    return out


@pytest.mark.parametrize("query", QUERIES)
def test_scores_are_bm25s_scores(exact, query):
    """Every chunk's score is bm25s's own (a repeated query term counts twice there too)."""
    terms = exact.terms(query)
    expected = exact._model.get_scores(terms.tolist()) if len(terms) else np.zeros(exact.num_docs)
    np.testing.assert_allclose(exact.scores(query), expected, rtol=1e-6)
    rows = np.array([5, 0, 2999, 17, 17])
    np.testing.assert_allclose(exact.scores_at(terms, rows), exact.scores(query)[rows], rtol=1e-6)


@pytest.mark.parametrize("query", QUERIES)
def test_top_is_exact_on_small_indexes(exact, query):
    mask = np.arange(exact.num_docs) % 3 == 0
    for m in (None, mask):
        ids, scores = exact.top(exact.terms(query), DEPTH, m)
        want_ids, want_scores = expected_top(exact.scores(query), m)
        assert ids.tolist() == want_ids.tolist()
        np.testing.assert_array_equal(scores, want_scores)


def pruned_reference(index: LexicalIndex, query: str, mask: np.ndarray | None) -> np.ndarray:
    """Exact scores of the best 4 x DEPTH chunks by head-pruned score, in order: the expected top's scores."""
    heads = head_scores(index, query, head=200)
    if mask is not None:
        heads = np.where(mask, heads, 0)
    pool = np.argsort(-heads, kind="stable")[: 4 * DEPTH]
    pool = pool[heads[pool] > 0]
    return np.sort(index.scores(query)[pool])[::-1][:DEPTH]


@pytest.mark.parametrize("query", QUERIES[:3])
def test_pruned_top_rescores_the_impact_head_candidates(pruned, query):
    """Large-index path: candidates from the heads, ranked by exact scores, each chunk once."""
    ids, scores = pruned.top(pruned.terms(query), DEPTH, None)
    assert len(ids) == DEPTH == len(set(ids.tolist()))
    exact = pruned.scores(query)
    np.testing.assert_allclose(scores, exact[ids], rtol=1e-6)
    np.testing.assert_allclose(scores, pruned_reference(pruned, query, None), rtol=1e-6)


@pytest.mark.parametrize("query", QUERIES[:3])
def test_pruned_top_with_filters(pruned, query):
    """A selective filter is scored exactly over its rows; a broad one keeps only its rows from the heads."""
    selective = np.zeros(pruned.num_docs, dtype=bool)
    selective[np.arange(0, pruned.num_docs, 31)] = True  # 97 rows <= exact_rows
    ids, scores = pruned.top(pruned.terms(query), DEPTH, selective)
    want_ids, want_scores = expected_top(pruned.scores(query), selective)
    assert ids.tolist() == want_ids.tolist()
    np.testing.assert_allclose(scores, want_scores, rtol=1e-6)

    broad = np.arange(pruned.num_docs) % 2 == 0
    ids, scores = pruned.top(pruned.terms(query), DEPTH, broad)
    assert broad[ids].all() and len(set(ids.tolist())) == len(ids) == DEPTH
    np.testing.assert_allclose(scores, pruned_reference(pruned, query, broad), rtol=1e-6)


def test_no_known_term_gives_no_hits(pruned, exact):
    for index in (exact, pruned):
        ids, scores = index.top(index.terms("nothing matches"), DEPTH, None)
        assert len(ids) == len(scores) == 0


def test_a_failed_pruned_search_leaves_the_next_one_exact(pruned):
    """The pruned path reuses one accumulator per thread: a search that fails must say why and must not leak
    into the next one."""
    terms = pruned.terms(QUERIES[2])
    before = pruned.top(terms, DEPTH, None)
    for _ in range(3):
        with pytest.raises(ValueError, match="filter mask has 500 rows, the index 3000"):
            pruned.top(pruned.terms("iphone iphone services"), DEPTH, np.ones(500, dtype=bool))
    after = pruned.top(terms, DEPTH, None)
    assert after[0].tolist() == before[0].tolist()
    np.testing.assert_array_equal(after[1], before[1])


def test_pruned_searches_from_threads_agree_with_one_thread(pruned):
    """Each retrieval thread has its own accumulator; the compiled loops run without the GIL."""
    import concurrent.futures

    want = {q: pruned.top(pruned.terms(q), DEPTH, None)[0].tolist() for q in QUERIES}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        got = list(
            pool.map(lambda q: (q, pruned.top(pruned.terms(q), DEPTH, None)[0].tolist()), QUERIES * 25)
        )
    assert all(ids == want[q] for q, ids in got)
