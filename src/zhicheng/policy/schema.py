"""Pydantic models of a catalog file: one YAML file per regulation (DESIGN.md, "Standards as code").

The vocabulary of condition kinds is closed: a new shape of rule means a new kind here, with tests,
never an expression in YAML. Every condition carries its citation.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhicheng.policy.profile import (
    AchievementKind,
    AwardGrade,
    EducationLevel,
    Grade,
    Honour,
    Level,
    Role,
    Sanction,
    SkillLevel,
    StandardLevel,
    Venue,
)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cite(Model):
    """Where a rule comes from: document id, section, and the clause quoted verbatim."""

    doc: str = Field(description="catalog id of the document quoted")
    section: str = Field(description="条款位置，如 附件2 三（一）2（3）")
    quote: str = Field(min_length=4, description="原文摘录（逐字，空白除外）")


class NodeBase(Model):
    id: str = Field(pattern=r"^[a-z0-9_.]+$")
    label: str = Field(description="条件的中文名称")
    cite: Cite | None = None
    interpretation: list[str] = Field(default_factory=list, description="依据的解释编号 I-xx")


class AllOf(NodeBase):
    kind: Literal["all_of"]
    children: list[Node]


class AnyOf(NodeBase):
    kind: Literal["any_of"]
    children: list[Node]


class JudgementNode(NodeBase):
    """A qualitative clause a person must judge (基本条件、业绩条件 prose)."""

    kind: Literal["judgement"]
    prompt: str = Field(description="评审人员据以判断的要点")


class EducationYears(NodeBase):
    """学历 + 毕业后从事本专业技术工作满 N 年."""

    kind: Literal["education_years"]
    min_education: EducationLevel
    accept: list[Literal["diploma", "degree"]] = Field(default=["diploma", "degree"])
    years: int = Field(ge=0, le=40)


class TitleYears(NodeBase):
    """(学历 +) 取得某级职称后从事本专业技术工作满 N 年."""

    kind: Literal["title_years"]
    min_grade: Grade
    series: Literal["any", "same", "other"] = "any"
    min_education: EducationLevel | None = None
    years: int = Field(ge=0, le=40)


class Assessments(NodeBase):
    """近 N 年年度考核结果均为合格以上."""

    kind: Literal["assessments"]
    years: int = Field(ge=1, le=10)


class NoSanction(NodeBase):
    kind: Literal["no_sanction"]
    sanctions: list[Sanction]


class DirectionIn(NodeBase):
    kind: Literal["direction_in"]
    values: list[str] = Field(min_length=1)


class HonourIn(NodeBase):
    kind: Literal["honour_in"]
    values: list[Honour] = Field(min_length=1)


class SkillAtLeast(NodeBase):
    kind: Literal["skill_level"]
    min_level: SkillLevel


class Match(Model):
    """Structured constraints an achievement must meet (all given constraints must hold)."""

    kinds: list[AchievementKind] = Field(min_length=1)
    roles: list[Role] | None = None
    max_rank: int | None = Field(None, ge=1)
    min_level: Level | None = None
    max_grade: AwardGrade | None = Field(None, description="奖项等级不低于（1 一等/金奖）")
    venues: list[Venue] | None = None
    min_standard_level: StandardLevel | None = None
    standard_levels: list[StandardLevel] | None = None
    granted: bool | None = None
    accepted: bool | None = None
    in_production: bool | None = None
    min_output_wan: int | None = Field(None, ge=0)


class Item(Model):
    """One numbered achievement item: '作为第一发明人获得授权发明专利'."""

    id: str = Field(pattern=r"^[a-z0-9_.]+$")
    label: str
    cite: Cite
    match: list[Match] = Field(min_length=1, description="any of these shapes")
    unit: int = Field(1, ge=1, le=10, description="几个成果计为 1 项（如 论文 2 篇）")
    judgement: str | None = Field(None, description="除结构化属性外仍需人工判断的核心要件")


class Achievements(NodeBase):
    """成果条件: 'M 项成果中 N 项及以上'."""

    kind: Literal["achievements"]
    need: int = Field(ge=1, le=10)
    enumerated: bool = Field(False, description="原文为“下列M项成果中N项”的列举式")
    counting: Literal["cumulative", "distinct"] = "cumulative"
    window: Literal["since_lower_title", "since_current_title", "none"] = "since_lower_title"
    exclude_used_before: bool = False
    items: list[Item] = Field(min_length=1)


class HasAchievement(NodeBase):
    """At least one achievement of a shape (破格/直通车 triggers)."""

    kind: Literal["has_achievement"]
    match: list[Match] = Field(min_length=1)
    window: Literal["since_lower_title", "since_current_title", "none"] = "none"
    judgement: str | None = None


Node = Annotated[
    AllOf | AnyOf | JudgementNode | EducationYears | TitleYears | Assessments | NoSanction
    | DirectionIn | HonourIn | SkillAtLeast | Achievements | HasAchievement,
    Field(discriminator="kind"),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()


class Route(Model):
    """An exceptional route: 破格 (exceptional) or 直通车 (direct_track)."""

    kind: Literal["exceptional", "direct_track"]
    label: str
    cite: Cite
    trigger: Node
    waives: list[str] = Field(description="ids of regular conditions this route does not require")
    adds: list[Node] = Field(default_factory=list, description="conditions only this route requires")
    interview_required: bool = False
    interpretation: list[str] = Field(default_factory=list)


class LevelRule(Model):
    id: Literal["technician", "assistant_engineer", "engineer", "senior_engineer", "professorate_senior_engineer"]
    title: str
    cite: Cite
    conditions: list[Node] = Field(min_length=1, description="all of these (the regular route)")
    routes: list[Route] = Field(default_factory=list)


class Direction(Model):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str


class Params(Model):
    """Points where a reasonable agency may choose otherwise (docs/interpretations.md)."""

    years_counted_to: Literal["as_of", "year_end"] = Field(
        "as_of", description="年限计算截止：评审基准日（as_of）或申报当年12月31日（year_end）")
    title_anchor: Literal["later_of_education_and_title", "title"] = Field(
        "later_of_education_and_title", description="学历+职称路径的起算：学历与职称中较晚者，或职称取得日")
    professional_degree_years_early: int = Field(0, ge=0, le=2, description="工程类专业学位可提前的年数")
    equivalences: dict[EducationLevel, EducationLevel] = Field(
        default_factory=dict, description="技工院校等按相当学历对待")
    vocational_qualification_as_title: bool = Field(
        False, description="职业资格可对应职称（须人工核对对应清单）")
    window_without_lower_title: Literal["work_start", "none"] = Field(
        "work_start", description="无低一级职称者成果起算：从事本专业技术工作以来")


class Source(Model):
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Document(Model):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    short_title: str
    doc_no: str
    issuer: str
    region: str
    published: date
    effective_from: date
    effective_to: date | None = Field(None, description="失效日（不含）；null 为长期有效")
    validity_cite: Cite
    source: Source
    specialty: str
    specialty_scoped: bool = Field(True, description="本系列（专业）按专业区分；通用标准只按系列区分")
    basis: list[str] = Field(default_factory=list)
    procedure: Literal["beijing", "qingdao"]
    directions: list[Direction] = Field(default_factory=list, description="专业方向或工作类型")
    params: Params = Field(default_factory=lambda: Params())
    param_cites: dict[str, Cite | str] = Field(default_factory=dict,
                                               description="出处或解释编号，按参数名")
    levels: list[LevelRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Document:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to 应晚于 effective_from")
        levels = [lv.id for lv in self.levels]
        if len(levels) != len(set(levels)):
            raise ValueError("同一层级重复定义")
        return self
