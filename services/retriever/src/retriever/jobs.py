"""`rag-index publish | pull | merge` and the S3 side of `rag-index build`: the indexer and sidecar jobs."""

import argparse
import logging
import tempfile
from pathlib import Path
from typing import Any

from retriever.index.distribution import (
    DistributionError,
    join_url,
    publish,
    pull_once,
    split_url,
    sync,
)
from retriever.index.shards import ShardError, ShardSpec, merge_shards
from retriever.settings import RetrieverSettings
from retriever.sources.local import MANIFEST_NAME, read_corpus

logger = logging.getLogger(__name__)

SHARDS_PREFIX = "shards"


def s3_client() -> Any:
    """A boto3 S3 client from the environment's credentials and region (AWS_* variables, task role)."""
    try:
        import boto3
    except ImportError as exc:
        raise DistributionError("S3 needs boto3: pip install 'sec-retriever[s3]'") from exc
    return boto3.client("s3")


def transient_errors() -> tuple[type[BaseException], ...]:
    """Errors a long-running sync survives (S3 or network hiccups, a full disk that may clear)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, OSError, DistributionError)


def shard_url(url: str, spec: ShardSpec) -> str:
    """Where shard i of n is published below an index URL (its own versions/ and CURRENT)."""
    return join_url(url, SHARDS_PREFIX, f"{spec.index}-of-{spec.count}")


def fetch_corpus_from_s3(s3: Any, url: str, dest: Path, spec: ShardSpec | None) -> int:
    """Download manifest.csv and the filings it lists (this shard's only, when sharded); returns the count."""
    from retriever.index.shards import shard_of

    bucket, prefix = split_url(url)
    dest.mkdir(parents=True, exist_ok=True)
    s3.download_file(bucket, f"{prefix}/{MANIFEST_NAME}".lstrip("/"), str(dest / MANIFEST_NAME))
    docs = read_corpus(dest)
    wanted = [d for d in docs if spec is None or shard_of(d.path.name, spec.count) == spec.index]
    for doc in wanted:
        s3.download_file(bucket, f"{prefix}/{doc.path.name}".lstrip("/"), str(doc.path))
    logger.info("downloaded %d of %d filing(s) from %s", len(wanted), len(docs), url)
    return len(wanted)


def cmd_publish(args: argparse.Namespace, settings: RetrieverSettings) -> int:
    """Upload the current local version to S3 and flip CURRENT."""
    version = publish(s3_client(), Path(args.index or settings.index_dir), args.url)
    print(f"published {version} to {args.url}")
    return 0


def cmd_pull(args: argparse.Namespace, settings: RetrieverSettings) -> int:
    """Keep a local index root in sync with S3's CURRENT (once with --interval 0)."""
    dest = Path(args.dest or settings.index_dir)
    sync(s3_client(), args.url, dest, args.interval, transient=transient_errors())
    return 0


def cmd_merge(args: argparse.Namespace, settings: RetrieverSettings) -> int:
    """Merge shard indexes (local folders, or all n published under --shards-url) into one version."""
    out = Path(args.out or settings.index_dir)
    s3 = s3_client() if args.shards_url or args.publish else None
    with tempfile.TemporaryDirectory(
        prefix="shards-", dir=out.parent if out.parent.is_dir() else None
    ) as tmp:
        folders = [Path(p) for p in args.shards or []]
        if args.shards_url:
            if not args.count:
                raise ShardError("--shards-url needs --count (the n of the build's i/n)")
            for index in range(args.count):
                spec = ShardSpec(index, args.count)
                local = Path(tmp) / str(index)
                if pull_once(s3, shard_url(args.shards_url, spec), local) is None:
                    raise ShardError(f"shard {spec} was never published under {args.shards_url}")
                folders.append(local)
        result = merge_shards(folders, out, index_type=args.index_type)
    print(
        f"index {result.version}: {result.chunk_count} chunks from {result.documents} file(s) "
        f"in {len(folders)} shard(s), {result.seconds:.1f}s -> {result.folder}"
    )
    if args.publish:
        publish(s3, out, args.publish)
        print(f"published {result.version} to {args.publish}")
    return 0


def add_parsers(sub: Any) -> None:
    """Register publish, pull and merge on the rag-index subparsers."""
    pub = sub.add_parser("publish", help="upload the current index version to S3 and flip CURRENT")
    pub.add_argument("--url", required=True, help="s3://bucket/prefix")
    pub.add_argument("--index", help="index root (default RAG_INDEX_DIR)")
    pub.set_defaults(func=cmd_publish)

    pull = sub.add_parser("pull", help="keep a local index root in sync with S3 (atomic `current` switch)")
    pull.add_argument("--url", required=True, help="s3://bucket/prefix")
    pull.add_argument("--dest", help="index root (default RAG_INDEX_DIR)")
    pull.add_argument("--interval", type=float, default=60, help="seconds between checks; 0 = once")
    pull.set_defaults(func=cmd_pull)

    merge = sub.add_parser("merge", help="merge the shards of `build --shard i/n` into one index version")
    merge.add_argument("shards", nargs="*", help="shard index roots or version folders")
    merge.add_argument("--shards-url", help="index URL the shards were published below (shards/<i>-of-<n>)")
    merge.add_argument("--count", type=int, help="number of shards (n) with --shards-url")
    merge.add_argument("--out", help="index root (default RAG_INDEX_DIR)")
    merge.add_argument("--index-type", help="FAISS index type of the merged index (default: the shards')")
    merge.add_argument(
        "--publish", metavar="URL", help="then publish the merged version to s3://bucket/prefix"
    )
    merge.set_defaults(func=cmd_merge)
