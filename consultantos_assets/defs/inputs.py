"""Where users leave inputs for the code location: request files (the `portfolio_requests` sensor) and
portfolio files (the `portfolio_refresh` schedule).

InputsResource is the local profile's: directories under the storage root,
    <home>/requests/<file>                   a request file as a user dropped it
    <home>/requests/done|failed/<file>       once handled, beside <file>.reason.txt
    <home>/portfolios/<name>.txt             a portfolio
GCSInputsResource (defs/resources/production.py) keeps the same layout under gs://<bucket>/<prefix>/, so every
code server sees the same files and users drop them with `gcloud storage cp`. build_resources picks
one of the two; the sensor and the schedule only use the methods below.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from ..atomic import atomic_write_text
from ..settings import portfolios_dir, requests_dir

DESTINATIONS = ("done", "failed")


@dataclass(frozen=True)
class RequestFile:
    """A file directly in the requests folder, as listed: `version` changes whenever its content may have
    (the modification time in nanoseconds locally, the object generation in a bucket)."""

    name: str
    size: int
    mtime: float
    version: int


def unique_name(name: str, taken) -> str:
    """`name`, or `<stem>.<UTC stamp>[-n].<ext>` when `taken(name)` says it is in use."""
    if not taken(name):
        return name
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    stem, dot, ext = name.partition(".")
    n = 1
    while True:
        candidate = f"{stem}.{stamp}{'-' + str(n) if n > 1 else ''}{dot}{ext}"
        if not taken(candidate):
            return candidate
        n += 1


class InputsResource(dg.ConfigurableResource):
    """Request and portfolio files in local directories (by default <storage root>/requests and
    <storage root>/portfolios). GCSInputsResource reads the same fields as object prefixes in a bucket."""

    requests_dir: str
    portfolios_dir: str

    @classmethod
    def under(cls, home: Path) -> InputsResource:
        return cls(requests_dir=str(requests_dir(home)), portfolios_dir=str(portfolios_dir(home)))

    # ---- request files ------------------------------------------------------------------------
    def requests_location(self) -> str:
        """Where users drop request files, as shown to them."""
        return str(Path(self.requests_dir))

    def list_requests(self) -> list[RequestFile]:
        """Every file directly in the requests folder (the folder is created when missing)."""
        folder = Path(self.requests_dir)
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for path in folder.iterdir():
            try:
                if not path.is_file():
                    continue
                stat = path.stat()
            except FileNotFoundError:
                continue
            out.append(RequestFile(path.name, stat.st_size, stat.st_mtime, stat.st_mtime_ns))
        return out

    def read_request(self, f: RequestFile, limit: int) -> bytes:
        """At most `limit` bytes of a listed file; OSError (FileNotFoundError when it is gone) otherwise."""
        with open(Path(self.requests_dir) / f.name, "rb") as fh:
            return fh.read(limit)

    def move_request(self, f: RequestFile, dest: str, reason: str, file_id: str) -> str:
        """Move a handled file to requests/<dest>/ (done or failed) with `<file>.reason.txt` beside it;
        returns where it went. A file of the same name already there keeps its place: the moved one
        gets a time-stamped name. `file_id` is the sensor's id of the file as it was read."""
        if dest not in DESTINATIONS:
            raise ValueError(f"a handled request file goes to one of {DESTINATIONS}, not {dest!r}")
        folder = Path(self.requests_dir) / dest
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / unique_name(f.name, lambda n: (folder / n).exists())
        atomic_write_text(target.with_name(target.name + ".reason.txt"), reason)
        os.replace(Path(self.requests_dir) / f.name, target)
        return str(target)

    # ---- portfolio files ----------------------------------------------------------------------
    def portfolio_location(self, name: str) -> str:
        return str(Path(self.portfolios_dir) / f"{name}.txt")

    def read_portfolio(self, name: str) -> str | None:
        """The text of portfolio `name`, or None when there is no such file."""
        path = Path(self.portfolios_dir) / f"{name}.txt"
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8", errors="replace")
