"""The command line: each command's arguments and the function that runs it."""

from __future__ import annotations

import argparse

from .commands import cmd_add, cmd_breakers, cmd_list, cmd_peers, cmd_portfolio, cmd_search, cmd_show
from .report import cmd_report

DESCRIPTION = """`consultantos`: add companies, build reports, inspect stored values, list what exists.

It uses the same Dagster instance as the UI: DAGSTER_HOME, by default <storage root>/dagster.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="consultantos", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="validate tickers and add them as company partitions")
    add.add_argument("tickers", nargs="+")
    add.set_defaults(func=cmd_add)
    report = sub.add_parser("report", help="materialize what is not up to date for a company (everything the "
                            "first time); prints each export, then the PDF path last")
    report.add_argument("tickers", nargs="+", metavar="TICKER")
    report.add_argument("--jobs", type=int, default=1, help="with several tickers: build this many companies at "
                        "once, each in its own process (default 1: one after another in this process)")
    report.add_argument("--force", action="store_true", help="materialize the whole graph even if it is up to date")
    report.add_argument("--resume", action="store_true",
                        help="re-execute the company's last failed or interrupted run from its failure: steps "
                        "that succeeded are not run again (without a failed run, builds the whole report)")
    report.set_defaults(func=cmd_report)
    show = sub.add_parser("show", help="print an asset's stored value")
    show.add_argument("ticker")
    show.add_argument("asset", help="an asset of the company graph, e.g. financials, synthesis, report_pdf "
                      "(`consultantos list` shows them all)")
    show.add_argument("--json", action="store_true", help="the full value as JSON")
    show.set_defaults(func=cmd_show)
    listing = sub.add_parser("list", help="companies with the age of each asset")
    listing.set_defaults(func=cmd_list)
    search = sub.add_parser("search", help="search the research index: ranked chunks with ticker, source, date, "
                            "score")
    search.add_argument("query")
    search.add_argument("--ticker", help="only this company")
    search.add_argument("-k", type=int, default=10, help="number of hits (default 10)")
    search.add_argument("--mode", choices=["vector", "fts", "hybrid"], default="hybrid",
                        help="vector (cosine), fts (BM25 full text) or hybrid (reciprocal-rank fusion; default)")
    search.add_argument("--kind", action="append", help="only chunks of this kind (repeatable), e.g. "
                        "financial_fact, price_fact, framework_point, profile")
    search.add_argument("--since", help="only chunks dated on or after YYYY-MM-DD")
    search.add_argument("--until", help="only chunks dated on or before YYYY-MM-DD")
    search.set_defaults(func=cmd_search)
    portfolio = sub.add_parser("portfolio", help="one row per company: source ages against their windows, last "
                               "report, confidence, analyst, fallbacks, material changes, checks")
    portfolio.add_argument("--csv", action="store_true", help="print the CSV (every column) instead of the table")
    portfolio.set_defaults(func=cmd_portfolio)
    peers = sub.add_parser("peers", help="the company's named peers and why each was chosen; --set pins your own")
    peers.add_argument("ticker")
    group = peers.add_mutually_exclusive_group()
    group.add_argument("--set", metavar="A,B,C", help="pin these peers (comma separated tickers); every ticker "
                       "is checked first and a refused list changes nothing")
    group.add_argument("--clear", action="store_true", help="remove the peers pinned with --set")
    peers.set_defaults(func=cmd_peers)
    breakers = sub.add_parser("breakers", help="circuit breakers of the live services (shared by every run)")
    breakers.add_argument("--reset", metavar="SERVICE", help="close a service's breaker ('all' for every one)")
    breakers.set_defaults(func=cmd_breakers)
    return parser
