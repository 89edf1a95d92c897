"""The portfolio page (one PDF page, landscape) and its CSV: one row per company (pure rendering; the
only I/O is writing the files asked for)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from ..models.portfolio import Portfolio, PortfolioRow
from .formatting import fmt_conf

SHORT = {"company_research": "research", "market_trends": "trends", "financials": "financials"}
CSV_COLUMNS = ["ticker", "company", "status", "research_age_h", "research_window_h", "trends_age_h",
               "trends_window_h", "financials_age_h", "financials_window_h", "stale_sources", "report_written_utc",
               "report_as_of", "confidence", "analyst", "fallbacks", "material_changes", "checks_failed",
               "checks", "report_path"]


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = max(0, int(seconds))
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= n:
            return f"{s // n}{unit}"
    return f"{s}s"


def _hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.1f}"


def source_cell(row: PortfolioRow, asset: str) -> str:
    s = next((x for x in row.sources if x.asset == asset), None)
    if s is None:
        return "-"
    if s.state == "missing":
        return "missing"
    return f"{age_text(s.age_s)} / {age_text(s.window_s)}" + (" STALE" if s.state == "stale" else "")


TABLE_KEYS = ["ticker", "status", "research", "trends", "financials", "report", "confidence", "analyst", "fallbacks",
              "what_changed", "checks"]
"""Machine names of table_rows' columns (the asset's table metadata)."""


def table_rows(p: Portfolio) -> tuple[list[str], list[list[str]]]:
    """Header and rows as text, shared by the CLI, the PDF and the asset's table metadata."""
    header = ["Ticker", "Status", "Research", "Trends", "Financials", "Report", "Conf.", "Analyst",
              "Fallbacks", "What changed", "Checks"]
    rows = []
    for r in p.rows:
        checks = (f"{len(r.failed_checks)} failed: {', '.join(r.failed_checks)}" if r.failed_checks else
                  (f"{sum(v == 'passed' for v in r.checks.values())}/{len(r.checks)} passed" if r.checks else "not run"))
        rows.append([
            r.ticker, r.status, *(source_cell(r, a) for a in SHORT),
            r.report_as_of.isoformat() if r.report_as_of else "-",
            fmt_conf(r.confidence) if r.confidence is not None else "-",
            r.analyst or "-", "; ".join(r.fallbacks) or "none",
            (f"{len(r.changes)}: {r.changes[0]}" if r.changes else "none"), checks,
        ])
    return header, rows


def status_summary(p: Portfolio) -> str:
    counts: dict[str, int] = {}
    for r in p.rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    changed = sum(1 for r in p.rows if r.changes)
    parts = [f"{n} {status}" for status, n in sorted(counts.items())]
    return ", ".join(parts + ([f"{changed} with material changes"] if changed else [])) or "no companies"


def portfolio_csv(p: Portfolio) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in p.rows:
        ages = {s.asset: s for s in r.sources}
        w.writerow([
            r.ticker, r.company or "", r.status,
            *[v for a in SHORT for v in (_hours(ages[a].age_s) if a in ages else "",
                                          _hours(ages[a].window_s) if a in ages else "")],
            " ".join(r.stale), r.report_at.strftime("%Y-%m-%d %H:%M") if r.report_at else "",
            r.report_as_of.isoformat() if r.report_as_of else "",
            "" if r.confidence is None else f"{r.confidence:.2f}", r.analyst or "", "; ".join(r.fallbacks),
            " | ".join(r.changes), " ".join(r.failed_checks),
            " ".join(f"{k}={v}" for k, v in sorted(r.checks.items())), r.report_path or "",
        ])
    return buf.getvalue()


def portfolio_pdf(p: Portfolio) -> bytes:
    """One landscape A4 page: the table, then a legend."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from .markup import esc
    from .pdf.flowables import data_table
    from .theme import Styles

    buf = io.BytesIO()
    size = landscape(A4)
    margin = 1.2 * cm
    doc = SimpleDocTemplate(buf, pagesize=size, leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=margin, title="ConsultantOS portfolio", author="ConsultantOS",
                            creator="ConsultantOS portfolio renderer", invariant=1)
    width = size[0] - 2 * margin
    header, rows = table_rows(p)
    fractions = [0.06, 0.07, 0.085, 0.085, 0.085, 0.07, 0.06, 0.09, 0.12, 0.17, 0.105]
    story = [
        Paragraph("Portfolio", Styles.h1),
        Paragraph(esc(f"{len(p.rows)} compan{'y' if len(p.rows) == 1 else 'ies'} as of "
                      f"{p.as_of.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}: {status_summary(p)}"),
                  Styles.headline),
        data_table(header, rows or [["-"] * len(header)], [f * width for f in fractions], small=True),
        Spacer(1, 8),
        Paragraph(esc("Source cells: age of the company's latest refresh / its freshness window (STALE past it). "
                      "Status: no report, check failed, stale (a source past its window) or fresh. What changed: "
                      "material changes of the last report against the one before, at the alert thresholds."),
                  Styles.small),
    ]
    doc.build(story)
    return buf.getvalue()
