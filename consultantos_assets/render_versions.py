"""Versions of the renderers' output (no I/O; outside the report package so that loading the
definitions does not import the renderers).

Bump RENDERER_VERSION when what the company report renders from the same inputs changes (layout,
sections, wording, exports), and PORTFOLIO_RENDERER_VERSION for the portfolio page and CSV: each is part
of its asset's Dagster code_version, so the UI marks exactly those assets as changed code.
"""

RENDERER_VERSION = "report-v4"  # v4: the PDF is laid out once; each contents row is one link
PORTFOLIO_RENDERER_VERSION = "portfolio-v1"
