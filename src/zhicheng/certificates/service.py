"""Domain services of acceptance (验收), issuing (发证) and certificate status (暂停、恢复、撤销).

Every function takes the workflow's :class:`~zhicheng.workflow.service.Context`, runs inside the
caller's transaction, asks :class:`~zhicheng.workflow.rights.Rights` every permission question,
raises :class:`~zhicheng.errors.DomainError` with a Chinese message and appends to the audit trail.

* Acceptance: the bureau accepts a closed meeting's passed applicants (or named applications) and
  records the approval document number; each application then takes the procedure's
  ``accept_results`` step, whose guard (``results_accepted``) finds that record and starts the results
  notice.  ``accept_results`` with ``{"approval_number": …}`` on one application does the same for one.
* Issuing: only for applications whose results notice closed with no open or upheld objection
  (the ``certify`` step's guard), or already ``certified``; never twice (one certificate per
  application); never while the applicant is under an integrity review.
* Status: ``certificates.status`` is the truth; every change re-signs the certificate's status list
  in the same transaction, so the published list and the database never disagree.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhicheng.errors import DomainError, conflict, forbidden, invalid, not_found
from zhicheng.store import audit
from zhicheng.store.models import (
    Acceptance,
    AcceptanceEntry,
    Application,
    Certificate,
    CertificateState,
    Committee,
    IntegrityRecord,
    IntegrityStatus,
    Meeting,
    MeetingItem,
    MeetingStatus,
    Round,
    StatusListRecord,
    User,
)
from zhicheng.workflow import service as workflow
from zhicheng.workflow.service import Context

from .config import TrustSettings
from .keys import current_signer
from .model import (
    LEVEL_CODES,
    LEVEL_GRADE_NAMES,
    TITLE_NAMES,
    CertificateData,
    SignedCertificate,
    TitleLevel,
    make_certificate_number,
    sign_certificate,
)
from .pdf import render_certificate_pdf
from .signing import Signer
from .status import DEFAULT_LIST_SIZE, CertificateStatus, StatusList

__all__ = [
    "ISSUERS",
    "SERIES",
    "STATUS_LABELS",
    "AcceptanceView",
    "AwaitingRow",
    "CertificateView",
    "accept_results",
    "acceptance_for",
    "awaiting_certificates",
    "certificate_json",
    "certificate_pdf",
    "certificate_view",
    "change_status",
    "clean_text",
    "get_certificate",
    "issue_certificates",
    "list_acceptances",
    "list_certificates",
    "reinstate_certificate",
    "revoke_certificate",
    "suspend_certificate",
]

SERIES = "工程技术"
# 发证机关 and GB/T 2260 region code per procedure (京人社事业发〔2020〕17号：市人社局发证；
# 青西新管发〔2023〕13号：新区管委核准备案，山东省专业技术人员管理服务平台发放电子证书).
ISSUERS: dict[str, tuple[str, str]] = {
    "beijing": ("110000", "北京市人力资源和社会保障局"),
    "qingdao": ("370211", "青岛西海岸新区管理委员会"),
}
STATUS_LABELS = {"valid": "有效", "suspended": "暂停（核查中）", "revoked": "已撤销"}
APPROVAL_NUMBER_MAX = 50
LIST_FILL = 0.75  # start a new status list when this share of indexes is taken (random indexes stay cheap)
REASON_MIN_CHARS = 5


# =============================================================================== views


class AcceptanceView(BaseModel):
    id: int
    meeting_id: int | None
    approval_number: str = Field(description="批准文号")
    committee_name: str
    accepted_on: dt.date
    note: str | None
    application_ids: list[int]


class CertificateView(BaseModel):
    number: str = Field(description="证书编号")
    status: str = Field(description="valid 有效、suspended 暂停、revoked 已撤销")
    status_label: str
    status_reason: str | None
    status_changed_at: dt.datetime | None
    application_id: int
    holder_id: int
    holder_name: str
    id_number_masked: str
    title_name: str
    level: str
    level_grade: str = Field(description="员级…正高级")
    series: str
    specialty: str
    qualification_date: dt.date
    committee_name: str
    approval_number: str
    issuer: str
    issue_date: dt.date
    verification_url: str
    kid: str = Field(description="签名密钥标识")
    alg: str
    status_list_id: str
    status_index: int
    issued_at: dt.datetime


class AwaitingRow(BaseModel):
    application_id: int
    holder_name: str
    level: str
    state: str
    approval_number: str | None
    notice_end: dt.date | None


def _view(cert: Certificate) -> CertificateView:
    f = cert.fields
    level = TitleLevel(f["level"])
    return CertificateView(
        number=cert.number,
        status=cert.status,
        status_label=STATUS_LABELS[cert.status],
        status_reason=cert.status_reason,
        status_changed_at=cert.status_changed_at,
        application_id=cert.application_id,
        holder_id=cert.holder_id,
        holder_name=cert.holder_name,
        id_number_masked=f["id_number_masked"],
        title_name=f["title_name"],
        level=level.value,
        level_grade=LEVEL_GRADE_NAMES[level],
        series=f["series"],
        specialty=f["specialty"],
        qualification_date=dt.date.fromisoformat(f["qualification_date"]),
        committee_name=f["committee_name"],
        approval_number=f["approval_number"],
        issuer=f["issuer"],
        issue_date=cert.issue_date,
        verification_url=f["verification_url"],
        kid=cert.kid,
        alg=cert.alg,
        status_list_id=cert.status_list_id,
        status_index=cert.status_index,
        issued_at=cert.issued_at,
    )


def clean_text(
    value: str | None, field: str, label: str, *, min_chars: int = 1, max_chars: int = 5000, one_line: bool = False
) -> str:
    """Trimmed text within bounds; ``one_line`` refuses line breaks (fields printed on the certificate)."""
    text = (value or "").strip()
    if len(text) < min_chars:
        raise invalid(field, f"须填写{label}" + (f"（至少{min_chars}个字）" if min_chars > 1 else ""))
    if len(text) > max_chars:
        raise invalid(field, f"{label}过长（最多{max_chars}个字）")
    allowed = "" if one_line else "\n\t"
    if any(ord(ch) < 32 and ch not in allowed for ch in text) or "\x7f" in text:
        raise invalid(field, f"{label}不能包含{'换行或' if one_line else ''}控制字符")
    return text


# =============================================================================== acceptance (验收)


def _default_committee_name(ctx: Context, app: Application) -> str:
    """The committee that decided the application in a meeting; else the document's committee."""
    name = ctx.session.scalar(
        select(Committee.name)
        .join(Meeting, Meeting.committee_id == Committee.id)
        .join(MeetingItem, MeetingItem.meeting_id == Meeting.id)
        .where(MeetingItem.application_id == app.id, MeetingItem.passed.is_(True))
        .order_by(MeetingItem.decided_at.desc())
        .limit(1)
    )
    return name or f"{ctx.catalog.document(app.document_id).short_title}专业技术资格评审委员会"[:100]


def _new_acceptance(
    ctx: Context, *, approval_number: str, committee_name: str, meeting_id: int | None, note: str | None
) -> Acceptance:
    acc = Acceptance(
        meeting_id=meeting_id,
        approval_number=approval_number,
        committee_name=committee_name,
        accepted_on=ctx.today,
        note=note,
        accepted_by=ctx.actor.user_id or None,
    )
    ctx.session.add(acc)
    ctx.session.flush()
    return acc


def acceptance_for(ctx: Context, app: Application, data: dict[str, Any]) -> dict[str, Any]:
    """Guard hook of the ``accept_results`` step: the acceptance recorded for ``app`` (by
    :func:`accept_results`), or a new one from ``data["approval_number"]``; the audit payload."""
    entry = ctx.session.get(AcceptanceEntry, app.id)
    if entry is None:
        number = data.get("approval_number")
        if not isinstance(number, str) or not number.strip():
            raise invalid("approval_number", "验收须登记批准文号（如“京人社职字〔2026〕18号”）")
        number = clean_text(
            number, "approval_number", "批准文号", min_chars=4, max_chars=APPROVAL_NUMBER_MAX, one_line=True
        )
        committee = data.get("committee_name")
        committee_name = (
            clean_text(committee, "committee_name", "评审委员会名称", max_chars=100, one_line=True)
            if isinstance(committee, str) and committee.strip()
            else _default_committee_name(ctx, app)
        )
        acc = _new_acceptance(ctx, approval_number=number, committee_name=committee_name, meeting_id=None, note=None)
        ctx.session.add(AcceptanceEntry(application_id=app.id, acceptance_id=acc.id))
        ctx.session.flush()
        ctx.audit("accept_results", "acceptance", acc.id, payload={"approval_number": number, "applications": [app.id]})
        entry = ctx.session.get(AcceptanceEntry, app.id)
        assert entry is not None
    recorded = ctx.session.get(Acceptance, entry.acceptance_id)
    assert recorded is not None
    return {"acceptance_id": recorded.id, "approval_number": recorded.approval_number}


def accept_results(
    ctx: Context,
    *,
    approval_number: str,
    meeting_id: int | None = None,
    application_ids: list[int] | None = None,
    note: str | None = None,
) -> AcceptanceView:
    """The bureau accepts (验收) a closed meeting's passed applicants — or the named applications
    waiting for acceptance — under one approval document number; each moves to the results notice."""
    if not ctx.rights.can_accept_results():
        raise forbidden("只有人社局可以验收评审结果")
    number = clean_text(
        approval_number, "approval_number", "批准文号", min_chars=4, max_chars=APPROVAL_NUMBER_MAX, one_line=True
    )
    note = clean_text(note, "note", "备注", max_chars=2000) if note and note.strip() else None
    ids = list(dict.fromkeys(application_ids or []))
    committee_name: str | None = None
    if meeting_id is not None:
        meeting = ctx.session.get(Meeting, meeting_id)
        if meeting is None:
            raise not_found("评审会议")
        if meeting.status != MeetingStatus.CLOSED:
            raise conflict("评审会议尚未结束：会议记录归档后方可验收")
        committee = ctx.session.get(Committee, meeting.committee_id)
        committee_name = committee.name if committee else None
        passed = list(
            ctx.session.scalars(
                select(MeetingItem.application_id)
                .join(Application, Application.id == MeetingItem.application_id)
                .where(
                    MeetingItem.meeting_id == meeting_id,
                    MeetingItem.passed.is_(True),
                    Application.state == "acceptance",
                )
                .order_by(MeetingItem.position)
            )
        )
        if ids:
            strangers = [i for i in ids if i not in passed]
            if strangers:
                raise invalid("application_ids", f"申报 {strangers} 不是本次会议表决通过、待验收的申报")
        else:
            ids = passed
    if not ids:
        raise DomainError(422, "nothing_to_accept", "没有待验收的表决通过人员")
    apps = []
    for app_id in ids:
        app = workflow.get_application(ctx, app_id)
        if app.state != "acceptance":
            raise conflict(f"申报 {app_id} 处于“{workflow.state_label(app)}”环节，不在待验收之列")
        if ctx.session.get(AcceptanceEntry, app_id) is not None:
            raise conflict(f"申报 {app_id} 已验收")
        apps.append(app)
    acc = _new_acceptance(
        ctx,
        approval_number=number,
        committee_name=committee_name or _default_committee_name(ctx, apps[0]),
        meeting_id=meeting_id,
        note=note,
    )
    for app in apps:
        ctx.session.add(AcceptanceEntry(application_id=app.id, acceptance_id=acc.id))
    ctx.session.flush()
    ctx.audit(
        "accept_results",
        "acceptance",
        acc.id,
        payload={"approval_number": number, "meeting_id": meeting_id, "applications": ids},
    )
    for app in apps:
        workflow.act(ctx, app.id, "accept_results")
    return _acceptance_view(ctx.session, acc)


def _acceptance_view(session: Session, acc: Acceptance) -> AcceptanceView:
    ids = list(
        session.scalars(
            select(AcceptanceEntry.application_id)
            .where(AcceptanceEntry.acceptance_id == acc.id)
            .order_by(AcceptanceEntry.application_id)
        )
    )
    return AcceptanceView(
        id=acc.id,
        meeting_id=acc.meeting_id,
        approval_number=acc.approval_number,
        committee_name=acc.committee_name,
        accepted_on=acc.accepted_on,
        note=acc.note,
        application_ids=ids,
    )


def list_acceptances(ctx: Context, *, offset: int = 0, limit: int = 20) -> tuple[int, list[AcceptanceView]]:
    if not (ctx.rights.can_accept_results() or ctx.rights.can_issue_certificate()):
        raise forbidden("只有人社局和评审服务机构可以查看验收记录")
    total = ctx.session.scalar(select(func.count(Acceptance.id))) or 0
    rows = ctx.session.scalars(select(Acceptance).order_by(Acceptance.id.desc()).offset(offset).limit(limit))
    return total, [_acceptance_view(ctx.session, a) for a in rows]


# =============================================================================== status lists


def _publish_status_list(session: Session, signer: Signer, list_id: str, now: dt.datetime) -> StatusListRecord:
    """Rebuild the list from ``certificates.status`` and store the newly signed document."""
    record = session.get(StatusListRecord, list_id)
    assert record is not None
    status_list = StatusList(list_id, record.size)
    rows = session.execute(
        select(Certificate.status_index, Certificate.status).where(
            Certificate.status_list_id == list_id, Certificate.status != CertificateState.VALID.value
        )
    )
    for index, status in rows:
        status_list.set(index, CertificateStatus.REVOKED if status == "revoked" else CertificateStatus.SUSPENDED)
    record.document = status_list.to_json(signer, now).decode("utf-8")
    record.updated_at = now
    session.flush()
    return record


def _allocate_index(session: Session, signer: Signer, now: dt.datetime) -> tuple[str, int]:
    """A random free index (W3C: random assignment, so neighbours say nothing) in the current list.

    The current list's row is locked (``FOR UPDATE``; SQLite's writer lock does the same), which
    also serialises the certificate-number sequence below."""
    record = session.scalar(select(StatusListRecord).order_by(StatusListRecord.id.desc()).limit(1).with_for_update())
    used = 0
    if record is not None:
        used = session.scalar(select(func.count(Certificate.id)).where(Certificate.status_list_id == record.id)) or 0
    if record is None or used >= record.size * LIST_FILL:
        count = session.scalar(select(func.count()).select_from(StatusListRecord)) or 0
        list_id = f"zc-{count + 1:04d}"
        record = StatusListRecord(id=list_id, size=DEFAULT_LIST_SIZE, document="", updated_at=now)
        session.add(record)
        session.flush()
        _publish_status_list(session, signer, list_id, now)
    while True:
        index = secrets.randbelow(record.size)
        taken = session.scalar(
            select(Certificate.id).where(Certificate.status_list_id == record.id, Certificate.status_index == index)
        )
        if taken is None:
            return record.id, index


# =============================================================================== issuing (发证)


def _issue_one(ctx: Context, trust: TrustSettings, app: Application, signer: Signer) -> Certificate:
    entry = ctx.session.get(AcceptanceEntry, app.id)
    acc = ctx.session.get(Acceptance, entry.acceptance_id) if entry else None
    if acc is None:
        raise conflict(f"申报 {app.id} 未经验收、没有批准文号，不能发证")
    holder = ctx.session.get(User, app.applicant_id)
    rnd = ctx.session.get(Round, app.round_id)
    assert holder is not None and rnd is not None
    if not holder.id_number_masked:
        raise conflict(f"申报人 {holder.display_name} 没有实名登记的证件号码，不能发证")
    doc = ctx.catalog.document(app.document_id)
    region, issuer = ISSUERS[doc.procedure]
    level = TitleLevel(app.level)
    list_id, index = _allocate_index(ctx.session, signer, ctx.now)
    series = f"{region}{rnd.year:04d}{LEVEL_CODES[level]}"
    sequence = (ctx.session.scalar(select(func.max(Certificate.sequence)).where(Certificate.series == series)) or 0) + 1
    number = make_certificate_number(region, rnd.year, level, sequence)
    token = secrets.token_urlsafe(16)
    content = CertificateData(
        holder_name=holder.display_name.strip(),
        id_number_masked=holder.id_number_masked,
        title_name=TITLE_NAMES[level],
        level=level,
        series=SERIES,
        specialty=doc.specialty,
        qualification_date=acc.accepted_on,
        committee_name=acc.committee_name,
        approval_number=acc.approval_number,
        certificate_number=number,
        issuer=issuer,
        issue_date=ctx.today,
        verification_url=trust.verification_url(number, token),
        status_list_id=list_id,
        status_index=index,
    )
    signed = sign_certificate(content, signer, ctx.now)
    cert = Certificate(
        number=number,
        application_id=app.id,
        holder_id=holder.id,
        id_number_index=holder.id_number_index,
        holder_name=content.holder_name,
        fields=content.model_dump(mode="json"),
        series=series,
        sequence=sequence,
        kid=signer.key_id,
        alg=signer.algorithm,
        signed_json=signed.to_json().decode("utf-8"),
        token=token,
        status=CertificateState.VALID.value,
        status_list_id=list_id,
        status_index=index,
        issue_date=ctx.today,
        issued_by=ctx.actor.user_id or None,
        issued_at=ctx.now,
    )
    ctx.session.add(cert)
    ctx.session.flush()
    ctx.audit(
        "issue_certificate",
        "certificate",
        number,
        to_state=CertificateState.VALID.value,
        payload={"application_id": app.id, "kid": signer.key_id, "approval_number": acc.approval_number},
    )
    return cert


def _open_review(session: Session, app: Application) -> IntegrityRecord | None:
    holder = session.get(User, app.applicant_id)
    if holder is None or holder.id_number_index is None:
        return None
    return session.scalar(
        select(IntegrityRecord)
        .where(
            IntegrityRecord.id_number_index == holder.id_number_index,
            IntegrityRecord.status == IntegrityStatus.UNDER_REVIEW.value,
        )
        .limit(1)
    )


def issue_certificates(ctx: Context, trust: TrustSettings, application_ids: list[int]) -> list[CertificateView]:
    """Issue one signed certificate per application (idempotent: an issued one is returned again).

    An application in the results notice is first certified through the procedure (its guard checks
    that the notice closed with no open or upheld objection)."""
    if not ctx.rights.can_issue_certificate():
        raise forbidden("只有评审服务机构可以颁发证书")
    if not application_ids:
        raise invalid("application_ids", "至少选择一件申报")
    # Issuing locks the current status list and audits; certifying and a first key audit before that.
    # Taking the chain's lock first keeps the order the same for every issuer (two at once deadlocked).
    audit.lock_chain(ctx.session)
    out: list[CertificateView] = []
    signer: Signer | None = None
    for app_id in dict.fromkeys(application_ids):
        app = workflow.get_application(ctx, app_id)
        existing = ctx.session.scalar(select(Certificate).where(Certificate.application_id == app.id))
        if existing is not None:
            out.append(_view(existing))
            continue
        if _open_review(ctx.session, app) is not None:
            raise conflict(f"申报 {app_id} 的申报人正在接受诚信核查，核查结束前不能发证")
        if app.state == "results_notice":
            app = workflow.act(ctx, app.id, "certify")
        elif app.state != "certified":
            raise conflict(f"申报 {app_id} 处于“{workflow.state_label(app)}”环节：评审结果公示期满且无异议后方可发证")
        if signer is None:
            signer = current_signer(ctx.session, trust.keys, ctx.today, now=ctx.now, actor_id=ctx.actor.user_id)
        out.append(_view(_issue_one(ctx, trust, app, signer)))
    return out


def awaiting_certificates(ctx: Context, *, offset: int = 0, limit: int = 20) -> tuple[int, list[AwaitingRow]]:
    """Applications in the results notice or certified without a certificate (the agency's to-do list)."""
    if not ctx.rights.can_issue_certificate():
        raise forbidden("只有评审服务机构可以颁发证书")
    issued = select(Certificate.application_id)
    stmt = (
        select(Application, User.display_name, Acceptance.approval_number)
        .join(User, User.id == Application.applicant_id)
        .outerjoin(AcceptanceEntry, AcceptanceEntry.application_id == Application.id)
        .outerjoin(Acceptance, Acceptance.id == AcceptanceEntry.acceptance_id)
        .where(Application.state.in_(("results_notice", "certified")), Application.id.not_in(issued))
        .order_by(Application.id)
    )
    total = ctx.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = []
    for app, name, approval in ctx.session.execute(stmt.offset(offset).limit(limit)):
        notice = workflow.current_notice(ctx.session, app, "results")
        rows.append(
            AwaitingRow(
                application_id=app.id,
                holder_name=name,
                level=app.level,
                state=app.state,
                approval_number=approval,
                notice_end=notice.end_date if notice else None,
            )
        )
    return total, rows


# =============================================================================== reading


def get_certificate(ctx: Context, number: str) -> Certificate:
    cert = ctx.session.scalar(select(Certificate).where(Certificate.number == number))
    if cert is None or not ctx.rights.can_view_certificate(cert.holder_id):
        raise not_found("证书")
    return cert


def certificate_view(ctx: Context, number: str) -> CertificateView:
    return _view(get_certificate(ctx, number))


def list_certificates(
    ctx: Context, *, status: str | None = None, offset: int = 0, limit: int = 20
) -> tuple[int, list[CertificateView]]:
    """Certificates the actor may see (the holder: their own; agency and bureau: all), newest first."""
    scope, who = ctx.rights.certificate_scope()
    stmt = select(Certificate)
    if scope == "holder":
        stmt = stmt.where(Certificate.holder_id == who)
    elif scope == "none":
        stmt = stmt.where(Certificate.id.is_(None))
    if status is not None:
        if status not in STATUS_LABELS:
            raise invalid("status", "应为 valid、suspended 或 revoked")
        stmt = stmt.where(Certificate.status == status)
    total = ctx.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = ctx.session.scalars(stmt.order_by(Certificate.id.desc()).offset(offset).limit(limit))
    return total, [_view(c) for c in rows]


def certificate_json(ctx: Context, number: str) -> bytes:
    """The signed certificate exactly as issued (canonical JSON; ``zhicheng verify`` checks it)."""
    return get_certificate(ctx, number).signed_json.encode("utf-8")


def certificate_pdf(ctx: Context, trust: TrustSettings, number: str) -> bytes:
    """The one-page PDF with the QR code, file-signed with today's key (older keys stay verifiable)."""
    cert = get_certificate(ctx, number)
    signed = SignedCertificate.model_validate_json(cert.signed_json)
    signer = current_signer(ctx.session, trust.keys, ctx.today, now=ctx.now, actor_id=ctx.actor.user_id)
    return render_certificate_pdf(signed, signer)


# =============================================================================== status changes


_CHANGES = {  # action: (allowed from, to, audit action, label)
    "suspend": ((CertificateState.VALID,), CertificateState.SUSPENDED, "暂停"),
    "reinstate": ((CertificateState.SUSPENDED,), CertificateState.VALID, "恢复"),
    "revoke": ((CertificateState.VALID, CertificateState.SUSPENDED), CertificateState.REVOKED, "撤销"),
}


def change_status(ctx: Context, trust: TrustSettings, number: str, action: str, *, reason: str) -> CertificateView:
    """Suspend / reinstate / revoke by compare-and-set on the certificate's version, re-signing its
    status list in the same transaction.  Revocation is final."""
    if not ctx.rights.can_revoke():
        raise forbidden("只有人社局可以暂停、恢复或撤销证书")
    allowed, target, label = _CHANGES[action]
    reason = clean_text(reason, "reason", f"{label}理由", min_chars=REASON_MIN_CHARS)
    cert = get_certificate(ctx, number)
    if cert.status not in allowed:
        raise conflict(f"证书当前状态为“{STATUS_LABELS[cert.status]}”，不能{label}")
    from_state = cert.status
    result = ctx.session.execute(
        update(Certificate)
        .where(Certificate.id == cert.id, Certificate.version == cert.version, Certificate.status == from_state)
        .values(
            status=target.value,
            status_reason=reason,
            status_changed_at=ctx.now,
            version=Certificate.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise conflict("证书状态已被他人修改，请刷新后重试")
    ctx.session.expire(cert)
    audit.lock_chain(ctx.session)  # before the status list row, in the same order as issuing
    signer = current_signer(ctx.session, trust.keys, ctx.today, now=ctx.now, actor_id=ctx.actor.user_id)
    record = _publish_status_list(ctx.session, signer, cert.status_list_id, ctx.now)
    ctx.audit(
        f"{action}_certificate",
        "certificate",
        cert.number,
        from_state=from_state,
        to_state=target.value,
        payload={"reason": reason, "status_list": record.id, "status_list_kid": signer.key_id},
    )
    return _view(cert)


def suspend_certificate(ctx: Context, trust: TrustSettings, number: str, *, reason: str) -> CertificateView:
    """暂停: during an integrity review (reversible)."""
    return change_status(ctx, trust, number, "suspend", reason=reason)


def reinstate_certificate(ctx: Context, trust: TrustSettings, number: str, *, reason: str) -> CertificateView:
    """恢复 a suspended certificate (the review found nothing)."""
    return change_status(ctx, trust, number, "reinstate", reason=reason)


def revoke_certificate(ctx: Context, trust: TrustSettings, number: str, *, reason: str) -> CertificateView:
    """撤销 (final)."""
    return change_status(ctx, trust, number, "revoke", reason=reason)
