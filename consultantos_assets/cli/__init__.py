"""`consultantos`: add companies, build reports, inspect stored values, list what exists.

    main.py      main (the commands) and run (the `consultantos` process; pyproject's console script)
    parser.py    the command line: each command's arguments
    report.py    `report`: what is stale, the runs that build it, where the outputs are
    progress.py  the report's progress lines, read from the run's event log
    commands.py  add, show, list, portfolio, search, peers, breakers
    instance.py  the Dagster instance, the companies asked for, the graph's asset order
    process.py   signals and garbage collection of the CLI process

It uses the same Dagster instance as the UI: DAGSTER_HOME, by default <storage root>/dagster.
"""

from .errors import CliError
from .instance import asset_order, ensure_instance_home, open_instance
from .main import main, run

__all__ = ["CliError", "asset_order", "ensure_instance_home", "main", "open_instance", "run"]
