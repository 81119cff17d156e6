"""Move index versions between the on-disk layout and S3 with an atomic `CURRENT` pointer.

On disk (retriever.index.layout): ROOT/versions/<version>/... plus a `current` symlink.
In S3: <prefix>/versions/<version>/... plus <prefix>/CURRENT holding the version name, written last,
so a reader never sees a half-uploaded version. boto3 clients are passed in (the `s3` extra installs boto3).
"""

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from retriever.index.layout import CURRENT, VERSIONS

logger = logging.getLogger(__name__)

CURRENT_KEY = "CURRENT"
KEEP_LOCAL_VERSIONS = 2


class DistributionError(RuntimeError):
    """An S3 location is malformed, or names a version that is not there."""


def split_url(url: str) -> tuple[str, str]:
    """s3://bucket/prefix -> (bucket, prefix without trailing slash)."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise DistributionError(f"not an s3:// URL: {url!r}")
    return parsed.netloc, parsed.path.strip("/")


def join_url(url: str, *parts: str) -> str:
    """An S3 URL below url."""
    return "/".join([url.rstrip("/"), *parts])


def _key(prefix: str, *parts: str) -> str:
    return "/".join(p for p in (prefix, *parts) if p)


def publish(s3: Any, index_root: Path, url: str) -> str:
    """Upload the version `current` points at, then flip CURRENT; returns the version name."""
    bucket, prefix = split_url(url)
    try:
        version_dir = (index_root / CURRENT).resolve(strict=True)
    except OSError as exc:
        raise DistributionError(f"no index at {index_root} to publish (no `{CURRENT}`)") from exc
    version = version_dir.name
    files = sorted(p for p in version_dir.rglob("*") if p.is_file())
    for path in files:
        s3.upload_file(
            str(path), bucket, _key(prefix, VERSIONS, version, path.relative_to(version_dir).as_posix())
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
        raise DistributionError(f"malformed CURRENT in {url}: {version!r}")
    return version


def download_prefix(s3: Any, bucket: str, prefix: str, dest: Path) -> int:
    """Copy every object under prefix/ into dest, keeping relative paths; returns the file count."""
    count = 0
    root = dest.resolve()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for obj in page.get("Contents", []):
            relative = obj["Key"][len(prefix) + 1 :]
            target = (dest / relative).resolve()
            if not relative or not target.is_relative_to(root):
                raise DistributionError(f"refusing key outside {prefix}/: {obj['Key']}")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(target))
            count += 1
    return count


def download_folder(s3: Any, url: str, dest: Path) -> int:
    """Copy a plain S3 folder (e.g. a corpus with manifest.csv) into dest; returns the file count."""
    bucket, prefix = split_url(url)
    return download_prefix(s3, bucket, prefix, dest)


def pull_once(s3: Any, url: str, dest: Path) -> str | None:
    """Fetch CURRENT's version if missing locally and re-point `current` atomically; returns the version."""
    version = remote_version(s3, url)
    if version is None:
        logger.info("no index published at %s yet", url)
        return None
    dest.mkdir(parents=True, exist_ok=True)
    versions = dest / VERSIONS
    target = versions / version
    if not target.is_dir():
        versions.mkdir(parents=True, exist_ok=True)
        bucket, prefix = split_url(url)
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{version}-", dir=dest))
        count = download_prefix(s3, bucket, _key(prefix, VERSIONS, version), staging)
        if count == 0:
            shutil.rmtree(staging)
            raise DistributionError(f"CURRENT names {version} but {url}/{VERSIONS}/{version}/ is empty")
        os.replace(staging, target)
        logger.info("downloaded index %s (%d files)", version, count)
    link = dest / CURRENT
    if not (link.is_symlink() and os.readlink(link) == f"{VERSIONS}/{version}"):
        tmp_link = dest / f".{CURRENT}-{os.getpid()}"
        tmp_link.unlink(missing_ok=True)
        tmp_link.symlink_to(f"{VERSIONS}/{version}")
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


def sync(
    s3: Any, url: str, dest: Path, interval_s: float, *, transient: tuple[type[BaseException], ...]
) -> None:
    """Pull once (interval 0) or keep pulling; when looping, transient errors are logged, not fatal."""
    if interval_s <= 0:
        pull_once(s3, url, dest)
        return
    while True:
        try:
            pull_once(s3, url, dest)
        except transient as exc:
            # A transient S3 error must not kill the sidecar: the gateway keeps serving the version it has.
            logger.warning("index sync failed, retrying in %.0fs: %s", interval_s, exc)
        time.sleep(interval_s)
