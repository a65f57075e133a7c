"""The eligibility engine: evaluate(profile, document, level, as_of) -> Verdict.

Each catalog node kind has one evaluator. Every evaluator returns a ConditionResult with its outcome,
what it saw, what it needed, the gaps that would close it and `ready_on`: the earliest date on which it
holds if nothing but time changes (None: time alone cannot do it). Composites combine these in closed
form: all_of takes the latest date, any_of the earliest.

How it is made fast (a full check of every level runs about 3 times faster than a direct walk of the node
models did):

* Compile once per catalog. `_plan(doc, level)` turns a level's node tree into a `_Plan` of closures, one
  per node (`_COMPILERS`, one compiler per kind), with everything that depends only on the catalog
  worked out in advance: labels, messages, thresholds, interpretation lists, the directions name map,
  per-document parameters (`_DocPlan`), achievement matchers, the routes' kept conditions and where in
  each route's result tree a 破格/直通车 path may be found. Catalog models are frozen, so plans are cached
  by the identity of the document and level objects (`_PLANS`); a catalog with registered extensions
  shares its documents, and so its plans, with the default catalog.
* Share profile facts within one call, never across calls. `_Facts` holds what depends on the profile
  (and the date) alone, computed on first use and shared by every level of one `evaluate_all` call:
  judgements by level, the directions a document knows, which achievements meet which Match (bitmasks
  over the profile's achievements), the achievements usable since the lower title, the anchor and time
  check of education/title conditions, the assessment window. Questions are keyed by an id interned from
  their content (`_intern`), so equal conditions in different levels or documents share one answer.
* One `Ctx` per level carries the facts, the dates and the level's judgements to every node.
* Cheap reads and writes: `_Facts` copies the profile entries into plain slot objects once per call (pydantic
  attribute reads cannot be specialised by the interpreter), and results are built by filling their slots
  (`CR`, `_gap`, `_route_result`) rather than through the dataclass constructor. Whole years compare
  (month, day) instead of building the anniversary date.
* No garbage-collector passes during `evaluate_all` (see there): they cost a fifth of a full check on average
  and could never free anything, as verdict trees hold no reference cycles.

Building the ~2000 objects of the verdicts (and freeing them) is now about 45% of a full check; the rest is
spread over the ~440 condition nodes, no evaluator above a tenth (docs/benchmarks.md, 引擎单次检查).

Every result is built from fresh lists (callers may mutate verdicts). Messages, tie-breaks and orderings
are those of the plain reading of the rules: the first best alternative wins, gaps come in tree order.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from zhicheng.policy.catalog import Catalog, Validity, default_catalog
from zhicheng.policy.profile import (
    EDUCATION_NAMES,
    EDUCATION_RANK,
    GRADE_NAMES,
    LEVEL_NAMES,
    LEVELS,
    Achievement,
    AchievementKind,
    Education,
    EducationLevel,
    Grade,
    Profile,
    TitleHeld,
)
from zhicheng.policy.schema import (
    Achievements,
    AllOf,
    AnyOf,
    Assessments,
    Cite,
    DirectionIn,
    Document,
    EducationYears,
    HasAchievement,
    HonourIn,
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
    GapKind,
    Outcome,
    RouteResult,
    Status,
    Verdict,
)

_ORDER: dict[Outcome, int] = {"fail": 0, "review": 1, "pass": 2, "not_applicable": 2}
_VQ_GRADE = {"primary": Grade.assistant, "intermediate": Grade.intermediate,
             "senior": Grade.deputy_senior, "ungraded": Grade.intermediate}
_SANCTION_NAMES = {"disciplinary": "党纪政纪处分或组织处理影响期", "integrity": "职称评审失信惩戒期"}
_BY_RANK: tuple[Outcome, ...] = ("fail", "review", "pass")
_STATUS: dict[Outcome, Status] = {"pass": "eligible", "review": "needs_review", "fail": "ineligible",
                                  "not_applicable": "eligible"}
_KIND_BIT = {k: 1 << i for i, k in enumerate(AchievementKind)}
_DATA_MSG = "缺少开始从事本专业技术工作的日期"
_DATA_GAP = "请填写开始从事本专业技术工作的日期（specialty_work_start）"

_new = object.__new__


def CR(id: str, kind: str, label: str, outcome: Outcome, message: str, cite: Cite | None, observed: str | None,
       threshold: str | None, shortfall: str | None, ready_on: date | None, interpretation: list[str],
       children: list[ConditionResult], gaps: list[Gap]) -> ConditionResult:
    """ConditionResult(...) with every field given, its slots filled directly. Why: calling the dataclass goes
    through type.__call__, which re-enters the interpreter from C for __init__; a full check builds ~450 of
    these, and this way is a plain Python call (about a quarter cheaper per result). Same object, same values."""
    r: ConditionResult = _new(ConditionResult)
    r.id = id
    r.kind = kind
    r.label = label
    r.outcome = outcome
    r.message = message
    r.cite = cite
    r.observed = observed
    r.threshold = threshold
    r.shortfall = shortfall
    r.ready_on = ready_on
    r.interpretation = interpretation
    r.children = children
    r.gaps = gaps
    return r


def _gap(condition: str, kind: GapKind, message: str, ready_on: date | None) -> Gap:
    """Gap(...), built like CR above."""
    g: Gap = _new(Gap)
    g.condition = condition
    g.kind = kind
    g.message = message
    g.ready_on = ready_on
    return g


# ---------------------------------------------------------------- dates
def add_years(d: date, n: int) -> date:
    """Anniversary n years on; 29 February rounds up to 1 March (interpretation I-12)."""
    try:
        return date(d.year + n, d.month, d.day)  # the constructor: about twice as fast as d.replace(year=…)
    except ValueError:
        return date(d.year + n, 3, 1)


def full_years(start: date, end: date) -> int:
    """Whole years from start to end. Comparing (month, day) is the same as `add_years(start, n) <= end`:
    a 29 February start falls before 1 March and after 28 February, as its rounded-up anniversary does."""
    if end < start:
        return 0
    n = end.year - start.year
    return n if (end.month, end.day) >= (start.month, start.day) else n - 1


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


# ---------------------------------------------------------------- compile-time helpers
_INTERNED: dict[tuple[object, ...], int] = {}
_INTERN_LOCK = threading.Lock()  # plans may be compiled by several threads at once


def _intern(*key: object) -> int:
    """A small int per distinct content. Nodes of different levels (or documents) that ask the same question
    of a profile get the same id, and so share one answer per call in `_Facts.memo`."""
    with _INTERN_LOCK:
        return _INTERNED.setdefault(key, len(_INTERNED))


class _DocPlan:
    """What every node of one document needs from its parameters, worked out once."""

    __slots__ = ("dir_all", "dir_names", "doc", "early", "edu_name", "eq_key", "later_anchor", "mine_key", "rank",
                 "scoped", "specialty", "time_interp", "vq_as_title", "window_ws", "year_end")

    def __init__(self, doc: Document):
        p = doc.params
        self.doc = doc
        self.year_end = p.years_counted_to == "year_end"
        i = doc.param_cites.get("years_counted_to")
        self.time_interp = ("I-12",) + ((i,) if isinstance(i, str) and i != "I-12" else ())
        eq = p.equivalences
        self.eq_key = tuple(sorted(eq.items()))  # ranks and names of education levels follow from it
        self.rank = {lv: EDUCATION_RANK.get(eq.get(lv, lv), 0) for lv in EducationLevel}
        self.edu_name = {lv: f"{EDUCATION_NAMES[lv]}（按{EDUCATION_NAMES[eq[lv]]}对待）" if eq.get(lv)
                         else EDUCATION_NAMES[lv] for lv in EducationLevel}
        self.vq_as_title = p.vocational_qualification_as_title
        self.window_ws = p.window_without_lower_title == "work_start"
        self.later_anchor = p.title_anchor == "later_of_education_and_title"
        self.early = p.professional_degree_years_early
        self.scoped = doc.specialty_scoped
        self.specialty = doc.specialty
        self.dir_names = {d.id: d.name for d in doc.directions}
        self.dir_all = "、".join(self.dir_names.values())
        self.mine_key = _intern("directions", *self.dir_names)


# ---------------------------------------------------------------- profile facts (per call)
# Plain copies of the profile entries the nodes read over and over. Why: every attribute read on a pydantic
# model goes through the hook BaseModel installs for its __getattr__, which the interpreter cannot specialise
# (several times slower than a slot); a full check read them ~1300 times. Copied once per call.
class _Edu:
    __slots__ = ("degree", "diploma", "graduation_date", "level")

    def __init__(self, e: Education):
        self.level, self.graduation_date, self.diploma, self.degree = e.level, e.graduation_date, e.diploma, e.degree


class _Title:
    __slots__ = ("grade", "name", "obtained", "series", "specialty")

    def __init__(self, t: TitleHeld):
        self.grade, self.series, self.specialty, self.name, self.obtained = (t.grade, t.series, t.specialty, t.name,
                                                                             t.obtained)


class _Ach:
    """An achievement, with the fields a Match reads."""

    __slots__ = ("accepted", "count", "date", "grade", "granted", "in_production", "kind", "level", "output", "rank",
                 "role", "standard_level", "title", "used_before", "venue")

    def __init__(self, a: Achievement):
        d = a.__dict__  # one hook call instead of fifteen
        self.kind, self.date, self.role, self.rank, self.level = d["kind"], d["date"], d["role"], d["rank"], d["level"]
        self.grade, self.venue, self.standard_level = d["grade"], d["venue"], d["standard_level"]
        self.granted, self.accepted, self.in_production = d["granted"], d["accepted"], d["in_production"]
        self.output = d["annual_output_wan"] or 0
        self.count, self.used_before, self.title = d["count"], d["used_before"], d["title"]


class _Facts:
    """What depends on the profile (and the call's date) alone: shared by every level of one call.

    `memo` holds answers by interned question id (`_intern`): which achievements meet a Match, the
    anchor and time check of an education/title condition, the profile's directions a document knows."""

    __slots__ = ("_judgements", "achievements", "all_usable", "any_epd", "as_of", "assessments", "counts", "cutoffs",
                 "education", "kind_bits", "kinds", "memo", "profile", "sanctions", "titles", "vqs", "ws")

    def __init__(self, profile: Profile, as_of: date):
        self.profile = profile
        self.as_of = as_of
        self.education = [_Edu(e) for e in profile.education]
        self.ws = profile.specialty_work_start
        self.titles = [_Title(t) for t in profile.titles]
        self.vqs = profile.vocational_qualifications
        self.achievements = [_Ach(a) for a in profile.achievements]
        self.counts = [a.count for a in self.achievements]
        # Sets of achievements are bitmasks over the profile's list: bit i is achievements[i].
        self.kinds: dict[str, int] = {}  # the achievements of each kind
        self.kind_bits = 0  # the kinds the profile has (_KIND_BIT)
        for i, a in enumerate(self.achievements):
            self.kinds[a.kind] = self.kinds.get(a.kind, 0) | (1 << i)
            self.kind_bits |= _KIND_BIT[a.kind]
        self.all_usable: tuple[int, list[str]] = ((1 << len(self.achievements)) - 1, [])
        self.any_epd = any(e.engineering_professional_degree for e in profile.education)
        self.sanctions = [(s.kind, s.start, s.end) for s in profile.sanctions]
        self.assessments: dict[int, bool] | None = None  # year -> 合格以上, on first use
        self.cutoffs: dict[bool, tuple[date, str]] = {}
        self.memo: dict[int, Any] = {}
        self._judgements: dict[tuple[str, str], dict[str, bool]] | None = None

    def cutoff(self, year_end: bool) -> tuple[date, str]:
        """The date time is counted to, and its text."""
        got = self.cutoffs.get(year_end)
        if got is None:
            d = date(self.as_of.year, 12, 31) if year_end else self.as_of
            got = self.cutoffs[year_end] = (d, d.isoformat())
        return got

    def judgements(self, doc: str, level: str) -> dict[str, bool]:
        if self._judgements is None:
            by: dict[tuple[str, str], dict[str, bool]] = {}
            for j in self.profile.judgements:  # later entries win, as in a dict comprehension
                by.setdefault((j.document, j.level), {})[j.condition] = j.passed
            self._judgements = by
        return self._judgements.get((doc, level)) or {}

    def mine(self, dp: _DocPlan) -> list[str]:
        """The profile's directions that this document knows, in the profile's order."""
        got = self.memo.get(dp.mine_key)
        if got is None:
            names = dp.dir_names
            got = self.memo[dp.mine_key] = [d for d in self.profile.directions if d in names]
        return got

    def mask(self, group: _Group) -> int:
        """The achievements that meet one of the group's Match shapes. Callers skip groups none of whose
        kinds the profile has (`group.kind_bits & f.kind_bits`): most groups, and no call at all."""
        memo = self.memo
        got = memo.get(group.id)
        if got is None:
            got = 0
            for mid, m in group.matches:
                one = memo.get(mid)
                if one is None:
                    one = memo[mid] = self._match(m)
                got |= one
            memo[group.id] = got
        return got

    def _match(self, m: _Match) -> int:
        cand = 0
        for k in m.kinds:  # only achievements of a listed kind need the full check
            cand |= self.kinds.get(k, 0)
        got = 0
        while cand:  # each candidate, lowest bit first
            low = cand & -cand
            if _matches(self.achievements[low.bit_length() - 1], m):
                got |= low
            cand ^= low
        return got


class Ctx:
    """One level of one call: the facts, the dates, the level's judgements."""

    __slots__ = ("as_of", "cutoff", "cutoff_iso", "dp", "early", "f", "grade", "judgements", "usable_keys")

    def __init__(self, f: _Facts, plan: _Plan, judgements: dict[str, bool]):
        self.f = f
        self.dp = plan.dp
        self.grade = plan.grade
        self.usable_keys = plan.usable_keys
        self.as_of = f.as_of
        self.cutoff, self.cutoff_iso = f.cutoff(plan.dp.year_end)
        self.judgements = judgements
        self.early = 1 if (plan.dp.early and f.any_epd) else 0  # index into the per-node (normal, early) pairs

    def ready(self, required: date) -> date:
        """The first date on which a time threshold `required` is met under the counting rule."""
        if self.dp.year_end:
            return max(self.as_of, date(required.year, 1, 1))
        return max(self.as_of, required)

    def usable(self, windowed: bool, exclude_used: bool) -> tuple[int, list[str]]:
        """The achievements that count (a bitmask), and notes on those that do not."""
        if not (windowed or exclude_used):
            return self.f.all_usable
        key = self.usable_keys[windowed * 2 + exclude_used]
        got: tuple[int, list[str]] | None = self.f.memo.get(key)
        if got is None:
            start, desc = _window_start(self) if windowed else (None, "")
            notes: list[str] = []
            usable = early = used = 0
            for i, a in enumerate(self.f.achievements):
                if start is not None and a.date < start:
                    early += 1
                elif exclude_used and a.used_before:
                    used += 1
                else:
                    usable |= 1 << i
            if early:
                notes.append(f"{early}项成果早于{desc}，不计入")
            if used:
                notes.append(f"{used}项成果已在以往职称评审中使用，不计入")
            got = self.f.memo[key] = (usable, notes)
        return got


def _window_start(ctx: Ctx) -> tuple[date | None, str]:
    """Start of the achievement window (since the lower title)."""
    f, grade = ctx.f, ctx.grade
    below = [(t.grade, t.obtained) for t in f.titles if t.grade < grade]
    if ctx.dp.vq_as_title:  # a qualification standing in for the title (I-22)
        below += [(_VQ_GRADE[q.grade], q.obtained) for q in f.vqs if _VQ_GRADE[q.grade] < grade]
    if below:
        top = max(g for g, _ in below)
        start = min(d for g, d in below if g == top)
        return start, f"取得{GRADE_NAMES[top]}职称（{start.isoformat()}）以来"
    if ctx.dp.window_ws and f.ws:
        return f.ws, f"从事本专业技术工作（{f.ws.isoformat()}）以来"
    return None, ""


# ---------------------------------------------------------------- leaves
Evaluator = Callable[[Ctx], ConditionResult]

# What an education/title condition found about the profile, shared by equal conditions of one call:
# (what, observed, anchor the years count from, held through a vocational qualification?).
_FOUND, _NO_EDUCATION, _NO_DATA, _NO_TITLE = range(4)
Finding = tuple[int, str | None, date | None, bool]
# For each finding other than _FOUND: message (before and after the observed text), gap kind, gap, threshold.
Failures = dict[int, tuple[str, str, GapKind, str, str | None]]


def _found(ctx: Ctx, anchor: date, seen: str, via_vq: bool = False) -> Finding:
    have = full_years(anchor, ctx.cutoff)
    return _FOUND, f"{seen}；自{anchor.isoformat()}起计至{ctx.cutoff_iso}满{have}年", anchor, via_vq


def _time_check(ctx: Ctx, anchor: date, years: int) -> tuple[()] | tuple[str, date, str]:
    """() once `years` have passed since `anchor` at the cutoff; else the shortfall, the date met and its text."""
    required = add_years(anchor, years)
    if ctx.cutoff >= required:
        return ()
    when = ctx.ready(required)
    return duration_text(ctx.cutoff, required), when, when.isoformat()


def _years_node(node: EducationYears | TitleYears, dp: _DocPlan, key: tuple[object, ...],
                find: Callable[[Ctx], Finding], failures: Failures, extra: tuple[str, ...]) -> Evaluator:
    """An education/title + years condition. `find(ctx)` gives the finding and the time check follows; both
    are memoised per call (by `key`, and `key` + the years required)."""
    nid, kind, label, cite, it = node.id, node.kind, node.label, node.cite, tuple(node.interpretation)
    early = max(0, node.years - dp.early)
    years = (node.years, early)  # index 1: the professional-degree rule applies
    thresholds = (f"满{node.years}年", f"满{early}年" + (f"（工程类专业学位提前{dp.early}年）" if dp.early else ""))
    pass_msgs = tuple(f"{label}：符合（{t}）" for t in thresholds)
    find_key = _intern(*key, dp.year_end)
    time_keys = tuple(_intern("years", find_key, y) for y in years)
    timed_it = (*it, *dp.time_interp, *extra)
    vq_msg = f"{label}：以职业资格对应职称，须核对职业资格与职称对应清单"

    def ev(ctx: Ctx) -> ConditionResult:
        memo = ctx.f.memo
        got: Finding | None = memo.get(find_key)
        if got is None:
            got = memo[find_key] = find(ctx)
        what, observed, anchor, via_vq = got
        if what != _FOUND:
            before, after, gap_kind, gap, threshold = failures[what]
            return CR(nid, kind, label, "fail", before if observed is None else before + observed + after, cite,
                      observed, threshold, None, None, [*it], [], [_gap(nid, gap_kind, gap, None)])
        e = ctx.early
        short: tuple[()] | tuple[str, date, str] | None = memo.get(time_keys[e])
        if short is None:
            assert anchor is not None
            short = memo[time_keys[e]] = _time_check(ctx, anchor, years[e])
        if not short:
            if via_vq:  # held through a vocational qualification: a person checks the mapping
                return CR(nid, kind, label, "review", vq_msg, cite, observed, thresholds[e], None, ctx.as_of,
                          [*timed_it, "I-22"], [], [])
            return CR(nid, kind, label, "pass", pass_msgs[e], cite, observed, thresholds[e], None, ctx.as_of,
                      [*timed_it], [], [])
        shortfall, when, when_iso = short
        threshold = thresholds[e]
        return CR(nid, kind, label, "fail", f"{label}：不满足，{threshold}还差{shortfall}", cite, observed,
                  threshold, shortfall, when, [*timed_it], [],
                  [_gap(nid, "time", f"{label}：还差{shortfall}，{when_iso}起满足", when)])
    return ev


def _c_education_years(node: EducationYears, dp: _DocPlan) -> Evaluator:
    need = EDUCATION_RANK[node.min_education]
    diploma, degree = "diploma" in node.accept, "degree" in node.accept
    rank, edu_name = dp.rank, dp.edu_name
    need_text = f"{EDUCATION_NAMES[node.min_education]}及以上"
    failures: Failures = {
        _NO_EDUCATION: (f"{node.label}：学历不符（现有：", "）", "education", f"{node.label}：需具备{need_text}学历",
                        need_text),
        _NO_DATA: (f"{node.label}：{_DATA_MSG}", "", "data", _DATA_GAP, None),
    }

    def find(ctx: Ctx) -> Finding:
        f = ctx.f
        eligible = [e for e in f.education if rank[e.level] >= need and ((diploma and e.diploma)
                                                                         or (degree and e.degree))]
        if not eligible:
            return _NO_EDUCATION, "、".join(edu_name[e.level] for e in f.education) or "未填写", None, False
        ws = f.ws
        if ws is None:
            return _NO_DATA, None, None, False
        best, anchor = eligible[0], max(eligible[0].graduation_date, ws)
        for e in eligible[1:]:  # the earliest anchor; the first such on ties
            a = max(e.graduation_date, ws)
            if a < anchor:
                best, anchor = e, a
        return _found(ctx, anchor, f"{edu_name[best.level]}，{best.graduation_date.isoformat()}毕业")

    key = ("education_years", dp.eq_key, need, diploma, degree)
    return _years_node(node, dp, key, find, failures, ())


def _c_title_years(node: TitleYears, dp: _DocPlan) -> Evaluator:
    min_grade, series = node.min_grade, node.series
    need_title = f"{ {'any': '', 'same': '本系列', 'other': '非本系列（专业）'}[series]}{GRADE_NAMES[min_grade]}职称"
    need = EDUCATION_RANK[node.min_education] if node.min_education is not None else None
    need_text = f"{EDUCATION_NAMES[node.min_education]}及以上" if node.min_education is not None else ""
    vq_ok = dp.vq_as_title and series != "other"
    scoped, specialty, rank, later = dp.scoped, dp.specialty, dp.rank, dp.later_anchor
    failures: Failures = {
        _NO_TITLE: (f"{node.label}：未取得{need_title}", "", "title", f"{node.label}：需先取得{need_title}",
                    need_title),
        _NO_EDUCATION: (f"{node.label}：学历不符", "", "education", f"{node.label}：需具备{need_text}学历", need_text),
        _NO_DATA: (f"{node.label}：{_DATA_MSG}", "", "data", _DATA_GAP, None),
    }

    def find(ctx: Ctx) -> Finding:
        f = ctx.f
        cands: list[tuple[date, bool, Any]] = []  # (date obtained, via vocational qualification?, source)
        for t in f.titles:
            if t.grade < min_grade:
                continue
            same = t.series == "engineering" and (not scoped or t.specialty is None or t.specialty == specialty)
            if (series == "same" and not same) or (series == "other" and same):
                continue
            cands.append((t.obtained, False, t))
        if vq_ok:
            for q in f.vqs:
                if _VQ_GRADE[q.grade] >= min_grade:
                    cands.append((q.obtained, True, q))
        if not cands:
            return _NO_TITLE, None, None, False
        edu_date: date | None = None
        if need is not None:
            edus = [e.graduation_date for e in f.education if rank[e.level] >= need]
            if not edus:
                return _NO_EDUCATION, None, None, False
            edu_date = min(edus)
        ws = f.ws
        if ws is None:
            return _NO_DATA, None, None, False
        floor = max(ws, edu_date) if later and edu_date is not None else ws
        # the earliest anchor; a real title before a vocational qualification when equally early
        best, best_key = cands[0], (max(cands[0][0], floor), cands[0][1])
        for c in cands[1:]:
            k = (max(c[0], floor), c[1])
            if k < best_key:
                best, best_key = c, k
        src, via_vq = best[2], best[1]
        if via_vq:
            seen = f"职业资格 {src.name}（{src.obtained.isoformat()}）"
        else:
            seen = f"{src.name or GRADE_NAMES[src.grade]}（{src.obtained.isoformat()}）"
        return _found(ctx, best_key[0], seen, via_vq)

    key = ("title_years", dp.eq_key, min_grade, series, vq_ok, scoped, specialty, need, later)
    return _years_node(node, dp, key, find, failures, ("I-06",) if need is not None else ())


def _c_assessments(node: Assessments, dp: _DocPlan) -> Evaluator:
    nid, kind, label, cite = node.id, node.kind, node.label, node.cite
    it = (*node.interpretation, "I-11")
    n = node.years
    threshold = f"近{n}年合格以上"
    key = _intern("assessments", n)

    def find(ctx: Ctx) -> tuple[str] | tuple[str, GapKind, str, date]:
        """(window) when met, else (text, gap kind, gap text after the label, date met)."""
        f, y = ctx.f, ctx.as_of.year
        results = f.assessments
        if results is None:  # year -> 合格以上?, once per call
            results = f.assessments = {a.year: a.result.at_least_competent for a in f.profile.annual_assessments}
        first = f.ws.year + 1 if f.ws else None

        def bad_years(app_year: int) -> list[int]:
            out = []
            for yr in range(app_year - n, app_year):
                if first is not None and yr < first and yr not in results:
                    continue  # not yet in service that year (I-11)
                if yr >= y:
                    continue  # future years: assumed 合格 for the forecast only
                if not results.get(yr):
                    out.append(yr)
            return out

        bad = bad_years(y)
        if not bad:
            return (f"{y - n}–{y - 1}年度",)
        later = next(a for a in range(y + 1, y + n + 2) if not bad_years(a))
        missing = [yr for yr in bad if yr not in results]
        low = [yr for yr in bad if yr in results]
        parts = []
        if low:
            parts.append("、".join(str(v) for v in low) + "年度考核不合格")
        if missing:
            parts.append("缺少" + "、".join(str(v) for v in missing) + "年度考核结果")
        text = "；".join(parts)
        gap = text + ("（请补充）" if missing else "") + f"；按考核期顺延，{later}年度起满足"
        return text, "data" if missing and not low else "assessment", gap, date(later, 1, 1)

    def ev(ctx: Ctx) -> ConditionResult:
        memo = ctx.f.memo
        got: tuple[str] | tuple[str, GapKind, str, date] | None = memo.get(key)
        if got is None:
            got = memo[key] = find(ctx)
        if len(got) == 1:
            return CR(nid, kind, label, "pass", f"{label}：{got[0]}均为合格以上", cite, got[0], threshold, None,
                      ctx.as_of, [*it], [], [])
        text, gap_kind, gap, when = got
        return CR(nid, kind, label, "fail", f"{label}：{text}", cite, text, threshold, None, when, [*it], [],
                  [_gap(nid, gap_kind, f"{label}：{gap}", when)])
    return ev


def _c_no_sanction(node: NoSanction, dp: _DocPlan) -> Evaluator:
    nid, kind, label, cite, it = node.id, node.kind, node.label, node.cite, tuple(node.interpretation)
    kinds = frozenset(node.sanctions)
    pass_msg = f"{label}：无"

    def ev(ctx: Ctx) -> ConditionResult:
        as_of = ctx.as_of
        active = [(k, end) for k, start, end in ctx.f.sanctions if k in kinds and start <= as_of <= end]
        if not active:
            return CR(nid, kind, label, "pass", pass_msg, cite, None, None, None, as_of, [*it], [], [])
        end = max(e for _, e in active)
        names = "、".join(sorted({_SANCTION_NAMES[k] for k, _ in active}))
        when = end + timedelta(days=1)
        end_iso = end.isoformat()
        return CR(nid, kind, label, "fail", f"{label}：处于{names}内，至{end_iso}", cite, f"至{end_iso}", None,
                  None, when, [*it], [],
                  [_gap(nid, "sanction", f"{label}：{names}至{end_iso}止，{when.isoformat()}起方可申报", when)])
    return ev


def _c_direction_in(node: DirectionIn, dp: _DocPlan) -> Evaluator:
    nid, kind, label, cite, it = node.id, node.kind, node.label, node.cite, tuple(node.interpretation)
    names = dp.dir_names
    values = frozenset(node.values)
    wanted = "、".join(names.get(v, v) for v in node.values)
    pass_msg = {d: f"{label}：{name}" for d, name in names.items()}
    other_msg = {d: f"{label}：所选方向为{name}" for d, name in names.items()}
    none_msg, none_gap = f"{label}：未选择本标准的专业方向", f"请选择专业方向（{dp.dir_all}）"
    other_gap = f"{label}：专业方向须为{wanted}"

    def ev(ctx: Ctx) -> ConditionResult:
        mine = ctx.f.mine(dp)
        if not mine:
            return CR(nid, kind, label, "fail", none_msg, cite, None, wanted, None, None, [*it], [],
                      [_gap(nid, "direction", none_gap, None)])
        d = mine[0]  # the first direction chosen is the one reported
        if values.isdisjoint(mine):
            return CR(nid, kind, label, "fail", other_msg[d], cite, names[d], wanted, None, None, [*it], [],
                      [_gap(nid, "direction", other_gap, None)])
        return CR(nid, kind, label, "pass", pass_msg[d], cite, names[d], None, None, ctx.as_of, [*it], [], [])
    return ev


def _c_honour_in(node: HonourIn, dp: _DocPlan) -> Evaluator:
    nid, kind, label, cite, it = node.id, node.kind, node.label, node.cite, tuple(node.interpretation)
    values = frozenset(node.values)
    pass_msg, fail_msg = f"{label}：符合", f"{label}：无"

    def ev(ctx: Ctx) -> ConditionResult:
        if values.isdisjoint(ctx.f.profile.honours):
            return CR(nid, kind, label, "fail", fail_msg, cite, None, None, None, None, [*it], [],
                      [_gap(nid, "honour", label, None)])
        return CR(nid, kind, label, "pass", pass_msg, cite, None, None, None, ctx.as_of, [*it], [], [])
    return ev


def _c_skill_level(node: SkillAtLeast, dp: _DocPlan) -> Evaluator:
    nid, kind, label, cite, it = node.id, node.kind, node.label, node.cite, tuple(node.interpretation)
    min_level = node.min_level
    pass_msg, fail_msg = f"{label}：符合", f"{label}：不满足"

    def ev(ctx: Ctx) -> ConditionResult:
        s = ctx.f.profile.skill_level
        if s is not None and s <= min_level:
            return CR(nid, kind, label, "pass", pass_msg, cite, None, None, None, ctx.as_of, [*it], [], [])
        return CR(nid, kind, label, "fail", fail_msg, cite, None, None, None, None, [*it], [],
                  [_gap(nid, "honour", label, None)])
    return ev


def _c_judgement(node: JudgementNode, dp: _DocPlan) -> Evaluator:
    nid, kind, label, cite, it = node.id, node.kind, node.label, node.cite, tuple(node.interpretation)
    prompt = node.prompt
    pass_msg, fail_msg = f"{label}：经评审认定符合", f"{label}：经评审认定不符合"
    review_msg = f"{label}：需评审人员判断"
    gap = f"{label}：评审认定不符合（{prompt}）"

    def ev(ctx: Ctx) -> ConditionResult:
        found = ctx.judgements.get(nid)
        if found is True:
            return CR(nid, kind, label, "pass", pass_msg, cite, None, prompt, None, ctx.as_of, [*it], [], [])
        if found is False:
            return CR(nid, kind, label, "fail", fail_msg, cite, None, prompt, None, None, [*it], [],
                      [_gap(nid, "judgement", gap, None)])
        return CR(nid, kind, label, "review", review_msg, cite, None, prompt, None, ctx.as_of, [*it], [], [])
    return ev


# ---------------------------------------------------------------- achievements
class _Match:
    """A catalog Match with its fields in slots (read for every candidate achievement; see _Ach)."""

    __slots__ = ("accepted", "granted", "in_production", "kinds", "max_grade", "max_rank", "min_level",
                 "min_output_wan", "min_standard_level", "roles", "standard_levels", "venues")

    def __init__(self, m: Match):
        self.kinds, self.roles, self.max_rank, self.min_level = frozenset(m.kinds), m.roles, m.max_rank, m.min_level
        self.max_grade, self.venues, self.min_standard_level = m.max_grade, m.venues, m.min_standard_level
        self.standard_levels, self.granted, self.accepted = m.standard_levels, m.granted, m.accepted
        self.in_production, self.min_output_wan = m.in_production, m.min_output_wan


def _matches(a: _Ach, m: _Match) -> bool:
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
    if m.granted is not None and a.granted is not m.granted:
        return False
    if m.accepted is not None and a.accepted is not m.accepted:
        return False
    if m.in_production is not None and a.in_production is not m.in_production:
        return False
    return m.min_output_wan is None or a.output >= m.min_output_wan


class _Group:
    """The Match shapes of one item or has_achievement node: an achievement qualifies if it meets any."""

    __slots__ = ("id", "kind_bits", "matches")

    def __init__(self, matches: Sequence[Match]):
        self.matches = [(_intern("match", *((k, tuple(v) if isinstance(v, list) else v) for k, v in m)), _Match(m))
                        for m in matches]
        self.id = _intern("group", *(mid for mid, _ in self.matches))
        self.kind_bits = 0  # the kinds it accepts, as bits (_KIND_BIT): one AND tells whether a profile has any
        for m in matches:
            for k in m.kinds:
                self.kind_bits |= _KIND_BIT[k]


def _c_achievements(node: Achievements, dp: _DocPlan) -> Evaluator:
    nid, kind, label, cite = node.id, node.kind, node.label, node.cite
    items = node.items
    slot_of = {i.id: j for j, i in reversed(list(enumerate(items)))}  # items sharing an id share a count
    # per item: id, label, cite, unit, judgement, slot of its count, message prefix, the two messages when
    # nothing counts (none / a reviewer rejected it), hint
    rows = [(i.id, i.label, i.cite, i.unit, i.judgement, slot_of[i.id], f"{i.label}：", f"{i.label}：无",
             f"{i.label}：经评审认定不符合", f"{i.label}（{i.cite.section}）") for i in items]
    # each achievement counts once, for the first item (fewest per 项) it meets
    by_unit = [(_Group(items[j].match), slot_of[items[j].id])
               for j in sorted(range(len(items)), key=lambda j: items[j].unit)]
    distinct = node.counting == "distinct"
    cumulative = node.counting == "cumulative"
    need, windowed, exclude = node.need, node.window != "none", node.exclude_used_before
    threshold = f"{len(items)}项中{need}项及以上" if node.enumerated else f"{need}项及以上"
    it = (*node.interpretation, *node.interpretation, *(("I-08",) if node.enumerated else ()))

    def ev(ctx: Ctx) -> ConditionResult:
        f = ctx.f
        left, notes = ctx.usable(windowed, exclude)
        counts = [0] * len(items)
        kind_bits = f.kind_bits
        if left:
            for group, slot in by_unit:
                if not group.kind_bits & kind_bits:
                    continue
                m = f.mask(group) & left
                if m:
                    left &= ~m
                    while m:  # each achievement in m, lowest bit first
                        low = m & -m
                        counts[slot] += f.counts[low.bit_length() - 1]
                        m ^= low
                    if not left:
                        break
        get_judgement = ctx.judgements.get
        confirmed = pending = 0
        children: list[ConditionResult] = []
        for iid, ilabel, icite, unit, judgement, slot, prefix, none_msg, rejected_msg, _ in rows:
            n = counts[slot]
            verdict = get_judgement(iid)
            if not n:
                children.append(CR(iid, "item", ilabel, "fail", rejected_msg if verdict is False else none_msg, icite,
                                   "0", None, None, None, [], [], []))
                continue
            units = n // unit
            if distinct and units > 1:
                units = 1
            if units and judgement and verdict is None:
                pending += units
                outcome: Outcome = "review"
                msg = f"{prefix}{units}项，需判断：{judgement}"
            elif units and verdict is not False:
                confirmed += units
                outcome, msg = "pass", f"{prefix}{units}项"
            else:
                outcome = "fail"
                msg = rejected_msg if verdict is False else f"{prefix}已有{n}个，{unit}个计1项"
            children.append(CR(iid, "item", ilabel, outcome, msg, icite, str(n), None, None, None, [], [], []))
        have = confirmed + pending
        observed = f"已有{have}项（其中{pending}项需人工判断）" if pending else f"已有{have}项"
        if notes:
            observed += "；" + "；".join(notes)
        if confirmed >= need:
            return CR(nid, kind, label, "pass", f"{label}：{observed}，符合", cite, observed, threshold, None,
                      ctx.as_of, [*it], children, [])
        if have >= need:
            return CR(nid, kind, label, "review", f"{label}：{observed}，待人工判断", cite, observed, threshold, None,
                      ctx.as_of, [*it], children, [])
        short = need - have
        hints: list[str] = []
        for row in rows:  # items already part-way first, then the rest in catalog order
            rem = counts[row[5]] % row[3]
            if rem and cumulative:
                hints.insert(0, f"再有{row[3] - rem}个即满足“{row[1]}”")
        hints += [row[9] for row in rows if cumulative or counts[row[5]] < row[3]]
        gap = f"还差{short}项成果（{threshold}）：可选 " + "；".join(hints[:3])
        return CR(nid, kind, label, "fail", f"{label}：{observed}，还差{short}项", cite, observed, threshold,
                  f"{short}项", None, [*it], children, [_gap(nid, "achievement", gap, None)])
    return ev


def _c_has_achievement(node: HasAchievement, dp: _DocPlan) -> Evaluator:
    nid, kind, label, cite, it = node.id, node.kind, node.label, node.cite, tuple(node.interpretation)
    group = _Group(node.match)
    windowed, judgement = node.window != "none", node.judgement
    none_msg, rejected_msg = f"{label}：无", f"{label}：经评审认定不符合"

    def ev(ctx: Ctx) -> ConditionResult:
        usable = ctx.usable(windowed, False)[0]
        m = ctx.f.mask(group) & usable if usable and group.kind_bits & ctx.f.kind_bits else 0
        if not m:
            return CR(nid, kind, label, "fail", none_msg, cite, None, None, None, None, [*it], [],
                      [_gap(nid, "achievement", label, None)])
        a = ctx.f.achievements[(m & -m).bit_length() - 1]  # the first that qualifies
        seen = a.title or a.kind.value
        verdict = ctx.judgements.get(nid)
        if judgement and verdict is None:
            return CR(nid, kind, label, "review", f"{label}：{seen}，需判断：{judgement}", cite, seen, None, None,
                      ctx.as_of, [*it], [], [])
        if verdict is False:
            return CR(nid, kind, label, "fail", rejected_msg, cite, seen, None, None, None, [*it], [],
                      [_gap(nid, "judgement", label, None)])
        return CR(nid, kind, label, "pass", f"{label}：{seen}", cite, seen, None, None, ctx.as_of, [*it], [], [])
    return ev


# ---------------------------------------------------------------- composites
def _cost(gaps: list[Gap]) -> tuple[int, date]:
    """Fewest changes a person must make, then the earliest date: how to rank alternatives.
    Filling in missing data counts as half a change: it is the cheapest thing to fix."""
    untimed, latest = 0, date.min
    for g in gaps:
        r = g.ready_on
        if r is None:
            untimed += 1 if g.kind == "data" else 2
        elif r > latest:
            latest = r
    return untimed, latest


def _c_all_of(node: AllOf, dp: _DocPlan) -> Evaluator:
    nid, kind, label, cite, it = node.id, node.kind, node.label, node.cite, tuple(node.interpretation)
    kids_ev = [_compile(c, dp) for c in node.children]
    if not kids_ev:
        raise ValueError(f"all_of {nid} has no children")
    pass_msg = f"{label}：符合"

    def ev(ctx: Ctx) -> ConditionResult:
        kids: list[ConditionResult] = []
        gaps: list[Gap] = []
        failed: list[str] | None = None  # labels of the children that fail
        rank = 2
        ready: date | None = date.min  # the latest date; None as soon as one child cannot wait it out
        for k_ev in kids_ev:
            k = k_ev(ctx)
            kids.append(k)
            o = k.outcome
            if o == "fail":
                rank = 0
                if failed is None:
                    failed = [k.label]
                else:
                    failed.append(k.label)
            elif o == "review" and rank:
                rank = 1
            if ready is not None:
                r = k.ready_on
                if r is None or r > ready:
                    ready = r
            if k.gaps:
                gaps += k.gaps
        msg = f"{label}：不满足（{'、'.join(failed)}）" if failed else pass_msg
        return CR(nid, kind, label, _BY_RANK[rank], msg, cite, None, None, None, ready, [*it], kids, gaps)
    return ev


def _c_any_of(node: AnyOf, dp: _DocPlan) -> Evaluator:
    nid, kind, label, cite, it = node.id, node.kind, node.label, node.cite, tuple(node.interpretation)
    kids_ev = [_compile(c, dp) for c in node.children]
    if not kids_ev:
        raise ValueError(f"any_of {nid} has no children")
    ok_msg = [f"{label}：符合“{c.label}”" for c in node.children]
    fail_msg = f"{label}：均不满足"

    def ev(ctx: Ctx) -> ConditionResult:
        kids: list[ConditionResult] = []
        rank = first = 0  # the best outcome, and the first child with it
        ready: date | None = None  # the earliest date
        for k_ev in kids_ev:
            k = k_ev(ctx)
            r = _ORDER[k.outcome]
            if r > rank:
                rank, first = r, len(kids)
            kids.append(k)
            d = k.ready_on
            if d is not None and (ready is None or d < ready):
                ready = d
        if rank:
            return CR(nid, kind, label, _BY_RANK[rank], ok_msg[first], cite, None, None, None, ready, [*it], kids, [])
        # report the closest alternative: fewest changes, then most conditions already met
        best_key = None
        gaps: list[Gap] = []
        for k in kids:
            untimed, latest = _cost(k.gaps)
            met = len(k.children) - [c.outcome for c in k.children].count("fail")
            key = (untimed, -met, latest)
            if best_key is None or key < best_key:
                best_key, gaps = key, k.gaps
        return CR(nid, kind, label, "fail", fail_msg, cite, None, None, None, ready, [*it], kids, gaps)
    return ev


_COMPILERS: dict[str, Callable[..., Evaluator]] = {
    "all_of": _c_all_of,
    "any_of": _c_any_of,
    "judgement": _c_judgement,
    "education_years": _c_education_years,
    "title_years": _c_title_years,
    "assessments": _c_assessments,
    "no_sanction": _c_no_sanction,
    "direction_in": _c_direction_in,
    "honour_in": _c_honour_in,
    "skill_level": _c_skill_level,
    "achievements": _c_achievements,
    "has_achievement": _c_has_achievement,
}


def _compile(node: Node, dp: _DocPlan) -> Evaluator:
    return _COMPILERS[node.kind](node, dp)


# ---------------------------------------------------------------- routes and verdict
def _path_candidates(nodes: Sequence[Node]) -> list[tuple[tuple[int, ...], bool]]:
    """Where, in pre-order, a route's result tree holds a node that names its path (…edu_exp, …trigger)."""
    out: list[tuple[tuple[int, ...], bool]] = []

    def walk(ns: Sequence[Any], at: tuple[int, ...]) -> None:
        for i, n in enumerate(ns):
            here = (*at, i)
            kind = getattr(n, "kind", "item")
            if n.id.endswith("edu_exp") or n.id.endswith("trigger"):
                out.append((here, kind == "any_of"))
            walk(n.children if kind in ("all_of", "any_of") else n.items if kind == "achievements" else (), here)

    walk(nodes, ())
    return out


class _RoutePlan:
    """An exceptional route of a level, compiled."""

    __slots__ = ("adds", "candidates", "cite", "interview", "kept", "kind", "label", "trigger", "waived")

    def __init__(self, route: Route, dp: _DocPlan, unique: list[str], by_id: dict[str, Node]):
        self.kind, self.label, self.cite = route.kind, route.label, route.cite
        self.trigger = _compile(route.trigger, dp)
        self.kept = [k for k, i in enumerate(unique) if i not in route.waives]  # positions in the regular route
        self.adds = [_compile(n, dp) for n in route.adds]
        self.waived = tuple(route.waives)
        self.interview = bool(route.interview_required)
        self.candidates = _path_candidates([route.trigger, *(by_id[unique[k]] for k in self.kept), *route.adds])


class _Plan:
    """One level of one document, compiled."""

    __slots__ = ("cond_ids", "conds", "doc", "doc_id", "doc_title", "dp", "grade", "regular_candidates", "route_interp",
                 "routes", "rule", "rule_id", "rule_title", "summary", "unique", "usable_keys")

    def __init__(self, doc: Document, rule: LevelRule):
        self.doc, self.rule, self.dp = doc, rule, _doc_plan(doc)
        self.doc_id, self.doc_title, self.rule_id, self.rule_title = doc.id, doc.title, rule.id, rule.title
        self.grade = LEVELS[rule.id]
        # the usable achievements depend on the grade and two parameters: levels alike share them in a call
        # (index: windowed * 2 + excluding those used before)
        self.usable_keys = tuple(_intern("usable", self.grade, self.dp.vq_as_title, self.dp.window_ws, w, x)
                                 for w in (False, True) for x in (False, True))
        self.conds = [_compile(n, self.dp) for n in rule.conditions]
        # The regular route holds one result per condition id (the catalog lint keeps ids unique; should
        # two conditions share one, the first keeps its place and the last its result).
        self.cond_ids = [n.id for n in rule.conditions]
        unique = list(dict.fromkeys(self.cond_ids))
        self.unique = len(unique) == len(self.cond_ids)
        by_id = {n.id: n for n in rule.conditions}
        self.regular_candidates = _path_candidates([by_id[i] for i in unique])
        self.routes = [_RoutePlan(route, self.dp, unique, by_id) for route in rule.routes]
        self.route_interp: dict[str, frozenset[str]] = {}
        for r in rule.routes:
            self.route_interp[r.kind] = self.route_interp.get(r.kind, frozenset()) | frozenset(r.interpretation)
        self.summary = {s: f"{doc.short_title}·{rule.title}：{STATUS_NAMES[s]}" for s in _STATUS.values()}


_DOC_PLANS: dict[int, _DocPlan] = {}
_PLANS: dict[tuple[int, int], _Plan] = {}


def _doc_plan(doc: Document) -> _DocPlan:
    dp = _DOC_PLANS.get(id(doc))
    if dp is None or dp.doc is not doc:  # the plan holds the document, so its id cannot be reused meanwhile
        if len(_DOC_PLANS) > 256:  # catalogs loaded over and over (tests): keep the cache bounded
            _DOC_PLANS.clear()
        dp = _DOC_PLANS[id(doc)] = _DocPlan(doc)
    return dp


def _plan(doc: Document, rule: LevelRule) -> _Plan:
    plan = _PLANS.get((id(doc), id(rule)))
    if plan is None or plan.doc is not doc or plan.rule is not rule:
        if len(_PLANS) > 1024:
            _PLANS.clear()
        plan = _PLANS[(id(doc), id(rule))] = _Plan(doc, rule)
    return plan


def _route_result(kind: str, label: str, conditions: list[ConditionResult], cite: object, waived: list[str],
                  interview: bool) -> RouteResult:
    rank = 2
    ready: date | None = conditions[0].ready_on
    missing: list[Gap] = []
    for c in conditions:
        r = _ORDER[c.outcome]
        if r < rank:
            rank = r
        if ready is not None:
            d = c.ready_on
            if d is None or d > ready:
                ready = d
        if c.gaps:
            missing += c.gaps
    rr: RouteResult = _new(RouteResult)  # slots filled directly, as in CR
    rr.route = kind  # type: ignore[assignment]
    rr.label = label
    rr.outcome = _BY_RANK[rank]
    rr.conditions = conditions
    rr.cite = cite  # type: ignore[assignment]
    rr.waived = waived
    rr.ready_on = ready
    rr.missing = missing
    rr.interview_required = interview
    return rr


def _path(conditions: list[ConditionResult], candidates: list[tuple[tuple[int, ...], bool]],
          ) -> tuple[str | None, str | None]:
    """Which alternative qualified: the edu/experience path, or the 破格/直通车 trigger."""
    for at, any_of in candidates:
        r = conditions[at[0]]
        for i in at[1:]:
            r = r.children[i]
        if r.outcome == "fail":
            continue
        if not any_of:
            return r.id, r.label
        want = _ORDER[r.outcome]  # first of the best: pass before review
        for k in r.children:
            if _ORDER[k.outcome] == want:
                return k.id, k.label
        return r.children[0].id, r.children[0].label
    return None, None


def _relevant(results: list[ConditionResult], used: set[str], review: list[ConditionResult],
              only: str | None = None) -> None:
    """Interpretations used and leaves awaiting review, in pre-order; inside any_of only the alternatives
    that decided its outcome (`only`: that outcome)."""
    for r in results:
        if only is not None and r.outcome != only:
            continue
        if r.interpretation:
            used.update(r.interpretation)
        kids = r.children
        if kids:
            _relevant(kids, used, review, r.outcome if r.kind == "any_of" else None)
        elif r.outcome == "review":
            review.append(r)


def _not_in_force(doc: Document, rule: LevelRule, as_of: date, validity: Validity, version: str) -> Verdict:
    explain = validity.explain(as_of)
    return Verdict(doc.id, doc.title, rule.id, rule.title, as_of, "not_in_force", explain, notes=[explain],
                   catalog_version=version)


def _run(plan: _Plan, f: _Facts, as_of: date, validity: Validity, version: str) -> Verdict:
    """The verdict for one level of a document in force on `as_of`."""
    doc_id, rule_id = plan.doc_id, plan.rule_id
    ctx = Ctx(f, plan, f.judgements(doc_id, rule_id))
    regular = [ev(ctx) for ev in plan.conds]
    if not plan.unique:
        regular = list(dict(zip(plan.cond_ids, regular, strict=True)).values())
    routes = [_route_result("regular", ROUTE_NAMES["regular"], regular, None, [], False)]
    for rp in plan.routes:
        conds = [rp.trigger(ctx), *[regular[k] for k in rp.kept]]
        if rp.adds:
            conds += [ev(ctx) for ev in rp.adds]
        routes.append(_route_result(rp.kind, rp.label, conds, rp.cite, list(rp.waived), rp.interview))

    best_i = 0  # the first of the best outcome: regular on ties
    for i, r in enumerate(routes):
        if _ORDER[r.outcome] > _ORDER[routes[best_i].outcome]:
            best_i = i
    best = routes[best_i]
    status = _STATUS[best.outcome]
    path, path_label = _path(best.conditions, plan.routes[best_i - 1].candidates if best_i else plan.regular_candidates)
    notes = validity.notes()
    if best.interview_required and status != "ineligible":
        notes.append("破格申报人员须参加面试答辩（" + (best.cite.section if best.cite else "") + "）")
    missing: list[Gap] = []
    eligible_from: date | None = as_of
    if status == "ineligible":
        closest_key = None
        for r in routes:
            key = _cost(r.missing)
            if closest_key is None or key < closest_key:
                closest_key, missing = key, r.missing
        eligible_from = min((r.ready_on for r in routes if r.ready_on is not None), default=None)
        if eligible_from is not None and not validity.in_force(eligible_from):
            notes.append(f"按时间推算{eligible_from.isoformat()}起可满足，但届时本标准已不在有效期内："
                         + validity.explain(eligible_from))
            eligible_from = None
    review: list[ConditionResult] = []
    used = set(plan.route_interp.get(best.route, ()))
    _relevant(best.conditions, used, review)
    summary = plan.summary[status]
    if status != "ineligible":
        summary += f"（{ROUTE_NAMES[best.route]}" + (f"，{path_label}" if path_label else "") + "）"
        return Verdict(doc_id, plan.doc_title, rule_id, plan.rule_title, as_of, status, summary, best.route, path,
                       path_label, routes, missing, review, eligible_from, sorted(used), notes, version)
    if eligible_from is not None:
        summary += f"；如无其他变化，{eligible_from.isoformat()}起符合"
    return Verdict(doc_id, plan.doc_title, rule_id, plan.rule_title, as_of, status, summary, None, None, None,
                   routes, missing, review, eligible_from, sorted(used), notes, version)


def evaluate(profile: Profile, document: str, level: str, as_of: date,
             catalog: Catalog | None = None) -> Verdict:
    """The verdict for one profile against one level of one document on date `as_of`."""
    cat = catalog or default_catalog()
    doc = cat.document(document)
    rule = cat.level(document, level)
    validity = cat.validity(doc.id)
    if not validity.in_force(as_of):
        return _not_in_force(doc, rule, as_of, validity, cat.version)
    return _run(_plan(doc, rule), _Facts(profile, as_of), as_of, validity, cat.version)


def evaluate_all(profile: Profile, as_of: date, catalog: Catalog | None = None) -> list[Verdict]:
    """'What can I apply for': every level of every document in force on `as_of`."""
    cat = catalog or default_catalog()
    # Why pause the cyclic garbage collector: a full check allocates ~2000 container objects (the verdict trees).
    # With the collector on, that is about two young-generation passes per call, and the half-built trees they
    # promote make a full pass over the whole heap (~20 ms with the catalog loaded) come every hundred calls or
    # so: together a fifth of the average time, and the slow tail. Verdict trees hold no reference cycles, so
    # these passes cannot free anything; reference counting frees the trees. The allocations still count, so
    # the collector's schedule resumes where it was. Only re-enabled if it was enabled here: a caller (or another
    # thread) that switched it off keeps it off.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        facts = _Facts(profile, as_of)  # shared by every level of this call only
        out: list[Verdict] = []
        for doc in cat.documents.values():
            validity = cat.validity(doc.id)
            if not validity.in_force(as_of):
                continue
            if cat.document(doc.id) is not doc:  # a catalog keyed other than by id: as evaluate() would see it
                out += [evaluate(profile, doc.id, lv.id, as_of, cat) for lv in doc.levels]
                continue
            for lv in doc.levels:
                out.append(_run(_plan(doc, lv), facts, as_of, validity, cat.version))
        return out
    finally:
        if paused:
            gc.enable()


__all__ = ["LEVEL_NAMES", "add_years", "evaluate", "evaluate_all", "full_years"]
