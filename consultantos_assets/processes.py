"""Whether a process still runs, from its pid and start time (Linux /proc; no dagster)."""

from __future__ import annotations

import os
from pathlib import Path


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state first); empty where unreadable."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for
    the original process; empty where /proc is unavailable."""
    fields = _stat_fields(pid)
    return fields[19] if len(fields) > 19 else ""


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = _stat_fields(pid)
    return not fields or fields[0] != "Z"  # a zombie (killed, not yet reaped by its parent) is gone


def process_alive(pid: int, started: str = "") -> bool:
    """Whether the process with this pid (and start time, see `process_start`, when given) still runs."""
    return _exists(pid) and (not started or process_start(pid) in ("", started))
