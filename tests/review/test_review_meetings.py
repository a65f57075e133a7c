"""Committees, filing, the expert pool, the draw (propose → preview → commit), declarations,
panel scores, interviews — through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from review_world import TODAY, UNIT_A, World, build_world
from sqlalchemy import select

from zhicheng.errors import DomainError
from zhicheng.review import rules
from zhicheng.review import service as rsvc
from zhicheng.store import audit
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, Meeting, MeetingMember, Unit
from zhicheng.store.testing import add_user

D = dt.date


# ------------------------------------------------------------------ committees, filing, experts


def test_committee_minimum_defaults_to_article_9_and_lower_needs_a_basis(world: World) -> None:
    c = world.run(
        world.agency,
        rsvc.register_committee,
        name="系列评委会",
        document_id="general_bj_2020",
        organised_by="series",
        levels=["senior_engineer"],
    )
    assert c.min_members == 25
    c = world.run(
        world.agency,
        rsvc.register_committee,
        name="专业评委会",
        document_id="ai_bj_2020",
        organised_by="specialty",
        levels=["senior_engineer"],
    )
    assert c.min_members == 11 and c.specialty == "人工智能" and c.threshold == "inclusive"
    with pytest.raises(DomainError, match="不少于 11 人"):
        world.run(
            world.agency,
            rsvc.register_committee,
            name="小评委会",
            document_id="ai_bj_2020",
            organised_by="specialty",
            levels=["senior_engineer"],
            min_members=7,
        )
    with pytest.raises(DomainError, match="只有评审服务机构"):
        world.run(
            world.experts[0],
            rsvc.register_committee,
            name="x",
            document_id="ai_bj_2020",
            organised_by="specialty",
            levels=["senior_engineer"],
        )
    with pytest.raises(DomainError, match="未设 chief"):
        world.run(
            world.agency,
            rsvc.register_committee,
            name="y",
            document_id="ai_bj_2020",
            organised_by="specialty",
            levels=["chief"],
        )


def test_filing_at_most_three_years_and_expert_term_at_most_three_years(world: World) -> None:
    with pytest.raises(DomainError, match="不得超过 3 年"):
        world.run(
            world.bureau,
            rsvc.record_filing,
            world.committee_id,
            filed_on=D(2026, 1, 1),
            expires_on=D(2029, 1, 1),
            reference="x号",
        )
    with pytest.raises(DomainError, match="每届任期不得超过 3 年"):
        world.run(
            world.agency,
            rsvc.register_expert,
            user_id=world.experts[0].user_id,
            title="正高级工程师",
            title_grade=5,
            specialty="人工智能",
            unit_name="某院",
            term_start=D(2026, 1, 1),
            term_end=D(2029, 6, 30),
        )
    with pytest.raises(DomainError, match="评审专家（expert）账号"):
        world.run(
            world.agency,
            rsvc.register_expert,
            user_id=world.agency.user_id,
            title="x",
            title_grade=5,
            specialty="x",
            unit_name="x",
            term_start=D(2026, 1, 1),
            term_end=D(2026, 12, 31),
        )


def test_expert_below_the_committee_level_cannot_join_the_pool(world: World) -> None:
    with transaction(world.engine) as s:
        junior = add_user(s, "expert", display_name="中级专家").id
    world.run(
        world.agency,
        rsvc.register_expert,
        user_id=junior,
        title="工程师",
        title_grade=3,
        specialty="人工智能",
        unit_name="某院",
        term_start=D(2026, 1, 1),
        term_end=D(2026, 12, 31),
    )
    with pytest.raises(DomainError, match="职称层级低于"):
        world.run(world.agency, rsvc.add_to_pool, world.committee_id, [junior])


def test_filing_expiry_blocks_meetings(engine) -> None:
    w = build_world(engine)
    # a committee never filed cannot hold a meeting
    unfiled = w.run(
        w.agency,
        rsvc.register_committee,
        name="未备案评委会",
        document_id="ai_bj_2020",
        organised_by="specialty",
        levels=["senior_engineer"],
    )
    with pytest.raises(DomainError, match="尚未核准备案") as exc:
        w.run(w.agency, rsvc.create_meeting, committee_id=unfiled.id, title="会", held_on=TODAY)
    assert exc.value.code == "committee_not_filed"
    # the world's committee is filed 2026-01-01 .. 2028-12-31
    with pytest.raises(DomainError, match="备案有效期已于 2028-12-31 届满"):
        w.run(w.agency, rsvc.create_meeting, committee_id=w.committee_id, title="会", held_on=D(2029, 1, 5))
    # a meeting planned inside a filing cannot open once the filing has run out
    short = w.run(
        w.agency,
        rsvc.register_committee,
        name="短期备案评委会",
        document_id="ai_bj_2020",
        organised_by="specialty",
        levels=["senior_engineer"],
        min_members=5,
        min_members_basis="测试数据：假定省级人社部门同意调整人数",
    )
    w.run(
        w.bureau,
        rsvc.record_filing,
        short.id,
        filed_on=D(2023, 11, 13),
        expires_on=D(2026, 11, 12),
        reference="测试备案〔2023〕9号",
    )
    w.run(w.agency, rsvc.add_to_pool, short.id, [e.user_id for e in w.experts])
    mid = w.run(w.agency, rsvc.create_meeting, committee_id=short.id, title="会", held_on=D(2026, 11, 12)).id
    w.run(w.agency, rsvc.add_to_agenda, mid, w.apps)
    proposal = w.run(w.agency, rsvc.propose_assignment, mid, size=5, panels=[rsvc.PanelRequest("一组", tuple(w.apps))])
    w.run(w.agency, rsvc.commit_assignment, mid, proposal)
    with pytest.raises(DomainError, match="备案有效期已于 2026-11-12 届满"):
        w.run(w.agency, rsvc.open_meeting, mid, today=D(2026, 11, 13))
    # re-filing (重新核准备案) lets it go on
    w.run(
        w.bureau,
        rsvc.record_filing,
        short.id,
        filed_on=D(2026, 11, 13),
        expires_on=D(2029, 11, 12),
        reference="测试备案〔2026〕2号",
    )
    assert w.run(w.agency, rsvc.open_meeting, mid, today=D(2026, 11, 13)).status == "open"


# ------------------------------------------------------------------ the draw


def test_member_count_must_be_odd_and_at_least_the_minimum(world: World) -> None:
    mid = world.meeting()
    world.run(world.agency, rsvc.add_to_agenda, mid, world.apps)
    panels = [rsvc.PanelRequest("一组", tuple(world.apps))]
    with pytest.raises(DomainError, match="单数"):
        world.run(world.agency, rsvc.propose_assignment, mid, size=6, panels=panels)
    with pytest.raises(DomainError, match="不少于 5 人"):
        world.run(world.agency, rsvc.propose_assignment, mid, size=3, panels=panels)
    with pytest.raises(DomainError, match="不足本次会议所需的 9 人"):
        world.run(world.agency, rsvc.propose_assignment, mid, size=9, panels=panels)
    with pytest.raises(DomainError, match="不少于 3 名专家"):
        world.run(
            world.agency, rsvc.propose_assignment, mid, size=5, panels=[rsvc.PanelRequest("一组", tuple(world.apps), 2)]
        )
    with pytest.raises(DomainError, match="未分配评议组"):
        world.run(
            world.agency, rsvc.propose_assignment, mid, size=5, panels=[rsvc.PanelRequest("一组", (world.apps[0],))]
        )
    assert world.run(world.agency, rsvc.propose_assignment, mid, size=5, panels=panels).size == 5


def test_draw_rerun_with_the_same_seed_gives_the_same_experts(engine) -> None:
    w = build_world(engine, experts=15)
    mid = w.meeting()
    w.run(w.agency, rsvc.add_to_agenda, mid, w.apps)
    panels = [rsvc.PanelRequest("一组", (w.apps[0],)), rsvc.PanelRequest("二组", (w.apps[1],))]
    a = w.run(w.agency, rsvc.propose_assignment, mid, size=9, panels=panels, seed="2026-评审-001")
    b = w.run(w.agency, rsvc.propose_assignment, mid, size=9, panels=panels, seed="2026-评审-001")
    assert a == b
    assert set(a.panels[0].expert_ids).isdisjoint(a.panels[1].expert_ids)
    assert all(set(p.expert_ids) <= set(a.members) for p in a.panels)
    others = {
        w.run(w.agency, rsvc.propose_assignment, mid, size=9, panels=panels, seed=f"s{i}").members for i in range(5)
    }
    assert len(others) > 1  # the seed matters
    random_seed = w.run(w.agency, rsvc.propose_assignment, mid, size=9, panels=panels)
    assert len(random_seed.seed) == 32
    # nothing was written by proposing
    with transaction(engine) as s:
        assert s.get(Meeting, mid).status == "draft"
        assert s.scalars(select(MeetingMember).where(MeetingMember.meeting_id == mid)).first() is None
    w.run(w.agency, rsvc.commit_assignment, mid, a)
    check = w.run(w.bureau, rsvc.verify_draw, mid)
    assert check.ok and check.recorded == tuple(sorted(a.members))
    # anyone can re-run it from the record: sha256 ranking of the stored candidates
    with transaction(engine) as s:
        record = s.get(Meeting, mid).draw
    assert rules.draw(record["candidates"], 9, "2026-评审-001") == list(a.members)
    # tampering with the members on record is caught
    with transaction(engine) as s:
        s.delete(s.get(MeetingMember, (mid, a.members[0])))
        outsider = next(e.user_id for e in w.experts if e.user_id not in a.members)
        s.add(MeetingMember(meeting_id=mid, expert_id=outsider))
    assert not w.run(w.agency, rsvc.verify_draw, mid).ok
    with transaction(engine) as s:
        assert audit.verify(s).ok


def test_conflicted_experts_are_excluded_from_the_draw(engine) -> None:
    # expert 0 works at applicant 0's unit; expert 1 co-authored applicant 1's paper
    w = build_world(engine, experts=9, expert_units={0: UNIT_A}, coauthors={1: ["专家 01", "某人"]})
    mid = w.meeting()
    w.run(w.agency, rsvc.add_to_agenda, mid, w.apps)
    panels = [rsvc.PanelRequest("一组", tuple(w.apps))]
    p = w.run(w.agency, rsvc.propose_assignment, mid, size=7, panels=panels, seed="x")
    e0, e1 = w.experts[0].user_id, w.experts[1].user_id
    assert e0 not in p.candidates and e1 not in p.candidates
    assert dict(p.excluded)[e0] == dict(p.excluded)[e1] == "与本次评审对象存在回避关系"
    w.run(w.agency, rsvc.commit_assignment, mid, p)
    views = w.run(w.agency, rsvc.list_conflicts, mid)
    assert {(v.expert_id, v.kind, v.source) for v in views} == {
        (e0, "same_unit", "detected"),
        (e1, "coauthor", "detected"),
    }
    assert next(v for v in views if v.kind == "coauthor").evidence["items"] == [{"achievement": 0, "title": "论文1"}]
    with pytest.raises(DomainError, match="只对评审服务机构和人社局开放"):
        w.run(w.expert(p.members[0]), rsvc.list_conflicts, mid)


def test_commit_rechecks_conflicts_and_refuses_a_stale_preview(world: World) -> None:
    mid = world.meeting()
    world.run(world.agency, rsvc.add_to_agenda, mid, world.apps)
    panels = [rsvc.PanelRequest("一组", tuple(world.apps))]
    p = world.run(world.agency, rsvc.propose_assignment, mid, size=5, panels=panels, seed="s")
    # between preview and commit the agency learns that a drawn expert is the applicant's relative
    world.run(
        world.agency,
        rsvc.record_conflict,
        expert_id=p.members[0],
        application_id=world.apps[0],
        kind="kinship",
        note="申报人之配偶",
    )
    with pytest.raises(DomainError, match="请重新预览") as exc:
        world.run(world.agency, rsvc.commit_assignment, mid, p)
    assert exc.value.status == 409
    p2 = world.run(world.agency, rsvc.propose_assignment, mid, size=5, panels=panels, seed="s")
    assert p.members[0] not in p2.members
    world.run(world.agency, rsvc.commit_assignment, mid, p2)
    with pytest.raises(DomainError, match="专家抽取确认后不能再增加"):
        world.run(world.agency, rsvc.add_to_agenda, mid, world.apps)


def test_dismissal_needs_a_reason_and_sticks(engine) -> None:
    w = build_world(engine, experts=7, coauthors={0: ["专家00"]})
    mid = w.meeting()
    w.run(w.agency, rsvc.add_to_agenda, mid, w.apps)
    found = w.run(w.agency, rsvc.detect_conflicts, mid)
    assert [(c.expert_id, c.kind) for c in found] == [(w.experts[0].user_id, "coauthor")]
    with pytest.raises(DomainError, match="至少 5 个字"):
        w.run(w.agency, rsvc.dismiss_conflict, found[0].id, reason="同名")
    w.run(w.agency, rsvc.dismiss_conflict, found[0].id, reason="同名同姓，经核对身份证号并非同一人")
    assert w.run(w.agency, rsvc.detect_conflicts, mid) == []  # stays dismissed
    p = w.run(w.agency, rsvc.propose_assignment, mid, size=7, panels=[rsvc.PanelRequest("一组", tuple(w.apps))])
    assert w.experts[0].user_id in p.candidates
    [view] = w.run(w.agency, rsvc.list_conflicts, mid)
    assert view.status == "dismissed" and view.dismissed_reason.startswith("同名同姓")


# ------------------------------------------------------------------ declarations and material


def test_experts_declare_before_they_can_open_any_material(world: World) -> None:
    mid = world.meeting()
    world.assign(mid, 5)
    member = world.members(mid)[0]
    outsider = next(e for e in world.experts if e not in world.members(mid))
    sheet = world.run(member, rsvc.declaration_sheet, mid)
    assert [r.application_id for r in sheet] == world.apps
    assert sheet[0].applicant_name == "申报人0" and sheet[0].unit_name
    assert world.run(member, rsvc.agenda, mid) == []
    with pytest.raises(DomainError, match="不存在或无权查看"):
        world.run(member, rsvc.application_material, mid, world.apps[0])
    with pytest.raises(DomainError, match="回避承诺"):
        world.run(member, rsvc.declare, mid, [], confirm=False)
    world.run(member, rsvc.declare, mid, [], confirm=True)
    material = world.run(member, rsvc.application_material, mid, world.apps[0])
    assert material.profile["achievements"][0]["title"] == "论文0"
    # an expert not drawn for the meeting sees nothing of it
    with pytest.raises(DomainError, match="评审会议不存在"):
        world.run(outsider, rsvc.declaration_sheet, mid)
    assert world.run(outsider, rsvc.my_meetings) == []
    [mine] = world.run(member, rsvc.my_meetings)
    assert mine.id == mid and mine.declared is True and mine.checked_in is False


def test_panel_scores_are_independent_until_the_panel_finishes(world: World) -> None:
    mid = world.meeting()
    world.assign(mid, 5, [rsvc.PanelRequest("一组", tuple(world.apps), 3)])
    world.declare_all(mid)
    rows = {m.user_id: world.run(m, rsvc.agenda, mid) for m in world.members(mid)}
    panel = [world.expert(e) for e, r in rows.items() if r[0].on_my_panel]
    voter = next(world.expert(e) for e, r in rows.items() if not r[0].on_my_panel)
    app = world.apps[0]
    assert len(panel) == 3
    with pytest.raises(DomainError, match="不存在或无权查看"):  # not on the panel
        world.run(voter, rsvc.submit_score, mid, app, score=90, opinion="我不是评议组成员，不应能打分")
    with pytest.raises(DomainError, match="0–100"):
        world.run(panel[0], rsvc.submit_score, mid, app, score=101, opinion="分数超出范围的评议意见")
    s = world.run(panel[0], rsvc.submit_score, mid, app, score=90, opinion="创新性强，工程应用效果显著")
    assert (s.submitted, s.complete, s.opinions, s.my_score) == (1, False, (), 90)
    s = world.run(panel[1], rsvc.submit_score, mid, app, score=70, opinion="成果数量达标，影响力一般")
    assert s.opinions == () and s.my_score == 70
    assert world.run(voter, rsvc.panel_summary, mid, app).opinions == ()
    staff = world.run(world.agency, rsvc.panel_summary, mid, app)
    assert staff.submitted == 2 and {o.expert_id for o in staff.opinions} == {panel[0].user_id, panel[1].user_id}
    # a revision with a stale version is refused
    with pytest.raises(DomainError, match="已被修改"):
        world.run(panel[0], rsvc.submit_score, mid, app, score=95, opinion="修改后的评议意见内容", expected_version=0)
    world.run(panel[0], rsvc.submit_score, mid, app, score=95, opinion="修改后的评议意见内容", expected_version=1)
    s = world.run(panel[2], rsvc.submit_score, mid, app, score=86, opinion="综合水平较高，同意推荐")
    assert s.complete and s.average == rsvc.Decimal("83.7")  # (95 + 70 + 86) / 3
    seen = world.run(voter, rsvc.panel_summary, mid, app)
    assert [o.pseudonym for o in seen.opinions] == ["评委A", "评委B", "评委C"]
    assert {o.expert_id for o in seen.opinions} == {None} and sorted(o.score for o in seen.opinions) == [70, 86, 95]


def test_exceptional_route_needs_an_interview_the_committee_sees(engine) -> None:
    w = build_world(engine, apps=1, routes=["exceptional"])
    mid = w.meeting()
    w.assign(mid, 5)
    w.declare_all(mid)
    w.score_all(mid)
    w.open_and_check_in(mid)
    app = w.apps[0]
    with pytest.raises(DomainError, match="破格申报须经面试答辩") as exc:
        w.run(w.agency, rsvc.open_ballot, mid, app)
    assert exc.value.code == "interview_missing"
    members = [m.user_id for m in w.members(mid)]
    with pytest.raises(DomainError, match="不少于 3 人"):
        w.run(
            w.agency,
            rsvc.record_interview,
            mid,
            app,
            held_on=TODAY,
            result="pass",
            summary="答辩表现良好，回答准确",
            examiners=members[:2],
        )
    w.run(
        w.agency,
        rsvc.record_interview,
        mid,
        app,
        held_on=TODAY,
        result="pass",
        summary="答辩表现良好，对工作业绩陈述清楚，回答问题准确",
        examiners=members[:3],
    )
    material = w.run(w.members(mid)[4], rsvc.application_material, mid, app)
    assert material.interview["result"] == "pass" and "examiner_ids" not in material.interview
    assert material.route == "exceptional"
    w.run(w.agency, rsvc.open_ballot, mid, app)


def test_check_in_is_personal_and_only_during_the_meeting(world: World) -> None:
    mid = world.meeting()
    world.assign(mid, 5)
    a, b = world.members(mid)[:2]
    with pytest.raises(DomainError, match="会议尚未开始"):
        world.run(a, rsvc.check_in, mid)
    world.run(world.agency, rsvc.open_meeting, mid)
    with pytest.raises(DomainError, match="不得代签"):
        world.run(a, rsvc.check_in, mid, b.user_id)
    assert world.run(a, rsvc.check_in, mid).checked_in
    assert world.run(world.agency, rsvc.check_in, mid, b.user_id).checked_in


def test_agenda_only_takes_applications_waiting_for_this_committee(world: World) -> None:
    mid = world.meeting()
    with transaction(world.engine) as s:
        s.get(Application, world.apps[1]).state = "agency_review"
    with pytest.raises(DomainError, match="不在评委会评审环节"):
        world.run(world.agency, rsvc.add_to_agenda, mid, world.apps)
    assert world.run(world.agency, rsvc.add_to_agenda, mid, world.apps[:1]) == world.apps[:1]
    other = world.meeting("另一场")
    with pytest.raises(DomainError, match="另一场尚未表决"):
        world.run(world.agency, rsvc.add_to_agenda, other, world.apps[:1])
    with transaction(world.engine) as s:
        assert s.scalar(select(Unit.uscc).where(Unit.uscc == UNIT_A)) == UNIT_A
