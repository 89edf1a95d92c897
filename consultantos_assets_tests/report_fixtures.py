"""Hand-built ReportInput bundles for the report renderer's tests.

Apple's annual figures are the facts Apple reported in its 10-K filings (SEC XBRL company facts);
prices and search interest are synthetic but realistic series built from fixed formulas, so every
run produces identical inputs. No third-party prose is included.
"""

from __future__ import annotations

import datetime as dt
import math

from consultantos_assets.models import (
    PESTEL,
    SWOT,
    AssetVersion,
    BlueOcean,
    CanvasFactor,
    CompanyProfile,
    CompanyResearch,
    Document,
    Evidence,
    Filing,
    FinancialFact,
    Financials,
    Force,
    FrameworkPoint,
    MarketTrends,
    PorterFiveForces,
    PricePoint,
    PriceStats,
    Provenance,
    ReportInput,
    Synthesis,
    TrendPoint,
    TrendSeries,
)

AS_OF = dt.date(2024, 11, 1)
APPLE_REVENUE_FY2024 = 391_035_000_000.0
APPLE_CIK = 320193

# fiscal year -> (period end, accession, filed)
APPLE_YEARS: dict[int, tuple[dt.date, str, dt.date]] = {
    2020: (dt.date(2020, 9, 26), "0000320193-20-000096", dt.date(2020, 10, 30)),
    2021: (dt.date(2021, 9, 25), "0000320193-21-000105", dt.date(2021, 10, 29)),
    2022: (dt.date(2022, 9, 24), "0000320193-22-000108", dt.date(2022, 10, 28)),
    2023: (dt.date(2023, 9, 30), "0000320193-23-000106", dt.date(2023, 11, 3)),
    2024: (dt.date(2024, 9, 28), "0000320193-24-000123", dt.date(2024, 11, 1)),
}

# metric -> (concept, unit, values FY2020..FY2024); USD amounts in millions except EPS and shares
APPLE_FACTS: dict[str, tuple[str, str, tuple[float, ...]]] = {
    "revenue": ("RevenueFromContractWithCustomerExcludingAssessedTax", "USD",
                (274_515, 365_817, 394_328, 383_285, 391_035)),
    "gross_profit": ("GrossProfit", "USD", (104_956, 152_836, 170_782, 169_148, 180_683)),
    "operating_income": ("OperatingIncomeLoss", "USD", (66_288, 108_949, 119_437, 114_301, 123_216)),
    "net_income": ("NetIncomeLoss", "USD", (57_411, 94_680, 99_803, 96_995, 93_736)),
    "eps_diluted": ("EarningsPerShareDiluted", "USD/shares", (3.28, 5.61, 6.11, 6.13, 6.08)),
    "total_assets": ("Assets", "USD", (323_888, 351_002, 352_755, 352_583, 364_980)),
    "total_liabilities": ("Liabilities", "USD", (258_549, 287_912, 302_083, 290_437, 308_030)),
    "equity": ("StockholdersEquity", "USD", (65_339, 63_090, 50_672, 62_146, 56_950)),
    "cash": ("CashAndCashEquivalentsAtCarryingValue", "USD", (38_016, 34_940, 23_646, 29_965, 29_943)),
    "long_term_debt": ("LongTermDebtNoncurrent", "USD", (98_667, 109_106, 98_959, 95_281, 85_750)),
    "shares_outstanding": ("EntityCommonStockSharesOutstanding", "shares",
                           (16_976_763_000, 16_426_786_000, 15_943_425_000, 15_552_752_000, 15_115_823_000)),
}

FLOW = {"revenue", "gross_profit", "operating_income", "net_income", "eps_diluted"}


def apple_facts(years: list[int] | None = None) -> list[FinancialFact]:
    years = years or sorted(APPLE_YEARS)
    facts = []
    for metric, (concept, unit, values) in APPLE_FACTS.items():
        for i, year in enumerate(sorted(APPLE_YEARS)):
            if year not in years:
                continue
            end, accession, filed = APPLE_YEARS[year]
            value = float(values[i])
            if unit == "USD":
                value *= 1_000_000
            facts.append(
                FinancialFact(
                    metric=metric,
                    value=value,
                    unit=unit,
                    concept=concept,
                    period_start=(end - dt.timedelta(days=364)) if metric in FLOW else None,
                    period_end=end,
                    fiscal_year=year,
                    fiscal_period="FY",
                    form="10-K",
                    accession=accession,
                    filed=filed,
                )
            )
    return facts


def price_series(end: dt.date = AS_OF, weeks: int = 157, start_price: float = 150.0,
                 end_price: float = 222.91) -> list[PricePoint]:
    points = []
    for i in range(weeks):
        t = i / (weeks - 1)
        trend = start_price * (end_price / start_price) ** t
        wave = 1 + 0.09 * math.sin(2 * math.pi * t * 2.3) - 0.05 * math.sin(2 * math.pi * t * 5.1 + 1)
        wave *= 1 + 0.06 * math.sin(i * 12.9898 + start_price)  # deterministic week-to-week noise
        close = trend * wave if i < weeks - 1 else end_price
        points.append(PricePoint(date=end - dt.timedelta(weeks=weeks - 1 - i), close=round(close, 2)))
    return points


def price_stats(series: list[PricePoint], shares: float | None) -> PriceStats:
    closes = [p.close for p in series]
    peak, peak_date, worst, worst_peak, worst_trough = closes[0], series[0].date, 0.0, None, None
    for p in series:
        if p.close > peak:
            peak, peak_date = p.close, p.date
        dd = p.close / peak - 1
        if dd < worst:
            worst, worst_peak, worst_trough = dd, peak_date, p.date
    rets = [math.log(b / a) for a, b in zip(closes, closes[1:], strict=False)]
    mean = sum(rets) / len(rets)
    vol = math.sqrt(sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)) * math.sqrt(52)
    last = series[-1]
    year_ago = closes[-53]
    return PriceStats(
        last_close=last.close,
        last_date=last.date,
        first_date=series[0].date,
        observations=len(series) * 5,
        return_1y=last.close / year_ago - 1,
        return_3y=last.close / closes[0] - 1,
        volatility_annual=round(vol, 4),
        max_drawdown=round(worst, 4),
        max_drawdown_peak=worst_peak,
        max_drawdown_trough=worst_trough,
        high_52w=max(closes[-52:]),
        low_52w=min(closes[-52:]),
        market_cap=last.close * shares if shares else None,
        series=series,
    )


def trend_series(keyword: str, base: float, amp: float, growth: float, spike_month: int | None = None,
                 end: dt.date = dt.date(2024, 10, 27), weeks: int = 156) -> TrendSeries:
    raw = []
    for i in range(weeks):
        d = end - dt.timedelta(weeks=weeks - 1 - i)
        season = amp * math.sin(2 * math.pi * (d.timetuple().tm_yday / 365.0))
        spike = 30.0 if spike_month and d.month == spike_month and d.day <= 21 else 0.0
        raw.append((d, max(1.0, base * (1 + growth * i / weeks) + season + spike)))
    top = max(v for _, v in raw)
    pts = [TrendPoint(date=d, value=round(v / top * 100)) for d, v in raw]
    values = [p.value for p in pts]
    m12, m52 = sum(values[-12:]) / 12, sum(values[-52:]) / 52
    prev12 = sum(values[-64:-52]) / 12
    peak = max(pts, key=lambda p: (p.value, p.date))
    return TrendSeries(
        keyword=keyword, points=pts, latest=values[-1], mean_12w=round(m12, 2), mean_52w=round(m52, 2),
        momentum=round(m12 / m52 - 1, 4), change_yoy=round(m12 / prev12 - 1, 4) if prev12 else None,
        peak_date=peak.date, peak_value=peak.value,
    )


def _pt(text: str, evidence: list[str], confidence: float) -> FrameworkPoint:
    return FrameworkPoint(text=text, evidence=evidence, confidence=confidence)


def _fin_evidence(facts: list[FinancialFact]) -> list[Evidence]:
    from consultantos_assets.models import METRICS
    from consultantos_assets.report.formatting import fmt_value

    out = []
    for f in facts:
        label = METRICS[f.metric][0]
        out.append(
            Evidence(
                id=f.evidence_id, kind="financial", label=f"{label} FY{f.fiscal_year}",
                text=f"{label} for fiscal {f.fiscal_year} was {fmt_value(f.value, f.unit)} ({f.concept}).",
                value=f.value, unit=f.unit, source=f"SEC EDGAR {f.form}", reference=f.accession, date=f.period_end,
            )
        )
    return out


def _provenance(provider: str, as_of: dt.date, location: str) -> Provenance:
    return Provenance(
        provider=provider, mode="offline", as_of=as_of,
        retrieved_at=dt.datetime(2024, 11, 2, 9, 30, tzinfo=dt.UTC), location=location,
    )


def apple_report(with_previous: bool = True, as_of: dt.date = AS_OF, years: list[int] | None = None,
                 name: str = "Apple Inc.") -> ReportInput:
    """A realistic bundle for Apple: five fiscal years, prices, trends and all four frameworks."""
    years = years or sorted(APPLE_YEARS)
    latest = max(years)
    facts = apple_facts(years)
    fy = f"FY{latest}"
    shares = next(f.value for f in facts if f.metric == "shares_outstanding" and f.fiscal_year == latest)
    series = price_series(end=as_of)
    prices = price_stats(series, shares)
    financials = Financials(
        ticker="AAPL", cik=APPLE_CIK, entity_name="Apple Inc.", annual=facts, prices=prices,
        gaps=["Quarterly facts were not requested for this report"],
        provenance=_provenance("snapshot (edgartools local storage)", APPLE_YEARS[latest][0], "sample_data/sec_edgar"),
        price_provenance=_provenance("snapshot prices", prices.last_date, "sample_data/prices_daily/AAPL.csv"),
    )
    trends = MarketTrends(
        ticker="AAPL",
        keywords=["Apple", "iPhone", "MacBook", "AAPL", "Vision Pro"],
        series=[
            trend_series("Apple", 60, 6, 0.05),
            trend_series("iPhone", 45, 5, 0.12, spike_month=9),
            trend_series("MacBook", 30, 8, -0.10),
            trend_series("AAPL", 20, 3, 0.30),
        ],
        missing=["Vision Pro"],
        provenance=_provenance("snapshot google_trends", dt.date(2024, 10, 27), "sample_data/google_trends"),
    )
    filings = [Filing(form="10-K", filing_date=APPLE_YEARS[y][2], report_date=APPLE_YEARS[y][0],
                      accession=APPLE_YEARS[y][1], primary_document=f"aapl-{APPLE_YEARS[y][0]:%Y%m%d}.htm")
               for y in sorted(years, reverse=True)]
    profile = CompanyProfile(
        ticker="AAPL", name=name, cik=APPLE_CIK, sector="Technology", industry="Consumer Electronics",
        sic=3571, sic_description="Electronic Computers", headquarters="Cupertino, California",
        state_of_incorporation="CA", fiscal_year_end="0928", exchanges=["Nasdaq"], employees=164000,
        website="https://www.apple.com", keywords=["Apple", "iPhone", "MacBook", "AAPL", "Vision Pro"],
    )
    research = CompanyResearch(
        ticker="AAPL", profile=profile, filings=filings,
        documents=[
            Document(id="doc:AAPL:profile", title="Company profile", kind="profile", source="SEC EDGAR",
                     text="Apple Inc., SIC 3571, Cupertino, California; fiscal year ends in late September."),
            Document(id="doc:AAPL:filing_history", title="Filing history", kind="filing_history",
                     source="SEC EDGAR", text="Annual reports on Form 10-K filed each autumn."),
        ],
        provenance=_provenance("snapshot documents", as_of, "sample_data/documents/AAPL"),
        warnings=["No news documents in offline mode; research is limited to SEC profile and filings"],
    )
    fid = lambda m: f"fin:{m}:{fy}"  # noqa: E731
    fid_prev = lambda m: f"fin:{m}:FY{latest - 1}"  # noqa: E731
    porter = PorterFiveForces(
        ticker="AAPL", analyst="rule-based v1", confidence=0.68,
        data_gaps=["No competitor market-share data in the evidence"],
        forces=[
            Force(name="competitive_rivalry", rating=4.0, points=[
                _pt("Revenue growth has slowed to low single digits, a sign of a mature, contested market.",
                    [fid("revenue"), fid_prev("revenue")], 0.75),
                _pt("Operating margin above 30% shows pricing power despite rivalry.",
                    [fid("operating_income"), fid("revenue")], 0.7)]),
            Force(name="supplier_power", rating=2.5, points=[
                _pt("Scale of purchasing (cost of sales above $200B) limits any single supplier's leverage.",
                    [fid("revenue"), fid("gross_profit")], 0.55)]),
            Force(name="buyer_power", rating=2.0, points=[
                _pt("Gross margin near 46% indicates buyers accept premium pricing.", [fid("gross_profit")], 0.65)]),
            Force(name="threat_of_substitutes", rating=3.0, points=[
                _pt("Search interest in laptops is declining relative to phones.", ["trend:macbook"], 0.45)]),
            Force(name="threat_of_new_entrants", rating=1.5, points=[
                _pt("Total assets of $365.0B and an installed base create high entry barriers.",
                    [fid("total_assets")], 0.6)]),
        ],
        overall_intensity=2.6,
        summary="Moderate competitive intensity: rivalry is high in mature device markets, but entry barriers and "
                "pricing power keep the industry attractive for the incumbent.",
    )
    swot = SWOT(
        ticker="AAPL", analyst="rule-based v1", confidence=0.71, data_gaps=[],
        strengths=[
            _pt("Net income of $93.7B on revenue of $391.0B (net margin 24.0%).", [fid("net_income"), fid("revenue")],
                0.9),
            _pt("Diluted EPS of $6.08 despite a lower share count.", [fid("eps_diluted"), fid("shares_outstanding")],
                0.8),
            _pt("Gross margin expanded to 46.2%.", [fid("gross_profit"), fid("revenue")], 0.85),
        ],
        weaknesses=[
            _pt("Shareholders' equity of $57.0B is small relative to liabilities of $308.0B.",
                [fid("equity"), fid("total_liabilities")], 0.7),
            _pt("Net income fell 3.4% year on year.", [fid("net_income"), fid_prev("net_income")], 0.8),
        ],
        opportunities=[
            _pt("Search interest for iPhone spikes each September, supporting launch-driven demand.", ["trend:iphone"],
                0.6),
            _pt("Interest in the AAPL ticker is rising, suggesting investor attention.", ["trend:aapl"], 0.5),
        ],
        threats=[
            _pt("Share price fell from its peak during the period (maximum drawdown shown on the dashboard).",
                ["price:AAPL:drawdown"], 0.6),
            _pt("Declining MacBook search interest may signal category saturation.", ["trend:macbook"], 0.45),
        ],
    )
    pestel = PESTEL(
        ticker="AAPL", analyst="rule-based v1", confidence=0.52,
        data_gaps=["No regulatory or environmental documents in the evidence set"],
        political=[_pt("Manufacturing concentration exposes the supply chain to trade policy.",
                       ["doc:AAPL:profile"], 0.4)],
        economic=[_pt("Revenue of $391.0B makes results sensitive to global consumer spending.", [fid("revenue")],
                      0.6)],
        social=[_pt("Brand search interest remains high and stable.", ["trend:apple"], 0.55)],
        technological=[_pt("Product cycles drive seasonal demand peaks.", ["trend:iphone"], 0.5)],
        environmental=[],
        legal=[_pt("Annual 10-K filings disclose legal proceedings each year.",
                   [f"filing:{APPLE_YEARS[latest][1]}"], 0.35)],
    )
    blue = BlueOcean(
        ticker="AAPL", analyst="rule-based v1", confidence=0.5, data_gaps=["Industry canvas values are estimates"],
        eliminate=[_pt("Low-margin accessory lines that dilute the premium position.", [fid("gross_profit")], 0.35)],
        reduce=[_pt("Dependence on a single flagship device.", [fid("revenue"), "trend:iphone"], 0.45)],
        raise_=[_pt("Services attach rate across the installed base.", [fid("gross_profit")], 0.45)],
        create=[_pt("Integrated health and spatial-computing offerings.", ["doc:AAPL:profile"], 0.3)],
        canvas=[
            CanvasFactor(factor="Price", company=8, industry=5, evidence=[fid("gross_profit")]),
            CanvasFactor(factor="Design", company=9, industry=6),
            CanvasFactor(factor="Ecosystem", company=9.5, industry=4, evidence=["trend:apple"]),
            CanvasFactor(factor="Privacy", company=8.5, industry=5),
            CanvasFactor(factor="Customisation", company=3, industry=7),
            CanvasFactor(factor="Retail presence", company=8, industry=6),
        ],
    )
    synthesis = Synthesis(
        ticker="AAPL", analyst="rule-based v1", confidence=0.72,
        data_gaps=["No analyst consensus estimates"],
        executive_summary=(
            f"Apple closed fiscal {latest} with revenue of $391.0B and net income of $93.7B, a net margin of "
            "24.0%. Growth has slowed, but margins and per-share earnings remain strong.\n\n"
            "Competitive intensity is moderate: rivalry in mature device markets is high while entry barriers, "
            "pricing power and the ecosystem protect the incumbent. The main questions are growth beyond the "
            "flagship device and the resilience of premium pricing."
        ),
        key_findings=[
            _pt("Revenue grew 2.0% in FY2024 to $391.0B after a decline in FY2023.",
                [fid("revenue"), fid_prev("revenue")], 0.9),
            _pt("Gross margin rose to 46.2%, the highest in the five-year window.", [fid("gross_profit")], 0.85),
            _pt("Search interest for iPhone shows clear launch seasonality.", ["trend:iphone"], 0.6),
        ],
        recommendations=[
            _pt("Prioritise services and ecosystem monetisation to offset hardware maturity.",
                [fid("gross_profit"), "trend:apple"], 0.6),
            _pt("Track share-price drawdowns against product-cycle timing.", ["price:AAPL:drawdown"], 0.5),
        ],
        risks=[
            _pt("Concentration in a single product line.", [fid("revenue"), "trend:iphone"], 0.55),
            _pt("Balance sheet leverage: liabilities are 84% of assets.", [fid("total_liabilities"),
                                                                            fid("total_assets")], 0.7),
        ],
        confidence_breakdown={"financial": 0.95, "price": 0.9, "trend": 0.7, "document": 0.3},
    )
    evidence = _fin_evidence(facts)
    evidence += [
        Evidence(id=s.evidence_id, kind="trend", label=f"Search interest: {s.keyword}",
                 text=f"Weekly search interest for '{s.keyword}', latest {s.latest:.0f}, momentum "
                      f"{s.momentum * 100:+.1f}%.", source="Google Trends", reference=f"google_trends/{s.keyword}.csv",
                 date=s.points[-1].date)
        for s in trends.series
    ]
    evidence += [
        Evidence(id="price:AAPL:drawdown", kind="price", label="Maximum drawdown",
                 text=f"Maximum drawdown of {prices.max_drawdown * 100:.1f}% over the price window.",
                 value=prices.max_drawdown, source="Yahoo Finance (snapshot)", reference="prices_daily/AAPL.csv",
                 date=prices.last_date),
        Evidence(id="doc:AAPL:profile", kind="profile", label="Company profile", text="SEC company profile.",
                 source="SEC EDGAR", reference="https://data.sec.gov/submissions/CIK0000320193.json", date=as_of),
        Evidence(id=f"filing:{APPLE_YEARS[latest][1]}", kind="filing", label="10-K filing",
                 text=f"Form 10-K for fiscal {latest}.", source="SEC EDGAR", reference=APPLE_YEARS[latest][1],
                 date=APPLE_YEARS[latest][2]),
    ]
    versions = [
        AssetVersion(asset="company_research", data_version="a1b2c3d4e5f60718", provider="snapshot"),
        AssetVersion(asset="market_trends", data_version="0f1e2d3c4b5a6978", provider="snapshot"),
        AssetVersion(asset="financials", data_version="9a8b7c6d5e4f3021", provider="edgartools (local)"),
        AssetVersion(asset="porter_five_forces", data_version="11aa22bb33cc44dd", provider="rule-based v1"),
        AssetVersion(asset="swot", data_version="55ee66ff77008811", provider="rule-based v1"),
        AssetVersion(asset="pestel", data_version="99aa00bb11cc22dd", provider="rule-based v1"),
        AssetVersion(asset="blue_ocean", data_version="33ee44ff55006611", provider="rule-based v1"),
        AssetVersion(asset="synthesis", data_version="77aa88bb99cc00dd", provider="rule-based v1"),
    ]
    previous = None
    if with_previous:
        previous = apple_report(with_previous=False, as_of=dt.date(2024, 8, 2), years=[2020, 2021, 2022, 2023])
        previous.porter.forces[0].rating = 3.5
        previous.synthesis.confidence = 0.66
        previous.swot.threats.append(_pt("Component shortages constrain supply.", ["doc:AAPL:profile"], 0.4))
    return ReportInput(
        ticker="AAPL", as_of=as_of, research=research, trends=trends, financials=financials, porter=porter,
        swot=swot, pestel=pestel, blue_ocean=blue, synthesis=synthesis, evidence=evidence, versions=versions,
        previous=previous,
    )


def no_financials_report() -> ReportInput:
    """A company with no SEC company facts (a foreign ADR): prices and trends only."""
    base = apple_report(with_previous=False)
    series = price_series(start_price=38.0, end_price=52.4)
    prices = price_stats(series, None)
    fin = Financials(
        ticker="TCEHY", entity_name=None, annual=[], quarterly=[], prices=prices,
        gaps=["No SEC company facts for TCEHY (files annual reports outside EDGAR XBRL)"],
        provenance=Provenance(provider="snapshot (edgartools local storage)", mode="offline", as_of=None),
        price_provenance=_provenance("snapshot prices", prices.last_date, "sample_data/prices_daily/TCEHY.csv"),
    )
    profile = CompanyProfile(ticker="TCEHY", name="Tencent Holdings Ltd.", sector="Communication Services",
                             industry="Internet Content & Information", headquarters="Shenzhen, China",
                             keywords=["Tencent", "WeChat"])
    research = CompanyResearch(
        ticker="TCEHY", profile=profile, filings=[], documents=[],
        provenance=_provenance("snapshot documents", AS_OF, "sample_data/documents/TCEHY"),
        warnings=["No SEC filings found for TCEHY"],
    )
    trends = MarketTrends(
        ticker="TCEHY", keywords=["Tencent", "WeChat"], series=[trend_series("Tencent", 40, 5, 0.02)],
        missing=["WeChat"], provenance=_provenance("snapshot google_trends", dt.date(2024, 10, 27), "google_trends"),
    )
    point = _pt("Search interest in Tencent is steady.", ["trend:tencent"], 0.4)
    gap = ["No financial statements: framework points rest on prices and search interest only"]
    porter = base.porter.model_copy(update={
        "ticker": "TCEHY", "data_gaps": gap, "confidence": 0.3,
        "forces": [Force(name=f.name, rating=3.0, points=[point]) for f in base.porter.forces],
        "summary": "Insufficient financial evidence to rate the forces with confidence."})
    swot = SWOT(ticker="TCEHY", analyst="rule-based v1", confidence=0.3, data_gaps=gap, strengths=[point],
                weaknesses=[], opportunities=[], threats=[])
    pestel = PESTEL(ticker="TCEHY", analyst="rule-based v1", confidence=0.2, data_gaps=gap, political=[],
                    economic=[], social=[point], technological=[], environmental=[], legal=[])
    blue = BlueOcean(ticker="TCEHY", analyst="rule-based v1", confidence=0.2, data_gaps=gap, eliminate=[],
                     reduce=[], raise_=[], create=[], canvas=[])
    synthesis = Synthesis(
        ticker="TCEHY", analyst="rule-based v1", confidence=0.25, data_gaps=gap,
        executive_summary="Financial statements are unavailable from SEC EDGAR, so conclusions are tentative.",
        key_findings=[point], recommendations=[], risks=[],
        confidence_breakdown={"financial": 0.0, "price": 0.9, "trend": 0.5, "document": 0.0},
    )
    evidence = [Evidence(id="trend:tencent", kind="trend", label="Search interest: Tencent",
                         text="Weekly search interest for 'Tencent'.", source="Google Trends",
                         reference="google_trends/Tencent.csv", date=dt.date(2024, 10, 27))]
    return ReportInput(ticker="TCEHY", as_of=AS_OF, research=research, trends=trends, financials=fin, porter=porter,
                       swot=swot, pestel=pestel, blue_ocean=blue, synthesis=synthesis, evidence=evidence,
                       versions=[], previous=None)


HOSTILE_NAME = "<b>Evil & Co</b><font size=80>"
LONG_WORD = "Supercalifragilistic" * 25  # 500 characters, no break opportunity
INTERNATIONAL = "中文测试 مرحبا بالعالم 😀"
MARKUP_POINT = "Margins <i>expand</i> & costs fall </para><br/> <a href='x'>link</a>"


def hostile_report() -> ReportInput:
    """Apple's bundle with markup, a 500-character word and non-Latin text in data fields."""
    r = apple_report(with_previous=False, name=HOSTILE_NAME)
    r.swot.strengths.append(_pt(MARKUP_POINT, ["fin:revenue:FY2024"], 0.5))
    r.swot.weaknesses.append(_pt(f"A very long token: {LONG_WORD} end.", ["<script>alert(1)</script>"], 0.3))
    r.synthesis.key_findings.append(_pt(f"International text: {INTERNATIONAL}", ["trend:apple"], 0.4))
    r.pestel.legal.append(_pt(f"{LONG_WORD} & <unclosed", ["doc:AAPL:profile"], 0.2))
    r.synthesis.executive_summary += f"\n\n{MARKUP_POINT} {INTERNATIONAL} \x00\x07 control chars."
    r.blue_ocean.canvas.append(CanvasFactor(factor="<Ecosystem & 中文>", company=5, industry=5))
    r.research.profile.sector = "<font color=red>Tech</font>"
    r.trends.series.append(trend_series("<b>wörd</b> 😀", 10, 2, 0.0))
    r.evidence.append(Evidence(id="doc:long", kind="document", label="Long url", text=LONG_WORD,
                               source="<i>Publisher</i>", reference="https://example.com/" + "a" * 300))
    r.porter.forces[0].points.append(_pt("See doc", ["doc:long"], 0.2))
    return r
