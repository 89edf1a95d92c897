"""Sector peers available in the snapshot: companies of the same GICS sector that have SEC facts.

Reads the snapshot (company metadata and `sec_edgar/companyfacts/`), never the network, so the peer
set of a company is the same whenever the snapshot is. Results are cached per process.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

from ..analysis.peers import PeerFigures, peer_figures
from .base import SourceError
from .companies import SnapshotDirectory
from .sec import SnapshotFinancials

log = logging.getLogger(__name__)
_CIK_FILE = re.compile(r"^CIK(\d{10})\.json$")
MAX_PEERS = 12


@functools.cache
def _facts_companies(snapshot_dir: Path) -> tuple[tuple[str, int, str, str], ...]:
    """(ticker, cik, name, sector) for every company with a companyfacts file, one ticker per CIK."""
    folder = snapshot_dir / "sec_edgar" / "companyfacts"
    ciks = {int(m.group(1)) for p in (folder.glob("CIK*.json") if folder.is_dir() else [])
            if (m := _CIK_FILE.match(p.name))}
    if not ciks:
        return ()
    directory = SnapshotDirectory(snapshot_dir)
    found: dict[int, tuple[str, int, str, str]] = {}
    for ticker in directory.known_tickers():
        try:
            prof = directory.profile(ticker)
        except SourceError:
            continue
        if prof.cik in ciks and prof.sector and prof.cik not in found:
            found[prof.cik] = (ticker, prof.cik, prof.name, prof.sector)
    return tuple(sorted(found.values()))


@functools.cache
def _figures(snapshot_dir: Path, ticker: str) -> PeerFigures | None:
    directory = SnapshotDirectory(snapshot_dir)
    try:
        prof = directory.profile(ticker)
        fin = SnapshotFinancials(snapshot_dir).financials(prof)
    except SourceError as exc:
        log.info("peer %s skipped: %s", ticker, exc)
        return None
    return peer_figures(ticker, prof.name, prof.sector or "", fin)


def sector_peers(snapshot_dir: Path | str, ticker: str, sector: str | None, cik: int | None = None
                 ) -> list[PeerFigures]:
    """Peers of `ticker` in `sector` with SEC facts in the snapshot (the company itself excluded)."""
    if not sector:
        return []
    snap = Path(snapshot_dir).resolve()
    out = []
    for peer_ticker, peer_cik, _name, peer_sector in _facts_companies(snap):
        if peer_sector != sector or peer_ticker == ticker or (cik is not None and peer_cik == cik):
            continue
        figures = _figures(snap, peer_ticker)
        if figures is not None:
            out.append(figures)
        if len(out) == MAX_PEERS:
            break
    return out
