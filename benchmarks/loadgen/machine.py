"""Description of the machine and software a result was measured on, and where results go."""

import datetime as dt
import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path

RESULTS_ROOT = Path(__file__).resolve().parents[1] / "results"
_PACKAGES = (
    "openai",
    "httpx",
    "uvicorn",
    "starlette",
    "fastapi",
    "torch",
    "sentence-transformers",
    "faiss-cpu",
)


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo, or the platform's answer."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.processor() or "unknown"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def describe_machine() -> dict[str, object]:
    """Cores, CPU, memory, OS, Python and key package versions."""
    pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gb": round(pages * page_size / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {name: v for name in _PACKAGES if (v := _version(name))},
        "git_commit": _git_commit(),
    }


def machine_slug() -> str:
    """Short machine label for directory names, e.g. ``2c-amd-epyc``."""
    model = re.sub(r"[^a-z0-9]+", "-", cpu_model().lower()).strip("-")
    return f"{os.cpu_count()}c-{model}"[:40].rstrip("-")


def results_dir(root: Path = RESULTS_ROOT) -> Path:
    """``<root>/<YYYY-MM-DD>_<HHMM>_<machine>`` (UTC), created: a new run never overwrites an earlier one."""
    path = root / f"{dt.datetime.now(dt.UTC):%Y-%m-%d_%H%M}_{machine_slug()}"
    path.mkdir(parents=True, exist_ok=True)
    return path
