"""The local profile's resources: the analyst with its answer cache and cost ledger under the storage root,
and report files under it (`local_resources`); the production profile (production.py) extends both."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import dagster as dg

from ...analysis.analyst import Analyst
from ...analysis.rules import RuleBasedAnalyst
from ...models import ReportArtifact, ReportInput, content_hash
from ...settings import storage_root
from ...value_files import VALUES_DIR


class AnalystResource(dg.ConfigurableResource):
    """Selects the analyst (CONSULTANTOS_ANALYST): `auto` = the Gemini analyst when GEMINI_API_KEY or
    GOOGLE_API_KEY is set, else the rule-based one; `llm` forces Gemini; `rules` forces the rules.

    The key arrives through dg.EnvVar and is only handed to the google-genai client; the LLM answer
    cache and cost ledger live under `home` (<storage root>/llm) here, and in the bucket and PostgreSQL
    in the production profile (SharedAnalystResource, defs/resources/production.py). google-genai reads
    GOOGLE_GEMINI_BASE_URL itself, so a gateway or a test server can stand in for Google.
    """

    kind: str = "auto"
    gemini_api_key: str | None = None
    home: str | None = None

    def use_llm(self) -> bool:
        kind = (self.kind or "auto").strip().lower()
        if kind not in ("auto", "llm", "rules"):
            raise ValueError(f"CONSULTANTOS_ANALYST={self.kind!r} is not one of auto, llm, rules")
        if kind == "llm" and not self.gemini_api_key:
            raise ValueError("CONSULTANTOS_ANALYST=llm needs GEMINI_API_KEY or GOOGLE_API_KEY (with a gateway "
                             "at GOOGLE_GEMINI_BASE_URL any value the gateway accepts)")
        return kind == "llm" or (kind == "auto" and bool(self.gemini_api_key))

    def llm_settings(self):
        from ...analysis.llm import LLMSettings

        return LLMSettings.from_env(os.environ)

    def llm_home(self) -> Path:
        from ...llm_store import llm_dir

        return llm_dir(Path(self.home) if self.home else storage_root())

    def ledger(self):
        from ...llm_store import DuckDBLedger

        return DuckDBLedger(self.llm_home() / "ledger.duckdb")

    def answer_cache(self):
        from ...llm_store import JsonAnswerCache

        return JsonAnswerCache(self.llm_home() / "cache")

    def get(self, run_id: str = "") -> Analyst:
        if not self.use_llm():
            return RuleBasedAnalyst()
        from google import genai
        from google.genai import types

        from ...analysis.llm import LLMAnalyst

        settings = self.llm_settings()
        client = genai.Client(api_key=self.gemini_api_key,
                              http_options=types.HttpOptions(timeout=int(settings.timeout_s * 1000)))
        return LLMAnalyst(client, settings, cache=self.answer_cache(),
                          ledger=self.ledger(), run_id=run_id, secrets=(self.gemini_api_key or "",),
                          fallback=RuleBasedAnalyst())


PORTFOLIO_DIR = "portfolio"  # lower case: never a company's (upper-case ticker) folder


@dataclass(frozen=True)
class Published:
    """A report as `ReportStore.publish` kept it: the artifact, its Markdown, and what reading the
    stored PDF back found wrong (nothing: an empty list)."""

    artifact: ReportArtifact
    markdown: str
    problems: list[str]


class ReportStore(dg.ConfigurableResource):
    """Where PDFs, their exports (Markdown, JSON, slide deck, workbook) and the history of report inputs are
    written: files under `directory`, one folder per company.

    Rendering always happens into a local directory; the storage interface says where the files end up,
    and GCSReportStore (defs/resources/production.py) implements it for a bucket:

        render_dir(ticker)                  the local directory to render into (a context manager)
        keep(ticker, paths)                 make the rendered files durable; where each one is, by format
        history(ticker)                     the archived inputs, newest first
        archive(ticker, inputs_hash, text)  keep these inputs once
        local_pdf(artifact)                 the stored PDF as a local file (a context manager)
        kept_where_rendered                 True when `keep` leaves the files where they were rendered
    """

    directory: str
    kept_where_rendered: ClassVar[bool] = True

    # ---- the storage interface (local files) ---------------------------------------------------------
    @contextmanager
    def render_dir(self, ticker: str) -> Iterator[Path]:
        directory = Path(self.directory) / ticker
        directory.mkdir(parents=True, exist_ok=True)
        yield directory

    def keep(self, ticker: str, paths: dict[str, Path]) -> dict[str, str]:
        """Make the rendered files durable; returns where each one is, by format (pdf, md, json, pptx, xlsx)."""
        return {fmt: str(path) for fmt, path in paths.items()}

    def history(self, ticker: str) -> list[tuple[str, Callable[[], str]]]:
        """Archived inputs, newest first: (inputs hash, a reader of their JSON)."""
        history = Path(self.directory) / ticker / "history"
        if not history.is_dir():
            return []
        files = sorted(history.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
        return [(p.stem, lambda p=p: p.read_text(encoding="utf-8")) for p in files]

    def archive(self, ticker: str, inputs_hash: str, text: str) -> None:
        """Keep these inputs once (the first archiving of identical inputs stays, with its time)."""
        from ...atomic import atomic_write_text

        archived = Path(self.directory) / ticker / "history" / f"{inputs_hash}.json"
        if not archived.exists():
            archived.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(archived, text)

    @contextmanager
    def local_pdf(self, artifact: ReportArtifact) -> Iterator[Path]:
        yield Path(artifact.path)

    # ---- the API the report asset uses -------------------------------------------------------------
    def _previous(self, ticker: str, current: str) -> tuple[ReportInput | None, str | None]:
        """The latest archived inputs that differ from the current ones (stable across re-renders)."""
        for inputs_hash, read in self.history(ticker):
            if inputs_hash == current:
                continue
            try:
                return ReportInput.model_validate_json(read()), inputs_hash
            except ValueError:
                continue
        return None, None

    def publish(self, bundle: ReportInput, company_name: str) -> Published:
        """Render every output beside each other and read the stored PDF back (`verify`); archive the
        inputs for 'what changed' (which the PDF, Markdown, deck and workbook all show when an earlier
        report exists). Where the files are kept as rendered, the PDF is read back as soon as it is
        written, while the deck and the workbook are still being made."""
        from ...report import write_exports

        current = content_hash(bundle)
        previous, previous_id = self._previous(bundle.ticker, current)
        full = bundle.model_copy(update={"previous": previous}) if previous else bundle
        with self.render_dir(bundle.ticker) as directory:
            out = write_exports(full, directory, f"{bundle.ticker}_report",
                                read_back_as=company_name if self.kept_where_rendered else None)
            kept = self.keep(bundle.ticker, out.paths)
        self.archive(bundle.ticker, current, bundle.model_dump_json())
        artifact = ReportArtifact(
            ticker=bundle.ticker, path=kept["pdf"], pages=out.pdf.pages, bytes=out.pdf.bytes,
            sha256=out.pdf.sha256, markdown_path=kept["md"], json_path=kept["json"], outputs=kept,
            generated_for=bundle.as_of, inputs_hash=current, compared_with=previous_id,
        )
        problems = out.pdf_problems if out.pdf_problems is not None else self.verify(artifact, company_name)
        return Published(artifact, out.markdown, problems)

    def previous_inputs(self, ticker: str, inputs_hash: str | None) -> ReportInput | None:
        """The inputs of the report before the one with `inputs_hash` (what 'what changed' compares with)."""
        return self._previous(ticker, inputs_hash or "")[0]

    def report_inputs(self, ticker: str, inputs_hash: str) -> ReportInput | None:
        """The archived inputs of the report with `inputs_hash` (None when not kept or unreadable)."""
        for archived, read in self.history(ticker):
            if archived == inputs_hash:
                try:
                    return ReportInput.model_validate_json(read())
                except ValueError:
                    return None
        return None

    def publish_portfolio(self, files: dict[str, bytes]) -> dict[str, str]:
        """Keep the portfolio's files ({format: content}, e.g. pdf and csv) in `portfolio/` beside the
        companies' report folders; returns where each one is."""
        from ...atomic import atomic_write_bytes

        with self.render_dir(PORTFOLIO_DIR) as directory:
            paths = {}
            for fmt, data in files.items():
                paths[fmt] = Path(directory) / f"portfolio.{fmt}"
                atomic_write_bytes(paths[fmt], data)
            return self.keep(PORTFOLIO_DIR, paths)

    def verify(self, artifact: ReportArtifact, company_name: str) -> list[str]:
        """Problems of the PDF as stored (read back from where `publish` kept it)."""
        from ... import workers

        with self.local_pdf(artifact) as path:  # read back where the PDF was rendered, free once it is
            return workers.call("consultantos_assets.report.verify:verify_pdf", path, company_name, lane="index")




def local_resources(home: Path, analyst_kind: str, gemini_key) -> dict[str, object]:
    """io_manager, analyst, reports and inputs of the local profile: files under the storage root `home`."""
    from ..inputs import InputsResource
    from ..io_manager import ModelJsonIOManager

    return {
        "io_manager": ModelJsonIOManager(base_dir=str(home / VALUES_DIR)),
        "analyst": AnalystResource(kind=analyst_kind, gemini_api_key=gemini_key, home=str(home)),
        "reports": ReportStore(directory=str(home / "reports")),
        "inputs": InputsResource.under(home),
    }
