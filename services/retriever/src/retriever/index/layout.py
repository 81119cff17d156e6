"""On-disk layout: INDEX_DIR/versions/<version>/ plus an atomically replaced `current` symlink."""

import os
import shutil
import time
import uuid
from pathlib import Path

from retriever.index.manifest import MANIFEST_FILE

VERSIONS = "versions"
CURRENT = "current"


def versions_dir(root: Path) -> Path:
    """Folder holding all versions of an index root."""
    return root / VERSIONS


def staging_dir(root: Path) -> Path:
    """A fresh temporary folder next to the versions (same filesystem, so rename is atomic)."""
    path = versions_dir(root) / f".tmp-{uuid.uuid4().hex[:12]}"
    path.mkdir(parents=True)
    return path


def publish(root: Path, staged: Path, version: str) -> Path:
    """Move a finished staging folder to versions/<version> and point `current` at it atomically."""
    final = versions_dir(root) / version
    if final.exists():
        shutil.rmtree(staged)
    else:
        os.rename(staged, final)
    link_tmp = root / f".{CURRENT}-{uuid.uuid4().hex[:8]}"
    os.symlink(Path(VERSIONS) / version, link_tmp)
    os.replace(link_tmp, root / CURRENT)
    return final


def resolve_version_dir(index_dir: Path) -> Path | None:
    """The version folder for an index root (via `current`) or for a version folder itself."""
    if (index_dir / MANIFEST_FILE).is_file():
        return index_dir
    current = index_dir / CURRENT
    if current.exists() and (current / MANIFEST_FILE).is_file():
        return current.resolve()
    return None


def clean_stale_staging(root: Path, max_age_s: float = 6 * 3600) -> None:
    """Remove staging folders left by killed builds (old enough not to belong to a running one)."""
    now = time.time()
    for path in versions_dir(root).glob(".tmp-*"):
        if now - path.stat().st_mtime > max_age_s:
            shutil.rmtree(path, ignore_errors=True)


def prune_versions(root: Path, keep: int) -> list[str]:
    """Delete all but the `keep` newest versions, never the current one; return the removed names."""
    current = resolve_version_dir(root)
    versions = sorted(
        (p for p in versions_dir(root).iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    removed = []
    for path in versions[keep:]:
        if current is not None and path.resolve() == current:
            continue
        shutil.rmtree(path)
        removed.append(path.name)
    return removed
