"""CPU priority for a benchmark run on a shared machine: its own scheduler autogroup, niced up."""

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)


def raise_priority(boost: int) -> None:
    """Start a new session (own autogroup) and nice it and this process by ``-boost``; children inherit it.

    With ``sched_autogroup`` on, plain ``nice`` only ranks processes within one session, so a benchmark
    sharing a busy 2-core machine with other sessions' jobs needs its own niced autogroup to be measured
    rather than starved. Needs root (or CAP_SYS_NICE); without it the run continues at normal priority.
    """
    if boost <= 0:
        return
    try:
        os.setsid()
    except OSError as exc:  # already a session/group leader
        logger.info("no new session (%s); niceness applies within the current autogroup", exc)
    try:
        Path("/proc/self/autogroup").write_text(str(-boost), encoding="utf-8")
        os.nice(-boost)
    except OSError as exc:
        logger.warning("could not raise priority by %d: %s", boost, exc)
        return
    logger.info("running at nice %d in %s", -boost, Path("/proc/self/autogroup").read_text().strip())
