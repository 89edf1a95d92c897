"""JSON export and the one call that writes every export format."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from consultantos_assets.models import ReportInput

from .content import key_figures
from .markdown import render_markdown
from .pdf import render_pdf
from .writer import atomic_write_text

log = logging.getLogger(__name__)


def render_json(report: ReportInput) -> str:
    """The report bundle as JSON, with the headline figures under ``key_figures``."""
    payload = {
        "key_figures": key_figures(report),
        "report": json.loads(report.model_dump_json()),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write_exports(report: ReportInput, directory: Path | str, stem: str) -> dict[str, Path]:
    """Write ``<stem>.pdf``, ``<stem>.md`` and ``<stem>.json`` into ``directory`` (each atomically)."""
    if not stem or "/" in stem or "\\" in stem or stem in (".", ".."):
        raise ValueError(f"export stem {stem!r} must be a plain file name without directories")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "pdf": directory / f"{stem}.pdf",
        "md": directory / f"{stem}.md",
        "json": directory / f"{stem}.json",
    }
    render_pdf(report, paths["pdf"])
    atomic_write_text(paths["md"], render_markdown(report))
    atomic_write_text(paths["json"], render_json(report))
    log.info("wrote report exports for %s to %s", report.ticker, directory)
    return paths
