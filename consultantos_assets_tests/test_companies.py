"""Company directory: profiles and filings from snapshot directories (offline)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from consultantos_assets.sources.base import MissingKey, UnknownCompany
from consultantos_assets.sources.companies import SnapshotDirectory
from consultantos_assets.sources.company_records import short_name
from consultantos_assets.sources.edgar_directory import EdgarDirectory

SHARED = Path("/work/shared/data")
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared real payloads not present")


@pytest.fixture(scope="module")
def shared() -> SnapshotDirectory:
    return SnapshotDirectory(SHARED)


@needs_shared
def test_aapl_profile_merges_sec_and_metadata(shared: SnapshotDirectory) -> None:
    p = shared.profile("aapl")
    assert p.ticker == "AAPL"
    assert p.cik == 320193
    assert p.sic == 3571
    assert p.sic_description == "Electronic Computers"
    assert p.fiscal_year_end == "0926"
    assert p.state_of_incorporation == "CA"
    assert p.exchanges == ["Nasdaq"]
    assert p.sector == "Information Technology"  # S&P 500 table
    assert p.headquarters == "Cupertino, California"
    assert p.employees == 150000  # Yahoo table
    assert p.keywords[:2] == ["Apple", "AAPL"]
    assert "Apple Vision Pro" in p.keywords  # a trends series in the snapshot


@needs_shared
def test_googl_resolves_without_submissions(shared: SnapshotDirectory) -> None:
    p = shared.profile("GOOGL")
    assert p.cik == 1652044
    assert p.name == "Alphabet Inc."  # "(Class A)" dropped
    assert p.sector == "Communication Services"
    assert p.sic is None  # no submissions file for Alphabet in the snapshot
    assert shared.filings(p) == []


@needs_shared
def test_sec_ticker_map_cik_beats_wrong_metadata_cik(shared: SnapshotDirectory) -> None:
    # the S&P table says 2115436 for XOM; SEC's own ticker map says 34088
    assert shared.profile("XOM").cik == 34088


@needs_shared
def test_unknown_ticker_raises(shared: SnapshotDirectory) -> None:
    with pytest.raises(UnknownCompany, match="unknown company 'ZZZZ'"):
        shared.profile("ZZZZ")
    with pytest.raises(UnknownCompany):
        shared.profile("../etc")


@needs_shared
def test_filings_newest_first_with_real_accessions(shared: SnapshotDirectory) -> None:
    p = shared.profile("AAPL")
    filings = shared.filings(p, limit=300)
    assert len(filings) == 300
    dates = [f.filing_date for f in filings]
    assert dates == sorted(dates, reverse=True)
    tenk = shared.filings(p, limit=3, forms=["10-K"])
    assert [f.form for f in tenk] == ["10-K"] * 3
    assert tenk[0].accession == "0000320193-25-000079"
    assert tenk[0].filing_date == date(2025, 10, 31)
    assert tenk[0].report_date == date(2025, 9, 27)
    items = shared.filing_items(p)
    assert items["0000320193-26-000005"] == ["2.02", "9.01"]


@needs_shared
def test_older_submission_pages_are_read(shared: SnapshotDirectory) -> None:
    p = shared.profile("TSLA")
    filings = shared.filings(p, limit=100_000)
    assert filings[-1].filing_date.year <= 2011  # older page CIK0001318605-submissions-001.json


def _write_snapshot(root: Path) -> Path:
    meta = root / "company_metadata"
    meta.mkdir(parents=True)
    (meta / "companies.csv").write_text(
        "ticker,cik,name,sector,industry,sic,sic_description,headquarters,state_of_incorporation,"
        "fiscal_year_end,exchange,employees,website,founded,keywords\n"
        "ACME,123,Acme Widgets Corp.,Industrials,Machinery,3560,General Industrial Machinery,"
        '"Springfield, Ohio",DE,1231,NYSE,"1,200",https://acme.test,1950,Acme;Acme widgets\n',
        encoding="utf-8",
    )
    (meta / "tickers.csv").write_text("ticker,cik,name\nACME,999,ACME WIDGETS\nBETA,456,Beta Holdings plc\n")
    (meta / "other.csv").write_text("Symbol,Security,GICS Sector\nBETA,Beta (Class B),Health Care\n")
    subs = root / "sec_edgar" / "submissions"
    subs.mkdir(parents=True)
    payload = {
        "cik": "0000000456",
        "name": "BETA HOLDINGS PLC",
        "tickers": ["BETA"],
        "exchanges": ["NYSE", "NYSE"],
        "sic": "2834",
        "sicDescription": "Pharmaceutical Preparations",
        "stateOfIncorporation": "X0",
        "fiscalYearEnd": "0630",
        "addresses": {
            "business": {"city": "LONDON", "stateOrCountry": "X0", "stateOrCountryDescription": "United Kingdom"}
        },
        "filings": {
            "recent": {
                "accessionNumber": ["a-1", "a-2", "a-3", "a-4"],
                "filingDate": ["2024-01-05", "not a date", "2025-03-01", "2023-07-07"],
                "reportDate": ["2023-12-31", "", "", ""],
                "form": ["10-K", "8-K", "8-K", ""],
                "primaryDocument": ["k.htm", "x.htm", "e.htm", "z.htm"],
                "items": ["", "", "2.02,9.01", ""],
            },
            "files": [{"name": "../../escape.json"}],
        },
    }
    (subs / "CIK0000000456.json").write_text(json.dumps(payload))
    trends = root / "google_trends" / "deeper"
    trends.mkdir(parents=True)
    (trends / "x.csv").write_text("date,Beta stock price\n2024-01-07,10\n")
    (trends / "y.csv").write_text("date,Betamax\n2024-01-07,10\n")
    return root


def test_own_table_wins_and_keywords_come_from_it(tmp_path: Path) -> None:
    d = SnapshotDirectory(_write_snapshot(tmp_path))
    p = d.profile("ACME")
    assert p.cik == 123  # companies.csv beats tickers.csv
    assert p.name == "Acme Widgets Corp."
    assert p.employees == 1200
    assert p.exchanges == ["NYSE"]
    assert p.keywords == ["Acme", "Acme widgets"]


def test_the_tables_are_read_once_per_process_until_a_table_file_changes(tmp_path: Path) -> None:
    root = _write_snapshot(tmp_path)
    first = SnapshotDirectory(root)
    assert first.profile("BETA").name.startswith("Beta")
    again = SnapshotDirectory(root)  # e.g. the run's sources after the command's own check
    assert again._index() is first._index()
    meta = root / "company_metadata"
    (meta / "tickers.csv").write_text("ticker,cik,name\nACME,999,ACME WIDGETS\nGAMMA,789,Gamma Foods Inc\n")
    changed = SnapshotDirectory(root)
    assert changed.profile("GAMMA").cik == 789
    (meta / "more.csv").write_text("Symbol,Security,GICS Sector\nDELTA,Delta Air,Industrials\n")  # a new table
    assert SnapshotDirectory(root).profile("DELTA").sector == "Industrials"
    (meta / "more.csv").unlink()
    with pytest.raises(UnknownCompany):
        SnapshotDirectory(root).profile("DELTA")


def test_submissions_found_and_malformed_rows_skipped(tmp_path: Path) -> None:
    d = SnapshotDirectory(_write_snapshot(tmp_path))
    p = d.profile("BETA")
    assert p.name == "Beta"  # metadata table first, class designation dropped
    assert p.sector == "Health Care"
    assert p.sic == 2834 and p.fiscal_year_end == "0630"
    assert p.exchanges == ["NYSE"]
    assert p.headquarters == "London, United Kingdom"
    assert p.keywords == ["Beta", "Beta stock price"]  # ticker BETA is the same search; not "Betamax"
    filings = d.filings(p)
    assert [f.accession for f in filings] == ["a-3", "a-1"]  # bad date and empty form skipped
    assert d.filing_items(p) == {"a-3": ["2.02", "9.01"]}


def test_empty_snapshot_unknown(tmp_path: Path) -> None:
    with pytest.raises(UnknownCompany, match=str(tmp_path).replace("\\", "\\\\")):
        SnapshotDirectory(tmp_path).profile("AAPL")


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Apple Inc.", "Apple"),
        ("JPMorgan Chase & Co.", "JPMorgan Chase"),
        ("Alphabet Inc. (Class A)", "Alphabet"),
        ("Amazon.com, Inc.", "Amazon"),
        ("Coca-Cola Company (The)", "Coca-Cola"),
        ("Berkshire Hathaway Inc. Class B", "Berkshire Hathaway"),
    ],
)
def test_short_name(name: str, short: str) -> None:
    assert short_name(name) == short


def test_edgar_needs_identity() -> None:
    with pytest.raises(MissingKey, match="EDGAR_IDENTITY"):
        EdgarDirectory(None).profile("AAPL")


@needs_shared
def test_edgar_directory_on_sec_payloads_through_injected_transport() -> None:
    """EdgarDirectory through SecClient, SEC's ticker list and submissions answered by an injected transport."""
    import httpx

    from consultantos_assets.sources.retry import Guard, RetryPolicy
    from consultantos_assets.sources.sec_http import RateLimiter, SecClient

    sec = SHARED / "sec_edgar"
    agents: set[str] = set()

    def answer(request: httpx.Request) -> httpx.Response:
        agents.add(request.headers["User-Agent"])
        path = request.url.path
        if path == "/files/company_tickers.json":
            return httpx.Response(200, content=(sec / "reference" / "company_tickers.json").read_bytes())
        if path.startswith("/submissions/"):
            file = sec / "submissions" / path.rsplit("/", 1)[1]
            return httpx.Response(200, content=file.read_bytes()) if file.is_file() else httpx.Response(404)
        return httpx.Response(404)

    guard = Guard("SEC EDGAR", RetryPolicy(attempts=1, timeout_s=5))
    client = SecClient("ConsultantOS tests tests@example.com", guard, RateLimiter(100), httpx.MockTransport(answer))
    d = EdgarDirectory("ConsultantOS tests tests@example.com", client)
    p = d.profile("aapl")
    f = d.filings(p, limit=5, forms=["10-K"])
    assert p.cik == 320193 and p.sic == 3571 and p.name == "Apple Inc."
    assert [x.form for x in f] == ["10-K"] * 5
    assert f[0].accession == "0000320193-25-000079"
    assert [x.filing_date for x in f] == sorted((x.filing_date for x in f), reverse=True)
    assert agents == {"ConsultantOS tests tests@example.com"}
    with pytest.raises(UnknownCompany, match="ticker list"):
        d.profile("ZZZZZQ")
