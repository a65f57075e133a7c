"""Applicant pages: real-name registration, my applications, the profile form with the live verdict,
evidence upload, submission with the integrity pledge, the status timeline, correction, withdrawal.

Thin like the API (api/applications.py, api/evidence.py): every page asks ``workflow.service`` (which asks
``Rights``) and renders; a refusal shown next to a form is rolled back first (``forms.attempt``).
Routes: /register, /work/applicant, /work/applicant/applications/{id}[/edit|/check|/row|/evidence|/submit|
/resubmit|/withdraw], /work/applications/{id}/evidence/{eid} (download for whoever may view the application).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from zhicheng.api import accounts
from zhicheng.api import evidence as api_evidence
from zhicheng.api.certificates import trust_of
from zhicheng.api.deps import BEIJING, MAX_ID, Call, fetch_page
from zhicheng.api.views import ApplicationDetail, detail, round_out, summaries, visibility_filter
from zhicheng.calendar import CalendarCoverageError
from zhicheng.certificates import service as csvc
from zhicheng.errors import DomainError
from zhicheng.policy.catalog import default_catalog
from zhicheng.policy.profile import LEVEL_NAMES
from zhicheng.policy.render import verdict_lines
from zhicheng.policy.verdict import VERDICT_ADAPTER, Verdict
from zhicheng.store.models import Application, ApplicationEvidence, Certificate, EvidenceFile, Role, Round, User
from zhicheng.web import forms, timeline
from zhicheng.web.forms import FormFields, attempt
from zhicheng.web.pages import form_to_profile, render
from zhicheng.web.session import ROLE_HOME, SESSION_COOKIE, CsrfChecked, PageCall, call_user, secure_cookies
from zhicheng.workflow import service as svc

router = APIRouter(include_in_schema=False)
HOME = "/work/applicant"
AppId = Annotated[int, Path(ge=1, le=MAX_ID)]

PLEDGE = (
    "本人郑重承诺：所填报的个人信息、学历、资历、业绩、成果及上传的证明材料真实、准确、完整，"
    "不存在伪造、篡改、抄袭等弄虚作假行为。如有不实，本人自愿承担相应责任：经查实弄虚作假的，"
    "实行“一票否决”，取消申报或评审结果，记入职称评审诚信档案，按规定在一定期限内不得申报。"
)


def _version(f: dict[str, str]) -> int | None:
    value = f.get("version", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


# ---------------------------------------------------------------- registration
REGISTER_LABELS = {
    "username": "用户名",
    "password": "密码",
    "password2": "确认密码",
    "display_name": "姓名",
    "id_number": "身份证号",
    "unit_uscc": "用人单位统一社会信用代码",
}


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request, call: PageCall) -> Response:
    if call.user is not None:
        return RedirectResponse(ROLE_HOME.get(call.user.role, "/"), status_code=303)
    return render(request, "applicant/register.html", f={}, errors={})


@router.post("/register", response_class=HTMLResponse, dependencies=[CsrfChecked])
def register_submit(request: Request, call: PageCall, f: FormFields) -> Response:
    errors: dict[str, str] = {}
    values = {
        name: forms.text(f, name, limit, errors, REGISTER_LABELS[name])
        for name, limit in (
            ("username", 64),
            ("password", 256),
            ("password2", 256),
            ("display_name", 100),
            ("id_number", 32),
            ("unit_uscc", 32),
        )
    }
    mismatch = values["password"] != values["password2"]

    def run() -> User:
        user = accounts.register_applicant(
            call.session,
            call.runtime.protector,
            call.today,
            username=values["username"],
            password=values["password"],
            display_name=values["display_name"],
            id_number=values["id_number"],
            unit_uscc=values["unit_uscc"] or None,
        )
        if mismatch:  # every problem at once: the service's checks ran, now undo its work
            raise DomainError(422, "invalid_input", "两次输入的密码不一致", [("password2", "两次输入的密码不一致")])
        return user

    user, status = None, 422
    if not errors:
        user, exc = attempt(call.session, run)
        if exc is not None:
            errors, status = forms.field_errors(exc, REGISTER_LABELS), exc.status
    if mismatch:
        errors["password2"] = "确认密码：两次输入的密码不一致"
    if user is None:
        kept = {k: v for k, v in values.items() if not k.startswith("password")}  # never echo a password
        return render(request, "applicant/register.html", status, f=kept, errors=errors)
    token, _ = accounts.issue_token(call.session, user, call.now, call.runtime.settings.token_lifetime)
    response = RedirectResponse(HOME, status_code=303)
    max_age = int(call.runtime.settings.token_lifetime.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure_cookies(request), path="/"
    )
    return response


# ---------------------------------------------------------------- my applications
def accepting_rounds(call: Call) -> list[Round]:
    today = call.today
    stmt = (
        select(Round)
        .where(Round.status == "open", Round.window_start <= today, Round.window_end >= today)
        .order_by(Round.window_end, Round.id)
        .limit(50)
    )
    return list(call.session.scalars(stmt))


def _home(
    request: Request, call: Call, page: int, f: dict[str, str], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    stmt = select(Application).where(visibility_filter(call.ctx.rights)).order_by(Application.id.desc())
    total, rows = fetch_page(call.session, stmt, forms.paging(page))
    rounds = accepting_rounds(call)
    cat = call.ctx.catalog
    docs = {r.document_id: cat.document(r.document_id) for r in rounds if r.document_id in cat.documents}
    return render(
        request,
        "applicant/home.html",
        status,
        items=summaries(call.session, rows),
        pg=forms.pages(total, page),
        certificates=csvc.list_certificates(call.ctx, limit=50)[1],
        rounds=[round_out(r, call.today) for r in rounds],
        docs=list(docs.values()),
        f=f,
        errors=errors,
    )


@router.get(HOME, response_class=HTMLResponse)
def home(request: Request, call: PageCall, page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    call_user(call, Role.APPLICANT)
    return _home(request, call, page, {}, {})


CREATE_LABELS = {"round_id": "评审轮次", "level": "申报层级", "route": "申报途径", "choice": "评审轮次与层级"}


@router.post(f"{HOME}/applications", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create(request: Request, call: PageCall, f: FormFields) -> Response:
    call_user(call, Role.APPLICANT)
    errors: dict[str, str] = {}
    round_text, _, level = f.get("choice", "").partition(":")
    if not round_text.isdigit() or not level or int(round_text) > MAX_ID:
        errors["choice"] = "评审轮次与层级：请选择"
    route = f.get("route", "regular")
    app = None
    if not errors:
        rnd = call.session.get(Round, int(round_text))
        direction = f.get(f"dir_{rnd.document_id}", "") if rnd else ""
        profile = {"directions": [direction]} if direction else {}
        app, exc = attempt(
            call.session,
            lambda: svc.create_application(
                call.ctx, round_id=int(round_text), level=level, route=route, profile=profile
            ),
        )
        if exc is not None:  # round and level are one field on the form
            errors = {
                ("choice" if k in ("level", "round_id") else k): m
                for k, m in forms.field_errors(exc, CREATE_LABELS).items()
            }
    if app is None:
        return _home(request, call, 1, f, errors, 422 if errors else 200)
    return RedirectResponse(f"{HOME}/applications/{app.id}/edit", status_code=303)


# ---------------------------------------------------------------- one application
def verdict_view(v: Verdict) -> dict[str, Any]:
    """What the verdict partial shows (the same fields as the public self-check)."""
    cat = default_catalog()
    return {
        "status": v.status,
        "summary": v.summary,
        "level_title": v.level_title,
        "route": v.route,
        "path_label": v.path_label,
        "eligible_from": v.eligible_from,
        "missing": v.missing,
        "review_items": v.review_items,
        "lines": verdict_lines(v, cat),
        "document_title_short": cat.document(v.document).short_title,
        "as_of": v.as_of,
    }


def stored_verdict(data: dict[str, Any] | None) -> dict[str, Any] | None:
    return verdict_view(VERDICT_ADAPTER.validate_python(data)) if data else None


def evidence_rows(call: Call, app_id: int) -> list[dict[str, Any]]:
    """The application's files (the caller already passed ``get_application``)."""
    rows = list(
        call.session.scalars(
            select(ApplicationEvidence)
            .where(ApplicationEvidence.application_id == app_id)
            .order_by(ApplicationEvidence.id)
            .limit(500)
        )
    )
    files = {
        e.sha256: e
        for e in call.session.scalars(select(EvidenceFile).where(EvidenceFile.sha256.in_({r.sha256 for r in rows})))
    }
    return [
        {
            "id": r.id,
            "filename": r.filename,
            "achievement_index": r.achievement_index,
            "media_type": files[r.sha256].media_type if r.sha256 in files else "",
            "size_kb": max(1, round(files[r.sha256].size / 1024)) if r.sha256 in files else 0,
            "uploaded_at": r.uploaded_at,
            "url": f"/work/applications/{app_id}/evidence/{r.id}",
        }
        for r in rows
    ]


def correction_view(call: Call, app: Application) -> dict[str, Any] | None:
    """The open one-time correction notice: every item, the due day, working days given and left."""
    notice = svc.open_correction(call.session, app.id)
    if notice is None:
        return None
    issued = notice.issued_at.astimezone(BEIJING).date()
    given = workdays_between(call, issued + dt.timedelta(days=1), notice.due_date)
    # working days after today, up to and including the due day
    left = workdays_between(call, call.today + dt.timedelta(days=1), notice.due_date)
    return {
        "entries": list(notice.items),
        "issued": issued,
        "due": notice.due_date,
        "workdays": given,
        "left": left,
        "overdue": call.today > notice.due_date,
    }


def workdays_between(call: Call, first: dt.date, last: dt.date) -> int | None:
    """Working days from ``first`` to ``last`` (both counted); None when not a span or beyond the calendar."""
    if last < first:
        return None
    try:
        return call.ctx.calendar.workdays_between(first, last)
    except CalendarCoverageError:
        return None  # the calendar has no data that far: the page shows the due day alone


def timeline_context(call: Call, app: Application, d: ApplicationDetail) -> dict[str, Any]:
    proc = call.ctx.rights.procedure(app)
    due = app.step_due
    if app.state == "draft":  # filling in: the deadline is the end of the round's application window
        rnd = call.session.get(Round, app.round_id)
        due = rnd.window_end if rnd else None
    steps = timeline.build(proc, app.state, d.timeline, due)
    return {"steps": steps, "row": timeline.ROW, "height": timeline.ROW * len(steps) + 8}


def _application_page(request: Request, call: Call, app: Application, status: int = 200, **extra: Any) -> HTMLResponse:
    ctx = call.ctx
    d = detail(ctx, app)
    current = None
    if app.state in ("draft", "correction"):
        try:
            current = verdict_view(svc.evaluate_application(ctx, app))
        except DomainError as exc:
            current = {"error": exc.message}
    rnd = call.session.get(Round, app.round_id)
    return render(
        request,
        "applicant/application.html",
        status,
        app=d,
        round=rnd,
        verdict=current,
        submitted_verdict=stored_verdict(app.verdict_at_submission),
        correction=correction_view(call, app),
        evidence=evidence_rows(call, app.id),
        actions={a.name: a for a in d.allowed_actions},
        pledge=PLEDGE,
        certificate=certificate_of(call, app),
        submitted_at=forms.local(app.submitted_at),
        log=[
            {
                "at": forms.local(e.at),
                "who": e.role_label,
                "what": e.action_label,
                "reason": (e.payload or {}).get("reason"),
            }
            for e in d.timeline
        ],
        errors=extra.pop("errors", {}),
        **timeline_context(call, app, d),
        **extra,
    )


def log_rows(d: ApplicationDetail) -> list[dict[str, Any]]:
    """The audit trail of the application in words: when (Beijing time), who, what, with which opinion."""
    rows = []
    for e in d.timeline:
        reason = (e.payload or {}).get("reason")
        rows.append({"at": forms.local(e.at), "who": e.role_label, "what": e.action_label, "reason": reason})
    return rows


def certificate_of(call: Call, app: Application) -> dict[str, Any] | None:
    """The certificate issued for this application, as its holder may see it (``certificates.service``)."""
    number = call.session.scalar(select(Certificate.number).where(Certificate.application_id == app.id))
    if number is None:
        return None
    view = csvc.certificate_view(call.ctx, number)
    return {
        "number": view.number,
        "issued_on": view.issue_date,
        "title_name": view.title_name,
        "status": view.status,
        "status_label": view.status_label,
        "pdf_url": f"{HOME}/certificates/{view.number}/certificate.pdf",
        "json_url": f"{HOME}/certificates/{view.number}/signed.json",
        "verify_url": view.verification_url,
    }


def _own_application(call: Call, app_id: int) -> Application:
    call_user(call, Role.APPLICANT)
    return svc.get_application(call.ctx, app_id)


@router.get(HOME + "/applications/{app_id}", response_class=HTMLResponse)
def application_page(request: Request, call: PageCall, app_id: AppId) -> Response:
    app = _own_application(call, app_id)
    return _application_page(request, call, app)


# ---------------------------------------------------------------- the profile form
ROW_FIELDS = {
    "education": {"level", "graduation_date", "engineering_professional_degree"},
    "titles": {"grade", "series", "obtained"},
    "achievements": {
        "kind",
        "date",
        "rank",
        "role",
        "level",
        "grade",
        "venue",
        "standard_level",
        "granted",
        "accepted",
        "count",
        "title",
    },
}
FORM_KEYS = {"education", "titles", "achievements", "annual_assessments", "directions", "specialty_work_start"}
PREFIX = {"education": "edu", "titles": "title", "achievements": "ach"}
KEEP_IF = {"education": "edu_level_", "titles": "title_grade_", "achievements": "ach_kind_"}
FORM_NAME = {
    "graduation_date": "date",
    "obtained": "date",
    "standard_level": "std",
    "engineering_professional_degree": "prof",
}
HEADS = {"education": "学历", "titles": "已取得职称", "achievements": "成果", "annual_assessments": "年度考核"}
TAILS = {
    "level": "层次/级别",
    "graduation_date": "毕业日期",
    "engineering_professional_degree": "工程类专业学位",
    "grade": "等级",
    "series": "系列",
    "obtained": "取得日期",
    "kind": "类型",
    "title": "名称",
    "date": "日期",
    "role": "角色",
    "rank": "排名",
    "venue": "刊物",
    "standard_level": "标准级别",
    "count": "数量",
    "year": "年度",
    "result": "结论",
}
SINGLE = {"specialty_work_start": ("work_start", "开始从事本专业技术工作日期"), "directions": ("direction", "专业方向")}
PATH_RE = re.compile(r"^(\w+)\[(\d+)\](?:\.(\w+))?")


def kept_rows(f: dict[str, str]) -> dict[str, list[int]]:
    """Form row numbers that became profile rows, in order (empty rows are skipped by form_to_profile)."""
    out: dict[str, list[int]] = {}
    for head, key in KEEP_IF.items():
        numbers = sorted({int(k[len(key) :]) for k in f if k.startswith(key) and k[len(key) :].isdigit()})
        out[head] = [i for i in numbers if f.get(f"{key}{i}")]
    out["annual_assessments"] = [int(k[7:]) for k, v in f.items() if k.startswith("assess_") and v and k[7:].isdigit()]
    return out


def form_profile(f: dict[str, str], old: dict[str, Any]) -> dict[str, Any]:
    """The profile the form describes, keeping what the form does not show (other keys, row details)."""
    new = form_to_profile(f)
    kept = kept_rows(f)
    for head in ROW_FIELDS:
        old_rows = old.get(head) or []
        for row, i in zip(new[head], kept[head], strict=False):
            if i < len(old_rows) and isinstance(old_rows[i], dict):
                extra = {k: v for k, v in old_rows[i].items() if k not in ROW_FIELDS[head]}
                if head == "titles" and row.get("series") == "other" and old_rows[i].get("series") != "engineering":
                    row["series"] = old_rows[i].get("series") or "other"
                for k, v in extra.items():
                    row.setdefault(k, v)
            if head == "achievements" and f.get(f"ach_title_{i}", "").strip():
                row["title"] = f[f"ach_title_{i}"].strip()
    merged = {k: v for k, v in old.items() if k not in FORM_KEYS and k != "judgements"}
    merged.update(new)
    return merged


def profile_form(p: dict[str, Any], doc_id: str) -> dict[str, str]:
    """Form fields showing a stored profile (the inverse of ``form_profile``)."""
    f: dict[str, str] = {}
    for i, e in enumerate(p.get("education") or []):
        f[f"edu_level_{i}"] = str(e.get("level", ""))
        f[f"edu_date_{i}"] = str(e.get("graduation_date") or "")
        if e.get("engineering_professional_degree"):
            f[f"edu_prof_{i}"] = "1"
    if p.get("specialty_work_start"):
        f["work_start"] = str(p["specialty_work_start"])
    for i, t in enumerate(p.get("titles") or []):
        f[f"title_grade_{i}"] = str(t.get("grade", ""))
        f[f"title_series_{i}"] = "engineering" if t.get("series", "engineering") == "engineering" else "other"
        f[f"title_date_{i}"] = str(t.get("obtained") or "")
    for i, a in enumerate(p.get("achievements") or []):
        for key, field in (
            ("kind", "kind"),
            ("date", "date"),
            ("rank", "rank"),
            ("role", "role"),
            ("level", "level"),
            ("grade", "grade"),
            ("venue", "venue"),
            ("std", "standard_level"),
            ("title", "title"),
        ):
            if a.get(field) not in (None, ""):
                f[f"ach_{key}_{i}"] = str(a[field])
        if a.get("count", 1) != 1:
            f[f"ach_count_{i}"] = str(a["count"])
        for key in ("granted", "accepted"):
            if a.get(key):
                f[f"ach_{key}_{i}"] = "1"
    for a in p.get("annual_assessments") or []:
        f[f"assess_{a['year']}"] = str(a["result"])
    directions = {d.id for d in default_catalog().document(doc_id).directions}
    chosen = [d for d in p.get("directions") or [] if d in directions]
    if chosen:
        f[f"dir_{doc_id}"] = chosen[0]
    return f


def profile_errors(exc: DomainError, f: dict[str, str]) -> dict[str, str]:
    """{form field: "成果 2 · 日期：原因"}: the service's profile paths named in Chinese, on the form's rows."""
    kept = kept_rows(f)
    out: dict[str, str] = {}
    if not exc.fields:
        return {"_": exc.message}
    for raw, message in exc.fields:
        path = raw.removeprefix("profile.")
        m = PATH_RE.match(path)
        if m and m.group(1) in kept:
            head, index, tail = m.group(1), int(m.group(2)), m.group(3) or ""
            rows = kept[head]
            number = rows[index] if index < len(rows) else index
            if head == "annual_assessments":
                field, label = f"assess_{number}", f"{number}年度考核"
            else:
                field = f"{PREFIX[head]}_{FORM_NAME.get(tail, tail)}_{number}" if tail else f"{PREFIX[head]}_{number}"
                label = f"{HEADS[head]} {number + 1}" + (f" · {TAILS.get(tail, tail)}" if tail else "")
        elif path in SINGLE:
            field, label = SINGLE[path]
        else:
            field, label = path, path
        out[field] = (out[field] + "；" if field in out else f"{label}：") + message
    return out


def _form_page(
    request: Request,
    call: Call,
    app: Application,
    f: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    verdict: dict[str, Any] | None = None,
    upload_errors: dict[str, str] | None = None,
    saved: bool = False,
) -> HTMLResponse:
    doc = call.ctx.catalog.document(app.document_id)
    today = call.today
    shown = {int(k[7:]) for k in f if k.startswith("assess_") and k[7:].isdigit()}
    years = sorted({*range(today.year - 5, today.year), *shown})
    if verdict is None and not errors:
        try:
            verdict = verdict_view(svc.evaluate_application(call.ctx, app))
        except DomainError as exc:
            verdict = {"error": exc.message}
    achievements = app.profile.get("achievements") or []
    return render(
        request,
        "applicant/edit.html",
        status,
        app=app,
        doc=doc,
        level_title=LEVEL_NAMES.get(app.level, app.level),
        f=f,
        errors=errors,
        upload_errors=upload_errors or {},
        verdict=verdict,
        today=today.isoformat(),
        years=years,
        edu_rows=max(2, rows_in(f, "edu_level_") + 1),
        title_rows=max(2, rows_in(f, "title_grade_") + 1),
        ach_rows=max(3, rows_in(f, "ach_kind_") + 1),
        saved_achievements=[
            {"index": i, "label": achievement_label(a, i)} for i, a in enumerate(achievements) if isinstance(a, dict)
        ],
        evidence=evidence_rows(call, app.id),
        max_mb=call.runtime.settings.max_upload_bytes / 1024 / 1024,
        saved=saved,
        editable=app.state in ("draft", "correction"),
    )


def rows_in(f: dict[str, str], key: str) -> int:
    """How many rows of a kind the form holds (one more than the highest row number)."""
    return 1 + max([int(k[len(key) :]) for k in f if k.startswith(key) and k[len(key) :].isdigit()] or [-1])


def achievement_label(a: dict[str, Any], i: int) -> str:
    from zhicheng.web.labels import ACHIEVEMENT_KINDS

    kind = ACHIEVEMENT_KINDS.get(str(a.get("kind")), str(a.get("kind")))
    title = f"《{a['title']}》" if a.get("title") else ""
    return f"成果 {i + 1}：{kind}{title}（{a.get('date') or '日期未填'}）"


@router.get(HOME + "/applications/{app_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, call: PageCall, app_id: AppId) -> Response:
    app = _own_application(call, app_id)
    return _form_page(request, call, app, profile_form(app.profile, app.document_id), {})


@router.post(HOME + "/applications/{app_id}/edit", response_class=HTMLResponse, dependencies=[CsrfChecked])
def edit_submit(request: Request, call: PageCall, app_id: AppId, f: FormFields) -> Response:
    app = _own_application(call, app_id)
    data = form_profile(f, app.profile)
    _, exc = attempt(
        call.session, lambda: svc.update_application(call.ctx, app.id, expected_version=_version(f), profile=data)
    )
    if exc is not None:
        errors = profile_errors(exc, f) if exc.code == "invalid_profile" else {"_": exc.message}
        call.session.refresh(app)
        return _form_page(request, call, app, f, errors, exc.status)
    call.session.refresh(app)
    if f.get("next") == "submit":
        return RedirectResponse(f"{HOME}/applications/{app.id}#submit", status_code=303)
    return _form_page(request, call, app, profile_form(app.profile, app.document_id), {}, saved=True)


@router.post(HOME + "/applications/{app_id}/check", response_class=HTMLResponse, dependencies=[CsrfChecked])
def live_check(request: Request, call: PageCall, app_id: AppId, f: FormFields) -> Response:
    """The verdict for what the form says now (htmx, while filling in); nothing is stored."""
    app = _own_application(call, app_id)
    draft = Application(
        applicant_id=app.applicant_id,
        document_id=app.document_id,
        level=app.level,
        profile=form_profile(f, app.profile),
    )  # transient: never added to the session
    try:
        verdict: dict[str, Any] = verdict_view(svc.evaluate_application(call.ctx, draft))
        errors: dict[str, str] = {}
    except DomainError as exc:
        verdict, errors = {}, profile_errors(exc, f)
    return render(request, "applicant/_verdict.html", verdict=verdict, errors=errors, live=True)


@router.get(HOME + "/applications/{app_id}/row", response_class=HTMLResponse)
def achievement_row(
    request: Request, call: PageCall, app_id: AppId, i: Annotated[int, Query(ge=0, le=99)] = 0
) -> Response:
    _own_application(call, app_id)
    return render(request, "applicant/_ach_more.html", i=i, f={}, errors={}, app_id=app_id)


# ---------------------------------------------------------------- evidence
UPLOAD_LABELS = {"file": "证明材料文件", "achievement_index": "对应成果"}


def _index(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 3 else None


@router.post(HOME + "/applications/{app_id}/evidence", response_class=HTMLResponse, dependencies=[CsrfChecked])
def upload(request: Request, call: PageCall, app_id: AppId, f: FormFields, file: forms.FormFile) -> Response:
    """One file for one achievement (or for the application as a whole): PDF, JPG or PNG by content."""
    app = _own_application(call, app_id)
    index = _index(f.get("achievement_index", ""))
    where = str(index) if index is not None else "other"
    version = _version(f)
    limit = call.runtime.settings.max_upload_bytes
    message, status = "", 422
    if file is None or not file.filename:
        message = "证明材料文件：请选择要上传的文件"
    else:
        data = file.file.read(limit + 1)
        filename = svc.clean_filename(file.filename)
        if len(data) > limit:
            message, status = f"证明材料文件：{filename} 过大，上限 {limit / 1024 / 1024:g} MB", 413
        else:
            _, exc = attempt(
                call.session,
                lambda: svc.attach_evidence(
                    call.ctx,
                    app.id,
                    store=call.runtime.evidence,
                    data=data,
                    filename=filename,
                    achievement_index=index,
                    expected_version=version,
                ),
            )
            if exc is not None:
                message, status = "；".join(forms.field_errors(exc, UPLOAD_LABELS).values()), exc.status
    if message:
        call.session.refresh(app)
        form = profile_form(app.profile, app.document_id)
        return _form_page(request, call, app, form, {}, status, upload_errors={where: message})
    return RedirectResponse(f"{HOME}/applications/{app.id}/edit#evidence", status_code=303)


@router.get("/work/applications/{app_id}/evidence/{evidence_id}")
def download(call: PageCall, app_id: AppId, evidence_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    """A file of an application, for whoever may view the application (any role; the API's check and headers)."""
    call_user(call)
    return api_evidence.download_evidence(app_id, evidence_id, call)


# ---------------------------------------------------------------- procedure actions of the applicant
@router.post(HOME + "/applications/{app_id}/submit", response_class=HTMLResponse, dependencies=[CsrfChecked])
def submit(request: Request, call: PageCall, app_id: AppId, f: FormFields) -> Response:
    """Submit with the integrity pledge; a route other than the current one only when chosen explicitly."""
    app = _own_application(call, app_id)
    route = f.get("route") or app.route
    version = _version(f)

    def run() -> Application:
        expected = version
        if route != app.route:
            changed = svc.update_application(call.ctx, app.id, expected_version=expected, route=route)
            expected = changed.version
        return svc.act(call.ctx, app.id, "submit", expected_version=expected, data={"pledge": f.get("pledge") == "1"})

    _, exc = attempt(call.session, run)
    if exc is not None:
        call.session.refresh(app)
        return _application_page(request, call, app, exc.status, errors=forms.field_errors(exc, SUBMIT_LABELS))
    return RedirectResponse(f"{HOME}/applications/{app.id}", status_code=303)


SUBMIT_LABELS = {"pledge": "诚信承诺", "route": "申报途径"}


def _act(request: Request, call: Call, app_id: int, action: str, f: dict[str, str]) -> Response:
    app = _own_application(call, app_id)
    _, exc = attempt(call.session, lambda: svc.act(call.ctx, app.id, action, expected_version=_version(f)))
    if exc is not None:
        call.session.refresh(app)
        return _application_page(request, call, app, exc.status, errors=forms.field_errors(exc))
    return RedirectResponse(f"{HOME}/applications/{app.id}", status_code=303)


@router.post(HOME + "/applications/{app_id}/resubmit", response_class=HTMLResponse, dependencies=[CsrfChecked])
def resubmit(request: Request, call: PageCall, app_id: AppId, f: FormFields) -> Response:
    """Answer the correction notice: the materials were corrected on the form, now hand them back."""
    return _act(request, call, app_id, "resubmit", f)


@router.post(HOME + "/applications/{app_id}/withdraw", response_class=HTMLResponse, dependencies=[CsrfChecked])
def withdraw(request: Request, call: PageCall, app_id: AppId, f: FormFields) -> Response:
    if f.get("confirm") != "1":  # withdrawal cannot be undone: the form asks for an explicit confirmation
        app = _own_application(call, app_id)
        errors = {"confirm-withdraw": "撤回确认：请勾选“我确认撤回本次申报”"}
        return _application_page(request, call, app, 422, errors=errors)
    return _act(request, call, app_id, "withdraw", f)


# ---------------------------------------------------------------- certificates
CertificateNumber = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9]+$")]


@router.get(HOME + "/certificates/{number}/certificate.pdf")
def certificate_pdf(call: PageCall, number: CertificateNumber) -> Response:
    """The holder's PDF certificate with its QR code (the same service call as the API's download)."""
    call_user(call, Role.APPLICANT)
    body = csvc.certificate_pdf(call.ctx, trust_of(call), number)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{number}.pdf"', "Cache-Control": "no-store"},
    )


@router.get(HOME + "/certificates/{number}/signed.json")
def certificate_json(call: PageCall, number: CertificateNumber) -> Response:
    """The signed certificate as issued (``zhicheng verify`` checks it offline)."""
    call_user(call, Role.APPLICANT)
    return Response(
        csvc.certificate_json(call.ctx, number),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{number}.json"', "Cache-Control": "no-store"},
    )
