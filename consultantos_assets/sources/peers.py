"""A company's named peers: the pinned list if the user keeps one, else the company tables' choice.

Pinned peers are one ticker per line (`#` starts a comment) in `<home>/peers/<TICKER>.txt` (written
by `consultantos peers TICKER --set A,B,C`) or in the snapshot's `peers/<TICKER>.txt`; the first of
the two that exists wins. Every pinned ticker must be a company the tables know; a bad list is
refused with a message naming each bad line, and nothing is changed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

from ..analysis.peer_choice import Candidate, choose_peers
from ..analysis.peer_comparison import peer_figures
from ..models import (
    CompanyProfile,
    Financials,
    InvalidTicker,
    Peer,
    PeerComparison,
    PeerFigures,
    PeerGap,
    PeerSet,
    normalize_ticker,
)
from . import collect
from .base import SourceError, UnknownCompany
from .companies import SnapshotDirectory

SOURCE = "peers"
MAX_PINNED = 20
_CIK_FILE = re.compile(r"^CIK(\d{10})\.json$")


class PeerListError(SourceError):
    """A pinned peer list that cannot be used; the message names each bad entry."""

    source = SOURCE


def pinned_files(snapshot_dir: Path, home: Path, ticker: str) -> list[Path]:
    """Where a pinned list for `ticker` may be, in order of precedence."""
    return [home / "peers" / f"{ticker}.txt", snapshot_dir / "peers" / f"{ticker}.txt"]


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value else None
    except ValueError:
        return None


def _facts_ciks(snapshot_dir: Path) -> set[int]:
    folder = snapshot_dir / "sec_edgar" / "companyfacts"
    return {int(m.group(1)) for p in (folder.iterdir() if folder.is_dir() else []) if (m := _CIK_FILE.match(p.name))}


def candidates(directory: SnapshotDirectory, live: bool) -> list[Candidate]:
    """Every classified company of the tables; offline, only those with SEC facts in the snapshot have
    figures (live, SEC serves every filer)."""
    facts = set() if live else _facts_ciks(directory.snapshot_dir)
    out = []
    for row in directory.classified():
        cik = _int(row.get("cik"))
        out.append(Candidate(
            ticker=row["ticker"], name=row.get("name") or row["ticker"], cik=cik, sector=row.get("sector"),
            industry=row.get("industry"), sic=_int(row.get("sic")), sic_description=row.get("sic_description"),
            employees=_int(row.get("employees")), has_data=live or (cik is not None and cik in facts)))
    return out


def parse_pinned(text: str, company: str, directory: SnapshotDirectory, where: str) -> list[Peer]:
    """The pinned peers named in `text`; PeerListError naming every bad line."""
    known = {row["ticker"]: row for row in directory.classified()}
    listed = set(directory.known_tickers())
    peers: list[Peer] = []
    problems: list[str] = []
    item = "entry" if where == "--set" else "line"
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            ticker = normalize_ticker(line)
        except InvalidTicker as exc:
            problems.append(f"{item} {n}: {exc}")
            continue
        if ticker == company:
            problems.append(f"{item} {n}: {ticker} is the company itself")
        elif ticker in {p.ticker for p in peers}:
            problems.append(f"{item} {n}: {ticker} is listed twice")
        elif ticker not in known and ticker not in listed:
            problems.append(f"{item} {n}: unknown ticker {ticker} (not in the company tables or SEC's ticker list)")
        else:
            row = known.get(ticker, {})
            name = row.get("name")
            if not name:
                try:
                    name = directory.profile(ticker).name
                except SourceError:
                    name = ticker
            peers.append(Peer(ticker=ticker, name=name, cik=_int(row.get("cik")), basis="pinned",
                              reason=f"pinned in {where}"))
    if len(peers) > MAX_PINNED:
        problems.append(f"{len(peers)} peers listed; at most {MAX_PINNED}")
    if problems:
        raise PeerListError(f"the pinned peers of {company} in {where} cannot be used: " + "; ".join(problems))
    if not peers:
        raise PeerListError(f"the pinned peers of {company} in {where} name no ticker: list one ticker per line, "
                            f"or delete the file to let the company tables choose")
    return peers


def peer_set(snapshot_dir: Path, home: Path, company: CompanyProfile, live: bool) -> PeerSet:
    """The company's peers: pinned (first existing list) or chosen from the company tables."""
    directory = SnapshotDirectory(snapshot_dir)
    for path in pinned_files(snapshot_dir, home, company.ticker):
        if path.is_file():
            where = str(path)
            pinned = parse_pinned(path.read_text(encoding="utf-8", errors="replace"), company.ticker, directory, where)
            return choose_peers(company, [], pinned, where)
    pool = candidates(directory, live)
    chosen = choose_peers(company, pool)
    if not live:
        with_data = {c.ticker for c in pool if c.has_data}
        without = [p.ticker for p in chosen.peers if p.ticker not in with_data]
        if without:
            chosen.notes.append(f"No SEC facts in the snapshot for {', '.join(without)}: listed without figures.")
    return chosen


def write_pinned(snapshot_dir: Path, home: Path, ticker: str, tickers: list[str]) -> Path:
    """Validate and store a pinned list for `ticker` in `<home>/peers/` (atomically); the list that was
    there stays untouched when any ticker is refused."""
    directory = SnapshotDirectory(snapshot_dir)
    target = pinned_files(snapshot_dir, home, ticker)[0]
    text = "".join(f"{t.strip()}\n" for t in tickers if t.strip())
    peers = parse_pinned(text, ticker, directory, "--set")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{ticker}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"# peers of {ticker}, one ticker per line (consultantos peers {ticker} --set ...)\n")
        fh.write("".join(f"{p.ticker}\n" for p in peers))
    os.replace(tmp, target)
    return target


def clear_pinned(snapshot_dir: Path, home: Path, ticker: str) -> Path | None:
    """Remove the list `--set` wrote; returns its path, or None when there was none."""
    target = pinned_files(snapshot_dir, home, ticker)[0]
    if target.is_file():
        target.unlink()
        return target
    return None


def _one_peer(serve_: collect.Serve, peer: Peer, mode: str, snapshot_dir: Path, live: bool
              ) -> tuple[PeerFigures | PeerGap, str]:
    """(figures or the reason there are none, where they were served from) for one named peer."""
    if not live and peer.cik is not None:
        facts = snapshot_dir / "sec_edgar" / "companyfacts" / f"CIK{peer.cik:010d}.json"
        if not facts.is_file():  # offline: nothing to read, so nothing to warn about per source
            return PeerGap(ticker=peer.ticker, name=peer.name, reason="no SEC facts in the snapshot"), "snapshot"
    try:
        profile = collect.profile(serve_, peer.ticker)
    except UnknownCompany as exc:
        return PeerGap(ticker=peer.ticker, name=peer.name, reason=f"unknown to the company directory ({exc})"), "none"
    except SourceError as exc:
        return PeerGap(ticker=peer.ticker, name=peer.name, reason=f"company directory unavailable ({exc})"), "none"
    outcomes: list[collect.SourceOutcome] = []
    fin: Financials = collect.financials(serve_, profile, None, outcomes, mode)
    served = next((o.served_from for o in outcomes if o.part == "value"), "none")
    figures = peer_figures(peer.ticker, profile.name, profile.sector or "", fin, profile.sic)
    if figures is None:
        reason = next(iter(fin.statement_gaps()), "no revenue reported")
        return PeerGap(ticker=peer.ticker, name=profile.name, reason=reason.rstrip(".")), served
    return figures, served


def _reusable(stored: PeerComparison | None, ticker: str, window: dt.timedelta, now: dt.datetime):
    """The stored figures (or gap) of `ticker` when they were fetched within `window`."""
    if stored is None or ticker not in stored.retrieved_at or now - stored.retrieved_at[ticker] > window:
        return None
    return next((f for f in stored.figures if f.ticker == ticker), None) or \
        next((g for g in stored.missing if g.ticker == ticker), None)


def peer_comparison(serve_: collect.Serve, peers: PeerSet, mode: str, snapshot_dir: Path, live: bool,
                    reuse: PeerComparison | None = None, window: dt.timedelta | None = None,
                    now: dt.datetime | None = None) -> tuple[PeerComparison, dict[str, str]]:
    """Each named peer's figures through the configured providers (SEC live: its client's identity,
    rate limit and retries). Live, a peer fetched within `window` (the stored value `reuse`) is not
    fetched again. Returns the comparison and where each peer was served from."""
    now = now or dt.datetime.now(dt.UTC)
    out = PeerComparison(ticker=peers.ticker, method=peers.method)
    served_from: dict[str, str] = {}
    for peer in peers.peers:
        kept = _reusable(reuse, peer.ticker, window, now) if live and window is not None else None
        if kept is not None:
            value, served_from[peer.ticker] = kept, "last_good"
            out.retrieved_at[peer.ticker] = reuse.retrieved_at[peer.ticker]  # type: ignore[union-attr]
        else:
            value, served_from[peer.ticker] = _one_peer(serve_, peer, mode, snapshot_dir, live)
            if served_from[peer.ticker] == "live":  # the snapshot is not fetched: the value stays the same
                out.retrieved_at[peer.ticker] = now
        if isinstance(value, PeerGap):
            out.missing.append(value)
        else:
            out.figures.append(value)
    return out, served_from
