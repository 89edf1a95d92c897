"""What the workers of `consultantos_assets.workers` load before their first task.

The fork server imports this module once (it is `workers.PRELOAD`; nothing else imports it), so
every worker is forked with the renderers, the PDF reader and LanceDB's dependencies (pyarrow's
datasets, pandas) already loaded. LanceDB itself starts a background thread when imported, and a
process with threads is not forked safely: the index lane's worker (the one that writes the index)
imports it after the fork, in `load_in_worker`, while the calling process is still starting.

First of all, the fork server lowers its scheduling priority by `workers.NICENESS`, and the workers inherit
it: when the command's own process and a worker both want a core (the command loading Dagster while
the fork server imports the renderers), the command gets it. A command waiting for a worker leaves
its core free, so the worker then loses nothing. In cold AAPL reports on 2 cores, starting the
workers before Dagster delayed the first asset by about 0.5 s at equal priority and not at all at
this one (and the whole report took about 8.6 s instead of 9.8 s, medians of 6).
"""

import os

from consultantos_assets.workers import NICENESS

os.nice(NICENESS)

import pyarrow.dataset  # noqa: E402, F401
import pypdf  # noqa: E402, F401

from consultantos_assets.index import local_embedders  # noqa: E402, F401
from consultantos_assets.index import tables as index_tables  # noqa: E402
from consultantos_assets.report import deck, exports, pdf, verify, workbook  # noqa: E402, F401


def load_in_worker() -> None:
    """The index lane's worker, after the fork."""
    index_tables.lancedb_module()
