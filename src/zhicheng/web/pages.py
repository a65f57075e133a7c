"""Public pages: home, the standards with their clauses, the self-check (no login, nothing stored).

Pages are thin: they turn form fields into a profile, call the engine, and render. Role pages live
in web/work.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from zhicheng.policy.catalog import default_catalog
from zhicheng.policy.engine import evaluate_all
from zhicheng.policy.messages import translate_errors
from zhicheng.policy.profile import Profile
from zhicheng.policy.render import standard_lines, verdict_lines
from zhicheng.web import labels
from zhicheng.web.i18n import LANGS, lang_of, translator
from zhicheng.web.security import check_csrf, csrf_token, remember_csrf

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))  # autoescape is on for .html
router = APIRouter(include_in_schema=False)


def today(request: Request) -> dt.date:
    clock = getattr(request.app.state, "clock", None)
    return clock() if callable(clock) else dt.date.today()


def current_user(request: Request) -> Any:
    """The logged-in user: set by a role page's ``PageCall``; public pages look the session cookie up here."""
    if not hasattr(request.state, "user"):
        from zhicheng.web.session import user_from_cookie

        request.state.user = user_from_cookie(request)
    return request.state.user


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    ctx.update(
        request=request,
        t=translator(request),
        lang=lang_of(request),
        csrf=csrf_token(request),
        user=current_user(request),
        L=labels,
    )
    response = TEMPLATES.TemplateResponse(request, name, ctx, status_code=status)
    remember_csrf(request, response)
    return response


_ERROR_TITLES = {401: "请先登录", 403: "无权访问", 404: "未找到", 409: "操作冲突", 413: "内容过大", 422: "输入有误"}


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "message.html", status, title=_ERROR_TITLES.get(status, "出错了"), message=message)


def forbidden_csrf(request: Request) -> HTMLResponse:
    return render(
        request,
        "message.html",
        403,
        title="请求已过期",
        message="表单安全校验失败（可能页面停留过久或在别处打开）。请刷新页面后重试。",
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html")


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request) -> Response:
    back = request.headers.get("referer") or "/"
    response = RedirectResponse(back if back.startswith(str(request.base_url)) else "/", status_code=303)
    if lang in LANGS:
        response.set_cookie(
            "zc_lang", lang, max_age=365 * 86400, samesite="lax", httponly=True, secure=request.url.scheme == "https"
        )
    return response


@router.get("/standards", response_class=HTMLResponse)
def standards(request: Request) -> HTMLResponse:
    cat, on = default_catalog(), today(request)
    docs = [
        {
            "id": d.id,
            "title": d.title,
            "doc_no": d.doc_no,
            "effective_from": d.effective_from,
            "effective_to": cat.validity(d.id).effective_to,
            "in_force": cat.validity(d.id).in_force(on),
            "levels": d.levels,
        }
        for d in cat.documents.values()
    ]
    return render(request, "standards.html", docs=docs)


@router.get("/standards/{doc_id}/{level_id}", response_class=HTMLResponse)
def standard(doc_id: str, level_id: str, request: Request) -> HTMLResponse:
    cat = default_catalog()
    try:
        level = cat.level(doc_id, level_id)
    except KeyError as exc:
        return render(request, "message.html", 404, title="未找到", message=str(exc.args[0]))
    return render(
        request, "standard.html", doc=cat.document(doc_id), level=level, lines=standard_lines(doc_id, level, cat)
    )


# ---------------------------------------------------------------- self-check
FIELD_OF = {"education": "edu", "titles": "title", "achievements": "ach"}
FORM_NAME = {
    "graduation_date": "date",
    "obtained": "date",
    "standard_level": "std",
    "engineering_professional_degree": "prof",
}


def form_to_profile(f: dict[str, str]) -> dict[str, Any]:
    """Form fields → profile data (empty rows are skipped; validation happens in Profile)."""

    def rows(prefix: str) -> list[int]:
        return sorted({int(k.rsplit("_", 1)[1]) for k in f if k.startswith(prefix) and k.rsplit("_", 1)[1].isdigit()})

    education = [
        {
            "level": f[f"edu_level_{i}"],
            "graduation_date": f.get(f"edu_date_{i}") or None,
            "engineering_professional_degree": bool(f.get(f"edu_prof_{i}")),
        }
        for i in rows("edu_level_")
        if f.get(f"edu_level_{i}")
    ]
    titles = [
        {
            "grade": f[f"title_grade_{i}"],
            "series": f.get(f"title_series_{i}") or "engineering",
            "obtained": f.get(f"title_date_{i}") or None,
        }
        for i in rows("title_grade_")
        if f.get(f"title_grade_{i}")
    ]
    achievements = []
    for i in rows("ach_kind_"):
        if not f.get(f"ach_kind_{i}"):
            continue
        a: dict[str, Any] = {"kind": f[f"ach_kind_{i}"], "date": f.get(f"ach_date_{i}") or None}
        for key, field in (
            ("rank", "rank"),
            ("role", "role"),
            ("level", "level"),
            ("grade", "grade"),
            ("venue", "venue"),
            ("std", "standard_level"),
            ("count", "count"),
        ):
            if f.get(f"ach_{key}_{i}"):
                a[field] = f[f"ach_{key}_{i}"]
        for key in ("granted", "accepted"):
            if f.get(f"ach_{key}_{i}"):
                a[key] = True
        achievements.append(a)
    assessments = [{"year": int(k[7:]), "result": v} for k, v in f.items() if k.startswith("assess_") and v]
    directions = [v for k, v in f.items() if k.startswith("dir_") and v]
    data: dict[str, Any] = {
        "education": education,
        "titles": titles,
        "achievements": achievements,
        "annual_assessments": assessments,
        "directions": directions,
    }
    if f.get("work_start"):
        data["specialty_work_start"] = f["work_start"]
    return data


def form_field(path: str) -> str:
    """'education[1].graduation_date' → 'edu_date_1', so the page can mark the field."""
    head, _, rest = path.partition("[")
    index, _, tail = rest.partition("].")
    prefix = FIELD_OF.get(head)
    if prefix and index.isdigit():
        return f"{prefix}_{FORM_NAME.get(tail, tail)}_{index}"
    return "work_start" if path == "specialty_work_start" else path


def check_context(request: Request, f: dict[str, str]) -> dict[str, Any]:
    on_text = f.get("as_of") or today(request).isoformat()
    errors: dict[str, str] = {}
    verdicts: list[Any] = []
    try:
        as_of = dt.date.fromisoformat(on_text)
    except ValueError:
        errors["as_of"] = "评审基准日：日期格式应为 YYYY-MM-DD"
        as_of = today(request)
    try:
        profile = Profile.model_validate(form_to_profile(f), context={"today": max(as_of, today(request))})
    except ValidationError as exc:
        for path, msg in translate_errors(exc):
            errors[form_field(path)] = f"{path}：{msg}"
    if not errors:
        cat = default_catalog()
        for v in evaluate_all(profile, as_of, cat):
            verdicts.append(
                {
                    "status": v.status,
                    "level_title": v.level_title,
                    "route": v.route,
                    "path_label": v.path_label,
                    "eligible_from": v.eligible_from,
                    "missing": v.missing,
                    "review_items": v.review_items,
                    "lines": verdict_lines(v, cat),
                    "document_title_short": cat.document(v.document).short_title,
                }
            )
    return {"errors": errors, "verdicts": verdicts, "as_of": as_of}


@router.get("/check", response_class=HTMLResponse)
def check_page(request: Request) -> HTMLResponse:
    on = today(request)
    return render(
        request,
        "check.html",
        f={},
        errors={},
        verdicts=[],
        rows=3,
        today=on.isoformat(),
        years=range(on.year - 5, on.year),
        docs=default_catalog().in_force(on),
        as_of=on,
    )


@router.get("/check/row", response_class=HTMLResponse)
def check_row(request: Request, i: int = 0) -> HTMLResponse:
    return render(request, "_ach_row.html", i=max(0, min(i, 99)), f={})


@router.post("/check", response_class=HTMLResponse)
async def check_submit(request: Request) -> HTMLResponse:
    if not await check_csrf(request):
        return forbidden_csrf(request)
    form = await request.form()
    f = {k: v for k, v in form.items() if isinstance(v, str)}
    ctx = check_context(request, f)
    if request.headers.get("hx-request"):
        return render(request, "_check_result.html", **ctx)
    on = today(request)
    rows = max(3, len([k for k in f if k.startswith("ach_kind_")]))
    return render(
        request,
        "check.html",
        f=f,
        rows=rows,
        today=on.isoformat(),
        years=range(on.year - 5, on.year),
        docs=default_catalog().in_force(on),
        **ctx,
    )
