"""The integrity archive on SQLite and PostgreSQL: review suspends, fraud revokes and bars for 3 years,
the one-vote veto fails an application at any step, dismissal reinstates, the bureau sees each decision's
audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from cert_world import CertWorld
from sqlalchemy import select

from zhicheng.certificates import service as csvc
from zhicheng.certificates.keys import published_keyring
from zhicheng.certificates.status import CertificateStatus, verify_status_list
from zhicheng.errors import DomainError
from zhicheng.integrity import service as isvc
from zhicheng.store import audit
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, Round, Sanction, StatusListRecord
from zhicheng.store.testing import add_application
from zhicheng.workflow import service as wsvc

D = dt.date
DAY = D(2026, 12, 15)
DECISION = {"decided_on": DAY, "deciding_body": "北京市人力资源和社会保障局", "decision_no": "京人社诚字〔2026〕3号"}
EVIDENCE = [{"description": "期刊编辑部出具的论文撤稿说明"}, {"description": "申报人所在单位的核查报告"}]
FINDING = "申报材料中的两篇代表作系伪造，期刊编辑部证明未曾刊发。"


def status_of(world: CertWorld, number: str) -> CertificateStatus:
    cert = world.certificate(number)
    with transaction(world.engine) as s:
        record = s.get(StatusListRecord, cert.status_list_id)
        assert record is not None
        return verify_status_list(record.document.encode(), published_keyring(s)).get(cert.status_index)


def new_round_application(world: CertWorld, applicant: int, state: str = "draft") -> int:
    with transaction(world.engine) as s:
        rnd = Round(
            year=2027,
            kind="annual",
            document_id="ai_bj_2020",
            levels=["professorate_senior_engineer", "engineer"],
            title="2027年度评审",
            window_start=DAY,
            window_end=D(2030, 12, 31),
            status="open",
        )
        s.add(rnd)
        s.flush()
        user = s.get(wsvc.User, world.applicants[applicant].user_id)
        return add_application(s, rnd, user, level="engineer", state=state, unit_id=user.unit_id).id


def test_review_suspends_then_fraud_revokes_and_bars_for_three_years(world: CertWorld) -> None:
    cert, other, _ = world.issued()
    with pytest.raises(DomainError, match="只有人社局"):
        world.run(
            world.agency,
            isvc.open_review,
            world.trust,
            allegation="收到实名举报，称其代表作系伪造",
            application_id=world.apps[0],
        )
    review = world.run(
        world.bureau,
        isvc.open_review,
        world.trust,
        allegation="收到实名举报，称其代表作系伪造",
        certificate_number=cert.number,
        today=D(2026, 12, 10),
    )
    assert (review.status, review.certificate_number) == ("under_review", cert.number)
    assert status_of(world, cert.number) is CertificateStatus.SUSPENDED  # the published list changed
    with pytest.raises(DomainError, match="已在核查中"):
        world.run(
            world.bureau,
            isvc.open_review,
            world.trust,
            allegation="重复立案的核查缘由说明",
            application_id=world.apps[0],
        )
    with pytest.raises(DomainError, match="须列明证据"):
        world.run(
            world.bureau,
            isvc.confirm_fraud,
            world.trust,
            review.id,
            finding=FINDING,
            evidence=[],
            **DECISION,
            today=DAY,
        )
    with pytest.raises(DomainError, match="不是已上传的证明材料文件"):
        world.run(
            world.bureau,
            isvc.confirm_fraud,
            world.trust,
            review.id,
            finding=FINDING,
            evidence=[{"description": "撤稿说明", "sha256": "0" * 64}],
            **DECISION,
            today=DAY,
        )
    confirmed = world.run(
        world.bureau,
        isvc.confirm_fraud,
        world.trust,
        review.id,
        finding=FINDING,
        evidence=EVIDENCE,
        **DECISION,
        today=DAY,
    )
    assert confirmed.status == "confirmed" and confirmed.certificate_status == "已撤销"
    assert confirmed.outcome == {
        "application_vetoed": None,  # the application had ended (certified): the certificate goes instead
        "certificate_revoked": cert.number,
        "barred_until": "2029-12-14",
    }
    assert status_of(world, cert.number) is CertificateStatus.REVOKED
    assert status_of(world, other.number) is CertificateStatus.ACTIVE
    with pytest.raises(DomainError, match="已处理"):
        world.run(
            world.bureau,
            isvc.dismiss_review,
            world.trust,
            review.id,
            conclusion="核查不属实的结论说明",
            **DECISION,
            today=DAY,
        )

    # barred: the person cannot submit for three years (the workflow's check at submission)
    later = new_round_application(world, 0)
    with pytest.raises(DomainError, match="职称评审失信惩戒期内") as exc:
        world.run(world.applicants[0], wsvc.act, later, "submit", data={"pledge": True}, today=D(2027, 3, 1))
    assert "2029-12-14" in exc.value.message
    with pytest.raises(DomainError) as after:  # the bar ends: the refusal is about the material, not the bar
        world.run(world.applicants[0], wsvc.act, later, "submit", data={"pledge": True}, today=D(2029, 12, 15))
    assert after.value.code == "ineligible"


@pytest.mark.parametrize("state", ["unit_review", "agency_review", "committee", "results_notice"])
def test_one_vote_veto_fails_an_application_at_any_step(world: CertWorld, state: str) -> None:
    app_id = new_round_application(world, 1, state=state)
    view = world.run(
        world.bureau,
        isvc.record_fraud,
        world.trust,
        application_id=app_id,
        finding=FINDING,
        evidence=EVIDENCE,
        **DECISION,
        today=DAY,
    )
    assert view.outcome is not None and view.outcome["application_vetoed"] == app_id
    assert world.state(app_id) == "vetoed"
    with transaction(world.engine) as s:
        bars = list(s.scalars(select(Sanction).where(Sanction.source == f"申报 {app_id}")))
        assert len(bars) == 1 and bars[0].end_date == D(2029, 12, 14)  # recorded once, by the veto
        assert s.get(Application, app_id).version >= 2


def test_issuing_waits_for_a_review_and_dismissal_reinstates(world: CertWorld) -> None:
    cert, _, _ = world.issued()
    later = new_round_application(world, 0, state="acceptance")
    review = world.run(
        world.bureau,
        isvc.open_review,
        world.trust,
        allegation="抽查发现业绩证明可能有误",
        application_id=world.apps[0],
        today=DAY,
    )
    world.accept([later], today=DAY)
    with pytest.raises(DomainError, match="正在接受诚信核查"):
        world.issue([later], today=D(2026, 12, 29))
    dismissed = world.run(
        world.bureau,
        isvc.dismiss_review,
        world.trust,
        review.id,
        conclusion="经核查，业绩证明真实有效，举报不属实。",
        **DECISION,
        today=DAY,
    )
    assert dismissed.status == "dismissed" and dismissed.outcome == {"certificate_reinstated": cert.number}
    assert status_of(world, cert.number) is CertificateStatus.ACTIVE
    assert world.issue([later], today=D(2026, 12, 29))[0].holder_name == "张伟"


def test_the_bureau_reads_the_archive_with_each_decisions_audit_trail(world: CertWorld) -> None:
    cert, _, _ = world.issued()
    world.run(
        world.bureau,
        isvc.record_fraud,
        world.trust,
        certificate_number=cert.number,
        finding=FINDING,
        evidence=EVIDENCE,
        **DECISION,
        today=DAY,
    )
    for actor in (world.agency, world.applicants[0]):
        with pytest.raises(DomainError, match="只有人社局可以查看诚信档案"):
            world.run(actor, isvc.list_records)
    total, items = world.run(world.bureau, isvc.list_records, status="confirmed")
    assert total == 1 and items[0].subject_name == "张伟" and items[0].id_number_masked == "110***********002X"
    assert [e.description for e in items[0].evidence] == [e["description"] for e in EVIDENCE]
    detail = world.run(world.bureau, isvc.record_detail, items[0].id)
    actions = [(row.entity, row.action) for row in detail.audit]
    for expected in (
        ("application", "accept_results"),
        ("certificate", "issue_certificate"),
        ("integrity_record", "open_review"),
        ("certificate", "suspend_certificate"),
        ("sanction", "record_sanction"),
        ("certificate", "revoke_certificate"),
        ("integrity_record", "confirm_fraud"),
    ):
        assert expected in actions, expected
    assert detail.audit[-1].payload["decision_no"] == DECISION["decision_no"]
    with pytest.raises(DomainError, match="不存在或无权查看"):
        world.run(world.agency, isvc.record_detail, items[0].id)
    with transaction(world.engine) as s:
        assert audit.verify(s).ok
    assert world.run(world.bureau, csvc.certificate_view, cert.number).status == "revoked"
