"""`python -m consultantos_assets.cli`: the `consultantos` command."""

from .main import run

run()
