"""Dagster entry point (`dagster dev -m consultantos_assets.definitions`)."""

from consultantos_assets.defs import build_definitions

defs = build_definitions()
