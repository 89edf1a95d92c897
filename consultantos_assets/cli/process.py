"""The CLI as a whole process: signals it inherits and garbage collection tuned for a short-lived run."""

from __future__ import annotations

import gc
import signal

_own_process = False  # set by `run`: the CLI is the process (not a call from other code)


def claim_process() -> None:
    global _own_process
    _own_process = True


def lean_gc() -> None:
    """Garbage collection for a CLI process: the objects of the start-up (Dagster, the definitions,
    about 200k) are moved out of the collector's reach with `gc.freeze`, and collections run after
    10,000 allocations instead of 700. Cycles are still collected. On a cold report this cut the time
    spent in the collector from 1.9 s to 0.8 s (measured with gc.callbacks)."""
    if _own_process:
        gc.freeze()
        gc.set_threshold(10_000, 20, 20)


def restore_default_signals() -> None:
    """A CLI started in the background by a non-interactive shell inherits ignored SIGINT/SIGTERM, and
    so would every helper it spawns: Dagster's compute-log `tail` processes would then survive their
    termination and linger after the run. Interrupts should work anyway, so restore the defaults."""
    if signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
