"""Figures an analyst reads first, checked against SEC's own JSON read in the test itself.

One share basis across splits, market cap, cash flow, multiples, the latest quarter, the age of the
statements and banks. Expected values come from ../shared/data (SEC companyfacts payloads and the
daily price CSVs) through plain ``json`` / ``csv`` reads, never through the project's parser.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
from pathlib import Path

import pytest

from consultantos_assets.analysis.analyst import EvidencePack, Frameworks
from consultantos_assets.analysis.assemble import report_input
from consultantos_assets.analysis.coverage import recency, source_dates
from consultantos_assets.analysis.evidence import build_evidence
from consultantos_assets.analysis.rules import RuleBasedAnalyst
from consultantos_assets.analysis.valuation import multiples
from consultantos_assets.models import CompanyProfile, PricePoint
from consultantos_assets.report import content, key_figures
from consultantos_assets.report.markdown import render_markdown
from consultantos_assets.settings import BUNDLED_SNAPSHOT, Settings
from consultantos_assets.sources.collect import gather
from consultantos_assets.sources.sec import SnapshotFinancials, parse_companyfacts, select_financials

SHARED = Path(__file__).parents[1].parent / "shared" / "data"
pytestmark = pytest.mark.skipif(not (SHARED / "sec_edgar").is_dir(), reason=f"shared payloads not at {SHARED}")
CIKS = {"AAPL": 320193, "NVDA": 1045810, "TSLA": 1318605}


@functools.cache
def raw(ticker: str) -> dict:
    return json.loads((SHARED / "sec_edgar" / "companyfacts" / f"CIK{CIKS[ticker]:010d}.json").read_text())


def rows(ticker: str, concept: str, unit: str, taxonomy: str = "us-gaap") -> list[dict]:
    return raw(ticker)["facts"][taxonomy][concept]["units"][unit]


def newest(candidates: list[dict]) -> dict:
    return max(candidates, key=lambda r: (r["filed"], r["accn"]))


def last_close(ticker: str) -> tuple[dt.date, float]:
    with (SHARED / "prices_daily" / f"{ticker}.csv").open(newline="") as handle:
        last = list(csv.DictReader(handle))[-1]
    return dt.date.fromisoformat(last["Date"][:10]), float(last["Close"])


def split_dates(ticker: str) -> dict[float, dt.date]:
    """SEC's own split-ratio facts: ratio -> the earliest date they are reported at."""
    out: dict[float, dt.date] = {}
    for r in rows(ticker, "StockholdersEquityNoteStockSplitConversionRatio1", "pure"):
        d = dt.date.fromisoformat(r["end"])
        out[float(r["val"])] = min(out.get(float(r["val"]), d), d)
    return out


@functools.cache
def shared_fin(ticker: str):
    return SnapshotFinancials(SHARED).financials(CompanyProfile(ticker=ticker, name=ticker, cik=CIKS[ticker]))


@functools.cache
def run(ticker: str, sector: str | None = None, sic: int | None = None):
    """The offline pipeline's models for a ticker (bundled sample) and the rule-based analysis."""
    research, trends, fin = (m.model_copy(deep=True) for m in
                             gather(Settings(mode="offline", snapshot_dir=BUNDLED_SNAPSHOT), ticker))
    if sector or sic:
        research.profile = research.profile.model_copy(update={"sector": sector, "sic": sic})
    pack = EvidencePack(research=research, trends=trends, financials=fin,
                        evidence=build_evidence(research, trends, fin))
    a = RuleBasedAnalyst()
    fw = Frameworks(porter=a.porter(pack), swot=a.swot(pack), pestel=a.pestel(pack), blue_ocean=a.blue_ocean(pack))
    syn = a.synthesis(pack, fw)
    return pack, fw, syn, report_input(research, trends, fin, fw, syn)


# --- one share basis ----------------------------------------------------------------------------


def test_nvda_eps_and_shares_on_one_basis_for_every_year() -> None:
    fin = shared_fin("NVDA")
    splits = split_dates("NVDA")
    assert set(splits) == {4.0, 10.0}

    def restated(r: dict, per_share: bool) -> float:
        factor = 1.0
        for ratio, when in splits.items():
            if dt.date.fromisoformat(r["filed"]) < when:
                factor *= ratio
        return r["val"] / factor if per_share else r["val"] * factor

    eps_rows = rows("NVDA", "EarningsPerShareDiluted", "USD/shares")
    cover = rows("NVDA", "EntityCommonStockSharesOutstanding", "shares", "dei")
    years = fin.fiscal_years()
    assert years == [2022, 2023, 2024, 2025, 2026]
    for fy in years:
        ours = fin.value("eps_diluted", fy)
        end = ours.period_end.isoformat()
        annual = [r for r in eps_rows if r["end"] == end and r["form"] == "10-K" and r.get("start")
                  and 350 <= (dt.date.fromisoformat(end) - dt.date.fromisoformat(r["start"])).days <= 380]
        assert ours.value == pytest.approx(restated(newest(annual), True), abs=0.005), fy
        shares = fin.value("shares_outstanding", fy)
        ten_k = newest([r for r in cover if r["accn"] == shares.accession])
        assert shares.value == pytest.approx(restated(ten_k, False)), fy
        assert 23e9 < shares.value < 26e9, f"FY{fy} shares not on the post-2024 basis: {shares.value:,.0f}"
    # FY2022's $3.85 was never restated by a filing after the 10-for-1 split: it is divided here
    fy2022 = fin.value("eps_diluted", 2022)
    assert fy2022.reported_value == pytest.approx(3.85) and fy2022.value == pytest.approx(0.385)
    assert fy2022.split_factor == pytest.approx(0.1)
    # FY2023 was restated by SEC filings themselves (1.74 -> 0.17): the restated value is kept as filed
    assert fin.value("eps_diluted", 2023).value == pytest.approx(0.17)
    assert fin.value("eps_diluted", 2023).split_factor == 1.0


def test_splits_are_recorded_with_their_evidence() -> None:
    fin = shared_fin("NVDA")
    by_factor = {s.factor: s for s in fin.splits}
    assert set(by_factor) == {4.0, 10.0}
    ten = by_factor[10.0]
    assert ten.last_old_filing < split_dates("NVDA")[10.0] <= ten.first_new_filing
    accessions = {r["accn"] for r in rows("NVDA", "EarningsPerShareBasic", "USD/shares")}
    cited = {w.strip("()") for e in ten.evidence for w in e.split() if w.count("-") == 2 and len(w) >= 20}
    assert cited and cited <= accessions | {r["accn"] for r in rows(
        "NVDA", "StockholdersEquityNoteStockSplitConversionRatio1", "pure")}
    assert any("StockholdersEquityNoteStockSplitConversionRatio1 = 10" in e for e in ten.evidence)


def test_tsla_market_cap_is_last_close_times_latest_cover_share_count() -> None:
    _, _, _, report = run("TSLA")
    p = report.financials.prices
    cover = newest(rows("TSLA", "EntityCommonStockSharesOutstanding", "shares", "dei"))
    assert cover["val"] == 3_157_752_449  # the 2022-10-18 cover, after the 3-for-1 split
    day, close = last_close("TSLA")
    assert p.last_date == day and p.last_close == pytest.approx(close, abs=1e-4)
    assert p.market_cap_shares == cover["val"]
    assert p.market_cap_shares_date == dt.date.fromisoformat(cover["end"])
    assert p.market_cap == pytest.approx(close * cover["val"], rel=1e-6)
    assert 1.2e12 < p.market_cap < 1.45e12
    note = content.market_cap_note(report)
    assert day.isoformat() in note and cover["end"] in note


# --- cash flow and capital ------------------------------------------------------------------------


def test_aapl_operating_cash_flow_capex_and_free_cash_flow() -> None:
    fin = shared_fin("AAPL")
    for fy, end in ((2024, "2024-09-28"), (2025, "2025-09-27")):
        def annual(concept: str, end: str = end) -> dict:
            return newest([r for r in rows("AAPL", concept, "USD") if r["end"] == end and r["form"] == "10-K"
                           and r.get("start") and (dt.date.fromisoformat(end)
                                                   - dt.date.fromisoformat(r["start"])).days > 350])
        ocf = annual("NetCashProvidedByUsedInOperatingActivities")
        capex = annual("PaymentsToAcquirePropertyPlantAndEquipment")
        assert fin.value("operating_cash_flow", fy).value == ocf["val"]
        assert fin.value("operating_cash_flow", fy).accession == ocf["accn"]
        assert fin.value("capex", fy).value == capex["val"]
        fcf = fin.value("free_cash_flow", fy)
        assert fcf.value == ocf["val"] - capex["val"]
        assert "NetCashProvidedByUsedInOperatingActivities" in fcf.concept
    assert fin.value("free_cash_flow", 2025).value == pytest.approx(98.767e9, rel=1e-3)
    # TTM to the Q1 FY2026 10-Q: FY2025 + Q1 FY2026 - Q1 FY2025
    q = [r for r in rows("AAPL", "NetCashProvidedByUsedInOperatingActivities", "USD") if r["form"] == "10-Q"]
    cur = newest([r for r in q if r["end"] == "2025-12-27"])
    prior = newest([r for r in q if r["end"] == "2024-12-28" and r["start"] == "2024-09-29"])
    fy = fin.value("operating_cash_flow", 2025).value
    assert fin.ttm_value("operating_cash_flow").value == fy + cur["val"] - prior["val"]
    assert fin.ttm_value("operating_cash_flow").period_end == dt.date(2025, 12, 27)


def test_aapl_net_cash_counts_securities_and_all_debt() -> None:
    fin = shared_fin("AAPL")
    end = "2025-09-27"

    def bal(concept: str) -> float:
        return newest([r for r in rows("AAPL", concept, "USD") if r["end"] == end and r["form"] == "10-K"])["val"]

    cash = (bal("CashAndCashEquivalentsAtCarryingValue") + bal("MarketableSecuritiesCurrent")
            + bal("MarketableSecuritiesNoncurrent"))
    debt = bal("LongTermDebtNoncurrent") + bal("LongTermDebtCurrent") + bal("CommercialPaper")
    assert fin.value("cash_and_securities", 2025).value == cash
    assert fin.value("total_debt", 2025).value == debt
    assert fin.value("net_cash", 2025).value == cash - debt


# --- multiples ------------------------------------------------------------------------------------


def test_multiples_use_figures_filed_by_the_last_close() -> None:
    _, _, _, report = run("AAPL")
    day, close = last_close("AAPL")
    # the Q1 FY2026 10-Q (filed 2026-01-30) is known at the 2026-02-25 close: TTM EPS
    eps = [r for r in rows("AAPL", "EarningsPerShareDiluted", "USD/shares")]
    fy = newest([r for r in eps if r["end"] == "2025-09-27" and r["form"] == "10-K"])["val"]
    cur = newest([r for r in eps if r["end"] == "2025-12-27" and r["form"] == "10-Q"])
    prior = newest([r for r in eps if r["end"] == "2024-12-28" and r["start"] == "2024-09-29"])
    assert dt.date.fromisoformat(cur["filed"]) <= day
    ttm_eps = fy + cur["val"] - prior["val"]
    pe = {m.key: m for m in content.multiples_rows(report)}["pe_trailing"]
    assert pe.value == pytest.approx(close / ttm_eps, rel=1e-6)
    assert "TTM" in pe.basis
    ev = report.evidence_by_id()["val:pe_trailing"]
    assert ev.value == pe.value and ev.unit == "x"
    # NVIDIA: its Q1 FY2027 10-Q was filed after the last close, so FY2026 EPS is used
    _, _, _, nv = run("NVDA")
    nv_day, nv_close = last_close("NVDA")
    fy2026 = newest([r for r in rows("NVDA", "EarningsPerShareDiluted", "USD/shares")
                     if r["end"] == "2026-01-25" and r["form"] == "10-K"])
    assert dt.date.fromisoformat(fy2026["filed"]) <= nv_day
    nv_pe = {m.key: m for m in content.multiples_rows(nv)}["pe_trailing"]
    assert nv_pe.value == pytest.approx(nv_close / fy2026["val"], rel=1e-6)
    assert "FY2026" in nv_pe.basis


def test_pe_is_na_on_a_loss_year() -> None:
    eps_2019 = newest([r for r in rows("TSLA", "EarningsPerShareDiluted", "USD/shares")
                       if r["end"] == "2019-12-31" and r.get("start") == "2019-01-01" and r["form"] == "10-K"
                       and r["filed"] < "2020-03-01"])
    assert eps_2019["val"] < 0  # Tesla lost money in 2019 (as its FY2019 10-K reported it)
    facts = parse_companyfacts(raw("TSLA"))
    before = [f for f in facts if f.filing_date and f.filing_date < dt.date(2020, 3, 1)]
    sel = select_financials("TSLA", CIKS["TSLA"], "Tesla", before)
    fin = shared_fin("TSLA").model_copy(update={"annual": sel.annual, "quarterly": sel.quarterly,
                                                "ttm": sel.ttm, "splits": sel.splits})
    from consultantos_assets.analysis.metrics import price_stats

    fin.prices = price_stats([PricePoint(date=dt.date(2020, 2, 28), close=133.6)], 180e6)
    pe = {m.key: m for m in multiples(fin)}["pe_trailing"]
    assert pe.value is None and pe.display == "n/a"
    assert "loss" in (pe.reason or "") and f"{eps_2019['val']:,.2f}" in pe.reason


# --- latest quarter, age, as-of ---------------------------------------------------------------------


def test_latest_quarter_and_growth_match_sec() -> None:
    for ticker, concept, end, year_ago_end in (
        ("NVDA", "Revenues", "2026-04-26", "2025-04-27"),
        ("AAPL", "RevenueFromContractWithCustomerExcludingAssessedTax", "2025-12-27", "2024-12-28"),
    ):
        quarterly = [r for r in rows(ticker, concept, "USD") if r["form"] == "10-Q" and r.get("start")
                     and 80 <= (dt.date.fromisoformat(r["end"]) - dt.date.fromisoformat(r["start"])).days <= 100]
        cur = newest([r for r in quarterly if r["end"] == end])
        ago = newest([r for r in quarterly if r["end"] == year_ago_end])
        _, _, syn, report = run(ticker)
        q = content.latest_quarter_table(report)
        assert q is not None and q.rows[0][0] == "Revenue"
        growth = cur["val"] / ago["val"] - 1
        assert q.rows[0][3] == f"{growth * 100:+.1f}%"
        first = syn.executive_summary.split("\n\n")[0]
        assert "latest quarter" in first and f"{growth * 100:+.1f}%" in first
        fy = report.financials.fiscal_years()[-1]
        assert first.index("latest quarter") < first.index(f"fiscal {fy} revenue")  # latest first, annual after
    assert 0.84 < 81.615e9 / 44.062e9 - 1 < 0.86


def test_tsla_summary_names_the_age_of_its_statements() -> None:
    pack, _, syn, report = run("TSLA")
    ends = [r["end"] for r in rows("TSLA", "Revenues", "USD") if r["form"] == "10-K"]
    latest_fy_end = dt.date.fromisoformat(max(ends))
    assert latest_fy_end == dt.date(2021, 12, 31)
    as_of = report.as_of
    months = (as_of.year - latest_fy_end.year) * 12 + as_of.month - latest_fy_end.month - (
        1 if as_of.day < latest_fy_end.day else 0)
    assert months > 15
    first = syn.executive_summary.split("\n\n")[0]
    assert "dated" in first and "fiscal 2021" in first and f"{months} months" in first
    assert recency(pack)["statements"] < 1.0  # and confidence falls for it
    _, _, fresh_syn, _ = run("AAPL")
    assert "dated" not in fresh_syn.executive_summary


def test_as_of_is_defined_once_and_the_cover_lists_each_source_date() -> None:
    _, _, _, report = run("NVDA")
    dates = source_dates(report.research, report.trends, report.financials)
    assert report.as_of == max(d for d in dates.values() if d)
    day, _ = last_close("NVDA")
    assert dates["Share prices"] == day
    newest_filed = max(r["filed"] for r in rows("NVDA", "Revenues", "USD") if r["end"] == "2026-04-26")
    assert dates["Financial statements"] >= dt.date.fromisoformat(newest_filed)
    statuses = {s.name: s.as_of for s in content.source_statuses(report)}
    assert statuses["Share prices"] == day.isoformat()
    assert statuses["Financial statements"] == dates["Financial statements"].isoformat()


# --- banks ------------------------------------------------------------------------------------------


LEVERAGE_WORDS = ("leverage", "liabilities are", "of assets: high", "thin equity cushion")


def _texts(fw, syn) -> list[str]:
    pts = [p for f in fw.porter.forces for p in f.points]
    pts += fw.swot.strengths + fw.swot.weaknesses + fw.swot.opportunities + fw.swot.threats
    pts += fw.blue_ocean.reduce + syn.key_findings + syn.recommendations + syn.risks
    return [p.text for p in pts] + [syn.executive_summary]


def test_bank_report_makes_no_leverage_claim() -> None:
    # JPMorgan: a bank without SEC company facts in the sample: it says what is missing
    pack, fw, syn, report = run("JPM")
    assert pack.research.profile.sector == "Financials"
    assert not any(w in t.lower() for t in _texts(fw, syn) for w in LEVERAGE_WORDS)
    assert not any(e.id.startswith("fin:liabilities_to_assets") for e in pack.evidence)
    gaps = [g for _, g in content.data_gaps(report)]
    assert any("Financial statements are missing for JPM" in g for g in gaps)
    assert any("not judged from liabilities to assets" in g for g in gaps)
    assert len(gaps) == len(set(gaps))  # a gap several frameworks record is listed once, naming them all
    where = next(o for o, g in content.data_gaps(report) if "not judged from liabilities to assets" in g)
    assert ", " in where
    # the same rules on real statements (Apple's, read as a bank's by its SIC code): equity to assets
    pack, fw, syn, report = run("AAPL", sector="Financials", sic=6021)
    equity = newest([r for r in rows("AAPL", "StockholdersEquity", "USD") if r["end"] == "2025-09-27"])
    assets = newest([r for r in rows("AAPL", "Assets", "USD") if r["end"] == "2025-09-27"])
    ev = pack.by_id()["fin:equity_to_assets:FY2025"]
    assert ev.value == pytest.approx(equity["val"] / assets["val"])
    assert not any(e.id.startswith(("fin:liabilities_to_assets", "fin:cash_to_debt")) for e in pack.evidence)
    assert not any(w in t.lower() for t in _texts(fw, syn) for w in LEVERAGE_WORDS)
    assert any("Equity is" in p.text for p in fw.swot.strengths + fw.swot.weaknesses)
    ev_multiples = {m.key: m for m in content.multiples_rows(report)}
    assert ev_multiples["ev_ebitda"].value is None and "bank" in ev_multiples["ev_ebitda"].reason
    # the non-bank reading of the same facts does state liabilities to assets
    apple, _, _, _ = run("AAPL")
    assert "fin:liabilities_to_assets:FY2025" in apple.by_id()


# --- report and exports ---------------------------------------------------------------------------


def test_markdown_and_json_carry_cash_flow_multiples_and_latest_quarter() -> None:
    _, _, _, report = run("AAPL")
    text = render_markdown(report)
    for heading in ("### Latest quarter and trailing twelve months", "### Cash flow and capital",
                    "### Valuation multiples"):
        assert heading in text
    figures = key_figures(report)
    ocf = newest([r for r in rows("AAPL", "NetCashProvidedByUsedInOperatingActivities", "USD")
                  if r["end"] == "2025-09-27" and r["form"] == "10-K" and r["start"] == "2024-09-29"])
    assert figures["cash_flow"]["operating_cash_flow"]["2025"]["value"] == ocf["val"]
    assert figures["cash_flow"]["operating_cash_flow"]["2025"]["accession"] == ocf["accn"]
    assert figures["multiples"]["pe_trailing"]["value"] == pytest.approx(
        report.evidence_by_id()["val:pe_trailing"].value)
    assert figures["latest_quarter"][0]["current"]["period"] == "Q1 FY2026"
    assert set(figures["source_dates"]) == {"Company research", "Market trends", "Financial statements",
                                            "Share prices"}
    json.dumps(figures)  # serialisable


def test_leverage_is_judged_on_net_cash_when_it_exists() -> None:
    # Apple: liabilities are ~80% of assets, yet cash and securities exceed its debt
    pack, fw, syn, _ = run("AAPL")
    end = "2025-09-27"

    def bal(concept: str) -> float:
        return newest([r for r in rows("AAPL", concept, "USD") if r["end"] == end and r["form"] == "10-K"])["val"]

    assert bal("Liabilities") / bal("Assets") > 0.75
    net_cash = (bal("CashAndCashEquivalentsAtCarryingValue") + bal("MarketableSecuritiesCurrent")
                + bal("MarketableSecuritiesNoncurrent") - bal("LongTermDebtNoncurrent") - bal("LongTermDebtCurrent")
                - bal("CommercialPaper"))
    assert net_cash > 0
    texts = _texts(fw, syn)
    assert not any("high leverage" in t for t in texts)
    assert any(t.startswith("Net cash of") and "fin:net_cash:FY2025" in p.evidence
               for p in fw.swot.strengths for t in [p.text])
