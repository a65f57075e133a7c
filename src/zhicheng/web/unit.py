"""Employer unit (/work/unit) and competent department (/work/department) pages: the queue of their
staff's submitted applications, one application with its verdict and materials, the review actions of the
procedure (internal notice, recommendation with an opinion, forward, return, decline) and the objections
raised on the unit's internal notice.

Which applications a queue holds is ``api.views.visibility_filter`` (``Rights.application_scope``); which
actions a page offers is ``Rights.allowed_actions``; every action is ``workflow.service.act`` and every
objection decision ``service.decide_objection``. Nothing here decides who may do what.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from zhicheng.api.deps import MAX_ID, Call, fetch_page
from zhicheng.api.notices import KIND_NAMES
from zhicheng.api.views import detail, summaries, visibility_filter
from zhicheng.errors import DomainError, not_found
from zhicheng.policy.profile import EDUCATION_NAMES, GRADE_NAMES, EducationLevel
from zhicheng.store.models import Application, Objection, PublicNotice, Role, Round, User
from zhicheng.web import forms, labels
from zhicheng.web.applicant import evidence_rows, log_rows, stored_verdict, timeline_context
from zhicheng.web.forms import FormFields, attempt, local
from zhicheng.web.pages import render
from zhicheng.web.session import CsrfChecked, PageCall, call_user
from zhicheng.workflow import service as svc
from zhicheng.workflow.procedures import PROCEDURES

router = APIRouter(include_in_schema=False)
BASES: dict[str, str] = {Role.UNIT: "/work/unit", Role.DEPARTMENT: "/work/department"}
TITLES: dict[str, str] = {Role.UNIT: "unit_work", Role.DEPARTMENT: "department_work"}
AppId = Annotated[int, Path(ge=1, le=MAX_ID)]
ObjectionId = Annotated[int, Path(ge=1, le=MAX_ID)]
OBJECTION_STATUS = {"open": "待处理", "upheld": "属实", "dismissed": "不属实"}


def my_turn(role: str) -> list[str]:
    """The states whose step the procedure data gives to ``role`` (the queue's "to do" filter)."""
    return sorted({s.state for p in PROCEDURES.values() for s in p.steps.values() if s.role == role})


# ---------------------------------------------------------------- queue
def _queue(request: Request, call: Call, role: str, page: int, show: str) -> HTMLResponse:
    user = call_user(call, role)
    stmt = select(Application).where(visibility_filter(call.ctx.rights))
    if show != "all":
        stmt = stmt.where(Application.state.in_(my_turn(role))).order_by(Application.submitted_at, Application.id)
    else:
        stmt = stmt.order_by(Application.id.desc())
    total, rows = fetch_page(call.session, stmt, forms.paging(page))
    return render(
        request,
        "unit/queue.html",
        role=role,
        base=BASES[role],
        heading=TITLES[role],
        show="all" if show == "all" else "todo",
        items=summaries(call.session, rows),
        pg=forms.pages(total, page),
        objections=open_objections(call) if role == Role.UNIT else [],
        unit_id=user.unit_id,
    )


Page = Annotated[int, Query(ge=1, le=100_000)]
Show = Annotated[str, Query()]  # free text: only ever compared with known names


@router.get("/work/unit", response_class=HTMLResponse)
def unit_queue(request: Request, call: PageCall, page: Page = 1, show: Show = "todo") -> Response:
    return _queue(request, call, Role.UNIT, page, show)


@router.get("/work/department", response_class=HTMLResponse)
def department_queue(request: Request, call: PageCall, page: Page = 1, show: Show = "todo") -> Response:
    return _queue(request, call, Role.DEPARTMENT, page, show)


def open_objections(call: Call) -> list[dict[str, Any]]:
    """Open objections on this unit's internal notices, as far as ``Rights`` lets the user decide them."""
    unit_id = call.ctx.actor.unit_id
    if unit_id is None:
        return []
    rows = call.session.execute(
        select(Objection, PublicNotice)
        .join(PublicNotice, PublicNotice.id == Objection.notice_id)
        .where(PublicNotice.kind == "unit", PublicNotice.unit_id == unit_id, Objection.status == "open")
        .order_by(Objection.id)
        .limit(100)
    ).all()
    return [
        {"id": o.id, "application_id": o.application_id, "notice": n.title, "submitted_at": local(o.submitted_at)}
        for o, n in rows
        if call.ctx.rights.can_decide_objection(n.kind, n.unit_id)
    ]


# ---------------------------------------------------------------- one application
def profile_view(p: dict[str, Any]) -> dict[str, Any]:
    """The profile in words for the reviewer (labels of web/labels.py and policy.profile)."""
    education = [
        {
            "level": EDUCATION_NAMES.get(EducationLevel(e["level"]), e["level"]) if e.get("level") else "",
            "date": e.get("graduation_date") or "",
            "school": " ".join(x for x in (e.get("school"), e.get("major")) if x),
            "professional": bool(e.get("engineering_professional_degree")),
        }
        for e in p.get("education") or []
    ]
    titles = [
        {
            "grade": GRADE_NAMES.get(int(t.get("grade", 0)), str(t.get("grade"))),
            "series": "工程技术系列" if t.get("series", "engineering") == "engineering" else str(t.get("series")),
            "date": t.get("obtained") or "",
        }
        for t in p.get("titles") or []
    ]
    achievements = [
        {
            "index": i,
            "kind": labels.ACHIEVEMENT_KINDS.get(str(a.get("kind")), str(a.get("kind"))),
            "title": a.get("title") or "",
            "date": a.get("date") or "",
            "details": achievement_details(a),
        }
        for i, a in enumerate(p.get("achievements") or [])
    ]
    assessments = [
        {"year": a["year"], "result": labels.ASSESSMENTS.get(str(a["result"]), str(a["result"]))}
        for a in sorted(p.get("annual_assessments") or [], key=lambda a: a["year"])
    ]
    return {
        "education": education,
        "work_start": p.get("specialty_work_start") or "",
        "titles": titles,
        "achievements": achievements,
        "assessments": assessments,
        "directions": p.get("directions") or [],
    }


def achievement_details(a: dict[str, Any]) -> str:
    """排名第1，核心期刊，已授权 …: the achievement's attributes in words."""
    named = (
        ("role", labels.ROLES),
        ("level", labels.LEVELS),
        ("grade", labels.AWARD_GRADES),
        ("venue", labels.VENUES),
        ("standard_level", labels.STANDARD_LEVELS),
    )
    parts = [f"排名第{a['rank']}"] if a.get("rank") else []
    parts += [names.get(str(a[key]), str(a[key])) for key, names in named if a.get(key)]
    parts += [text for key, text in (("granted", "已授权"), ("accepted", "已验收/鉴定")) if a.get(key)]
    if a.get("count", 1) != 1:
        parts.append(f"共{a['count']}项")
    return "，".join(parts)


def notice_preview(call: Call, app: Application) -> tuple[dt.date | None, str | None]:
    """The day an internal notice started today could end (the same working-day count ``act`` uses)."""
    workdays = svc.procedure_of(call.ctx, app).notice_workdays
    today = call.today
    try:
        return svc.workday(call.ctx, lambda cal: cal.notice_end(today, workdays)), None
    except DomainError as exc:
        return None, exc.message


def objection_rows(call: Call, app: Application) -> list[dict[str, Any]]:
    """The objections to this application; the objector's contact only for whoever may decide."""
    rows = call.session.execute(
        select(Objection, PublicNotice)
        .join(PublicNotice, PublicNotice.id == Objection.notice_id)
        .where(Objection.application_id == app.id)
        .order_by(Objection.id)
    ).all()
    out = []
    for o, n in rows:
        may_decide = call.ctx.rights.can_decide_objection(n.kind, n.unit_id)
        out.append(
            {
                "id": o.id,
                "notice": n.title,
                "kind": KIND_NAMES.get(n.kind, n.kind),
                "content": o.content,
                "name": o.name if may_decide else None,
                "contact": o.contact if may_decide else None,
                "status": o.status,
                "status_label": OBJECTION_STATUS.get(o.status, o.status),
                "decision": o.decision,
                "submitted_at": local(o.submitted_at),
                "may_decide": may_decide and o.status == "open",
            }
        )
    return out


def _detail(request: Request, call: Call, role: str, app_id: int, status: int = 200, **extra: Any) -> HTMLResponse:
    call_user(call, role)
    app = svc.get_application(call.ctx, app_id)
    d = detail(call.ctx, app)
    applicant = call.session.get(User, app.applicant_id)
    end, end_problem = (
        notice_preview(call, app) if any(a.name == "start_notice" for a in d.allowed_actions) else (None, None)
    )
    doc = call.ctx.catalog.document(app.document_id)
    done = str(extra.pop("done", "") or "")
    labels_of = {a.name: a.label for step in svc.procedure_of(call.ctx, app).steps.values() for a in step.actions}
    flash = "异议已处理" if done == "objection" else (f"已办理：{labels_of[done]}" if done in labels_of else "")
    return render(
        request,
        "unit/application.html",
        status,
        role=role,
        base=BASES[role],
        heading=TITLES[role],
        app=d,
        round=call.session.get(Round, app.round_id),
        doc=doc,
        directions={x.id: x.name for x in doc.directions},
        applicant_masked=applicant.id_number_masked if applicant else None,
        verdict=stored_verdict(app.verdict_at_submission),
        profile=profile_view(app.profile),
        evidence=evidence_rows(call, app.id),
        objections=objection_rows(call, app),
        notice_end=end,
        notice_problem=end_problem,
        log=log_rows(d),
        flash=flash,
        errors=extra.pop("errors", {}),
        f=extra.pop("f", {}),
        **timeline_context(call, app, d),
        **extra,
    )


@router.get("/work/unit/applications/{app_id}", response_class=HTMLResponse)
def unit_application(request: Request, call: PageCall, app_id: AppId, done: Show = "") -> Response:
    return _detail(request, call, Role.UNIT, app_id, done=done)


@router.get("/work/department/applications/{app_id}", response_class=HTMLResponse)
def department_application(request: Request, call: PageCall, app_id: AppId, done: Show = "") -> Response:
    return _detail(request, call, Role.DEPARTMENT, app_id, done=done)


def _act(request: Request, call: Call, role: str, app_id: int, f: dict[str, str]) -> Response:
    call_user(call, role)
    errors: dict[str, str] = {}
    reason = forms.text(f, "reason", 5000, errors, "意见").strip() or None
    action = f.get("action", "")[:64]
    version = int(f["version"]) if f.get("version", "").isdigit() and len(f["version"]) < 10 else None
    if not errors:
        _, exc = attempt(
            call.session, lambda: svc.act(call.ctx, app_id, action, expected_version=version, reason=reason)
        )
        if exc is None:
            return RedirectResponse(f"{BASES[role]}/applications/{app_id}?done={action}", status_code=303)
        if exc.status == 404:
            raise exc
        errors = forms.field_errors(exc, {"reason": "意见或理由"})
        status = exc.status
    else:
        status = 422
    return _detail(request, call, role, app_id, status, errors=errors, f={**f, "_action": action})


@router.post("/work/unit/applications/{app_id}/act", response_class=HTMLResponse, dependencies=[CsrfChecked])
def unit_act(request: Request, call: PageCall, app_id: AppId, f: FormFields) -> Response:
    return _act(request, call, Role.UNIT, app_id, f)


@router.post("/work/department/applications/{app_id}/act", response_class=HTMLResponse, dependencies=[CsrfChecked])
def department_act(request: Request, call: PageCall, app_id: AppId, f: FormFields) -> Response:
    return _act(request, call, Role.DEPARTMENT, app_id, f)


@router.post("/work/unit/objections/{objection_id}/decide", response_class=HTMLResponse, dependencies=[CsrfChecked])
def decide(request: Request, call: PageCall, objection_id: ObjectionId, f: FormFields) -> Response:
    """The unit decides an objection raised on its internal notice (upheld or not, with its finding)."""
    call_user(call, Role.UNIT)
    obj = call.session.get(Objection, objection_id)
    if obj is None or obj.application_id is None:
        raise not_found("异议")
    app = svc.get_application(call.ctx, obj.application_id)  # 404 unless the user may see the application
    errors: dict[str, str] = {}
    decision = forms.text(f, "decision", 5000, errors, "核查结论")
    if f.get("upheld") not in ("1", "0"):
        errors["upheld"] = "核查结果：请选择异议是否属实"
    if not errors:
        _, exc = attempt(
            call.session,
            lambda: svc.decide_objection(call.ctx, objection_id, upheld=f["upheld"] == "1", decision=decision),
        )
        if exc is None:
            return RedirectResponse(f"/work/unit/applications/{app.id}?done=objection", status_code=303)
        errors = forms.field_errors(exc, {"decision": "核查结论"})
        status = exc.status
    else:
        status = 422
    return _detail(request, call, Role.UNIT, app.id, status, errors=errors, f={**f, "_objection": str(objection_id)})
