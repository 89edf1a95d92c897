"""The Dagster layer: the only package that imports dagster.

`build_definitions` (defs/build.py) is loaded on first use: the instance imports this package's
storage classes (defs/dagster_internals.py) before any definitions, and that import must stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .build import COMPANY_MODULES, build_definitions

__all__ = ["COMPANY_MODULES", "build_definitions"]


def __getattr__(name: str):
    if name in __all__:
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
