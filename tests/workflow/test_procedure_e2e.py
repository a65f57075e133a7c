"""The whole procedure end to end through the services, for a Beijing document and for Qingdao,
on SQLite and on PostgreSQL (the `engine` fixture runs both)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from zhicheng.errors import DomainError
from zhicheng.review import service as review
from zhicheng.review.sitting import hold_meeting, seat_committee
from zhicheng.store import audit
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, AuditEntry, Department, Unit, User
from zhicheng.store.testing import add_application, add_round, add_user
from zhicheng.workflow import service as svc
from zhicheng.workflow.rights import Actor

D = dt.date


def actor(user) -> Actor:
    return svc.actor_for(user)


def ctx(session, user, today) -> svc.Context:
    return svc.Context(session, actor(user) if user is not None else svc.SYSTEM, today)


AI_SENIOR = {
    "name": "王五",
    "education": [{"level": "master", "graduation_date": "2012-07-01"}],
    "specialty_work_start": "2012-07-15",
    "titles": [{"grade": 3, "series": "engineering", "specialty": "人工智能", "obtained": "2018-12-01"}],
    "directions": ["ai_research"],
    "achievements": [
        {"kind": "paper", "venue": "core_journal", "rank": 1, "date": f"202{i}-03-01", "title": f"论文{i}"}
        for i in range(1, 4)
    ],
}

IIOT_SENIOR = {
    "name": "赵六",
    "education": [{"level": "bachelor", "graduation_date": "2010-07-01"}],
    "specialty_work_start": "2010-07-15",
    "titles": [{"grade": 3, "series": "engineering", "obtained": "2019-06-01"}],
    "annual_assessments": [{"year": y, "result": "competent"} for y in range(2019, 2026)],
    "directions": ["iiot_platform"],
    "achievements": [
        {
            "kind": "research_project",
            "level": 3,
            "rank": 1,
            "role": "lead",
            "accepted": True,
            "date": "2023-05-01",
            "title": "市级工业互联网平台项目",
        }
    ],
}


@pytest.fixture
def people(engine):
    with transaction(engine) as s:
        dept = Department(name="新区工业和信息化局")
        s.add(dept)
        s.flush()
        unit = Unit(name="某科技有限公司", uscc="91350100M000100Y43", department_id=dept.id)
        s.add(unit)
        s.flush()
        users = {
            "applicant": add_user(s, "applicant", unit_id=unit.id),
            "other_applicant": add_user(s, "applicant", unit_id=unit.id),
            "unit": add_user(s, "unit", unit_id=unit.id),
            "department": add_user(s, "department", department_id=dept.id),
            "agency": add_user(s, "agency"),
            "bureau": add_user(s, "bureau"),
            "admin": add_user(s, "admin"),
        }
        s.expunge_all()
    return users


def step(engine, user, today, app_id, action, **kw):
    with transaction(engine) as s:
        app = svc.act(ctx(s, user, today), app_id, action, **kw)
        return app.state, app.version


def review_judgements(engine, user, today, app_id):
    with transaction(engine) as s:
        c = ctx(s, user, today)
        v = svc.evaluate_application(c, svc.get_application(c, app_id))
        return [{"condition": r.id, "passed": True, "note": "材料核实"} for r in v.review_items]


def committee_sitting(engine, u, document, level, app_ids, day, choices=None) -> int:
    """A real meeting: 3 experts drawn, declared, scored, checked in, one secret ballot per application."""
    with transaction(engine) as s:
        experts = [actor(add_user(s, "expert", display_name=f"专家{i}")) for i in range(3)]
        committee_id = seat_committee(
            ctx(s, u["agency"], D(2026, 8, 1)),
            name=f"{document}评委会{uuid.uuid4().hex[:6]}",
            document_id=document,
            levels=[level],
            expert_ids=[e.user_id for e in experts],
            specialty="工程技术",
            filed_on=D(2026, 1, 1),
            expires_on=D(2028, 12, 31),
            reference="测试备案〔2026〕1号（非真实文件）",
            term=(D(2025, 1, 1), D(2027, 12, 31)),
            min_members_basis="测试数据：假定省级人社部门同意调整人数（非真实文件）",
            threshold="exclusive" if document == "iiot_qd_2023" else "inclusive",
        )
    votes = {a: {e.user_id: c for e, c in zip(experts, choices or (), strict=False)} for a in app_ids}
    return hold_meeting(
        engine,
        agency=actor(u["agency"]),
        experts=experts,
        committee_id=committee_id,
        application_ids=app_ids,
        held_on=day,
        choices=votes,
    )


def run_procedure(engine, people, document, level, profile, department: bool):
    u = people
    with transaction(engine) as s:
        rnd = svc.open_round(
            ctx(s, u["agency"], D(2026, 8, 20)),
            document_id=document,
            levels=[level],
            kind="annual",
            year=2026,
            title="2026年度评审",
            window_start=D(2026, 9, 1),
            window_end=D(2026, 9, 30),
        )
        app = svc.create_application(
            ctx(s, u["applicant"], D(2026, 9, 1)), round_id=rnd.id, level=level, profile=profile
        )
        app_id = app.id
    # outside the window the submission is refused with the window in the message
    with pytest.raises(DomainError, match="2026-09-01至2026-09-30"), transaction(engine) as s:
        svc.act(ctx(s, u["applicant"], D(2026, 10, 8)), app_id, "submit", data={"pledge": True})
    with pytest.raises(DomainError, match="诚信承诺"), transaction(engine) as s:
        svc.act(ctx(s, u["applicant"], D(2026, 9, 1)), app_id, "submit", data={})
    assert step(engine, u["applicant"], D(2026, 9, 1), app_id, "submit", data={"pledge": True})[0] == "unit_review"
    # another applicant of the same unit cannot see it
    with pytest.raises(DomainError, match="不存在或无权查看"), transaction(engine) as s:
        svc.get_application(ctx(s, u["other_applicant"], D(2026, 9, 2)), app_id)
    state, _ = step(engine, u["unit"], D(2026, 9, 2), app_id, "start_notice")
    assert state == "unit_notice"
    with transaction(engine) as s:
        notice = svc.current_notice(s, s.get(Application, app_id), "unit")
        assert (notice.start_date, notice.end_date) == (D(2026, 9, 2), D(2026, 9, 8))  # 5 working days
    with pytest.raises(DomainError, match="公示期至2026-09-08"), transaction(engine) as s:
        svc.act(ctx(s, u["unit"], D(2026, 9, 8)), app_id, "recommend")
    state, _ = step(engine, u["unit"], D(2026, 9, 9), app_id, "recommend")
    if department:
        assert state == "department_review"
        state, _ = step(engine, u["department"], D(2026, 9, 10), app_id, "forward")
    assert state == "agency_review"
    # one-time correction notice, answered within the deadline
    state, _ = step(
        engine,
        u["agency"],
        D(2026, 9, 11),
        app_id,
        "request_correction",
        data={"items": ["补充论文检索证明", "补充职称证书扫描件"], "workdays": 5},
    )
    assert state == "correction"
    state, _ = step(engine, u["applicant"], D(2026, 9, 14), app_id, "resubmit")
    assert state == "agency_review"
    with pytest.raises(DomainError, match="尚需人工判断"), transaction(engine) as s:
        svc.act(ctx(s, u["agency"], D(2026, 9, 15)), app_id, "accept", data={"judgements": []})
    judgements = review_judgements(engine, u["agency"], D(2026, 9, 15), app_id)
    assert judgements, "qualitative conditions must be listed for the reviewer"
    state, _ = step(engine, u["agency"], D(2026, 9, 15), app_id, "accept", data={"judgements": judgements})
    assert state == "committee"
    # the committee's result is the sealed secret ballot: a bare record_pass is refused
    with pytest.raises(DomainError, match="尚无评委会表决结果") as refused, transaction(engine) as s:
        svc.act(ctx(s, u["agency"], D(2026, 11, 10)), app_id, "record_pass")
    assert refused.value.status == 409
    meeting_id = committee_sitting(engine, u, document, level, [app_id], D(2026, 11, 10))
    with transaction(engine) as s:
        assert s.get(Application, app_id).state == "acceptance"
        assert review.committee_result(s, app_id) is True
        assert review.minutes(ctx(s, u["bureau"], D(2026, 11, 11)), meeting_id)["items"][0]["tally"]["passed"]
    approval = {"approval_number": "京人社职字〔2026〕18号"}
    state, _ = step(engine, u["bureau"], D(2026, 12, 1), app_id, "accept_results", data=approval)
    assert state == "results_notice"
    with transaction(engine) as s:
        notice = svc.current_notice(s, s.get(Application, app_id), "results")
        obj = svc.file_objection(
            s,
            notice_id=notice.id,
            application_id=app_id,
            today=D(2026, 12, 2),
            content="申报人提交的论文三并非第一作者，请核查。",
            name="李明",
            contact="13800000000",
        )
        obj_id = obj.id
    with pytest.raises(DomainError, match="异议尚未处理"), transaction(engine) as s:
        svc.act(ctx(s, u["agency"], D(2026, 12, 9)), app_id, "certify")
    with transaction(engine) as s:
        svc.decide_objection(
            ctx(s, u["agency"], D(2026, 12, 9)),
            obj_id,
            upheld=False,
            decision="经核查期刊署名，申报人为第一作者，异议不成立。",
        )
    state, _ = step(engine, u["agency"], D(2026, 12, 9), app_id, "certify")
    assert state == "certified"
    with transaction(engine) as s:
        report = audit.verify(s)
        assert report.ok, report.summary()
        app = s.get(Application, app_id)
        assert app.verdict_at_submission["status"] in ("needs_review", "eligible")
        assert app.verdict_at_review["status"] == "eligible"
        assert app.catalog_version
    return app_id


def test_beijing_procedure_end_to_end(engine, people):
    run_procedure(engine, people, "ai_bj_2020", "senior_engineer", AI_SENIOR, department=False)


def test_qingdao_needs_a_registered_extension_then_runs_with_department(engine, people):
    with pytest.raises(DomainError, match="已失效"), transaction(engine) as s:
        svc.open_round(
            ctx(s, people["agency"], D(2026, 8, 20)),
            document_id="iiot_qd_2023",
            levels=["senior_engineer"],
            kind="annual",
            year=2026,
            title="x",
            window_start=D(2026, 9, 1),
            window_end=D(2026, 9, 30),
        )
    with transaction(engine) as s:
        svc.register_extension(
            ctx(s, people["agency"], D(2026, 8, 20)),
            document_id="iiot_qd_2023",
            until=D(2027, 6, 12),
            basis="测试数据：假定的延续执行通知（非真实文件）",
        )
    run_procedure(engine, people, "iiot_qd_2023", "senior_engineer", IIOT_SENIOR, department=True)


def test_correction_deadline_sweeper_is_idempotent(engine, people):
    u = people
    with transaction(engine) as s:
        rnd = svc.open_round(
            ctx(s, u["agency"], D(2026, 8, 20)),
            document_id="ai_bj_2020",
            levels=["senior_engineer"],
            kind="annual",
            year=2026,
            title="t",
            window_start=D(2026, 9, 1),
            window_end=D(2026, 9, 30),
        )
        app_id = svc.create_application(
            ctx(s, u["applicant"], D(2026, 9, 1)), round_id=rnd.id, level="senior_engineer", profile=AI_SENIOR
        ).id
    step(engine, u["applicant"], D(2026, 9, 1), app_id, "submit", data={"pledge": True})
    step(engine, u["unit"], D(2026, 9, 2), app_id, "start_notice")
    step(engine, u["unit"], D(2026, 9, 9), app_id, "recommend")
    step(engine, u["agency"], D(2026, 9, 28), app_id, "request_correction", data={"items": ["补充材料"], "workdays": 3})
    with transaction(engine) as s:
        due = svc.open_correction(s, app_id).due_date
    # 9-29, 9-30, then the National Day holiday (10-01..10-07); 10-08 is the third working day
    assert due == D(2026, 10, 8)
    assert svc.sweep_expired_corrections(engine, D(2026, 10, 8)) == []
    assert svc.sweep_expired_corrections(engine, D(2026, 10, 9)) == [app_id]
    assert svc.sweep_expired_corrections(engine, D(2026, 10, 9)) == []
    with transaction(engine) as s:
        assert s.get(Application, app_id).state == "withdrawn"
        assert audit.verify(s).ok


def test_bar_blocks_submission_with_reason_and_end(engine, people):
    u = people
    with transaction(engine) as s:
        svc.record_sanction(
            ctx(s, u["bureau"], D(2026, 1, 5)),
            id_number_index=u["applicant"].id_number_index,
            kind="disciplinary",
            start=D(2026, 1, 5),
            end=D(2027, 1, 4),
            reason="警告处分",
            source="某纪委决定",
        )
        rnd = svc.open_round(
            ctx(s, u["agency"], D(2026, 8, 20)),
            document_id="ai_bj_2020",
            levels=["senior_engineer"],
            kind="annual",
            year=2026,
            title="t",
            window_start=D(2026, 9, 1),
            window_end=D(2026, 9, 30),
        )
        app_id = svc.create_application(
            ctx(s, u["applicant"], D(2026, 9, 1)), round_id=rnd.id, level="senior_engineer", profile=AI_SENIOR
        ).id
    with pytest.raises(DomainError, match="警告处分；期限至2027-01-04"), transaction(engine) as s:
        svc.act(ctx(s, u["applicant"], D(2026, 9, 1)), app_id, "submit", data={"pledge": True})


def test_regular_route_refuses_ineligible_and_names_the_gap(engine, people):
    u = people
    weak = {**AI_SENIOR, "achievements": AI_SENIOR["achievements"][:1]}
    with transaction(engine) as s:
        rnd = svc.open_round(
            ctx(s, u["agency"], D(2026, 8, 20)),
            document_id="ai_bj_2020",
            levels=["senior_engineer"],
            kind="annual",
            year=2026,
            title="t",
            window_start=D(2026, 9, 1),
            window_end=D(2026, 9, 30),
        )
        app_id = svc.create_application(
            ctx(s, u["applicant"], D(2026, 9, 1)), round_id=rnd.id, level="senior_engineer", profile=weak
        ).id
    with pytest.raises(DomainError, match="还差2项成果") as exc, transaction(engine) as s:
        svc.act(ctx(s, u["applicant"], D(2026, 9, 1)), app_id, "submit", data={"pledge": True})
    assert "破格" in exc.value.message


def test_wrong_role_and_wrong_step_are_refused(engine, people):
    u = people
    with pytest.raises(DomainError, match="只有评审服务机构"), transaction(engine) as s:
        svc.open_round(
            ctx(s, u["applicant"], D(2026, 8, 20)),
            document_id="ai_bj_2020",
            levels=["engineer"],
            kind="annual",
            year=2026,
            title="t",
            window_start=D(2026, 9, 1),
            window_end=D(2026, 9, 2),
        )
    with transaction(engine) as s:
        rnd = svc.open_round(
            ctx(s, u["agency"], D(2026, 8, 20)),
            document_id="ai_bj_2020",
            levels=["senior_engineer"],
            kind="annual",
            year=2026,
            title="t",
            window_start=D(2026, 9, 1),
            window_end=D(2026, 9, 30),
        )
        app_id = svc.create_application(
            ctx(s, u["applicant"], D(2026, 9, 1)), round_id=rnd.id, level="senior_engineer", profile=AI_SENIOR
        ).id
    step(engine, u["applicant"], D(2026, 9, 1), app_id, "submit", data={"pledge": True})
    with pytest.raises(DomainError, match="由用人单位办理"), transaction(engine) as s:
        svc.act(ctx(s, u["agency"], D(2026, 9, 2)), app_id, "start_notice")
    with pytest.raises(DomainError, match="不能进行"), transaction(engine) as s:
        svc.act(ctx(s, u["unit"], D(2026, 9, 2)), app_id, "certify")
    with pytest.raises(DomainError, match="须填写理由"), transaction(engine) as s:
        svc.act(ctx(s, u["unit"], D(2026, 9, 2)), app_id, "return")


def test_committee_step_follows_the_sealed_ballot(engine, people):
    """record_pass/record_fail take the ballot's result: none without a closed ballot, never the opposite."""
    u = people
    with transaction(engine) as s:
        rnd = add_round(s, document_id="ai_bj_2020", levels=["senior_engineer"], year=2026)
        applicant = s.get(User, u["applicant"].id)
        app_id = add_application(
            s, rnd, applicant, level="senior_engineer", state="committee", unit_id=applicant.unit_id
        ).id
    for action in ("record_pass", "record_fail"):
        with pytest.raises(DomainError, match="须在评审会议上进行无记名投票") as exc, transaction(engine) as s:
            svc.act(ctx(s, u["agency"], D(2026, 11, 10)), app_id, action)
        assert exc.value.code == "no_ballot_result"
    committee_sitting(engine, u, "ai_bj_2020", "senior_engineer", [app_id], D(2026, 11, 10), ["yes", "no", "no"])
    with transaction(engine) as s:
        app = s.get(Application, app_id)
        assert app.state == "failed" and review.committee_result(s, app_id) is False
        trail = select(AuditEntry.action).where(AuditEntry.entity == "application", AuditEntry.entity_id == str(app_id))
        assert list(s.scalars(trail.order_by(AuditEntry.seq)))[-1] == "record_fail"
        with pytest.raises(DomainError, match="评委会无记名投票结果为“未通过”，不能登记为“通过”"):
            svc.GUARDS["committee_passed"](ctx(s, u["agency"], D(2026, 11, 10)), app, {})
        assert audit.verify(s).ok
