"""What the model must return, and how its answer becomes the report's models (pure).

The response models carry only what the model is trusted with: text, cited evidence ids and Porter
ratings. Their validators read a `Grounding` from the instructor validation context and reject unknown
evidence ids and figures the evidence does not hold, so instructor re-asks with the exact complaint.
Confidence, overall intensity, the strategy canvas and data gaps are computed by code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..models import (
    FORCE_LABELS,
    PESTEL,
    PESTEL_FACTORS,
    SWOT,
    BlueOcean,
    Evidence,
    Force,
    FrameworkPoint,
    PorterFiveForces,
    Synthesis,
)
from ..models.frameworks import ForceName
from .analyst import EvidencePack, Frameworks
from .coverage import as_of, coverage, framework_confidence, overall_confidence
from .grounding import allowed_figures, covered_years, ungrounded
from .signals import confidence_for

MAX_IDS_PER_POINT = 6


@dataclass(frozen=True)
class Grounding:
    """The validation context: which ids may be cited and which figures may be written."""

    ids: frozenset[str]
    figures: frozenset[str]
    years: frozenset[int]

    @classmethod
    def of(cls, evidence: list[Evidence]) -> Grounding:
        return cls(ids=frozenset(e.id for e in evidence), figures=frozenset(allowed_figures(evidence)),
                   years=frozenset(covered_years(evidence)))

    def context(self) -> dict[str, Any]:
        return {"grounding": self}


def _grounding(info: ValidationInfo) -> Grounding | None:
    ctx = info.context
    g = ctx.get("grounding") if isinstance(ctx, dict) else None
    return g if isinstance(g, Grounding) else None


def _figure_problems(text: str, g: Grounding) -> list[str]:
    return [f"the figure {tok!r} does not appear in the EVIDENCE list; quote figures exactly as the evidence "
            "prints them or leave the number out"
            for tok in ungrounded(text, set(g.figures), set(g.years), strict=True)]


def _check_text(text: str, info: ValidationInfo) -> str:
    g = _grounding(info)
    if g is not None:
        problems = _figure_problems(text, g)
        if problems:
            raise ValueError("; ".join(dict.fromkeys(problems)))
    return text


class _Answer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class CitedPoint(_Answer):
    """One point of analysis, citing the evidence it rests on."""

    text: str = Field(description="one or two sentences; every number copied exactly from the evidence")
    evidence: list[str] = Field(min_length=1, description="evidence ids from the EVIDENCE list, e.g. fin:revenue:FY2024")

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("the point text is empty")
        return v

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> CitedPoint:
        g = _grounding(info)
        if g is None:
            return self
        problems = []
        unknown = [i for i in self.evidence if i not in g.ids]
        if unknown:
            problems.append(f"unknown evidence id(s) {', '.join(map(repr, unknown))}: cite only ids listed in "
                            "square brackets in the EVIDENCE list")
        if len(set(self.evidence)) > MAX_IDS_PER_POINT:
            problems.append(f"cite at most {MAX_IDS_PER_POINT} evidence ids per point")
        problems += _figure_problems(self.text, g)
        if problems:
            raise ValueError(f"in the point {self.text[:120]!r}: " + "; ".join(dict.fromkeys(problems)))
        return self


# a framework's list of points, empty when the model gives none
CitedPoints = Annotated[list[CitedPoint], Field(default_factory=list)]


class ForceAnswer(_Answer):
    name: ForceName
    rating: float = Field(ge=1.0, le=5.0, description="1.0 weak force (good for the company) to 5.0 strong")
    points: list[CitedPoint] = Field(min_length=1)


class PorterAnswer(_Answer):
    """Porter's five forces: each force exactly once, then a summary."""

    forces: list[ForceAnswer] = Field(min_length=5, max_length=5)
    summary: str

    @field_validator("summary")
    @classmethod
    def _summary(cls, v: str, info: ValidationInfo) -> str:
        return _check_text(v, info)

    @model_validator(mode="after")
    def _all_forces(self) -> PorterAnswer:
        names = [f.name for f in self.forces]
        missing = [n for n in FORCE_LABELS if n not in names]
        if missing or len(set(names)) != len(names):
            raise ValueError(f"return each force exactly once; missing {missing}, got {names}")
        return self


class SWOTAnswer(_Answer):
    """SWOT analysis."""

    strengths: CitedPoints
    weaknesses: CitedPoints
    opportunities: CitedPoints
    threats: CitedPoints


class PESTELAnswer(_Answer):
    """PESTEL analysis."""

    political: CitedPoints
    economic: CitedPoints
    social: CitedPoints
    technological: CitedPoints
    environmental: CitedPoints
    legal: CitedPoints


class BlueOceanAnswer(_Answer):
    """Blue Ocean ERRC grid."""

    eliminate: CitedPoints
    reduce: CitedPoints
    raise_: Annotated[CitedPoints, Field(alias="raise")]
    create: CitedPoints


class SynthesisAnswer(_Answer):
    """Executive synthesis."""

    executive_summary: str = Field(description="three to five sentences")
    key_findings: list[CitedPoint] = Field(min_length=2)
    recommendations: list[CitedPoint] = Field(min_length=2)
    risks: list[CitedPoint] = Field(min_length=1)

    @field_validator("executive_summary")
    @classmethod
    def _summary(cls, v: str, info: ValidationInfo) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("the executive summary is empty")
        return _check_text(v, info)

    @model_validator(mode="after")
    def _what_a_claim_needs(self) -> SynthesisAnswer:
        """Findings and recommendations rest on the company's evidence, not on priors alone; at most one
        recommendation rests on search interest alone, and not the first."""
        problems = []
        for name, points in (("key finding", self.key_findings), ("recommendation", self.recommendations)):
            problems += [f"the {name} {p.text[:80]!r} cites only industry priors (prior:*): base it on the "
                         "company's own evidence or leave it out" for p in points
                         if all(i.startswith("prior:") for i in p.evidence)]
        attention = [i for i, p in enumerate(self.recommendations)
                     if all(e.startswith("trend:") for e in p.evidence)]
        if len(attention) > 1 or attention[:1] == [0]:
            problems.append("at most one recommendation may rest on search interest (trend:*) alone, and not the "
                            "first")
        if problems:
            raise ValueError("; ".join(problems))
        return self


ANSWER_MODELS: dict[str, type[BaseModel]] = {
    "porter": PorterAnswer, "swot": SWOTAnswer, "pestel": PESTELAnswer, "blue_ocean": BlueOceanAnswer,
    "synthesis": SynthesisAnswer,
}


# ------------------------------------------------------------------------------------------ conversion
def _points(items: list[CitedPoint], pack: EvidencePack) -> list[FrameworkPoint]:
    ev = pack.by_id()
    ref = as_of(pack)
    out = []
    for p in items:
        ids = list(dict.fromkeys(i for i in p.evidence if i in ev))
        out.append(FrameworkPoint(text=p.text, evidence=ids, confidence=confidence_for(ids, ev, ref)))
    return out


def to_porter(a: PorterAnswer, pack: EvidencePack, analyst: str, gaps: list[str]) -> PorterFiveForces:
    by_name = {f.name: f for f in a.forces}
    forces = [Force(name=n, rating=round(by_name[n].rating, 1), points=_points(by_name[n].points, pack))
              for n in FORCE_LABELS]
    overall = round(sum(f.rating for f in forces) / len(forces), 1)
    pts = [p for f in forces for p in f.points]
    return PorterFiveForces(ticker=pack.ticker, analyst=analyst, confidence=framework_confidence(pts, pack),
                            data_gaps=gaps, forces=forces, overall_intensity=overall, summary=a.summary)


def to_swot(a: SWOTAnswer, pack: EvidencePack, analyst: str, gaps: list[str]) -> SWOT:
    groups = {k: _points(getattr(a, k), pack) for k in ("strengths", "weaknesses", "opportunities", "threats")}
    pts = [p for v in groups.values() for p in v]
    return SWOT(ticker=pack.ticker, analyst=analyst, confidence=framework_confidence(pts, pack), data_gaps=gaps,
                **groups)


def to_pestel(a: PESTELAnswer, pack: EvidencePack, analyst: str, gaps: list[str]) -> PESTEL:
    groups = {k: _points(getattr(a, k), pack) for k in PESTEL_FACTORS}
    pts = [p for v in groups.values() for p in v]
    return PESTEL(ticker=pack.ticker, analyst=analyst, confidence=framework_confidence(pts, pack),
                  data_gaps=gaps, **groups)


def to_blue_ocean(a: BlueOceanAnswer, pack: EvidencePack, analyst: str, gaps: list[str],
                  canvas: list) -> BlueOcean:
    groups = {k: _points(getattr(a, k), pack) for k in ("eliminate", "reduce", "raise_", "create")}
    pts = [p for v in groups.values() for p in v]
    return BlueOcean(ticker=pack.ticker, analyst=analyst, confidence=framework_confidence(pts, pack),
                     data_gaps=gaps, canvas=canvas, **groups)


def to_synthesis(a: SynthesisAnswer, pack: EvidencePack, fw: Frameworks, analyst: str) -> Synthesis:
    gaps = list(dict.fromkeys(g for f in (fw.porter, fw.swot, fw.pestel, fw.blue_ocean) for g in f.data_gaps))
    return Synthesis(
        ticker=pack.ticker, analyst=analyst, data_gaps=gaps,
        confidence=overall_confidence(fw, pack),
        executive_summary=a.executive_summary, key_findings=_points(a.key_findings, pack),
        recommendations=_points(a.recommendations, pack), risks=_points(a.risks, pack),
        confidence_breakdown=coverage(pack),
    )
