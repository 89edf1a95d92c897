"""What the workers of `consultantos_assets.workers` load before their first task.

The fork server imports this module once (it is `workers.PRELOAD`), so every worker is forked with
the renderers, the PDF reader and LanceDB's dependencies (pyarrow's datasets, pandas) already
loaded. LanceDB itself starts a background thread when imported, and a process with threads is not
forked safely: the index lane's worker (the one that writes the index) imports it after the fork, in
`load_in_worker`, while the calling process is still starting.

The workers keep the calling process's scheduling priority. A lower one (niceness 10) was tried: on
a quiet machine it made no difference once the workers start after the companies are known, and
while two other processes kept both cores busy the command waited for its starved workers
(research_index 3.2-11.5 s in three cold reports; 0.5-0.7 s on a quiet machine).
"""

import pyarrow.dataset  # noqa: F401
import pypdf  # noqa: F401

from consultantos_assets.index import local_embedders  # noqa: F401
from consultantos_assets.index import tables as index_tables
from consultantos_assets.report import deck, exports, pdf, verify, workbook  # noqa: F401


def load_in_worker() -> None:
    """The index lane's worker, after the fork."""
    index_tables.lancedb_module()
