#!/opt/venv/bin/python
"""Move a retriever index between its on-disk layout and S3, and build + publish it in the indexer task.

On disk (retriever.index.layout): ROOT/versions/<version>/... plus a `current` symlink.
In S3: <prefix>/versions/<version>/... plus <prefix>/CURRENT holding the version name, written last,
so a reader never sees a half-uploaded version.
"""

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger("rag-index-s3")

CURRENT_KEY = "CURRENT"
KEEP_LOCAL_VERSIONS = 2


def split_url(url: str) -> tuple[str, str]:
    """s3://bucket/prefix -> (bucket, prefix without trailing slash)."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3:// URL: {url!r}")
    return parsed.netloc, parsed.path.strip("/")


def _key(prefix: str, *parts: str) -> str:
    return "/".join(p for p in (prefix, *parts) if p)


def publish(s3: Any, index_root: Path, url: str) -> str:
    """Upload the version `current` points at, then flip CURRENT; returns the version name."""
    bucket, prefix = split_url(url)
    version_dir = (index_root / "current").resolve(strict=True)
    version = version_dir.name
    files = sorted(p for p in version_dir.rglob("*") if p.is_file())
    for path in files:
        s3.upload_file(
            str(path), bucket, _key(prefix, "versions", version, path.relative_to(version_dir).as_posix())
        )
    s3.put_object(Bucket=bucket, Key=_key(prefix, CURRENT_KEY), Body=version.encode())
    logger.info("published %s (%d files) to %s", version, len(files), url)
    return version


def remote_version(s3: Any, url: str) -> str | None:
    """The version name CURRENT holds, or None when nothing was published yet."""
    bucket, prefix = split_url(url)
    try:
        body = s3.get_object(Bucket=bucket, Key=_key(prefix, CURRENT_KEY))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    version = body.decode().strip()
    if not version or "/" in version or version.startswith("."):
        raise ValueError(f"malformed CURRENT in {url}: {version!r}")
    return version


def download_prefix(s3: Any, bucket: str, prefix: str, dest: Path) -> int:
    """Copy every object under prefix/ into dest, keeping relative paths; returns the file count."""
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for obj in page.get("Contents", []):
            relative = obj["Key"][len(prefix) + 1 :]
            target = (dest / relative).resolve()
            if not relative or not target.is_relative_to(dest.resolve()):
                raise ValueError(f"refusing key outside {prefix}/: {obj['Key']}")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(target))
            count += 1
    return count


def pull_once(s3: Any, url: str, dest: Path) -> str | None:
    """Fetch CURRENT's version if missing locally and re-point `current` atomically; returns the version."""
    version = remote_version(s3, url)
    if version is None:
        logger.info("no index published at %s yet", url)
        return None
    versions = dest / "versions"
    target = versions / version
    if not target.is_dir():
        versions.mkdir(parents=True, exist_ok=True)
        bucket, prefix = split_url(url)
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{version}-", dir=dest))
        count = download_prefix(s3, bucket, _key(prefix, "versions", version), staging)
        if count == 0:
            shutil.rmtree(staging)
            raise RuntimeError(f"CURRENT names {version} but {url}/versions/{version}/ is empty")
        os.replace(staging, target)
        logger.info("downloaded index %s (%d files)", version, count)
    link = dest / "current"
    if not (link.is_symlink() and os.readlink(link) == f"versions/{version}"):
        tmp_link = dest / f".current-{os.getpid()}"
        tmp_link.unlink(missing_ok=True)
        tmp_link.symlink_to(f"versions/{version}")
        os.replace(tmp_link, link)
        logger.info("current -> %s", version)
    _prune(versions, keep={version})
    return version


def _prune(versions: Path, keep: set[str]) -> None:
    # Keep the newest few so a gateway still reading the previous version is not pulled from under it.
    old = sorted(
        (p for p in versions.iterdir() if p.is_dir() and p.name not in keep), key=lambda p: p.stat().st_mtime
    )
    for path in old[: max(0, len(old) - (KEEP_LOCAL_VERSIONS - 1))]:
        shutil.rmtree(path)


def build(s3: Any, args: argparse.Namespace) -> str:
    """rag-index fetch (or corpus from S3) + rag-index build, then publish."""
    work = Path(args.work)
    corpus, index = work / "corpus", work / "index"
    if args.corpus_url:
        bucket, prefix = split_url(args.corpus_url)
        download_prefix(s3, bucket, prefix, corpus)
    if not (corpus / "manifest.csv").is_file():
        _run(
            [
                "rag-index",
                "fetch",
                "--tickers",
                args.tickers,
                "--years",
                str(args.years),
                "--corpus",
                str(corpus),
            ]
        )
    # Model and backend come from RAG_EMBEDDING_MODEL / RAG_EMBEDDING_BACKEND, as for the gateway.
    _run(["rag-index", "build", "--corpus", str(corpus), "--out", str(index), "--quiet"])
    return publish(s3, index, args.url)


def _run(cmd: list[str]) -> None:
    logger.info("running %s", " ".join(cmd))
    subprocess.run(cmd, check=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of rag-index-s3."""
    parser = argparse.ArgumentParser(prog="rag-index-s3", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_pull = sub.add_parser("pull", help="keep a local index root in sync with S3")
    p_pull.add_argument("--url", required=True)
    p_pull.add_argument("--dest", required=True)
    p_pull.add_argument("--interval", type=float, default=60, help="seconds between checks; 0 = once")
    p_pub = sub.add_parser("publish", help="upload the current local version and flip CURRENT")
    p_pub.add_argument("--url", required=True)
    p_pub.add_argument("--index", required=True)
    p_build = sub.add_parser("build", help="fetch/build with rag-index, then publish")
    p_build.add_argument("--url", required=True)
    p_build.add_argument("--work", required=True)
    p_build.add_argument("--corpus-url")
    p_build.add_argument("--tickers", default="AAPL,MSFT,GOOGL,AMZN,META")
    p_build.add_argument("--years", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    s3 = boto3.client("s3")
    if args.command == "publish":
        publish(s3, Path(args.index), args.url)
    elif args.command == "build":
        build(s3, args)
    else:
        dest = Path(args.dest)
        dest.mkdir(parents=True, exist_ok=True)
        while True:
            if args.interval <= 0:
                pull_once(s3, args.url, dest)
                break
            try:
                pull_once(s3, args.url, dest)
            except (BotoCoreError, ClientError, OSError) as exc:
                # A transient S3 error must not kill the task: the gateway keeps serving the version it has.
                logger.warning("index sync failed, retrying in %.0fs: %s", args.interval, exc)
            time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
