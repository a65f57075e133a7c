"""Acceptance, issuing, status changes and key rotation through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from cert_world import ACCEPT_DAY, APPROVAL, BASE_URL, ISSUE_DAY, CertWorld, at
from sqlalchemy import Engine, select

from zhicheng.certificates import service as csvc
from zhicheng.certificates.keys import current_signer, published_keyring, rotate_key
from zhicheng.certificates.model import parse_certificate_number
from zhicheng.certificates.pdf import verify_pdf
from zhicheng.certificates.status import CertificateStatus, verify_status_list
from zhicheng.certificates.verify import verify_certificate
from zhicheng.errors import DomainError
from zhicheng.store import audit
from zhicheng.store.db import transaction
from zhicheng.store.models import Acceptance, AuditEntry, StatusListRecord
from zhicheng.workflow import service as wsvc

D = dt.date


def published(world: CertWorld, list_id: str) -> tuple[object, bytes]:
    """(key ring, signed status list bytes) exactly as a verifier downloads them."""
    with transaction(world.engine) as s:
        record = s.get(StatusListRecord, list_id)
        assert record is not None
        return published_keyring(s), record.document.encode()


def test_acceptance_records_the_approval_number_and_starts_the_results_notice(world: CertWorld) -> None:
    with pytest.raises(DomainError, match="只有人社局可以验收"):
        world.run(world.agency, csvc.accept_results, approval_number=APPROVAL, application_ids=world.apps)
    with pytest.raises(DomainError, match="批准文号"):
        world.run(world.bureau, csvc.accept_results, approval_number="  ", application_ids=world.apps)
    accepted = world.accept()
    assert (accepted.approval_number, accepted.application_ids, accepted.accepted_on) == (
        APPROVAL,
        world.apps,
        ACCEPT_DAY,
    )
    assert [world.state(a) for a in world.apps] == ["results_notice", "results_notice"]
    with pytest.raises(DomainError, match="不在待验收之列"):
        world.accept()
    with transaction(world.engine) as s:
        notice = wsvc.current_notice(s, s.get(wsvc.Application, world.apps[0]), "results")
        assert (notice.start_date, notice.end_date) == (ACCEPT_DAY, D(2026, 12, 7))  # 5 working days
        moves = s.scalars(select(AuditEntry).where(AuditEntry.action == "accept_results")).all()
        # one entry for the acceptance, one per application, the approval number in each
        assert [m.entity for m in moves] == ["acceptance", "application", "application"]
        assert all(m.payload["approval_number"] == APPROVAL for m in moves)
        assert audit.verify(s).ok


def test_per_application_acceptance_needs_the_approval_number(world: CertWorld) -> None:
    with pytest.raises(DomainError, match="验收须登记批准文号"):
        world.run(world.bureau, wsvc.act, world.apps[0], "accept_results", today=ACCEPT_DAY)
    app = world.run(
        world.bureau,
        wsvc.act,
        world.apps[0],
        "accept_results",
        data={"approval_number": "京人社职字〔2026〕20号"},
        today=ACCEPT_DAY,
    )
    assert app.state == "results_notice"
    with transaction(world.engine) as s:
        acc = s.scalars(select(Acceptance)).one()
        assert acc.approval_number == "京人社职字〔2026〕20号" and acc.committee_name.endswith("评审委员会")


def test_issue_only_after_the_notice_closed_without_open_objection(world: CertWorld) -> None:
    world.accept()
    with pytest.raises(DomainError, match="公示期至2026-12-07"):
        world.issue(today=D(2026, 12, 7))
    with transaction(world.engine) as s:
        notice = wsvc.current_notice(s, s.get(wsvc.Application, world.apps[0]), "results")
        objection = wsvc.file_objection(
            s,
            notice_id=notice.id,
            application_id=world.apps[0],
            content="该申报人的代表作并非本人完成，请核查。",
            name="李明",
            contact="13800000000",
            today=D(2026, 12, 3),
        )
        objection_id = objection.id
    with pytest.raises(DomainError, match="异议尚未处理"):
        world.issue([world.apps[0]])
    with pytest.raises(DomainError, match="只有评审服务机构可以颁发证书"):
        world.run(world.bureau, csvc.issue_certificates, world.trust, [world.apps[1]])
    world.run(
        world.agency, wsvc.decide_objection, objection_id, upheld=False, decision="经核查为本人独立完成，异议不成立。"
    )
    total, waiting = world.run(world.agency, csvc.awaiting_certificates)
    assert total == 2 and {w.approval_number for w in waiting} == {APPROVAL}
    assert {w.notice_end for w in waiting} == {D(2026, 12, 7)}
    assert world.run(world.bureau, csvc.list_acceptances)[0] == 1
    with pytest.raises(DomainError, match="只有人社局和评审服务机构"):
        world.run(world.applicants[0], csvc.list_acceptances)
    first = world.issue()
    assert world.run(world.agency, csvc.awaiting_certificates)[0] == 0
    again = world.issue()  # idempotent: the same certificates, nothing new
    assert [c.number for c in again] == [c.number for c in first]
    assert [world.state(a) for a in world.apps] == ["certified", "certified"]


def test_certificate_content_number_and_signature(world: CertWorld) -> None:
    certs = world.issued()
    c = certs[0]
    number = parse_certificate_number(c.number)
    assert (number.region_code, number.year, number.level.value) == ("110000", 2026, "senior_engineer")
    assert sorted(parse_certificate_number(x.number).sequence for x in certs) == [1, 2]
    assert (c.holder_name, c.title_name, c.level_grade, c.series, c.specialty) == (
        "张伟",
        "高级工程师",
        "副高级",
        "工程技术",
        "人工智能",
    )
    assert c.id_number_masked == "110***********002X" and c.approval_number == APPROVAL
    assert (c.qualification_date, c.issue_date, c.issuer) == (ACCEPT_DAY, ISSUE_DAY, "北京市人力资源和社会保障局")
    assert c.committee_name.endswith("评审委员会") and c.status == "valid"
    stored = world.certificate(c.number)
    assert c.verification_url == f"{BASE_URL}/verify/{c.number}?t={stored.token}" and len(stored.token) >= 20
    keyring, status_doc = published(world, c.status_list_id)
    result = verify_certificate(stored.signed_json.encode(), keyring, status_doc)
    assert result.valid and result.status_checked and result.kid == c.kid
    assert result.fields is not None and result.fields.holder_name == "张伟"
    # the PDF carries the same certificate and a file signature over every byte
    pdf = world.run(world.applicants[0], csvc.certificate_pdf, world.trust, c.number)
    assert pdf.startswith(b"%PDF") and verify_pdf(pdf, keyring, status_doc).valid
    # the holder sees their own certificate only; staff see all
    assert world.run(world.applicants[0], csvc.list_certificates)[0] == 1
    assert world.run(world.bureau, csvc.list_certificates)[0] == 2
    with pytest.raises(DomainError, match="不存在或无权查看"):
        world.run(world.applicants[1], csvc.certificate_view, c.number)


def test_revoke_and_suspend_change_the_published_status_list(world: CertWorld) -> None:
    a, b = world.issued()
    with pytest.raises(DomainError, match="只有人社局"):
        world.run(world.agency, csvc.revoke_certificate, world.trust, a.number, reason="弄虚作假取得")
    with pytest.raises(DomainError, match="须填写撤销理由"):
        world.run(world.bureau, csvc.revoke_certificate, world.trust, a.number, reason="")
    world.run(world.bureau, csvc.suspend_certificate, world.trust, b.number, reason="收到举报，核查期间暂停")
    view = world.run(world.bureau, csvc.revoke_certificate, world.trust, a.number, reason="认定以弄虚作假取得")
    assert view.status == "revoked" and view.status_reason == "认定以弄虚作假取得"
    keyring, status_doc = published(world, a.status_list_id)
    status_list = verify_status_list(status_doc, keyring)  # the list itself is signed and verifies
    assert status_list.get(a.status_index) is CertificateStatus.REVOKED
    assert status_list.get(b.status_index) is CertificateStatus.SUSPENDED
    results = [
        verify_certificate(world.certificate(x.number).signed_json.encode(), keyring, status_doc) for x in (a, b)
    ]
    assert [(r.valid, r.status.value) for r in results] == [(False, "revoked"), (False, "suspended")]
    with pytest.raises(DomainError, match="不能恢复"):
        world.run(world.bureau, csvc.reinstate_certificate, world.trust, a.number, reason="撤销后不能恢复")
    world.run(world.bureau, csvc.reinstate_certificate, world.trust, b.number, reason="核查不属实，恢复使用")
    keyring, status_doc = published(world, a.status_list_id)
    assert verify_certificate(world.certificate(b.number).signed_json.encode(), keyring, status_doc).valid
    with transaction(world.engine) as s:
        actions = [
            e.action
            for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "certificate").order_by(AuditEntry.seq))
        ]
        assert actions.count("issue_certificate") == 2
        assert actions[-3:] == ["suspend_certificate", "revoke_certificate", "reinstate_certificate"]


def test_old_certificate_verifies_after_key_rotation(world: CertWorld) -> None:
    old, _ = world.issued()
    with transaction(world.engine) as s:
        new_key = rotate_key(s, world.trust.keys, D(2026, 12, 20), actor_id=None).kid
    assert new_key != old.kid
    # a later certificate is signed with the new key; revoking it re-signs the list with the new key
    with transaction(world.engine) as s:
        rnd = wsvc.Round(
            year=2026,
            kind="special",
            document_id="ai_bj_2020",
            levels=["engineer"],
            title="专项评审",
            window_start=D(2026, 12, 1),
            window_end=D(2026, 12, 31),
            status="open",
        )
        s.add(rnd)
        s.flush()
        later = wsvc.Application(
            round_id=rnd.id,
            applicant_id=world.applicants[0].user_id,
            document_id="ai_bj_2020",
            level="engineer",
            state="acceptance",
            profile={},
        )
        s.add(later)
        s.flush()
        later_id = later.id
    world.accept([later_id], today=D(2026, 12, 21))
    (newer,) = world.issue([later_id], today=D(2026, 12, 29))
    assert newer.kid == new_key
    world.run(
        world.bureau,
        csvc.revoke_certificate,
        world.trust,
        newer.number,
        reason="测试：撤销新证书",
        today=D(2026, 12, 30),
    )
    keyring, status_doc = published(world, old.status_list_id)
    assert [k.kid for k in keyring] == [old.kid, new_key]
    assert keyring.get(old.kid).retired_at == D(2026, 12, 20)
    result = verify_certificate(world.certificate(old.number).signed_json.encode(), keyring, status_doc)
    assert result.valid and result.kid == old.kid and result.status_checked
    assert verify_certificate(world.certificate(newer.number).signed_json.encode(), keyring, status_doc).status == (
        "revoked"
    )
    # the retired key no longer signs: today's signer is the new one
    with transaction(world.engine) as s:
        assert current_signer(s, world.trust.keys, D(2026, 12, 30)).key_id == new_key


def test_a_host_without_the_current_private_key_refuses_to_sign(world: CertWorld, tmp_path: Path) -> None:
    world.issued()
    elsewhere = tmp_path / "other-host-keys"
    with pytest.raises(DomainError, match="本机缺少当前签名密钥") as exc, transaction(world.engine) as s:
        from zhicheng.certificates.keys import KeyStore

        current_signer(s, KeyStore(elsewhere), ISSUE_DAY, now=at(ISSUE_DAY))
    assert exc.value.status == 503


def test_acceptance_of_a_closed_meeting_takes_its_passed_applicants(engine: Engine, tmp_path: Path) -> None:
    """The review module's real meeting: one applicant passes, one fails; the bureau accepts the meeting."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))
    from review_world import build_world, ready_to_vote

    from zhicheng.certificates.config import TrustSettings
    from zhicheng.review import service as rsvc

    w = build_world(engine)
    mid = ready_to_vote(w, 7)
    members = w.members(mid)
    a, b = w.apps
    for app_id, yes in ((a, 6), (b, 2)):
        w.run(w.agency, rsvc.open_ballot, mid, app_id)
        w.vote(mid, app_id, {m.user_id: ("yes" if i < yes else "no") for i, m in enumerate(members)})
        w.run(w.agency, rsvc.close_ballot, mid, app_id)
    with pytest.raises(DomainError, match="评审会议尚未结束"):
        w.run(w.bureau, csvc.accept_results, approval_number=APPROVAL, meeting_id=mid, today=D(2026, 11, 20))
    w.run(w.agency, rsvc.close_meeting, mid)
    accepted = w.run(w.bureau, csvc.accept_results, approval_number=APPROVAL, meeting_id=mid, today=D(2026, 11, 20))
    assert accepted.application_ids == [a] and accepted.committee_name.startswith("测试评委会")
    with transaction(engine) as s:
        assert (s.get(wsvc.Application, a).state, s.get(wsvc.Application, b).state) == ("results_notice", "failed")
    trust = TrustSettings(base_url=BASE_URL, key_dir=tmp_path / "keys")
    with transaction(engine) as s:
        ctx = wsvc.Context(s, w.agency, D(2026, 11, 30), now=at(D(2026, 11, 30)))
        (cert,) = csvc.issue_certificates(ctx, trust, [a])
    assert cert.committee_name == accepted.committee_name and cert.approval_number == APPROVAL


def test_concurrent_issuing_gives_distinct_numbers_and_indexes(engine: Engine, tmp_path: Path) -> None:
    """Two agency clerks issue different applications at the same moment (two connections)."""
    import threading

    from cert_world import build_world

    world = build_world(engine, tmp_path, applicants=3)
    world.accept()
    world.issue(world.apps[:1])  # the status list and the key exist
    barrier = threading.Barrier(2)
    results: dict[int, object] = {}

    def clerk(app_id: int) -> None:
        barrier.wait()
        try:
            results[app_id] = world.issue([app_id])[0]
        except Exception as exc:  # recorded and asserted below
            results[app_id] = exc

    threads = [threading.Thread(target=clerk, args=(a,)) for a in world.apps[1:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    views = [results[a] for a in world.apps[1:]]
    assert all(isinstance(v, csvc.CertificateView) for v in views), views
    total, certs = world.run(world.agency, csvc.list_certificates)
    assert total == 3
    assert sorted(parse_certificate_number(c.number).sequence for c in certs) == [1, 2, 3]
    assert len({c.status_index for c in certs}) == 3


def test_first_issuing_by_several_clerks_at_once_does_not_deadlock(engine: Engine, tmp_path: Path) -> None:
    """No signing key and no status list yet, four clerks issue at the same moment: generating the first
    key audits, allocating takes the status list's lock.  Issuing takes the audit chain's lock first, so
    the clerks queue instead of deadlocking (the season simulation with two workers found this)."""
    import threading

    from cert_world import build_world

    world = build_world(engine, tmp_path, applicants=8)
    world.accept()
    for app_id in world.apps[::2]:  # half certified through the procedure first, half certified by issuing
        world.run(world.agency, wsvc.act, app_id, "certify")
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def clerk(app_ids: list[int]) -> None:
        barrier.wait()
        for app_id in app_ids:
            try:
                world.issue([app_id])
            except Exception as exc:  # recorded and asserted below
                failures.append(exc)

    threads = [threading.Thread(target=clerk, args=(world.apps[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    total, certs = world.run(world.agency, csvc.list_certificates)
    assert total == 8
    assert sorted(parse_certificate_number(c.number).sequence for c in certs) == list(range(1, 9))
    assert len({(c.status_list_id, c.status_index) for c in certs}) == 8
