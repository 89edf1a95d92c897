"""Vector charts drawn with reportlab.graphics, in the report palette.

Each function returns a ``Drawing`` sized to the width it is given, or ``None`` when there is
nothing to plot (the caller then says so in words).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.graphics.widgets.markers import makeMarker

from consultantos_assets.models import FORCE_LABELS, ReportInput

from .content import drawdown_series, fy_label, margin, report_years
from .formatting import axis_scale, nice_range
from .markup import BASE_FONT, BASE_FONT_BOLD, pick_font, plain
from .theme import Palette

AXIS_FONT_SIZE = 7
LABEL_COLOR = Palette.SLATE


def _style_axis_labels(axis, font: str = BASE_FONT) -> None:
    """Every axis's labels and line: the axis font and size, the label colour, a rule-coloured line."""
    axis.labels.fontName = font
    axis.labels.fontSize = AXIS_FONT_SIZE
    axis.labels.fillColor = LABEL_COLOR
    axis.strokeColor = Palette.RULE


def _style_value_axis(axis, lo: float, hi: float, step: float, fmt: Callable[[float], str]) -> None:
    axis.valueMin, axis.valueMax, axis.valueStep = lo, hi, step
    _style_axis_labels(axis)
    axis.labelTextFormat = fmt
    axis.strokeWidth = 0.5
    axis.visibleGrid = 1
    axis.gridStrokeColor = Palette.RULE
    axis.gridStrokeWidth = 0.4
    axis.visibleTicks = 0


def _style_category_axis(axis, names: list[str], font: str = BASE_FONT) -> None:
    axis.categoryNames = names
    _style_axis_labels(axis, font)
    axis.strokeWidth = 0.5
    axis.visibleTicks = 0


def _unit_label(d: Drawing, x: float, y: float, text: str) -> None:
    d.add(String(x, y, text, fontName=BASE_FONT_BOLD, fontSize=7, fillColor=LABEL_COLOR))


def _legend(d: Drawing, x: float, y: float, pairs: list[tuple[object, str]], font: str = BASE_FONT) -> None:
    lg = Legend()
    lg.x, lg.y = x, y
    lg.alignment = "right"
    lg.columnMaximum = 1
    lg.dx = lg.dy = 7
    lg.deltax = 10
    lg.dxTextSpace = 4
    lg.fontName = font
    lg.fontSize = 7.5
    lg.fillColor = Palette.INK
    lg.strokeWidth = 0
    lg.strokeColor = None
    lg.boxAnchor = "nw"
    # column widths grow with the text so long names do not overlap
    lg.colorNamePairs = pairs
    lg.variColumn = 1
    lg.autoXPadding = 14
    d.add(lg)


def _year_axis_fmt(v: float) -> str:
    return fy_label(int(round(v)))


def revenue_income_chart(report: ReportInput, width: float, height: float = 200) -> Drawing | None:
    fin = report.financials
    years = report_years(report)
    rev = [fin.value("revenue", y) for y in years]
    ni = [fin.value("net_income", y) for y in years]
    if not any(rev) and not any(ni):
        return None
    raw = [f.value for f in rev + ni if f is not None]
    div, unit = axis_scale(raw)
    rev_v = [f.value / div if f else 0 for f in rev]
    ni_v = [f.value / div if f else 0 for f in ni]
    lo, hi, step = nice_range(min(0.0, *rev_v, *ni_v), max(0.0, *rev_v, *ni_v))
    d = Drawing(width, height)
    bc = VerticalBarChart()
    bc.x, bc.y = 42, 26
    bc.width, bc.height = width - 52, height - 62
    bc.data = [rev_v, ni_v]
    bc.groupSpacing = 12
    bc.barSpacing = 2
    bc.barWidth = 10
    bc.strokeColor = None
    for i, colour in enumerate((Palette.NAVY, Palette.TEAL)):
        bc.bars[i].fillColor = colour
        bc.bars[i].strokeColor = None
    _style_value_axis(bc.valueAxis, lo, hi, step, lambda v: f"{v:,.0f}")
    _style_category_axis(bc.categoryAxis, [fy_label(y) for y in years])
    bc.barLabelFormat = lambda v: f"{v:,.1f}" if v else ""
    bc.barLabels.fontName = BASE_FONT
    bc.barLabels.fontSize = 6.5
    bc.barLabels.fillColor = Palette.SLATE
    bc.barLabels.nudge = 6
    d.add(bc)
    _unit_label(d, 4, height - 14, unit)
    _legend(d, width - 190, height - 6, [(Palette.NAVY, "Revenue"), (Palette.TEAL, "Net income")])
    return d


def margin_chart(report: ReportInput, width: float, height: float = 190) -> Drawing | None:
    years = report_years(report)
    series = []
    for metric, label, colour in (
        ("gross_profit", "Gross margin", Palette.NAVY),
        ("operating_income", "Operating margin", Palette.TEAL),
        ("net_income", "Net margin", Palette.SKY),
    ):
        pts = [(y, m * 100) for y in years if (m := margin(report, metric, y)) is not None]
        if pts:
            series.append((label, colour, pts))
    if not series:
        return None
    ys = [v for _, _, pts in series for _, v in pts]
    lo, hi, step = nice_range(min(0.0, *ys), max(ys))
    d = Drawing(width, height)
    lp = LinePlot()
    lp.x, lp.y = 42, 26
    lp.width, lp.height = width - 60, height - 62
    lp.data = [pts for _, _, pts in series]
    for i, (_, colour, _pts) in enumerate(series):
        lp.lines[i].strokeColor = colour
        lp.lines[i].strokeWidth = 1.8
        lp.lines[i].symbol = makeMarker("FilledCircle", size=4, fillColor=colour, strokeColor=colour)
    _style_value_axis(lp.yValueAxis, lo, hi, step, lambda v: f"{v:.0f}%")
    x = lp.xValueAxis
    span = (min(years), max(years)) if len(years) > 1 else (years[0] - 1, years[0] + 1)
    x.valueMin, x.valueMax = span[0] - 0.3, span[1] + 0.3
    x.valueSteps = list(range(span[0], span[1] + 1))
    x.labelTextFormat = _year_axis_fmt
    _style_axis_labels(x)
    x.visibleTicks = 0
    d.add(lp)
    _unit_label(d, 4, height - 14, "% of revenue")
    _legend(d, width - 300, height - 6, [(c, label) for label, c, _ in series])
    return d


def _date_steps(start: dt.date, end: dt.date) -> tuple[list[int], Callable[[float], str]]:
    """Tick positions (date ordinals) at year or quarter starts, with a label formatter."""
    days = (end - start).days
    ticks: list[int] = []
    if days > 3 * 365:
        ticks = [dt.date(y, 1, 1).toordinal() for y in range(start.year + 1, end.year + 1)]
        return ticks, lambda v: str(dt.date.fromordinal(int(v)).year)
    y, m = start.year, ((start.month - 1) // 3) * 3 + 1
    while True:
        m += 3
        if m > 12:
            y, m = y + 1, m - 12
        d = dt.date(y, m, 1)
        if d > end:
            break
        ticks.append(d.toordinal())
    if len(ticks) > 8:
        ticks = ticks[::2]
    return ticks, lambda v: dt.date.fromordinal(int(v)).strftime("%b %Y")


def _date_plot(
    width: float,
    height: float,
    series: Sequence[tuple[str, object, list[tuple[dt.date, float]]]],
    y_fmt: Callable[[float], str],
    y_range: tuple[float, float, float] | None = None,
    fill: bool = False,
) -> LinePlot:
    all_pts = [p for _, _, pts in series for p in pts]
    start = min(p[0] for p in all_pts)
    end = max(p[0] for p in all_pts)
    if start == end:
        start, end = start - dt.timedelta(days=7), end + dt.timedelta(days=7)
    ys = [p[1] for p in all_pts]
    lo, hi, step = y_range or nice_range(min(ys), max(ys))
    lp = LinePlot()
    lp.x, lp.y = 42, 22
    lp.width, lp.height = width - 56, height - 50
    lp.data = [[(d.toordinal(), v) for d, v in pts] for _, _, pts in series]
    for i, (_, colour, _pts) in enumerate(series):
        lp.lines[i].strokeColor = colour
        lp.lines[i].strokeWidth = 1.3
        if fill:
            lp.lines[i].inFill = 1
            lp.lines[i].fillColor = colour
    _style_value_axis(lp.yValueAxis, lo, hi, step, y_fmt)
    x = lp.xValueAxis
    x.valueMin, x.valueMax = start.toordinal(), end.toordinal()
    ticks, fmt = _date_steps(start, end)
    x.valueSteps = ticks or [start.toordinal(), end.toordinal()]
    x.labelTextFormat = fmt
    _style_axis_labels(x)
    x.visibleTicks = 1
    x.tickDown = 2
    x.tickUp = 0
    return lp


def price_chart(report: ReportInput, width: float, height: float = 170) -> Drawing | None:
    p = report.financials.prices
    if p is None or len(p.series) < 2:
        return None
    pts = [(pt.date, pt.close) for pt in sorted(p.series, key=lambda x: x.date)]
    d = Drawing(width, height)
    lp = _date_plot(width, height, [("Close", Palette.NAVY, pts)], lambda v: f"{v:,.0f}")
    d.add(lp)
    _unit_label(d, 4, height - 12, "Close, $ per share (weekly)")
    return d


def drawdown_chart(report: ReportInput, width: float, height: float = 120) -> Drawing | None:
    dd = drawdown_series(report)
    if len(dd) < 2:
        return None
    pts = [(d, v * 100) for d, v in dd]
    low = min(v for _, v in pts)
    lo, _hi, step = nice_range(min(low, -1.0), 0.0, ticks=3)
    d = Drawing(width, height)
    lp = _date_plot(width, height, [("Drawdown", Palette.TEAL, pts)], lambda v: f"{v:.0f}%", (lo, 0.0, step))
    lp.lines[0].strokeWidth = 1.0
    # shade the area between zero and the drawdown line ("under water")
    x0, x1 = lp.xValueAxis.valueMin, lp.xValueAxis.valueMax
    span = (x1 - x0) or 1.0

    def to_xy(day: dt.date, v: float) -> tuple[float, float]:
        return lp.x + (day.toordinal() - x0) / span * lp.width, lp.y + (v - lo) / (0.0 - lo) * lp.height

    outline = [to_xy(pts[0][0], 0.0), *(to_xy(day, v) for day, v in pts), to_xy(pts[-1][0], 0.0)]
    d.add(Polygon([c for xy in outline for c in xy], fillColor=Palette.TEAL_PALE, strokeColor=None))
    d.add(lp)
    _unit_label(d, 4, height - 12, "Drawdown from running peak, %")
    return d


def trends_chart(report: ReportInput, width: float, height: float = 200) -> Drawing | None:
    series = [s for s in report.trends.series if len(s.points) >= 2][: len(Palette.SERIES)]
    if not series:
        return None
    font = pick_font([s.keyword for s in series])
    data = [
        (plain(s.keyword, font, 28), Palette.SERIES[i], [(pt.date, pt.value) for pt in sorted(s.points, key=lambda x: x.date)])
        for i, s in enumerate(series)
    ]
    d = Drawing(width, height)
    lp = _date_plot(width, height - 14, data, lambda v: f"{v:.0f}", (0.0, 100.0, 25.0))
    for i in range(len(data)):
        lp.lines[i].strokeWidth = 1.1
    d.add(lp)
    _unit_label(d, 4, height - 26, "Search interest (0-100)")
    _legend(d, 42, height - 2, [(c, name) for name, c, _ in data], font=font)
    return d


def porter_chart(report: ReportInput, width: float, height: float = 150) -> Drawing | None:
    forces = list(report.porter.forces)
    if not forces:
        return None
    forces = list(reversed(forces))  # first force on top
    d = Drawing(width, height)
    bc = HorizontalBarChart()
    bc.x, bc.y = 130, 36
    bc.width, bc.height = width - 165, height - 44
    bc.data = [[f.rating for f in forces]]
    bc.barSpacing = 0
    bc.groupSpacing = 8
    bc.strokeColor = None
    bc.bars[0].strokeColor = None
    for i, f in enumerate(forces):
        colour = Palette.RED if f.rating >= 4 else (Palette.AMBER if f.rating >= 3 else Palette.TEAL)
        bc.bars[(0, i)].fillColor = colour
    _style_value_axis(bc.valueAxis, 0, 5, 1, lambda v: f"{v:.0f}")
    _style_category_axis(bc.categoryAxis, [FORCE_LABELS.get(f.name, f.name) for f in forces])
    bc.categoryAxis.labels.fontSize = 8
    bc.categoryAxis.labels.fillColor = Palette.INK
    bc.categoryAxis.labels.boxAnchor = "e"
    bc.categoryAxis.labels.dx = -6
    bc.barLabelFormat = lambda v: f"{v:.1f}"
    bc.barLabels.fontName = BASE_FONT_BOLD
    bc.barLabels.fontSize = 7.5
    bc.barLabels.fillColor = Palette.INK
    bc.barLabels.boxAnchor = "w"
    bc.barLabels.dx = 4
    d.add(bc)
    d.add(String(bc.x, 4, "Force strength: 1 = weak, 5 = strong", fontName=BASE_FONT, fontSize=7,
                 fillColor=LABEL_COLOR))
    # legend swatches for the colour bands
    x = width - 200
    for colour, text in ((Palette.TEAL, "low"), (Palette.AMBER, "moderate"), (Palette.RED, "high")):
        d.add(Rect(x, 3, 7, 7, fillColor=colour, strokeColor=None))
        d.add(String(x + 10, 4, text, fontName=BASE_FONT, fontSize=7, fillColor=LABEL_COLOR))
        x += 58
    return d


def canvas_chart(report: ReportInput, width: float, height: float = 210) -> Drawing | None:
    canvas = list(report.blue_ocean.canvas)
    if not canvas:
        return None
    font = pick_font([c.factor for c in canvas])
    names = [plain(c.factor, font, 22) for c in canvas]
    d = Drawing(width, height)
    lc = HorizontalLineChart()
    rotate = len(canvas) > 6 or max(len(n) for n in names) * len(canvas) > 110
    bottom = 62 if rotate else 30
    lc.x, lc.y = 36, bottom
    lc.width, lc.height = width - 50, height - bottom - 28
    lc.data = [[c.company for c in canvas], [c.industry for c in canvas]]
    lc.joinedLines = 1
    for i, colour in enumerate((Palette.TEAL, Palette.SLATE)):
        lc.lines[i].strokeColor = colour
        lc.lines[i].strokeWidth = 2.0 if i == 0 else 1.4
        lc.lines[i].symbol = makeMarker("FilledCircle", size=5, fillColor=colour, strokeColor=colour)
    lc.lines[1].strokeDashArray = [3, 2]
    _style_value_axis(lc.valueAxis, 0, 10, 2, lambda v: f"{v:.0f}")
    _style_category_axis(lc.categoryAxis, names, font)
    if rotate:
        lc.categoryAxis.labels.angle = 35
        lc.categoryAxis.labels.boxAnchor = "ne"
        lc.categoryAxis.labels.dy = -2
    d.add(lc)
    _unit_label(d, 4, height - 14, "Offering level (0-10)")
    company = plain(report.ticker, BASE_FONT, 12)
    _legend(d, width - 220, height - 6, [(Palette.TEAL, company), (Palette.SLATE, "Peers / prior")])
    return d


def confidence_chart(report: ReportInput, width: float, height: float = 120) -> Drawing | None:
    items = sorted(report.synthesis.confidence_breakdown.items())
    if not items:
        return None
    font = pick_font([k for k, _ in items])
    names = [plain(k.replace("_", " ").capitalize(), font, 24) for k, _ in items]
    d = Drawing(width, height)
    bc = HorizontalBarChart()
    bc.x, bc.y = 120, 18
    bc.width, bc.height = width - 150, height - 26
    bc.data = [[max(0.0, min(1.0, v)) * 100 for _, v in items]]
    bc.bars[0].fillColor = Palette.TEAL
    bc.bars[0].strokeColor = None
    bc.groupSpacing = 6
    _style_value_axis(bc.valueAxis, 0, 100, 25, lambda v: f"{v:.0f}%")
    _style_category_axis(bc.categoryAxis, names, font)
    bc.categoryAxis.labels.boxAnchor = "e"
    bc.categoryAxis.labels.dx = -6
    bc.categoryAxis.labels.fontSize = 7.5
    bc.categoryAxis.labels.fillColor = Palette.INK
    bc.barLabelFormat = lambda v: f"{v:.0f}%"
    bc.barLabels.fontName = BASE_FONT
    bc.barLabels.fontSize = 7
    bc.barLabels.boxAnchor = "w"
    bc.barLabels.dx = 3
    d.add(bc)
    return d


def confidence_meter(value: float, width: float = 150, height: float = 12) -> Drawing:
    """A thin horizontal meter, 0-1."""
    v = max(0.0, min(1.0, value))
    d = Drawing(width, height)
    d.add(Rect(0, 2, width, height - 4, fillColor=Palette.RULE, strokeColor=None))
    d.add(Rect(0, 2, width * v, height - 4, fillColor=Palette.TEAL, strokeColor=None))
    for t in (0.25, 0.5, 0.75):
        d.add(Line(width * t, 2, width * t, height - 2, strokeColor=Palette.WHITE, strokeWidth=0.8))
    return d
