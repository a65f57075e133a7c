"""评审专家 pages (/work/expert): my meetings, the conflict declaration before any material opens, the
material of each assigned application with the score and written opinion, check-in and the secret ballot.

Everything an expert sees comes from review.service, which filters through ``ReviewRights``: an
application the expert must recuse from is absent from every list and count, and its material is a 404.
The ballot page confirms that the vote was counted and never shows the choice next to the voter.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from zhicheng.api.deps import Call
from zhicheng.errors import DomainError, not_found
from zhicheng.policy.profile import LEVEL_NAMES
from zhicheng.policy.verdict import ROUTE_NAMES
from zhicheng.review import service as rsvc
from zhicheng.store.models import EvidenceFile, Role
from zhicheng.web.pages import render
from zhicheng.web.session import CsrfChecked, PageCall, call_user
from zhicheng.web.staff import (
    CHOICES,
    CONFLICT_KINDS,
    ITEM_STATUS,
    MEETING_STATUS,
    FormFields,
    Outcome,
    attempt,
    done,
    flash,
)

BASE = "/work/expert"
router = APIRouter(prefix=BASE, include_in_schema=False)
NAV = [(BASE, "ws_my_meetings")]


def _expert(call: Call) -> None:
    call_user(call, Role.EXPERT)


def _page(call: Call, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    return render(call.request, name, status, nav=NAV, flash=flash(call.request), base=BASE, **ctx)


def _my_meeting(call: Call, meeting_id: int) -> rsvc.MeetingView:
    view = next((m for m in rsvc.my_meetings(call.ctx) if m.id == meeting_id), None)
    if view is None:
        raise not_found("评审会议")
    return view


@router.get("", response_class=HTMLResponse)
def home(call: PageCall) -> HTMLResponse:
    _expert(call)
    return _page(call, "expert/home.html", meetings=rsvc.my_meetings(call.ctx), meeting_status=MEETING_STATUS)


# ---------------------------------------------------------------- one meeting: declaration, agenda, check-in
def _meeting_page(
    call: Call, meeting_id: int, f: dict[str, str] | None = None, out: Outcome | None = None, form: str = ""
) -> HTMLResponse:
    view = _my_meeting(call, meeting_id)
    sheet = rsvc.declaration_sheet(call.ctx, meeting_id) if view.status != "closed" else []
    agenda = rsvc.agenda(call.ctx, meeting_id) if view.declared else []
    summary = rsvc.meeting_summary(call.ctx, meeting_id) if view.declared else None
    return _page(
        call,
        "expert/meeting.html",
        out.status if out else 200,
        view=view,
        sheet=sheet,
        agenda=agenda,
        summary=summary,
        statement=rsvc.DECLARATION_STATEMENT,
        kinds=CONFLICT_KINDS,
        level_names=LEVEL_NAMES,
        route_names=ROUTE_NAMES,
        meeting_status=MEETING_STATUS,
        item_status=ITEM_STATUS,
        f=f or {},
        out=out,
        form=form,
    )


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting(meeting_id: int, call: PageCall) -> HTMLResponse:
    _expert(call)
    return _meeting_page(call, meeting_id)


@router.post("/meetings/{meeting_id}/declare", response_class=HTMLResponse, dependencies=[CsrfChecked])
def declare(meeting_id: int, call: PageCall, form: FormFields) -> Response:
    """回避申报: 'none' or a relation (kind, note) per applicant on the sheet, and the pledge."""
    _expert(call)

    def run() -> Any:
        claims = []
        for row in rsvc.declaration_sheet(call.ctx, meeting_id):
            kind = form.get(f"kind_{row.application_id}")
            if kind:
                claims.append(rsvc.ConflictClaim(row.application_id, kind, form.raw(f"note_{row.application_id}")))
        return rsvc.declare(call.ctx, meeting_id, claims, confirm=form.flag("confirm"))

    out = attempt(call, run)
    if out.ok:
        return done(f"{BASE}/meetings/{meeting_id}", "declared")
    return _meeting_page(call, meeting_id, form.values(), out, "declare")


@router.post("/meetings/{meeting_id}/check-in", response_class=HTMLResponse, dependencies=[CsrfChecked])
def check_in(meeting_id: int, call: PageCall) -> Response:
    _expert(call)
    out = attempt(call, lambda: rsvc.check_in(call.ctx, meeting_id))
    if out.ok:
        return done(f"{BASE}/meetings/{meeting_id}", "checked_in")
    return _meeting_page(call, meeting_id, None, out, "check_in")


# ---------------------------------------------------------------- one application: material, score, ballot
def _application_page(
    call: Call,
    meeting_id: int,
    app_id: int,
    f: dict[str, str] | None = None,
    out: Outcome | None = None,
    form: str = "",
) -> HTMLResponse:
    view = _my_meeting(call, meeting_id)
    material = rsvc.application_material(call.ctx, meeting_id, app_id)  # 404 when conflicted or undeclared
    row = next(r for r in rsvc.agenda(call.ctx, meeting_id) if r.application_id == app_id)
    files = [
        {
            "name": name,
            "href": f"{BASE}/meetings/{meeting_id}/applications/{app_id}/files/{n}",
            "index": index,
            "sha256": sha,
        }
        for n, (name, sha, index) in enumerate(material.evidence)
    ]
    can_score = row.on_my_panel and row.status == "pending" and view.status in ("assigned", "open")
    score_f = f if form == "score" else {}
    if not score_f and material.panel.my_score is not None:
        score_f = {"score": str(material.panel.my_score)}
    return _page(
        call,
        "expert/application.html",
        out.status if out else 200,
        view=view,
        mat=material,
        row=row,
        files=files,
        profile=material.profile,
        can_score=can_score,
        can_vote=row.status == "voting" and not row.i_voted and view.checked_in,
        choices=CHOICES,
        level_names=LEVEL_NAMES,
        route_names=ROUTE_NAMES,
        f=score_f,
        out=out,
        form=form,
    )


@router.get("/meetings/{meeting_id}/applications/{app_id}", response_class=HTMLResponse)
def application(meeting_id: int, app_id: int, call: PageCall) -> HTMLResponse:
    _expert(call)
    return _application_page(call, meeting_id, app_id)


@router.get("/meetings/{meeting_id}/applications/{app_id}/files/{n}")
def evidence_file(meeting_id: int, app_id: int, n: int, call: PageCall) -> Response:
    """An evidence file of an application the expert may see (the material call is the rights check)."""
    _expert(call)
    material = rsvc.application_material(call.ctx, meeting_id, app_id)
    if not 0 <= n < len(material.evidence):
        raise not_found("证明材料")
    name, sha, _ = material.evidence[n]
    info = call.session.get(EvidenceFile, sha)
    try:
        data = call.runtime.evidence.read(sha)
    except FileNotFoundError:
        raise DomainError(404, "file_missing", "证明材料文件缺失，请联系评审服务机构") from None
    return Response(
        data,
        media_type=info.media_type if info else "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.post(
    "/meetings/{meeting_id}/applications/{app_id}/score", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def score(meeting_id: int, app_id: int, call: PageCall, form: FormFields) -> Response:
    _expert(call)
    out = attempt(
        call,
        lambda: rsvc.submit_score(
            call.ctx, meeting_id, app_id, score=form.need_int("score", "评分"), opinion=form.raw("opinion")
        ),
    )
    if out.ok:
        return done(f"{BASE}/meetings/{meeting_id}/applications/{app_id}", "scored")
    return _application_page(call, meeting_id, app_id, form.values(), out, "score")


@router.post(
    "/meetings/{meeting_id}/applications/{app_id}/ballot", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def ballot(meeting_id: int, app_id: int, call: PageCall, form: FormFields) -> Response:
    """The secret ballot: the answer page says it was counted, never what was chosen."""
    _expert(call)
    out = attempt(call, lambda: rsvc.cast_ballot(call.ctx, meeting_id, app_id, form.get("choice")))
    if out.ok:
        return done(f"{BASE}/meetings/{meeting_id}/applications/{app_id}", "voted")
    return _application_page(call, meeting_id, app_id, None, out, "ballot")
