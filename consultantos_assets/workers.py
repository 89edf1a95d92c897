"""Worker processes for a report's CPU-bound steps (no dagster).

Rendering the PDF, the slide deck and the workbook, reading the PDF back, and writing the LanceDB
index are plain functions of their arguments. Where a pool is started (`warm`), they run in worker
processes, the PDF beside the deck and the workbook, and their libraries load there, on the other
core while the calling process runs the first steps (the CLI starts the pool before a run that
builds a step using it).

Calls go to one of two lanes. The "index" lane has one worker, the only one that loads LanceDB and
the PDF's libraries: the index writes, the PDF and its read-back. The "office" lane has the other
workers, which load python-pptx and XlsxWriter: the deck and the workbook. The workers fork from a
server that has loaded only what the index write needs besides LanceDB (`worker_modules`), so the
index lane is ready early; the PDF renders beside the deck and the workbook, and the read-back
waits for the PDF alone. With one worker, both lanes are that worker.

Where no pool is started (the Dagster UI's run workers, the tests, ``CONSULTANTOS_WORKERS=0``) the
same functions run in the calling process: same code, same bytes.

A worker that dies (killed, out of memory) breaks the pool: the call is then made in the calling
process and the pool is not used again by this process, so a report never fails for want of a
worker.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .processes import process_alive, process_start

log = logging.getLogger(__name__)
ENV = "CONSULTANTOS_WORKERS"
# imported once in the fork server, so every worker starts with it loaded; then each worker loads its lane's
PRELOAD = "consultantos_assets.worker_modules"
LANES = ("index", "office")
_pools: dict[str, ProcessPoolExecutor] = {}
_broken = False


def _watch(pid: int, started: str) -> None:
    while process_alive(pid, started):
        time.sleep(0.5)
    os._exit(0)


def _initialize(caller: int, started: str, lane: str) -> None:
    """Each worker: end when the process that started the pool is gone (a worker of a killed
    `consultantos` would otherwise wait for work forever, and keep the fork server alive); load what
    its lane uses (`worker_modules.load_in_worker`)."""
    threading.Thread(target=_watch, args=(caller, started), name="consultantos-workers-watch", daemon=True).start()
    importlib.import_module(PRELOAD).load_in_worker(lane)


def default_workers() -> int:
    """CONSULTANTOS_WORKERS, else 2 where the machine has 2 cores or more (the PDF, and the rest), else 0."""
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError as exc:
            raise ValueError(f"{ENV} must be a whole number of worker processes (0 = none), not {raw!r}") from exc
        if n < 0:
            raise ValueError(f"{ENV} must be 0 or more, not {n}")
        return n
    return 2 if (os.cpu_count() or 1) >= 2 else 0


def warm(workers: int | None = None) -> bool:
    """Start the pool (idempotent) and its workers now, without waiting for them; True when a pool runs."""
    if _pools:
        return True
    n = default_workers() if workers is None else workers
    if n <= 0 or "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    owner = (os.getpid(), process_start(os.getpid()))

    def pool(size: int, lane: str) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=_initialize,
                                   initargs=(*owner, lane))

    sized = [(pool(1, "index"), 1)] + ([(pool(n - 1, "office"), n - 1)] if n > 1 else [])
    _pools.update(index=sized[0][0], office=sized[-1][0])

    def start() -> None:  # workers start on demand, each start waiting for the fork server's imports
        for executor, size in sized:
            for _ in range(size):
                executor.submit(os.getpid)

    threading.Thread(target=start, name="consultantos-workers-start", daemon=True).start()
    atexit.register(shutdown)
    return True


def active() -> bool:
    return bool(_pools) and not _broken


def shutdown() -> None:
    """Stop the workers (at exit, or to start afresh); calls then run in this process."""
    global _broken
    for executor in {id(e): e for e in _pools.values()}.values():
        executor.shutdown(wait=True, cancel_futures=True)
    _pools.clear()
    _broken = False


def _done(value: Any) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


def _failed(exc: BaseException) -> Future:
    f: Future = Future()
    f.set_exception(exc)
    return f


def resolve(target: Callable | str) -> Callable:
    """A callable, or "package.module:function" (imported where it runs, so the caller need not load it)."""
    if callable(target):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _run(target: Callable | str, args: tuple, kwargs: dict) -> Any:
    return resolve(target)(*args, **kwargs)


class _Call:
    """A call made in a worker; `result()` makes it in this process if the pool broke."""

    def __init__(self, fn: Callable | str, args: tuple, kwargs: dict, future: Future):
        self._fn, self._args, self._kwargs, self._future = fn, args, kwargs, future

    def result(self) -> Any:
        global _broken
        try:
            return self._future.result()
        except BrokenProcessPool as exc:
            if not _broken:
                log.warning("a worker process died (%s); %s and what follows run in this process", exc,
                            getattr(self._fn, "__name__", self._fn))
            _broken = True
            return _run(self._fn, self._args, self._kwargs)


def submit(fn: Callable | str, *args: Any, lane: str = "office", **kwargs: Any) -> _Call:
    """Start `fn(*args, **kwargs)` in a worker of `lane` (or here, now, without a pool); `.result()`
    waits for it.

    `fn` is a module-level function or "package.module:function" (then the module is imported only
    where the call runs); the arguments and the result must be picklable. A call that uses LanceDB
    goes to the "index" lane, where it is loaded."""
    if lane not in LANES:
        raise ValueError(f"no worker lane {lane!r} (lanes: {', '.join(LANES)})")
    if not active():
        try:
            future = _done(_run(fn, args, kwargs))
        except Exception as exc:  # raised by .result(), as from a worker
            future = _failed(exc)
        return _Call(fn, args, kwargs, future)
    try:
        return _Call(fn, args, kwargs, _pools[lane].submit(_run, fn, args, kwargs))
    except BrokenProcessPool:
        return _Call(fn, args, kwargs, _failed(BrokenProcessPool("the worker pool is broken")))


def call(fn: Callable | str, *args: Any, lane: str = "office", **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` in a worker of `lane`, waiting for its result."""
    return submit(fn, *args, lane=lane, **kwargs).result()
