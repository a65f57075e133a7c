"""Batch screening equals the scalar engine, row by row (docs/batch.md).

A generator steered by the catalog produces profiles around every path of every document: for the level
it aims at, it satisfies (or narrowly misses, by a day) a randomly chosen education/title path or a 破格 /
直通车 trigger, builds achievements from the catalog's own `match` shapes (then perturbs some), and mixes in
technical-school classes, other series, vocational qualifications, assessment gaps and failures, active
and expired sanctions, directions of every document and judgements on random conditions.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from zhicheng.policy import batch
from zhicheng.policy.batch import (
    BatchInputError,
    frames_to_profiles,
    profiles_to_frames,
    read_profiles,
    screen,
    summarise,
    write_profiles,
    write_result,
)
from zhicheng.policy.batch_cli import batch_app
from zhicheng.policy.catalog import default_catalog, iter_nodes
from zhicheng.policy.engine import add_years, evaluate, evaluate_all
from zhicheng.policy.profile import (
    EDUCATION_RANK,
    AchievementKind,
    EducationLevel,
    Honour,
    Profile,
    Role,
    Venue,
)
from zhicheng.policy.schema import Document, LevelRule, Match, Node
from zhicheng.policy.verdict import Verdict

CAT = default_catalog()
TODAY = date(2026, 1, 1)
TARGETS = [(d.id, lv.id) for d in CAT.documents.values() for lv in d.levels]
DIRECTIONS = [x.id for d in CAT.documents.values() for x in d.directions]
SPECIALTIES = sorted({d.specialty for d in CAT.documents.values()})
# in force for all five documents, the last day and first day after 青岛 expires, a leap day, a year end,
# and dates on which only some documents are in force
AS_OF = [date(2024, 9, 1), date(2025, 6, 11), date(2025, 6, 12), date(2024, 2, 29), date(2024, 12, 31),
         date(2025, 3, 1), date(2023, 6, 12), date(2021, 3, 1)]
AS_OF_WEIGHTS = [5, 2, 1, 1, 2, 2, 1, 1]


# ---------------------------------------------------------------- generator
def rdate(rng: random.Random, lo: date, hi: date) -> date:
    if hi <= lo:
        return lo
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


_NODES: dict[int, list[Node]] = {}


def level_nodes(rule: LevelRule) -> list[Node]:
    got = _NODES.get(id(rule))
    if got is None:
        got = list(iter_nodes(rule.conditions))
        for r in rule.routes:
            got += list(iter_nodes([r.trigger, *r.adds]))
        _NODES[id(rule)] = got
    return got


def item_matches(rule: LevelRule) -> list[Match]:
    return [m for n in level_nodes(rule) if n.kind == "achievements" for it in n.items for m in it.match]


def trigger_matches(rule: LevelRule) -> list[Match]:
    return [m for n in level_nodes(rule) if n.kind == "has_achievement" for m in n.match]


def judgeable(rule: LevelRule) -> list[str]:
    ids = []
    for n in level_nodes(rule):
        if n.kind in ("judgement", "has_achievement"):
            ids.append(n.id)
        elif n.kind == "achievements":
            ids += [it.id for it in n.items]
    return ids


def satisfy(rng: random.Random, node: Node, doc: Document, data: dict[str, Any], as_of: date) -> None:
    """Add what a 破格/直通车 trigger alternative (or a route's added condition) asks for."""
    if node.kind == "any_of":
        satisfy(rng, rng.choice(node.children), doc, data, as_of)
    elif node.kind == "all_of":
        for c in node.children:
            satisfy(rng, c, doc, data, as_of)
    elif node.kind == "has_achievement":
        after = max([t["obtained"] for t in data["titles"]] + [date(2000, 1, 1)])
        data["achievements"].append(achievement_for(rng, rng.choice(node.match), rdate(rng, after, as_of)))
    elif node.kind == "skill_level":
        data["skill_level"] = rng.randint(1, int(node.min_level))
    elif node.kind == "honour_in":
        data["honours"] = [rng.choice(node.values).value]
    elif node.kind == "title_years":
        data["titles"].append({"grade": int(node.min_grade), "series": "engineering",
                               "obtained": rdate(rng, date(2010, 1, 1), as_of - timedelta(days=30))})


def random_achievement(rng: random.Random, when: date) -> dict[str, Any]:
    def maybe(values: list[Any], p: float = 0.5) -> Any:
        return rng.choice(values) if rng.random() < p else None

    a: dict[str, Any] = {"kind": rng.choice(list(AchievementKind)).value, "date": when,
                         "role": maybe([r.value for r in Role]), "rank": maybe(list(range(1, 8))),
                         "level": maybe(list(range(1, 7))), "grade": maybe([1, 2, 3]),
                         "venue": maybe([v.value for v in Venue]), "standard_level": maybe(list(range(1, 7))),
                         "granted": maybe([True, False]), "accepted": maybe([True, False]),
                         "in_production": maybe([True, False]), "annual_output_wan": maybe([0, 500, 2000, 6000], 0.3),
                         "count": rng.choice([1, 1, 1, 2, 3]), "used_before": rng.random() < 0.15}
    return {k: v for k, v in a.items() if v is not None}


def achievement_for(rng: random.Random, m: Match, when: date) -> dict[str, Any]:
    """An achievement meeting `m`; a quarter of them are then nudged just outside one constraint."""
    a = random_achievement(rng, when)
    a["kind"] = rng.choice(m.kinds).value
    if m.roles is not None:
        a["role"] = rng.choice(m.roles).value
    if m.max_rank is not None:
        a["rank"] = rng.randint(1, m.max_rank)
    if m.min_level is not None:
        a["level"] = rng.randint(int(m.min_level), 6)
    if m.max_grade is not None:
        a["grade"] = rng.randint(1, int(m.max_grade))
    if m.venues is not None:
        a["venue"] = rng.choice(m.venues).value
    if m.min_standard_level is not None:
        a["standard_level"] = rng.randint(int(m.min_standard_level), 6)
    if m.standard_levels is not None:
        a["standard_level"] = int(rng.choice(m.standard_levels))
    for flag in ("granted", "accepted", "in_production"):
        want = getattr(m, flag)
        if want is not None:
            a[flag] = want
    if m.min_output_wan is not None:
        a["annual_output_wan"] = m.min_output_wan + rng.choice([0, 0, 100])
    if rng.random() < 0.25:
        nudges: list[tuple[str, int | None]] = []
        if m.max_rank is not None:
            nudges.append(("rank", m.max_rank + 1))
        if m.min_level is not None and m.min_level > 1:
            nudges.append(("level", int(m.min_level) - 1))
        if m.max_grade is not None and m.max_grade < 3:
            nudges.append(("grade", int(m.max_grade) + 1))
        if m.min_output_wan:
            nudges.append(("annual_output_wan", m.min_output_wan - 1))
        for flag in ("granted", "accepted", "in_production"):
            if getattr(m, flag) is not None:
                nudges.append((flag, None))
        if m.roles is not None:
            nudges.append(("role", None))
        if nudges:
            k, v = rng.choice(nudges)
            if v is None:
                a.pop(k, None)
            else:
                a[k] = v
    return a


def edu_level_at_least(rng: random.Random, doc: Document, rank: int) -> str:
    """An education level counting as `rank` or above (the lowest such, more often than not)."""
    eq = doc.params.equivalences
    ranks = {e.value: EDUCATION_RANK.get(eq.get(e, e), 0) for e in EducationLevel}
    exact = [e for e, r in ranks.items() if r == rank]
    if rng.random() < 0.6:
        return rng.choice(exact)
    return rng.choice([e for e, r in ranks.items() if r >= rank])


def boundary(rng: random.Random, cutoff: date, years: int) -> date:
    """A start date whose N-year anniversary falls just before, on or just after the cutoff."""
    base = add_years(cutoff, -years)
    return base + timedelta(days=rng.choice([-400, -1, 0, 0, 1, 1, 2, 30, rng.randint(-2000, 800)]))


def gen_profile(rng: random.Random, doc: Document, rule: LevelRule, as_of: date) -> Profile:
    cutoff = date(as_of.year, 12, 31) if doc.params.years_counted_to == "year_end" else as_of
    strong = rng.random() < 0.75
    aim_route = strong and bool(rule.routes) and rng.random() < 0.5
    data: dict[str, Any] = {"education": [], "titles": [], "vocational_qualifications": [], "achievements": [],
                            "annual_assessments": [], "sanctions": [], "judgements": [], "honours": []}
    ws = rdate(rng, date(1988, 1, 1), as_of)
    epd = rng.random() < 0.2

    # education and titles: random ones, plus (strong) one aimed at a path of this level
    for _ in range(rng.choice([0, 1] if aim_route else [0, 1, 1, 2, 3])):
        data["education"].append(random_education(rng, as_of))
    for _ in range(rng.choice([0, 0, 1] if aim_route else [0, 0, 1, 1, 2, 3])):
        data["titles"].append(random_title(rng, as_of))
    if rng.random() < 0.2:
        data["vocational_qualifications"].append(
            {"name": "职业资格", "grade": rng.choice(["primary", "intermediate", "senior", "ungraded"]),
             "obtained": rdate(rng, date(1995, 1, 1), as_of)})
    years_nodes = [n for n in level_nodes(rule) if n.kind in ("education_years", "title_years")]
    if strong and years_nodes and not aim_route:
        node = rng.choice(years_nodes)
        early = doc.params.professional_degree_years_early if epd else 0
        start = min(boundary(rng, cutoff, max(0, node.years - early)), as_of)
        if node.kind == "education_years":
            level = edu_level_at_least(rng, doc, EDUCATION_RANK[node.min_education])
            diploma = "diploma" in node.accept or rng.random() < 0.3
            data["education"].append({"level": level, "graduation_date": start, "diploma": diploma,
                                      "degree": "degree" in node.accept or not diploma})
        else:
            if node.min_education is not None:
                level = edu_level_at_least(rng, doc, EDUCATION_RANK[node.min_education])
                earlier = start - timedelta(days=rng.randint(0, 3000))
                data["education"].append({"level": level, "graduation_date": earlier})
            grade = rng.randint(int(node.min_grade), 5)
            if doc.params.vocational_qualification_as_title and node.series != "other" and rng.random() < 0.2:
                vq = {2: "primary", 3: rng.choice(["intermediate", "ungraded"]), 4: "senior", 5: "senior"}[grade]
                data["vocational_qualifications"].append({"name": "职业资格", "grade": vq, "obtained": start})
            else:
                series, specialty = "engineering", rng.choice([None, doc.specialty])
                if node.series == "other" or (node.series == "any" and rng.random() < 0.3):
                    if doc.specialty_scoped and rng.random() < 0.5:
                        specialty = rng.choice([s for s in SPECIALTIES if s != doc.specialty])
                    else:
                        series = rng.choice(["economics", "health"])
                data["titles"].append({"grade": grade, "series": series, "specialty": specialty,
                                       "obtained": start})
        ws = min(ws, start) if rng.random() < 0.8 else start + timedelta(days=rng.choice([-1, 0, 1, 90]))
        ws = min(ws, as_of)
    if rng.random() < 0.05:
        ws = None  # type: ignore[assignment]
    data["specialty_work_start"] = ws
    if epd and data["education"]:
        rng.choice(data["education"])["engineering_professional_degree"] = True

    # 破格 / 直通车: aim at one alternative of one route's trigger
    if aim_route:
        route = rng.choice(rule.routes)
        for add in route.adds:
            satisfy(rng, add, doc, data, as_of)
        satisfy(rng, route.trigger, doc, data, as_of)

    # assessments: usually complete and 合格 when strong, with gaps and failures otherwise
    for y in range(as_of.year - 11, as_of.year + 1):
        if rng.random() < (0.93 if strong else 0.6):
            result = rng.choices(["excellent", "competent", "basically_competent", "incompetent"],
                                 [3, 12, 1, 1] if strong else [1, 2, 1, 1])[0]
            data["annual_assessments"].append({"year": y, "result": result})

    # sanctions, active or not around as_of
    for _ in range(rng.choice([0, 0, 0, 0, 1, 2])):
        start = as_of - timedelta(days=rng.choice([0, 1, 30, 400, rng.randint(0, 1500)]))
        end = max(start, as_of + timedelta(days=rng.choice([-1, 0, 1, 200, -300])))
        data["sanctions"].append({"kind": rng.choice(["disciplinary", "integrity"]), "start": start, "end": end})

    # directions: this document's mostly, others and unknown ones sometimes
    own = [x.id for x in doc.directions]
    dirs: list[str] = []
    if own and rng.random() < (0.9 if strong else 0.4):
        dirs.append(rng.choice(own))
    if rng.random() < 0.3:
        dirs.append(rng.choice(DIRECTIONS))
    if rng.random() < 0.05:
        dirs.append("unknown_direction")
    data["directions"] = list(dict.fromkeys(dirs))

    # skilled workers
    if rng.random() < 0.25:
        data["skill_level"] = rng.choice([1, 2, 3])
    if rng.random() < 0.2:
        data["honours"] = rng.sample([h.value for h in Honour], rng.randint(1, 2))

    # achievements: from this level's match shapes (enough to meet the count when strong) and random ones
    items, triggers = item_matches(rule), trigger_matches(rule)
    lo = min([t["obtained"] for t in data["titles"]] + [ws or as_of, as_of]) - timedelta(days=400)
    recent = max([t["obtained"] for t in data["titles"]] + [lo])
    for _ in range(rng.randint(2, 7) if strong and items else rng.randint(0, 2) if items else 0):
        when = rdate(rng, recent, as_of) if rng.random() < 0.85 else rdate(rng, lo, as_of)
        data["achievements"].append(achievement_for(rng, rng.choice(items), when))
    if triggers and rng.random() < 0.25:
        data["achievements"].append(achievement_for(rng, rng.choice(triggers), rdate(rng, lo, as_of)))
    for _ in range(rng.choice([0, 1, 2, 3])):
        data["achievements"].append(random_achievement(rng, rdate(rng, date(1998, 1, 1), as_of)))
    rng.shuffle(data["achievements"])

    # judgements on random conditions of this level (and a few stray ones)
    all_true = strong and rng.random() < 0.4
    for cid in judgeable(rule):
        if all_true or rng.random() < 0.25:
            passed = all_true or rng.random() < 0.7
            data["judgements"].append({"document": doc.id, "level": rule.id, "condition": cid, "passed": passed})
            if rng.random() < 0.05:  # a later finding overrides an earlier one
                data["judgements"].append({"document": doc.id, "level": rule.id, "condition": cid,
                                           "passed": not passed})
    if rng.random() < 0.1:
        d2, l2 = rng.choice(TARGETS)
        data["judgements"].append({"document": d2, "level": l2, "condition": "basic", "passed": False})
    if rng.random() < 0.3:
        data["name"] = f"申报人{rng.randint(1, 99999)}"
    return Profile.model_validate(data, context={"today": TODAY})


def random_education(rng: random.Random, as_of: date) -> dict[str, Any]:
    diploma = rng.random() < 0.85
    return {"level": rng.choice(list(EducationLevel)).value,
            "graduation_date": rdate(rng, date(1985, 1, 1), as_of),
            "diploma": diploma, "degree": rng.random() < 0.7 or not diploma,
            "engineering_professional_degree": rng.random() < 0.1}


def random_title(rng: random.Random, as_of: date) -> dict[str, Any]:
    return {"grade": rng.randint(1, 5), "series": rng.choice(["engineering"] * 4 + ["economics", "health"]),
            "specialty": rng.choice([None, None, *SPECIALTIES, "土木工程"]),
            "obtained": rdate(rng, date(1990, 1, 1), as_of)}


def expected_paths(rule: LevelRule) -> list[str]:
    out: list[str] = []
    for n in rule.conditions:
        if n.id.endswith("edu_exp"):
            out += [c.id for c in n.children] if n.kind == "any_of" else [n.id]
    for r in rule.routes:
        t = r.trigger
        out += [c.id for c in t.children] if t.kind == "any_of" else [t.id]
    return out


def generated(count: int, seed: int) -> Iterator[tuple[date, str, str, Profile]]:
    """`count` profiles, each aimed at a level chosen with weight = its number of paths."""
    rng = random.Random(seed)
    weights = [len(expected_paths(CAT.level(d, lv))) for d, lv in TARGETS]
    for _ in range(count):
        as_of = rng.choices(AS_OF, AS_OF_WEIGHTS)[0]
        doc_id, level = rng.choices(TARGETS, weights)[0]
        doc = CAT.document(doc_id)
        yield as_of, doc_id, level, gen_profile(rng, doc, CAT.level(doc_id, level), as_of)


# ---------------------------------------------------------------- comparison
FIELDS = ("status", "route", "path", "missing", "missing_conditions", "eligible_from")


def expected(v: Verdict) -> dict[str, Any]:
    return {"status": v.status, "route": v.route, "path": v.path,
            "missing": "；".join(g.message for g in v.missing),
            "missing_conditions": ",".join(g.condition for g in v.missing), "eligible_from": v.eligible_from}


def differences(rows: list[dict[str, Any]], verdicts: list[Verdict]) -> list[str]:
    out = []
    for row, v in zip(rows, verdicts, strict=True):
        want = expected(v)
        got = {k: row[k] for k in FIELDS}
        if got != want:
            diff = {k: (want[k], got[k]) for k in FIELDS if want[k] != got[k]}
            out.append(f"{v.document}/{v.level}/{v.as_of} person {row['person']}: {diff}")
    return out


# ---------------------------------------------------------------- tests
def test_catalog_cases_equal() -> None:
    """Every table-driven catalog case (381 hand-written boundary cases) screens as it evaluates."""
    from zhicheng.policy.cases import case_files, load_cases

    groups: dict[tuple[date, str, str], list[Profile]] = defaultdict(list)
    for f in case_files():
        for c in load_cases(f):
            groups[(c.as_of, c.document, c.level)].append(c.profile)
    bad: list[str] = []
    for (as_of, doc, level), profiles in groups.items():
        rows = screen(profiles_to_frames(profiles), as_of, doc, level).to_dicts()
        bad += differences(rows, [evaluate(p, doc, level, as_of, CAT) for p in profiles])
    assert not bad, "\n".join(bad[:10])


@pytest.mark.slow
def test_ten_thousand_generated_profiles_equal_scalar_engine() -> None:
    """10,000 generated profiles, each against the level it was generated for (all 21 levels, 8 dates);
    the batch screens every level of the document at once and the row of that level is compared."""
    groups: dict[tuple[date, str], list[tuple[str, Profile]]] = defaultdict(list)
    for as_of, doc, level, p in generated(10_000, seed=20240901):
        groups[(as_of, doc)].append((level, p))
    bad: list[str] = []
    paths: dict[tuple[str, str], set[str]] = defaultdict(set)
    statuses: set[str] = set()
    compared = 0
    for (as_of, doc), items in groups.items():
        levels: list[str] = [lv.id for lv in CAT.document(doc).levels]
        rows = screen(profiles_to_frames([p for _, p in items]), as_of, doc, chunk_size=400).to_dicts()
        rows = [rows[i * len(levels) + levels.index(level)] for i, (level, _) in enumerate(items)]
        verdicts = [evaluate(p, doc, level, as_of, CAT) for level, p in items]
        bad += differences(rows, verdicts)
        compared += len(rows)
        for v in verdicts:
            statuses.add(v.status)
            if v.path:
                paths[(doc, v.level)].add(v.path)
    assert compared == 10_000
    assert not bad, f"{len(bad)} rows differ:\n" + "\n".join(bad[:10])
    assert statuses == {"eligible", "ineligible", "needs_review", "not_in_force"}
    # every path of every document was taken by some generated profile
    uncovered = [f"{doc_id}/{level}/{p}" for doc_id, level in TARGETS
                 for p in expected_paths(CAT.level(doc_id, level)) if p not in paths[(doc_id, level)]]
    assert not uncovered, uncovered


def test_evaluate_all_equal() -> None:
    """Without a document: every level of every document in force, ordered like evaluate_all."""
    rng = random.Random(7)
    for as_of in (date(2024, 9, 1), date(2025, 6, 12), date(2021, 3, 1)):
        profiles = []
        for _ in range(120):
            doc_id, level = rng.choice(TARGETS)
            profiles.append(gen_profile(rng, CAT.document(doc_id), CAT.level(doc_id, level), as_of))
        result = screen(profiles_to_frames(profiles), as_of, chunk_size=50)
        verdicts = [v for p in profiles for v in evaluate_all(p, as_of, CAT)]
        assert [(r["document"], r["level"]) for r in result.iter_rows(named=True)] == \
            [(v.document, v.level) for v in verdicts]
        assert result["person"].to_list() == [i for i, p in enumerate(profiles)
                                              for _ in range(len(verdicts) // len(profiles))]
        bad = differences(result.to_dicts(), verdicts)
        assert not bad, "\n".join(bad[:10])


def test_not_in_force_and_summary() -> None:
    profiles = [p for _, _, _, p in generated(30, seed=3)]
    result = screen(profiles_to_frames(profiles), date(2025, 6, 12), "iiot_qd_2023")
    assert set(result["status"].to_list()) == {"not_in_force"}
    assert result["eligible_from"].null_count() == result.height
    s = summarise(result)
    assert s.columns == ["document", "level", "eligible", "ineligible", "needs_review", "not_in_force", "total"]
    assert s["not_in_force"].to_list() == [30] * 4
    both = screen(profiles_to_frames(profiles), date(2024, 9, 1))
    s = summarise(both)
    assert s.height == 21 and s["total"].to_list() == [30] * 21
    assert list(zip(s["document"], s["level"], strict=True)) == TARGETS


# ---------------------------------------------------------------- boundary dates
def one(profile: dict[str, Any], doc: str, level: str, as_of: date) -> tuple[dict[str, Any], dict[str, Any]]:
    p = Profile.model_validate(profile, context={"today": TODAY})
    row = screen(profiles_to_frames([p]), as_of, doc, level).row(0, named=True)
    return {k: row[k] for k in FIELDS}, expected(evaluate(p, doc, level, as_of, CAT))


BASE: dict[str, Any] = {
    "annual_assessments": [{"year": y, "result": "competent"} for y in range(2010, 2026)],
    "directions": ["general_research_design", "iiot_platform", "quantum_computing"],
}


@pytest.mark.parametrize("grad, as_of", [
    (date(2016, 2, 29), date(2023, 2, 28)),  # anniversary of 29 Feb is 1 Mar: one day short
    (date(2016, 2, 29), date(2023, 3, 1)),
    (date(2016, 2, 29), date(2024, 2, 29)),
    (date(2017, 7, 15), date(2024, 7, 14)),  # the day before and the day of the 7th anniversary
    (date(2017, 7, 15), date(2024, 7, 15)),
    (date(2017, 1, 31), date(2024, 1, 30)),
])
def test_anniversaries(grad: date, as_of: date) -> None:
    prof = {**BASE, "education": [{"level": "master", "graduation_date": grad}], "specialty_work_start": grad}
    got, want = one(prof, "general_bj_2020", "senior_engineer", as_of)
    assert got == want


@pytest.mark.parametrize("obtained, as_of", [
    (date(2019, 1, 1), date(2023, 12, 31)),  # 青岛 counts to 31 December of the year of application
    (date(2019, 1, 2), date(2024, 1, 1)),
    (date(2020, 12, 31), date(2024, 6, 30)),
    (date(2021, 1, 1), date(2025, 6, 11)),  # ready in 2026, after the document expires: no eligible_from
    (date(2020, 6, 12), date(2025, 6, 11)),
])
def test_year_end_counting_and_expiry(obtained: date, as_of: date) -> None:
    prof = {**BASE, "education": [{"level": "bachelor", "graduation_date": date(2010, 7, 1)}],
            "specialty_work_start": date(2010, 7, 1),
            "titles": [{"grade": 2, "obtained": date(2012, 1, 1)}, {"grade": 3, "obtained": obtained}],
            "achievements": [{"kind": "research_project", "rank": 1, "level": 3, "accepted": True,
                              "date": obtained + timedelta(days=10)}]}
    for level in ("senior_engineer", "engineer"):
        got, want = one(prof, "iiot_qd_2023", level, as_of)
        assert got == want


def test_sanction_boundaries() -> None:
    for start, end in [(date(2024, 9, 1), date(2024, 9, 1)), (date(2024, 1, 1), date(2024, 8, 31)),
                       (date(2024, 9, 2), date(2025, 1, 1)), (date(2023, 1, 1), date(2030, 1, 1))]:
        prof = {**BASE, "education": [{"level": "doctor", "graduation_date": date(2015, 7, 1)}],
                "specialty_work_start": date(2015, 7, 1),
                "sanctions": [{"kind": "integrity", "start": start, "end": end},
                              {"kind": "disciplinary", "start": start, "end": end}]}
        got, want = one(prof, "general_bj_2020", "engineer", date(2024, 9, 1))
        assert got == want


def test_validity_boundaries() -> None:
    prof = {**BASE, "education": [{"level": "bachelor", "graduation_date": date(2015, 7, 1)}],
            "specialty_work_start": date(2015, 7, 1)}
    for doc in CAT.documents.values():
        days = [doc.effective_from - timedelta(days=1), doc.effective_from]
        if doc.effective_to:
            days += [doc.effective_to - timedelta(days=1), doc.effective_to]
        for as_of in days:
            for lv in doc.levels:
                got, want = one(prof, doc.id, lv.id, as_of)
                assert got == want, (doc.id, lv.id, as_of)


def test_empty_frames_and_chunks() -> None:
    empty = profiles_to_frames([])
    assert screen(empty, date(2024, 9, 1), "general_bj_2020", "engineer").height == 0
    profiles = [p for _, _, _, p in generated(50, seed=11)]
    frames = profiles_to_frames(profiles)
    whole = screen(frames, date(2024, 9, 1), "quantum_bj_2024")
    for size in (1, 7, 49, 50, 1000):
        assert screen(frames, date(2024, 9, 1), "quantum_bj_2024", chunk_size=size).equals(whole)


def test_frames_round_trip_to_profiles() -> None:
    profiles = [p for _, _, _, p in generated(200, seed=5)]
    frames = profiles_to_frames(profiles)
    assert frames_to_profiles(frames) == profiles
    assert frames.to_profiles([3, 1]) == [profiles[3], profiles[1]]
    sub = frames.slice(10, 20)
    assert frames_to_profiles(sub) == profiles[10:20]


# ---------------------------------------------------------------- readers and writers
@pytest.fixture(scope="module")
def sample() -> list[Profile]:
    profiles = [p for _, _, _, p in generated(150, seed=99)]
    rich = Profile.model_validate({
        "name": "张三", "specialty_work_start": date(2015, 7, 15), "skill_level": 2,
        "honours": ["national_technical_expert"], "directions": ["ai_research", "ai_application"],
        "education": [{"level": "master", "graduation_date": date(2015, 7, 1), "diploma": True, "degree": False,
                       "engineering_professional_degree": True, "school": "某大学", "major": "计算机"}],
        "titles": [{"grade": 3, "series": "engineering", "specialty": "人工智能", "name": "工程师",
                    "obtained": date(2019, 12, 20)}],
        "vocational_qualifications": [{"name": "信息系统项目管理师", "grade": "senior", "obtained": date(2018, 5, 1)}],
        "annual_assessments": [{"year": 2023, "result": "excellent"}],
        "sanctions": [{"kind": "disciplinary", "start": date(2021, 3, 1), "end": date(2022, 2, 28),
                       "reason": "警告，“引号”, 逗号"}],
        "achievements": [{"id": "A1", "kind": "invention_patent", "title": "一种……方法\n第二行",
                          "date": date(2021, 6, 30),
                          "role": "lead", "rank": 1, "granted": True, "coauthors": ["李四", "王五"],
                          "annual_output_wan": 12345678901, "count": 3, "used_before": True}],
        "judgements": [{"document": "ai_bj_2020", "level": "engineer", "condition": "basic", "passed": True,
                        "note": "认定"}],
    }, context={"today": TODAY})
    return [rich, *profiles, Profile()]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".xlsx", ".parquet"])
def test_round_trip(sample: list[Profile], suffix: str, tmp_path: Path) -> None:
    frames = profiles_to_frames(sample)
    path = tmp_path / f"people{suffix}"
    written = write_profiles(frames, path)
    assert written[0] == path
    back = read_profiles(path, today=TODAY)
    assert frames_to_profiles(back) == sample
    for name in ("people", *batch.LIST_FIELDS):
        assert back.table(name).equals(frames.table(name)), name
    as_of = date(2024, 9, 1)
    assert screen(back, as_of).equals(screen(frames, as_of))


def test_csv_with_achievements_column_and_custom_ids(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "id,specialty_work_start,education,titles,achievements,directions\n"
        'E-1,2015-07-15,"[{""level"": ""master"", ""graduation_date"": ""2015-07-01""}]",,'
        '"[{""kind"": ""paper"", ""venue"": ""core_journal"", ""rank"": 1, ""date"": ""2021-03-01"", ""count"": 2}]",'
        '"[""general_research_design""]"\n'
        "E-2,,,,,\n", encoding="utf-8")
    frames = read_profiles(path, today=TODAY)
    assert frames.people["id"].to_list() == ["E-1", "E-2"]
    assert frames.achievements["count"].to_list() == [2]
    result = screen(frames, date(2024, 9, 1), "general_bj_2020", "senior_engineer")
    want = [expected(evaluate(p, "general_bj_2020", "senior_engineer", date(2024, 9, 1)))
            for p in frames_to_profiles(frames)]
    assert [{k: r[k] for k in FIELDS} for r in result.to_dicts()] == want
    assert result["id"].to_list() == ["E-1", "E-2"]


@pytest.mark.parametrize("content, where", [
    ("id,specialty_work_start\nA,2015-13-01\n", "第 2 行，列 specialty_work_start"),
    ("id,education\nA,[]\nB,\"[{\"\"level\"\": \"\"phd\"\", \"\"graduation_date\"\": \"\"2015-07-01\"\"}]\"\n",
     "第 3 行，列 education[0].level"),
    ("id,education\nA,\"[{\"\"level\"\": \"\"master\"\"}]\"\n", "第 2 行，列 education[0].graduation_date"),
    ("id,titles\nA,\"[{\"\"grade\"\": 6, \"\"obtained\"\": \"\"2015-07-01\"\"}]\"\n", "第 2 行，列 titles[0].grade"),
    ("id,education\nA,\"[{\"\"level\"\": \"\"master\"\", \"\"graduation_date\"\": \"\"2015-07-01\"\", "
     "\"\"diploma\"\": false, \"\"degree\"\": false}]\"\n", "第 2 行，列 education[0]"),
    ("id,titles\nA,[{oops\n", "第 2 行，列 titles"),
    ("id,colour\nA,red\n", "列 colour"),
    ("id,annual_assessments\nA,\"[{\"\"year\"\": 2020, \"\"result\"\": \"\"competent\"\"}, "
     "{\"\"year\"\": 2020, \"\"result\"\": \"\"excellent\"\"}]\"\n", "第 2 行，列 annual_assessments"),
    ("id,skill_level\nA,3\nA,2\n", "第 3 行，列 id"),
    ("id,sanctions\nA,\"[{\"\"kind\"\": \"\"integrity\"\", \"\"start\"\": \"\"2020-01-02\"\", "
     "\"\"end\"\": \"\"2020-01-01\"\"}]\"\n", "第 2 行，列 sanctions[0]"),
    ("id,education\nA,\"[{\"\"level\"\": \"\"master\"\", \"\"graduation_date\"\": \"\"2030-07-01\"\"}]\"\n",
     "第 2 行，列 education[0].graduation_date"),
    ("id,education\nA,\"[{\"\"level\"\": \"\"master\"\", \"\"graduation_date\"\": \"\"2015-07-01\"\", "
     "\"\"colour\"\": 1}]\"\n", "第 2 行，列 education[0].colour"),
])
def test_csv_errors_name_row_and_column(content: str, where: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BatchInputError) as exc:
        read_profiles(path, today=TODAY)
    assert str(path) in str(exc.value)
    assert where in str(exc.value), str(exc.value)


def test_csv_encodings(tmp_path: Path) -> None:
    """Spreadsheets in China save CSV as GB18030 or as UTF-8 with a byte-order mark."""
    path = tmp_path / "p.csv"
    path.write_bytes("id,name,specialty_work_start\n甲,张三,2015-07-15\n".encode("gb18030"))
    assert read_profiles(path, today=TODAY).people.row(0)[:3] == ("甲", "张三", date(2015, 7, 15))
    path.write_bytes("\ufeffid,name\nA,李四\n".encode())
    assert read_profiles(path, today=TODAY).people["id"].to_list() == ["A"]


def test_xlsx_errors_name_sheet_row_and_column(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "profiles"
    ws.append(["id", "specialty_work_start"])
    ws.append(["A", date(2015, 7, 15)])
    ach = wb.create_sheet("achievements")
    ach.append(["person", "kind", "date", "rank"])
    ach.append(["A", "paper", date(2020, 1, 1), 1])
    ach.append(["A", "paper", date(2020, 1, 1), "第一"])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    with pytest.raises(BatchInputError) as exc:
        read_profiles(path, today=TODAY)
    assert "工作表 achievements" in str(exc.value) and "第 3 行，列 rank：应为整数" in str(exc.value), str(exc.value)


def test_frames_layout_is_checked() -> None:
    frames = profiles_to_frames([p for _, _, _, p in generated(5, seed=2)])
    shuffled = batch.ProfileFrames(**{**{n: frames.table(n) for n in ("people", *batch.LIST_FIELDS)},
                                      "annual_assessments": frames.annual_assessments.reverse()})
    if shuffled.annual_assessments["person"].n_unique() > 1:
        with pytest.raises(ValueError, match="按人排序"):
            screen(shuffled, date(2024, 9, 1), "iiot_qd_2023")
    assert screen(batch.make_frames(frames.people, annual_assessments=frames.annual_assessments.reverse(),
                                    **{n: frames.table(n) for n in batch.LIST_FIELDS if n != "annual_assessments"}),
                  date(2024, 9, 1), "iiot_qd_2023").equals(screen(frames, date(2024, 9, 1), "iiot_qd_2023"))


def test_jsonl_errors_use_profile_messages(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"specialty_work_start": "2015-07-15"}\n'
                    '{"education": [{"level": "master", "graduation_date": "2015-07-01"}], "achievements": '
                    '[{"kind": "paper", "date": "2020-01-01", "rank": 0}]}\n', encoding="utf-8")
    with pytest.raises(BatchInputError) as exc:
        read_profiles(path, today=TODAY)
    text = str(exc.value)
    assert "第 2 行" in text and "achievements[0].rank" in text and "不能小于 1" in text, text
    path.write_text('{"education": {"level": "master"}}\n', encoding="utf-8")
    with pytest.raises(BatchInputError, match="第 1 行"):
        read_profiles(path, today=TODAY)
    path.write_text('{"name": "a"}\nnot json\n', encoding="utf-8")
    with pytest.raises(BatchInputError, match="第 2 行"):
        read_profiles(path, today=TODAY)
    path.write_text('{"nmae": "a"}\n', encoding="utf-8")
    with pytest.raises(BatchInputError, match="nmae"):
        read_profiles(path, today=TODAY)


def test_separate_achievements_errors(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("id,specialty_work_start\nA,2015-07-15\n", encoding="utf-8")
    (tmp_path / "p.achievements.csv").write_text("person,kind,date\nA,paper,2020-01-01\nB,paper,2020-01-01\n",
                                                 encoding="utf-8")
    with pytest.raises(BatchInputError) as exc:
        read_profiles(tmp_path / "p.csv", today=TODAY)
    assert "p.achievements.csv" in str(exc.value) and "第 3 行，列 person" in str(exc.value), str(exc.value)


def test_write_result_formats(tmp_path: Path) -> None:
    profiles = [p for _, _, _, p in generated(40, seed=8)]
    result = screen(profiles_to_frames(profiles), date(2024, 9, 1), "general_bj_2020")
    for suffix in (".csv", ".parquet", ".jsonl", ".xlsx"):
        out = tmp_path / f"r{suffix}"
        write_result(result, out)
        assert out.stat().st_size > 0
    back = pl.read_parquet(tmp_path / "r.parquet")
    assert back.equals(result)


# ---------------------------------------------------------------- CLI
def test_cli_screen(tmp_path: Path) -> None:
    app = typer.Typer()
    app.add_typer(batch_app, name="batch")  # as the main CLI mounts it

    def invoke(args: list[str]) -> Any:
        return runner.invoke(app, ["batch", *args])

    profiles = [p for _, _, _, p in generated(60, seed=21)]
    src = tmp_path / "in.jsonl"
    write_profiles(profiles_to_frames(profiles), src)
    out = tmp_path / "out.csv"
    runner = CliRunner()
    res = invoke(["screen", str(src), "--doc", "general_bj_2020", "--level", "senior_engineer",
                  "--as-of", "2024-09-01", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "general_bj_2020" in res.output and "ineligible" in res.output.replace("不符合", "ineligible")
    written = pl.read_csv(out)
    assert written.height == 60
    res = invoke(["screen", str(src), "--as-of", "2024-09-01", "--chunk-size", "25"])
    assert res.exit_code == 0, res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("id,specialty_work_start\nA,2015-13-01\n", encoding="utf-8")
    res = invoke(["screen", str(bad)])
    assert res.exit_code == 2
    assert "第 2 行" in res.output and "specialty_work_start" in res.output
    res = invoke(["screen", str(src), "--doc", "nope"])
    assert res.exit_code == 2 and "未知的标准编号" in res.output
    res = invoke(["screen", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2
    res = invoke(["screen", str(src), "--as-of", "2024-13-01"])
    assert res.exit_code == 2
