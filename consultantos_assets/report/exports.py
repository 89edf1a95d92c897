"""JSON export and the one call that writes every export format."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from consultantos_assets.models import ReportInput

from ..atomic import atomic_write_text
from .content import key_figures
from .markdown import render_markdown
from .pdf import RenderResult, render_pdf

log = logging.getLogger(__name__)


def render_json(report: ReportInput) -> str:
    """The report bundle as JSON, with the headline figures under ``key_figures``."""
    payload = {
        "key_figures": key_figures(report),
        "report": json.loads(report.model_dump_json()),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


@dataclass(frozen=True)
class Exports:
    pdf: RenderResult
    markdown_path: Path
    json_path: Path
    markdown: str

    @property
    def paths(self) -> dict[str, Path]:
        return {"pdf": self.pdf.path, "md": self.markdown_path, "json": self.json_path}


def write_exports(report: ReportInput, directory: Path | str, stem: str) -> Exports:
    """Write ``<stem>.pdf``, ``<stem>.md`` and ``<stem>.json`` into ``directory`` (each atomically)."""
    if not stem or "/" in stem or "\\" in stem or stem in (".", ".."):
        raise ValueError(f"export stem {stem!r} must be a plain file name without directories")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    pdf = render_pdf(report, directory / f"{stem}.pdf")
    markdown = render_markdown(report)
    md_path = atomic_write_text(directory / f"{stem}.md", markdown)
    json_path = atomic_write_text(directory / f"{stem}.json", render_json(report))
    log.info("wrote report exports for %s to %s", report.ticker, directory)
    return Exports(pdf=pdf, markdown_path=md_path, json_path=json_path, markdown=markdown)
