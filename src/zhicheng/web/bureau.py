"""人社局 pages (/work/bureau): acceptance (验收) of a meeting's results with the approval number, the
integrity archive (review, fraud finding → one-vote veto and bar, certificate suspension and revocation),
the audit trail with its chain check, and season statistics as server-rendered SVG charts.

Thin: each change is one service call (certificates.service, integrity.service, workflow.service) inside
``staff.attempt``; every permission is a ``Rights`` question asked by those services (the navigation only
shows what ``Rights`` allows). The system administrator lands here too and sees the audit trail.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import func, select

from zhicheng.api.certificates import trust_of
from zhicheng.api.deps import Call, Paging, fetch_page
from zhicheng.api.excel import xlsx
from zhicheng.api.views import summaries
from zhicheng.certificates import service as csvc
from zhicheng.errors import DomainError, forbidden
from zhicheng.integrity import service as isvc
from zhicheng.stats.charts import stats_chart
from zhicheng.stats.export import stats_workbook
from zhicheng.stats.queries import DIMENSIONS, METRICS, application_stats
from zhicheng.store import audit
from zhicheng.store.models import (
    AcceptanceEntry,
    Application,
    AuditEntry,
    Committee,
    IntegrityRecord,
    Meeting,
    MeetingItem,
    Role,
)
from zhicheng.web.agency import minutes_page
from zhicheng.web.pages import render
from zhicheng.web.session import CsrfChecked, PageCall, call_user
from zhicheng.web.staff import PAGE_SIZE, FormFields, Offset, Outcome, Pager, attempt, done, flash
from zhicheng.workflow.rights import ROLE_NAMES

BASE = "/work/bureau"
router = APIRouter(prefix=BASE, include_in_schema=False)
AUDIT_ENTITIES = {
    "application": "申报",
    "round": "评审轮次",
    "meeting": "评审会议",
    "meeting_item": "会议表决事项",
    "committee": "评审委员会",
    "expert": "评审专家",
    "conflict": "回避关系",
    "objection": "异议",
    "acceptance": "验收",
    "certificate": "证书",
    "integrity_record": "诚信档案",
    "sanction": "处分或失信记录",
}


def _nav(call: Call) -> list[tuple[str, str]]:
    rights = call.ctx.rights
    items = [(BASE, "ws_overview")]
    if rights.can_accept_results():
        items.append((f"{BASE}/acceptance", "ws_acceptance"))
    if rights.can_read_integrity_archive():
        items.append((f"{BASE}/integrity", "ws_integrity"))
    if rights.can_revoke():
        items.append((f"{BASE}/certificates", "ws_certificates"))
    if rights.can_read_audit():
        items.append((f"{BASE}/audit", "ws_audit"))
    if rights.can_view_statistics():
        items.append((f"{BASE}/stats", "ws_stats"))
    return items


def _supervisor(call: Call) -> None:
    call_user(call, Role.BUREAU, Role.ADMIN)


def _page(call: Call, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    return render(call.request, name, status, nav=_nav(call), flash=flash(call.request), base=BASE, **ctx)


# ================================================================= overview
@router.get("", response_class=HTMLResponse)
def home(call: PageCall) -> HTMLResponse:
    _supervisor(call)
    rights = call.ctx.rights
    waiting = open_reviews = None
    chart = None
    if rights.can_accept_results():
        waiting = call.session.scalar(select(func.count(Application.id)).where(Application.state == "acceptance"))
    if rights.can_read_integrity_archive():
        open_reviews = call.session.scalar(
            select(func.count(IntegrityRecord.id)).where(IntegrityRecord.status == "under_review")
        )
    if rights.can_view_statistics():
        stats = application_stats(call.ctx, "document")
        chart = Markup(stats_chart(stats, "applications")) if stats.years else None
    return _page(
        call,
        "bureau/home.html",
        waiting=waiting,
        open_reviews=open_reviews,
        chart=chart,
        audit_head=call.session.scalar(select(func.max(AuditEntry.seq))) if rights.can_read_audit() else None,
    )


# ================================================================= acceptance (验收)
def _acceptance_page(
    call: Call, offset: int = 0, f: dict[str, str] | None = None, out: Outcome | None = None, form: str = ""
) -> HTMLResponse:
    if not call.ctx.rights.can_accept_results():
        raise forbidden("只有人社局可以验收评审结果")
    # closed meetings with passed applicants still waiting for acceptance
    rows = call.session.execute(
        select(Meeting, Committee.name, func.count(MeetingItem.application_id))
        .join(Committee, Committee.id == Meeting.committee_id)
        .join(MeetingItem, MeetingItem.meeting_id == Meeting.id)
        .join(Application, Application.id == MeetingItem.application_id)
        .where(Meeting.status == "closed", MeetingItem.passed.is_(True), Application.state == "acceptance")
        .group_by(Meeting.id, Committee.name)
        .order_by(Meeting.held_on, Meeting.id)
    ).all()
    in_meetings = select(MeetingItem.application_id).where(MeetingItem.passed.is_(True))
    loose = summaries(
        call.session,
        list(
            call.session.scalars(
                select(Application)
                .where(
                    Application.state == "acceptance",
                    Application.id.not_in(in_meetings),
                    Application.id.not_in(select(AcceptanceEntry.application_id)),
                )
                .order_by(Application.id)
                .limit(200)
            )
        ),
    )
    total, accepted = csvc.list_acceptances(call.ctx, offset=offset, limit=PAGE_SIZE)
    return _page(
        call,
        "bureau/acceptance.html",
        out.status if out else 200,
        meetings=rows,
        loose=loose,
        accepted=accepted,
        pager=Pager(f"{BASE}/acceptance", offset, PAGE_SIZE, total),
        f=f or {},
        out=out,
        form=form,
    )


@router.get("/acceptance", response_class=HTMLResponse)
def acceptance(call: PageCall, offset: Offset = 0) -> HTMLResponse:
    _supervisor(call)
    return _acceptance_page(call, offset)


@router.post("/acceptance", response_class=HTMLResponse, dependencies=[CsrfChecked])
def accept_results(call: PageCall, form: FormFields) -> Response:
    """验收 a closed meeting's passed applicants (or the ticked applications) under one approval number."""
    _supervisor(call)
    meeting_id = form.integer("meeting_id", "评审会议", required=False)
    out = attempt(
        call,
        lambda: csvc.accept_results(
            call.ctx,
            approval_number=form.get("approval_number"),
            meeting_id=meeting_id,
            application_ids=form.ids("application_ids", "申报") or None,
            note=form.raw("note") or None,
        ),
    )
    if out.ok:
        return done(f"{BASE}/acceptance", "accepted_results")
    return _acceptance_page(call, 0, form.values(), out, f"meeting_{meeting_id}" if meeting_id else "loose")


@router.get("/meetings/{meeting_id}/minutes", response_class=HTMLResponse)
def minutes(meeting_id: int, call: PageCall) -> HTMLResponse:
    _supervisor(call)
    return minutes_page(call, meeting_id, _nav(call), BASE)


# ================================================================= integrity archive
def _integrity_page(
    call: Call, status: str, offset: int, f: dict[str, str] | None = None, out: Outcome | None = None, form: str = ""
) -> HTMLResponse:
    total, rows = isvc.list_records(call.ctx, status=status or None, offset=offset, limit=PAGE_SIZE)
    return _page(
        call,
        "bureau/integrity.html",
        out.status if out else 200,
        records=rows,
        statuses=isvc.INTEGRITY_STATUS_LABELS,
        filter_status=status,
        pager=Pager(f"{BASE}/integrity", offset, PAGE_SIZE, total, {"status": status}),
        today=call.today,
        f=f or {},
        out=out,
        form=form,
    )


@router.get("/integrity", response_class=HTMLResponse)
def integrity(call: PageCall, status: str = "", offset: Offset = 0) -> HTMLResponse:
    _supervisor(call)
    return _integrity_page(call, status if status in isvc.INTEGRITY_STATUS_LABELS else "", offset)


def _subject(form: Any) -> dict[str, Any]:
    return {
        "application_id": form.integer("application_id", "申报编号", required=False),
        "certificate_number": form.get("certificate_number").upper() or None,
    }


def _evidence(form: Any) -> list[dict[str, Any]]:
    return [{"description": line.strip()} for line in form.raw("evidence").splitlines() if line.strip()]


@router.post("/integrity/reviews", response_class=HTMLResponse, dependencies=[CsrfChecked])
def open_review(call: PageCall, form: FormFields) -> Response:
    """立案核查: the certificate, if any, is suspended meanwhile."""
    _supervisor(call)
    out = attempt(
        call, lambda: isvc.open_review(call.ctx, trust_of(call), allegation=form.raw("allegation"), **_subject(form))
    )
    if out.ok:
        return done(f"{BASE}/integrity/{out.value.id}", "integrity_recorded")
    return _integrity_page(call, "", 0, form.values(), out, "review")


@router.post("/integrity/findings", response_class=HTMLResponse, dependencies=[CsrfChecked])
def record_fraud(call: PageCall, form: FormFields) -> Response:
    """认定弄虚作假 in one step: the application is vetoed (3-year bar), a certificate revoked."""
    _supervisor(call)
    out = attempt(
        call,
        lambda: isvc.record_fraud(
            call.ctx,
            trust_of(call),
            finding=form.raw("finding"),
            evidence=_evidence(form),
            decided_on=form.need_date("decided_on", "决定日期"),
            deciding_body=form.get("deciding_body"),
            decision_no=form.get("decision_no"),
            allegation=form.raw("allegation") or None,
            **_subject(form),
        ),
    )
    if out.ok:
        return done(f"{BASE}/integrity/{out.value.id}", "integrity_recorded")
    return _integrity_page(call, "", 0, form.values(), out, "finding")


def _record_page(
    call: Call, record_id: int, f: dict[str, str] | None = None, out: Outcome | None = None, form: str = ""
) -> HTMLResponse:
    record = isvc.record_detail(call.ctx, record_id)
    return _page(
        call,
        "bureau/integrity_record.html",
        out.status if out else 200,
        r=record,
        roles=ROLE_NAMES,
        today=call.today,
        f=f or {},
        out=out,
        form=form,
    )


@router.get("/integrity/{record_id}", response_class=HTMLResponse)
def integrity_record(record_id: int, call: PageCall) -> HTMLResponse:
    _supervisor(call)
    return _record_page(call, record_id)


@router.post("/integrity/{record_id}/confirm", response_class=HTMLResponse, dependencies=[CsrfChecked])
def confirm_fraud(record_id: int, call: PageCall, form: FormFields) -> Response:
    _supervisor(call)
    out = attempt(
        call,
        lambda: isvc.confirm_fraud(
            call.ctx,
            trust_of(call),
            record_id,
            finding=form.raw("finding"),
            evidence=_evidence(form),
            decided_on=form.need_date("decided_on", "决定日期"),
            deciding_body=form.get("deciding_body"),
            decision_no=form.get("decision_no"),
            expected_version=form.integer("version", "版本号", required=False),
        ),
    )
    if out.ok:
        return done(f"{BASE}/integrity/{record_id}", "integrity_recorded")
    return _record_page(call, record_id, form.values(), out, "confirm")


@router.post("/integrity/{record_id}/dismiss", response_class=HTMLResponse, dependencies=[CsrfChecked])
def dismiss_review(record_id: int, call: PageCall, form: FormFields) -> Response:
    _supervisor(call)
    out = attempt(
        call,
        lambda: isvc.dismiss_review(
            call.ctx,
            trust_of(call),
            record_id,
            conclusion=form.raw("conclusion"),
            decided_on=form.need_date("decided_on", "决定日期"),
            deciding_body=form.get("deciding_body"),
            decision_no=form.get("decision_no"),
            expected_version=form.integer("version", "版本号", required=False),
        ),
    )
    if out.ok:
        return done(f"{BASE}/integrity/{record_id}", "integrity_recorded")
    return _record_page(call, record_id, form.values(), out, "dismiss")


# ================================================================= certificates: suspend, reinstate, revoke
def _certificates_page(
    call: Call, status: str, offset: int, f: dict[str, str] | None = None, out: Outcome | None = None, form: str = ""
) -> HTMLResponse:
    if not call.ctx.rights.can_revoke():
        raise forbidden("只有人社局可以暂停、恢复或撤销证书")
    total, rows = csvc.list_certificates(call.ctx, status=status or None, offset=offset, limit=PAGE_SIZE)
    return _page(
        call,
        "bureau/certificates.html",
        out.status if out else 200,
        certificates=rows,
        statuses=csvc.STATUS_LABELS,
        filter_status=status,
        pager=Pager(f"{BASE}/certificates", offset, PAGE_SIZE, total, {"status": status}),
        f=f or {},
        out=out,
        form=form,
    )


@router.get("/certificates", response_class=HTMLResponse)
def certificates(call: PageCall, status: str = "", offset: Offset = 0) -> HTMLResponse:
    _supervisor(call)
    return _certificates_page(call, status if status in csvc.STATUS_LABELS else "", offset)


@router.post("/certificates/{number}/{action}", response_class=HTMLResponse, dependencies=[CsrfChecked])
def change_status(number: str, action: str, call: PageCall, form: FormFields) -> Response:
    """暂停 / 恢复 / 撤销 a certificate with a recorded reason (the status list is re-signed at once)."""
    _supervisor(call)
    if action not in ("suspend", "reinstate", "revoke"):
        raise DomainError(404, "not_found", "没有这项操作")
    out = attempt(call, lambda: csvc.change_status(call.ctx, trust_of(call), number, action, reason=form.raw("reason")))
    if out.ok:
        return done(f"{BASE}/certificates", "revoked" if action == "revoke" else "acted")
    return _certificates_page(call, "", 0, form.values(), out, f"{action}_{number}")


# ================================================================= audit trail
def _audit_page(
    call: Call, entity: str, entity_id: str, action: str, offset: int, report: audit.AuditReport | None = None
) -> HTMLResponse:
    if not call.ctx.rights.can_read_audit():
        raise forbidden("只有人社局和系统管理员可以查看审计记录")
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    total, rows = fetch_page(call.session, stmt, Paging(offset, PAGE_SIZE))
    return _page(
        call,
        "bureau/audit.html",
        entries=rows,
        entities=AUDIT_ENTITIES,
        roles=ROLE_NAMES,
        q={"entity": entity, "entity_id": entity_id, "action": action},
        pager=Pager(
            f"{BASE}/audit", offset, PAGE_SIZE, total, {"entity": entity, "entity_id": entity_id, "action": action}
        ),
        report=report,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_trail(
    call: PageCall, entity: str = "", entity_id: str = "", action: str = "", offset: Offset = 0
) -> HTMLResponse:
    _supervisor(call)
    return _audit_page(call, entity[:64], entity_id[:64], action[:64], offset)


@router.post("/audit/verify", response_class=HTMLResponse, dependencies=[CsrfChecked])
def verify_chain(call: PageCall) -> HTMLResponse:
    """Recompute the whole hash chain now and show where it breaks, if it does (a post: it locks the head)."""
    _supervisor(call)
    if not call.ctx.rights.can_read_audit():
        raise forbidden("只有人社局和系统管理员可以查看审计记录")
    return _audit_page(call, "", "", "", 0, audit.verify(call.session))


# ================================================================= statistics
@router.get("/stats", response_class=HTMLResponse)
def statistics(
    call: PageCall,
    by: str = "document",
    metric: str = "applications",
    kind: str = "bar",
    year_from: str = "",
    year_to: str = "",
) -> HTMLResponse:
    _supervisor(call)
    by = by if by in DIMENSIONS else "document"
    metric = metric if metric in METRICS else "applications"
    kind = kind if kind in ("bar", "line") else "bar"
    low, high = (int(v) if v.isdigit() and len(v) == 4 else None for v in (year_from, year_to))
    error, stats, chart = None, None, None
    try:
        stats = application_stats(call.ctx, by, year_from=low, year_to=high)
        chart = Markup(stats_chart(stats, metric, kind)) if stats.years else None
    except DomainError as exc:
        if exc.status == 403:
            raise
        error = exc.message
    return _page(
        call,
        "bureau/stats.html",
        422 if error else 200,
        stats=stats,
        chart=chart,
        error=error,
        dimensions=DIMENSIONS,
        metrics=METRICS,
        q={"by": by, "metric": metric, "kind": kind, "year_from": year_from, "year_to": year_to},
    )


@router.get("/stats.xlsx")
def statistics_workbook(call: PageCall, by: str = "document") -> Response:
    """The same numbers as a spreadsheet (the title office's tool)."""
    _supervisor(call)
    by = by if by in DIMENSIONS else "document"
    return xlsx(stats_workbook(application_stats(call.ctx, by)), f"评审统计-{by}.xlsx")
