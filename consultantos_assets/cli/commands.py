"""The commands besides `report`: add companies, show a stored value, list and compare companies, search
the index, pin peers, inspect circuit breakers."""

from __future__ import annotations

import argparse
import json
import re
import time
from datetime import UTC, datetime

from .errors import CliError
from .instance import asset_order, known_profiles, open_instance, validated_tickers

NO_COMPANIES = "No companies yet: `consultantos add AAPL` or `consultantos report AAPL`."
# `list`'s column heads, by asset (an asset not named here is headed by its name)
COLUMN_HEADS = {"company_profile": "profile", "company_research": "research", "market_trends": "trends", "peer_figures": "peer_figs",
                "research_index": "index", "porter_five_forces": "porter", "insight_index": "insights",
                "report_pdf": "report"}


def cmd_add(args: argparse.Namespace) -> int:
    from ..defs.partitions import add_companies

    tickers = validated_tickers(args.tickers)
    known_profiles(tickers)
    new = add_companies(open_instance(), tickers)
    for ticker in tickers:
        print(f"{ticker}: {'added' if ticker in new else 'already present'}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from ..defs.resources import stored_value

    [ticker] = validated_tickers([args.ticker])
    order = asset_order()
    if args.asset not in order:
        raise CliError(f"unknown asset {args.asset!r}; one of: {', '.join(order)}")
    value = stored_value(args.asset, ticker)  # from the configured profile's storage (files or bucket)
    if value is None:
        raise CliError(f"{args.asset} has not been materialized for {ticker}: run `consultantos report "
                       f"{ticker}` first")
    data = value.model_dump(mode="json", by_alias=True)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for key, val in data.items():
            text = json.dumps(val, ensure_ascii=False)
            print(f"{key}: {text[:150]}{'...' if len(text) > 150 else ''}")
    return 0


def _age(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    secs = max(0, int(time.time() - timestamp))
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= n:
            return f"{secs // n}{unit}"
    return f"{secs}s"


def cmd_list(args: argparse.Namespace) -> int:
    import dagster as dg

    from ..defs.partitions import companies

    instance = open_instance()
    tickers = sorted(instance.get_dynamic_partitions(companies.name))
    if not tickers:
        print(NO_COMPANIES)
        return 0
    order = asset_order()
    print("ticker  " + " ".join(f"{COLUMN_HEADS.get(a, a):>10}" for a in order))
    for ticker in tickers:
        cells = []
        for asset in order:
            found = instance.fetch_materializations(
                dg.AssetRecordsFilter(dg.AssetKey(asset), asset_partitions=[ticker]), limit=1)
            cells.append(_age(found.records[0].timestamp if found.records else None))
        print(f"{ticker:<7} " + " ".join(f"{c:>10}" for c in cells))
    print(f"(ages as of {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; '-' = never materialized)")
    return 0


def cmd_portfolio(args: argparse.Namespace) -> int:
    """Every company's freshness per source, last report, confidence, analyst, fallbacks, changes, checks."""
    from ..defs.portfolio import build_portfolio, company_check_keys
    from ..report.portfolio import portfolio_csv, table_rows

    value = build_portfolio(open_instance(), company_check_keys())
    if args.csv:
        print(portfolio_csv(value), end="")
        return 0
    if not value.rows:
        print(NO_COMPANIES)
        return 0
    header, rows = table_rows(value)
    cut = {"Analyst": 16, "Fallbacks": 28, "What changed": 48, "Checks": 34}
    cells = [[c if len(c) <= cut.get(h, 99) else c[:cut[h] - 3] + "..." for h, c in zip(header, r, strict=True)]
             for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    for line in [header, *cells]:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    print(f"(as of {value.as_of.strftime('%Y-%m-%d %H:%M UTC')}; source cells: age / freshness window; "
          "`--csv` for every column)")
    return 0


def _iso_date(value: str | None, flag: str) -> str | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date().isoformat()
    except ValueError as exc:
        raise CliError(f"{flag} {value!r} is not a date: use YYYY-MM-DD") from exc


def cmd_search(args: argparse.Namespace) -> int:
    from ..defs.resources import build_resources
    from ..index.embedders import EmbedderError

    if args.k < 1:
        raise CliError("-k must be at least 1")
    ticker = validated_tickers([args.ticker])[0] if args.ticker is not None else None
    since, until = _iso_date(args.since, "--since"), _iso_date(args.until, "--until")
    try:
        store = build_resources(resolve_env=True)["index"].store()
        if not store.exists():
            others = store.other_tables()
            hint = (f"; the index was built with {', '.join(e for _, e, _ in others)}: set CONSULTANTOS_EMBEDDER "
                    "to that embedder, or re-run `consultantos report TICKER` to index with this one") if others \
                else ": run `consultantos report TICKER` first"
            raise CliError(f"no research index for embedder {store.embedder.name} under {store.uri}{hint}")
        hits = store.search(args.query, ticker=ticker, k=args.k, mode=args.mode, kinds=args.kind,
                            date_from=since, date_to=until)
    except EmbedderError as exc:
        raise CliError(str(exc)) from exc
    score_name = {"vector": "cosine", "fts": "bm25", "hybrid": "rrf"}[args.mode]
    print(f"{len(hits)} hit(s) for {args.query!r} ({args.mode}, embedder {store.embedder.name}"
          f"{', ' + ticker if ticker else ''})")
    for rank, hit in enumerate(hits, 1):
        snippet = " ".join(hit.text.split())
        snippet = snippet[:220] + ("..." if len(snippet) > 220 else "")
        print(f"{rank:>2}. {hit.ticker:<6} {hit.kind:<16} {hit.date.isoformat() if hit.date else '-':<10}  "
              f"{score_name} {hit.score:.4f}  {hit.source}  [{hit.evidence_id}]")
        print(f"    {snippet}")
    return 0


def cmd_breakers(args: argparse.Namespace) -> int:
    from ..defs.resources import breaker_store
    from ..sources.breaker import BreakerStoreUnavailable, reset, utcnow

    store = breaker_store()  # the profile's store: the JSON file, or PostgreSQL in production
    try:
        if args.reset:
            known = {s.lower(): s for s in store.states()}
            name = known.get(args.reset.lower())
            if args.reset.lower() != "all" and name is None:
                raise CliError(f"no breaker named {args.reset!r}; known: "
                               f"{', '.join(sorted(known.values())) or 'none'}")
            for service in reset(store, None if args.reset.lower() == "all" else name):
                print(f"{service}: closed")
            return 0
        states = store.states()
    except BreakerStoreUnavailable as exc:
        raise CliError(f"circuit breakers in {store.location}: {exc}") from exc
    if not states:
        print(f"No live service has failed yet (state: {store.location}).")
        return 0
    now = utcnow()
    for service, state in sorted(states.items()):
        print(f"{service:<15} {state.status(now):<9} {state.describe(now)}")
    return 0


def cmd_peers(args: argparse.Namespace) -> int:
    from ..defs.resources import build_resources
    from ..sources.peers import PeerListError, clear_pinned, peer_set, pinned_files, write_pinned

    [ticker] = validated_tickers([args.ticker])
    [profile] = known_profiles([ticker])
    settings = build_resources(resolve_env=True)["sources"].settings()
    try:
        if args.set is not None:
            wanted = [t for t in re.split(r"[,\s]+", args.set) if t]
            path = write_pinned(settings.snapshot_dir, settings.home, ticker, wanted)
            print(f"Pinned {len(wanted)} peers for {ticker} in {path}; the next `consultantos report {ticker}` "
                  "recomputes the peer figures and what depends on them.")
        elif args.clear:
            removed = clear_pinned(settings.snapshot_dir, settings.home, ticker)
            print(f"Removed {removed}." if removed else f"No peers pinned for {ticker} with --set.")
        chosen = peer_set(settings.snapshot_dir, settings.home, profile,
                          settings.mode != "offline" and bool(settings.edgar_identity))
    except PeerListError as exc:
        raise CliError(str(exc)) from exc
    print(f"Peers of {ticker} ({profile.name}). {chosen.method}")
    for peer in chosen.peers:
        print(f"  {peer.ticker:<6} {peer.name[:40]:<40} {peer.reason}")
    for note in chosen.notes:
        print(f"note: {note}")
    if not chosen.pinned_from:
        print(f"(pin your own with `consultantos peers {ticker} --set A,B,C`, or in "
              f"{pinned_files(settings.snapshot_dir, settings.home, ticker)[1]})")
    return 0
