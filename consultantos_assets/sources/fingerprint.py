"""What each source asset reads from a snapshot, fingerprinted cheaply (path, size, modification time).

A source asset records the fingerprint of its snapshot inputs when it materializes; a report run
compares it with the snapshot as it is now, so a document dropped into ``documents/<TICKER>/`` or a
replaced SEC payload refreshes the sources that read it, and nothing else, without reading the files.
Live providers have no such fingerprint: their refresh is governed by the freshness windows.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def _inputs(snapshot_dir: Path, asset: str, ticker: str, cik: int | None, home: Path | None = None,
            peers: list[tuple[str, int | None]] | None = None) -> list[Path]:
    cik_file = f"CIK{cik:010d}.json" if cik else None
    edgar = snapshot_dir / "sec_edgar"
    if asset == "company_profile":  # sources/companies.py: the company tables, SEC's ticker list, submissions
        paths = [snapshot_dir / "company_metadata", edgar / "reference" / "company_tickers.json"]
        return paths + ([edgar / "submissions" / cik_file] if cik_file else [])
    if asset == "company_research":
        paths = [snapshot_dir / "documents" / ticker, snapshot_dir / "company_metadata"]
        return paths + ([edgar / "submissions" / cik_file] if cik_file else [])
    if asset == "market_trends":  # the keywords are known only once the asset runs: every series
        return [snapshot_dir / "google_trends", snapshot_dir / "company_metadata"]
    if asset == "financials":
        paths = [snapshot_dir / "prices_daily" / f"{ticker}.csv"]
        return paths + ([edgar / "companyfacts" / cik_file] if cik_file else [])
    if asset == "peers":  # the pinned lists (sources/peers.py: pinned_files) and the company tables
        pinned = [snapshot_dir / "peers" / f"{ticker}.txt"]
        return ([home / "peers" / f"{ticker}.txt"] if home else []) + pinned + [snapshot_dir / "company_metadata"]
    if asset == "peer_figures":  # each named peer's SEC payloads and prices (`peers`: the stored peer list)
        out = []
        for peer, peer_cik in peers or []:
            out.append(snapshot_dir / "prices_daily" / f"{peer}.csv")
            if peer_cik:
                out += [edgar / "companyfacts" / f"CIK{peer_cik:010d}.json", edgar / "submissions" / f"CIK{peer_cik:010d}.json"]
        return out
    raise ValueError(f"{asset!r} reads no snapshot files")


def snapshot_fingerprint(snapshot_dir: str | Path, asset: str, ticker: str, cik: int | None,
                         home: Path | None = None, peers: list[tuple[str, int | None]] | None = None) -> str:
    """A short hash of the files `asset` reads for `ticker` (missing files count as missing); `home`:
    the storage root, where `consultantos peers --set` keeps pinned lists."""
    root = Path(snapshot_dir)
    h = hashlib.sha256()
    for path in _inputs(root, asset, ticker, cik, home, peers):
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            rel = f.relative_to(root).as_posix() if f.is_relative_to(root) else f.as_posix()
            try:
                info = f.stat()
                h.update(f"{rel}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
            except OSError:
                h.update(f"{rel}\0missing\n".encode())
    return h.hexdigest()[:16]
