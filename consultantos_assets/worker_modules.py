"""What the workers of `consultantos_assets.workers` load.

The fork server imports this module once (it is `workers.PRELOAD`): only what the index write needs
besides LanceDB (pyarrow's datasets, which load pandas, and the local embedders, with the static
model's vectors and tokenizer when the index will embed with it), so the index lane's worker is
forked as early as possible and its first write does not read the model. LanceDB itself starts a
background thread when imported, and a process with threads is not forked safely: the index lane's
worker imports it after the fork, in `load_in_worker`, then the PDF's libraries (reportlab's page
layout, pypdf) in the background while it waits for work. The office lane's worker imports the
deck's and the workbook's (python-pptx, XlsxWriter). So each library loads once, in the worker that
uses it, and the index is never kept waiting for the renderers' imports.
"""

import importlib
import threading

import pyarrow.dataset  # noqa: F401

from consultantos_assets.index import embedders, local_embedders
from consultantos_assets.index import tables as index_tables


def _read_static_model() -> None:
    """Before any thread exists (tokenizers starts its threads only when it first encodes). A model
    that cannot be read is left to the index write, which says why in its run."""
    if embedders.expected_kind() == "static":
        try:
            local_embedders.StaticEmbedder().load()
        except Exception:  # noqa: BLE001 - the fork server must start whatever the model's state
            pass


_read_static_model()

INDEX_LANE_LATER = ("consultantos_assets.report.pdf", "consultantos_assets.report.verify", "pypdf")
OFFICE_LANE = ("consultantos_assets.report.deck", "consultantos_assets.report.workbook")


def _import(names: tuple[str, ...]) -> None:
    for name in names:
        importlib.import_module(name)


def load_in_worker(lane: str) -> None:
    """A worker's start, after the fork: the index lane loads LanceDB now and the PDF's libraries in
    a thread (a call that needs them waits on the import lock); the office lane loads its renderers."""
    if lane == "index":
        index_tables.lancedb_module()
        threading.Thread(target=_import, args=(INDEX_LANE_LATER,), name="consultantos-pdf-imports",
                         daemon=True).start()
    else:
        _import(OFFICE_LANE)
