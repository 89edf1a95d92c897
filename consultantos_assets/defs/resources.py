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
    """Selects the analyst. Only the rule-based analyst exists offline."""

    kind: str = "auto"

    def get(self) -> Analyst:
        if self.kind in ("auto", "rules"):
            return RuleBasedAnalyst()
        raise ValueError(f"analyst kind {self.kind!r} is not available: use auto or rules")


class IndexResource(dg.ConfigurableResource):
    """The LanceDB research index."""

    uri: str
    embedder: str = "auto"

    def store(self) -> ChunkStore:
        return ChunkStore(self.uri, make_embedder(self.embedder))


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
        "analyst": AnalystResource(kind=os.environ.get("CONSULTANTOS_ANALYST", "auto")),
        "index": IndexResource(uri=str(home / "lancedb"), embedder=os.environ.get("CONSULTANTOS_EMBEDDER", "auto")),
        "reports": ReportStore(directory=str(home / "reports")),
    }
