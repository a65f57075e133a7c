"""Properties of the engine over generated profiles (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhicheng.policy.catalog import default_catalog
from zhicheng.policy.engine import add_years, evaluate, evaluate_all, full_years
from zhicheng.policy.profile import Achievement, AchievementKind, Profile, Role
from zhicheng.policy.verdict import verdict_from_json, verdict_to_json

AS_OF = date(2024, 9, 1)
RANK = {"ineligible": 0, "needs_review": 1, "eligible": 2, "not_in_force": -1}
CAT = default_catalog()
DIRECTIONS = [d.id for doc in CAT.documents.values() for d in doc.directions]
TARGETS = [(doc.id, lv.id) for doc in CAT.documents.values() for lv in doc.levels]

dates = st.dates(min_value=date(1995, 1, 1), max_value=AS_OF)
achievement = st.builds(
    Achievement,
    kind=st.sampled_from(list(AchievementKind)),
    date=dates,
    role=st.none() | st.sampled_from(list(Role)),
    rank=st.none() | st.integers(1, 6),
    level=st.none() | st.integers(1, 6),
    grade=st.none() | st.integers(1, 3),
    venue=st.none() | st.sampled_from(["public_journal", "core_journal", "indexed"]),
    standard_level=st.none() | st.integers(1, 6),
    granted=st.none() | st.booleans(),
    accepted=st.none() | st.booleans(),
    in_production=st.none() | st.booleans(),
    count=st.integers(1, 3),
    used_before=st.booleans(),
)


@st.composite
def profiles(draw):
    grad = draw(dates)
    data = {
        "education": [
            {
                "level": draw(
                    st.sampled_from(
                        [
                            "secondary_vocational",
                            "technical_school_advanced",
                            "junior_college",
                            "bachelor",
                            "master",
                            "doctor",
                        ]
                    )
                ),
                "graduation_date": grad,
                "engineering_professional_degree": draw(st.booleans()),
            }
        ],
        "specialty_work_start": draw(st.dates(min_value=grad, max_value=AS_OF)),
        "titles": [
            {
                "grade": draw(st.integers(1, 5)),
                "series": draw(st.sampled_from(["engineering", "economics"])),
                "obtained": draw(dates),
            }
            for _ in range(draw(st.integers(0, 2)))
        ],
        "annual_assessments": [
            {"year": y, "result": draw(st.sampled_from(["excellent", "competent", "incompetent"]))}
            for y in range(2016, 2024)
            if draw(st.booleans())
        ],
        "directions": draw(st.lists(st.sampled_from(DIRECTIONS), max_size=3, unique=True)),
        "achievements": draw(st.lists(achievement, max_size=6)),
    }
    return Profile.model_validate(data, context={"today": AS_OF})


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(profiles(), st.sampled_from(TARGETS))
def test_deterministic_and_json_round_trip(p, target):
    a = evaluate(p, *target, AS_OF)
    b = evaluate(p, *target, AS_OF)
    assert a == b
    assert verdict_from_json(verdict_to_json(a)) == a


@SETTINGS
@given(profiles(), st.sampled_from(TARGETS), achievement)
def test_one_more_achievement_never_hurts(p, target, extra):
    before = evaluate(p, *target, AS_OF)
    after = evaluate(p.model_copy(update={"achievements": [*p.achievements, extra]}), *target, AS_OF)
    assert RANK[after.status] >= RANK[before.status]


@SETTINGS
@given(profiles(), st.sampled_from(TARGETS))
def test_one_more_year_never_hurts(p, target):
    """A year later, with the new year's assessment 合格, the verdict is never worse."""
    later = date(AS_OF.year + 1, AS_OF.month, AS_OF.day)
    before = evaluate(p, *target, AS_OF)
    assessed = [
        *p.annual_assessments,
        *[{"year": y, "result": "competent"} for y in (AS_OF.year,) if y not in {a.year for a in p.annual_assessments}],
    ]
    q = Profile.model_validate({**p.model_dump(), "annual_assessments": assessed}, context={"today": later})
    after = evaluate(q, *target, later)
    if after.status != "not_in_force":
        assert RANK[after.status] >= RANK[before.status]


@SETTINGS
@given(profiles(), st.sampled_from(TARGETS))
def test_eligible_from_is_honest(p, target):
    """If the engine promises a date, the same profile on that date is no longer ineligible."""
    v = evaluate(p, *target, AS_OF)
    if v.status == "ineligible" and v.eligible_from is not None:
        assessed = [
            *p.annual_assessments,
            *[
                {"year": y, "result": "competent"}
                for y in range(AS_OF.year, v.eligible_from.year)
                if y not in {a.year for a in p.annual_assessments}
            ],
        ]
        q = Profile.model_validate(
            {**p.model_dump(), "annual_assessments": assessed}, context={"today": v.eligible_from}
        )
        assert evaluate(q, *target, v.eligible_from).status != "ineligible"
        if v.eligible_from > AS_OF:
            day_before = v.eligible_from - timedelta(days=1)
            assert evaluate(q, *target, day_before).status in ("ineligible", "not_in_force") or day_before < AS_OF


def test_full_years_anniversary_rule():
    assert full_years(date(2019, 7, 1), date(2024, 6, 30)) == 4
    assert full_years(date(2019, 7, 1), date(2024, 7, 1)) == 5
    assert add_years(date(2020, 2, 29), 1) == date(2021, 3, 1)
    assert add_years(date(2020, 2, 29), 4) == date(2024, 2, 29)
    assert full_years(date(2020, 2, 29), date(2021, 2, 28)) == 0
    assert full_years(date(2020, 2, 29), date(2021, 3, 1)) == 1


@given(st.dates(date(1950, 1, 1), date(2090, 12, 31)), st.dates(date(1950, 1, 1), date(2090, 12, 31)))
def test_full_years_is_the_last_anniversary_reached(start, end):
    """full_years compares (month, day); by definition it is the largest n with add_years(start, n) <= end."""
    n = full_years(start, end)
    if end < start:
        assert n == 0
    else:
        assert add_years(start, n) <= end < add_years(start, n + 1)


def test_what_can_i_apply_for_covers_every_level_in_force():
    p = Profile()
    got = {(v.document, v.level) for v in evaluate_all(p, AS_OF)}
    want = {(d.id, lv.id) for d in CAT.in_force(AS_OF) for lv in d.levels}
    assert got == want
