"""The integrity archive (诚信档案): reviews of suspected fraud and their decisions.

* :func:`open_review` — a complaint or a check raises suspicion: a record ``under_review`` is opened
  and the person's certificate, if issued, is suspended (the status list changes).
* :func:`confirm_fraud` — the deciding body finds fraud (弄虚作假), with the finding, evidence, date
  and decision number: an application still under way fails by the one-vote veto (the workflow's
  ``veto``, which also records the 3-year bar); otherwise the bar is recorded with
  ``workflow.record_sanction``; a certificate obtained by fraud is revoked.  The bar is what
  ``submit`` already checks (``active_sanctions``), so a barred person cannot apply for 3 years.
* :func:`dismiss_review` — the suspicion is unfounded: the suspended certificate is reinstated.
* :func:`record_fraud` — open and confirm in one step (a finding made elsewhere).

Only the bureau acts and reads (``Rights.can_revoke`` / ``can_read_integrity_archive``); every
decision is one transaction with its audit entries, shown with the record (:func:`record_detail`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from zhicheng.certificates.config import TrustSettings
from zhicheng.certificates.service import (
    STATUS_LABELS,
    change_status,
    clean_text,
)
from zhicheng.errors import conflict, forbidden, invalid, not_found
from zhicheng.policy.engine import add_years
from zhicheng.store.models import (
    Application,
    AuditEntry,
    Certificate,
    EvidenceFile,
    IntegrityRecord,
    IntegrityStatus,
    Sanction,
    User,
)
from zhicheng.workflow import service as workflow
from zhicheng.workflow.procedures import PROCEDURES
from zhicheng.workflow.service import INTEGRITY_BAN_YEARS, Context

__all__ = [
    "INTEGRITY_STATUS_LABELS",
    "AuditRow",
    "IntegrityDetail",
    "IntegrityView",
    "confirm_fraud",
    "dismiss_review",
    "list_records",
    "open_review",
    "record_detail",
    "record_fraud",
]

INTEGRITY_STATUS_LABELS = {"under_review": "核查中", "confirmed": "认定弄虚作假", "dismissed": "核查不属实"}
EVIDENCE_MAX_ITEMS = 50
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


# =============================================================================== views


class EvidenceItem(BaseModel):
    description: str = Field(description="证据名称或内容摘要，如“某期刊社出具的撤稿说明”")
    sha256: str | None = Field(None, description="已上传的证明材料文件（按内容寻址的 SHA-256），可选")


class IntegrityView(BaseModel):
    id: int
    status: str = Field(description="under_review 核查中、confirmed 认定弄虚作假、dismissed 核查不属实")
    status_label: str
    version: int
    subject_name: str
    subject_user_id: int | None
    id_number_masked: str | None
    application_id: int | None
    certificate_number: str | None
    certificate_status: str | None
    allegation: str = Field(description="核查缘由（举报、抽查发现等）")
    finding: str | None = Field(None, description="认定事实或核查结论")
    evidence: list[EvidenceItem]
    decided_on: dt.date | None
    deciding_body: str | None = Field(None, description="作出决定的机构")
    decision_no: str | None = Field(None, description="决定文号")
    outcome: dict[str, Any] | None = Field(None, description="决定的结果：申报一票否决、证书撤销、限制申报至某日")
    opened_at: dt.datetime
    decided_at: dt.datetime | None


class AuditRow(BaseModel):
    seq: int
    at: dt.datetime
    actor_id: int | None
    role: str
    action: str
    entity: str
    entity_id: str | None
    from_state: str | None
    to_state: str | None
    payload: dict[str, Any] | None


class IntegrityDetail(IntegrityView):
    audit: list[AuditRow] = Field(description="与本记录、所涉申报、证书、惩戒有关的全部审计记录（哈希链）")


def _view(session: Session, rec: IntegrityRecord) -> IntegrityView:
    cert = session.get(Certificate, rec.certificate_id) if rec.certificate_id else None
    user = session.get(User, rec.subject_user_id) if rec.subject_user_id else None
    return IntegrityView(
        id=rec.id,
        status=rec.status,
        status_label=INTEGRITY_STATUS_LABELS[rec.status],
        version=rec.version,
        subject_name=rec.subject_name,
        subject_user_id=rec.subject_user_id,
        id_number_masked=None if user is None else user.id_number_masked,
        application_id=rec.application_id,
        certificate_number=None if cert is None else cert.number,
        certificate_status=None if cert is None else STATUS_LABELS[cert.status],
        allegation=rec.allegation,
        finding=rec.finding,
        evidence=[EvidenceItem.model_validate(e) for e in rec.evidence],
        decided_on=rec.decided_on,
        deciding_body=rec.deciding_body,
        decision_no=rec.decision_no,
        outcome=rec.outcome,
        opened_at=rec.opened_at,
        decided_at=rec.decided_at,
    )


# =============================================================================== helpers


def _require(ctx: Context) -> None:
    if not ctx.rights.can_revoke():
        raise forbidden("只有人社局可以登记诚信核查和处理决定")


def _subject(
    ctx: Context, application_id: int | None, certificate_number: str | None
) -> tuple[User, Application | None, Certificate | None]:
    cert: Certificate | None = None
    app: Application | None = None
    if certificate_number:
        cert = ctx.session.scalar(select(Certificate).where(Certificate.number == certificate_number.strip().upper()))
        if cert is None:
            raise not_found("证书")
        app = ctx.session.get(Application, cert.application_id)
    if application_id is not None:
        found = workflow.get_application(ctx, application_id)
        if app is not None and found.id != app.id:
            raise invalid("application_id", "申报与证书不属于同一人同一次评审")
        app = found
        cert = cert or ctx.session.scalar(select(Certificate).where(Certificate.application_id == app.id))
    if app is None:
        raise invalid("application_id", "请指明所涉申报（application_id）或证书编号（certificate_number）")
    user = ctx.session.get(User, app.applicant_id)
    if user is None or user.id_number_index is None:
        raise conflict("该申报人没有实名登记的证件号码，无法记入诚信档案")
    return user, app, cert


def _evidence(ctx: Context, items: list[dict[str, Any]] | list[EvidenceItem]) -> list[dict[str, Any]]:
    if not items:
        raise invalid("evidence", "认定弄虚作假须列明证据")
    if len(items) > EVIDENCE_MAX_ITEMS:
        raise invalid("evidence", f"证据最多{EVIDENCE_MAX_ITEMS}项")
    out = []
    for i, raw in enumerate(items):
        item = raw if isinstance(raw, EvidenceItem) else EvidenceItem.model_validate(raw)
        description = clean_text(item.description, f"evidence[{i}].description", "证据说明", min_chars=2, max_chars=500)
        sha = (item.sha256 or "").strip().lower() or None
        if sha is not None and (_SHA256_RE.fullmatch(sha) is None or ctx.session.get(EvidenceFile, sha) is None):
            raise invalid(f"evidence[{i}].sha256", "不是已上传的证明材料文件")
        out.append({"description": description, "sha256": sha})
    return out


def _decision(ctx: Context, decided_on: dt.date, deciding_body: str, decision_no: str) -> tuple[dt.date, str, str]:
    if decided_on > ctx.today:
        raise invalid("decided_on", "决定日期不能晚于今天")
    body = clean_text(deciding_body, "deciding_body", "作出决定的机构", min_chars=2, max_chars=200, one_line=True)
    number = clean_text(decision_no, "decision_no", "决定文号", min_chars=2, max_chars=100, one_line=True)
    return decided_on, body, number


def _record(ctx: Context, record_id: int, expected_version: int | None) -> IntegrityRecord:
    rec = ctx.session.get(IntegrityRecord, record_id)
    if rec is None or not ctx.rights.can_read_integrity_archive():
        raise not_found("诚信档案记录")
    if rec.status != IntegrityStatus.UNDER_REVIEW:
        raise conflict(f"该记录已处理（{INTEGRITY_STATUS_LABELS[rec.status]}）")
    if expected_version is not None and expected_version != rec.version:
        raise conflict("记录已被他人处理，请刷新后重试")
    return rec


def _close(ctx: Context, rec: IntegrityRecord, values: dict[str, Any]) -> None:
    """Compare-and-set the record out of ``under_review``."""
    result = ctx.session.execute(
        update(IntegrityRecord)
        .where(
            IntegrityRecord.id == rec.id,
            IntegrityRecord.version == rec.version,
            IntegrityRecord.status == IntegrityStatus.UNDER_REVIEW.value,
        )
        .values(version=IntegrityRecord.version + 1, decided_by=ctx.actor.user_id or None, decided_at=ctx.now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise conflict("记录已被他人处理，请刷新后重试")
    ctx.session.expire(rec)


# =============================================================================== decisions


def open_review(
    ctx: Context,
    trust: TrustSettings,
    *,
    allegation: str,
    application_id: int | None = None,
    certificate_number: str | None = None,
) -> IntegrityView:
    """Open a review; the person's certificate (if any, and valid) is suspended meanwhile."""
    _require(ctx)
    allegation = clean_text(allegation, "allegation", "核查缘由", min_chars=10)
    user, app, cert = _subject(ctx, application_id, certificate_number)
    assert user.id_number_index is not None
    same = [IntegrityRecord.application_id == app.id] if app is not None else []
    same += [IntegrityRecord.certificate_id == cert.id] if cert is not None else []
    busy = ctx.session.scalar(
        select(IntegrityRecord.id).where(IntegrityRecord.status == IntegrityStatus.UNDER_REVIEW.value, or_(*same))
    )
    if busy is not None:
        raise conflict(f"该申报或证书已在核查中（诚信档案记录 {busy}）")
    rec = IntegrityRecord(
        id_number_index=user.id_number_index,
        subject_name=user.display_name,
        subject_user_id=user.id,
        application_id=None if app is None else app.id,
        certificate_id=None if cert is None else cert.id,
        status=IntegrityStatus.UNDER_REVIEW.value,
        allegation=allegation,
        evidence=[],
        opened_by=ctx.actor.user_id or None,
        opened_at=ctx.now,
    )
    ctx.session.add(rec)
    ctx.session.flush()
    suspended = None
    if cert is not None and cert.status == "valid":
        change_status(ctx, trust, cert.number, "suspend", reason=f"诚信核查（档案记录 {rec.id}）：{allegation}")
        suspended = cert.number
    ctx.audit(
        "open_review",
        "integrity_record",
        rec.id,
        to_state=IntegrityStatus.UNDER_REVIEW.value,
        payload={"application_id": rec.application_id, "certificate_suspended": suspended},
    )
    return _view(ctx.session, rec)


def confirm_fraud(
    ctx: Context,
    trust: TrustSettings,
    record_id: int,
    *,
    finding: str,
    evidence: list[dict[str, Any]] | list[EvidenceItem],
    decided_on: dt.date,
    deciding_body: str,
    decision_no: str,
    expected_version: int | None = None,
) -> IntegrityView:
    """认定弄虚作假: veto the application under way (or record the bar), revoke the certificate."""
    _require(ctx)
    rec = _record(ctx, record_id, expected_version)
    finding = clean_text(finding, "finding", "认定事实", min_chars=10)
    items = _evidence(ctx, evidence)
    decided_on, body, number = _decision(ctx, decided_on, deciding_body, decision_no)
    outcome: dict[str, Any] = {"application_vetoed": None, "certificate_revoked": None}
    sanction: Sanction | None = None
    app = ctx.session.get(Application, rec.application_id) if rec.application_id else None
    if app is not None and not PROCEDURES[ctx.catalog.document(app.document_id).procedure].step(app.state).final:
        workflow.act(ctx, app.id, "veto", reason=f"弄虚作假（{body}{number}）：{finding}")
        outcome["application_vetoed"] = app.id
        sanction = ctx.session.scalar(
            select(Sanction)
            .where(Sanction.id_number_index == rec.id_number_index, Sanction.source == f"申报 {app.id}")
            .order_by(Sanction.id.desc())
            .limit(1)
        )
    if sanction is None:
        sanction = workflow.record_sanction(
            ctx,
            id_number_index=rec.id_number_index,
            kind="integrity",
            start=ctx.today,
            end=add_years(ctx.today, INTEGRITY_BAN_YEARS) - dt.timedelta(days=1),
            reason=f"弄虚作假：{finding}",
            source=f"{body} {number}",
        )
    outcome["barred_until"] = sanction.end_date.isoformat() if sanction.end_date else None
    cert = ctx.session.get(Certificate, rec.certificate_id) if rec.certificate_id else None
    if cert is not None and cert.status != "revoked":
        change_status(ctx, trust, cert.number, "revoke", reason=f"弄虚作假取得（{body}{number}）：{finding}")
        outcome["certificate_revoked"] = cert.number
    _close(
        ctx,
        rec,
        {
            "status": IntegrityStatus.CONFIRMED.value,
            "finding": finding,
            "evidence": items,
            "decided_on": decided_on,
            "deciding_body": body,
            "decision_no": number,
            "outcome": outcome,
            "sanction_id": sanction.id,
        },
    )
    ctx.audit(
        "confirm_fraud",
        "integrity_record",
        rec.id,
        from_state=IntegrityStatus.UNDER_REVIEW.value,
        to_state=IntegrityStatus.CONFIRMED.value,
        payload={"decision_no": number, "deciding_body": body, "evidence": len(items), **outcome},
    )
    return _view(ctx.session, rec)


def dismiss_review(
    ctx: Context,
    trust: TrustSettings,
    record_id: int,
    *,
    conclusion: str,
    decided_on: dt.date,
    deciding_body: str,
    decision_no: str,
    expected_version: int | None = None,
) -> IntegrityView:
    """核查不属实: close the review and reinstate the suspended certificate."""
    _require(ctx)
    rec = _record(ctx, record_id, expected_version)
    conclusion = clean_text(conclusion, "conclusion", "核查结论", min_chars=10)
    decided_on, body, number = _decision(ctx, decided_on, deciding_body, decision_no)
    cert = ctx.session.get(Certificate, rec.certificate_id) if rec.certificate_id else None
    reinstated = None
    if cert is not None and cert.status == "suspended":
        change_status(ctx, trust, cert.number, "reinstate", reason=f"核查不属实（{body}{number}）：{conclusion}")
        reinstated = cert.number
    outcome = {"certificate_reinstated": reinstated}
    _close(
        ctx,
        rec,
        {
            "status": IntegrityStatus.DISMISSED.value,
            "finding": conclusion,
            "decided_on": decided_on,
            "deciding_body": body,
            "decision_no": number,
            "outcome": outcome,
        },
    )
    ctx.audit(
        "dismiss_review",
        "integrity_record",
        rec.id,
        from_state=IntegrityStatus.UNDER_REVIEW.value,
        to_state=IntegrityStatus.DISMISSED.value,
        payload={"decision_no": number, "deciding_body": body, **outcome},
    )
    return _view(ctx.session, rec)


def record_fraud(
    ctx: Context,
    trust: TrustSettings,
    *,
    finding: str,
    evidence: list[dict[str, Any]] | list[EvidenceItem],
    decided_on: dt.date,
    deciding_body: str,
    decision_no: str,
    application_id: int | None = None,
    certificate_number: str | None = None,
    allegation: str | None = None,
) -> IntegrityView:
    """A fraud finding made without a prior review here: open and confirm in one transaction."""
    opened = open_review(
        ctx,
        trust,
        allegation=allegation or finding,
        application_id=application_id,
        certificate_number=certificate_number,
    )
    return confirm_fraud(
        ctx,
        trust,
        opened.id,
        finding=finding,
        evidence=evidence,
        decided_on=decided_on,
        deciding_body=deciding_body,
        decision_no=decision_no,
    )


# =============================================================================== reading


def list_records(
    ctx: Context, *, status: str | None = None, offset: int = 0, limit: int = 20
) -> tuple[int, list[IntegrityView]]:
    """The archive, newest first (bureau only)."""
    if not ctx.rights.can_read_integrity_archive():
        raise forbidden("只有人社局可以查看诚信档案")
    stmt = select(IntegrityRecord)
    if status is not None:
        if status not in INTEGRITY_STATUS_LABELS:
            raise invalid("status", "应为 under_review、confirmed 或 dismissed")
        stmt = stmt.where(IntegrityRecord.status == status)
    total = ctx.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = ctx.session.scalars(
        stmt.order_by(IntegrityRecord.opened_at.desc(), IntegrityRecord.id.desc()).offset(offset).limit(limit)
    )
    return total, [_view(ctx.session, r) for r in rows]


def record_detail(ctx: Context, record_id: int) -> IntegrityDetail:
    """One record and the audit trail of every decision it involved, oldest first."""
    if not ctx.rights.can_read_integrity_archive():
        raise not_found("诚信档案记录")
    rec = ctx.session.get(IntegrityRecord, record_id)
    if rec is None:
        raise not_found("诚信档案记录")
    view = _view(ctx.session, rec)
    about = [and_(AuditEntry.entity == "integrity_record", AuditEntry.entity_id == str(rec.id))]
    if view.certificate_number:
        about.append(and_(AuditEntry.entity == "certificate", AuditEntry.entity_id == view.certificate_number))
    if rec.application_id:
        about.append(and_(AuditEntry.entity == "application", AuditEntry.entity_id == str(rec.application_id)))
    if rec.sanction_id:
        about.append(and_(AuditEntry.entity == "sanction", AuditEntry.entity_id == str(rec.sanction_id)))
    entries = ctx.session.scalars(select(AuditEntry).where(or_(*about)).order_by(AuditEntry.seq))
    rows = [
        AuditRow(
            seq=e.seq,
            at=e.created_at,
            actor_id=e.actor_id,
            role=e.role,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            from_state=e.from_state,
            to_state=e.to_state,
            payload=e.payload,
        )
        for e in entries
    ]
    return IntegrityDetail(**view.model_dump(), audit=rows)
