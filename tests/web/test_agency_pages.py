"""评审服务机构 pages over HTTP on SQLite and PostgreSQL: who may open them, a round opened, an application
reviewed (verdict beside the materials, one-time correction notice, acceptance with judgements), a meeting
run through the forms, conflicts dismissed with a reason, objections decided; CSRF and escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from staff_world import PDF, TODAY, World, add_application, assigned_meeting, location, make_world, review_world, run

from zhicheng.review import service as rsvc
from zhicheng.store.db import transaction
from zhicheng.store.files import record_file
from zhicheng.store.models import (
    Application,
    ApplicationEvidence,
    Conflict,
    CorrectionNotice,
    Meeting,
    MeetingItem,
    NoticeEntry,
    Objection,
    PublicNotice,
    Round,
)
from zhicheng.workflow import service as wsvc

PAGES = ["", "/rounds", "/queue", "/committees", "/experts", "/meetings", "/notices", "/objections"]


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    w = make_world(engine, tmp_path, TODAY)
    yield w
    w.close()


def test_pages_are_for_the_agency_only(world: World) -> None:
    agency = world.browser(world.user("agency"))
    expert = world.browser(world.user("expert"))
    anonymous = world.browser()
    for page in PAGES:
        r = agency.get(f"/work/agency{page}")
        assert r.status_code == 200, (page, r.text[:500])
        assert 'aria-current="page"' in r.text
        assert expert.get(f"/work/agency{page}").status_code == 403
        r = anonymous.get(f"/work/agency{page}")
        assert r.status_code == 303 and r.headers["location"] == f"/login?next=/work/agency{page}"
    r = anonymous.post("/work/agency/rounds", {"title": "x"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_open_round_through_the_form(world: World) -> None:
    agency = world.browser(world.user("agency"))
    form = {
        "title": "2026年度<b>人工智能</b>职称评审",
        "document_id": "ai_bj_2020",
        "kind": "annual",
        "year": "2026",
        "window_start": "2026-12-01",
        "window_end": "2026-11-30",
    }
    assert agency.post("/work/agency/rounds", form, csrf=False).status_code == 403  # no CSRF token
    agency.get("/work/agency/rounds")
    r = agency.post("/work/agency/rounds", form)
    assert r.status_code == 422
    assert "至少选择一个层级" in r.text and "申报截止日早于开始日" in r.text
    assert "2026年度&lt;b&gt;人工智能&lt;/b&gt;职称评审" in r.text and "<b>人工智能" not in r.text  # kept, escaped
    with transaction(world.engine, readonly=True) as s:
        assert s.scalar(select(Round.id)) is None  # the refusal wrote nothing
    r = agency.post(
        "/work/agency/rounds", {**form, "window_end": "2026-12-20", "levels": ["engineer", "senior_engineer"]}
    )
    assert location(r) == "/work/agency/rounds?ok=round_opened"
    page = agency.get(location(r)).text
    assert "评审轮次已发布" in page and "2026-12-01 至 2026-12-20" in page
    with transaction(world.engine, readonly=True) as s:
        rnd = s.scalars(select(Round)).one()
        assert rnd.levels == ["engineer", "senior_engineer"] and rnd.status == "open"


def _with_evidence(world: World, app_id: int) -> int:
    stored = world.app.state.runtime.evidence.put(PDF, "学位证书.pdf")
    with transaction(world.engine) as s:
        record_file(s, stored.sha256, len(PDF), stored.media_type)
        ev = ApplicationEvidence(
            application_id=app_id, sha256=stored.sha256, filename="学位证书.pdf", achievement_index=0
        )
        s.add(ev)
        s.flush()
        return ev.id


def test_review_page_shows_the_verdict_beside_the_materials(world: World) -> None:
    agency_user = world.user("agency")
    agency = world.browser(agency_user)
    applicant = world.user("applicant", display_name="<script>alert(1)</script>")
    app_id = add_application(world, applicant, world.round(), "agency_review")
    ev_id = _with_evidence(world, app_id)
    r = agency.get("/work/agency/queue")
    assert f'href="/work/agency/applications/{app_id}"' in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text and "<script>alert(1)" not in r.text
    r = agency.get(f"/work/agency/applications/{app_id}")
    assert r.status_code == 200
    text = r.text
    assert "机器可判条件均满足，尚需人工判断" in text  # the engine's status
    assert "须人工判断" in text and "京人社" in text  # review items with their citations
    assert "学位证书.pdf" in text and "论文1" in text  # the materials beside it
    assert "专业方向：人工智能研究" in text  # the direction by its name, not its id
    with transaction(world.engine, readonly=True) as s:
        due = wsvc.workday(wsvc.Context(s, wsvc.SYSTEM, TODAY), lambda cal: cal.add_workdays(TODAY, 10))
    assert f"补正截止日：<strong>{due.isoformat()}</strong>" in text
    r = agency.get(f"/work/agency/applications/{app_id}/evidence/{ev_id}")
    assert r.status_code == 200 and r.content == PDF and "attachment" in r.headers["content-disposition"]
    r = agency.get("/work/agency/workdays?workdays=10", headers={"hx-request": "true"})
    assert due.isoformat() in r.text
    assert "1至30" in agency.get("/work/agency/workdays?workdays=31").text


def test_committee_step_offers_no_hand_made_result(world: World) -> None:
    """The committee's result comes only from the sealed ballot: no 表决通过/未通过 buttons (they would 409),
    a pointer to the meetings instead; the API's allowed_actions agree."""
    agency_user = world.user("agency")
    agency = world.browser(agency_user)
    app_id = add_application(world, world.user("applicant"), world.round(), "committee")
    r = agency.get(f"/work/agency/applications/{app_id}")
    assert r.status_code == 200
    assert f"/applications/{app_id}/act/record_pass" not in r.text
    assert f"/applications/{app_id}/act/record_fail" not in r.text
    assert "由评审会议的无记名投票产生" in r.text and 'href="/work/agency/meetings"' in r.text
    with transaction(world.engine, readonly=True) as s:
        ctx = wsvc.Context(s, wsvc.actor_for(agency_user), TODAY)
        app = wsvc.get_application(ctx, app_id)
        assert ctx.rights.offered_actions(app) == [] and ctx.rights.can_act(app, "record_pass")


def test_results_notice_step_issues_the_certificate_in_one_step(world: World) -> None:
    """公示期满后“颁发电子证书”: one form that certifies and signs together (no bare 'certify' button)."""
    agency = world.browser(world.user("agency"))
    app_id = add_application(world, world.user("applicant"), world.round(), "results_notice")
    text = agency.get(f"/work/agency/applications/{app_id}").text
    assert f"/applications/{app_id}/act/certify" not in text
    form = re.search(r'<form[^>]*action="/work/agency/certificates"[^>]*>(.*?)</form>', text, re.S)
    assert form is not None and f'name="application_ids" value="{app_id}"' in form.group(1)
    assert "颁发电子证书" in form.group(1)


def test_correction_notice_round_trip(world: World) -> None:
    agency = world.browser(world.user("agency"))
    applicant = world.user("applicant")
    app_id = add_application(world, applicant, world.round(), "agency_review")
    page = f"/work/agency/applications/{app_id}"
    hidden = agency.form(page, f"{page}/correction")
    r = agency.post(f"{page}/correction", {**hidden, "items": "\n\n", "workdays": "10"})
    assert r.status_code == 422 and "逐项列出" in r.text
    r = agency.post(f"{page}/correction", {**hidden, "items": "补充硕士学位证书\n补充论文检索证明\n", "workdays": "7"})
    assert location(r) == f"{page}?ok=correction_sent"
    with transaction(world.engine, readonly=True) as s:
        app = s.get(Application, app_id)
        notice = s.scalars(select(CorrectionNotice).where(CorrectionNotice.application_id == app_id)).one()
        expected = wsvc.workday(wsvc.Context(s, wsvc.SYSTEM, TODAY), lambda cal: cal.add_workdays(TODAY, 7))
    assert app is not None and app.state == "correction"
    assert notice.items == ["补充硕士学位证书", "补充论文检索证明"] and notice.due_date == expected
    text = agency.get(location(r)).text
    assert "申报人补正材料" in text and "补充论文检索证明" in text and expected.isoformat() in text
    # the same (stale) form again: the application moved on, the page says so
    r = agency.post(f"{page}/correction", {**hidden, "items": "再补一项", "workdays": "7"})
    assert r.status_code == 409


def test_accept_needs_a_finding_on_every_review_item(world: World) -> None:
    agency = world.browser(world.user("agency"))
    app_id = add_application(world, world.user("applicant"), world.round(), "agency_review")
    page = f"/work/agency/applications/{app_id}"
    text = agency.get(page).text
    items = sorted(set(re.findall(r'name="(j_[a-z0-9_.]+)"', text)))
    assert items, "the engine leaves qualitative conditions to the reviewer"
    hidden = agency.form(page, f"{page}/accept")
    r = agency.post(f"{page}/accept", hidden)
    assert r.status_code == 422 and "尚需人工判断" in r.text
    r = agency.post(f"{page}/accept", {**hidden, **dict.fromkeys(items, "pass")})
    assert location(r) == f"{page}?ok=accepted"
    with transaction(world.engine, readonly=True) as s:
        app = s.get(Application, app_id)
        assert app is not None and app.state == "committee" and app.verdict_at_review["status"] == "eligible"


def test_reject_needs_a_reason(world: World) -> None:
    agency = world.browser(world.user("agency"))
    app_id = add_application(world, world.user("applicant"), world.round(), "agency_review")
    page = f"/work/agency/applications/{app_id}"
    hidden = agency.form(page, f"{page}/act/reject")
    r = agency.post(f"{page}/act/reject", {**hidden, "reason": " "})
    assert r.status_code == 422 and "须填写理由" in r.text
    r = agency.post(f"{page}/act/reject", {**hidden, "reason": "学历证书为伪造"})
    assert location(r) == f"{page}?ok=acted"
    assert "未通过资格审核" in agency.get(page).text


def test_meeting_through_the_forms(world: World) -> None:
    r = review_world(world, experts=5, apps=2)
    agency = world.browser(r.agency)
    page = f"/work/agency/committees/{r.committee_id}"
    assert "测试备案〔2026〕1号" in agency.get(page).text
    res = agency.post(f"{page}/meetings", {"title": "", "held_on": TODAY.isoformat()})
    assert res.status_code == 422 and "会议名称不能为空" in res.text
    res = agency.post(f"{page}/meetings", {"title": "2026年度第一次评审会议", "held_on": TODAY.isoformat()})
    meeting_page = location(res).split("?")[0]
    mid = r.meeting_id = int(meeting_page.rsplit("/", 1)[1])
    text = agency.get(meeting_page).text
    assert "申报人0" in text and "申报人1" in text  # candidates for the agenda
    res = agency.post(f"{meeting_page}/agenda", {"application_ids": [str(a) for a in r.apps]})
    assert location(res) == f"{meeting_page}?ok=agenda_added"
    draw = {"size": "5", "seed": "公开种子-2026", "exclude_conflicted": "1", "pname_1": "评议一组", "psize_1": "3"}
    draw |= {f"papp_{a}": "1" for a in r.apps}
    res = agency.post(f"{meeting_page}/draw", {**draw, "size": "4"})
    assert res.status_code == 422 and "单数" in res.text
    res = agency.post(f"{meeting_page}/draw", draw)
    assert res.status_code == 200 and "确认抽取结果" in res.text and "公开种子-2026" in res.text
    with transaction(world.engine, readonly=True) as s:
        assert s.get(Meeting, mid).status == "draft"  # a preview writes nothing
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', res.text).group(1)
    res = agency.post(f"{meeting_page}/commit", {**draw, "fingerprint": fingerprint})
    assert location(res) == f"{meeting_page}?ok=draw_committed"
    assert "一致" in agency.get(f"{meeting_page}/verify-draw").text
    members = r.members()
    assert len(members) == 5
    for m in members:  # the experts' part happens on their own pages (test_expert_pages)
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
                    score=85,
                    opinion="业绩突出，材料完整，建议通过",
                )
    res = agency.post(f"{meeting_page}/open", {})
    assert location(res) == f"{meeting_page}?ok=meeting_opened"
    for m in members:
        assert location(agency.post(f"{meeting_page}/check-in", {"expert_id": str(m.id)})).endswith("ok=checked_in")
    app0 = r.apps[0]
    assert location(agency.post(f"{meeting_page}/ballots/{app0}/open", {})).endswith("ok=ballot_opened")
    for i, m in enumerate(members):
        run(world, m, rsvc.cast_ballot, mid, app0, "yes" if i < 4 else "no")
    assert location(agency.post(f"{meeting_page}/ballots/{app0}/close", {})).endswith("ok=ballot_closed")
    text = agency.get(meeting_page).text
    assert "同意 4 · 不同意 1 · 弃权 0 · 未投 0" in text and "通过须同意 ≥ 4" in text
    res = agency.post(f"{meeting_page}/close", {})
    assert res.status_code == 422 and "尚有 1 名申报人未表决" in res.text
    app1 = r.apps[1]
    agency.post(f"{meeting_page}/ballots/{app1}/open", {})
    for m in members:
        run(world, m, rsvc.cast_ballot, mid, app1, "no")
    agency.post(f"{meeting_page}/ballots/{app1}/close", {})
    res = agency.post(f"{meeting_page}/close", {})
    assert location(res) == f"{meeting_page}/minutes?ok=meeting_closed"
    text = agency.get(location(res)).text
    assert "会议记录" in text and "票箱摘要" in text and "申报人1" in text
    with transaction(world.engine, readonly=True) as s:
        states = dict(s.execute(select(Application.id, Application.state).where(Application.id.in_(r.apps))).all())
    assert states == {app0: "acceptance", app1: "failed"}


def test_conflicts_are_listed_and_dismissed_with_a_reason(world: World) -> None:
    r = review_world(world, experts=5, apps=2, coauthors={0: ["专家01"]})
    mid = assigned_meeting(r, size=3)  # 专家01 sits out: a co-author of 申报人0
    agency = world.browser(r.agency)
    page = f"/work/agency/meetings/{mid}"
    assert location(agency.post(f"{page}/detect", {})).endswith("ok=conflicts_detected")
    with transaction(world.engine, readonly=True) as s:
        found = s.scalars(select(Conflict).where(Conflict.application_id == r.apps[0])).all()
    assert [c.kind for c in found] == ["coauthor"]
    text = agency.get(page).text
    assert "成果合作者" in text and "系统发现" in text
    res = agency.post(f"{page}/conflicts/{found[0].id}/dismiss", {"reason": "同名"})
    assert res.status_code == 422 and "至少 5 个字" in res.text
    res = agency.post(f"{page}/conflicts/{found[0].id}/dismiss", {"reason": "同名不同人，已核对身份证件"})
    assert location(res).endswith("ok=conflict_dismissed")
    assert "同名不同人，已核对身份证件" in agency.get(page).text
    expert = r.experts[3]
    res = agency.post(
        f"{page}/conflicts",
        {"expert_id": str(expert.id), "application_id": str(r.apps[1]), "kind": "kinship", "note": "<i>配偶</i>关系"},
    )
    assert location(res).endswith("ok=conflict_recorded")
    text = agency.get(page).text
    assert "&lt;i&gt;配偶&lt;/i&gt;关系" in text and "<i>配偶" not in text


def test_objections_are_decided_with_a_conclusion(world: World) -> None:
    agency_user = world.user("agency")
    agency = world.browser(agency_user)
    applicant = world.user("applicant", display_name="赵六")
    rnd = world.round()
    app_id = add_application(world, applicant, rnd, "results_notice")
    with transaction(world.engine) as s:
        notice = PublicNotice(
            kind="results",
            round_id=rnd,
            title="2026年度评审结果公示",
            start_date=TODAY,
            end_date=TODAY,
            created_by=agency_user.id,
        )
        s.add(notice)
        s.flush()
        s.add(NoticeEntry(notice_id=notice.id, application_id=app_id))
        obj = Objection(
            notice_id=notice.id,
            application_id=app_id,
            content="论文署名存疑，<请核查>",
            name="钱七",
            contact="138****0000",
        )
        s.add(obj)
        s.flush()
        obj_id, notice_id = obj.id, notice.id
    text = agency.get("/work/agency/notices").text
    assert "2026年度评审结果公示" in text and f"/work/agency/notices/{notice_id}" in text
    assert "赵六" in agency.get(f"/work/agency/notices/{notice_id}").text
    text = agency.get("/work/agency/objections").text
    assert "论文署名存疑，&lt;请核查&gt;" in text and "异议人：钱七；联系方式：138****0000" in text
    res = agency.post(f"/work/agency/objections/{obj_id}/decide", {"decision": "经核查，署名无误"})
    assert res.status_code == 422 and "请选择异议是否属实" in res.text
    res = agency.post(f"/work/agency/objections/{obj_id}/decide", {"upheld": "no", "decision": "经核查，署名无误"})
    assert location(res) == "/work/agency/objections?ok=objection_decided"
    with transaction(world.engine, readonly=True) as s:
        o = s.get(Objection, obj_id)
        assert o is not None and o.status == "dismissed" and o.decision == "经核查，署名无误"
    assert "经核查，署名无误" in agency.get("/work/agency/objections?status=dismissed").text


def test_decided_items_show_their_tally_only_after_the_ballot(world: World) -> None:
    r = review_world(world, experts=3, apps=1)
    mid = assigned_meeting(r, size=3)
    agency = world.browser(r.agency)
    text = agency.get(f"/work/agency/meetings/{mid}").text
    assert "开始会议" in text and "同意 " not in text
    with transaction(world.engine, readonly=True) as s:
        item = s.scalars(select(MeetingItem).where(MeetingItem.meeting_id == mid)).one()
    assert item.status == "pending"
