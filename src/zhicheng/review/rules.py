"""Pure rules of expert review: thresholds, quorum, committee size, filing and term periods, the
random draw, and automatic conflict detection.  No database, no clock: every input is an argument,
so each rule is tested by a table (tests/review/test_review_rules.py).

Sources (see /work/shared/research/anchors-gov.md §0–1 and docs/interpretations.md I-17, I-18):

* 人社部令第40号 第八条：评委会备案有效期不得超过 3 年。
* 第九条：评委会组成人员应当是单数；按系列组建的高级评委会评审专家不少于 25 人，按专业组建的不少于
  11 人；各地区组建的高级评委会人数经省级人社部门同意可适当调整。
* 第十条：评审专家每届任期不得超过 3 年。
* 评审会议出席专家不少于评委会人数的 2/3；同意票达到出席专家总数 2/3 以上即通过（I-17：含本数）；
  青岛西海岸新区“三分之二（不含）以上”（不含本数）。
* I-18：回避专家是否计入对该申报人的出席人数，由评委会设置，默认不计入。

All arithmetic on votes is integer arithmetic: ``3 * yes >= 2 * present`` rather than a float
comparison with 0.666…, so no rounding can ever decide a result.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zhicheng.policy.engine import add_years

__all__ = [
    "FILING_MAX_YEARS",
    "MIN_PANEL_SIZE",
    "SENIOR_LEVELS",
    "STATUTORY_MINIMUM",
    "TERM_MAX_YEARS",
    "ApplicationFacts",
    "DetectedConflict",
    "ExpertFacts",
    "Organisation",
    "Threshold",
    "detect_conflicts",
    "draw",
    "draw_key",
    "filing_problems",
    "last_day_of_years",
    "member_count_problems",
    "min_attending",
    "min_yes_to_pass",
    "normalise_name",
    "passes",
    "present_for_item",
    "quorum_met",
    "statutory_minimum",
    "term_problems",
]


class Threshold(enum.StrEnum):
    """How “三分之二以上” is read (I-17)."""

    INCLUSIVE = "inclusive"  # 人社部令第40号“2/3以上”，含本数：3*同意 >= 2*出席
    EXCLUSIVE = "exclusive"  # 青岛“三分之二（不含）以上”：3*同意 > 2*出席


class Organisation(enum.StrEnum):
    """How a committee is organised (第九条)."""

    SERIES = "series"  # 按职称系列组建
    SPECIALTY = "specialty"  # 按专业组建


SENIOR_LEVELS = frozenset({"senior_engineer", "professorate_senior_engineer"})
STATUTORY_MINIMUM = {Organisation.SERIES: 25, Organisation.SPECIALTY: 11}
"""第九条 minimum number of experts of a senior committee."""
FILING_MAX_YEARS = 3  # 第八条
TERM_MAX_YEARS = 3  # 第十条
MIN_PANEL_SIZE = 3  # 专业评议组每组不少于 3 名专家


# ---------------------------------------------------------------- votes


def passes(yes: int, present: int, threshold: Threshold | str) -> bool:
    """Whether ``yes`` approving votes out of ``present`` experts pass (integers only).

    >>> passes(10, 15, "inclusive"), passes(10, 15, "exclusive")
    (True, False)
    """
    if yes < 0 or present < 0 or yes > present:
        raise ValueError(f"票数不合理：同意 {yes}，出席 {present}")
    if present == 0:
        return False
    rule = Threshold(threshold)
    if rule is Threshold.INCLUSIVE:
        return 3 * yes >= 2 * present
    return 3 * yes > 2 * present


def min_yes_to_pass(present: int, threshold: Threshold | str) -> int:
    """The smallest number of approving votes that passes (for display: “需同意票 N 张”)."""
    if present <= 0:
        raise ValueError("出席人数须为正数")
    rule = Threshold(threshold)
    # inclusive: ceil(2p/3); exclusive: floor(2p/3) + 1
    return -(-2 * present // 3) if rule is Threshold.INCLUSIVE else 2 * present // 3 + 1


def quorum_met(attending: int, members: int) -> bool:
    """出席专家不少于评委会人数的 2/3: ``3 * attending >= 2 * members``."""
    if attending < 0 or members < 0 or attending > members:
        raise ValueError(f"人数不合理：出席 {attending}，组成 {members}")
    return members > 0 and 3 * attending >= 2 * members


def min_attending(members: int) -> int:
    """The smallest attendance that meets the quorum, ``ceil(2 * members / 3)``."""
    return -(-2 * members // 3)


def present_for_item(attending: int, recused: int, recused_count_as_present: bool) -> int:
    """Experts counted as present for one applicant (I-18).

    ``attending`` are the members checked in; ``recused`` those of them who recuse from this
    applicant.  By default (I-18) a recused expert is not present for that applicant.
    """
    if recused < 0 or recused > attending:
        raise ValueError(f"回避人数不合理：出席 {attending}，回避 {recused}")
    return attending if recused_count_as_present else attending - recused


# ---------------------------------------------------------------- committee size, filing, term


def statutory_minimum(organisation: Organisation | str, levels: Iterable[str]) -> int | None:
    """第九条's minimum for a senior committee; ``None`` when the committee covers no senior level."""
    if not SENIOR_LEVELS.intersection(levels):
        return None
    return STATUTORY_MINIMUM[Organisation(organisation)]


def member_count_problems(count: int, minimum: int) -> list[str]:
    """Why ``count`` members cannot form a sitting of a committee with ``minimum`` (empty: fine)."""
    problems = []
    if count % 2 == 0:
        problems.append(f"评委会组成人员应当是单数（现为 {count} 人）")
    if count < minimum:
        problems.append(f"评委会组成人员不少于 {minimum} 人（现为 {count} 人）")
    return problems


def last_day_of_years(start: dt.date, years: int) -> dt.date:
    """The last day of a period of ``years`` years starting on ``start`` (inclusive); the calendar's last
    day for a period that would run past year 9999."""
    if start.year + years > dt.MAXYEAR:
        return dt.date.max
    return add_years(start, years) - dt.timedelta(days=1)


def filing_problems(filed_on: dt.date, expires_on: dt.date) -> list[str]:
    """第八条: a filing is valid for at most 3 years (``expires_on`` is the last valid day)."""
    problems = []
    if expires_on < filed_on:
        problems.append("备案有效期截止日早于备案日")
    latest = last_day_of_years(filed_on, FILING_MAX_YEARS)
    if expires_on > latest:
        problems.append(f"备案有效期不得超过 {FILING_MAX_YEARS} 年（最迟至 {latest.isoformat()}）")
    return problems


def term_problems(start: dt.date, end: dt.date) -> list[str]:
    """第十条: an expert's term (every 届) lasts at most 3 years (``end`` inclusive)."""
    problems = []
    if end < start:
        problems.append("任期截止日早于开始日")
    latest = last_day_of_years(start, TERM_MAX_YEARS)
    if end > latest:
        problems.append(f"评审专家每届任期不得超过 {TERM_MAX_YEARS} 年（最迟至 {latest.isoformat()}）")
    return problems


# ---------------------------------------------------------------- the draw


def draw_key(seed: str, salt: str, expert_id: int) -> str:
    """Sort key of one candidate: ``sha256("<seed>|<salt>|<expert_id>")`` in hex."""
    return hashlib.sha256(f"{seed}|{salt}|{expert_id}".encode()).hexdigest()


def draw(candidates: Iterable[int], size: int, seed: str, salt: str = "members") -> list[int]:
    """Draw ``size`` experts from ``candidates`` at random, reproducibly from ``seed``.

    Every candidate gets the key :func:`draw_key`; the ``size`` smallest keys are drawn, returned
    in key order.  The result depends only on the *set* of candidates, the seed and the salt —
    not on their order, the Python version or the database — so anyone holding the recorded
    candidates and seed can re-run the draw (``sha256`` by hand if need be).
    """
    pool = sorted(set(candidates))
    if size < 0 or size > len(pool):
        raise ValueError(f"可抽取专家 {len(pool)} 人，不足 {size} 人")
    return sorted(pool, key=lambda e: draw_key(seed, salt, e))[:size]


# ---------------------------------------------------------------- conflict detection

_NAME_SEPARATORS = dict.fromkeys(map(ord, "·•・.．‧ 　\t\r\n-‐"), None)


def normalise_name(name: str) -> str:
    """A person's name for matching: NFKC, no spaces or name separators (“·”), case-folded."""
    return unicodedata.normalize("NFKC", name).translate(_NAME_SEPARATORS).casefold().strip()


@dataclass(frozen=True, slots=True)
class ExpertFacts:
    expert_id: int
    name: str
    unit_uscc: str | None


@dataclass(frozen=True, slots=True)
class ApplicationFacts:
    application_id: int
    unit_uscc: str | None
    # (achievement index, achievement title, coauthor names) for each listed achievement
    achievements: Sequence[tuple[int, str, Sequence[str]]] = ()


@dataclass(frozen=True, slots=True)
class DetectedConflict:
    expert_id: int
    application_id: int
    kind: str  # "same_unit" | "coauthor"
    evidence: dict[str, object]


def detect_conflicts(
    experts: Iterable[ExpertFacts], applications: Iterable[ApplicationFacts]
) -> list[DetectedConflict]:
    """Conflicts the data shows by itself: the same unit (统一社会信用代码) and co-authorship.

    Co-authorship: the expert's name (normalised) appears among the ``coauthors`` of an
    achievement the applicant lists (paper co-author, patent co-inventor, project member).  A
    name match can be a namesake: such a conflict is dismissible by the agency with a reason.
    One conflict per (expert, application, kind); the evidence names every matching item.
    """
    apps = list(applications)
    found: list[DetectedConflict] = []
    for expert in experts:
        expert_name = normalise_name(expert.name)
        expert_uscc = (expert.unit_uscc or "").strip().upper()
        for app in apps:
            app_uscc = (app.unit_uscc or "").strip().upper()
            if expert_uscc and expert_uscc == app_uscc:
                found.append(DetectedConflict(expert.expert_id, app.application_id, "same_unit", {"uscc": app_uscc}))
            if not expert_name:
                continue
            matches = [
                {"achievement": index, "title": title}
                for index, title, coauthors in app.achievements
                if any(normalise_name(c) == expert_name for c in coauthors)
            ]
            if matches:
                found.append(
                    DetectedConflict(
                        expert.expert_id, app.application_id, "coauthor", {"name": expert.name, "items": matches}
                    )
                )
    return found
