"""The eligibility engine: evaluate(profile, document, level, as_of) -> Verdict.

Each catalog node kind has one evaluator below. Every evaluator returns a ConditionResult with its
outcome, what it saw, what it needed, the gaps that would close it and `ready_on`: the earliest date
on which it holds if nothing but time changes (None: time alone cannot do it). Composites combine
these in closed form: all_of takes the latest date, any_of the earliest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from zhicheng.policy.catalog import Catalog, default_catalog
from zhicheng.policy.profile import (
    EDUCATION_NAMES,
    EDUCATION_RANK,
    GRADE_NAMES,
    LEVEL_NAMES,
    LEVELS,
    Achievement,
    Education,
    EducationLevel,
    Grade,
    Profile,
)
from zhicheng.policy.schema import (
    Achievements,
    AllOf,
    AnyOf,
    Assessments,
    DirectionIn,
    Document,
    EducationYears,
    HasAchievement,
    HonourIn,
    Item,
    JudgementNode,
    LevelRule,
    Match,
    Node,
    NoSanction,
    Route,
    SkillAtLeast,
    TitleYears,
)
from zhicheng.policy.verdict import (
    ROUTE_NAMES,
    STATUS_NAMES,
    ConditionResult,
    Gap,
    Outcome,
    RouteKind,
    RouteResult,
    Status,
    Verdict,
)

_ORDER: dict[Outcome, int] = {"fail": 0, "review": 1, "pass": 2, "not_applicable": 2}
_VQ_GRADE = {"primary": Grade.assistant, "intermediate": Grade.intermediate,
             "senior": Grade.deputy_senior, "ungraded": Grade.intermediate}
_SANCTION_NAMES = {"disciplinary": "党纪政纪处分或组织处理影响期", "integrity": "职称评审失信惩戒期"}


# ---------------------------------------------------------------- dates
def add_years(d: date, n: int) -> date:
    """Anniversary n years on; 29 February rounds up to 1 March (interpretation I-12)."""
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return date(d.year + n, 3, 1)


def full_years(start: date, end: date) -> int:
    if end < start:
        return 0
    n = end.year - start.year
    return n if add_years(start, n) <= end else n - 1


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    y, m = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def duration_text(start: date, end: date) -> str:
    """'1年7个月3天' between two dates (end after start)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if _add_months(start, months) > end:
        months -= 1
    days = (end - _add_months(start, months)).days
    parts = []
    if months >= 12:
        parts.append(f"{months // 12}年")
    if months % 12:
        parts.append(f"{months % 12}个月")
    if days or not parts:
        parts.append(f"{days}天")
    return "".join(parts)


# ---------------------------------------------------------------- context
@dataclass(slots=True)
class Ctx:
    profile: Profile
    doc: Document
    level: LevelRule
    grade: Grade
    as_of: date
    cutoff: date
    judgements: dict[str, bool]
    early_years: int

    def ready(self, required: date) -> date:
        """The first date on which a time threshold `required` is met under the counting rule."""
        if self.doc.params.years_counted_to == "year_end":
            return max(self.as_of, date(required.year, 1, 1))
        return max(self.as_of, required)

    def time_interp(self) -> list[str]:
        i = self.doc.param_cites.get("years_counted_to")
        return ["I-12"] + ([i] if isinstance(i, str) and i != "I-12" else [])

    def edu_rank(self, level: EducationLevel) -> int:
        return EDUCATION_RANK.get(self.doc.params.equivalences.get(level, level), 0)

    def education_name(self, level: EducationLevel) -> str:
        mapped = self.doc.params.equivalences.get(level)
        base = EDUCATION_NAMES[level]
        return f"{base}（按{EDUCATION_NAMES[mapped]}对待）" if mapped else base


def _result(node: Node | Item, outcome: Outcome, message: str, ctx: Ctx, observed: str | None = None,
            threshold: str | None = None, shortfall: str | None = None,
            interpretation: list[str] | None = None, children: list[ConditionResult] | None = None,
            ) -> ConditionResult:
    interp = getattr(node, "interpretation", None)
    if interp:
        interpretation = [*interp, *(interpretation or ())]
    return ConditionResult(node.id, getattr(node, "kind", "item"), node.label, outcome, message, node.cite,
                           observed, threshold, shortfall,
                           ctx.as_of if outcome == "pass" or outcome == "review" else None,
                           interpretation or [], children or [], [])


def _fail(node: Node, ctx: Ctx, message: str, kind: str, gap: str, ready_on: date | None = None,
          **kw: Any) -> ConditionResult:
    r = _result(node, "fail", message, ctx, **kw)
    r.ready_on = ready_on
    r.gaps = [Gap(node.id, kind, gap, ready_on)]  # type: ignore[arg-type]
    return r


# ---------------------------------------------------------------- leaves
def _years_check(node: EducationYears | TitleYears, ctx: Ctx, anchor: date, observed: str,
                 extra: list[str]) -> ConditionResult:
    years = max(0, node.years - ctx.early_years)
    required = add_years(anchor, years)
    threshold = f"满{years}年" + (f"（工程类专业学位提前{ctx.early_years}年）" if ctx.early_years else "")
    have = full_years(anchor, ctx.cutoff)
    observed = f"{observed}；自{anchor.isoformat()}起计至{ctx.cutoff.isoformat()}满{have}年"
    interp = ctx.time_interp() + extra
    if ctx.cutoff >= required:
        return _result(node, "pass", f"{node.label}：符合（{threshold}）", ctx, observed=observed,
                       threshold=threshold, interpretation=interp)
    short = duration_text(ctx.cutoff, required)
    when = ctx.ready(required)
    gap = f"{node.label}：还差{short}，{when.isoformat()}起满足"
    return _fail(node, ctx, f"{node.label}：不满足，{threshold}还差{short}", "time", gap, when,
                 observed=observed, threshold=threshold, shortfall=short, interpretation=interp)


def _accepts(e: Education, accept: Sequence[str]) -> bool:
    return ("diploma" in accept and e.diploma) or ("degree" in accept and e.degree)


def _education_years(node: EducationYears, ctx: Ctx) -> ConditionResult:
    p = ctx.profile
    need = EDUCATION_RANK[node.min_education]
    eligible = [e for e in p.education if ctx.edu_rank(e.level) >= need and _accepts(e, node.accept)]
    if not eligible:
        held = "、".join(ctx.education_name(e.level) for e in p.education) or "未填写"
        return _fail(node, ctx, f"{node.label}：学历不符（现有：{held}）", "education",
                     f"{node.label}：需具备{EDUCATION_NAMES[node.min_education]}及以上学历", None,
                     observed=held, threshold=f"{EDUCATION_NAMES[node.min_education]}及以上")
    if p.specialty_work_start is None:
        return _fail(node, ctx, f"{node.label}：缺少开始从事本专业技术工作的日期", "data",
                     "请填写开始从事本专业技术工作的日期（specialty_work_start）")
    ws = p.specialty_work_start
    best = min(eligible, key=lambda e: max(e.graduation_date, ws))
    anchor = max(best.graduation_date, ws)
    observed = f"{ctx.education_name(best.level)}，{best.graduation_date.isoformat()}毕业"
    return _years_check(node, ctx, anchor, observed, [])


def _titles_for(node: TitleYears, ctx: Ctx) -> list[tuple[date, bool, str]]:
    """(date obtained, via vocational qualification?, description) of qualifying titles."""
    doc, out = ctx.doc, []
    for t in ctx.profile.titles:
        if t.grade < node.min_grade:
            continue
        same = t.series == "engineering" and (
            not doc.specialty_scoped or t.specialty is None or t.specialty == doc.specialty)
        if (node.series == "same" and not same) or (node.series == "other" and same):
            continue
        out.append((t.obtained, False, f"{t.name or GRADE_NAMES[t.grade]}（{t.obtained.isoformat()}）"))
    if doc.params.vocational_qualification_as_title and node.series != "other":
        for q in ctx.profile.vocational_qualifications:
            if _VQ_GRADE[q.grade] >= node.min_grade:
                out.append((q.obtained, True, f"职业资格 {q.name}（{q.obtained.isoformat()}）"))
    return out


def _title_years(node: TitleYears, ctx: Ctx) -> ConditionResult:
    p = ctx.profile
    series = {"any": "", "same": "本系列", "other": "非本系列（专业）"}[node.series]
    need_title = f"{series}{GRADE_NAMES[node.min_grade]}职称"
    titles = _titles_for(node, ctx)
    if not titles:
        return _fail(node, ctx, f"{node.label}：未取得{need_title}", "title", f"{node.label}：需先取得{need_title}",
                     None, threshold=need_title)
    edu_date: date | None = None
    if node.min_education is not None:
        need = EDUCATION_RANK[node.min_education]
        edus = [e for e in p.education if ctx.edu_rank(e.level) >= need]
        if not edus:
            return _fail(node, ctx, f"{node.label}：学历不符", "education",
                         f"{node.label}：需具备{EDUCATION_NAMES[node.min_education]}及以上学历", None,
                         threshold=f"{EDUCATION_NAMES[node.min_education]}及以上")
        edu_date = min(e.graduation_date for e in edus)
    if p.specialty_work_start is None:
        return _fail(node, ctx, f"{node.label}：缺少开始从事本专业技术工作的日期", "data",
                     "请填写开始从事本专业技术工作的日期（specialty_work_start）")
    ws = p.specialty_work_start
    later = ctx.doc.params.title_anchor == "later_of_education_and_title"

    def anchor(t: tuple[date, bool, str]) -> date:
        a = max(t[0], ws)
        return max(a, edu_date) if later and edu_date is not None else a

    # prefer a real title over a vocational qualification when both qualify equally early
    best = min(titles, key=lambda t: (anchor(t), t[1]))
    extra = ["I-06"] if node.min_education is not None else []
    r = _years_check(node, ctx, anchor(best), best[2], extra)
    if best[1] and r.outcome == "pass":
        r.outcome = "review"
        r.message = f"{node.label}：以职业资格对应职称，须核对职业资格与职称对应清单"
        r.interpretation.append("I-22")
    return r


def _assessments(node: Assessments, ctx: Ctx) -> ConditionResult:
    p, y = ctx.profile, ctx.as_of.year
    results = {a.year: a.result for a in p.annual_assessments}
    first = p.specialty_work_start.year + 1 if p.specialty_work_start else None

    def bad_years(app_year: int, known_only: bool) -> list[int]:
        out = []
        for yr in range(app_year - node.years, app_year):
            if first is not None and yr < first and yr not in results:
                continue  # not yet in service that year (I-11)
            if yr >= y:
                continue  # future years: assumed 合格 for the forecast only
            r = results.get(yr)
            if (r is None and not known_only) or (r is not None and not r.at_least_competent):
                out.append(yr)
        return out

    window = f"{y - node.years}–{y - 1}年度"
    bad = bad_years(y, known_only=False)
    if not bad:
        return _result(node, "pass", f"{node.label}：{window}均为合格以上", ctx, observed=window,
                       threshold=f"近{node.years}年合格以上", interpretation=["I-11"])
    later = next(a for a in range(y + 1, y + node.years + 2) if not bad_years(a, known_only=False))
    when = date(later, 1, 1)
    missing = [yr for yr in bad if yr not in results]
    low = [yr for yr in bad if yr in results]
    parts = []
    if low:
        parts.append("、".join(str(v) for v in low) + "年度考核不合格")
    if missing:
        parts.append("缺少" + "、".join(str(v) for v in missing) + "年度考核结果")
    text = "；".join(parts)
    kind = "data" if missing and not low else "assessment"
    gap = f"{node.label}：{text}" + ("（请补充）" if missing else "") + f"；按考核期顺延，{later}年度起满足"
    return _fail(node, ctx, f"{node.label}：{text}", kind, gap, when, observed=text,
                 threshold=f"近{node.years}年合格以上", interpretation=["I-11"])


def _no_sanction(node: NoSanction, ctx: Ctx) -> ConditionResult:
    active = [s for s in ctx.profile.sanctions
              if s.kind in node.sanctions and s.start <= ctx.as_of <= s.end]
    if not active:
        return _result(node, "pass", f"{node.label}：无", ctx)
    end = max(s.end for s in active)
    names = "、".join(sorted({_SANCTION_NAMES[s.kind] for s in active}))
    when = end + timedelta(days=1)
    return _fail(node, ctx, f"{node.label}：处于{names}内，至{end.isoformat()}", "sanction",
                 f"{node.label}：{names}至{end.isoformat()}止，{when.isoformat()}起方可申报", when,
                 observed=f"至{end.isoformat()}")


def _direction_in(node: DirectionIn, ctx: Ctx) -> ConditionResult:
    names = {d.id: d.name for d in ctx.doc.directions}
    mine = [d for d in ctx.profile.directions if d in names]
    wanted = "、".join(names.get(v, v) for v in node.values)
    if any(d in node.values for d in mine):
        return _result(node, "pass", f"{node.label}：{names[mine[0]]}", ctx, observed=names[mine[0]])
    if not mine:
        return _fail(node, ctx, f"{node.label}：未选择本标准的专业方向", "direction",
                     f"请选择专业方向（{'、'.join(names.values())}）", None, threshold=wanted)
    return _fail(node, ctx, f"{node.label}：所选方向为{names[mine[0]]}", "direction",
                 f"{node.label}：专业方向须为{wanted}", None, observed=names[mine[0]], threshold=wanted)


def _honour_in(node: HonourIn, ctx: Ctx) -> ConditionResult:
    if any(h in node.values for h in ctx.profile.honours):
        return _result(node, "pass", f"{node.label}：符合", ctx)
    return _fail(node, ctx, f"{node.label}：无", "honour", f"{node.label}", None)


def _skill_level(node: SkillAtLeast, ctx: Ctx) -> ConditionResult:
    s = ctx.profile.skill_level
    if s is not None and s <= node.min_level:
        return _result(node, "pass", f"{node.label}：符合", ctx)
    return _fail(node, ctx, f"{node.label}：不满足", "honour", node.label, None)


def _judgement(node: JudgementNode, ctx: Ctx) -> ConditionResult:
    found = ctx.judgements.get(node.id)
    if found is True:
        return _result(node, "pass", f"{node.label}：经评审认定符合", ctx, threshold=node.prompt)
    if found is False:
        return _fail(node, ctx, f"{node.label}：经评审认定不符合", "judgement",
                     f"{node.label}：评审认定不符合（{node.prompt}）", None, threshold=node.prompt)
    return _result(node, "review", f"{node.label}：需评审人员判断", ctx, threshold=node.prompt)


# ---------------------------------------------------------------- achievements
def _matches(a: Achievement, m: Match) -> bool:
    if a.kind not in m.kinds:
        return False
    if m.roles is not None and (a.role is None or a.role not in m.roles):
        return False
    if m.max_rank is not None and (a.rank is None or a.rank > m.max_rank):
        return False
    if m.min_level is not None and (a.level is None or a.level < m.min_level):
        return False
    if m.max_grade is not None and (a.grade is None or a.grade > m.max_grade):
        return False
    if m.venues is not None and (a.venue is None or a.venue not in m.venues):
        return False
    if m.min_standard_level is not None and (a.standard_level is None or a.standard_level < m.min_standard_level):
        return False
    if m.standard_levels is not None and a.standard_level not in m.standard_levels:
        return False
    for flag in ("granted", "accepted", "in_production"):
        want = getattr(m, flag)
        if want is not None and getattr(a, flag) is not want:
            return False
    return m.min_output_wan is None or (a.annual_output_wan or 0) >= m.min_output_wan


def _window_start(window: str, ctx: Ctx) -> tuple[date | None, str]:
    if window == "none":
        return None, ""
    below = [(t.grade, t.obtained) for t in ctx.profile.titles if t.grade < ctx.grade]
    if ctx.doc.params.vocational_qualification_as_title:  # a qualification standing in for the title (I-22)
        below += [(_VQ_GRADE[q.grade], q.obtained) for q in ctx.profile.vocational_qualifications
                  if _VQ_GRADE[q.grade] < ctx.grade]
    if below:
        top = max(g for g, _ in below)
        start = min(d for g, d in below if g == top)
        return start, f"取得{GRADE_NAMES[top]}职称（{start.isoformat()}）以来"
    if ctx.doc.params.window_without_lower_title == "work_start" and ctx.profile.specialty_work_start:
        ws = ctx.profile.specialty_work_start
        return ws, f"从事本专业技术工作（{ws.isoformat()}）以来"
    return None, ""


def _usable(ctx: Ctx, window: str, exclude_used: bool) -> tuple[list[Achievement], list[str]]:
    start, desc = _window_start(window, ctx)
    usable, notes, early, used = [], [], 0, 0
    for a in ctx.profile.achievements:
        if start is not None and a.date < start:
            early += 1
        elif exclude_used and a.used_before:
            used += 1
        else:
            usable.append(a)
    if early:
        notes.append(f"{early}项成果早于{desc}，不计入")
    if used:
        notes.append(f"{used}项成果已在以往职称评审中使用，不计入")
    return usable, notes


def _achievements(node: Achievements, ctx: Ctx) -> ConditionResult:
    usable, notes = _usable(ctx, node.window, node.exclude_used_before)
    counts = {it.id: 0 for it in node.items}
    by_unit = sorted(node.items, key=lambda it: it.unit)  # each achievement counts once, where it costs least
    for a in usable:
        for it in by_unit:
            if any(_matches(a, m) for m in it.match):
                counts[it.id] += a.count
                break
    confirmed = pending = 0
    children: list[ConditionResult] = []
    for it in node.items:
        units = counts[it.id] // it.unit
        if node.counting == "distinct":
            units = min(units, 1)
        verdict = ctx.judgements.get(it.id)
        if units and it.judgement and verdict is None:
            pending += units
            outcome: Outcome = "review"
            msg = f"{units}项，需判断：{it.judgement}"
        elif units and verdict is not False:
            confirmed += units
            outcome, msg = "pass", f"{units}项"
        else:
            outcome = "fail"
            msg = "经评审认定不符合" if verdict is False else (
                f"已有{counts[it.id]}个，{it.unit}个计1项" if counts[it.id] else "无")
        children.append(ConditionResult(id=it.id, kind="item", label=it.label, outcome=outcome,
                                        message=f"{it.label}：{msg}", cite=it.cite, observed=str(counts[it.id])))
    have = confirmed + pending
    threshold = f"{len(node.items)}项中{node.need}项及以上" if node.enumerated else f"{node.need}项及以上"
    interp = list(node.interpretation) + (["I-08"] if node.enumerated else [])
    observed = f"已有{have}项" + (f"（其中{pending}项需人工判断）" if pending else "")
    if notes:
        observed += "；" + "；".join(notes)
    base: dict[str, Any] = dict(observed=observed, threshold=threshold, children=children, interpretation=interp)
    if confirmed >= node.need:
        return _result(node, "pass", f"{node.label}：{observed}，符合", ctx, **base)
    if have >= node.need:
        return _result(node, "review", f"{node.label}：{observed}，待人工判断", ctx, **base)
    short = node.need - have
    hints: list[str] = []
    for it in node.items:  # items already part-way first, then the rest in catalog order
        rem = counts[it.id] % it.unit
        if rem and node.counting == "cumulative":
            hints.insert(0, f"再有{it.unit - rem}个即满足“{it.label}”")
    open_items = [it for it in node.items if node.counting == "cumulative" or counts[it.id] < it.unit]
    hints += [f"{it.label}（{it.cite.section}）" for it in open_items]
    gap = f"还差{short}项成果（{threshold}）：可选 " + "；".join(hints[:3])
    return _fail(node, ctx, f"{node.label}：{observed}，还差{short}项", "achievement", gap, None,
                 shortfall=f"{short}项", **base)


def _has_achievement(node: HasAchievement, ctx: Ctx) -> ConditionResult:
    usable, _ = _usable(ctx, node.window, False)
    hit = next((a for a in usable if any(_matches(a, m) for m in node.match)), None)
    if hit is None:
        return _fail(node, ctx, f"{node.label}：无", "achievement", node.label, None)
    seen = hit.title or hit.kind.value
    verdict = ctx.judgements.get(node.id)
    if node.judgement and verdict is None:
        return _result(node, "review", f"{node.label}：{seen}，需判断：{node.judgement}", ctx, observed=seen)
    if verdict is False:
        return _fail(node, ctx, f"{node.label}：经评审认定不符合", "judgement", node.label, None, observed=seen)
    return _result(node, "pass", f"{node.label}：{seen}", ctx, observed=seen)


# ---------------------------------------------------------------- composites
def _cost(gaps: list[Gap]) -> tuple[int, date]:
    """Fewest changes a person must make, then the earliest date: how to rank alternatives.
    Filling in missing data counts as half a change: it is the cheapest thing to fix."""
    untimed = sum(1 if g.kind == "data" else 2 for g in gaps if g.ready_on is None)
    latest = max((g.ready_on for g in gaps if g.ready_on is not None), default=date.min)
    return untimed, latest


_BY_RANK: tuple[Outcome, ...] = ("fail", "review", "pass")


def _combine(node: AllOf | AnyOf, ctx: Ctx) -> ConditionResult:
    kids = [_EVALUATORS[c.kind](c, ctx) for c in node.children]
    ranks = [_ORDER[k.outcome] for k in kids]
    if node.kind == "all_of":
        rank = min(ranks)
        ready: date | None = None
        for k in kids:
            if k.ready_on is None:
                ready = None
                break
            if ready is None or k.ready_on > ready:
                ready = k.ready_on
        gaps = [g for k in kids for g in k.gaps]
        failed = [k.label for k in kids if k.outcome == "fail"]
        msg = f"{node.label}：符合" if not failed else f"{node.label}：不满足（{'、'.join(failed)}）"
    else:
        rank = max(ranks)
        ready = min((k.ready_on for k in kids if k.ready_on is not None), default=None)
        if rank == 0:  # report the closest alternative: fewest changes, then most conditions already met
            gaps = min(kids, key=lambda k: (_cost(k.gaps)[0], -sum(c.outcome != "fail" for c in k.children),
                                            _cost(k.gaps)[1])).gaps
            msg = f"{node.label}：均不满足"
        else:
            gaps = []
            msg = f"{node.label}：符合“{kids[ranks.index(rank)].label}”"
    return ConditionResult(node.id, node.kind, node.label, _BY_RANK[rank], msg, node.cite, None, None, None,
                           ready, list(node.interpretation), kids, gaps)


_EVALUATORS: dict[str, Callable[..., ConditionResult]] = {
    "all_of": _combine,
    "any_of": _combine,
    "judgement": _judgement,
    "education_years": _education_years,
    "title_years": _title_years,
    "assessments": _assessments,
    "no_sanction": _no_sanction,
    "direction_in": _direction_in,
    "honour_in": _honour_in,
    "skill_level": _skill_level,
    "achievements": _achievements,
    "has_achievement": _has_achievement,
}


def _eval(node: Node, ctx: Ctx) -> ConditionResult:
    return _EVALUATORS[node.kind](node, ctx)


# ---------------------------------------------------------------- routes and verdict
def _route_result(kind: RouteKind, label: str, conditions: list[ConditionResult], route: Route | None,
                  waived: list[str]) -> RouteResult:
    outcome = min((c.outcome for c in conditions), key=_ORDER.__getitem__)
    readies = [c.ready_on for c in conditions]
    ready = None if any(r is None for r in readies) else max(r for r in readies if r is not None)
    return RouteResult(route=kind, label=label, outcome=outcome, conditions=conditions,
                       cite=route.cite if route else None, waived=waived, ready_on=ready,
                       missing=[g for c in conditions for g in c.gaps],
                       interview_required=bool(route and route.interview_required))


def _walk(results: Iterable[ConditionResult]) -> Iterable[ConditionResult]:
    for r in results:
        yield r
        yield from _walk(r.children)


def _relevant(results: Iterable[ConditionResult]) -> Iterable[ConditionResult]:
    """Like _walk, but inside any_of only the alternatives that decided its outcome."""
    for r in results:
        yield r
        kids = r.children
        if r.kind == "any_of":
            kids = [k for k in kids if k.outcome == r.outcome]
        yield from _relevant(kids)


def _path(route: RouteResult) -> tuple[str | None, str | None]:
    """Which alternative qualified: the edu/experience path, or the 破格/直通车 trigger."""
    for r in _walk(route.conditions):
        if not (r.id.endswith("edu_exp") or r.id.endswith("trigger")) or r.outcome == "fail":
            continue
        if r.kind != "any_of":
            return r.id, r.label
        best = max(r.children, key=lambda k: _ORDER[k.outcome])  # first of the best: pass before review
        return best.id, best.label
    return None, None


def _judgements(profile: Profile, doc: str, level: str) -> dict[str, bool]:
    return {j.condition: j.passed for j in profile.judgements if j.document == doc and j.level == level}


_STATUS: dict[Outcome, Status] = {"pass": "eligible", "review": "needs_review", "fail": "ineligible",
                                  "not_applicable": "eligible"}


def evaluate(profile: Profile, document: str, level: str, as_of: date,
             catalog: Catalog | None = None) -> Verdict:
    """The verdict for one profile against one level of one document on date `as_of`."""
    cat = catalog or default_catalog()
    doc = cat.document(document)
    rule = cat.level(document, level)
    base = dict(document=doc.id, document_title=doc.title, level=rule.id, level_title=rule.title,
                as_of=as_of, catalog_version=cat.version)
    validity = cat.validity(doc.id)
    if not validity.in_force(as_of):
        return Verdict(status="not_in_force", summary=validity.explain(as_of),
                       notes=[validity.explain(as_of)], **base)  # type: ignore[arg-type]
    early = doc.params.professional_degree_years_early if any(
        e.engineering_professional_degree for e in profile.education) else 0
    cutoff = date(as_of.year, 12, 31) if doc.params.years_counted_to == "year_end" else as_of
    ctx = Ctx(profile=profile, doc=doc, level=rule, grade=LEVELS[rule.id], as_of=as_of, cutoff=cutoff,
              judgements=_judgements(profile, doc.id, rule.id), early_years=early)

    evaluated = {n.id: _eval(n, ctx) for n in rule.conditions}
    routes = [_route_result("regular", ROUTE_NAMES["regular"], list(evaluated.values()), None, [])]
    for route in rule.routes:
        conds = [_eval(route.trigger, ctx)] + [r for i, r in evaluated.items() if i not in route.waives]
        conds += [_eval(n, ctx) for n in route.adds]
        rr = _route_result(route.kind, route.label, conds, route, list(route.waives))
        routes.append(rr)

    best = max(routes, key=lambda r: _ORDER[r.outcome])  # max keeps the first (regular) on ties
    status = _STATUS[best.outcome]
    path, path_label = _path(best)
    notes = validity.notes()
    if best.interview_required and status != "ineligible":
        notes.append("破格申报人员须参加面试答辩（" + (best.cite.section if best.cite else "") + "）")
    missing: list[Gap] = []
    eligible_from: date | None = as_of
    if status == "ineligible":
        closest = min(routes, key=lambda r: _cost(r.missing))
        missing = closest.missing
        eligible_from = min((r.ready_on for r in routes if r.ready_on is not None), default=None)
        if eligible_from is not None and not validity.in_force(eligible_from):
            notes.append(f"按时间推算{eligible_from.isoformat()}起可满足，但届时本标准已不在有效期内："
                         + validity.explain(eligible_from))
            eligible_from = None
    review: list[ConditionResult] = []
    used: set[str] = {i for rr in rule.routes if rr.kind == best.route for i in rr.interpretation}
    for r in _relevant(best.conditions):
        used.update(r.interpretation)
        if r.outcome == "review" and not r.children:
            review.append(r)
    interps = sorted(used)
    summary = f"{doc.short_title}·{rule.title}：{STATUS_NAMES[status]}"
    if status != "ineligible":
        summary += f"（{ROUTE_NAMES[best.route]}" + (f"，{path_label}" if path_label else "") + "）"
    elif eligible_from is not None:
        summary += f"；如无其他变化，{eligible_from.isoformat()}起符合"
    return Verdict(status=status, summary=summary, route=best.route if status != "ineligible" else None,
                   path=path if status != "ineligible" else None,
                   path_label=path_label if status != "ineligible" else None,
                   routes=routes, missing=missing, review_items=review, eligible_from=eligible_from,
                   interpretations=interps, notes=notes, **base)  # type: ignore[arg-type]


def evaluate_all(profile: Profile, as_of: date, catalog: Catalog | None = None) -> list[Verdict]:
    """'What can I apply for': every level of every document in force on `as_of`."""
    cat = catalog or default_catalog()
    return [evaluate(profile, doc.id, lv.id, as_of, cat)
            for doc in cat.documents.values() if cat.validity(doc.id).in_force(as_of)
            for lv in doc.levels]


__all__ = ["LEVEL_NAMES", "add_years", "evaluate", "evaluate_all", "full_years"]
