"""SEC company facts -> annual / quarterly figures, checked against SEC's own payloads.

Expected values were looked up in ../shared/data/sec_edgar/companyfacts (SEC companyfacts API
payloads) and agree with the companies' reported figures (e.g. Apple FY2024 revenue $391.035bn,
NVIDIA FY2025 revenue $130.497bn, Alphabet 2024 revenue $350.018bn).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from consultantos_assets.models import CompanyProfile, Financials
from consultantos_assets.settings import BUNDLED_SNAPSHOT
from consultantos_assets.sources.base import MissingKey, NoData, ServiceUnavailable
from consultantos_assets.sources.sec import (
    EdgarFinancials,
    SnapshotFinancials,
    parse_companyfacts,
    read_companyfacts,
    select_financials,
)
from consultantos_assets.sources.sec_facts import fiscal_year_of

SHARED = Path(__file__).parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not (SHARED / "sec_edgar").is_dir(),
                                  reason=f"shared payloads not found at {SHARED}")

COMPANIES = {"AAPL": 320193, "NVDA": 1045810, "GOOGL": 1652044, "TSLA": 1318605}
RFCWC = "RevenueFromContractWithCustomerExcludingAssessedTax"


def profile(ticker: str) -> CompanyProfile:
    return CompanyProfile(ticker=ticker, name=ticker, cik=COMPANIES.get(ticker))


def raw_facts(cik: int) -> dict:
    return json.loads((SHARED / "sec_edgar" / "companyfacts" / f"CIK{cik:010d}.json").read_text())


@pytest.fixture(scope="module")
def shared() -> dict[str, Financials]:
    if not (SHARED / "sec_edgar").is_dir():
        pytest.skip(f"shared payloads not found at {SHARED}")
    return {t: SnapshotFinancials(SHARED).financials(profile(t)) for t in COMPANIES}


def fact(fin: Financials, metric: str, year: int):
    found = fin.value(metric, year)
    assert found is not None, f"{fin.ticker} {metric} FY{year} missing"
    return found


# --- fiscal calendar --------------------------------------------------------------------------


@pytest.mark.parametrize(("end", "year"), [
    (dt.date(2024, 9, 28), 2024),   # Apple
    (dt.date(2025, 1, 26), 2025),   # NVIDIA: late January is the fiscal year it ends
    (dt.date(2023, 1, 1), 2022),    # 52/53-week year spilling into January
    (dt.date(2024, 1, 7), 2023),
    (dt.date(2024, 1, 8), 2024),
    (dt.date(2024, 12, 31), 2024),
])
def test_fiscal_year_from_period_end(end: dt.date, year: int) -> None:
    assert fiscal_year_of(end) == year


# --- Apple ------------------------------------------------------------------------------------


@needs_shared
def test_apple_fy2024_revenue_matches_sec(shared) -> None:
    rev = fact(shared["AAPL"], "revenue", 2024)
    assert rev.value == 391_035_000_000
    assert rev.unit == "USD"
    assert rev.concept == RFCWC
    assert (rev.period_start, rev.period_end) == (dt.date(2023, 10, 1), dt.date(2024, 9, 28))
    assert rev.fiscal_period == "FY" and rev.form == "10-K"
    # reported in the FY2024 10-K (0000320193-24-000123) and again in the FY2025 10-K: the most
    # recently filed one is kept
    assert rev.accession == "0000320193-25-000079"
    assert rev.filed == dt.date(2025, 10, 31)
    rows = raw_facts(320193)["facts"]["us-gaap"][RFCWC]["units"]["USD"]
    reporting = sorted((r["filed"], r["accn"]) for r in rows if r["end"] == "2024-09-28"
                       and r.get("start") == "2023-10-01" and r["form"] == "10-K")
    assert [a for _, a in reporting] == ["0000320193-24-000123", "0000320193-25-000079"]
    assert reporting[-1][1] == rev.accession


@needs_shared
def test_apple_fiscal_years_and_period_ends(shared) -> None:
    fin = shared["AAPL"]
    assert fin.fiscal_years() == [2021, 2022, 2023, 2024, 2025]
    ends = {y: fact(fin, "revenue", y).period_end for y in fin.fiscal_years()}
    assert ends == {2021: dt.date(2021, 9, 25), 2022: dt.date(2022, 9, 24), 2023: dt.date(2023, 9, 30),
                    2024: dt.date(2024, 9, 28), 2025: dt.date(2025, 9, 27)}
    fy2023 = fact(fin, "revenue", 2023)
    # FY2023 was a 53-week year (14-week first quarter): 2022-09-25 .. 2023-09-30
    assert fy2023.period_start == dt.date(2022, 9, 25)
    assert (fy2023.period_end - fy2023.period_start).days + 1 == 53 * 7
    assert fy2023.value == 383_285_000_000
    assert fact(fin, "net_income", 2024).value == 93_736_000_000
    assert fact(fin, "net_income", 2025).value == 112_010_000_000
    assert fact(fin, "total_assets", 2024).value == 364_980_000_000
    assert fact(fin, "total_assets", 2024).period_start is None


@needs_shared
def test_comparative_year_is_labelled_by_period_not_by_sec_fy(shared) -> None:
    fy2022 = fact(shared["AAPL"], "revenue", 2022)
    assert fy2022.value == 394_328_000_000
    assert fy2022.accession == "0000320193-24-000123"  # the FY2024 10-K's comparative column
    raw = [r for r in raw_facts(320193)["facts"]["us-gaap"][RFCWC]["units"]["USD"]
           if r["accn"] == fy2022.accession and r["end"] == "2022-09-24" and r.get("start") == "2021-09-26"]
    assert len(raw) == 1 and raw[0]["fy"] == 2024 and raw[0]["fp"] == "FY"
    assert fy2022.fiscal_year == 2022


@needs_shared
def test_eps_in_usd_per_share(shared) -> None:
    eps = fact(shared["AAPL"], "eps_diluted", 2024)
    assert eps.value == pytest.approx(6.08) and eps.unit == "USD/shares"
    assert fact(shared["AAPL"], "eps_diluted", 2025).value == pytest.approx(7.46)
    assert fact(shared["NVDA"], "eps_diluted", 2025).value == pytest.approx(2.94)
    assert all(f.unit == "USD/shares" for f in shared["AAPL"].annual + shared["AAPL"].quarterly
               if f.metric == "eps_diluted")


@needs_shared
def test_shares_outstanding_from_cover_page_mapped_to_its_fiscal_year(shared) -> None:
    shares = fact(shared["AAPL"], "shares_outstanding", 2024)
    assert shares.value == 15_115_823_000 and shares.unit == "shares"
    assert shares.concept == "dei:EntityCommonStockSharesOutstanding"
    assert shares.period_end == dt.date(2024, 10, 18)  # cover-page date, after the year end
    assert shares.accession == "0000320193-24-000123"
    # Alphabet files no dei share count: us-gaap shares at the year end
    goog = fact(shared["GOOGL"], "shares_outstanding", 2024)
    assert goog.concept == "CommonStockSharesOutstanding"
    assert (goog.value, goog.period_end) == (12_211_000_000, dt.date(2024, 12, 31))


# --- NVIDIA: fiscal years ending in late January ------------------------------------------------


@needs_shared
def test_nvidia_fiscal_year_labels(shared) -> None:
    fin = shared["NVDA"]
    assert fin.fiscal_years() == [2022, 2023, 2024, 2025, 2026]
    fy2025 = fact(fin, "revenue", 2025)
    assert fy2025.value == 130_497_000_000
    assert (fy2025.period_start, fy2025.period_end) == (dt.date(2024, 1, 29), dt.date(2025, 1, 26))
    assert fact(fin, "net_income", 2025).value == 72_880_000_000
    assert fact(fin, "revenue", 2024).value == 60_922_000_000
    assert fact(fin, "revenue", 2024).period_end == dt.date(2024, 1, 28)
    assert fact(fin, "revenue", 2026).value == 215_938_000_000
    assert fact(fin, "revenue", 2026).period_end == dt.date(2026, 1, 25)
    # the first NVDA quarter after FY2026 is labelled FY2027 Q1
    q = [f for f in fin.quarterly if f.metric == "revenue" and f.period_end == dt.date(2026, 4, 26)]
    assert [(f.fiscal_year, f.fiscal_period, f.value) for f in q] == [(2027, "Q1", 81_615_000_000)]


# --- concept changes, derived figures ---------------------------------------------------------


@needs_shared
def test_revenue_concept_changes_over_time(shared) -> None:
    goog = shared["GOOGL"]
    assert fact(goog, "revenue", 2022).concept == RFCWC
    assert fact(goog, "revenue", 2022).value == 282_836_000_000
    assert fact(goog, "revenue", 2024).value == 350_018_000_000
    assert fact(goog, "revenue", 2025).concept == "Revenues"  # only tag in Alphabet's FY2025 10-K
    assert fact(goog, "revenue", 2025).value == 402_836_000_000
    # Apple: SalesRevenueNet until FY2015, Revenues in the FY2018 10-K (as known at the end of 2018)
    entity = parse_companyfacts(raw_facts(320193))
    before_2019 = [f for f in entity if f.filing_date and f.filing_date < dt.date(2019, 1, 1)]
    annual = select_financials("AAPL", 320193, "Apple Inc.", before_2019).annual
    revenue = {f.fiscal_year: (f.concept, f.value) for f in annual if f.metric == "revenue"}
    assert revenue == {
        2014: ("SalesRevenueNet", 182_795_000_000), 2015: ("SalesRevenueNet", 233_715_000_000),
        2016: ("Revenues", 215_639_000_000), 2017: ("Revenues", 229_234_000_000),
        2018: ("Revenues", 265_595_000_000),
    }


@needs_shared
def test_concept_priority_beats_later_filing(shared) -> None:
    # Apple's cash: CashAndCashEquivalentsAtCarryingValue, not the restricted-cash total that later
    # 10-Ks repeat in their cash-flow statements
    cash = fact(shared["AAPL"], "cash", 2021)
    assert (cash.concept, cash.value) == ("CashAndCashEquivalentsAtCarryingValue", 34_940_000_000)
    # Tesla: parent equity, not equity including non-controlling interests
    equity = fact(shared["TSLA"], "equity", 2019)
    assert (equity.concept, equity.value) == ("StockholdersEquity", 6_618_000_000)


@needs_shared
def test_gross_profit_derived_when_not_tagged(shared) -> None:
    gp = fact(shared["GOOGL"], "gross_profit", 2024)
    assert gp.concept == f"derived: {RFCWC} - CostOfRevenue"
    assert gp.value == 350_018_000_000 - 146_306_000_000
    assert fact(shared["AAPL"], "gross_profit", 2024).concept == "GrossProfit"


# --- structure --------------------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("ticker", list(COMPANIES))
def test_no_duplicated_years_and_flows_are_one_year(shared, ticker: str) -> None:
    fin = shared[ticker]
    pairs = Counter((f.metric, f.fiscal_year) for f in fin.annual)
    assert pairs and max(pairs.values()) == 1
    assert len(fin.fiscal_years()) == 5
    q_pairs = Counter((f.metric, f.fiscal_year, f.fiscal_period) for f in fin.quarterly)
    assert q_pairs and max(q_pairs.values()) == 1
    for f in fin.annual:
        assert f.fiscal_period == "FY" and f.form in ("10-K", "10-K/A")
        if f.period_start is not None:
            assert 350 <= (f.period_end - f.period_start).days <= 380
            assert fiscal_year_of(f.period_end) == f.fiscal_year
    assert {f.metric for f in fin.annual} >= {"revenue", "net_income", "total_assets", "equity"}


@needs_shared
def test_quarters_are_three_month_values_not_ytd(shared) -> None:
    fin = shared["AAPL"]
    revenue = {(f.fiscal_year, f.fiscal_period): f for f in fin.quarterly if f.metric == "revenue"}
    assert len(revenue) == 8
    assert all(p in ("Q1", "Q2", "Q3") for _, p in revenue)  # Apple's Q4 only exists inside the 10-K
    q3 = revenue[(2025, "Q3")]
    assert q3.value == 94_036_000_000  # the 10-Q's nine-month figure is 313,695,000,000
    assert (q3.period_start, q3.period_end) == (dt.date(2025, 3, 30), dt.date(2025, 6, 28))
    q1 = revenue[(2025, "Q1")]
    assert (q1.value, q1.period_end) == (124_300_000_000, dt.date(2024, 12, 28))
    for f in fin.quarterly:
        assert f.form in ("10-Q", "10-Q/A")
        if f.period_start is not None:
            assert 80 <= (f.period_end - f.period_start).days <= 100
    quarters_2025 = sum(revenue[(2025, p)].value for p in ("Q1", "Q2", "Q3"))
    assert quarters_2025 < fact(fin, "revenue", 2025).value
    latest = max(revenue)
    assert latest == (2026, "Q1") and revenue[latest].value == 143_756_000_000


@needs_shared
def test_gaps_name_missing_metrics_of_latest_year() -> None:
    entity = parse_companyfacts(raw_facts(1652044))
    no_debt = [f for f in entity if "LongTermDebt" not in f.concept]
    annual, _, gaps, _, _ = select_financials("GOOGL", 1652044, "Alphabet", no_debt)
    assert "long-term debt not reported for FY2025" in gaps
    assert not any(f.metric == "long_term_debt" for f in annual)


# --- providers --------------------------------------------------------------------------------


def test_snapshot_without_file_or_cik_raises_nodata(tmp_path: Path) -> None:
    with pytest.raises(NoData, match="no SEC company facts for MSFT .*financial statements are missing"):
        SnapshotFinancials(tmp_path).financials(CompanyProfile(ticker="MSFT", name="Microsoft", cik=789019))
    with pytest.raises(NoData, match="no CIK"):
        SnapshotFinancials(tmp_path).financials(CompanyProfile(ticker="XYZ", name="XYZ"))


def test_snapshot_with_corrupt_json_raises_nodata(tmp_path: Path) -> None:
    folder = tmp_path / "sec_edgar" / "companyfacts"
    folder.mkdir(parents=True)
    (folder / "CIK0000320193.json").write_text('{"cik": 320193, "facts": {', encoding="utf-8")
    with pytest.raises(NoData, match="not readable JSON"):
        SnapshotFinancials(tmp_path).financials(profile("AAPL"))
    (folder / "CIK0000320193.json").write_text('{"cik": 320193, "facts": {}}', encoding="utf-8")
    with pytest.raises(NoData, match="not an SEC companyfacts payload"):
        SnapshotFinancials(tmp_path).financials(profile("AAPL"))


def test_bundled_sample_has_apple_financials() -> None:
    if not (BUNDLED_SNAPSHOT / "sec_edgar" / "companyfacts").is_dir():
        pytest.skip("bundled sample not built (run scripts/build_sample_data.py)")
    fin = SnapshotFinancials(BUNDLED_SNAPSHOT).financials(profile("AAPL"))
    assert fin.value("revenue", 2024).value == 391_035_000_000
    assert fin.provenance.provider == "snapshot" and fin.provenance.mode == "offline"
    assert fin.provenance.as_of == dt.date(2026, 1, 30)
    assert fin.entity_name == "Apple Inc." and fin.gaps == []


def test_edgar_requires_identity() -> None:
    with pytest.raises(MissingKey, match="EDGAR_IDENTITY"):
        EdgarFinancials(None).financials(profile("AAPL"))
    with pytest.raises(MissingKey):
        EdgarFinancials("  ").financials(profile("AAPL"))


@needs_shared
def test_edgar_provider_maps_results_and_failures() -> None:
    """Live company facts through SecClient with an injected httpx transport standing in for SEC."""
    import httpx

    from consultantos_assets.sources.retry import Guard, RetryPolicy
    from consultantos_assets.sources.sec_http import RateLimiter, SecClient

    seen: list[tuple[str, str]] = []
    payload = json.dumps(raw_facts(1045810)).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers["User-Agent"]))
        if request.url.path.endswith("CIK0001045810.json"):
            return httpx.Response(200, content=payload, headers={"Content-Type": "application/json"})
        raise httpx.ConnectError("connection refused", request=request)

    guard = Guard("SEC EDGAR", RetryPolicy(attempts=2, backoff_s=0.01, timeout_s=5))
    client = SecClient("Jane Doe jane@example.com", guard, RateLimiter(100), httpx.MockTransport(answer))
    fin = EdgarFinancials("Jane Doe jane@example.com", client).financials(profile("NVDA"))
    assert seen == [("/api/xbrl/companyfacts/CIK0001045810.json", "Jane Doe jane@example.com")]
    assert fin.value("revenue", 2025).value == 130_497_000_000
    assert fin.provenance.provider == "sec-edgar" and fin.provenance.mode == "live"
    with pytest.raises(ServiceUnavailable, match=r"SEC EDGAR: service unreachable after 2 attempts"):
        EdgarFinancials("Jane Doe jane@example.com", client).financials(profile("AAPL"))


def _edgar_fact(concept: str, value: float, start: str | None, end: str, form: str, accn: str, filed: str,
                unit: str = "USD"):
    from types import SimpleNamespace

    day = dt.date.fromisoformat
    return SimpleNamespace(concept=concept, numeric_value=value, unit=unit, form_type=form, accession=accn,
                           period_start=day(start) if start else None, period_end=day(end),
                           filing_date=day(filed))


def test_derived_liabilities_and_january_year_end_on_synthetic_facts() -> None:
    # a retailer whose 53-week year ends 2023-01-01 (fiscal 2022) and whose 10-K omits Liabilities
    k1, k2, q = "0000000001-23-000001", "0000000001-24-000001", "0000000001-23-000002"
    facts = [
        _edgar_fact("us-gaap:Revenues", 1000, "2021-12-27", "2023-01-01", "10-K", k1, "2023-02-20"),
        _edgar_fact("us-gaap:Revenues", 1010, "2021-12-27", "2023-01-01", "10-K", k2, "2024-02-20"),  # restated
        _edgar_fact("us-gaap:Revenues", 1200, "2023-01-02", "2023-12-31", "10-K", k2, "2024-02-20"),
        _edgar_fact("us-gaap:Revenues", 700, "2023-01-02", "2023-07-02", "10-Q", q, "2023-08-01"),  # YTD
        _edgar_fact("us-gaap:Revenues", 300, "2023-04-03", "2023-07-02", "10-Q", q, "2023-08-01"),
        _edgar_fact("us-gaap:CostOfRevenue", 900, "2023-01-02", "2023-12-31", "10-K", k2, "2024-02-20"),
        _edgar_fact("us-gaap:LiabilitiesAndStockholdersEquity", 5000, None, "2023-12-31", "10-K", k2,
                    "2024-02-20"),
        _edgar_fact("us-gaap:StockholdersEquity", 1500, None, "2023-12-31", "10-K", k2, "2024-02-20"),
        _edgar_fact("dei:EntityCommonStockSharesOutstanding", 42, None, "2024-02-10", "10-K", k2,
                    "2024-02-20", unit="shares"),
    ]
    annual, quarterly, gaps, _, _ = select_financials("RTL", 1, "Retailer", facts)
    by = {(f.metric, f.fiscal_year): f for f in annual}
    assert by[("revenue", 2022)].value == 1010 and by[("revenue", 2022)].accession == k2
    assert by[("revenue", 2023)].value == 1200
    assert by[("gross_profit", 2023)].value == 300
    assert by[("gross_profit", 2023)].concept == "derived: Revenues - CostOfRevenue"
    liabilities = by[("total_liabilities", 2023)]
    assert liabilities.value == 3500 and liabilities.concept.startswith("derived: LiabilitiesAndStockholdersEquity")
    assert (by[("shares_outstanding", 2023)].value, by[("shares_outstanding", 2023)].fiscal_year) == (42, 2023)
    assert [(f.fiscal_year, f.fiscal_period, f.value) for f in quarterly] == [(2023, "Q2", 300)]
    assert "long-term debt not reported for FY2023" in gaps and "cash and equivalents not reported for FY2023" in gaps
    assert not any("revenue" in g for g in gaps)


@needs_shared
@pytest.mark.parametrize("ticker", sorted(COMPANIES))
def test_snapshot_reader_selects_what_edgartools_parse_selects(ticker) -> None:
    """The snapshot path reads SEC's JSON itself (no edgartools import); over the full payloads the
    selection must come out identical to the one over edgartools' parse, which the live path uses."""
    payload = raw_facts(COMPANIES[ticker])
    ours = select_financials(ticker, COMPANIES[ticker], ticker, list(read_companyfacts(payload)))
    theirs = select_financials(ticker, COMPANIES[ticker], ticker, list(parse_companyfacts(payload)))
    assert ours.annual and ours.quarterly
    assert ours == theirs


def test_snapshot_reader_skips_what_is_not_a_number() -> None:
    payload = {"cik": 1, "entityName": "X", "facts": {"us-gaap": {RFCWC: {"units": {"USD": [
        {"start": "2024-01-01", "end": "2024-12-31", "val": 5.0, "accn": "a", "form": "10-K", "filed": "2025-02-01"},
        {"start": "2024-01-01", "end": "2024-12-31", "val": "n/a", "accn": "b", "form": "10-K", "filed": "2025-02-01"},
        {"start": "2024-01-01", "end": "2024-12-31", "val": True, "accn": "c", "form": "10-K", "filed": "2025-02-01"},
    ]}}, "NotAConceptWeUse": {"units": {"USD": [{"end": "2024-12-31", "val": 1}]}}}}}
    facts = read_companyfacts(payload)
    assert [f.accession for f in facts] == ["a"] and facts.cik == 1 and facts.name == "X"
    assert read_companyfacts({"facts": {}}) is None and read_companyfacts({}) is None
