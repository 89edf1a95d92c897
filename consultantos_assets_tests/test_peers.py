"""Named peers: the choice (GICS sub-industry, industry, SIC), pinned lists (file and CLI), the peer
figures against SEC's own JSON, no comparison on fewer than three peers, a live fetch through an SEC
stand-in with its rate limit and identity rule, and the evidence pack built once per run."""

from __future__ import annotations

import csv
import json
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from consultantos_assets.analysis.analyst import EvidencePack
from consultantos_assets.analysis.evidence import evidence_set
from consultantos_assets.analysis.gics import industry_of
from consultantos_assets.analysis.peer_choice import Candidate, choose_peers
from consultantos_assets.analysis.rules import RuleBasedAnalyst
from consultantos_assets.models import CompanyProfile, Peer, PeerSet
from consultantos_assets.settings import BUNDLED_SNAPSHOT, Settings
from consultantos_assets.sources.collect import gather, settings_serve
from consultantos_assets.sources.companies import SnapshotDirectory
from consultantos_assets.sources.peers import PeerListError, peer_comparison, peer_set

from .conftest import REPO

TABLE = BUNDLED_SNAPSHOT / "company_metadata" / "companies.csv"
FACTS = BUNDLED_SNAPSHOT / "sec_edgar" / "companyfacts"


def table_rows() -> list[dict[str, str]]:
    with TABLE.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def profile(ticker: str) -> CompanyProfile:
    return SnapshotDirectory(BUNDLED_SNAPSHOT).profile(ticker)


# ------------------------------------------------------------------------------------------ choice
@pytest.mark.parametrize("ticker", ["AAPL", "JPM", "MSFT", "NVDA"])
def test_peers_come_from_the_same_gics_sub_industry(ticker, tmp_path):
    rows = table_rows()
    mine = next(r for r in rows if r["ticker"] == ticker)
    same = {r["ticker"] for r in rows if r["industry"] == mine["industry"] and r["cik"] != mine["cik"]}
    chosen = peer_set(BUNDLED_SNAPSHOT, tmp_path, profile(ticker), live=False)
    assert chosen.peers and {p.ticker for p in chosen.peers} <= same
    assert len(chosen.peers) == min(8, len(same))
    assert all(p.basis == "sub_industry" and mine["industry"] in p.reason for p in chosen.peers)
    assert ticker not in chosen.tickers


def test_a_lone_sub_industry_widens_to_its_gics_industry(tmp_path):
    rows = table_rows()
    ttwo = next(r for r in rows if r["ticker"] == "TTWO")
    assert ttwo["industry"] == "Interactive Home Entertainment"
    industry = {r["ticker"] for r in rows if r["industry"] == "Movies & Entertainment"}
    assert industry_of("Movies & Entertainment") == industry_of(ttwo["industry"]) == "Entertainment"
    chosen = peer_set(BUNDLED_SNAPSHOT, tmp_path, profile("TTWO"), live=False)
    assert set(chosen.tickers) == industry
    assert all(p.basis == "industry" and p.reason == "same GICS industry (Entertainment)" for p in chosen.peers)


def test_a_company_without_gics_is_matched_by_sic_code():
    rows = table_rows()
    with_sic = [r for r in rows if r["sic"]]
    # a company outside the S&P table: no GICS fields, only the SIC code SEC gives it
    outsider = CompanyProfile(ticker="ZZZZ", name="Outside Co", sic=int(with_sic[0]["sic"]),
                              sic_description=with_sic[0]["sic_description"])
    pool = [Candidate(ticker=r["ticker"], name=r["name"], cik=int(r["cik"]) if r["cik"] else None,
                      industry=r["industry"], sic=int(r["sic"]) if r["sic"] else None) for r in rows]
    chosen = choose_peers(outsider, pool)
    same_code = {r["ticker"] for r in with_sic if int(r["sic"]) == outsider.sic}
    assert chosen.peers and same_code <= set(chosen.tickers)  # every same-code company comes first
    assert all(p.basis == "sic" for p in chosen.peers)
    assert chosen.peers[0].reason.startswith(f"same SIC code {outsider.sic}")
    # nothing to match on: no peers, and the note says how to pin them
    bare = choose_peers(CompanyProfile(ticker="ZZZZ", name="Outside Co"), pool)
    assert bare.peers == [] and "--set" in bare.notes[0]


# ------------------------------------------------------------------------------------------ pinned
def test_pinned_file_in_the_snapshot_wins_and_bad_lists_are_refused(tmp_path):
    snap = tmp_path / "snap"
    snap.mkdir()
    for part in ("company_metadata", "sec_edgar"):
        (snap / part).symlink_to(BUNDLED_SNAPSHOT / part)
    (snap / "peers").mkdir()
    (snap / "peers" / "NVDA.txt").write_text("# my semis\nAMD\nintc  # Intel\n\nQCOM\n")
    chosen = peer_set(snap, tmp_path / "home", profile("NVDA"), live=False)
    assert chosen.tickers == ["AMD", "INTC", "QCOM"] and chosen.pinned_from.endswith("peers/NVDA.txt")
    assert all(p.basis == "pinned" for p in chosen.peers)
    (snap / "peers" / "NVDA.txt").write_text("AMD\nNOSUCHCO\nNVDA\nAMD\n")
    with pytest.raises(PeerListError) as err:
        peer_set(snap, tmp_path / "home", profile("NVDA"), live=False)
    msg = str(err.value)
    assert "line 2: unknown ticker NOSUCHCO" in msg and "line 3: NVDA is the company itself" in msg
    assert "line 4: AMD is listed twice" in msg


def test_cli_sets_shows_and_refuses_peers_without_changing_the_list(tmp_path):
    env = {"CONSULTANTOS_HOME": str(tmp_path / "home"), "CONSULTANTOS_MODE": "offline", "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "consultantos_assets.cli", "peers", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)

    ok = cli("AAPL", "--set", "DELL,hpq, HPE")
    assert ok.returncode == 0, ok.stderr
    pinned = tmp_path / "home" / "peers" / "AAPL.txt"
    before = pinned.read_text()
    assert [line for line in before.splitlines() if not line.startswith("#")] == ["DELL", "HPQ", "HPE"]
    shown = cli("AAPL")
    assert shown.returncode == 0 and "Pinned by the user" in shown.stdout
    assert all(t in shown.stdout for t in ("DELL", "HPQ", "HPE"))
    bad = cli("AAPL", "--set", "DELL,NOSUCHCO")
    assert bad.returncode != 0 and "unknown ticker NOSUCHCO" in bad.stderr
    assert pinned.read_text() == before  # the refused list changed nothing
    cleared = cli("AAPL", "--clear")
    assert cleared.returncode == 0 and not pinned.exists()
    assert "same GICS sub-industry" in cleared.stdout


# ------------------------------------------------------------------------------------------ figures
def _raw(cik: int) -> dict:
    return json.loads((FACTS / f"CIK{cik:010d}.json").read_text())


def _annual(raw: dict, concepts: tuple[str, ...], end: str) -> float | None:
    """The 10-K value of the first concept that reports a one-year period ending `end` (SEC's JSON)."""
    import datetime as dt

    for concept in concepts:
        for row in raw["facts"].get("us-gaap", {}).get(concept, {}).get("units", {}).get("USD", []):
            if row["end"] == end and row.get("form", "").startswith("10-K") and row.get("start") and \
                    340 <= (dt.date.fromisoformat(end) - dt.date.fromisoformat(row["start"])).days <= 380:
                return float(row["val"])
    return None


REVENUE = ("RevenueFromContractWithCustomerExcludingAssessedTax", "Revenues", "SalesRevenueNet",
           "RevenueFromContractWithCustomerIncludingAssessedTax")


def _offline_comparison(company: str, peers: list[str]):
    settings = Settings(mode="offline", snapshot_dir=BUNDLED_SNAPSHOT)
    directory = SnapshotDirectory(BUNDLED_SNAPSHOT)
    named = PeerSet(ticker=company, method="pinned for the test",
                    peers=[Peer(ticker=t, name=directory.profile(t).name, cik=directory.profile(t).cik,
                                basis="pinned", reason="test") for t in peers])
    comparison, served = peer_comparison(settings_serve(settings), named, "offline", BUNDLED_SNAPSHOT, live=False)
    return settings, comparison, served


def _with_facts(exclude: str) -> list[str]:
    """Bundled companies with SEC facts, other than `exclude`, one ticker per CIK."""
    directory = SnapshotDirectory(BUNDLED_SNAPSHOT)
    ciks = {int(p.name[3:13]) for p in FACTS.glob("CIK*.json")}
    out, seen = [], set()
    for r in table_rows():
        cik = int(r["cik"]) if r["cik"] else None
        if cik in ciks and cik not in seen and r["ticker"] != exclude and cik != directory.profile(exclude).cik:
            out.append(r["ticker"])
            seen.add(cik)
    return out


def test_peer_median_over_three_named_peers_equals_secs_own_figures():
    peers = _with_facts("NVDA")[:5]
    assert len(peers) >= 3, "the bundled snapshot needs SEC facts for three companies besides NVDA"
    settings, comparison, served = _offline_comparison("NVDA", peers)
    assert set(served.values()) == {"snapshot"}
    assert [f.ticker for f in comparison.figures] == peers and comparison.missing == []
    margins = []
    for f in comparison.figures:
        raw = _raw(SnapshotDirectory(BUNDLED_SNAPSHOT).profile(f.ticker).cik)
        end = f.period_end.isoformat()
        revenue, op = _annual(raw, REVENUE, end), _annual(raw, ("OperatingIncomeLoss",), end)
        assert revenue == pytest.approx(f.revenue) and f.accession in f.accessions
        margins.append(op / revenue)
        assert f.operating_margin == pytest.approx(op / revenue)
    research, trends, fin = gather(settings, "NVDA")
    ev = evidence_set(research, trends, fin, comparison).by_id()["peer:operating_margin:median"]
    assert ev.value == pytest.approx(statistics.median(margins))
    assert f"median operating margin of {len(peers)} named peers ({', '.join(peers)})" in ev.text
    assert all(t in ev.reference for t in peers)


def test_no_comparative_claim_with_fewer_than_three_peers():
    settings, comparison, _ = _offline_comparison("NVDA", _with_facts("NVDA")[:2])
    research, trends, fin = gather(settings, "NVDA")
    ev = evidence_set(research, trends, fin, comparison)
    assert not [e for e in ev.items if e.id.startswith("peer:")]
    assert any("has only 2 named peers" in g and "too few peers" in g for g in ev.gaps)
    pack = EvidencePack(research=research, trends=trends, financials=fin, evidence=ev.items,
                        peers=comparison.figures, peer_gaps=ev.gaps)
    bo = RuleBasedAnalyst().blue_ocean(pack)
    points = bo.eliminate + bo.reduce + bo.raise_ + bo.create
    assert not any(i.startswith("peer:") for p in points for i in p.evidence)
    assert not any(word in p.text for p in points for word in ("median", "among"))
    assert all(not any(i.startswith("peer:") for i in c.evidence) for c in bo.canvas)
    assert any("too few peers" in g or "fewer than" in g.lower() for g in bo.data_gaps)


def test_a_named_peer_without_figures_is_listed_with_the_reason():
    no_facts = next(r["ticker"] for r in table_rows()
                    if r["cik"] and not (FACTS / f"CIK{int(r['cik']):010d}.json").exists())
    _, comparison, _ = _offline_comparison("NVDA", [*_with_facts("NVDA")[:1], no_facts])
    assert [g.ticker for g in comparison.missing] == [no_facts]
    assert comparison.missing[0].reason == "no SEC facts in the snapshot"


# ------------------------------------------------------------------------------------------ live (SEC stand-in)
class SecStandIn(BaseHTTPRequestHandler):
    """Serves the bundled SEC JSON the way data.sec.gov does, with its documented access rules:
    - a User-Agent that declares who is asking (name and e-mail) is required, else 403
      (https://www.sec.gov/os/accessing-edgar-data: "declare your user agent in request headers");
    - at most 10 requests per second per client, else 429 and the client is blocked for a while
      (same page: "current max request rate: 10 requests/second");
    - an unknown CIK is 404 (the API answers NoSuchKey for a missing companyfacts file)."""

    times: list[float] = []
    agents: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        now = time.monotonic()
        cls = type(self)
        cls.times.append(now)
        cls.agents.append(self.headers.get("User-Agent", ""))
        agent = self.headers.get("User-Agent", "")
        if "@" not in agent:
            return self._send(403, {"message": "Undeclared automated tool"})
        if len([t for t in cls.times if now - t < 1.0]) > 10:
            return self._send(429, {"message": "Request rate threshold exceeded"})
        if self.path.endswith("/files/company_tickers.json"):  # SEC's ticker map, from the bundled copy of it
            with (BUNDLED_SNAPSHOT / "company_metadata" / "tickers.csv").open(newline="") as fh:
                rows = list(csv.DictReader(fh))
            return self._send(200, {str(i): {"cik_str": int(r["cik"]), "ticker": r["ticker"], "title": r["name"]}
                                    for i, r in enumerate(rows)})
        name = self.path.rsplit("/", 1)[-1]
        folder = "companyfacts" if "/api/xbrl/companyfacts/" in self.path else "submissions"
        path = BUNDLED_SNAPSHOT / "sec_edgar" / folder / name
        if not path.is_file():
            return self._send(404, {"message": "NoSuchKey"})
        return self._send(200, json.loads(path.read_text()))

    def _send(self, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def sec_stand_in(monkeypatch, tmp_path):
    SecStandIn.times, SecStandIn.agents = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SecStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("EDGAR_DATA_URL", base)
    monkeypatch.setenv("EDGAR_BASE_URL", base)
    monkeypatch.setenv("EDGAR_RATE_LIMIT_PER_SEC", "4")
    monkeypatch.setenv("CONSULTANTOS_HOME", str(tmp_path / "home"))
    yield base
    server.shutdown()


def test_live_peer_figures_come_through_the_sec_client_within_its_rate_limit(sec_stand_in, tmp_path):
    import datetime as dt

    from consultantos_assets.sources import registry

    registry.reachable.cache_clear()
    peers = _with_facts("NVDA")[:3]
    settings = Settings(mode="live", snapshot_dir=BUNDLED_SNAPSHOT, edgar_identity="Research Desk desk@example.com",
                        home=tmp_path / "home")
    directory = SnapshotDirectory(BUNDLED_SNAPSHOT)
    named = PeerSet(ticker="NVDA", method="test", peers=[
        Peer(ticker=t, name=t, cik=directory.profile(t).cik, basis="pinned", reason="test") for t in peers])
    live, served = peer_comparison(settings_serve(settings), named, "live", BUNDLED_SNAPSHOT, live=True)
    assert [f.ticker for f in live.figures] == peers and served == dict.fromkeys(peers, "live")
    assert SecStandIn.times and all("desk@example.com" in a for a in SecStandIn.agents)
    gaps = [b - a for a, b in zip(SecStandIn.times, SecStandIn.times[1:], strict=False)]
    assert min(gaps) >= 1 / 4 * 0.8  # the client's limiter spaced every request (4 per second configured)
    _, offline, _ = _offline_comparison("NVDA", peers)
    assert [f.revenue for f in live.figures] == [f.revenue for f in offline.figures]
    # within the window the stored figures are reused: no request at all
    before = len(SecStandIn.times)
    again, served = peer_comparison(settings_serve(settings), named, "live", BUNDLED_SNAPSHOT, live=True,
                                    reuse=live, window=dt.timedelta(days=1))
    assert len(SecStandIn.times) == before and set(served.values()) == {"last_good"}
    assert again.figures == live.figures


def test_live_peer_fetch_without_identity_is_a_listed_gap_not_a_crash(sec_stand_in, tmp_path):
    settings = Settings(mode="live", snapshot_dir=BUNDLED_SNAPSHOT, edgar_identity=None, home=tmp_path / "home")
    peers = _with_facts("NVDA")[:1]
    named = PeerSet(ticker="NVDA", method="test", peers=[Peer(ticker=peers[0], name=peers[0], basis="pinned",
                                                              reason="test")])
    out, served = peer_comparison(settings_serve(settings), named, "live", BUNDLED_SNAPSHOT, live=True)
    assert served == {peers[0]: "none"} and out.figures == []
    assert [g.ticker for g in out.missing] == peers and "EDGAR_IDENTITY" in out.missing[0].reason
    assert not SecStandIn.times  # no request without a declared identity


# ------------------------------------------------------------------------------------------ once per run
def test_a_run_looks_the_company_up_once_and_builds_the_evidence_pack_once(offline_env, monkeypatch):
    """One run: the company's profile is looked up once (company_profile, read by the three sources and
    the peers as an input), and the evidence pack is built once."""
    import dagster as dg

    from consultantos_assets.analysis import evidence as evidence_module
    from consultantos_assets.defs import build_definitions
    from consultantos_assets.defs.partitions import companies
    from consultantos_assets.sources.companies import SnapshotDirectory

    calls: list[str] = []
    real = evidence_module.build_evidence

    def counting(research, *args, **kwargs):
        calls.append(research.ticker)
        return real(research, *args, **kwargs)

    lookups: list[str] = []
    real_profile = SnapshotDirectory.profile

    def looked_up(self, ticker):
        lookups.append(ticker)
        return real_profile(self, ticker)

    monkeypatch.setattr(evidence_module, "build_evidence", counting)
    monkeypatch.setattr(SnapshotDirectory, "profile", looked_up)
    defs = build_definitions()
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(companies.name, ["AAPL"])
    names = ["company_profile", "company_research", "market_trends", "financials", "peers", "peer_figures",
             "evidence", "research_index", "porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis"]
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, partition_key="AAPL",
                                    asset_selection=[dg.AssetKey(n) for n in names])
    assert result.success
    assert calls == ["AAPL"]
    assert lookups.count("AAPL") == 1  # the peers' own profiles are looked up by peer_figures
    for reader in ("company_research", "market_trends", "financials", "peers"):
        [upstream] = [d.asset_key.to_user_string() for d in defs.resolve_assets_def(reader).specs_by_key[
            dg.AssetKey(reader)].deps]
        assert upstream == "company_profile", reader
    spec_deps = {s.key.to_user_string(): {d.asset_key.to_user_string() for d in s.deps}
                 for s in defs.resolve_all_asset_specs()}
    for reader in ("research_index", "porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis", "report_pdf"):
        assert "evidence" in spec_deps[reader], reader
    assert spec_deps["evidence"] >= {"company_research", "market_trends", "financials", "peer_figures"}


def test_nvidia_is_compared_with_its_named_semiconductor_peers(tmp_path):
    """The embedded default: NVDA's classification peers with SEC facts come first, the medians name
    them, and the Blue Ocean moves and canvas cite those medians."""
    from consultantos_assets.analysis.grounding import check_points

    chosen = peer_set(BUNDLED_SNAPSHOT, tmp_path, profile("NVDA"), live=False)
    with_facts = [p.ticker for p in chosen.peers
                  if p.cik and (FACTS / f"CIK{p.cik:010d}.json").exists()]
    assert len(with_facts) >= 3 and chosen.tickers[:len(with_facts)] == with_facts  # data first
    settings = Settings(mode="offline", snapshot_dir=BUNDLED_SNAPSHOT)
    comparison, _ = peer_comparison(settings_serve(settings), chosen, "offline", BUNDLED_SNAPSHOT, live=False)
    assert [f.ticker for f in comparison.figures] == with_facts
    research, trends, fin = gather(settings, "NVDA")
    ev = evidence_set(research, trends, fin, comparison)
    gm = ev.by_id()["peer:gross_margin:median"]
    assert gm.value == pytest.approx(statistics.median(f.gross_margin for f in comparison.figures))
    assert f"of {len(with_facts)} named peers ({', '.join(with_facts)})" in gm.text
    pack = EvidencePack(research=research, trends=trends, financials=fin, evidence=ev.items,
                        peers=comparison.figures, peer_gaps=ev.gaps)
    bo = RuleBasedAnalyst().blue_ocean(pack)
    row = next(c for c in bo.canvas if c.factor == "Gross margin")
    assert "peer:gross_margin:median" in row.evidence
    moves = [p for p in bo.raise_ + bo.reduce + bo.create if any(i.startswith("peer:") for i in p.evidence)]
    assert moves and all(f"the median of {len(with_facts)} peers ({', '.join(with_facts)})" in p.text for p in moves)
    assert check_points(bo.eliminate + bo.reduce + bo.raise_ + bo.create, pack.evidence) == []
