"""Recusal everywhere: a conflicted expert sees nothing of that application — not in lists, counts,
averages, exports, logs, material or ballots — whether the conflict was declared, entered by the
agency or only detected from the data.  The rights object is also tested as a matrix."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from review_world import UNIT_B, World, build_world, non_panel_members
from sqlalchemy import Engine

from zhicheng.errors import DomainError
from zhicheng.review import service as rsvc
from zhicheng.review.rights import ReviewRights
from zhicheng.store.db import transaction
from zhicheng.store.models import Application
from zhicheng.workflow.rights import Actor


def _views(w: World, actor: Actor, mid: int) -> dict[str, object]:
    """Everything an expert can ask about a meeting, in one place."""
    return {
        "agenda": [r.application_id for r in w.run(actor, rsvc.agenda, mid)],
        "sheet": [r.application_id for r in w.run(actor, rsvc.declaration_sheet, mid)],
        "summary": w.run(actor, rsvc.meeting_summary, mid),
        "export": {r.application_id for r in w.run(actor, rsvc.export_scores, mid)},
        "log": {line.entity_id for line in w.run(actor, rsvc.meeting_log, mid) if line.entity == "meeting_item"},
    }


def _sees_nothing_of(w: World, actor: Actor, mid: int, app: int) -> None:
    v = _views(w, actor, mid)
    assert app not in v["agenda"]
    assert app not in v["sheet"]
    assert app not in v["export"]
    assert f"{mid}:{app}" not in v["log"]
    for fn in (rsvc.application_material, rsvc.panel_summary):
        with pytest.raises(DomainError, match="申报不存在或无权查看"):
            w.run(actor, fn, mid, app)


@pytest.fixture
def scored(engine: Engine) -> tuple[World, int, dict[int, int]]:
    """9 experts, 3 applications (A: unit A, B: unit B, C: unit A); expert 0 works at unit B and is
    drawn anyway (exclude_conflicted=False) so that the detected conflict is tested on a member."""
    w = build_world(engine, experts=9, apps=3, expert_units={0: UNIT_B})
    mid = w.meeting()
    w.run(w.agency, rsvc.add_to_agenda, mid, w.apps)
    panels = [rsvc.PanelRequest("评议一组", tuple(w.apps))]
    for i in itertools.count():  # the first seed that draws expert 0
        p = w.run(
            w.agency, rsvc.propose_assignment, mid, size=7, panels=panels, seed=f"recusal-{i}", exclude_conflicted=False
        )
        if w.experts[0].user_id in p.members:
            break
    w.run(w.agency, rsvc.commit_assignment, mid, p)
    scores = dict(zip(w.apps, (95, 60, 70), strict=True))
    return w, mid, scores


def test_conflicted_expert_sees_nothing_not_even_counts_or_averages(scored: tuple[World, int, dict[int, int]]) -> None:
    w, mid, scores = scored
    a, b, c = w.apps
    # X (a member off A's panel) declares a kinship with A; Z has no conflict at all
    x = next(m for m in non_panel_members(w, mid, a) if m.user_id != w.experts[0].user_id)
    z = next(m for m in w.members(mid) if m != x and m.user_id != w.experts[0].user_id)
    w.declare_all(mid, {x.user_id: [rsvc.ConflictClaim(a, "kinship", "申报人系本人配偶之弟")]})
    w.score_all(mid, scores)

    _sees_nothing_of(w, x, mid, a)
    seen_by_x, seen_by_z = _views(w, x, mid), _views(w, z, mid)
    assert seen_by_x["agenda"] == [b, c] and seen_by_z["agenda"] == [a, b, c]
    sx, sz = seen_by_x["summary"], seen_by_z["summary"]
    assert (sx.items, sx.panels_complete, sx.scores, sx.average_score) == (2, 2, 6, Decimal("65.0"))
    assert (sz.items, sz.panels_complete, sz.scores, sz.average_score) == (3, 3, 9, Decimal("75.0"))
    # the same holds during and after the vote
    w.open_and_check_in(mid)
    opened = w.run(w.agency, rsvc.open_ballot, mid, a)
    assert opened.recused == 1
    with pytest.raises(DomainError, match="申报不存在或无权查看"):
        w.run(x, rsvc.cast_ballot, mid, a, "no")
    for m in w.members(mid):
        if m != x:
            w.run(m, rsvc.cast_ballot, mid, a, "yes")
    w.run(w.agency, rsvc.close_ballot, mid, a)
    _sees_nothing_of(w, x, mid, a)
    sx = w.run(x, rsvc.meeting_summary, mid)
    assert (sx.items, sx.decided, sx.passed) == (2, 0, 0)
    assert w.run(z, rsvc.meeting_summary, mid).passed == 1
    # staff see everything, identities included
    staff = _views(w, w.agency, mid)
    assert staff["agenda"] == [a, b, c] and f"{mid}:{a}" in staff["log"]
    assert all(r.expert_id is not None for r in w.run(w.agency, rsvc.export_scores, mid))
    assert all(r.expert_id is None for r in w.run(z, rsvc.export_scores, mid))
    assert all(line.actor_id is None for line in w.run(z, rsvc.meeting_log, mid))


def test_detected_conflict_hides_the_application_without_any_declaration(
    scored: tuple[World, int, dict[int, int]],
) -> None:
    w, mid, scores = scored
    _, b, c = w.apps
    y = w.experts[0]  # same unit (统一社会信用代码) as applicant B
    assert y in w.members(mid)
    w.declare_all(mid)  # Y declares nothing
    w.score_all(mid, scores)
    _sees_nothing_of(w, y, mid, b)
    assert w.run(y, rsvc.meeting_summary, mid).items == 2
    # a co-authorship appearing in C's material hides C at once, before anything is stored
    z = next(m for m in w.members(mid) if m != y)
    assert c in _views(w, z, mid)["agenda"]
    with transaction(w.engine) as s:
        app = s.get(Application, c)
        profile = dict(app.profile)
        profile["achievements"] = [{**profile["achievements"][0], "coauthors": ["某人", w.names[z.user_id]]}]
        app.profile = profile
    _sees_nothing_of(w, z, mid, c)
    assert w.run(z, rsvc.meeting_summary, mid).average_score == Decimal("77.5")  # (95*3 + 60*3) / 6


def test_agency_conflict_and_dismissal_switch_visibility(scored: tuple[World, int, dict[int, int]]) -> None:
    w, mid, _ = scored
    a = w.apps[0]
    w.declare_all(mid)
    z = next(m for m in w.members(mid) if m.user_id != w.experts[0].user_id)
    assert a in _views(w, z, mid)["agenda"]
    row = w.run(
        w.agency,
        rsvc.record_conflict,
        expert_id=z.user_id,
        application_id=a,
        kind="other",
        note="举报反映与申报人有利益往来",
    )
    _sees_nothing_of(w, z, mid, a)
    w.run(w.agency, rsvc.dismiss_conflict, row.id, reason="经核查举报不实，不构成回避情形")
    assert a in _views(w, z, mid)["agenda"]


# ------------------------------------------------------------------ the rights object as a matrix

APP, OTHER = 1, 2


@pytest.mark.parametrize(
    ("role", "member", "declared", "conflicted"),
    list(
        itertools.product(
            ["expert", "agency", "bureau", "applicant", "unit"], [False, True], [False, True], [False, True]
        )
    ),
)
def test_rights_matrix(role: str, member: bool, declared: bool, conflicted: bool) -> None:
    r = ReviewRights(
        Actor(user_id=9, role=role),
        meeting_id=1,
        agenda=frozenset({APP, OTHER}),
        member=member,
        checked_in=member,
        declared=declared,
        panel_apps=frozenset({APP}),
        conflicted=frozenset({APP}) if conflicted else frozenset(),
    )
    staff = role in ("agency", "bureau")
    expert_member = role == "expert" and member
    assert r.can_see_meeting() is (staff or expert_member)
    sees = staff or (expert_member and declared and not conflicted)
    assert r.can_see_application(APP) is sees
    assert r.can_see_application(3) is False  # never off the agenda
    assert r.visible([APP, OTHER, 3]) == [a for a in (APP, OTHER) if r.can_see_application(a)]
    assert r.can_see_declaration_row(APP) is (staff or (expert_member and not conflicted))
    assert r.can_score(APP) is (role == "expert" and sees)
    assert r.can_score(OTHER) is False  # not on that panel
    assert r.can_vote(APP) is (role == "expert" and sees)
    assert r.can_see_panel_scores(APP, panel_complete=False) is (staff and sees)
    assert r.can_see_panel_scores(APP, panel_complete=True) is sees
    assert r.can_manage() is (role == "agency")
    assert r.sees_identities() is staff
    assert r.can_read_minutes() is staff and r.can_list_conflicts() is staff
