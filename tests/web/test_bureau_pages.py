"""人社局 pages over HTTP on SQLite and PostgreSQL: who may open them; acceptance of a closed meeting with the
approval number; the integrity archive (fraud finding → veto and bar; review → certificate suspended →
reinstated; revocation); the audit trail with the chain check finding an edited entry; statistics charts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from staff_world import (
    ACCEPT_DAY,
    ISSUE_DAY,
    TODAY,
    Review,
    World,
    add_application,
    assigned_meeting,
    certified,
    closed_meeting,
    location,
    make_world,
    review_world,
)

from zhicheng.store.db import transaction
from zhicheng.store.models import (
    Acceptance,
    Application,
    AuditEntry,
    Certificate,
    IntegrityRecord,
    PublicNotice,
    Sanction,
)

PAGES = ["", "/acceptance", "/integrity", "/certificates", "/audit", "/stats"]


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    w = make_world(engine, tmp_path, TODAY)
    yield w
    w.close()


def test_pages_are_for_the_bureau(world: World) -> None:
    bureau = world.browser(world.user("bureau"))
    agency = world.browser(world.user("agency"))
    anonymous = world.browser()
    for page in PAGES:
        r = bureau.get(f"/work/bureau{page}")
        assert r.status_code == 200, (page, r.text[:800])
        assert agency.get(f"/work/bureau{page}").status_code == 403
        r = anonymous.get(f"/work/bureau{page}")
        assert r.status_code == 303 and r.headers["location"] == f"/login?next=/work/bureau{page}"
    admin = world.browser(world.user("admin"))
    text = admin.get("/work/bureau").text
    assert 'href="/work/bureau/audit"' in text and 'href="/work/bureau/acceptance"' not in text  # nav by Rights
    assert admin.get("/work/bureau/audit").status_code == 200
    assert admin.get("/work/bureau/acceptance").status_code == 403
    assert admin.get("/work/bureau/integrity").status_code == 403


def test_acceptance_of_a_closed_meeting(world: World) -> None:
    r = review_world(world, experts=3, apps=2)
    assigned_meeting(r, size=3)
    closed_meeting(r, passing={r.apps[0]})
    world.at(ACCEPT_DAY)
    bureau = world.browser(r.bureau)
    text = bureau.get("/work/bureau/acceptance").text
    assert "2026年度评审会议" in text and "表决通过待验收 1 人" in text
    assert f"/work/bureau/meetings/{r.meeting_id}/minutes" in text
    assert "票箱摘要" in bureau.get(f"/work/bureau/meetings/{r.meeting_id}/minutes").text
    res = bureau.post("/work/bureau/acceptance", {"meeting_id": str(r.meeting_id), "approval_number": ""})
    assert res.status_code == 422 and "批准文号" in res.text
    res = bureau.post(
        "/work/bureau/acceptance", {"meeting_id": str(r.meeting_id), "approval_number": "京人社职字〔2026〕18号"}
    )
    assert location(res) == "/work/bureau/acceptance?ok=accepted_results"
    text = bureau.get(location(res)).text
    assert "评审结果公示已开始" in text and "京人社职字〔2026〕18号" in text and "没有待验收的评审会议" in text
    with transaction(world.engine, readonly=True) as s:
        states = dict(s.execute(select(Application.id, Application.state).where(Application.id.in_(r.apps))).all())
        acc = s.scalars(select(Acceptance)).one()
        notice = s.scalars(select(PublicNotice).where(PublicNotice.kind == "results")).one()
    assert states == {r.apps[0]: "results_notice", r.apps[1]: "failed"}
    assert acc.approval_number == "京人社职字〔2026〕18号" and acc.meeting_id == r.meeting_id
    assert notice.start_date == ACCEPT_DAY


def test_agency_issues_certificates_after_the_notice(world: World) -> None:
    r = review_world(world, experts=3, apps=1)
    assigned_meeting(r, size=3)
    closed_meeting(r)
    world.at(ACCEPT_DAY)
    world.browser(r.bureau).post(
        "/work/bureau/acceptance", {"meeting_id": str(r.meeting_id), "approval_number": "京人社职字〔2026〕18号"}
    )
    agency = world.browser(r.agency)
    res = agency.post("/work/agency/certificates", {"application_ids": [str(r.apps[0])]})
    assert res.status_code == 422 and "公示期" in res.text  # the notice is still running
    world.at(ISSUE_DAY)
    assert "申报人0" in agency.get("/work/agency/certificates").text
    res = agency.post("/work/agency/certificates", {"application_ids": [str(r.apps[0])]})
    assert location(res) == "/work/agency/certificates?ok=certificates_issued"
    with transaction(world.engine, readonly=True) as s:
        cert = s.scalars(select(Certificate)).one()
    text = agency.get(location(res)).text
    assert cert.number in text and "证书已签发" in text
    pdf = agency.get(f"/work/agency/certificates/{cert.number}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_fraud_finding_vetoes_the_application(world: World) -> None:
    bureau = world.browser(world.user("bureau"))
    applicant = world.user("applicant", display_name="钱七")
    app_id = add_application(world, applicant, world.round(), "agency_review")
    form = {
        "application_id": str(app_id),
        "finding": "<script>x</script>论文系购买代写，经期刊社确认",
        "evidence": "期刊社撤稿说明\n作者单位核查报告",
        "decided_on": TODAY.isoformat(),
        "deciding_body": "北京市人力资源和社会保障局",
        "decision_no": "京人社监〔2026〕3号",
    }
    res = bureau.post("/work/bureau/integrity/findings", {**form, "finding": "太短"})
    assert res.status_code == 422 and "认定事实" in res.text
    res = bureau.post("/work/bureau/integrity/findings", form)
    page = location(res).split("?")[0]
    text = bureau.get(page).text
    assert "认定弄虚作假" in text and f"申报 {app_id} 一票否决" in text and "限制申报至" in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text and "<script>x" not in text
    assert "期刊社撤稿说明" in text
    with transaction(world.engine, readonly=True) as s:
        app = s.get(Application, app_id)
        sanction = s.scalars(select(Sanction)).one()
    assert app is not None and app.state == "vetoed" and sanction.kind == "integrity"
    assert "钱七" in bureau.get("/work/bureau/integrity").text


def test_review_suspends_and_dismissal_reinstates_then_revocation(world: World) -> None:
    r = review_world(world, experts=3, apps=1)
    assigned_meeting(r, size=3)
    (number,) = certified(world, r)
    bureau = world.browser(r.bureau)
    res = bureau.post(
        "/work/bureau/integrity/reviews", {"certificate_number": number, "allegation": "有人举报其业绩材料不实，需核查"}
    )
    page = location(res).split("?")[0]
    text = bureau.get(page).text
    assert "核查中" in text and "暂停" in text
    res = bureau.post(
        f"{page}/dismiss",
        {
            "conclusion": "经核查，业绩材料真实有效",
            "decided_on": ISSUE_DAY.isoformat(),
            "deciding_body": "北京市人力资源和社会保障局",
            "decision_no": "京人社监〔2026〕9号",
            **bureau.form(page, f"{page}/dismiss"),
        },
    )
    assert location(res).startswith(page)
    assert "证书 " + number + " 已恢复" in bureau.get(page).text
    with transaction(world.engine, readonly=True) as s:
        assert s.scalars(select(Certificate.status)).one() == "valid"
        assert s.scalars(select(IntegrityRecord.status)).one() == "dismissed"
    res = bureau.post(f"/work/bureau/certificates/{number}/revoke", {"reason": "短"})
    assert res.status_code == 422
    res = bureau.post(f"/work/bureau/certificates/{number}/revoke", {"reason": "以欺骗手段取得，依法撤销"})
    assert location(res) == "/work/bureau/certificates?ok=revoked"
    text = bureau.get("/work/bureau/certificates").text
    assert "已撤销" in text and "以欺骗手段取得，依法撤销" in text


def test_audit_trail_and_chain_check(world: World) -> None:
    r: Review = review_world(world, experts=3, apps=1)
    bureau = world.browser(r.bureau)
    text = bureau.get("/work/bureau/audit").text
    assert "register_committee" in text and "record_filing" in text
    text = bureau.get(f"/work/bureau/audit?entity=committee&entity_id={r.committee_id}").text
    assert "register_committee" in text and "register_expert" not in text
    assert bureau.post("/work/bureau/audit/verify", {}, csrf=False).status_code == 403
    text = bureau.post("/work/bureau/audit/verify", {}).text
    assert "审计链完整" in text
    with transaction(world.engine) as s:
        seq = s.scalar(select(AuditEntry.seq).where(AuditEntry.action == "record_filing"))
        s.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(payload={"reference": "改过的文号"}))
    text = bureau.post("/work/bureau/audit/verify", {}).text
    assert "审计链异常" in text and f"#{seq}" in text


def test_statistics_charts_are_server_rendered_svg(world: World) -> None:
    bureau = world.browser(world.user("bureau"))
    applicant = world.user("applicant")
    add_application(world, applicant, world.round(), "certified")
    add_application(world, world.user("applicant"), world.round(year=2025), "failed")
    text = bureau.get("/work/bureau/stats?by=document&metric=applications&kind=bar").text
    assert "<svg" in text and 'role="img"' in text and "<script" not in text.split("<svg", 1)[1].split("</svg>")[0]
    assert "2025年" in text and "2026年" in text
    text = bureau.get("/work/bureau/stats?by=level&metric=pass_rate&kind=line").text
    assert "<svg" in text and "通过率" in text
    assert "<svg" in bureau.get("/work/bureau").text
    book = bureau.get("/work/bureau/stats.xlsx?by=level")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    assert bureau.get("/work/bureau/stats?year_from=2027&year_to=2025").status_code == 422
