"""The bundled sample built by scripts/build_sample_data.py: facts only, compact, faithful."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import os
from pathlib import Path

import pytest

from consultantos_assets.models import CompanyProfile
from consultantos_assets.settings import BUNDLED_SNAPSHOT
from consultantos_assets.sources.sec import SnapshotFinancials

REPO = Path(__file__).parents[1]
SHARED = REPO.parent / "shared" / "data"
# the raw peer payloads given to the build with --extra (PROVENANCE.md); `make sample` reads the same
EXTRA = Path(os.environ.get("SAMPLE_EXTRA") or REPO.parent / "shared" / "data_peers")
EXTRAS = [EXTRA] if (EXTRA / "SOURCES.md").is_file() else []
COMPANIES = {"AAPL": 320193, "NVDA": 1045810, "GOOGL": 1652044, "TSLA": 1318605}
PEERS = {"AMD": 2488, "AVGO": 1730168, "INTC": 50863, "QCOM": 804328, "TXN": 97476,
         "DELL": 1571996, "NTAP": 1002047, "STX": 1137789}
PEER_PRICES = ("AMD", "INTC", "QCOM", "TXN", "DELL", "NTAP", "STX")  # AVGO's are in ../shared/data
# what the extra payloads make (or change) in the sample
FROM_EXTRA = {"README.md", "PROVENANCE.md", "company_metadata/companies.csv"} | {
    f"sec_edgar/{kind}/CIK{cik:010d}.json" for cik in PEERS.values() for kind in ("companyfacts", "submissions")
} | {f"prices_daily/{t}.csv" for t in PEER_PRICES}


def _load_script():
    spec = importlib.util.spec_from_file_location("build_sample_data", REPO / "scripts" / "build_sample_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    if not (SHARED / "sec_edgar").is_dir():
        pytest.skip(f"shared payloads not found at {SHARED}")
    out = tmp_path_factory.mktemp("sample")
    _load_script().build(SHARED, out, EXTRAS)
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("ticker", list(COMPANIES) + list(PEERS))
def test_trimmed_companyfacts_give_identical_figures(built: Path, ticker: str) -> None:
    cik = COMPANIES.get(ticker) or PEERS[ticker]
    raw = SHARED if ticker in COMPANIES else EXTRA
    if not (raw / "sec_edgar" / "companyfacts" / f"CIK{cik:010d}.json").is_file():
        pytest.skip(f"raw payload of {ticker} not found under {raw} (set SAMPLE_EXTRA)")
    profile = CompanyProfile(ticker=ticker, name=ticker, cik=cik)
    full = SnapshotFinancials(raw).financials(profile)
    trimmed = SnapshotFinancials(built).financials(profile)
    assert trimmed.annual == full.annual
    assert trimmed.quarterly == full.quarterly
    assert trimmed.gaps == full.gaps and trimmed.entity_name == full.entity_name
    assert len(full.annual) > 40


def test_sample_is_small_deterministic_and_current(built: Path, tmp_path: Path) -> None:
    size = sum(p.stat().st_size for p in built.rglob("*") if p.is_file())
    assert size < 10 * 1024 * 1024
    again = tmp_path / "again"
    _load_script().build(SHARED, again, EXTRAS)
    assert _digest(again) == _digest(built)
    fresh = _digest(built)
    if not EXTRAS:  # without the peers' raw payloads only what they do not touch can be compared
        fresh = {k: v for k, v in fresh.items() if k not in FROM_EXTRA}
    bundled = {k: v for k, v in _digest(BUNDLED_SNAPSHOT).items() if k in fresh}
    if not bundled:
        pytest.skip("bundled sample not built yet")
    assert bundled == fresh, "bundled sample is stale: run `make sample`"


def test_companyfacts_keep_sec_structure_without_prose(built: Path) -> None:
    payload = json.loads((built / "sec_edgar" / "companyfacts" / "CIK0000320193.json").read_text())
    assert payload["cik"] == 320193 and payload["entityName"] == "Apple Inc."
    assert set(payload["facts"]) == {"dei", "us-gaap"}
    revenue = payload["facts"]["us-gaap"]["RevenueFromContractWithCustomerExcludingAssessedTax"]
    assert set(revenue) == {"label", "units"}  # no "description"
    row = revenue["units"]["USD"][0]
    assert {"start", "end", "val", "accn", "fy", "fp", "form", "filed"} <= set(row)
    forms = {r["form"] for c in payload["facts"]["us-gaap"].values() for rows in c["units"].values() for r in rows}
    assert forms <= {"10-K", "10-K/A", "10-Q", "10-Q/A"}
    assert "EntityCommonStockSharesOutstanding" in payload["facts"]["dei"]


def test_submissions_trimmed_to_profile_and_filings(built: Path) -> None:
    folder = built / "sec_edgar" / "submissions"
    peers = [f"CIK{cik:010d}.json" for cik in PEERS.values()] if EXTRAS else []
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        "CIK0000320193.json", "CIK0000789019.json", "CIK0001045810.json", "CIK0001318605.json", *peers])
    sub = json.loads((folder / "CIK0000320193.json").read_text())
    assert sub["name"] == "Apple Inc." and sub["sic"] == "3571" and sub["fiscalYearEnd"] == "0926"
    assert sub["addresses"] == {"business": {"city": "CUPERTINO", "stateOrCountry": "CA"}}
    assert "description" not in sub and sub["filings"]["files"] == []
    recent = sub["filings"]["recent"]
    assert set(recent) == {"accessionNumber", "filingDate", "reportDate", "form", "primaryDocument",
                           "items", "primaryDocDescription"}
    assert 0 < len(recent["form"]) <= 250
    assert len({len(v) for v in recent.values()}) == 1
    assert set(recent["form"]) <= {"10-K", "10-K/A", "10-Q", "8-K", "DEF 14A", "S-1", "20-F", "6-K"}
    i = recent["accessionNumber"].index("0000320193-24-000123")
    assert (recent["form"][i], recent["filingDate"][i], recent["reportDate"][i]) == ("10-K", "2024-11-01",
                                                                                     "2024-09-28")


def test_company_metadata(built: Path) -> None:
    path = built / "company_metadata" / "companies.csv"
    assert path.read_text().splitlines()[0] == ("ticker,cik,name,sector,industry,sic,sic_description,"
                                                "headquarters,state_of_incorporation,fiscal_year_end,exchange,"
                                                "employees,website,founded,keywords")
    rows = {r["ticker"]: r for r in _rows(path)}
    assert len(rows) == 503 and list(rows) == sorted(rows)
    aapl = rows["AAPL"]
    assert (aapl["cik"], aapl["sic"], aapl["fiscal_year_end"], aapl["sector"]) == (
        "320193", "3571", "0926", "Information Technology")
    assert aapl["employees"] == "150000" and aapl["website"] == "https://www.apple.com"
    assert aapl["keywords"].split(";")[:2] == ["AAPL", "Apple"]
    assert set(aapl["keywords"].split(";")) == {"AAPL", "Apple", "iPhone 16", "Apple Vision Pro",
                                                "Apple stock price", "Apple earnings report"}
    assert rows["XOM"]["cik"] == "34088"  # SEC's ticker map, not the list's 2115436
    assert "Google" in rows["GOOGL"]["keywords"].split(";")
    assert rows["BRK-B"]["cik"] == "1067983"
    text = path.read_text()
    assert "designs, manufactures" not in text  # no business summaries
    tickers = {r["ticker"]: r for r in _rows(built / "company_metadata" / "tickers.csv")}
    assert tickers["NVDA"]["cik"] == "1045810" and len(tickers) > 9000


def test_prices_and_trends_copied(built: Path) -> None:
    assert len(list((built / "prices_daily").glob("*.csv"))) == 16 + len(PEER_PRICES) * bool(EXTRAS)
    first = (built / "prices_daily" / "AAPL.csv").read_text().splitlines()[:2]
    assert first == ["Date,Open,High,Low,Close,Volume", "2021-02-26,119.4021,121.6033,118.0482,118.1067,164560400"]
    src = SHARED / "google_trends" / "weekly_worldwide_2020-08_2025-07" / "iPhone_16.csv"
    assert (built / "google_trends" / "iPhone_16.csv").read_bytes() == src.read_bytes()
    assert len(list((built / "google_trends").glob("*.csv"))) == 44


@pytest.mark.parametrize("case", ["no SOURCES.md", "unnamed file", "name in both inputs"])
def test_bad_extra_input_is_refused_before_anything_is_removed(tmp_path: Path, case: str) -> None:
    if not (SHARED / "sec_edgar").is_dir():
        pytest.skip(f"shared payloads not found at {SHARED}")
    extra = tmp_path / "extra"
    (extra / "prices_daily").mkdir(parents=True)
    name = "AAPL.csv" if case == "name in both inputs" else "ZZZZ.csv"
    (extra / "prices_daily" / name).write_bytes((SHARED / "prices_daily" / "AAPL.csv").read_bytes())
    if case != "no SOURCES.md":
        (extra / "SOURCES.md").write_text("AAPL.csv from somewhere\n" if name == "AAPL.csv" else "nothing\n")
    out = tmp_path / "out"
    (out / "prices_daily").mkdir(parents=True)
    (out / "prices_daily" / "KEEP.csv").write_text("kept\n")
    expected = {"no SOURCES.md": "has no SOURCES.md", "unnamed file": "does not name prices_daily/ZZZZ.csv",
                "name in both inputs": "prices_daily/AAPL.csv is in both"}[case]
    with pytest.raises(SystemExit, match=expected):
        _load_script().build(SHARED, out, [extra])
    assert (out / "prices_daily" / "KEEP.csv").read_text() == "kept\n"
