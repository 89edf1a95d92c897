"""The deck's slide geometry: 16:9 page, margins, body area, and how much a slide holds."""

from __future__ import annotations

from pptx.util import Inches

W, H = Inches(13.333), Inches(7.5)
MX = Inches(0.55)  # side margin
TOP = Inches(1.35)  # below the title bar
BODY_W = W - 2 * MX
BODY_H = Inches(5.55)
POINT_LEN = 260  # characters of one point on a slide (the PDF and workbook hold the full text)
ROWS_PER_SLIDE = 12
ROW_H = Inches(0.3)
