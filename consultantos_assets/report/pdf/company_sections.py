"""The PDF sections about the company's own figures: executive summary, KPI dashboard, financials,
market trends and comparables."""

from __future__ import annotations

from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from consultantos_assets.models import PESTEL_FACTORS, ReportInput

from .. import charts, content
from ..formatting import fmt_conf, fmt_num
from ..markup import esc
from ..theme import FRAME_H, FRAME_W, Palette, Styles
from .flowables import callout, caption, chart_block, data_table, markup, para, points_list, table_from


def summary(r: ReportInput) -> list[Flowable]:
    syn = r.synthesis
    out: list[Flowable] = []
    paras = [p.strip() for p in syn.executive_summary.replace("\r", "").split("\n\n") if p.strip()]
    for i, p in enumerate(paras or ["No executive summary was produced."]):
        out.append(para(p, Styles.lead if i == 0 else Styles.body))
    out.append(
        markup(
            f"Overall confidence <b>{fmt_conf(syn.confidence)}</b> &nbsp;·&nbsp; "
            f"analyst {esc(syn.analyst)}",
            Styles.small,
        )
    )
    out.append(Spacer(1, 6))
    out.append(markup("Key findings", Styles.h2))
    out += points_list(syn.key_findings, empty="No key findings.")
    out.append(markup("Recommendations", Styles.h2))
    out += points_list(syn.recommendations, numbered=True, empty="No recommendations.")
    glance = content.kpis(r)[:4]
    if glance:
        out.append(Spacer(1, 8))
        out.append(KeepTogether([markup("At a glance", Styles.h2), _kpi_grid(glance)]))
    if not r.financials.has_statements:
        out.append(callout(content.missing_financials_message(r) + "."))
    return out


def _kpi_grid(kpis: list[content.Kpi]) -> Table:
    per_row = 4
    cw = FRAME_W / per_row
    cells = []
    for k in kpis:
        cells.append(
            [
                markup(esc(k.label.upper()), Styles.kpi_label),
                para(k.value, Styles.kpi_value),
                para(k.note, Styles.kpi_note, 80),
            ]
        )
    while len(cells) % per_row:
        cells.append("")
    rows = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
    t = Table(rows, colWidths=[cw] * per_row, hAlign="LEFT")
    cmds = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
        ("LEFTPADDING", (0, 0), (-1, -1), 9),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
    ]
    for i in range(len(kpis)):
        rr, cc = divmod(i, per_row)
        cmds.append(("LINEBEFORE", (cc, rr), (cc, rr), 2.2, Palette.TEAL))
        cmds.append(("BACKGROUND", (cc, rr), (cc, rr), Palette.PANEL))
    for rr in range(len(rows)):
        cmds.append(("LINEBELOW", (0, rr), (-1, rr), 6, Palette.WHITE))
    t.setStyle(TableStyle(cmds))
    return t


def dashboard(r: ReportInput) -> list[Flowable]:
    out: list[Flowable] = []
    if not r.financials.has_statements:
        out.append(callout(content.missing_financials_message(r) + "."))
    out.append(_kpi_grid(content.kpis(r)))
    out.append(Spacer(1, 10))
    out += chart_block(
        charts.confidence_chart(r, FRAME_W, 20 + 18 * max(1, len(r.synthesis.confidence_breakdown))),
        "Data coverage per evidence family",
        "How much of each evidence family the sources hold, discounted for age (0-100%): one factor of each "
        "framework's confidence, which rests first on the strength of the evidence each point cites.",
    )
    frameworks = [
        ["Porter's five forces", f"overall intensity {fmt_num(r.porter.overall_intensity)} / 5",
         fmt_conf(r.porter.confidence)],
        ["SWOT", f"{len(r.swot.strengths)} S, {len(r.swot.weaknesses)} W, {len(r.swot.opportunities)} O, "
         f"{len(r.swot.threats)} T", fmt_conf(r.swot.confidence)],
        ["PESTEL", f"{sum(len(getattr(r.pestel, f)) for f in PESTEL_FACTORS)} points across 6 factors",
         fmt_conf(r.pestel.confidence)],
        ["Blue Ocean", f"{len(r.blue_ocean.canvas)} canvas factors", fmt_conf(r.blue_ocean.confidence)],
    ]
    out.append(markup("Framework overview", Styles.h3))
    out.append(data_table(["Framework", "Result", "Confidence"], frameworks,
                          [FRAME_W * 0.3, FRAME_W * 0.5, FRAME_W * 0.2], numeric_from=2))
    return out


def financials(r: ReportInput) -> list[Flowable]:
    fin = r.financials
    out: list[Flowable] = []
    if not fin.has_statements:
        out.append(callout(content.missing_financials_message(r) + "."))
        if fin.gaps:
            out.append(markup("What could not be found", Styles.h3))
            out += [Paragraph(esc(g, 600), Styles.point, bulletText="\u2022") for g in fin.gaps]
    else:
        out.append(markup("Multi-year financial statements", Styles.h2))
        out.append(table_from(content.financial_table(r), FRAME_W * 0.28))
        out.append(caption(
            f"Source: SEC XBRL company facts ({fin.provenance.provider}). Values as reported, the newest filing "
            f"for each period; {content.share_basis_note(r)} Evidence ids take the form [fin:<metric>:FY<year>]."
        ))
        out.append(table_from(content.ratio_table(r), FRAME_W * 0.28))
        lq = content.latest_quarter_table(r)
        if lq is not None:
            out.append(Spacer(1, 8))
            out.append(KeepTogether([markup("Latest quarter and trailing twelve months", Styles.h3),
                                     table_from(lq, FRAME_W * 0.28),
                                     caption("Quarter: three months from the 10-Q, against the same quarter a "
                                             "year earlier. TTM: latest fiscal year + year to date - the same "
                                             "span a year earlier.")]))
        cf = content.cash_flow_table(r)
        if cf is not None:
            out.append(KeepTogether([markup("Cash flow and capital", Styles.h2), table_from(cf, FRAME_W * 0.28),
                                     caption("Free cash flow = operating cash flow - capital expenditure; EBITDA = "
                                             "operating income + depreciation and amortisation; net cash = cash "
                                             "and marketable securities - total debt. Each value keeps its SEC "
                                             "concept and accession (evidence ids fin:<metric>:FY<year>).")]))
        mt = content.multiples_table(r)
        out.append(KeepTogether([markup("Valuation multiples", Styles.h3),
                                 data_table(mt.header, mt.rows, [FRAME_W * 0.3, FRAME_W * 0.12, FRAME_W * 0.58],
                                            numeric_cols={1}),
                                 caption("Computed from the last close and the SEC figures filed by then; "
                                         "EV = market cap + total debt - cash and marketable securities.")]))
        out += comparables(r)
        out.append(Spacer(1, 8))
        out += chart_block(
            charts.revenue_income_chart(r, FRAME_W),
            "Revenue and net income",
            "Fiscal years as reported in 10-K filings; bars labelled in the axis unit.",
        )
        out += chart_block(
            charts.margin_chart(r, FRAME_W),
            "Margin trends",
            "Gross, operating and net income as a share of revenue.",
        )
    if fin.prices is not None:
        out.append(CondPageBreak(FRAME_H * 0.55))
        out.append(markup("Share price", Styles.h2))
        pt = content.price_table(r)
        if pt is not None:
            out.append(data_table(pt.header, pt.rows, [FRAME_W * 0.32, FRAME_W * 0.68]))
        out.append(Spacer(1, 6))
        prov = fin.price_provenance.provider if fin.price_provenance else "price provider"
        price, dd = charts.price_chart(r, FRAME_W), charts.drawdown_chart(r, FRAME_W, 100)
        if price is None:
            out.append(para("Not enough price history to chart.", Styles.small))
        else:
            block: list[Flowable] = [markup("Weekly closing price and drawdown", Styles.h3), price]
            if dd is not None:
                block += [Spacer(1, 4), dd]
            block.append(caption(f"Weekly closes (source: {prov}); lower panel: decline of the close from its "
                                 "running peak over the same window."))
            out.append(KeepTogether(block))
    else:
        out.append(para(f"No share-price history is available for {r.ticker}.", Styles.small))
    return out


def trends(r: ReportInput) -> list[Flowable]:
    t = r.trends
    out: list[Flowable] = []
    out += chart_block(
        charts.trends_chart(r, FRAME_W),
        "Search interest over time",
        f"Weekly Google Trends interest, each series scaled 0-100 within itself; source: {t.provenance.provider}.",
    )
    if t.series:
        out.append(markup("Momentum by keyword", Styles.h3))
        data = content.trend_table(r)
        w0 = FRAME_W * 0.22
        rest = FRAME_W - w0
        widths = [w0] + [rest * f for f in (0.11, 0.14, 0.14, 0.16, 0.13, 0.32)]
        out.append(data_table(data.header, data.rows, widths, numeric_from=1))
        out.append(caption("Momentum = 12-week mean / 52-week mean - 1. YoY = last 12 weeks vs the same weeks a "
                           "year earlier. Evidence ids: [trend:<keyword>]."))
    if t.missing:
        out.append(para("No data for: " + ", ".join(t.missing), Styles.small, 1000))
    return out


def comparables(r: ReportInput) -> list[Flowable]:
    """The company beside its named peers, the median and its rank; or why there is no comparison."""
    ct = content.comparables_table(r)
    head = [Spacer(1, 8), markup("Comparables", Styles.h2)]
    if ct is None:
        return head + [para(f"No named peers for {r.ticker}, so no figure in this report is compared with peers. "
                            f"Pin peers with `consultantos peers {r.ticker} --set A,B,C`.", Styles.small)]
    widths = [FRAME_W * 0.28] + [FRAME_W * 0.72 / (len(ct.header) - 1)] * (len(ct.header) - 1)
    gaps = [para(g, Styles.small) for g in (r.peers.method, *content.peer_gaps(r))] if r.peers else []
    return [Spacer(1, 8), KeepTogether([
        markup("Comparables", Styles.h2),
        data_table(ct.header, ct.rows, widths, numeric_cols=set(range(1, len(ct.header))), small=True),
        caption(f"Latest fiscal year of each company from its SEC facts (growth on the year before; FCF = operating "
                f"cash flow - capex); P/E and EV/EBITDA at each company's last close. Peer median: "
                f"{content.comparables_basis(r)}; a column has a median only where at least {content.MIN_PEERS} "
                "named peers report it. Rank: 1 = highest (for multiples, 1 = cheapest)."),
    ])] + gaps
