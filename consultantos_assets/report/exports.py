"""JSON export and the one call that writes every output: PDF, Markdown, JSON, slide deck, workbook."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from consultantos_assets.models import ReportInput

from .. import workers
from ..atomic import atomic_write_text
from .content import key_figures
from .markdown import render_markdown

log = logging.getLogger(__name__)


def render_json(report: ReportInput) -> str:
    """The report bundle as JSON, with the headline figures under ``key_figures``: the bundle is written
    by pydantic's serializer, indented one level deeper, instead of being parsed back into Python and
    encoded again."""
    head = json.dumps({"key_figures": key_figures(report)}, indent=2, ensure_ascii=False)
    body = report.model_dump_json(indent=2).replace("\n", "\n  ")
    return f'{head[:-2]},\n  "report": {body}\n}}\n'


@dataclass(frozen=True)
class RenderResult:
    """A PDF as written: where, how many pages, its size and sha256."""

    path: Path
    pages: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Exports:
    pdf: RenderResult
    markdown_path: Path
    json_path: Path
    markdown: str
    pptx_path: Path
    xlsx_path: Path
    pdf_problems: list[str] | None = None  # the PDF read back where written (None: not asked for)

    @property
    def paths(self) -> dict[str, Path]:
        """Every output by format, the PDF first."""
        return {"pdf": self.pdf.path, "md": self.markdown_path, "json": self.json_path, "pptx": self.pptx_path,
                "xlsx": self.xlsx_path}


def render_and_read_back(report: ReportInput, path: Path, company_name: str) -> tuple[RenderResult, list[str]]:
    """Render the PDF to `path`, then read the written file back (`verify.verify_pdf`)."""
    from .pdf import render_pdf
    from .verify import verify_pdf

    result = render_pdf(report, path)
    return result, verify_pdf(path, company_name)


def render_from_json(target: str, report_json: str, *args: object) -> object:
    """`target(report, *args)` ("module:function") for a report sent to a worker as its JSON: pydantic
    writes the JSON once for every renderer and reads it back several times faster than pickle copies
    the same model (AAPL: about 5 ms and 15 ms against 30 ms and 15-90 ms)."""
    return workers.resolve(target)(ReportInput.model_validate_json(report_json), *args)


def write_exports(report: ReportInput, directory: Path | str, stem: str, *,
                  read_back_as: str | None = None) -> Exports:
    """Write ``<stem>.pdf``, ``.md``, ``.json``, ``.pptx`` (slide deck) and ``.xlsx`` (workbook) into
    ``directory``, each atomically; the PDF, deck and workbook in worker processes when a pool runs
    (`consultantos_assets.workers`). With `read_back_as` (the company's name), the PDF is also read back
    as soon as it is written, while the deck and workbook are still being made (`pdf_problems`)."""
    if not stem or "/" in stem or "\\" in stem or stem in (".", ".."):
        raise ValueError(f"export stem {stem!r} must be a plain file name without directories")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    # the PDF in the index lane's worker, the deck then the workbook in the office lane, the text
    # exports here meanwhile (by name: the renderers' libraries are loaded where they run)
    report_json = report.model_dump_json() if workers.active() else None

    def render(target: str, *args: object, lane: str = "office"):
        if report_json is None:  # no workers: the calls are made here, on the report itself
            return workers.submit(target, report, *args, lane=lane)
        return workers.submit(f"{__name__}:render_from_json", target, report_json, *args, lane=lane)

    pdf_path = directory / f"{stem}.pdf"
    pdf_call = (render(f"{__name__}:render_and_read_back", pdf_path, read_back_as, lane="index")
                if read_back_as is not None else render(f"{__package__}.pdf:render_pdf", pdf_path, lane="index"))
    pptx_call = render(f"{__package__}.deck:render_pptx", directory / f"{stem}.pptx")
    xlsx_call = render(f"{__package__}.workbook:render_xlsx", directory / f"{stem}.xlsx")
    markdown = render_markdown(report)
    md_path = atomic_write_text(directory / f"{stem}.md", markdown)
    json_path = atomic_write_text(directory / f"{stem}.json", render_json(report))
    pdf, problems = pdf_call.result() if read_back_as is not None else (pdf_call.result(), None)
    pptx_path, xlsx_path = pptx_call.result(), xlsx_call.result()
    log.info("wrote report exports for %s to %s", report.ticker, directory)
    return Exports(pdf=pdf, markdown_path=md_path, json_path=json_path, markdown=markdown, pptx_path=pptx_path,
                   xlsx_path=xlsx_path, pdf_problems=problems)
