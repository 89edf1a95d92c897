"""Atomic file writes: a temp file in the target directory, fsync, then os.replace.

Readers only ever see the old file or the complete new one. A writer killed mid-write (kill -9, power
loss) leaves its temp file behind; temp files are named ``.<name>.<pid>.<random>.tmp`` (hidden, and
never matching a reader's pattern such as ``*.json`` or ``*.pdf``), so `sweep_temp_files` can remove
the ones whose writing process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


def atomic_write_bytes(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` so readers see either the old file or the complete new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_text(path: Path | str, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def is_temp_file(path: Path) -> bool:
    return bool(_TEMP_NAME.match(path.name))


def sweep_temp_files(roots: Iterable[Path | str], max_age_s: float = 6 * 3600) -> list[Path]:
    """Remove temp files left by `atomic_write_bytes` under ``roots`` whose writer process is gone,
    or that are older than ``max_age_s`` (a pid may have been reused). Returns what was removed."""
    removed: list[Path] = []
    now = time.time()
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            continue
        for dirpath, _, files in os.walk(root):
            for name in files:
                m = _TEMP_NAME.match(name)
                if not m:
                    continue
                path = Path(dirpath) / name
                try:
                    age = now - path.stat().st_mtime
                except FileNotFoundError:
                    continue
                if _pid_alive(int(m.group(1))) and age < max_age_s:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
    return removed
