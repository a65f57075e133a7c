"""Public notices (公示, /notices): the unit internal notices and the results notices with their entries and
dates, and the objection form (异议) while a notice runs. No login: anyone may read and object.

The lists and entries are the API's own read operations (api/notices.py: what an entry shows — name, unit,
level, route — and never the ID number or the profile); an objection is ``service.file_objection``, which
checks the notice period, the entry and the content. The objector's real name and contact are stored apart
(``Objection.name``, ``contact``), and only whoever decides the objection sees them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhicheng.api import notices as api_notices
from zhicheng.api.deps import MAX_ID, Call, Paging
from zhicheng.errors import not_found
from zhicheng.policy.catalog import default_catalog
from zhicheng.policy.profile import LEVEL_NAMES
from zhicheng.store.models import Application, NoticeEntry, Unit, User
from zhicheng.web import forms
from zhicheng.web.forms import FormFields, attempt
from zhicheng.web.pages import render
from zhicheng.web.session import CsrfChecked, PageCall
from zhicheng.workflow import service as svc

router = APIRouter(include_in_schema=False)
NoticeId = Annotated[int, Path(ge=1, le=MAX_ID)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
RUNNING_SHOWN = 20  # running notices on the list page, each with its first entries
ENTRIES_SHOWN = 10
DECIDER = {"unit": "发布公示的用人单位", "results": "评审服务机构"}
LABELS = {"name": "姓名", "contact": "联系方式", "content": "异议内容", "application_id": "异议对象"}


@router.get("/notices", response_class=HTMLResponse)
def notice_list(request: Request, call: PageCall, page: PageNo = 1) -> Response:
    running = api_notices.list_notices(call, Paging(0, RUNNING_SHOWN), running=True)
    entries = {n.id: api_notices.notice_entries(n.id, call, Paging(0, ENTRIES_SHOWN)) for n in running.items}
    ended = api_notices.list_notices(call, forms.paging(page), running=False)
    return render(
        request,
        "notices/list.html",
        running=running,
        entries=entries,
        ended=ended.items,
        pg=forms.pages(ended.total, page),
        today=call.today,
    )


def _notice(call: Call, notice_id: int) -> api_notices.NoticeOut:
    return api_notices.get_notice(notice_id, call)


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
def notice_page(
    request: Request, call: PageCall, notice_id: NoticeId, page: PageNo = 1, received: PageNo | None = None
) -> Response:
    notice = _notice(call, notice_id)
    entries = api_notices.notice_entries(notice_id, call, forms.paging(page))
    return render(
        request,
        "notices/notice.html",
        notice=notice,
        entries=entries.items,
        pg=forms.pages(entries.total, page),
        received=received,
        decider=DECIDER.get(notice.kind, ""),
        today=call.today,
    )


def _form(
    request: Request,
    call: Call,
    notice_id: int,
    application_id: int,
    f: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    notice = _notice(call, notice_id)
    app = call.session.get(Application, application_id)
    if app is None or call.session.get(NoticeEntry, (notice_id, application_id)) is None:
        raise not_found("公示名单中的该申报")
    person = call.session.get(User, app.applicant_id)
    unit = call.session.get(Unit, app.unit_id) if app.unit_id is not None else None
    entry = {  # what the notice itself shows of the entry (api.notices.notice_entries)
        "name": person.display_name if person else "",
        "unit_name": unit.name if unit else None,
        "level_title": LEVEL_NAMES.get(app.level, app.level),
        "document_title": default_catalog().document(app.document_id).short_title,
    }
    return render(
        request,
        "notices/objection.html",
        status,
        notice=notice,
        entry=entry,
        application_id=application_id,
        f=f,
        errors=errors,
        decider=DECIDER.get(notice.kind, ""),
        today=call.today,
    )


@router.get("/notices/{notice_id}/objection", response_class=HTMLResponse)
def objection_page(
    request: Request, call: PageCall, notice_id: NoticeId, entry: Annotated[int, Query(ge=1, le=MAX_ID)]
) -> Response:
    return _form(request, call, notice_id, entry, {}, {})


@router.post("/notices/{notice_id}/objection", response_class=HTMLResponse, dependencies=[CsrfChecked])
def objection_submit(request: Request, call: PageCall, notice_id: NoticeId, f: FormFields) -> Response:
    raw_id = f.get("application_id", "")
    if not raw_id.isdigit() or not 1 <= int(raw_id) <= MAX_ID:
        raise not_found("公示名单中的该申报")
    application_id = int(raw_id)
    errors: dict[str, str] = {}
    name = forms.text(f, "name", 50, errors, LABELS["name"]).strip()
    contact = forms.text(f, "contact", 140, errors, LABELS["contact"]).strip()
    content = forms.text(f, "content", 5000, errors, LABELS["content"])
    if not name:
        errors["name"] = "姓名：请填写真实姓名，便于核查和反馈"
    if not errors:
        # name and contact are for whoever checks the objection, never public
        obj, exc = attempt(
            call.session,
            lambda: svc.file_objection(
                call.session,
                notice_id=notice_id,
                application_id=application_id,
                content=content,
                name=name,
                contact=contact,
                today=call.today,
            ),
        )
        if obj is not None:
            return RedirectResponse(f"/notices/{notice_id}?received={obj.id}", status_code=303)
        assert exc is not None
        if exc.status == 404:
            raise exc
        errors = forms.field_errors(exc, LABELS)
        status = exc.status
    else:
        status = 422
    return _form(request, call, notice_id, application_id, f, errors, status)
