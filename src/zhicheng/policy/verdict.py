"""The verdict: a proof tree with citations, gaps and the date from which the applicant qualifies.

Plain dataclasses (evaluation builds thousands of nodes; pydantic validation would dominate the cost);
`VERDICT_ADAPTER` gives the JSON Schema (`zhicheng schema verdict`), dumping and loading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import TypeAdapter

from zhicheng.policy.schema import Cite

Outcome = Literal["pass", "fail", "review", "not_applicable"]
Status = Literal["eligible", "ineligible", "needs_review", "not_in_force"]
RouteKind = Literal["regular", "exceptional", "direct_track"]
GapKind = Literal["time", "education", "title", "achievement", "assessment", "sanction", "direction",
                  "judgement", "data", "honour"]

STATUS_NAMES: dict[str, str] = {
    "eligible": "符合申报条件",
    "ineligible": "不符合申报条件",
    "needs_review": "机器可判条件均满足，尚需人工判断",
    "not_in_force": "无在施标准",
}
ROUTE_NAMES: dict[str, str] = {"regular": "正常申报", "exceptional": "破格申报", "direct_track": "直通车"}


@dataclass(slots=True)
class Gap:
    """One change that would help: what, why, and (for time) from when it holds."""

    condition: str
    kind: GapKind
    message: str
    ready_on: date | None = None


@dataclass(slots=True)
class ConditionResult:
    id: str
    kind: str
    label: str
    outcome: Outcome
    message: str
    cite: Cite | None = None
    observed: str | None = None
    threshold: str | None = None
    shortfall: str | None = None
    ready_on: date | None = None
    interpretation: list[str] = field(default_factory=list)
    children: list[ConditionResult] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


@dataclass(slots=True)
class RouteResult:
    route: RouteKind
    label: str
    outcome: Outcome
    conditions: list[ConditionResult]
    cite: Cite | None = None
    waived: list[str] = field(default_factory=list)
    ready_on: date | None = None
    missing: list[Gap] = field(default_factory=list)
    interview_required: bool = False


@dataclass(slots=True)
class Verdict:
    document: str
    document_title: str
    level: str
    level_title: str
    as_of: date
    status: Status
    summary: str
    route: RouteKind | None = None
    path: str | None = None
    path_label: str | None = None
    routes: list[RouteResult] = field(default_factory=list)
    missing: list[Gap] = field(default_factory=list)
    review_items: list[ConditionResult] = field(default_factory=list)
    eligible_from: date | None = None
    interpretations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    catalog_version: str = ""
    format: str = "zhicheng.verdict.v1"


VERDICT_ADAPTER: TypeAdapter[Verdict] = TypeAdapter(Verdict)
VERDICTS_ADAPTER: TypeAdapter[list[Verdict]] = TypeAdapter(list[Verdict])


def verdict_to_json(verdict: Verdict, indent: int | None = 2) -> str:
    return VERDICT_ADAPTER.dump_json(verdict, indent=indent).decode()


def verdict_from_json(text: str | bytes) -> Verdict:
    return VERDICT_ADAPTER.validate_json(text)
