"""The workbook's evidence sheets: peers, search-interest trends, prices, framework points, sources and
what changed."""

from __future__ import annotations

from consultantos_assets.models import FORCE_LABELS

from .. import content
from ..formatting import NA
from .book import Book, excel_date


def peers_sheet(b: Book) -> None:
    r = b.report
    ws = b.sheet("Peers", [36, 16, 12, 12, 12, 12, 10, 10, 60])
    row = b.title(ws, "comparables", f"Latest fiscal year of each company, from its SEC facts; P/E and EV/EBITDA "
                                     f"at the last close. A comparison needs at least {content.MIN_PEERS} named "
                                     "peers with the figure.")
    rows = content.comparables(r)
    if not rows:
        b.s(ws, row, 0, f"Comparables: not available (no named peers for {r.ticker}).", "note")
        return
    keys = list(content.COMPARABLE_METRICS)
    units = {"USD": ("USD m", "usd"), "ratio": ("%", "pct"), "x": ("x", "multiple")}
    b.header(ws, row, ["Company", *[f"{content.COMPARABLE_METRICS[k][0]} ({units[content.COMPARABLE_METRICS[k][1]][0]})"
                                    for k in keys], "Basis"])
    for c in rows:
        row += 1
        b.s(ws, row, 0, c.label, "label")
        for j, k in enumerate(keys):
            b.num(ws, row, 1 + j, c.values.get(k), units[content.COMPARABLE_METRICS[k][1]][1])
        b.s(ws, row, 1 + len(keys), c.note)
    row += 1
    ranks = content.comparable_ranks(r)
    b.s(ws, row, 0, f"{r.ticker} rank", "label")
    for j, k in enumerate(keys):
        b.s(ws, row, 1 + j, ranks.get(k, "n/a"))
    row += 2
    b.header(ws, row, ["Peer", "Fiscal year", "SEC accessions"])
    for line in content.peer_accession_rows(r):
        row += 1
        b.s(ws, row, 0, line[0], "label")
        b.s(ws, row, 1, line[1])
        b.s(ws, row, 2, line[2])


def trends_sheet(b: Book) -> None:
    r = b.report
    ws = b.sheet("Trends", [30, 12, 12, 12, 12, 12, 12, 14, 24])
    row = b.title(ws, "search interest (Google Trends, weekly, 0-100 within each series)",
                  content.trends_headline(r))
    if not r.trends.series:
        b.s(ws, row, 0, "Search interest: not available for this company's keywords.", "note")
        return
    b.header(ws, row, ["Keyword", "Latest", "12-week mean", "52-week mean", "Momentum", "Year on year",
                       "Peak", "Peak date", "Evidence id"])
    for s in r.trends.series:
        row += 1
        b.s(ws, row, 0, s.keyword, "label")
        for j, (v, fmt) in enumerate(((s.latest, "int"), (s.mean_12w, "number"), (s.mean_52w, "number"),
                                      (s.momentum, "pct"), (s.change_yoy, "pct"), (s.peak_value, "int"))):
            b.num(ws, row, 1 + j, v, fmt)
        if s.peak_date:
            ws.write_datetime(row, 7, excel_date(s.peak_date), b.f["date"])
        b.s(ws, row, 8, s.evidence_id)
    row += 2
    b.s(ws, row, 0, "Weekly series", "section")
    row += 1
    b.header(ws, row, ["Week", *[s.keyword for s in r.trends.series]])
    dates = sorted({p.date for s in r.trends.series for p in s.points})
    by = [{p.date: p.value for p in s.points} for s in r.trends.series]
    for d in dates:
        row += 1
        ws.write_datetime(row, 0, excel_date(d), b.f["date"])
        for j, m in enumerate(by):
            if d in m:
                ws.write_number(row, 1 + j, m[d], b.f["int"])


def prices_sheet(b: Book) -> None:
    r = b.report
    p = r.financials.prices
    ws = b.sheet("Prices", [26, 16, 44])
    row = b.title(ws, "share price", "Weekly closes in USD per share.")
    if p is None:
        b.s(ws, row, 0, f"Share prices: not available for {r.ticker}.", "note")
        return
    b.header(ws, row, ["Statistic", "Value", "Note"])
    for label, v, fmt, note in (
        ("Last close", p.last_close, "price", p.last_date.isoformat()),
        ("52-week high", p.high_52w, "price", ""), ("52-week low", p.low_52w, "price", ""),
        ("1-year return", p.return_1y, "pct", "total price change"),
        ("3-year return", p.return_3y, "pct", "total price change"),
        ("Annualised volatility", p.volatility_annual, "pct", ""),
        ("Maximum drawdown", p.max_drawdown, "pct",
         f"{p.max_drawdown_peak or NA} to {p.max_drawdown_trough or NA}"),
        ("Market capitalisation (USD m)", p.market_cap, "usd", "last close x shares outstanding"),
        ("Daily observations", float(p.observations), "int",
         f"{p.first_date.isoformat()} to {p.last_date.isoformat()}"),
    ):
        row += 1
        b.s(ws, row, 0, label, "label")
        b.num(ws, row, 1, v, fmt)
        b.s(ws, row, 2, note)
    row += 2
    b.header(ws, row, ["Week", "Close (USD)"])
    for pt in sorted(p.series, key=lambda x: x.date):
        row += 1
        ws.write_datetime(row, 0, excel_date(pt.date), b.f["date"])
        ws.write_number(row, 1, pt.close, b.f["price"])


def frameworks_sheet(b: Book) -> None:
    r = b.report
    ws = b.sheet("Frameworks", [14, 24, 10, 90, 36, 12])
    row = b.title(ws, "framework points", "One row per point: the evidence ids it cites (see Sources) and its "
                                          "confidence (0-1).")
    b.header(ws, row, ["Framework", "Group", "Rating", "Point", "Evidence ids", "Confidence"])
    ws.freeze_panes(row + 1, 0)
    ratings = {FORCE_LABELS.get(f.name, f.name): f.rating for f in r.porter.forces}
    for g in content.point_groups(r):
        for pt in g.points:
            row += 1
            b.s(ws, row, 0, g.framework)
            b.s(ws, row, 1, g.group)
            if g.framework == "Porter" and g.group in ratings:
                ws.write_number(row, 2, ratings[g.group], b.f["rating"])
            b.s(ws, row, 3, pt.text, "wrap")
            b.s(ws, row, 4, " ".join(pt.evidence), "wrap")
            ws.write_number(row, 5, pt.confidence, b.f["conf"])
    row += 2
    b.s(ws, row, 0, "Ratings", "section")
    row += 1
    b.header(ws, row, ["Framework", "Item", "Rating", "Scale"])
    for force in r.porter.forces:
        row += 1
        b.s(ws, row, 0, "Porter")
        b.s(ws, row, 1, FORCE_LABELS.get(force.name, force.name))
        ws.write_number(row, 2, force.rating, b.f["rating"])
        b.s(ws, row, 3, "1 weak - 5 strong")
    row += 1
    b.s(ws, row, 0, "Porter")
    b.s(ws, row, 1, "Overall intensity")
    ws.write_number(row, 2, r.porter.overall_intensity, b.f["rating"])
    b.s(ws, row, 3, "1-5")
    if r.blue_ocean.canvas:
        row += 2
        b.header(ws, row, ["Strategy canvas", "Factor", r.ticker, "Evidence ids", "Industry"])
        for c in r.blue_ocean.canvas:
            row += 1
            b.s(ws, row, 0, "Blue Ocean")
            b.s(ws, row, 1, c.factor)
            ws.write_number(row, 2, c.company, b.f["rating"])
            b.s(ws, row, 3, " ".join(c.evidence), "wrap")
            ws.write_number(row, 4, c.industry, b.f["rating"])
    row += 2
    b.header(ws, row, ["Framework", "Analyst", "Confidence"])
    for label, analyst, conf in content.analyst_rows(r):
        row += 1
        b.s(ws, row, 0, label)
        b.s(ws, row, 1, analyst)
        b.s(ws, row, 2, conf)


def sources_sheet(b: Book) -> None:
    r = b.report
    ws = b.sheet("Sources", [30, 10, 30, 80, 16, 12, 26, 36, 12, 8])
    row = b.title(ws, "evidence", "Every citable fact: its id, the figure, where it comes from (SEC accession or "
                                  "URL) and its date.")
    b.header(ws, row, ["Evidence id", "Kind", "Label", "Fact", "Value", "Unit", "Source",
                       "Reference (accession or URL)", "Date", "Cited"])
    ws.freeze_panes(row + 1, 1)
    cited = set(content.cited_ids(r))
    for e in sorted(r.evidence, key=lambda e: e.id):
        row += 1
        b.s(ws, row, 0, e.id, "label")
        b.s(ws, row, 1, e.kind)
        b.s(ws, row, 2, e.label)
        b.s(ws, row, 3, e.text, "wrap")
        if e.value is not None:
            ws.write_number(row, 4, e.value, b.f["number"] if abs(e.value) < 1e6 else b.f["int"])
        b.s(ws, row, 5, e.unit or "")
        b.s(ws, row, 6, e.source)
        b.s(ws, row, 7, e.reference or "")
        if e.date:
            ws.write_datetime(row, 8, excel_date(e.date), b.f["date"])
        b.s(ws, row, 9, "yes" if e.id in cited else "no")
    for missing in sorted(cited - {e.id for e in r.evidence}):
        row += 1
        b.s(ws, row, 0, missing, "label")
        b.s(ws, row, 3, "cited but not found in the evidence set", "wrap")
        b.s(ws, row, 9, "yes")


def changes_sheet(b: Book) -> None:
    ch = content.changes(b.report)
    if ch is None:
        return
    ws = b.sheet("What changed", [40, 22, 22, 14])
    row = b.title(ws, content.SECTIONS["changes"].lower(),
                  f"Changes since the previous report of {ch.previous_as_of.isoformat()}.")
    if ch.empty:
        b.s(ws, row, 0, "No material changes.", "label")
        return
    for title, items in (("Figures", ch.values), ("Ratings and confidence", ch.ratings)):
        if not items:
            continue
        b.header(ws, row, [title, "Previous", "Current", "Change"])
        for item in items:
            row += 1
            for j, v in enumerate(item):
                b.s(ws, row, j, v)
        row += 2
    for title, pairs in (("Points added", ch.added), ("Points removed", ch.removed)):
        if not pairs:
            continue
        b.header(ws, row, [title, "Point"])
        for where, point in pairs:
            row += 1
            b.s(ws, row, 0, where)
            b.s(ws, row, 1, point)
        row += 2
