"""Judgements an analyst would sign, on the bundled companies: each error a consultant found in the offline
reports is a regression test here, checked against the bundled payloads read in the test itself (SEC JSON,
search-interest and price CSVs through plain json/csv reads).

The packs and the rule-based analysis are built once per company in a module fixture (no Dagster run).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from consultantos_assets.analysis.analyst import EvidencePack, Frameworks
from consultantos_assets.analysis.assemble import report_input
from consultantos_assets.analysis.coverage import framework_points
from consultantos_assets.analysis.evaluation import score_report
from consultantos_assets.analysis.evidence import build_evidence, drop_priors_measured_by_peers
from consultantos_assets.analysis.prompts import PROMPT_VERSION, SYSTEM, render_evidence
from consultantos_assets.analysis.rules import PRIOR_SHARE, RuleBasedAnalyst
from consultantos_assets.analysis.trend_reading import MIN_BASE
from consultantos_assets.models import Evidence, FrameworkPoint
from consultantos_assets.report import content
from consultantos_assets.settings import BUNDLED_SNAPSHOT, Settings
from consultantos_assets.sources.collect import gather

SAMPLE = Path(BUNDLED_SNAPSHOT)
TICKERS = ("AAPL", "NVDA", "TSLA", "JPM")
CIKS = {"AAPL": 320193, "NVDA": 1045810, "TSLA": 1318605}


def _analyse(pack: EvidencePack):
    a = RuleBasedAnalyst()
    fw = Frameworks(porter=a.porter(pack), swot=a.swot(pack), pestel=a.pestel(pack), blue_ocean=a.blue_ocean(pack))
    return fw, a.synthesis(pack, fw)


@pytest.fixture(scope="module")
def runs():
    out = {}
    for t in TICKERS:
        research, trends, fin = (m.model_copy(deep=True) for m in
                                 gather(Settings(mode="offline", snapshot_dir=BUNDLED_SNAPSHOT), t))
        pack = EvidencePack(research=research, trends=trends, financials=fin,
                            evidence=build_evidence(research, trends, fin))
        fw, syn = _analyse(pack)
        out[t] = (pack, fw, syn, report_input(research, trends, fin, fw, syn))
    return out


def all_points(fw, syn) -> list[FrameworkPoint]:
    return framework_points(fw) + syn.key_findings + syn.recommendations + syn.risks


def facts(ticker: str) -> dict:
    return json.loads((SAMPLE / "sec_edgar" / "companyfacts" / f"CIK{CIKS[ticker]:010d}.json").read_text())


def annual(ticker: str, concept: str, end: str) -> float:
    rows = facts(ticker)["facts"]["us-gaap"][concept]["units"]["USD"]
    picked = [r for r in rows if r["end"] == end and r.get("form") == "10-K"
              and (r.get("start") is None or 350 <= (dt.date.fromisoformat(r["end"])
                                                     - dt.date.fromisoformat(r["start"])).days <= 380)]
    return max(picked, key=lambda r: r["filed"])["val"]


def weekly(keyword_file: str) -> list[float]:
    with (SAMPLE / "google_trends" / keyword_file).open(newline="") as handle:
        return [float(row[1]) for row in list(csv.reader(handle))[1:]]


def closes(ticker: str) -> list[tuple[dt.date, float]]:
    with (SAMPLE / "prices_daily" / f"{ticker}.csv").open(newline="") as handle:
        return [(dt.date.fromisoformat(r["Date"][:10]), float(r["Close"])) for r in csv.DictReader(handle)]


# --- misreads ------------------------------------------------------------------------------------------


def test_aapl_is_not_called_highly_leveraged_nor_its_gross_margin_below_its_sector(runs):
    pack, fw, syn, _ = runs["AAPL"]
    end = "2025-09-27"
    gm = annual("AAPL", "GrossProfit", end) / annual("AAPL", "RevenueFromContractWithCustomerExcludingAssessedTax", end)
    prior = pack.by_id()["prior:typical:gross_margin"]
    assert prior.kind == "prior" and "a prior, not a measured peer figure" in prior.text
    assert abs(gm - prior.value) < 0.05  # 46.9% against a rough 50%: too close for a rule of thumb to call
    texts = [p.text.lower() for p in all_points(fw, syn)] + [syn.executive_summary.lower()]
    assert not any("leverage" in t for t in texts)
    assert not any("gross margin" in t and re.search(r"\b(below|trails|behind)\b", t) for t in texts)
    assert not any("peers" in t for t in texts)  # no peer median in the pack: no peer comparison either
    # a prior comparison, where one is made, is labelled as a prior and cites it
    for p in all_points(fw, syn):
        if any(i.startswith("prior:typical:") for i in p.evidence):
            assert "a prior, not a measured peer figure" in p.text


def test_nvda_scale_and_margin_are_not_read_as_supplier_or_buyer_power(runs):
    _, fw, syn, _ = runs["NVDA"]
    texts = [p.text for p in all_points(fw, syn)]
    assert not any("few suppliers can refuse" in t or "customers accept premium prices" in t for t in texts)
    forces = {f.name: f for f in fw.porter.forces}
    for p in forces["supplier_power"].points + forces["buyer_power"].points:
        assert not any(i.startswith("fin:revenue:") for i in p.evidence)  # revenue size says nothing of suppliers
    assert any("concentration" in g for g in fw.porter.data_gaps)  # it says what the sources do not hold
    # the IT prior about few suppliers appears only as a labelled prior, if at all
    assert all(t.startswith("Industry prior") for t in texts if "few suppliers" in t)


def test_jpm_makes_no_leverage_claim_and_says_what_is_missing(runs):
    pack, fw, syn, _ = runs["JPM"]
    assert not pack.financials.has_statements
    texts = [p.text.lower() for p in all_points(fw, syn)] + [syn.executive_summary.lower()]
    assert not any(w in t for t in texts for w in ("leverage", "liabilities are", "equity cushion"))
    assert syn.executive_summary.startswith("What matters most: no SEC statements were available")


def test_tsla_summary_leads_with_the_age_of_its_statements(runs):
    pack, _, syn, report = runs["TSLA"]
    rows = facts("TSLA")["facts"]["us-gaap"]["Revenues"]["units"]["USD"]
    fy_end = dt.date.fromisoformat(max(r["end"] for r in rows if r.get("form") == "10-K"))
    as_of = report.as_of
    months = (as_of.year - fy_end.year) * 12 + as_of.month - fy_end.month - (1 if as_of.day < fy_end.day else 0)
    thesis = syn.executive_summary.split("\n\n")[0]
    assert thesis.startswith("What matters most: its latest SEC statements are dated")
    assert f"{months} months" in thesis and fy_end.isoformat() in thesis
    first = syn.recommendations[0]
    assert first.evidence == ["fin:statements_age"] and f"{months} months" in first.text


def test_low_base_trend_is_no_opportunity(runs):
    # 'iPhone 16' before launch: the 12 weeks a year before the latest averaged under 10 of 100
    values = weekly("iPhone_16.csv")
    year_ago = values[-64:-52]
    assert sum(year_ago) / len(year_ago) < MIN_BASE
    _, fw, syn, _ = runs["AAPL"]
    claims = fw.swot.opportunities + fw.swot.threats + fw.blue_ocean.raise_ + syn.recommendations
    claims += [p for f in fw.porter.forces for p in f.points]
    assert not any("iPhone 16" in p.text for p in claims)
    # the same for 'Nvidia RTX 5090' from a base of 1-2
    rtx = weekly("Nvidia_RTX_5090.csv")[-64:-52]
    assert sum(rtx) / len(rtx) < MIN_BASE
    _, fw, syn, _ = runs["NVDA"]
    assert not any("RTX 5090" in p.text for p in all_points(fw, syn) if "year on year" in p.text)
    assert not any("RTX 5090" in p.text for p in fw.blue_ocean.raise_ + fw.swot.opportunities)


def test_one_spike_week_drives_no_recommendation(runs):
    # JPMorgan Chase's +15.6% momentum comes from one week
    values = weekly("JPMorgan_Chase.csv")
    base = sum(values[-52:]) / 52
    recent = values[-12:]
    excess = [v - base for v in recent]
    assert max(excess) >= 0.5 * sum(excess) > 0
    for t in TICKERS:
        _, _, syn, _ = runs[t]
        attention = [p for p in syn.recommendations if any(i.startswith("trend:") for i in p.evidence)]
        assert len(attention) <= 1, t
        assert not any(i.startswith("trend:") for i in syn.recommendations[0].evidence), t
    _, fw, syn, _ = runs["JPM"]
    assert not any("JPMorgan Chase' runs" in p.text or "momentum" in p.text.lower()
                   for p in all_points(fw, syn) if "trend:jpmorgan_chase" in p.evidence and "52-week" in p.text)


def test_drawdowns_are_dated_and_old_ones_are_no_threat(runs):
    def deepest(ticker):
        peak, best = None, (0.0, None, None)
        for d, c in closes(ticker):
            if peak is None or c > peak[1]:
                peak = (d, c)
            fall = c / peak[1] - 1
            if fall < best[0]:
                best = (fall, peak[0], d)
        return best

    _, nv_peak, nv_trough = deepest("NVDA")
    assert (closes("NVDA")[-1][0] - nv_trough).days > 365  # the 2021-22 fall
    _, fw, syn, _ = runs["NVDA"]
    assert not any("px:max_drawdown" in p.evidence for p in fw.swot.threats + syn.risks)
    fall, peak, trough = deepest("AAPL")
    _, fw, syn, _ = runs["AAPL"]
    dd = [p for p in fw.swot.threats if "px:max_drawdown" in p.evidence]
    assert dd and peak.isoformat() in dd[0].text and trough.isoformat() in dd[0].text
    assert f"{-fall * 100:.1f}%" in dd[0].text
    assert not any("story" in p.text for t in TICKERS for p in all_points(*runs[t][1:3]))


# --- priors, citations, recommendations --------------------------------------------------------------


def test_priors_are_labelled_capped_and_ranked_last(runs):
    for t in TICKERS:
        pack, fw, syn, _ = runs[t]
        ev = pack.by_id()
        assert not any(e.kind == "prior" and e.date is not None for e in pack.evidence)
        groups = {"porter": [f.points for f in fw.porter.forces],
                  "swot": [fw.swot.strengths, fw.swot.weaknesses, fw.swot.opportunities, fw.swot.threats],
                  "pestel": [getattr(fw.pestel, f) for f in ("political", "economic", "social", "technological",
                                                             "environmental", "legal")],
                  "blue_ocean": [fw.blue_ocean.eliminate, fw.blue_ocean.reduce, fw.blue_ocean.raise_,
                                 fw.blue_ocean.create]}
        for name, lists in groups.items():
            pts = [p for g in lists for p in g]
            priors = [p for p in pts if p.evidence and all(ev[i].kind == "prior" for i in p.evidence)]
            assert len(priors) <= PRIOR_SHARE * len(pts), (t, name)
            for p in priors:
                assert p.text.startswith("Industry prior, not measured for") and p.confidence <= 0.25
            for g in lists:  # a prior never stands above the company's own evidence
                kinds = [all(ev[i].kind == "prior" for i in p.evidence) for p in g if p.evidence]
                assert kinds == sorted(kinds), (t, name)
        for p in syn.key_findings + syn.recommendations + syn.risks:
            assert not all(ev[i].kind == "prior" for i in p.evidence) or not p.evidence, (t, p.text)
        # the profile (SIC, headquarters, exchange) is cited only for what it holds
        for p in all_points(fw, syn):
            if f"doc:{t}:profile" in p.evidence:
                assert "headquartered" in p.text, p.text  # not the SIC label read as a topic


def test_recommendations_name_a_metric_and_a_figure(runs):
    metric = re.compile(r"margin|revenue|growth|net cash|net debt|statements|free cash flow|demand")
    figure = re.compile(r"\d")
    for t in TICKERS:
        _, _, syn, _ = runs[t]
        assert syn.recommendations, t
        for p in syn.recommendations:
            assert metric.search(p.text.lower()) and p.evidence, (t, p.text)
            if t != "JPM":
                assert figure.search(p.text), (t, p.text)


def test_peer_median_replaces_the_sector_prior(runs):
    """With a peer median the comparison names the peers and no prior about that metric is stated."""
    pack, _, _, _ = runs["AAPL"]
    peers = [type("Peer", (), {"ticker": tk, "gross_margin": gm})() for tk, gm in
             (("DELL", 0.22), ("HPQ", 0.21), ("SMCI", 0.11))]
    median = Evidence(id="peer:gross_margin:median", kind="financial", label="Peer median gross margin",
                      text="The median gross margin of 3 peers (DELL, HPQ, SMCI) was 21.0%.", value=0.21,
                      unit="ratio", source="computed from SEC EDGAR facts of named peers")
    evidence = drop_priors_measured_by_peers([*pack.evidence, median], peers)
    assert drop_priors_measured_by_peers([*pack.evidence, median], peers[:2]) == [*pack.evidence, median]
    assert "prior:typical:gross_margin" not in {e.id for e in evidence}
    assert "prior:typical:operating_margin" in {e.id for e in evidence}
    with_peers = EvidencePack(research=pack.research, trends=pack.trends, financials=pack.financials,
                              evidence=evidence, peers=peers)
    fw, syn = _analyse(with_peers)
    gm_points = [p for p in all_points(fw, syn) if "peer:gross_margin:median" in p.evidence]
    assert gm_points and all("DELL, HPQ, SMCI" in p.text and "21.0%" in p.text for p in gm_points)
    assert any("above the median of 3 peers" in p.text for p in fw.swot.strengths)
    assert not any("prior:typical:gross_margin" in p.evidence for p in all_points(fw, syn))


# --- confidence ------------------------------------------------------------------------------------------


def test_confidence_follows_evidence_strength_recency_and_agreement(runs):
    aapl, tsla = runs["AAPL"][2], runs["TSLA"][2]
    assert tsla.confidence <= aapl.confidence - 0.15  # four-year-old statements against current ones
    for t in TICKERS:
        pack, fw, syn, _ = runs[t]
        confs = [f.confidence for f in (fw.porter, fw.swot, fw.pestel, fw.blue_ocean)]
        assert syn.confidence <= max(confs), t  # the overall is an average of its frameworks, never above them
        for f in (fw.porter, fw.swot, fw.pestel, fw.blue_ocean):
            pts = framework_points(Frameworks(porter=fw.porter, swot=fw.swot, pestel=fw.pestel,
                                              blue_ocean=fw.blue_ocean))
            mine = [p for p in pts if p in _points_of(f)]
            if mine:
                assert f.confidence <= max(p.confidence for p in mine), (t, type(f).__name__)
    pack = runs["AAPL"][0]
    ev = pack.by_id()
    pts = {p.evidence[0]: p for p in all_points(*runs["AAPL"][1:3]) if len(p.evidence) == 1}
    reported = pts["fin:revenue:FY2025"].confidence  # a reported SEC fact
    derived = next(p.confidence for i, p in pts.items() if i.startswith("fin:") and ev[i].source.startswith("computed"))
    prior = next(p.confidence for i, p in pts.items() if ev[i].kind == "prior")
    assert reported >= 0.8 and reported > derived > prior and prior <= 0.25
    tsla_rev = next(p for p in all_points(*runs["TSLA"][1:3]) if p.evidence == ["fin:revenue:FY2021"])
    assert tsla_rev.confidence <= 0.4  # the same kind of fact, four years old


def _points_of(f) -> list[FrameworkPoint]:
    from consultantos_assets.analysis.grounding import framework_texts

    return [p for p in framework_texts(f) if p.evidence]


def test_methodology_says_what_04_and_08_mean():
    assert "Read 0.8 or more" in content.CONFIDENCE_TEXT and "0.4 or less" in content.CONFIDENCE_TEXT


# --- the Gemini analyst -------------------------------------------------------------------------------


def test_prompts_carry_what_a_claim_needs(runs):
    assert PROMPT_VERSION != "llm-v1"  # answers cached for the old prompts are not reused
    for rule in ("peer:<metric>:median", "prior, not a measured peer", "net debt to EBITDA", "base of at least 10",
                 "at most one recommendation may rest on search interest"):
        assert rule in SYSTEM.replace("\\\n", ""), rule
    pack = runs["AAPL"][0]
    text = render_evidence(pack.evidence)
    assert "[prior:force:supplier_power] (prior, prior)" in text
    assert "[fin:revenue:FY2025] (financial, reported;" in text
    assert "[fin:gross_margin:FY2025] (financial, derived;" in text


# --- the evaluation -----------------------------------------------------------------------------------


def test_evaluation_scores_the_bundled_reports(runs):
    for t in TICKERS:
        score = score_report(runs[t][3])
        assert score.points == len(all_points(*runs[t][1:3]))
        assert score.prior_only_share <= PRIOR_SHARE, t
        assert (score.contradictions, score.comparisons_without_basis, score.low_base_trend_claims,
                score.ungrounded_figures) == (0, 0, 0, 0), (t, score.examples)


def test_evaluation_finds_the_errors_of_the_old_reports(runs):
    """The misreads the rules no longer make, written into a copy of AAPL's report, are each counted."""
    _, fw, syn, report = runs["AAPL"]
    gm = "fin:gross_margin:FY2025"
    bad = [
        FrameworkPoint(text="A gross margin of 46.9% is below what the sector typically earns.", evidence=[gm],
                       confidence=0.85),
        FrameworkPoint(text="A gross margin of 46.9% is above its peers.", evidence=[gm], confidence=0.85),
        FrameworkPoint(text="Interest in 'iPhone 16' is +320.9% year on year: a product cycle to build on.",
                       evidence=["trend:iphone_16"], confidence=0.28),
        FrameworkPoint(text="Revenue of $999.9B gives scale.", evidence=["fin:revenue:FY2025"], confidence=0.85),
        FrameworkPoint(text="Industry structure: leading-edge components come from few suppliers.",
                       evidence=["prior:force:supplier_power"], confidence=0.25),
    ]
    worse = report.model_copy(update={"swot": fw.swot.model_copy(update={"opportunities": fw.swot.opportunities + bad})})
    before, after = score_report(report), score_report(worse)
    assert after.contradictions == before.contradictions + 1
    assert after.comparisons_without_basis == before.comparisons_without_basis + 2
    assert after.low_base_trend_claims == before.low_base_trend_claims + 1
    assert after.ungrounded_figures == before.ungrounded_figures + 1
    assert after.prior_only == before.prior_only + 1
    assert any("$999.9B" in e for e in after.examples)


def test_the_gemini_synthesis_may_not_rest_on_priors_or_lead_with_attention():
    from pydantic import ValidationError

    from consultantos_assets.analysis.llm_answers import SynthesisAnswer

    def answer(recs):
        return {"executive_summary": "Revenue grew.", "risks": [{"text": "r", "evidence": ["px:volatility"]}],
                "key_findings": [{"text": "k", "evidence": ["fin:revenue:FY2025"]},
                                 {"text": "k2", "evidence": ["px:return_1y"]}],
                "recommendations": [{"text": t, "evidence": ids} for t, ids in recs]}

    ok = answer([("Lift margin.", ["fin:gross_margin:FY2025"]), ("Convert attention.", ["trend:apple"])])
    assert SynthesisAnswer.model_validate(ok).recommendations[1].evidence == ["trend:apple"]
    for recs, why in (
        ([("Create AI services.", ["prior:errc:create"]), ("Lift margin.", ["fin:gross_margin:FY2025"])],
         "cites only industry priors"),
        ([("Convert attention.", ["trend:apple"]), ("Lift margin.", ["fin:gross_margin:FY2025"])],
         "not the first"),
        ([("Lift margin.", ["fin:gross_margin:FY2025"]), ("A.", ["trend:apple"]), ("B.", ["trend:iphone_16"])],
         "at most one"),
    ):
        with pytest.raises(ValidationError, match=why):
            SynthesisAnswer.model_validate(answer(recs))
