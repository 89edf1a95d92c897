"""Dagster entry point (`dg dev`, or `dagster dev -m consultantos_assets.definitions`)."""

from consultantos_assets.defs import build_definitions

defs = build_definitions()
