"""Which companies a company is compared with (pure: the caller reads the tables and the pinned file).

Order of preference: peers the user pinned; else the same GICS sub-industry, then the GICS industry
that holds it; for a company without a GICS classification, the same SIC code, then the same SIC
industry group (first three digits). Within a level, peers with figures available come first, then
the nearest in size (employees), then by ticker, so the choice is the same whenever the tables are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..models import CompanyProfile, Peer, PeerSet
from .gics import industry_of

MAX_PEERS = 8
ENOUGH_PEERS = 5  # a lower level is consulted only while fewer peers than this were found


class Candidate(CompanyProfile):
    """A company that could be a peer, as the company tables describe it (its GICS sub-industry in
    ``industry``, as for the company itself)."""

    has_data: bool = True  # figures can be computed (e.g. SEC facts are in the snapshot)


def _size_gap(company: CompanyProfile, c: Candidate) -> float:
    if not company.employees or not c.employees:
        return math.inf
    return abs(math.log(c.employees) - math.log(company.employees))


def _levels(company: CompanyProfile) -> list[tuple[str, str, object]]:
    """(basis, reason, predicate) per level, most specific first."""
    out: list[tuple[str, str, object]] = []
    sub = company.industry
    if sub:
        out.append(("sub_industry", f"same GICS sub-industry ({sub})", lambda c: c.industry == sub))
        industry = industry_of(sub)
        if industry and industry != sub:
            out.append(("industry", f"same GICS industry ({industry})",
                        lambda c: c.industry != sub and industry_of(c.industry) == industry))
    elif company.sic:
        sic = company.sic
        what = f" ({company.sic_description})" if company.sic_description else ""
        out.append(("sic", f"same SIC code {sic}{what}", lambda c: c.sic == sic))
        out.append(("sic", f"same SIC industry group {sic // 10}x",
                    lambda c: c.sic is not None and c.sic != sic and c.sic // 10 == sic // 10))
    return out


def choose_peers(company: CompanyProfile, candidates: Iterable[Candidate], pinned: list[Peer] | None = None,
                 pinned_from: str | None = None) -> PeerSet:
    """The company's named peers with the reason each was chosen."""
    if pinned:
        return PeerSet(ticker=company.ticker, peers=list(pinned), pinned_from=pinned_from,
                       method=f"Pinned by the user ({pinned_from or 'peers list'}).")
    pool = [c for c in candidates if c.ticker != company.ticker and (company.cik is None or c.cik != company.cik)]
    chosen: list[Peer] = []
    seen_ciks: set[int] = set()
    used: list[str] = []
    for basis, reason, matches in _levels(company):
        if len(chosen) >= ENOUGH_PEERS:
            break
        level = sorted((c for c in pool if matches(c)),  # type: ignore[operator]
                       key=lambda c: (not c.has_data, _size_gap(company, c), c.ticker))
        added = 0
        for c in level:
            if len(chosen) == MAX_PEERS:
                break
            if c.ticker in {p.ticker for p in chosen} or (c.cik is not None and c.cik in seen_ciks):
                continue
            chosen.append(Peer(ticker=c.ticker, name=c.name, cik=c.cik, basis=basis, reason=reason))  # type: ignore[arg-type]
            if c.cik is not None:
                seen_ciks.add(c.cik)
            added += 1
        if added:
            used.append(f"{added} from the {reason.removeprefix('same ')}")
    notes = []
    if not _levels(company):
        notes.append(f"{company.ticker} has no GICS classification or SIC code in the company tables, so no "
                     f"peers were chosen; pin them with `consultantos peers {company.ticker} --set A,B,C`.")
    elif not chosen:
        notes.append(f"No other company in the company tables shares {company.ticker}'s classification; pin "
                     f"peers with `consultantos peers {company.ticker} --set A,B,C`.")
    method = ("Chosen by classification: " + ", then ".join(used) + ".") if used else \
        "No peers found by classification."
    return PeerSet(ticker=company.ticker, peers=chosen, method=method, notes=notes)
