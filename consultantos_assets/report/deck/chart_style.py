"""How every native chart in the deck looks: fonts and legend, series colours, the value axis and the
date axis's steps."""

from __future__ import annotations

from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_LEGEND_POSITION
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Pt

from ..office import SERIES
from .layout import rgb


def style_chart(chart, legend: bool = True, size: float = 11) -> None:
    chart.font.size = Pt(size)
    chart.font.color.rgb = rgb("INK")
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False


def colour_series(chart, line: bool = False) -> None:
    for i, series in enumerate(chart.plots[0].series):
        colour = RGBColor.from_string(SERIES[i % len(SERIES)])
        if line:
            series.format.line.color.rgb = colour
            series.format.line.width = Pt(2.25)
            series.smooth = False
        else:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = colour


def value_axis(chart, number_format: str, title: str = "") -> None:
    ax = chart.value_axis
    ax.has_major_gridlines = True
    ax.major_gridlines.format.line.color.rgb = rgb("RULE")
    ax.format.line.fill.background()
    ax.tick_labels.number_format = number_format
    ax.tick_labels.number_format_is_linked = False
    ax.tick_labels.font.color.rgb = rgb("SLATE")
    if title:
        ax.has_title = True
        ax.axis_title.text_frame.text = title
        ax.axis_title.text_frame.paragraphs[0].runs[0].font.size = Pt(10)
        ax.axis_title.text_frame.paragraphs[0].runs[0].font.bold = False


def date_axis_step(axis, months: int) -> None:
    """Label a date axis every `months` months (python-pptx has no setter for c:majorUnit on a date axis)."""
    el = axis._element
    for tag in ("c:majorUnit", "c:majorTimeUnit"):
        for old in el.findall(qn(tag)):
            el.remove(old)
    unit, time_unit = OxmlElement("c:majorUnit"), OxmlElement("c:majorTimeUnit")
    unit.set("val", str(months))
    time_unit.set("val", "months")
    # schema order of c:dateAx: ... c:lblOffset, c:baseTimeUnit, c:majorUnit, c:majorTimeUnit, c:minorUnit ...
    anchor = el.find(qn("c:baseTimeUnit")) if el.find(qn("c:baseTimeUnit")) is not None else el.find(qn("c:lblOffset"))
    if anchor is None:
        el.append(unit)
    else:
        anchor.addnext(unit)
    unit.addnext(time_unit)
