"""What the slide deck and the workbook share: safe text, colours and reproducible Office files.

An Office file is a zip of XML parts. Its libraries stamp the zip entries with the time of writing and
the document properties with "now", and python-pptx embeds one workbook per chart (written by
XlsxWriter) with its own stamps. :func:`reproducible_zip` rewrites all of them to the report's date,
so identical inputs give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from pathlib import Path

from ..atomic import atomic_write_bytes
from .text import clean
from .theme import COLOURS, SERIES_COLOURS

log = logging.getLogger(__name__)

MAX_TEXT = 32_000  # Excel holds at most 32,767 characters in a cell

_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def text(value: object, max_len: int | None = None) -> str:
    """A data string as the PDF shows it: control characters dropped, whitespace normalised, capped.

    The Office libraries escape XML themselves, so '<', '&' and quotes reach the reader literally."""
    return clean(value, max_len or MAX_TEXT)


PALETTE = {name: code.removeprefix("#") for name, code in COLOURS.items()}  # 'NAVY': '0B2545'
SERIES = tuple(PALETTE[name] for name in SERIES_COLOURS)


def stamp(day: dt.date) -> dt.datetime:
    """The one timestamp a report's Office files carry: midnight UTC of its as-of date."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def reproducible_zip(data: bytes, when: dt.datetime) -> bytes:
    """The same package with every entry dated ``when`` and core-property dates set to it (recursively
    for embedded workbooks); entry order, names and contents are otherwise kept."""
    iso = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    date_time = (max(1980, when.year), when.month, when.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename.endswith(".xlsx"):
                blob = reproducible_zip(blob, when)
            elif info.filename == "docProps/core.xml":
                blob = _CORE_DATES.sub(lambda m: m.group(1) + iso + m.group(3), blob)
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, blob)
    return out.getvalue()


def write_package(path: Path | str, data: bytes) -> Path:
    """Write a built Office file atomically (a reader sees the old file or the new one, never a part)."""
    path = Path(path)
    atomic_write_bytes(path, data)
    log.info("wrote %s (%d bytes)", path, len(data))
    return path
