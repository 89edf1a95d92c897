"""The report's sections, their titles and order, and the few names every section uses (the company's
name, the fiscal-year label, what each source family delivered and the report's mode)."""

from __future__ import annotations

from dataclasses import dataclass

from consultantos_assets.analysis.coverage import source_dates
from consultantos_assets.models import (
    Provenance,
    ReportInput,
)

from ..formatting import (
    fmt_date,
)

# section key -> title; the order is the order of the report
SECTIONS: dict[str, str] = {
    "summary": "Executive summary",
    "dashboard": "Key metrics dashboard",
    "financials": "Financial performance",
    "trends": "Market trends",
    "porter": "Porter's five forces",
    "swot": "SWOT analysis",
    "pestel": "PESTEL analysis",
    "blue_ocean": "Blue Ocean strategy",
    "risks": "Risks and data gaps",
    "changes": "What changed",
    "sources": "Sources",
    "methodology": "Methodology and provenance",
}


SWOT_QUADRANTS = (
    ("strengths", "Strengths"),
    ("weaknesses", "Weaknesses"),
    ("opportunities", "Opportunities"),
    ("threats", "Threats"),
)


ERRC = (
    ("eliminate", "Eliminate"),
    ("reduce", "Reduce"),
    ("raise_", "Raise"),
    ("create", "Create"),
)


SYNTHESIS_LISTS = (
    ("key_findings", "Key findings"),
    ("recommendations", "Recommendations"),
    ("risks", "Risks"),
)


def section_keys(report: ReportInput) -> list[str]:
    keys = list(SECTIONS)
    if report.previous is None:
        keys.remove("changes")
    return keys


def company_name(report: ReportInput) -> str:
    name = (report.research.profile.name or "").strip()
    return name or (report.financials.entity_name or "").strip() or report.ticker


def missing_financials_message(report: ReportInput) -> str:
    return f"Financial statements are missing for {report.ticker}: no SEC company facts were found"


def fy_label(year: int) -> str:
    return f"FY{year}"


@dataclass
class SourceStatus:
    name: str
    provider: str
    mode: str
    as_of: str
    retrieved: str
    location: str
    notes: str


def source_statuses(report: ReportInput) -> list[SourceStatus]:
    """Each source with its data date (the cover lists them; the report's as-of is the newest)."""
    dates = source_dates(report.research, report.trends, report.financials)
    items: list[tuple[str, Provenance | None]] = [
        ("Company research", report.research.provenance),
        ("Market trends", report.trends.provenance),
        ("Financial statements", report.financials.provenance),
        ("Share prices", report.financials.price_provenance),
    ]
    out = []
    for name, prov in items:
        if prov is None:
            continue
        out.append(
            SourceStatus(
                name=name,
                provider=prov.provider,
                mode=prov.mode,
                as_of=fmt_date(dates.get(name) or prov.as_of),
                retrieved=fmt_date(prov.retrieved_at),
                location=prov.location or "",
                notes="; ".join(prov.notes),
            )
        )
    return out


def mode_summary(report: ReportInput) -> str:
    statuses = source_statuses(report)
    modes = {s.mode for s in statuses}
    if modes == {"offline"}:
        return "Offline (snapshot data)"
    if modes == {"live"}:
        return "Live (provider APIs)"
    live = ", ".join(s.name.lower() for s in statuses if s.mode == "live")
    return f"Mixed: live for {live}; snapshot for the rest"
