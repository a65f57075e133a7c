"""Pure review rules, table-driven: threshold (I-17), quorum, recused in the denominator (I-18),
committee size (第九条), filing and term periods (第八条、第十条), the seeded draw, detection."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from zhicheng.review import rules
from zhicheng.review.rules import (
    ApplicationFacts,
    ExpertFacts,
    Organisation,
    Threshold,
    detect_conflicts,
    draw,
    filing_problems,
    member_count_problems,
    min_attending,
    min_yes_to_pass,
    normalise_name,
    passes,
    present_for_item,
    quorum_met,
    statutory_minimum,
    term_problems,
)
from zhicheng.store import models

D = dt.date

# (present, yes, passes inclusive, passes exclusive)
THRESHOLD_TABLE = [
    (15, 10, True, False),  # exactly two thirds: “2/3以上” includes it, “三分之二（不含）以上” does not
    (15, 11, True, True),
    (15, 9, False, False),
    (17, 12, True, True),  # 2/3 of 17 is 11.33…
    (17, 11, False, False),
    (3, 2, True, False),
    (3, 3, True, True),
    (9, 6, True, False),
    (9, 7, True, True),
    (25, 17, True, True),  # 16.67
    (25, 16, False, False),
    (11, 8, True, True),  # 7.33
    (11, 7, False, False),
    (1, 1, True, True),
    (1, 0, False, False),
    (0, 0, False, False),  # nobody present passes nobody
]


@pytest.mark.parametrize(("present", "yes", "inclusive", "exclusive"), THRESHOLD_TABLE)
def test_threshold_table(present: int, yes: int, inclusive: bool, exclusive: bool) -> None:
    assert passes(yes, present, Threshold.INCLUSIVE) is inclusive
    assert passes(yes, present, "exclusive") is exclusive


@pytest.mark.parametrize("present", range(1, 61))
@pytest.mark.parametrize("rule", list(Threshold))
def test_min_yes_is_the_exact_boundary(present: int, rule: Threshold) -> None:
    m = min_yes_to_pass(present, rule)
    assert passes(m, present, rule)
    assert not passes(m - 1, present, rule) if m > 0 else True


def test_threshold_uses_integers_not_floats() -> None:
    # 2/3 as a float is 0.666…; yes/present == 2/3 exactly must follow the rule, for any size
    for present in range(3, 3000, 3):
        yes = 2 * present // 3
        assert passes(yes, present, "inclusive") and not passes(yes, present, "exclusive")


@pytest.mark.parametrize(("yes", "present"), [(-1, 3), (4, 3), (1, -1)])
def test_threshold_refuses_impossible_counts(yes: int, present: int) -> None:
    with pytest.raises(ValueError, match="票数不合理"):
        passes(yes, present, "inclusive")


# (attending, members, quorum)
QUORUM_TABLE = [
    (17, 25, True),  # 3*17 = 51 >= 50
    (16, 25, False),
    (8, 11, True),  # 24 >= 22
    (7, 11, False),  # 21 < 22
    (10, 15, True),
    (9, 15, False),
    (2, 3, True),
    (1, 3, False),
    (0, 0, False),
]


@pytest.mark.parametrize(("attending", "members", "ok"), QUORUM_TABLE)
def test_quorum_table(attending: int, members: int, ok: bool) -> None:
    assert quorum_met(attending, members) is ok
    if members:
        assert quorum_met(min_attending(members), members)
        assert not quorum_met(min_attending(members) - 1, members)


# (attending, recused, counted as present, present)
PRESENT_TABLE = [
    (15, 1, False, 14),  # I-18 default: a recused expert is not present for that applicant
    (15, 1, True, 15),
    (15, 0, False, 15),
    (11, 3, False, 8),
]


@pytest.mark.parametrize(("attending", "recused", "counted", "present"), PRESENT_TABLE)
def test_present_for_item(attending: int, recused: int, counted: bool, present: int) -> None:
    assert present_for_item(attending, recused, counted) == present


def test_recused_in_the_denominator_can_decide_the_result() -> None:
    # 15 attend, 1 recuses, 10 of the other 14 approve, Qingdao rule
    assert passes(10, present_for_item(15, 1, False), "exclusive")  # 30 > 28
    assert not passes(10, present_for_item(15, 1, True), "exclusive")  # 30 > 30 is false


# (count, minimum, problems mentioning)
SIZE_TABLE = [
    (25, 25, []),
    (27, 25, []),
    (24, 25, ["单数", "不少于 25 人"]),
    (26, 25, ["单数"]),
    (23, 25, ["不少于 25 人"]),
    (11, 11, []),
    (12, 11, ["单数"]),
    (9, 11, ["不少于 11 人"]),
]


@pytest.mark.parametrize(("count", "minimum", "expected"), SIZE_TABLE)
def test_member_count(count: int, minimum: int, expected: list[str]) -> None:
    problems = member_count_problems(count, minimum)
    assert len(problems) == len(expected)
    for fragment, problem in zip(expected, problems, strict=True):
        assert fragment in problem


@pytest.mark.parametrize(
    ("organisation", "levels", "minimum"),
    [
        ("series", ["senior_engineer"], 25),
        ("specialty", ["senior_engineer", "professorate_senior_engineer"], 11),
        ("series", ["professorate_senior_engineer"], 25),
        ("specialty", ["engineer"], None),  # 第九条 sets no minimum below senior
    ],
)
def test_statutory_minimum(organisation: str, levels: list[str], minimum: int | None) -> None:
    assert statutory_minimum(organisation, levels) == minimum


# (start, end, ok)
PERIOD_TABLE = [
    (D(2026, 1, 1), D(2028, 12, 31), True),  # exactly three years
    (D(2026, 1, 1), D(2029, 1, 1), False),
    (D(2024, 2, 29), D(2027, 2, 28), True),  # anniversary of 29 Feb is 1 March (I-12)
    (D(2024, 2, 29), D(2027, 3, 1), False),
    (D(2026, 6, 1), D(2026, 5, 31), False),
]


@pytest.mark.parametrize(("start", "end", "ok"), PERIOD_TABLE)
def test_filing_and_term_at_most_three_years(start: dt.date, end: dt.date, ok: bool) -> None:
    assert (filing_problems(start, end) == []) is ok
    assert (term_problems(start, end) == []) is ok


def test_draw_is_reproducible_and_order_independent() -> None:
    pool = list(range(100, 140))
    first = draw(pool, 11, "seed-2026")
    assert draw(list(reversed(pool)), 11, "seed-2026") == first
    assert draw(pool, 11, "seed-2026") == first
    assert len(set(first)) == 11 and set(first) <= set(pool)
    assert draw(pool, 11, "seed-2027") != first
    assert draw(pool, 11, "seed-2026", "panel:A") != first
    # adding a candidate never reorders the others: the draw is a ranking by key
    assert [e for e in draw([*pool, 999], 41, "s") if e != 999] == draw(pool, 40, "s")


def test_draw_key_is_plain_sha256() -> None:
    import hashlib

    assert rules.draw_key("s", "members", 7) == hashlib.sha256(b"s|members|7").hexdigest()


def test_draw_is_roughly_uniform() -> None:
    counts = dict.fromkeys(range(10), 0)
    for i in range(2000):
        for e in draw(range(10), 3, f"seed-{i}"):
            counts[e] += 1
    assert all(500 <= c <= 700 for c in counts.values()), counts  # expected 600 each


def test_draw_refuses_too_few() -> None:
    with pytest.raises(ValueError, match="不足"):
        draw([1, 2], 3, "s")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("张三", " 张 三 ", True),
        ("买买提·艾力", "买买提艾力", True),
        ("Li Ming", "li  ming", True),
        ("ＬＩ　ＭＩＮＧ", "Li Ming", True),  # full-width
        ("张三", "张山", False),
    ],
)
def test_normalise_name(a: str, b: str, same: bool) -> None:
    assert (normalise_name(a) == normalise_name(b)) is same


def test_detect_conflicts_same_unit_and_coauthor() -> None:
    experts = [
        ExpertFacts(1, "王专家", "91110000MA00000001"),
        ExpertFacts(2, "李 专家", None),
        ExpertFacts(3, "赵专家", "91110000MA00000009"),
    ]
    apps = [
        ApplicationFacts(10, "91110000ma00000001", ((0, "论文一", ["李专家", "某人"]), (2, "专利", ["李专家"]))),
        ApplicationFacts(11, None, ((0, "论文二", ["钱某"]),)),
    ]
    found = {(c.expert_id, c.application_id, c.kind): c.evidence for c in detect_conflicts(experts, apps)}
    assert set(found) == {(1, 10, "same_unit"), (2, 10, "coauthor")}
    assert found[(2, 10, "coauthor")]["items"] == [
        {"achievement": 0, "title": "论文一"},
        {"achievement": 2, "title": "专利"},
    ]


def test_enums_match_the_stored_values() -> None:
    assert {t.value for t in Threshold} == {t.value for t in models.ThresholdRule}
    assert {o.value for o in Organisation} == {o.value for o in models.CommitteeOrganisation}


def test_every_threshold_pair_is_consistent() -> None:
    # exclusive never passes what inclusive refuses
    for present, yes in itertools.product(range(0, 40), repeat=2):
        if yes <= present and passes(yes, present, "exclusive"):
            assert passes(yes, present, "inclusive")
