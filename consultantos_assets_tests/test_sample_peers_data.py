"""The bundled sample's peer companies: real SEC figures, enough of them in one GICS sub-industry.

NVIDIA's Semiconductors peers (AMD, AVGO, INTC, QCOM, TXN) and Apple's Technology Hardware, Storage &
Peripherals peers (DELL, NTAP, STX). Each figure is read here straight from the bundled SEC companyfacts
JSON (not through the project's parser) and agrees with what the companies reported in their latest
10-Ks (e.g. AMD fiscal 2024 revenue $25.785bn, Intel $53.101bn, Dell fiscal 2025 $95.567bn).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict

import pytest

from consultantos_assets.models import CompanyProfile, Financials
from consultantos_assets.settings import BUNDLED_SNAPSHOT
from consultantos_assets.sources.sec import SnapshotFinancials

RFCWC = "RevenueFromContractWithCustomerExcludingAssessedTax"
SEMIS, HARDWARE = "Semiconductors", "Technology Hardware, Storage & Peripherals"
# ticker -> (CIK, GICS sub-industry, revenue concept in its 10-K, latest fiscal year, its revenue and
# operating income in USD as the 10-K reported them)
PEERS = {
    "AMD": (2488, SEMIS, RFCWC, 2024, 25_785_000_000, 1_900_000_000),
    "AVGO": (1730168, SEMIS, RFCWC, 2024, 51_574_000_000, 13_463_000_000),
    "INTC": (50863, SEMIS, RFCWC, 2024, 53_101_000_000, -11_678_000_000),
    "QCOM": (804328, SEMIS, "Revenues", 2024, 38_962_000_000, 10_071_000_000),
    "TXN": (97476, SEMIS, RFCWC, 2024, 15_641_000_000, 5_465_000_000),
    "DELL": (1571996, HARDWARE, "Revenues", 2025, 95_567_000_000, 6_237_000_000),
    "NTAP": (1002047, HARDWARE, RFCWC, 2025, 6_572_000_000, 1_337_000_000),
    "STX": (1137789, HARDWARE, RFCWC, 2025, 9_097_000_000, 1_890_000_000),
}
SEC = BUNDLED_SNAPSHOT / "sec_edgar"


def companyfacts(cik: int) -> dict:
    return json.loads((SEC / "companyfacts" / f"CIK{cik:010d}.json").read_text(encoding="utf-8"))


def submissions(cik: int) -> dict:
    return json.loads((SEC / "submissions" / f"CIK{cik:010d}.json").read_text(encoding="utf-8"))


def latest_annual(payload: dict, concept: str) -> dict:
    """The newest full-year 10-K fact of a us-gaap concept, as the latest filing reported it."""
    rows = [r for r in payload["facts"]["us-gaap"][concept]["units"]["USD"]
            if r["form"] == "10-K" and r.get("start")
            and 350 <= (dt.date.fromisoformat(r["end"]) - dt.date.fromisoformat(r["start"])).days <= 380]
    end = max(r["end"] for r in rows)
    return max((r for r in rows if r["end"] == end), key=lambda r: r["filed"])


def financials(ticker: str) -> Financials:
    return SnapshotFinancials(BUNDLED_SNAPSHOT).financials(CompanyProfile(ticker=ticker, name=ticker,
                                                                          cik=PEERS[ticker][0]))


@pytest.mark.parametrize("ticker", list(PEERS))
def test_latest_year_revenue_and_operating_income_match_the_sec_json(ticker: str) -> None:
    cik, _, concept, year, revenue, operating_income = PEERS[ticker]
    payload = companyfacts(cik)
    assert payload["cik"] == cik
    sec_revenue = latest_annual(payload, concept)
    sec_operating = latest_annual(payload, "OperatingIncomeLoss")
    assert (sec_revenue["val"], sec_operating["val"]) == (revenue, operating_income)
    assert sec_revenue["accn"] == sec_operating["accn"]

    fin = financials(ticker)
    assert fin.fiscal_years()[-1] == year
    got_revenue, got_operating = fin.value("revenue", year), fin.value("operating_income", year)
    assert got_revenue.value == sec_revenue["val"] and got_operating.value == sec_operating["val"]
    assert got_revenue.concept == concept
    assert got_revenue.period_end.isoformat() == sec_revenue["end"] == sec_operating["end"]
    assert got_revenue.accession == sec_revenue["accn"] and got_revenue.form == "10-K"


@pytest.mark.parametrize("ticker", list(PEERS))
def test_each_peer_has_the_full_figures_a_comparison_needs(ticker: str) -> None:
    fin = financials(ticker)
    years = fin.fiscal_years()
    assert years[-1] == PEERS[ticker][3] and len(fin.series("revenue")) >= 2
    missing = [m for m in ("revenue", "gross_profit", "operating_income", "operating_cash_flow", "capex",
                           "free_cash_flow", "total_debt", "cash", "ebitda", "shares_outstanding")
               if fin.value(m, years[-1]) is None]
    assert missing == [], f"{ticker} FY{years[-1]} lacks {missing}"
    assert fin.ttm_value("revenue") is not None and fin.quarterly
    assert not fin.gaps


@pytest.mark.parametrize(("ticker", "cost_concept", "gross_profit"), [
    ("QCOM", "CostOfRevenue", 21_902_000_000), ("STX", "CostOfGoodsAndServicesSold", 3_200_000_000)])
def test_gross_profit_without_the_tag_is_revenue_less_cost_of_revenue(ticker: str, cost_concept: str,
                                                                       gross_profit: int) -> None:
    # Qualcomm and Seagate tag no GrossProfit for their latest year; their 10-Ks report revenue and cost
    cik, _, concept, year, _, _ = PEERS[ticker]
    payload = companyfacts(cik)
    revenue = latest_annual(payload, concept)
    cost = latest_annual(payload, cost_concept)
    assert cost["end"] == revenue["end"] and cost["accn"] == revenue["accn"]
    tagged = payload["facts"]["us-gaap"].get("GrossProfit", {"units": {"USD": []}})["units"]["USD"]
    assert not [r for r in tagged if r["end"] == revenue["end"] and r["form"] == "10-K"]
    fin = financials(ticker)
    assert fin.value("gross_profit", year).value == revenue["val"] - cost["val"] == gross_profit


@pytest.mark.parametrize("ticker", list(PEERS))
def test_submissions_and_company_table_agree_with_the_facts(ticker: str) -> None:
    cik, industry, concept, _, _, _ = PEERS[ticker]
    sub = submissions(cik)
    assert int(sub["cik"]) == cik and ticker in sub["tickers"]
    tenk = latest_annual(companyfacts(cik), concept)
    recent = sub["filings"]["recent"]
    i = recent["accessionNumber"].index(tenk["accn"])  # the 10-K the latest figures come from
    assert (recent["form"][i], recent["reportDate"][i], recent["filingDate"][i]) == ("10-K", tenk["end"],
                                                                                     tenk["filed"])
    with (BUNDLED_SNAPSHOT / "company_metadata" / "companies.csv").open(newline="", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["ticker"] == ticker)
    assert (int(row["cik"]), row["sic"], row["fiscal_year_end"]) == (cik, sub["sic"], sub["fiscalYearEnd"])
    assert row["industry"] == industry


def test_two_gics_sub_industries_hold_a_bundled_company_and_three_peers_with_facts() -> None:
    with_facts = {int(p.stem[3:]) for p in (SEC / "companyfacts").glob("CIK*.json")}
    with (BUNDLED_SNAPSHOT / "company_metadata" / "companies.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_industry: dict[str, dict[int, str]] = defaultdict(dict)
    for r in rows:
        if r["cik"] and int(r["cik"]) in with_facts:
            by_industry[r["industry"]].setdefault(int(r["cik"]), r["ticker"])  # GOOGL/GOOG: one company
    for company, industry in (("NVDA", SEMIS), ("AAPL", HARDWARE)):
        peers = {t for t, (_, i, *_rest) in PEERS.items() if i == industry}
        assert len(peers) >= 3 and set(by_industry[industry].values()) >= {company, *peers}


@pytest.mark.parametrize("ticker", list(PEERS))
def test_peer_prices_cover_the_same_five_years(ticker: str) -> None:
    with (BUNDLED_SNAPSHOT / "prices_daily" / f"{ticker}.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    dates = [r["Date"] for r in rows]
    assert (dates[0], dates[-1], len(rows)) == ("2021-02-26", "2026-02-25", 1255)
    assert dates == sorted(set(dates)) and all(float(r["Close"]) > 0 for r in rows)
