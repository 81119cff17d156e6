"""`rag-index`: build, extend, fetch, search and inspect the 10-K index."""

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from retriever.chunking import ChunkerParams
from retriever.filters import FILTER_KEYS, FilterError, parse_filter
from retriever.index.distribution import DistributionError, publish
from retriever.index.shards import ShardError, ShardSpec, write_shard_info
from retriever.index.shards import select as select_shard
from retriever.settings import RetrieverSettings

logger = logging.getLogger(__name__)

_OPS = (("!=", "ne"), (">=", "gte"), ("<=", "lte"), (">", "gt"), ("<", "lt"), ("=", "eq"))


class CliError(Exception):
    """A user-facing failure: printed as one line, non-zero exit."""


def parse_cli_filter(expressions: Sequence[str]) -> dict[str, object] | None:
    """`ticker=AAPL`, `ticker=AAPL,MSFT` (in), `fiscal_year>=2023`, `item!=1A` → an OpenAI filter dict."""
    parts: list[dict[str, object]] = []
    for expr in expressions:
        for token, op in _OPS:
            key, sep, value = expr.partition(token)
            if sep and key.strip():
                key, value = key.strip(), value.strip()
                if op in ("eq", "ne") and "," in value:
                    parts.append(
                        {"type": "in" if op == "eq" else "nin", "key": key, "value": value.split(",")}
                    )
                else:
                    parts.append({"type": op, "key": key, "value": value})
                break
        else:
            raise FilterError(f"cannot parse filter {expr!r}; use key=value, key>=value ...", "--filter")
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"type": "and", "filters": parts}


def _embedder(args: argparse.Namespace, settings: RetrieverSettings):  # type: ignore[no-untyped-def]
    from retriever.embedder import Embedder

    return Embedder(
        args.model or settings.embedding_model,
        backend=args.backend or settings.embedding_backend,
        query_prefix=settings.query_prefix,
        batch_size=settings.batch_size,
        cache_dir=settings.cache_dir,
        url=settings.embedding_url,
        served_model=settings.embedding_served_model,
    )


def _cache(args: argparse.Namespace, settings: RetrieverSettings, embedder):  # type: ignore[no-untyped-def]
    from retriever.embedding.cache import EmbeddingCache

    if args.no_cache:
        return None
    return EmbeddingCache.for_embedder(settings.cache_dir, embedder)


def _report_build(result, started: float) -> None:  # type: ignore[no-untyped-def]
    for skipped in result.skipped:
        print(f"skipped unreadable file: {skipped.reason}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(
        f"index {result.version}: {result.chunk_count} chunks from {result.documents} new/updated file(s), "
        f"{result.embedded} embedded, {result.reused} reused, {elapsed:.1f}s -> {result.folder}"
    )


def cmd_build(args: argparse.Namespace, settings: RetrieverSettings) -> int:
    """Index a corpus folder (manifest.csv) into a new version under --out."""
    from retriever.index.builder import build_index
    from retriever.sources.local import read_corpus

    started = time.perf_counter()
    shard = ShardSpec.parse(args.shard) if args.shard else None
    _prepare_corpus(args, settings, shard)
    docs = read_corpus(Path(args.corpus))
    shard_info = None
    if shard is not None:
        docs, shard_info = select_shard(docs, shard)
        if not docs:
            raise CliError(f"shard {shard} holds none of the corpus's {len(shard_info.positions)} filing(s)")
    embedder = _embedder(args, settings)
    params = ChunkerParams(
        chunk_tokens=args.chunk_tokens or settings.chunk_tokens,
        overlap_tokens=args.overlap_tokens if args.overlap_tokens is not None else settings.overlap_tokens,
    )
    result = build_index(
        docs,
        embedder,
        Path(args.out or settings.index_dir),
        params=params,
        index_type=args.index_type or settings.index_type,
        hybrid=not args.no_hybrid and settings.hybrid,
        cache=_cache(args, settings, embedder),
        show_progress=not args.quiet,
        parse_cache=None if args.no_cache else settings.cache_dir / "parsed",
    )
    if shard_info is not None:
        write_shard_info(result.folder, shard_info)
    _report_build(result, started)
    if args.publish:
        from retriever.jobs import s3_client

        publish(s3_client(), Path(args.out or settings.index_dir), args.publish)
        print(f"published {result.version} to {args.publish}")
    return 0


def _prepare_corpus(args: argparse.Namespace, settings: RetrieverSettings, shard: "ShardSpec | None") -> None:
    """Download the corpus from S3 (this shard's filings only), or fetch from EDGAR when there is none."""
    corpus = Path(args.corpus)
    if args.corpus_url:
        from retriever.jobs import fetch_corpus_from_s3, s3_client

        fetch_corpus_from_s3(s3_client(), args.corpus_url, corpus, shard)
    elif args.fetch_tickers and not (corpus / "manifest.csv").is_file():
        if shard is not None:
            raise CliError("sharded builds read a corpus folder or --corpus-url, not EDGAR")
        args.tickers, args.years, args.user_agent = args.fetch_tickers, args.fetch_years, None
        cmd_fetch(args, settings)


def cmd_add(args: argparse.Namespace, settings: RetrieverSettings) -> int:
    """Add the corpus folder's new files to the current index without re-embedding existing chunks."""
    from retriever.index.builder import add_documents
    from retriever.sources.local import read_corpus

    started = time.perf_counter()
    docs = read_corpus(Path(args.corpus))
    embedder = _embedder(args, settings)
    result = add_documents(
        docs,
        embedder,
        Path(args.out or settings.index_dir),
        cache=_cache(args, settings, embedder),
        show_progress=not args.quiet,
        parse_cache=None if args.no_cache else settings.cache_dir / "parsed",
    )
    _report_build(result, started)
    return 0


def cmd_fetch(args: argparse.Namespace, settings: RetrieverSettings) -> int:
    """Download the most recent 10-Ks per ticker from EDGAR into a corpus folder."""
    from retriever.sources.edgar import EdgarClient, fetch_corpus

    client = EdgarClient(args.user_agent or settings.sec_user_agent, settings.cache_dir)
    tickers = [t for t in args.tickers.split(",") if t.strip()]
    if not tickers:
        raise CliError("--tickers needs at least one ticker")
    paths = fetch_corpus(client, tickers, args.years, Path(args.corpus), show_progress=not args.quiet)
    print(f"fetched {len(paths)} filing(s) into {args.corpus} ({client.requests_made} requests)")
    return 0


def cmd_search(args: argparse.Namespace, settings: RetrieverSettings) -> int:
    """Search the current index and print hits."""
    from retriever.index import SearchIndex

    filters = json.loads(args.filter_json) if args.filter_json else parse_cli_filter(args.filter or [])
    root = Path(args.index or settings.index_dir)
    if not args.model and "embedding_model" not in settings.model_fields_set:
        # Nothing configured: use the model the index was built with.
        args.model = _manifest_model(root)
    index = SearchIndex.load(root, _embedder(args, settings))
    # The gateway's default search: the question's scope ANDed with the given filter, then the second stage.
    plan = index.plan([args.question], parse_filter(filters), infer=not args.no_infer)
    hits = index.search(
        plan.query,
        k=args.k,
        filters=plan.filter,
        items=plan.items,
        analysis=plan.analysis,
        rerank=args.rerank == "fusion",
        explain=args.explain,
    )
    if args.json:
        rows = [
            {"id": h.id, "score": h.score, "text": h.text, **h.metadata.attributes(), "why": h.explanation}
            for h in hits
        ]
        print(json.dumps({"plan": plan.describe(), "hits": rows} if args.explain else rows, indent=2))
        return 0
    if args.explain:
        print(f"plan: {json.dumps(plan.describe())}")
    for rank, hit in enumerate(hits, start=1):
        m = hit.metadata
        where = f"{m.ticker} FY{m.fiscal_year} {m.form} Item {m.item or '-'}" + (
            f" p.{m.page}" if m.page else ""
        )
        snippet = " ".join(hit.text.split())[:240]
        print(f"{rank}. [{hit.score:.3f}] {where} ({m.source_file})\n   {snippet}")
        if hit.explanation is not None:
            print(f"   why: {_why(hit.explanation)}")
    if not hits:
        print("no hits")
    return 0


def _why(explanation: dict[str, object]) -> str:
    """One line: first-stage rank and scores, the reranker's score and its strongest features."""
    e = explanation
    parts = [f"stage-1 rank {e['first_stage_rank']} (rrf {e['rrf']}: {e['rrf_by_ranking']})"]
    parts.append(f"dense {explanation['dense']}")
    if "bm25" in explanation:
        parts.append(f"bm25 {explanation['bm25']}")
    if "rerank_score" in explanation:
        parts.append(f"{e['reranker']} {e['rerank_score']} {e.get('top_features', '')}")
    if explanation.get("named_item_first"):
        parts.append("in a named Item (ranked first)")
    return "; ".join(parts)


def _manifest_model(root: Path) -> str | None:
    from retriever.index.layout import resolve_version_dir
    from retriever.index.manifest import MANIFEST_FILE

    folder = resolve_version_dir(root)
    if folder is None:
        return None
    try:
        return str(json.loads((folder / MANIFEST_FILE).read_text())["embedding"]["model"])
    except (OSError, ValueError, KeyError):
        return None


def cmd_info(args: argparse.Namespace, settings: RetrieverSettings) -> int:
    """Print the current version's manifest summary."""
    from retriever.index.layout import resolve_version_dir
    from retriever.index.manifest import MANIFEST_FILE, IndexManifest

    root = Path(args.index or settings.index_dir)
    folder = resolve_version_dir(root)
    if folder is None:
        raise CliError(f"no index found at {root} (run `rag-index build`)")
    try:
        manifest = IndexManifest.model_validate_json((folder / MANIFEST_FILE).read_text())
    except ValueError as exc:
        raise CliError(f"corrupt manifest in {folder}") from exc
    if args.json:
        print(manifest.model_dump_json(indent=2))
        return 0
    e = manifest.embedding
    print(f"index {manifest.name} version {manifest.version} created {manifest.created_at} at {folder}")
    print(
        f"  {manifest.chunk_count} chunks, {len(manifest.sources)} files, {manifest.index_type}"
        f"{' + BM25 hybrid' if manifest.hybrid else ''}"
    )
    print(f"  model {e.model} (dim {e.dimension}, {e.backend}), chunker {manifest.chunker.model_dump()}")
    for src in manifest.sources:
        print(f"  - {src.file}: {src.ticker} FY{src.fiscal_year} {src.form}, {src.chunks} chunks")
    return 0


def cmd_prune(args: argparse.Namespace, settings: RetrieverSettings) -> int:
    """Delete old index versions, keeping the newest --keep and always the current one."""
    from retriever.index.layout import prune_versions, resolve_version_dir

    root = Path(args.index or settings.index_dir)
    if resolve_version_dir(root) is None:
        raise CliError(f"no index found at {root}")
    removed = prune_versions(root, max(args.keep, 1))
    print(f"removed {len(removed)} old version(s)" + (f": {', '.join(removed)}" if removed else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for all subcommands."""
    parser = argparse.ArgumentParser(prog="rag-index", description="SEC 10-K retrieval index tool")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    def model_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--model", help="embedding model: hub id or local folder (default RAG_EMBEDDING_MODEL)"
        )
        p.add_argument(
            "--backend",
            choices=["torch", "onnx", "http"],
            help="embedding backend (default RAG_EMBEDDING_BACKEND; http = RAG_EMBEDDING_URL)",
        )
        p.add_argument("--quiet", action="store_true", help="no progress bars")

    build = sub.add_parser("build", help="index a corpus folder with manifest.csv")
    build.add_argument("--corpus", required=True)
    build.add_argument("--out", help="index root (default RAG_INDEX_DIR)")
    build.add_argument(
        "--index-type",
        choices=["auto", "flat", "hnsw", "hnsw-sq8", "ivf-sq8", "ivf-pq"],
        help="FAISS index (default RAG_INDEX_TYPE, auto: exact flat up to 100k chunks, IVF-SQ8 above)",
    )
    build.add_argument("--chunk-tokens", type=int)
    build.add_argument("--overlap-tokens", type=int)
    build.add_argument("--no-hybrid", action="store_true", help="dense only, no BM25 index")
    build.add_argument(
        "--no-cache", action="store_true", help="ignore the persistent embedding and parse caches"
    )
    build.add_argument(
        "--shard", metavar="I/N", help="index only shard I of N (by filing); join with `merge`"
    )
    build.add_argument(
        "--corpus-url", help="download the corpus (this shard's filings) from s3://bucket/prefix"
    )
    build.add_argument(
        "--fetch-tickers", help="fetch these tickers from EDGAR when --corpus has no manifest.csv"
    )
    build.add_argument(
        "--fetch-years", type=int, default=3, help="fiscal years per ticker with --fetch-tickers"
    )
    build.add_argument("--publish", metavar="URL", help="then publish the new version to s3://bucket/prefix")
    model_opts(build)
    build.set_defaults(func=cmd_build)

    add = sub.add_parser("add", help="add new files of a corpus folder to the current index")
    add.add_argument("--corpus", required=True)
    add.add_argument("--out", help="index root (default RAG_INDEX_DIR)")
    add.add_argument("--no-cache", action="store_true")
    model_opts(add)
    add.set_defaults(func=cmd_add)

    fetch = sub.add_parser("fetch", help="download recent 10-K filings from EDGAR")
    fetch.add_argument("--tickers", required=True, help="comma-separated, e.g. AAPL,MSFT")
    fetch.add_argument("--years", type=int, default=3)
    fetch.add_argument("--corpus", default="data/corpus", help="folder to write filings + manifest.csv into")
    fetch.add_argument(
        "--user-agent", help="declared User-Agent with contact e-mail (default SEC_USER_AGENT)"
    )
    fetch.add_argument("--quiet", action="store_true")
    fetch.set_defaults(func=cmd_fetch)

    search = sub.add_parser("search", help="search the index")
    search.add_argument("question")
    search.add_argument("--index", help="index root (default RAG_INDEX_DIR)")
    search.add_argument("-k", type=int, default=5)
    search.add_argument(
        "--filter", action="append", help=f"key=value, key>=value ...; keys: {', '.join(FILTER_KEYS)}"
    )
    search.add_argument("--filter-json", help="OpenAI vector-store filter object as JSON")
    search.add_argument("--json", action="store_true")
    search.add_argument(
        "--explain", action="store_true", help="print the plan and each hit's scores per stage"
    )
    search.add_argument("--no-infer", action="store_true", help="search with the given filter only")
    search.add_argument("--rerank", choices=["fusion", "none"], default="fusion", help="second stage")
    model_opts(search)
    search.set_defaults(func=cmd_search)

    info = sub.add_parser("info", help="show the current index manifest")
    info.add_argument("--index", help="index root (default RAG_INDEX_DIR)")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=cmd_info)

    prune = sub.add_parser("prune", help="delete old index versions")
    prune.add_argument("--index", help="index root (default RAG_INDEX_DIR)")
    prune.add_argument("--keep", type=int, default=3, help="newest versions to keep (current is always kept)")
    prune.set_defaults(func=cmd_prune)

    from retriever.jobs import add_parsers

    add_parsers(sub)
    return parser


def _known_errors() -> tuple[type[BaseException], ...]:
    from retriever.embedding.http_encoder import EmbeddingServerError
    from retriever.embedding.model_files import ModelNotFoundError
    from retriever.index import IndexLoadError
    from retriever.index.builder import BuildError
    from retriever.sources.edgar import EdgarError
    from retriever.sources.local import ManifestError

    known: tuple[type[BaseException], ...] = (
        CliError,
        FilterError,
        ManifestError,
        BuildError,
        IndexLoadError,
        EdgarError,
        ModelNotFoundError,
        DistributionError,
        ShardError,
        EmbeddingServerError,
    )
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return known
    return (*known, BotoCoreError, ClientError)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rag-index` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    try:
        return int(args.func(args, RetrieverSettings()))
    except _known_errors() as exc:
        print(f"rag-index: error: {exc}", file=sys.stderr)
        return 1
    except json.JSONDecodeError as exc:
        print(f"rag-index: error: --filter-json is not valid JSON: {exc.msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rag-index: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
