"""评审专家 pages over HTTP on SQLite and PostgreSQL: only experts, only their meetings; the declaration
comes before any material; a conflicted application is absent everywhere; scores; the secret ballot cast
through the form is counted and the stored ballot names no voter; CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select
from staff_world import TODAY, Review, World, assigned_meeting, location, make_world, review_world, run

from zhicheng.review import service as rsvc
from zhicheng.store.db import transaction
from zhicheng.store.models import AuditEntry, Ballot, ConflictDeclaration, PanelScore


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    w = make_world(engine, tmp_path, TODAY)
    yield w
    w.close()


@pytest.fixture
def review(world: World) -> Review:
    r = review_world(world, experts=5, apps=2)
    assigned_meeting(r, size=5)
    return r


def test_pages_are_for_experts_and_their_own_meetings(world: World, review: Review) -> None:
    expert = world.browser(review.experts[0])
    r = expert.get("/work/expert")
    assert r.status_code == 200 and "2026年度评审会议" in r.text and "待申报" in r.text
    assert world.browser(review.agency).get("/work/expert").status_code == 403
    r = world.browser().get(f"/work/expert/meetings/{review.meeting_id}")
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=/work/expert/meetings/{review.meeting_id}"
    outsider = world.browser(world.user("expert"))  # an expert not drawn for the meeting
    assert "2026年度评审会议" not in outsider.get("/work/expert").text
    assert outsider.get(f"/work/expert/meetings/{review.meeting_id}").status_code == 404
    assert outsider.get(f"/work/expert/meetings/{review.meeting_id}/applications/{review.apps[0]}").status_code == 404


def test_declaration_comes_before_any_material(world: World, review: Review) -> None:
    mid, app0 = review.meeting_id, review.apps[0]
    expert = world.browser(review.experts[0])
    page = f"/work/expert/meetings/{mid}"
    text = expert.get(page).text
    assert "回避申报" in text and "申报人0" in text and "论文1" not in text  # names to declare, no material
    assert expert.get(f"{page}/applications/{app0}").status_code == 404
    r = expert.post(f"{page}/declare", {})
    assert r.status_code == 422 and "须确认回避承诺" in r.text
    r = expert.post(f"{page}/declare", {"confirm": "1"})
    assert location(r) == f"{page}?ok=declared"
    r = expert.get(f"{page}/applications/{app0}")
    assert r.status_code == 200 and "论文1" in r.text and "评议" in r.text


def test_a_conflicted_expert_sees_nothing_of_that_application(world: World, review: Review) -> None:
    mid, (app0, app1) = review.meeting_id, review.apps
    expert = world.browser(review.experts[1])
    page = f"/work/expert/meetings/{mid}"
    expert.get(page)
    r = expert.post(f"{page}/declare", {"confirm": "1", f"kind_{app0}": "kinship", f"note_{app0}": "配偶的兄弟"})
    assert location(r) == f"{page}?ok=declared"
    text = expert.get(page).text
    assert "申报人1" in text and "申报人0" not in text  # absent from the agenda
    assert "评审对象（1 人）" in text  # and from the counts
    assert expert.get(f"{page}/applications/{app0}").status_code == 404
    assert expert.get(f"{page}/applications/{app0}/files/0").status_code == 404
    r = expert.post(f"{page}/applications/{app0}/score", {"score": "90", "opinion": "业绩突出，材料完整，建议通过"})
    assert r.status_code == 404
    with transaction(world.engine, readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(PanelScore)) == 0
    r = expert.get(f"{page}/applications/{app1}")
    assert r.status_code == 200 and "申报人0" not in r.text


def test_score_and_opinion_through_the_form(world: World, review: Review) -> None:
    mid = review.meeting_id
    for m in review.members():
        run(world, m, rsvc.declare, mid, [], confirm=True)
    panel_expert = next(m for m in review.members() if run(world, m, rsvc.agenda, mid)[0].on_my_panel)
    expert = world.browser(panel_expert)
    page = f"/work/expert/meetings/{mid}/applications/{review.apps[0]}"
    text = expert.get(page).text
    assert "我的评分与书面评议意见" in text
    r = expert.post(f"{page}/score", {"score": "101", "opinion": "太短"})
    assert r.status_code == 422 and "评分应为 0–100 的整数" in r.text
    r = expert.post(f"{page}/score", {"score": "88", "opinion": "创新性强，<b>应用效果</b>显著，建议通过"})
    assert location(r) == f"{page}?ok=scored"
    text = expert.get(page).text
    assert 'value="88"' in text and "修改评议" in text
    with transaction(world.engine, readonly=True) as s:
        row = s.get(PanelScore, (mid, review.apps[0], panel_expert.id))
        assert row is not None and row.score == 88


def _ready_to_vote(world: World, review: Review) -> list[int]:
    mid = review.meeting_id
    members = review.members()
    for m in members:
        run(world, m, rsvc.declare, mid, [], confirm=True)
    for m in members:
        for row in run(world, m, rsvc.agenda, mid):
            if row.on_my_panel:
                run(
                    world,
                    m,
                    rsvc.submit_score,
                    mid,
                    row.application_id,
                    score=80,
                    opinion="业绩突出，材料完整，建议通过",
                )
    run(world, review.agency, rsvc.open_meeting, mid)
    return [m.id for m in members]


def test_secret_ballot_through_the_form(world: World, review: Review) -> None:
    mid, app0 = review.meeting_id, review.apps[0]
    _ready_to_vote(world, review)
    browsers = {m.id: world.browser(m) for m in review.members()}
    meeting_page = f"/work/expert/meetings/{mid}"
    for b in browsers.values():  # each checks in on their own page
        b.get(meeting_page)
        assert location(b.post(f"{meeting_page}/check-in", {})) == f"{meeting_page}?ok=checked_in"
    run(world, review.agency, rsvc.open_ballot, mid, app0)
    page = f"{meeting_page}/applications/{app0}"
    choices = ["yes", "yes", "no", "abstain", "yes"]
    first = next(iter(browsers.values()))
    assert first.post(f"{page}/ballot", {"choice": "yes"}, csrf=False).status_code == 403  # CSRF missing
    for b, choice in zip(browsers.values(), choices, strict=True):
        text = b.get(page).text
        assert "无记名投票" in text and 'name="choice"' in text
        r = b.post(f"{page}/ballot", {"choice": choice})
        assert location(r) == f"{page}?ok=voted"  # the redirect names no choice
        text = b.get(location(r)).text
        assert "已投入票箱并计入" in text and "已投票" in text
        assert 'name="choice"' not in text and "checked" not in text  # no way to see or change the vote
    r = first.post(f"{page}/ballot", {"choice": "no"})
    assert r.status_code == 409 and "每人只能投一票" in r.text
    with transaction(world.engine, readonly=True) as s:
        columns = {c["name"] for c in inspect(s.connection()).get_columns("ballots")}
        assert columns == {"id", "meeting_id", "application_id", "choice"}  # no voter, no time
        stored = sorted(s.scalars(select(Ballot.choice).where(Ballot.application_id == app0)))
        assert stored == sorted(choices)
        cast_lines = s.scalars(select(AuditEntry).where(AuditEntry.action == "cast_ballot")).all()
        assert len(cast_lines) == 5 and all(e.payload is None for e in cast_lines)
    tally = run(world, review.agency, rsvc.close_ballot, mid, app0)
    assert (tally.yes, tally.no, tally.abstain) == (3, 1, 1)
    text = first.get(page).text
    assert "表决已结束" in text and "您的选票已计入" in text


def test_voting_needs_a_check_in(world: World, review: Review) -> None:
    mid, app0 = review.meeting_id, review.apps[0]
    ids = _ready_to_vote(world, review)
    late = next(m for m in review.members() if m.id == ids[-1])
    for m in review.members():
        if m.id != late.id:
            run(world, m, rsvc.check_in, mid)
    run(world, review.agency, rsvc.open_ballot, mid, app0)
    b = world.browser(late)
    page = f"/work/expert/meetings/{mid}/applications/{app0}"
    text = b.get(page).text
    assert "不能参加本次投票" in text and 'name="choice"' not in text
    r = b.post(f"{page}/ballot", {"choice": "yes"})
    assert r.status_code == 403 and "未签到" in r.text
    with transaction(world.engine, readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Ballot)) == 0
        assert s.scalar(select(func.count()).select_from(ConflictDeclaration)) == 5
