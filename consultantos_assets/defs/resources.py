"""Resources: the only way assets reach providers, analysts, the index and report storage."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import dagster as dg

from ..analysis.analyst import Analyst
from ..analysis.rules import RuleBasedAnalyst
from ..index.embedders import make_embedder
from ..index.store import ChunkStore
from ..models import ReportArtifact, ReportInput, content_hash
from ..settings import Settings, parse_mode, resolve_snapshot_dir, storage_root
from ..sources.collect import settings_serve
from ..sources.registry import Served


@functools.cache
def _serve_for(settings: Settings):
    """One provider set per process and configuration: providers cache their parsed snapshot indexes."""
    return settings_serve(settings)


class SourcesResource(dg.ConfigurableResource):
    """Which providers serve each source: CONSULTANTOS_MODE, the snapshot and the keys."""

    mode: str = "auto"
    snapshot_dir: str | None = None
    tavily_api_key: str | None = None
    edgar_identity: str | None = None

    def settings(self) -> Settings:
        return Settings(
            mode=parse_mode(self.mode),
            snapshot_dir=resolve_snapshot_dir(self.snapshot_dir),
            home=storage_root(),
            tavily_api_key=self.tavily_api_key or None,
            edgar_identity=self.edgar_identity or None,
        )

    def serve(self, key: str, call) -> Served:
        return _serve_for(self.settings())(key, call)


class AnalystResource(dg.ConfigurableResource):
    """Selects the analyst (CONSULTANTOS_ANALYST): `auto` = the Gemini analyst when GEMINI_API_KEY or
    GOOGLE_API_KEY is set, else the rule-based one; `llm` forces Gemini; `rules` forces the rules.

    The key arrives through dg.EnvVar and is only handed to the google-genai client; the LLM answer
    cache and cost ledger live under `home` (<storage root>/llm). google-genai reads
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
        from ..analysis.llm import LLMSettings

        return LLMSettings.from_env(os.environ)

    def llm_home(self) -> Path:
        from ..llm_store import llm_dir

        return llm_dir(Path(self.home) if self.home else storage_root())

    def ledger(self):
        from ..llm_store import DuckDBLedger

        return DuckDBLedger(self.llm_home() / "ledger.duckdb")

    def get(self, run_id: str = "") -> Analyst:
        if not self.use_llm():
            return RuleBasedAnalyst()
        from google import genai
        from google.genai import types

        from ..analysis.llm import LLMAnalyst
        from ..llm_store import JsonAnswerCache

        settings = self.llm_settings()
        client = genai.Client(api_key=self.gemini_api_key,
                              http_options=types.HttpOptions(timeout=int(settings.timeout_s * 1000)))
        return LLMAnalyst(client, settings, cache=JsonAnswerCache(self.llm_home() / "cache"),
                          ledger=self.ledger(), run_id=run_id, secrets=(self.gemini_api_key or "",))


class IndexResource(dg.ConfigurableResource):
    """The LanceDB research index: one table per embedder under `uri`.

    embedder: auto | minilm | gemini | lexical (CONSULTANTOS_EMBEDDER). auto = Gemini when a key is set,
    the mode is not offline and the service answers; else local MiniLM; else the lexical fallback.
    """

    uri: str
    embedder: str = "auto"
    gemini_api_key: str | None = None

    def store(self) -> ChunkStore:
        return ChunkStore(self.uri, make_embedder(self.embedder, api_key=self.gemini_api_key or None))


class ReportStore(dg.ConfigurableResource):
    """Where PDFs, their Markdown/JSON exports and the history of report inputs are written."""

    directory: str

    def path_for(self, ticker: str) -> Path:
        d = Path(self.directory) / ticker
        d.mkdir(parents=True, exist_ok=True)
        return d

    def _previous(self, history: Path, current: str) -> tuple[ReportInput | None, str | None]:
        """The latest archived inputs that differ from the current ones (stable across re-renders)."""
        if not history.is_dir():
            return None, None
        for path in sorted(history.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True):
            if path.stem == current:
                continue
            try:
                return ReportInput.model_validate_json(path.read_text(encoding="utf-8")), path.stem
            except ValueError:
                continue
        return None, None

    def publish(self, bundle: ReportInput) -> tuple[ReportArtifact, str]:
        """Render PDF, Markdown and JSON beside each other; archive the inputs for 'what changed'."""
        from ..atomic import atomic_write_text
        from ..report import write_exports

        directory = self.path_for(bundle.ticker)
        history = directory / "history"
        current = content_hash(bundle)
        previous, previous_id = self._previous(history, current)
        full = bundle.model_copy(update={"previous": previous}) if previous else bundle
        out = write_exports(full, directory, f"{bundle.ticker}_report")
        archived = history / f"{current}.json"
        if not archived.exists():
            history.mkdir(parents=True, exist_ok=True)
            atomic_write_text(archived, bundle.model_dump_json())
        artifact = ReportArtifact(
            ticker=bundle.ticker, path=str(out.pdf.path), pages=out.pdf.pages, bytes=out.pdf.bytes,
            sha256=out.pdf.sha256, markdown_path=str(out.markdown_path), json_path=str(out.json_path),
            generated_for=bundle.as_of, inputs_hash=current, compared_with=previous_id,
        )
        return artifact, out.markdown

    def verify(self, artifact: ReportArtifact, company_name: str) -> list[str]:
        from ..report import verify_pdf

        return verify_pdf(Path(artifact.path), company_name)


def _optional_env(name: str, *alternatives: str):
    """An EnvVar reference when the variable is set (so the secret never lands in config), else None."""
    for n in (name, *alternatives):
        if os.environ.get(n):
            return dg.EnvVar(n)
    return None


def build_resources(home: Path | None = None) -> dict[str, object]:
    from .io_manager import ModelJsonIOManager

    home = home or storage_root()
    return {
        "io_manager": ModelJsonIOManager(base_dir=str(home / "assets")),
        "sources": SourcesResource(
            mode=os.environ.get("CONSULTANTOS_MODE", "auto"),
            snapshot_dir=os.environ.get("CONSULTANTOS_SNAPSHOT_DIR") or None,
            tavily_api_key=_optional_env("TAVILY_API_KEY"),
            edgar_identity=_optional_env("EDGAR_IDENTITY"),
        ),
        "analyst": AnalystResource(kind=os.environ.get("CONSULTANTOS_ANALYST", "auto"),
                                   gemini_api_key=_optional_env("GEMINI_API_KEY", "GOOGLE_API_KEY"),
                                   home=str(home)),
        "index": IndexResource(uri=str(home / "lancedb"), embedder=os.environ.get("CONSULTANTOS_EMBEDDER", "auto"),
                               gemini_api_key=_optional_env("GEMINI_API_KEY", "GOOGLE_API_KEY")),
        "reports": ReportStore(directory=str(home / "reports")),
    }
