"""The applicant profile: everything the eligibility engine reads about a person.

A profile is a declaration (the applicant's, or the agency's after review). Unknown facts are left
out, never defaulted: a missing annual assessment is reported as missing, not assumed.
"""

from __future__ import annotations

import json
from datetime import date
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from zhicheng.policy.messages import translate_errors


def _not_future(value: date, info: ValidationInfo) -> date:
    """Profiles describe the past; `today` comes from the validation context (tests pin it)."""
    today = (info.context or {}).get("today") or date.today()
    if value > today:
        raise ValueError(f"日期 {value.isoformat()} 晚于今天 {today.isoformat()}")
    return value


PastDate = Annotated[date, AfterValidator(_not_future)]
Day = PastDate  # alias: Achievement has a field named `date`


class EducationLevel(StrEnum):
    """学历层次 (DESIGN.md glossary); technical-school classes are mapped per document."""

    secondary_vocational = "secondary_vocational"  # 中等职业学校（中专）
    technical_school_intermediate = "technical_school_intermediate"  # 技工院校中级工班
    technical_school_advanced = "technical_school_advanced"  # 技工院校高级工班
    technical_school_technician = "technical_school_technician"  # 技工院校预备技师（技师）班
    junior_college = "junior_college"  # 大学专科
    bachelor = "bachelor"  # 大学本科
    second_bachelor = "second_bachelor"  # 第二学士学位
    master = "master"  # 硕士
    doctor = "doctor"  # 博士


# Rank of the ordinary education levels; technical-school classes have no rank of their own and only
# count through a document's equivalence table (京人社事业发〔2020〕17号, 青西新管发〔2023〕13号 第六条).
EDUCATION_RANK: dict[EducationLevel, int] = {
    EducationLevel.secondary_vocational: 1,
    EducationLevel.junior_college: 2,
    EducationLevel.bachelor: 3,
    EducationLevel.second_bachelor: 4,
    EducationLevel.master: 5,
    EducationLevel.doctor: 6,
}

EDUCATION_NAMES: dict[EducationLevel, str] = {
    EducationLevel.secondary_vocational: "中等职业学校",
    EducationLevel.technical_school_intermediate: "技工院校中级工班",
    EducationLevel.technical_school_advanced: "技工院校高级工班",
    EducationLevel.technical_school_technician: "技工院校预备技师（技师）班",
    EducationLevel.junior_college: "大学专科",
    EducationLevel.bachelor: "大学本科",
    EducationLevel.second_bachelor: "第二学士学位",
    EducationLevel.master: "硕士研究生",
    EducationLevel.doctor: "博士研究生",
}


class Grade(IntEnum):
    """Title grade 1–5: 员级 / 助理级 / 中级 / 副高级 / 正高级."""

    technician = 1
    assistant = 2
    intermediate = 3
    deputy_senior = 4
    senior = 5


LEVELS: dict[str, Grade] = {
    "technician": Grade.technician,
    "assistant_engineer": Grade.assistant,
    "engineer": Grade.intermediate,
    "senior_engineer": Grade.deputy_senior,
    "professorate_senior_engineer": Grade.senior,
}

LEVEL_NAMES: dict[str, str] = {
    "technician": "技术员",
    "assistant_engineer": "助理工程师",
    "engineer": "工程师",
    "senior_engineer": "高级工程师",
    "professorate_senior_engineer": "正高级工程师",
}

GRADE_NAMES: dict[int, str] = {1: "员级", 2: "助理级（初级）", 3: "中级", 4: "副高级", 5: "正高级"}


class AssessmentResult(StrEnum):
    """年度考核等次."""

    excellent = "excellent"  # 优秀
    competent = "competent"  # 合格（称职）
    basically_competent = "basically_competent"  # 基本合格
    incompetent = "incompetent"  # 不合格

    @property
    def at_least_competent(self) -> bool:
        return self in (AssessmentResult.excellent, AssessmentResult.competent)


class Sanction(StrEnum):
    disciplinary = "disciplinary"  # 党纪、政纪处分或组织处理（影响期内）
    integrity = "integrity"  # 职称评审失信（诚信档案）记录


class AchievementKind(StrEnum):
    """成果/业绩/荣誉 kinds shared by all catalogs (docs/profile.md describes each)."""

    paper = "paper"  # 论文
    invention_patent = "invention_patent"  # 发明专利
    utility_patent = "utility_patent"  # 实用新型、外观设计等其他专利
    patent_award = "patent_award"  # 中国专利奖（金奖/银奖/优秀奖）
    design_award = "design_award"  # 中国外观设计奖
    standard = "standard"  # 标准（国际/国家/行业/地方/团体/企业）
    book = "book"  # 专著、编著
    research_project = "research_project"  # 攻关项目、研究课题、科技项目
    tech_report = "tech_report"  # 项目/研究/评估/咨询报告、技术文件、白皮书
    design_document = "design_document"  # 设计文件
    construction_method = "construction_method"  # 行业工法
    new_product = "new_product"  # 新技术、新工艺、新设备、新材料、新产品
    first_set_equipment = "first_set_equipment"  # 首台套重大装备和关键零部件
    tech_transfer = "tech_transfer"  # 技术成果转移转化项目
    transfer_contract = "transfer_contract"  # 技术转移转化服务合同
    science_award = "science_award"  # 自然科学、技术发明、科技进步奖
    industry_award = "industry_award"  # 国家部委或全国性行业协会的工程技术奖项
    competition_award = "competition_award"  # 大赛获奖
    security_finding = "security_finding"  # 发现风险隐患
    incident_response = "incident_response"  # 处置安全事件
    vulnerability = "vulnerability"  # 重要漏洞（CNVD、CNNVD 书面认可）
    event_security = "event_security"  # 国家级重大活动网络安全保障任务（受表扬或感谢）
    policy_advice = "policy_advice"  # 政策建议被采纳
    planning = "planning"  # 发展规划、战略决策、政策、规范的制定
    talent_award = "talent_award"  # 国家级人才表彰奖励
    innovation_product = "innovation_product"  # 创新产品、首创产品（重大科技突破）
    key_org_tech_lead = "key_org_tech_lead"  # 重点实验室、技术创新中心、领军/龙头企业的技术负责人


class Role(StrEnum):
    """The part the applicant played; ranks are kept separately (1 = 第一)."""

    lead = "lead"  # 主持人、主要负责人、总负责人、技术带头人
    main = "main"  # 主要完成人、主要参与人、主要起草人、重要负责人
    participant = "participant"  # 参与人
    corresponding = "corresponding"  # 通讯作者


class Level(IntEnum):
    """Administrative level of an award, project or adoption (青西新管发〔2023〕13号 第十四条(五))."""

    unit = 1  # 单位内
    county = 2  # 县（区）级
    municipal = 3  # 地市级
    provincial = 4  # 省部级
    national = 5  # 国家级
    international = 6  # 国际


class AwardGrade(IntEnum):
    """Award grade; lower is better (1 = 一等奖 / 金奖, 2 = 二等奖 / 银奖, 3 = 三等奖 / 优秀奖)."""

    first = 1
    second = 2
    third = 3


class Venue(StrEnum):
    public_journal = "public_journal"  # 公开发行的学术刊物
    core_journal = "core_journal"  # 核心期刊（北大《中文核心期刊要目总览》或国际同等）
    national_forum = "national_forum"  # 国家级论坛、会议报告交流
    international_forum = "international_forum"  # 国际论坛、会议报告交流
    indexed = "indexed"  # SCI、EI 等国际权威检索收录


class StandardLevel(IntEnum):
    enterprise = 1
    group = 2  # 团体标准
    local = 3  # 地方标准
    industry = 4  # 行业标准
    national = 5
    international = 6


class SkillLevel(IntEnum):
    """职业资格或职业技能等级 (高技能人才)."""

    senior_worker = 3  # 高级工
    technician = 2  # 技师
    senior_technician = 1  # 高级技师


class Honour(StrEnum):
    """Skilled-worker honours named by 京人社事业发〔2020〕17号 三(三)2."""

    china_skill_award = "china_skill_award"  # 中华技能大奖
    national_technical_expert = "national_technical_expert"  # 全国技术能手
    national_master_studio_lead = "national_master_studio_lead"  # 国家级技能大师工作室负责人
    worldskills_medal = "worldskills_medal"  # 世界技能大赛优胜奖及以上
    state_council_allowance = "state_council_allowance"  # 享受国务院政府特殊津贴


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Education(Strict):
    level: EducationLevel = Field(description="学历层次")
    graduation_date: PastDate = Field(description="毕业（取得学历或学位）日期")
    diploma: bool = Field(True, description="取得学历（毕业证书）")
    degree: bool = Field(True, description="取得学位（学位证书）")
    engineering_professional_degree: bool = Field(False, description="工程类专业学位（研究生）")
    school: str | None = Field(None, max_length=100)
    major: str | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _some_credential(self) -> Education:
        if not (self.diploma or self.degree):
            raise ValueError("学历与学位至少具备其一")
        return self


class TitleHeld(Strict):
    grade: Grade = Field(description="职称等级 1–5：员级/助理级/中级/副高级/正高级")
    series: str = Field("engineering", min_length=1, max_length=40,
                        description="职称系列；工程技术系列为 engineering")
    specialty: str | None = Field(None, max_length=40, description="专业，如 人工智能")
    name: str | None = Field(None, max_length=40, description="职称名称，如 工程师")
    obtained: PastDate = Field(description="取得职称（资格）日期")


class VocationalQualification(Strict):
    name: str = Field(min_length=1, max_length=80, description="职业资格名称")
    grade: str = Field(pattern="^(primary|intermediate|senior|ungraded)$",
                       description="初级（二级）primary / 中级（一级）intermediate / 高级 senior / 未分级 ungraded")
    obtained: PastDate


class AnnualAssessment(Strict):
    year: int = Field(ge=1950, le=2100)
    result: AssessmentResult


class SanctionPeriod(Strict):
    kind: Sanction
    start: date
    end: date = Field(description="影响期（禁止申报期）最后一日")
    reason: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> SanctionPeriod:
        if self.end < self.start:
            raise ValueError("结束日期早于开始日期")
        return self


class Achievement(Strict):
    id: str | None = Field(None, max_length=40, description="申报人自定编号")
    kind: AchievementKind
    title: str = Field("", max_length=200)
    date: Day = Field(description="取得（发表、授权、获奖、验收）日期")
    role: Role | None = None
    rank: int | None = Field(None, ge=1, le=999, description="排名，1 为第一")
    level: Level | None = Field(None, description="级别（奖项、项目、推广、采纳部门）")
    grade: AwardGrade | None = Field(None, description="奖项等级：1 一等/金奖，2 二等/银奖，3 三等/优秀奖")
    venue: Venue | None = None
    standard_level: StandardLevel | None = None
    granted: bool | None = Field(None, description="专利已授权")
    accepted: bool | None = Field(None, description="通过鉴定、验收、评审或结题")
    in_production: bool | None = Field(None, description="已投入生产或应用")
    annual_output_wan: int | None = Field(None, ge=0, description="年增产值（万元）")
    count: int = Field(1, ge=1, le=100, description="同一条目包含的数量（如论文篇数）")
    used_before: bool = Field(False, description="已在以往职称评审中使用过")
    coauthors: list[str] = Field(default_factory=list, description="合作者（用于回避检测）")


class Judgement(Strict):
    """A reviewer's finding on a qualitative condition (the agency records these at review)."""

    document: str
    level: str
    condition: str
    passed: bool
    note: str | None = Field(None, max_length=500)


class Profile(Strict):
    """申报人档案. See docs/profile.md and `zhicheng schema profile`."""

    name: str | None = Field(None, max_length=50)
    education: list[Education] = Field(default_factory=list, description="学历（学位）经历")
    specialty_work_start: PastDate | None = Field(None, description="开始从事本专业技术工作的日期")
    titles: list[TitleHeld] = Field(default_factory=list, description="已取得的职称")
    vocational_qualifications: list[VocationalQualification] = Field(default_factory=list)
    skill_level: SkillLevel | None = Field(None, description="职业资格或职业技能等级（高技能人才）")
    honours: list[Honour] = Field(default_factory=list)
    annual_assessments: list[AnnualAssessment] = Field(default_factory=list)
    sanctions: list[SanctionPeriod] = Field(default_factory=list)
    directions: list[str] = Field(default_factory=list, max_length=10,
                                  description="专业方向或工作类型编号（各标准编号全局唯一，如 quantum_computing）")
    achievements: list[Achievement] = Field(default_factory=list)
    judgements: list[Judgement] = Field(default_factory=list, description="评审人员对定性条件的认定")

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        years = [a.year for a in self.annual_assessments]
        if len(years) != len(set(years)):
            raise ValueError("annual_assessments：同一年度出现多条考核结果")
        return self

    def check_years(self, today: date) -> list[tuple[str, str]]:
        return [(f"annual_assessments[{i}].year", f"{a.year} 年度尚未到来")
                for i, a in enumerate(self.annual_assessments) if a.year > today.year]


class ProfileError(ValueError):
    """Invalid profile input: all problems at once, each with its field path and a Chinese reason."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("；".join(f"{p}：{m}" for p, m in problems))


def parse_profile(data: Any, today: date | None = None) -> Profile:
    """Validate a decoded JSON/YAML object; raises ProfileError listing every problem."""
    if not isinstance(data, dict):
        raise ProfileError([("(根)", "档案应为对象（键值映射）")])
    today = today or date.today()
    try:
        profile = Profile.model_validate(data, context={"today": today})
    except ValidationError as exc:
        raise ProfileError(translate_errors(exc)) from None
    problems = profile.check_years(today)
    if problems:
        raise ProfileError(problems)
    return profile


def load_profile(path: str | Path, today: date | None = None) -> Profile:
    """Read a profile from a .json, .yaml or .yml file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError([("(文件)", f"无法读取 {p}：{exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ProfileError([("(文件)", f"{p} 不是 UTF-8 文本")]) from None
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ProfileError([("(文件)", f"{p} 格式错误：{str(exc).splitlines()[0]}")]) from None
    return parse_profile(data, today)
