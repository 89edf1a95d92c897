"""The comparison set and the evidence pack: `peers` -> `peer_figures` -> `evidence`, once per company.

`peers` names the companies a company is compared with (pinned by the user, else chosen from its GICS
sub-industry and industry, or its SIC code); `peer_figures` computes each peer's latest fiscal year,
TTM and multiples from its SEC facts (live through the SEC client, offline from the snapshot), kept as
the asset value and reused within the financials' freshness window; `evidence` builds the citable
pack from the three sources and the peers, which every analysis asset, the index and the report read.
"""


import dagster as dg

from ..analysis.evidence import evidence_set
from ..analysis.peer_comparison import MIN_PEERS, PEER_METRICS, with_figure
from ..models import (
    CompanyResearch,
    EvidenceSet,
    Financials,
    MarketTrends,
    PeerComparison,
    PeerSet,
    SourcedProfile,
)
from ..settings import AutomationSettings
from ..sources.base import SourceError
from ..sources.peers import peer_comparison, peer_set
from .company_graph import company_asset, md_escape, md_list, ticker_of, versioned_output
from .metadata import ROW_COUNT
from .resources import SourcesResource
from .source_assets import SNAPSHOT_INPUTS, StoredValues, last_stored, nothing_gathered, worst_served


def _live(sources: SourcesResource) -> bool:
    """Whether SEC is asked live (an identity is configured and the mode allows it)."""
    settings = sources.settings()
    return settings.mode != "offline" and bool(settings.edgar_identity)


@company_asset(group="peers")
def peers(context: dg.AssetExecutionContext, sources: SourcesResource,
          company_profile: SourcedProfile) -> dg.Output[PeerSet]:
    """The company's named peers, each with why it was chosen: the user's pinned list (`consultantos peers
    TICKER --set A,B,C`, or the snapshot's peers/<TICKER>.txt), else the same GICS sub-industry, then
    industry, or for companies without GICS the same SIC code."""
    ticker = ticker_of(context)
    settings = sources.settings()
    profile = company_profile.profile
    try:
        value = peer_set(settings.snapshot_dir, settings.home, profile, _live(sources))
    except SourceError as exc:  # a bad pinned list: refused, and the stored peers stay as they were
        raise dg.Failure(description=f"{ticker}: {exc}") from exc
    for note in value.notes:
        context.log.info(note)
    return versioned_output(value, {
        SNAPSHOT_INPUTS: sources.snapshot_fingerprint("peers", ticker, profile.cik),
        "served_from": "snapshot",
        "method": value.method,
        ROW_COUNT: len(value.peers),
        "peer_tickers": ", ".join(value.tickers) or "none",
        "pinned_from": value.pinned_from or "not pinned",
        "peer_list": dg.MetadataValue.md("\n".join(
            f"- {md_escape(p.ticker)} ({md_escape(p.name)}): {md_escape(p.reason)}" for p in value.peers) or "none"),
        "notes": md_list(value.notes),
    })


@company_asset(group="peers")
def peer_figures(context: dg.AssetExecutionContext, sources: SourcesResource,
                 io_manager: dg.ResourceParam[StoredValues], peers: PeerSet) -> dg.Output[PeerComparison]:
    """Each named peer's latest fiscal year and TTM from its SEC facts (growth, gross, operating and FCF
    margin, net debt/EBITDA, and P/E and EV/EBITDA where a price exists); a peer without data is listed with
    the reason. Live figures are reused within the financials' freshness window."""
    ticker = ticker_of(context)
    settings = sources.settings()
    stored = last_stored(context, io_manager, PeerComparison)
    out, served_from = peer_comparison(
        sources.serve, peers, settings.mode, settings.snapshot_dir, live=_live(sources),
        reuse=stored, window=AutomationSettings.from_env().windows["financials"])
    for gap in out.missing:  # a peer the snapshot simply does not hold is expected offline, not a fault
        log = context.log.info if served_from.get(gap.ticker) == "snapshot" else context.log.warning
        log(f"peer {gap.ticker}: no figures ({gap.reason})")
    counts = {m: len(with_figure(out, m)) for m in PEER_METRICS}
    return versioned_output(out, exclude={"retrieved_at"}, metadata={
        SNAPSHOT_INPUTS: sources.snapshot_fingerprint("peer_figures", ticker, None,
                                                      [(p.ticker, p.cik) for p in peers.peers]),
        "served_from": worst_served(list(served_from.values())),
        ROW_COUNT: len(out.figures),
        "peers_with_figures": ", ".join(f.ticker for f in out.figures) or "none",
        "peers_without_figures": md_list(f"{g.ticker}: {g.reason}" for g in out.missing),
        "comparable_metrics": sum(1 for n in counts.values() if n >= MIN_PEERS),
        "peers_per_metric": dg.MetadataValue.json(counts),
    })


def require_gathered(research: CompanyResearch, trends: MarketTrends, fin: Financials) -> None:
    """Fail with one line per source when every source failed or had no data: no report is worth
    writing from a profile alone."""
    if lines := nothing_gathered(research, trends, fin):
        raise dg.Failure(description=f"Nothing could be gathered for {research.ticker}, so no report is written:\n"
                         + "\n".join(f"- {line}" for line in lines))


@company_asset(group="evidence")
def evidence(context: dg.AssetExecutionContext, company_research: CompanyResearch, market_trends: MarketTrends,
             financials: Financials, peer_figures: PeerComparison) -> dg.Output[EvidenceSet]:
    """Every fact the analysts may cite (SEC facts and ratios, prices and multiples, search interest, filings,
    documents, and peer medians over at least three named peers), built once per run."""
    ticker_of(context)  # refuses a partition key that is not a usable ticker
    require_gathered(company_research, market_trends, financials)
    value = evidence_set(company_research, market_trends, financials, peer_figures)
    for gap in value.gaps:
        context.log.info(gap)
    by_kind: dict[str, int] = {}
    for e in value.items:
        by_kind[e.kind] = by_kind.get(e.kind, 0) + 1
    peer_items = [e for e in value.items if e.id.startswith("peer:")]
    return versioned_output(value, exclude={"peers": {"retrieved_at"}}, metadata={
        ROW_COUNT: len(value.items),
        "by_kind": dg.MetadataValue.json(dict(sorted(by_kind.items()))),
        "peer_medians": len(peer_items),
        "peer_basis": md_list(f"{e.label}: {e.reference}" for e in peer_items),
        "comparison_gaps": md_list(value.gaps),
        "as_of": value.as_of.isoformat() if value.as_of else "unknown",
    })
