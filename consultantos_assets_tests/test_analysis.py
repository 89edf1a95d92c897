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
    assert len(pts) >= (20 if pack.financials.has_statements else 5)  # no boilerplate filling the gaps
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
    # the five forces have no company evidence: they are rated at the priors and say so, without filling the
    # framework with sector text
    assert not any(p.evidence for f in fw.porter.forces for p in f.points)
    assert sum("rated at the industry prior" in g for g in fw.porter.data_gaps) == 5
    assert "on industry priors alone" in syn.executive_summary
    assert syn.recommendations[0].evidence == ["fin:statements_missing"]
    assert "no SEC statements were available" in syn.executive_summary.split("\n\n")[0]


def test_sector_structure_differs_by_industry():
    bank_pack, bank, _ = _run("JPM")
    _, apple, _ = _run("AAPL")
    bank_text = " ".join(e.text for e in bank_pack.evidence if e.id.startswith("prior:force:"))
    assert "Financials" in bank_text and "deposits" in bank_text and "not a measured fact" in bank_text
    assert {f.name: f.rating for f in bank.porter.forces} != {f.name: f.rating for f in apple.porter.forces}


# ------------------------------------------------------------------------------------------ deeper rules
def _pack(ticker: str, extra_docs=()):
    settings = Settings(mode="offline", snapshot_dir=BUNDLED_SNAPSHOT)
    research, trends, fin = (m.model_copy(deep=True) for m in gather(settings, ticker))
    research.documents.extend(extra_docs)
    return EvidencePack(research=research, trends=trends, financials=fin,
                        evidence=build_evidence(research, trends, fin))


@pytest.mark.parametrize("ticker", ["AAPL", "TSLA", "MSFT"])
def test_every_framework_text_including_summaries_is_grounded(ticker):
    from consultantos_assets.analysis.grounding import check_result

    pack, fw, syn = _run(ticker)
    for result in (fw.porter, fw.swot, fw.pestel, fw.blue_ocean, syn):
        assert check_result(result, pack.evidence) == [], result.__class__.__name__


def test_pestel_reads_what_the_documents_discuss():
    from consultantos_assets.models import Document

    note = Document(
        id="doc:AAPL:user:analyst-note", title="Analyst note: supply chain and policy", kind="user",
        source="analyst-note.md",
        text="New tariffs and export controls on China could raise component costs. The company is adding "
             "generative AI features across its devices. It targets carbon neutral operations and lower "
             "emissions. A class action lawsuit over app store fees continues. Labour shortages at assembly "
             "partners are a concern.")
    pack = _pack("AAPL", extra_docs=[note])
    pestel = RuleBasedAnalyst().pestel(pack)
    for factor, topic in (("political", "tariffs"), ("technological", "artificial intelligence"),
                          ("environmental", "climate"), ("legal", "litigation"), ("social", "labour")):
        cited = [p for p in getattr(pestel, factor) if note.id in p.evidence]
        assert cited, f"no {factor} point cites the note"
        assert any(topic in p.text for p in cited), [p.text for p in cited]
    assert any("'tariffs'" in p.text and "'export controls'" in p.text for p in pestel.political)
    assert check_points([p for f in ("political", "economic", "social", "technological", "environmental", "legal")
                         for p in getattr(pestel, f)], pack.evidence) == []
    # without the note, none of these topics is claimed for Apple's fact documents
    plain = RuleBasedAnalyst().pestel(_pack("AAPL"))
    assert not any("tariffs" in p.text for p in plain.political)


def test_confidence_formula_discounts_old_data():
    from consultantos_assets.analysis.coverage import data_score, recency, recency_factor

    assert recency_factor("statements", 100) == 1.0
    assert recency_factor("statements", 456 + 365) == pytest.approx(0.5)
    assert recency_factor("statements", 5000) == 0.4
    cov = {"statements": 1.0, "prices": 1.0, "trends": 1.0, "documents": 1.0}
    assert data_score(cov) == 1.0
    assert data_score(cov, {"statements": 0.5}) == pytest.approx(1 - 0.4 * 0.5)
    tsla, aapl = _pack("TSLA"), _pack("AAPL")
    assert recency(tsla)["statements"] < 0.6 and recency(aapl)["statements"] == 1.0
    _, fw, syn = _run("TSLA")
    assert any(g.startswith("Financial statements end on") for g in syn.data_gaps)
    # a point citing an old fact is less certain than the same kind of point citing a current one
    from consultantos_assets.analysis.signals import confidence_for

    ev = tsla.by_id()
    years = tsla.financials.fiscal_years()
    ref = max(e.date for e in tsla.evidence if e.date)
    assert confidence_for([f"fin:revenue:FY{years[-1]}"], ev, ref) < confidence_for([f"fin:revenue:FY{years[-1]}"], ev)
