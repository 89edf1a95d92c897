"""The deck's slides about the company's own figures: title, summary, dashboard, revenue, margin and price
charts, cash flow, multiples and comparables."""

from __future__ import annotations

from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_TICK_LABEL_POSITION, XL_TICK_MARK
from pptx.enum.shapes import MSO_SHAPE
from pptx.util import Inches, Pt

from .. import content
from ..formatting import axis_scale, fmt_conf, fmt_usd
from .chart_style import colour_series, date_axis_step, style_chart, value_axis
from .geometry import BODY_W, MX, ROWS_PER_SLIDE, TOP, H, W
from .layout import Deck, add_run, box, fill_shape, not_available, note, points_box, rgb, table


def title_slide(d: Deck) -> None:
    r = d.report
    s = d.prs.slides.add_slide(d._blank)
    bg = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, W, H)
    fill_shape(bg, "NAVY")
    band = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, Inches(5.1), W, Inches(0.08))
    fill_shape(band, "TEAL")
    box(s, Inches(0.9), Inches(1.3), Inches(11.5), Inches(0.4), "STRATEGY REPORT", 14, "TEAL_LIGHT", bold=True)
    box(s, Inches(0.9), Inches(1.8), Inches(11.5), Inches(1.9), f"{d.name} ({r.ticker})",
        40 if len(d.name) < 40 else 28, "WHITE", bold=True, max_len=120)
    box(s, Inches(0.9), Inches(3.8), Inches(11.5), Inches(0.5),
        f"Report date {r.as_of.isoformat()} · overall confidence {fmt_conf(r.synthesis.confidence)}", 16, "WHITE")
    box(s, Inches(0.9), Inches(4.35), Inches(11.5), Inches(0.5), content.mode_summary(r), 13, "TEAL_LIGHT")
    tb = s.shapes.add_textbox(Inches(0.9), Inches(5.4), Inches(11.5), Inches(1.6))
    tf = tb.text_frame
    tf.word_wrap = True
    add_run(tf.paragraphs[0], "Data as of", 11, "TEAL_LIGHT", bold=True)
    for status in content.source_statuses(r):
        add_run(tf.add_paragraph(), f"{status.name}: {status.provider}, {status.mode}, {status.as_of}", 11, "WHITE", max_len=140)


def summary_slide(d: Deck) -> None:
    syn = d.report.synthesis
    s = d.slide(content.SECTIONS["summary"], "Synthesis",
                notes=syn.executive_summary)
    paras = [p.strip() for p in syn.executive_summary.replace("\r", "").split("\n\n") if p.strip()]
    lead = paras[0] if paras else "No executive summary was produced."
    box(s, MX, TOP, BODY_W, Inches(1.3), lead, 14, "NAVY", max_len=520)
    half = (BODY_W - Inches(0.4)) // 2
    points_box(s, MX, TOP + Inches(1.45), half, Inches(3.9), "Key findings", syn.key_findings, "NAVY", size=13,
               limit=3, empty="No key findings.")
    points_box(s, MX + half + Inches(0.4), TOP + Inches(1.45), half, Inches(3.9), "Recommendations",
               syn.recommendations, "TEAL", size=13, limit=3, empty="No recommendations.", numbered=True)


def dashboard_slide(d: Deck) -> None:
    r = d.report
    s = d.slide(content.SECTIONS["dashboard"], "At a glance",
                headline="" if r.financials.has_statements else content.missing_financials_message(r) + ".")
    kpis = content.kpis(r)  # the PDF's dashboard: the latest quarter and TTM first when newer than the 10-K
    per_row, gap = (4, Inches(0.25)) if len(kpis) <= 12 else (5, Inches(0.2))
    tile_w = (BODY_W - gap * (per_row - 1)) // per_row
    tile_h = Inches(1.5)
    y0 = TOP + (Inches(0.45) if not r.financials.has_statements else 0)
    for i, k in enumerate(kpis[:3 * per_row]):
        row, col = divmod(i, per_row)
        x, y = MX + col * (tile_w + gap), y0 + row * (tile_h + Inches(0.2))
        tile = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, tile_w, tile_h)
        fill_shape(tile, "PANEL")
        accent = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, Inches(0.07), tile_h)
        fill_shape(accent, "TEAL")
        box(s, x + Inches(0.2), y + Inches(0.1), tile_w - Inches(0.3), Inches(0.3), k.label.upper(),
            10 if per_row == 4 else 9, "SLATE", bold=True)
        box(s, x + Inches(0.2), y + Inches(0.4), tile_w - Inches(0.3), Inches(0.6), k.value, 26, "NAVY", bold=True)
        box(s, x + Inches(0.2), y + Inches(1.05), tile_w - Inches(0.3), Inches(0.35), k.note,
            10 if per_row == 4 else 9, "MUTED", max_len=60)


def revenue_chart_slide(d: Deck) -> None:
    r = d.report
    fin = r.financials
    s = d.slide("Revenue and net income", content.SECTIONS["financials"], content.financial_headline(r))
    years = content.report_years(r)
    facts = [(fin.value("revenue", y), fin.value("net_income", y)) for y in years]
    if not any(a or b for a, b in facts):
        not_available(s, "Revenue and net income", content.missing_financials_message(r) + ".", TOP + Inches(0.5))
        return
    div, unit = axis_scale([f.value for pair in facts for f in pair if f is not None])
    cd = CategoryChartData(number_format='#,##0.0')
    cd.categories = [content.fy_label(y) for y in years]
    cd.add_series("Revenue", [a.value / div if a else None for a, _ in facts])
    cd.add_series("Net income", [b.value / div if b else None for _, b in facts])
    chart = s.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, MX, TOP + Inches(0.45), BODY_W, Inches(4.9),
                               cd).chart
    style_chart(chart)
    colour_series(chart)
    value_axis(chart, '#,##0', unit)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = True
    plot.data_labels.number_format = '#,##0.0'
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.font.size = Pt(10)
    plot.data_labels.font.color.rgb = rgb("SLATE")
    note(s, f"Fiscal years as reported in SEC filings (10-K); amounts in {unit}. Chart data is editable in "
            "PowerPoint.")


def margin_chart_slide(d: Deck) -> None:
    r = d.report
    s = d.slide("Margins", content.SECTIONS["financials"])
    years = content.report_years(r)
    series = [(label, [content.margin(r, m, y) for y in years])
              for m, label in (("gross_profit", "Gross margin"), ("operating_income", "Operating margin"),
                               ("net_income", "Net margin"))]
    series = [(label, vals) for label, vals in series if any(v is not None for v in vals)]
    if not series:
        not_available(s, "Margins", "Revenue or profit figures are missing.", TOP + Inches(0.3))
        return
    cd = CategoryChartData(number_format='0.0%')
    cd.categories = [content.fy_label(y) for y in years]
    for label, vals in series:
        cd.add_series(label, vals)
    chart = s.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, MX, TOP, Inches(6.3), Inches(5.3), cd).chart
    style_chart(chart)
    colour_series(chart, line=True)
    value_axis(chart, '0%', "% of revenue")
    t = content.ratio_table(r)
    table(s, MX + Inches(6.5), TOP + Inches(0.3), BODY_W - Inches(6.5), t.header, t.rows,
          [1.9] + [1] * (len(t.header) - 1), size=10, row_h=Inches(0.4))


def price_chart_slide(d: Deck) -> None:
    r = d.report
    p = r.financials.prices
    s = d.slide("Share price", content.SECTIONS["financials"])
    if p is None or not p.series:
        not_available(s, "Share price", f"No share-price history for {r.ticker}.", TOP + Inches(0.3))
        return
    pts = sorted(p.series, key=lambda x: x.date)
    cd = CategoryChartData(number_format='#,##0.00')
    cd.categories = [pt.date for pt in pts]
    cd.add_series(f"{r.ticker} weekly close (USD)", [pt.close for pt in pts])
    chart = s.shapes.add_chart(XL_CHART_TYPE.LINE, MX, TOP, Inches(8.0), Inches(5.3), cd).chart
    style_chart(chart, legend=True)
    chart.has_title = False
    colour_series(chart, line=True)
    value_axis(chart, '#,##0', "USD per share")
    cat = chart.category_axis
    cat.tick_labels.number_format = 'mmm yyyy'
    cat.tick_labels.number_format_is_linked = False
    cat.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    cat.major_tick_mark = XL_TICK_MARK.NONE
    date_axis_step(cat, 6 if (pts[-1].date - pts[0].date).days > 730 else 3)
    pt_table = content.price_table(r)
    if pt_table is not None:
        table(s, MX + Inches(8.3), TOP + Inches(0.2), BODY_W - Inches(8.3), pt_table.header, pt_table.rows,
              [1.2, 1.5], size=9, row_h=Inches(0.45))


def cash_flow_slide(d: Deck) -> None:
    r = d.report
    s = d.slide("Cash flow and capital", content.SECTIONS["financials"],
                "Fiscal years from 10-K filings and the trailing twelve months (TTM); balances at each period end.")
    cf = content.cash_flow_table(r)
    if cf is None:
        not_available(s, "Cash flow and capital figures", "The financial statements hold none for this company.",
                      TOP + Inches(0.45))
        return
    table(s, MX, TOP + Inches(0.45), BODY_W, cf.header, cf.rows, [2.6] + [1] * (len(cf.header) - 1), size=10)


def multiples_slide(d: Deck) -> None:
    """The latest quarter with its TTM figure, then the valuation multiples: the PDF's tables, cell for cell."""
    r = d.report
    p = r.financials.prices
    cap = f"Market cap {fmt_usd(p.market_cap)}: {content.market_cap_note(r)}." if p and p.market_cap else ""
    s = d.slide("Latest quarter and valuation multiples", content.SECTIONS["financials"], cap)
    y = TOP + Inches(0.45)
    lq = content.latest_quarter_table(r)
    if lq is not None:
        table(s, MX, y, BODY_W, lq.header, lq.rows, [2.6, 1.2, 1.2, 1, 1.4], size=10, row_h=Inches(0.28))
        y += Inches(0.28) * (len(lq.rows) + 1) + Inches(0.25)
    mult = content.multiples_table(r)
    if not r.financials.has_statements or all(m.value is None for m in content.multiples_rows(r)):
        why = "; ".join(sorted({m.reason for m in content.multiples_rows(r) if m.reason}))[:200]
        not_available(s, "Valuation multiples", why[:1].upper() + why[1:] + "." if why else "", y)
        return
    table(s, MX, y, BODY_W, mult.header, mult.rows, [2.6, 0.9, 5.2], numeric_from=1, text_from=2, size=10,
          row_h=Inches(0.28))
    note(s, "Multiples are computed from the last close and the SEC figures filed by then; the workbook holds "
            "them as formulas over their inputs.")


def comparables_slide(d: Deck) -> None:
    r = d.report
    s = d.slide("Comparables", "Peers")
    rows = content.comparables(r)
    if not rows:
        not_available(s, "Comparables", f"No named peers for {r.ticker}: pin them with `consultantos peers "
                      f"{r.ticker} --set A,B,C`.")
        return
    keys = list(content.COMPARABLE_METRICS)
    header = ["Company", *[content.COMPARABLE_HEADINGS[k] for k in keys], "Basis"]
    ranks = content.comparable_ranks(r)
    body = [[c.label, *[content.fmt_comparable(c.values.get(k), k) for k in keys], c.note]
            for c in rows[:ROWS_PER_SLIDE - 1]]
    body.append([f"{r.ticker} rank", *[ranks.get(k, "n/a") for k in keys], ""])
    table(s, MX, TOP, BODY_W, header, body, [2.2, 1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.9, 2.6], size=9,
          row_h=Inches(0.36))
    note(s, f"Latest fiscal year of each company, from its SEC facts; P/E and EV/EBITDA at the last close. "
            f"{content.comparables_basis(r)[:1].upper()}{content.comparables_basis(r)[1:]}. A comparison needs at "
            f"least {content.MIN_PEERS} named peers with the figure.")
