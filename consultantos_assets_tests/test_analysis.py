"""The rule-based analyst on real bundled data: evidence-cited, grounded, company-specific."""

from __future__ import annotations

import functools

import pytest

from consultantos_assets.analysis.analyst import EvidencePack, Frameworks
from consultantos_assets.analysis.evidence import build_evidence
from consultantos_assets.analysis.grounding import check_points, ungrounded
from consultantos_assets.analysis.rules import RuleBasedAnalyst
from consultantos_assets.models import FrameworkPoint
from consultantos_assets.settings import BUNDLED_SNAPSHOT, Settings
from consultantos_assets.sources.collect import gather


@functools.cache
def _run(ticker: str):
    settings = Settings(mode="offline", snapshot_dir=BUNDLED_SNAPSHOT)
    research, trends, fin = gather(settings, ticker)
    pack = EvidencePack(research=research, trends=trends, financials=fin,
                        evidence=build_evidence(research, trends, fin))
    a = RuleBasedAnalyst()
    fw = Frameworks(porter=a.porter(pack), swot=a.swot(pack), pestel=a.pestel(pack), blue_ocean=a.blue_ocean(pack))
    return pack, fw, a.synthesis(pack, fw)


def _points(fw: Frameworks, syn) -> list[FrameworkPoint]:
    pts = [p for f in fw.porter.forces for p in f.points]
    pts += fw.swot.strengths + fw.swot.weaknesses + fw.swot.opportunities + fw.swot.threats
    pts += [p for k in ("political", "economic", "social", "technological", "environmental", "legal")
            for p in getattr(fw.pestel, k)]
    pts += fw.blue_ocean.eliminate + fw.blue_ocean.reduce + fw.blue_ocean.raise_ + fw.blue_ocean.create
    pts += syn.key_findings + syn.recommendations + syn.risks
    return pts


@pytest.mark.parametrize("ticker", ["AAPL", "NVDA", "TSLA", "MSFT", "GOOGL", "JPM", "KO"])
def test_every_point_cites_known_evidence_and_is_grounded(ticker):
    pack, fw, syn = _run(ticker)
    ids = {e.id for e in pack.evidence}
    pts = _points(fw, syn)
    assert len(pts) >= 20
    for p in pts:
        assert p.evidence, f"uncited point: {p.text}"
        assert set(p.evidence) <= ids, p.evidence
    assert check_points(pts, pack.evidence) == []
    assert check_points([FrameworkPoint(text=syn.executive_summary, evidence=[], confidence=0.5)],
                        pack.evidence) == []


def test_grounding_catches_an_invented_figure():
    pack, _, _ = _run("AAPL")
    bad = FrameworkPoint(text="Revenue reached $999.9B with a margin of 77.7%.", evidence=[], confidence=0.5)
    problems = check_points([bad], pack.evidence)
    assert any("$999.9B" in p for p in problems) and any("77.7%" in p for p in problems)
    assert ungrounded("Rated 3.8 of 5 in fiscal 2024", set(), {2024}) == []


def test_two_companies_get_different_points():
    _, fw_a, syn_a = _run("AAPL")
    _, fw_t, syn_t = _run("TSLA")
    a = {p.text for p in _points(fw_a, syn_a)}
    t = {p.text for p in _points(fw_t, syn_t)}
    assert len(a & t) / len(a | t) < 0.2
    assert fw_a.porter.forces != fw_t.porter.forces
    assert syn_a.executive_summary != syn_t.executive_summary


def test_apple_figures_come_from_sec_facts():
    pack, fw, syn = _run("AAPL")
    fin = pack.financials
    rev = fin.latest("revenue")
    assert rev is not None and rev.unit == "USD"
    gm = fin.value("gross_profit", rev.fiscal_year).value / rev.value
    texts = " ".join(p.text for p in _points(fw, syn))
    assert f"{gm * 100:.1f}%" in texts
    assert "Apple" in syn.executive_summary


def test_confidence_follows_evidence_coverage():
    _, _, aapl = _run("AAPL")
    _, _, msft = _run("MSFT")
    assert msft.confidence_breakdown["statements"] == 0.0
    assert aapl.confidence_breakdown["statements"] > 0.8
    assert aapl.confidence > msft.confidence + 0.2
    assert any("Financial statements are missing for MSFT" in g for g in msft.data_gaps)


def test_company_without_statements_still_gets_every_framework():
    pack, fw, syn = _run("MSFT")
    assert not pack.financials.has_statements
    assert all(f.points for f in fw.porter.forces)
    assert fw.swot.weaknesses and syn.recommendations
    assert "not available" in syn.executive_summary


def test_sector_structure_differs_by_industry():
    _, bank, _ = _run("JPM")
    _, apple, _ = _run("AAPL")
    bank_text = " ".join(p.text for f in bank.porter.forces for p in f.points)
    assert "Financials" in bank_text and "deposits" in bank_text
    assert {f.name: f.rating for f in bank.porter.forces} != {f.name: f.rating for f in apple.porter.forces}
