"""The PDF sections that keep the record: what changed since the previous report, the sources cited and
the methodology."""

from __future__ import annotations

from reportlab.platypus import (
    Flowable,
    Spacer,
)

from consultantos_assets.models import ReportInput

from .. import content
from ..formatting import fmt_date
from ..theme import FRAME_W, Styles
from .flowables import data_table, markup, para


def changes(r: ReportInput) -> list[Flowable]:
    ch = content.changes(r)
    if ch is None:
        return []
    out: list[Flowable] = []
    if ch.empty:
        out.append(para(f"No material changes since the report of {fmt_date(ch.previous_as_of)}.", Styles.body))
        return out
    widths = [FRAME_W * 0.40, FRAME_W * 0.2, FRAME_W * 0.2, FRAME_W * 0.2]
    if ch.values:
        out.append(markup("Figures", Styles.h2))
        out.append(data_table(["Item", "Previous", "Current", "Change"], ch.values, widths, numeric_from=1))
    if ch.ratings:
        out.append(markup("Ratings and confidence", Styles.h2))
        out.append(data_table(["Item", "Previous", "Current", "Change"], ch.ratings, widths, numeric_from=1))
    for title, items in (("Points added", ch.added), ("Points removed", ch.removed)):
        if items:
            out.append(markup(title, Styles.h2))
            out.append(data_table(["Where", "Point"], [[a, b] for a, b in items],
                                  [FRAME_W * 0.28, FRAME_W * 0.72]))
    return out


def sources(r: ReportInput) -> list[Flowable]:
    rows = content.source_rows(r)
    out: list[Flowable] = []
    uncited = len({e.id for e in r.evidence} - {row.id for row in rows})
    out.append(para(
        f"{len(rows)} evidence items are cited in this report"
        + (f"; {uncited} further items were collected but not cited." if uncited else "."),
        Styles.small,
    ))
    out.append(Spacer(1, 6))
    if rows:
        out.append(data_table(
            ["Evidence id", "Fact", "Source", "Reference", "Date"],
            [[s.id, s.text, s.source, s.reference, s.date] for s in rows],
            [FRAME_W * 0.25, FRAME_W * 0.32, FRAME_W * 0.13, FRAME_W * 0.19, FRAME_W * 0.11],
            small=True,
        ))
    peer_rows = content.peer_accession_rows(r)
    if peer_rows:
        out.append(markup("Named peers and the filings behind their figures", Styles.h3))
        out.append(data_table(["Peer", "Period", "SEC accessions"], peer_rows,
                              [FRAME_W * 0.3, FRAME_W * 0.22, FRAME_W * 0.48], small=True))
    return out


def methodology(r: ReportInput) -> list[Flowable]:
    out: list[Flowable] = [para(content.METHODOLOGY_TEXT, Styles.body), para(content.CONFIDENCE_TEXT, Styles.body)]
    out.append(markup("Data sources", Styles.h2))
    statuses = content.source_statuses(r)
    out.append(data_table(
        ["Source", "Provider", "Mode", "Data as of", "Retrieved", "Location / notes"],
        [[s.name, s.provider, s.mode, s.as_of, s.retrieved, "; ".join(x for x in (s.location, s.notes) if x)]
         for s in statuses],
        [FRAME_W * f for f in (0.17, 0.14, 0.09, 0.13, 0.17, 0.30)],
        small=True,
    ))
    out.append(markup("Analysts", Styles.h2))
    out.append(data_table(["Framework", "Analyst", "Confidence"], content.analyst_rows(r),
                          [FRAME_W * 0.3, FRAME_W * 0.5, FRAME_W * 0.2], numeric_from=2))
    out.append(markup("Asset versions", Styles.h2))
    vrows = content.version_rows(r)
    if vrows:
        out.append(data_table(["Asset", "Data version", "Provider"], vrows,
                              [FRAME_W * 0.35, FRAME_W * 0.35, FRAME_W * 0.3], small=True))
    else:
        out.append(para("No asset versions were recorded for this report.", Styles.small))
    return out
