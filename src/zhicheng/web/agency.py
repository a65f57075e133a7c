"""评审服务机构 pages (/work/agency): rounds, the qualification-review queue and review page (the engine's
verdict beside the materials), one-time correction notices, committees, experts, meetings (agenda, draw
propose → preview → commit, conflicts, check-in, ballots, minutes), results notices and objections.

Thin: every change is one service call (workflow.service / review.service) inside ``staff.attempt``;
who may see or do what is answered by ``Rights`` / ``ReviewRights`` inside those services.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from zhicheng.api import evidence as api_evidence
from zhicheng.api.certificates import trust_of
from zhicheng.api.deps import Call, Paging, fetch_page, mapping
from zhicheng.api.views import ALL_STATES, detail, summaries, visibility_filter
from zhicheng.certificates import service as csvc
from zhicheng.errors import DomainError, not_found
from zhicheng.policy.profile import LEVEL_NAMES
from zhicheng.policy.render import cite_text
from zhicheng.policy.verdict import ROUTE_NAMES, STATUS_NAMES, ConditionResult
from zhicheng.review import rules
from zhicheng.review import service as rsvc
from zhicheng.store.models import (
    Application,
    ApplicationEvidence,
    Committee,
    CommitteeFiling,
    CommitteePoolEntry,
    ConflictDeclaration,
    Expert,
    Meeting,
    MeetingItem,
    MeetingMember,
    NoticeEntry,
    Objection,
    PublicNotice,
    Role,
    Round,
    User,
)
from zhicheng.web import labels
from zhicheng.web.pages import render
from zhicheng.web.session import CsrfChecked, PageCall, call_user
from zhicheng.web.staff import (
    CONFLICT_KINDS,
    CONFLICT_SOURCES,
    CONFLICT_STATUS,
    ITEM_STATUS,
    MEETING_STATUS,
    OBJECTION_STATUS,
    ORGANISED_BY,
    PAGE_SIZE,
    ROUND_KINDS,
    ROUND_STATUS,
    THRESHOLDS,
    FormFields,
    Offset,
    Outcome,
    Pager,
    attempt,
    done,
    flash,
)
from zhicheng.workflow import service as svc
from zhicheng.workflow.procedures import PROCEDURES

BASE = "/work/agency"
router = APIRouter(prefix=BASE, include_in_schema=False)
NAV = [
    (BASE, "ws_overview"),
    (f"{BASE}/rounds", "ws_rounds"),
    (f"{BASE}/queue", "ws_review"),
    (f"{BASE}/committees", "ws_committees"),
    (f"{BASE}/experts", "ws_experts"),
    (f"{BASE}/meetings", "ws_meetings"),
    (f"{BASE}/notices", "ws_results"),
    (f"{BASE}/objections", "ws_objections"),
    (f"{BASE}/certificates", "ws_issue"),
    (f"{BASE}/accounts", "ws_accounts"),  # web/activation.py
]
MAX_PANELS = 3
STATE_LABELS = {
    s: next((p.steps[s].label for p in PROCEDURES.values() if s in p.steps), s) for s in ALL_STATES if s != "draft"
}


def _agency(call: Call) -> None:
    call_user(call, Role.AGENCY)


def _page(call: Call, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    return render(call.request, name, status, nav=NAV, flash=flash(call.request), base=BASE, **ctx)


def _catalog_docs(call: Call) -> list[Any]:
    cat = call.ctx.catalog
    return [
        {
            "id": d.id,
            "title": d.short_title,
            "levels": [lv.id for lv in d.levels],
            "in_force": cat.validity(d.id).in_force(call.today),
        }
        for d in cat.documents.values()
    ]


# ================================================================= overview
@router.get("", response_class=HTMLResponse)
def home(call: PageCall) -> HTMLResponse:
    _agency(call)
    rights = call.ctx.rights
    counts = mapping(
        call.session,
        select(Application.state, func.count()).where(visibility_filter(rights)).group_by(Application.state),
    )
    open_objections = call.session.scalar(
        select(func.count(Objection.id))
        .join(PublicNotice, PublicNotice.id == Objection.notice_id)
        .where(Objection.status == "open", PublicNotice.kind == "results")
    )
    meetings = [m for m in rsvc.my_meetings(call.ctx) if m.status != "closed"][:5]
    return _page(
        call,
        "agency/home.html",
        counts=counts,
        states=STATE_LABELS,
        open_objections=open_objections or 0,
        meetings=meetings,
        meeting_status=MEETING_STATUS,
    )


# ================================================================= rounds
def _rounds_page(
    call: Call,
    offset: int = 0,
    f: dict[str, str] | None = None,
    out: Outcome | None = None,
    levels: list[str] | None = None,
) -> HTMLResponse:
    total, rows = fetch_page(call.session, select(Round).order_by(Round.id.desc()), Paging(offset, PAGE_SIZE))
    ids = [r.id for r in rows]
    counts = mapping(
        call.session,
        select(Application.round_id, func.count())
        .where(Application.round_id.in_(ids), Application.state != "draft")
        .group_by(Application.round_id),
    )
    cat = call.ctx.catalog
    return _page(
        call,
        "agency/rounds.html",
        out.status if out else 200,
        rounds=rows,
        counts=counts,
        docs=_catalog_docs(call),
        doc_titles={d.id: d.short_title for d in cat.documents.values()},
        level_names=LEVEL_NAMES,
        kinds=ROUND_KINDS,
        round_status=ROUND_STATUS,
        pager=Pager(f"{BASE}/rounds", offset, PAGE_SIZE, total),
        f=f or {"year": str(call.today.year), "kind": "annual"},
        sel_levels=levels or [],
        out=out,
    )


@router.get("/rounds", response_class=HTMLResponse)
def rounds(call: PageCall, offset: Offset = 0) -> HTMLResponse:
    _agency(call)
    return _rounds_page(call, offset)


@router.post("/rounds", response_class=HTMLResponse, dependencies=[CsrfChecked])
def open_round(call: PageCall, form: FormFields) -> Response:
    _agency(call)
    out = attempt(
        call,
        lambda: svc.open_round(
            call.ctx,
            document_id=form.get("document_id"),
            levels=form.many("levels"),
            kind=form.get("kind"),
            year=form.need_int("year", "年度"),
            title=form.get("title"),
            window_start=form.need_date("window_start", "申报开始日"),
            window_end=form.need_date("window_end", "申报截止日"),
        ),
    )
    if out.ok:
        return done(f"{BASE}/rounds", "round_opened")
    return _rounds_page(call, 0, form.values(), out, form.many("levels"))


# ================================================================= qualification review queue
@router.get("/queue", response_class=HTMLResponse)
def queue(call: PageCall, state: str = "agency_review", document: str = "", offset: Offset = 0) -> HTMLResponse:
    _agency(call)
    cat = call.ctx.catalog
    state = state if state in STATE_LABELS or state == "" else "agency_review"
    document = document if document in cat.documents else ""
    stmt = select(Application).where(visibility_filter(call.ctx.rights)).order_by(Application.id)
    if state:
        stmt = stmt.where(Application.state == state)
    if document:
        stmt = stmt.where(Application.document_id == document)
    total, rows = fetch_page(call.session, stmt, Paging(offset, PAGE_SIZE))
    return _page(
        call,
        "agency/queue.html",
        items=summaries(call.session, rows),
        states=STATE_LABELS,
        docs={d.id: d.short_title for d in cat.documents.values()},
        state=state,
        document=document,
        pager=Pager(f"{BASE}/queue", offset, PAGE_SIZE, total, {"state": state, "document": document}),
    )


# ================================================================= the review page
def _condition_rows(results: list[ConditionResult], call: Call, depth: int = 0) -> list[dict[str, Any]]:
    """The verdict's conditions as flat rows (depth for indentation), each with its citation."""
    cat = call.ctx.catalog
    rows: list[dict[str, Any]] = []
    for r in results:
        rows.append(
            {
                "depth": depth,
                "outcome": r.outcome,
                "message": r.message,
                "observed": r.observed if r.observed and r.observed not in r.message else "",
                "cite": cite_text(r.cite, cat),
                "quote": r.cite.quote if r.cite else "",
            }
        )
        rows += _condition_rows(r.children, call, depth + 1)
    return rows


def _review_page(
    call: Call, app_id: int, *, f: dict[str, str] | None = None, out: Outcome | None = None, form: str = ""
) -> HTMLResponse:
    ctx = call.ctx
    app = svc.get_application(ctx, app_id)
    view = detail(ctx, app)
    verdict, verdict_error = None, None
    try:
        verdict = svc.evaluate_application(ctx, app)
    except DomainError as exc:  # e.g. a profile stored before a schema change: say so, keep the page usable
        verdict_error = exc.message
    routes = []
    if verdict is not None:
        cat = ctx.catalog
        routes = [
            {
                "label": f"〔{ROUTE_NAMES[r.route]}〕{r.label}",
                "outcome": r.outcome,
                "cite": cite_text(r.cite, cat),
                "rows": _condition_rows(r.conditions, call),
            }
            for r in verdict.routes
        ]
    review_items = [
        {
            "id": r.id,
            "label": r.label,
            "text": r.threshold or r.message,
            "cite": cite_text(r.cite, ctx.catalog),
            "quote": r.cite.quote if r.cite else "",
        }
        for r in (verdict.review_items if verdict else [])
    ]
    evidence = list(
        call.session.scalars(
            select(ApplicationEvidence)
            .where(ApplicationEvidence.application_id == app.id)
            .order_by(ApplicationEvidence.id)
        )
    )
    due, due_error = None, None
    try:
        due = svc.workday(ctx, lambda cal: cal.add_workdays(ctx.today, svc.DEFAULT_CORRECTION_WORKDAYS))
    except DomainError as exc:
        due_error = exc.message
    special = {"accept", "request_correction"}
    return _page(
        call,
        "agency/review.html",
        out.status if out else 200,
        app=view,
        verdict=verdict,
        verdict_error=verdict_error,
        status_names=STATUS_NAMES,
        routes=routes,
        review_items=review_items,
        files=[
            {
                "name": ev.filename,
                "href": f"{BASE}/applications/{app.id}/evidence/{ev.id}",
                "index": ev.achievement_index,
                "sha256": ev.sha256,
            }
            for ev in evidence
        ],
        profile=app.profile,
        actions={a.name: a for a in view.allowed_actions},
        other_actions=[a for a in view.allowed_actions if a.name not in special],
        default_workdays=svc.DEFAULT_CORRECTION_WORKDAYS,
        due=due,
        due_error=due_error,
        today=call.today,
        f=f or {},
        out=out,
        form=form,
    )


@router.get("/applications/{app_id}", response_class=HTMLResponse)
def review(app_id: int, call: PageCall) -> HTMLResponse:
    _agency(call)
    return _review_page(call, app_id)


@router.get("/applications/{app_id}/evidence/{evidence_id}")
def evidence_file(app_id: int, evidence_id: int, call: PageCall) -> Response:
    _agency(call)
    return api_evidence.download_evidence(app_id, evidence_id, call)  # the API's own rights check and headers


@router.post("/applications/{app_id}/accept", response_class=HTMLResponse, dependencies=[CsrfChecked])
def accept(app_id: int, call: PageCall, form: FormFields) -> Response:
    """资格审核通过: the reviewer's finding on each item the engine left to people, then the machine check."""
    _agency(call)

    def run() -> Any:
        judgements = [
            {"condition": key[2:], "passed": value == "pass", "note": form.get(f"jn_{key[2:]}") or None}
            for key, value in form.values().items()
            if key.startswith("j_") and value in ("pass", "fail")
        ]
        return svc.act(
            call.ctx,
            app_id,
            "accept",
            expected_version=form.integer("version", "版本号"),
            data={"judgements": judgements},
        )

    out = attempt(call, run)
    if out.ok:
        return done(f"{BASE}/applications/{app_id}", "accepted")
    return _review_page(call, app_id, f=form.values(), out=out, form="accept")


@router.post("/applications/{app_id}/correction", response_class=HTMLResponse, dependencies=[CsrfChecked])
def request_correction(app_id: int, call: PageCall, form: FormFields) -> Response:
    """一次性告知补正: every item in one notice, one deadline in working days."""
    _agency(call)

    def run() -> Any:
        items = [line.strip() for line in form.raw("items").splitlines() if line.strip()]
        workdays = form.integer("workdays", "补正期限（工作日）")
        return svc.act(
            call.ctx,
            app_id,
            "request_correction",
            expected_version=form.integer("version", "版本号"),
            data={"items": items, "workdays": workdays},
        )

    out = attempt(call, run)
    if out.ok:
        return done(f"{BASE}/applications/{app_id}", "correction_sent")
    return _review_page(call, app_id, f=form.values(), out=out, form="correction")


@router.post("/applications/{app_id}/act/{action}", response_class=HTMLResponse, dependencies=[CsrfChecked])
def act(app_id: int, action: str, call: PageCall, form: FormFields) -> Response:
    """Any other step the procedure gives the agency here (不符合申报条件, 颁发证书, 取消通过 …)."""
    _agency(call)
    out = attempt(
        call,
        lambda: svc.act(
            call.ctx,
            app_id,
            action,
            expected_version=form.integer("version", "版本号"),
            reason=form.raw("reason") or None,
        ),
    )
    if out.ok:
        return done(f"{BASE}/applications/{app_id}", "acted")
    return _review_page(call, app_id, f=form.values(), out=out, form=action)


@router.get("/workdays", response_class=HTMLResponse)
def workdays_due(call: PageCall, workdays: str = "") -> HTMLResponse:
    """htmx: the end date of a correction period of ``workdays`` working days from today."""
    _agency(call)
    try:
        n = int(workdays)
    except ValueError:
        return HTMLResponse("补正期限应为1至30个工作日")
    if not 1 <= n <= 30:
        return HTMLResponse("补正期限应为1至30个工作日")
    try:
        due = svc.workday(call.ctx, lambda cal: cal.add_workdays(call.today, n))
    except DomainError as exc:
        return render(call.request, "agency/_due.html", message=exc.message)
    return render(call.request, "agency/_due.html", due=due, n=n)


# ================================================================= committees
def _committees_page(
    call: Call, f: dict[str, str] | None = None, out: Outcome | None = None, levels: list[str] | None = None
) -> HTMLResponse:
    committees = list(call.session.scalars(select(Committee).order_by(Committee.id)))
    ids = [c.id for c in committees]
    pool = mapping(
        call.session,
        select(CommitteePoolEntry.committee_id, func.count())
        .where(CommitteePoolEntry.committee_id.in_(ids))
        .group_by(CommitteePoolEntry.committee_id),
    )
    filings = mapping(
        call.session,
        select(CommitteeFiling.committee_id, func.max(CommitteeFiling.expires_on))
        .where(CommitteeFiling.committee_id.in_(ids))
        .group_by(CommitteeFiling.committee_id),
    )
    return _page(
        call,
        "agency/committees.html",
        out.status if out else 200,
        committees=committees,
        pool=pool,
        filings=filings,
        docs=_catalog_docs(call),
        level_names=LEVEL_NAMES,
        organised_by=ORGANISED_BY,
        thresholds=THRESHOLDS,
        f=f or {"organised_by": "specialty", "threshold": "inclusive", "interview_for_exceptional": "1"},
        sel_levels=levels or [],
        out=out,
    )


@router.get("/committees", response_class=HTMLResponse)
def committees(call: PageCall) -> HTMLResponse:
    _agency(call)
    return _committees_page(call)


@router.post("/committees", response_class=HTMLResponse, dependencies=[CsrfChecked])
def register_committee(call: PageCall, form: FormFields) -> Response:
    _agency(call)
    out = attempt(
        call,
        lambda: rsvc.register_committee(
            call.ctx,
            name=form.get("name"),
            document_id=form.get("document_id"),
            organised_by=form.get("organised_by"),
            levels=form.many("levels"),
            specialty=form.get("specialty") or None,
            min_members=form.integer("min_members", "最少人数", required=False),
            min_members_basis=form.get("min_members_basis") or None,
            threshold=form.get("threshold"),
            recused_count_as_present=form.flag("recused_count_as_present"),
            interview_for_exceptional=form.flag("interview_for_exceptional"),
        ),
    )
    if out.ok:
        return done(f"{BASE}/committees/{out.value.id}", "committee_registered")
    return _committees_page(call, form.values(), out, form.many("levels"))


def _committee_page(
    call: Call, committee_id: int, f: dict[str, str] | None = None, out: Outcome | None = None, form: str = ""
) -> HTMLResponse:
    committee = call.session.get(Committee, committee_id)
    if committee is None:
        raise not_found("评审委员会")
    filings = list(
        call.session.scalars(
            select(CommitteeFiling).where(CommitteeFiling.committee_id == committee.id).order_by(CommitteeFiling.id)
        )
    )
    pool = call.session.execute(
        select(Expert, User.display_name)
        .join(CommitteePoolEntry, CommitteePoolEntry.expert_id == Expert.user_id)
        .join(User, User.id == Expert.user_id)
        .where(CommitteePoolEntry.committee_id == committee.id)
        .order_by(User.display_name)
    ).all()
    in_pool = {e.user_id for e, _ in pool}
    others = [
        (e, name)
        for e, name in call.session.execute(
            select(Expert, User.display_name)
            .join(User, User.id == Expert.user_id)
            .where(Expert.is_active.is_(True))
            .order_by(User.display_name)
        )
        if e.user_id not in in_pool
    ]
    meetings = list(
        call.session.scalars(select(Meeting).where(Meeting.committee_id == committee.id).order_by(Meeting.held_on))
    )
    return _page(
        call,
        "agency/committee.html",
        out.status if out else 200,
        c=committee,
        filings=filings,
        pool=pool,
        others=others,
        meetings=meetings,
        meeting_status=MEETING_STATUS,
        level_names=LEVEL_NAMES,
        organised_by=ORGANISED_BY,
        thresholds=THRESHOLDS,
        today=call.today,
        f=f or {},
        out=out,
        form=form,
    )


@router.get("/committees/{committee_id}", response_class=HTMLResponse)
def committee(committee_id: int, call: PageCall) -> HTMLResponse:
    _agency(call)
    return _committee_page(call, committee_id)


@router.post("/committees/{committee_id}/filings", response_class=HTMLResponse, dependencies=[CsrfChecked])
def record_filing(committee_id: int, call: PageCall, form: FormFields) -> Response:
    _agency(call)
    out = attempt(
        call,
        lambda: rsvc.record_filing(
            call.ctx,
            committee_id,
            filed_on=form.need_date("filed_on", "备案日期"),
            expires_on=form.need_date("expires_on", "有效期至"),
            reference=form.get("reference"),
        ),
    )
    if out.ok:
        return done(f"{BASE}/committees/{committee_id}", "filing_recorded")
    return _committee_page(call, committee_id, form.values(), out, "filing")


@router.post("/committees/{committee_id}/pool", response_class=HTMLResponse, dependencies=[CsrfChecked])
def add_to_pool(committee_id: int, call: PageCall, form: FormFields) -> Response:
    _agency(call)
    out = attempt(call, lambda: rsvc.add_to_pool(call.ctx, committee_id, form.ids("expert_ids", "专家")))
    if out.ok:
        return done(f"{BASE}/committees/{committee_id}", "pool_added")
    return _committee_page(call, committee_id, form.values(), out, "pool")


@router.post(
    "/committees/{committee_id}/pool/{expert_id}/remove", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def remove_from_pool(committee_id: int, expert_id: int, call: PageCall) -> Response:
    _agency(call)
    out = attempt(call, lambda: rsvc.remove_from_pool(call.ctx, committee_id, expert_id))
    if out.ok:
        return done(f"{BASE}/committees/{committee_id}", "pool_removed")
    return _committee_page(call, committee_id, None, out, "pool")


@router.post("/committees/{committee_id}/meetings", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create_meeting(committee_id: int, call: PageCall, form: FormFields) -> Response:
    _agency(call)
    out = attempt(
        call,
        lambda: rsvc.create_meeting(
            call.ctx, committee_id=committee_id, title=form.get("title"), held_on=form.need_date("held_on", "会议日期")
        ),
    )
    if out.ok:
        return done(f"{BASE}/meetings/{out.value.id}", "meeting_created")
    return _committee_page(call, committee_id, form.values(), out, "meeting")


# ================================================================= experts
def _experts_page(
    call: Call, offset: int = 0, f: dict[str, str] | None = None, out: Outcome | None = None
) -> HTMLResponse:
    stmt = select(Expert).join(User, User.id == Expert.user_id).order_by(User.display_name, Expert.user_id)
    total, rows = fetch_page(call.session, stmt, Paging(offset, PAGE_SIZE))
    names = mapping(call.session, select(User.id, User.display_name).where(User.id.in_([e.user_id for e in rows])))
    accounts = call.session.execute(
        select(User.id, User.display_name, User.username, Expert.user_id)
        .outerjoin(Expert, Expert.user_id == User.id)
        .where(User.role == Role.EXPERT, User.is_active.is_(True))
        .order_by(User.display_name)
        .limit(1000)
    ).all()
    return _page(
        call,
        "agency/experts.html",
        out.status if out else 200,
        experts=rows,
        names=names,
        accounts=accounts,
        grades=labels.GRADES,
        today=call.today,
        pager=Pager(f"{BASE}/experts", offset, PAGE_SIZE, total),
        f=f or {"title_grade": "5"},
        out=out,
    )


@router.get("/experts", response_class=HTMLResponse)
def experts(call: PageCall, offset: Offset = 0) -> HTMLResponse:
    _agency(call)
    return _experts_page(call, offset)


@router.post("/experts", response_class=HTMLResponse, dependencies=[CsrfChecked])
def register_expert(call: PageCall, form: FormFields) -> Response:
    _agency(call)
    out = attempt(
        call,
        lambda: rsvc.register_expert(
            call.ctx,
            user_id=form.need_int("user_id", "专家账号"),
            title=form.get("title"),
            title_grade=form.need_int("title_grade", "职称层级"),
            specialty=form.get("specialty"),
            unit_name=form.get("unit_name"),
            unit_uscc=form.get("unit_uscc") or None,
            term_start=form.need_date("term_start", "任期开始"),
            term_end=form.need_date("term_end", "任期结束"),
        ),
    )
    if out.ok:
        return done(f"{BASE}/experts", "expert_registered")
    return _experts_page(call, 0, form.values(), out)


# ================================================================= meetings
@router.get("/meetings", response_class=HTMLResponse)
def meetings(call: PageCall, offset: Offset = 0) -> HTMLResponse:
    _agency(call)
    rows = rsvc.my_meetings(call.ctx)
    pager = Pager(f"{BASE}/meetings", offset, PAGE_SIZE, len(rows))
    return _page(
        call,
        "agency/meetings.html",
        meetings=rows[offset : offset + PAGE_SIZE],
        meeting_status=MEETING_STATUS,
        pager=pager,
    )


def _meeting_data(call: Call, meeting_id: int) -> dict[str, Any]:
    """Everything the meeting page shows; the agenda call is the visibility check."""
    ctx = call.ctx
    agenda = rsvc.agenda(ctx, meeting_id)
    meeting = call.session.get(Meeting, meeting_id)
    assert meeting is not None
    committee = call.session.get(Committee, meeting.committee_id)
    assert committee is not None
    items = {
        i.application_id: i
        for i in call.session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == meeting.id))
    }
    panels = {r.application_id: rsvc.panel_summary(ctx, meeting.id, r.application_id) for r in agenda}
    tallies = {
        a: {
            "yes": i.yes,
            "no": i.no,
            "abstain": i.abstain,
            "not_cast": i.not_cast,
            "present": i.present,
            "attending": i.attending,
            "recused": i.recused,
            "members": i.members,
            "min_yes": rules.min_yes_to_pass(i.present, i.threshold) if i.present and i.threshold else None,
            "passed": i.passed,
            "digest": i.ballot_digest,
        }
        for a, i in items.items()
        if i.status == "decided"
    }
    members = list(call.session.scalars(select(MeetingMember).where(MeetingMember.meeting_id == meeting.id)))
    declared = set(
        call.session.scalars(select(ConflictDeclaration.expert_id).where(ConflictDeclaration.meeting_id == meeting.id))
    )
    pool_ids = set(
        call.session.scalars(
            select(CommitteePoolEntry.expert_id).where(CommitteePoolEntry.committee_id == committee.id)
        )
    )
    names = mapping(
        call.session,
        select(User.id, User.display_name).where(User.id.in_(pool_ids | {m.expert_id for m in members})),
    )
    on_agenda = set(items)
    busy = select(MeetingItem.application_id).where(MeetingItem.status != "decided")
    candidates = []
    if meeting.status == "draft":
        rows = call.session.scalars(
            select(Application)
            .where(
                visibility_filter(ctx.rights),
                Application.state == "committee",
                Application.document_id == committee.document_id,
                Application.level.in_(committee.levels),
                Application.id.not_in(busy),
            )
            .order_by(Application.id)
            .limit(500)
        )
        candidates = summaries(call.session, [a for a in rows if a.id not in on_agenda])
    conflicts = rsvc.list_conflicts(ctx, meeting.id)
    return {
        "mt": meeting,
        "committee": committee,
        "agenda": agenda,
        "panels": panels,
        "tallies": tallies,
        "members": sorted(members, key=lambda m: names.get(m.expert_id, "")),
        "declared": declared,
        "names": names,
        "experts": sorted(pool_ids | {m.expert_id for m in members}, key=lambda e: names.get(e, "")),
        "candidates": candidates,
        "conflicts": conflicts,
        "summary": rsvc.meeting_summary(ctx, meeting.id),
        "exceptional": [r for r in agenda if r.route == "exceptional"],
        "level_names": LEVEL_NAMES,
        "route_names": ROUTE_NAMES,
        "meeting_status": MEETING_STATUS,
        "item_status": ITEM_STATUS,
        "kinds": CONFLICT_KINDS,
        "sources": CONFLICT_SOURCES,
        "conflict_status": CONFLICT_STATUS,
        "thresholds": THRESHOLDS,
        "max_panels": MAX_PANELS,
        "today": call.today,
    }


def _meeting_page(
    call: Call, meeting_id: int, f: dict[str, str] | None = None, out: Outcome | None = None, form: str = ""
) -> HTMLResponse:
    data = _meeting_data(call, meeting_id)
    default = {
        "size": str(data["mt"].size or _odd(data["mt"].min_members)),
        "pname_1": "评议一组",
        "psize_1": "3",
        "exclude_conflicted": "1",
    }
    return _page(call, "agency/meeting.html", out.status if out else 200, f=f or default, out=out, form=form, **data)


def _odd(n: int) -> int:
    return n if n % 2 else n + 1


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting(meeting_id: int, call: PageCall) -> HTMLResponse:
    _agency(call)
    return _meeting_page(call, meeting_id)


def _meeting_action(
    call: Call, meeting_id: int, form_name: str, ok: str, fn: Any, fields: dict[str, str] | None = None
) -> Response:
    out = attempt(call, fn)
    if out.ok:
        return done(f"{BASE}/meetings/{meeting_id}", ok)
    return _meeting_page(call, meeting_id, fields, out, form_name)


@router.post("/meetings/{meeting_id}/agenda", response_class=HTMLResponse, dependencies=[CsrfChecked])
def add_to_agenda(meeting_id: int, call: PageCall, form: FormFields) -> Response:
    _agency(call)
    return _meeting_action(
        call,
        meeting_id,
        "agenda",
        "agenda_added",
        lambda: rsvc.add_to_agenda(call.ctx, meeting_id, form.ids("application_ids", "申报")),
    )


def _panel_requests(form: Any, agenda_ids: list[int]) -> list[rsvc.PanelRequest]:
    """Panels from the form: up to MAX_PANELS named panels, each application assigned to one by number."""
    panels = []
    for k in range(1, MAX_PANELS + 1):
        name = form.get(f"pname_{k}")
        if not name:
            continue
        size = form.integer(f"psize_{k}", f"评议组{k}人数", required=False) or rules.MIN_PANEL_SIZE
        apps = tuple(a for a in agenda_ids if form.get(f"papp_{a}", "1") == str(k))
        panels.append(rsvc.PanelRequest(name, apps, size))
    return panels


def _draw_inputs(call: Call, meeting_id: int, form: Any) -> dict[str, Any]:
    agenda_ids = [r.application_id for r in rsvc.agenda(call.ctx, meeting_id)]
    return {
        "size": form.need_int("size", "会议专家人数"),
        "panels": _panel_requests(form, agenda_ids),
        "seed": form.get("seed") or None,
        "exclude_conflicted": form.flag("exclude_conflicted"),
    }


@router.post("/meetings/{meeting_id}/draw", response_class=HTMLResponse, dependencies=[CsrfChecked])
def draw_preview(meeting_id: int, call: PageCall, form: FormFields) -> Response:
    """Propose a draw and show it; nothing is written until the preview is confirmed."""
    _agency(call)
    out = attempt(call, lambda: rsvc.propose_assignment(call.ctx, meeting_id, **_draw_inputs(call, meeting_id, form)))
    if not out.ok:
        return _meeting_page(call, meeting_id, form.values(), out, "draw")
    proposal: rsvc.Proposal = out.value
    experts = set(proposal.candidates) | {e for e, _ in proposal.excluded}
    names = mapping(call.session, select(User.id, User.display_name).where(User.id.in_(experts)))
    apps = {
        a.id: a
        for a in summaries(
            call.session,
            list(
                call.session.scalars(
                    select(Application).where(
                        Application.id.in_([a for p in proposal.panels for a in p.application_ids])
                    )
                )
            ),
        )
    }
    fields = form.values() | {"seed": proposal.seed}
    return _page(
        call, "agency/draw_preview.html", p=proposal, names=names, apps=apps, fields=fields, meeting_id=meeting_id
    )


@router.post("/meetings/{meeting_id}/commit", response_class=HTMLResponse, dependencies=[CsrfChecked])
def draw_commit(meeting_id: int, call: PageCall, form: FormFields) -> Response:
    """Commit the previewed draw: the service re-runs it from the seed and refuses if anything changed."""
    _agency(call)

    def run() -> Any:
        inputs = _draw_inputs(call, meeting_id, form)
        proposal = rsvc.Proposal(
            meeting_id=meeting_id,
            seed=inputs["seed"] or "",
            size=inputs["size"],
            exclude_conflicted=inputs["exclude_conflicted"],
            members=(),
            panels=(),
            candidates=(),
            excluded=(),
            fingerprint=form.get("fingerprint"),
            requests=tuple(inputs["panels"]),
        )
        return rsvc.commit_assignment(call.ctx, meeting_id, proposal)

    return _meeting_action(call, meeting_id, "draw", "draw_committed", run, form.values())


@router.post("/meetings/{meeting_id}/detect", response_class=HTMLResponse, dependencies=[CsrfChecked])
def detect_conflicts(meeting_id: int, call: PageCall) -> Response:
    _agency(call)
    return _meeting_action(
        call, meeting_id, "conflicts", "conflicts_detected", lambda: rsvc.detect_conflicts(call.ctx, meeting_id)
    )


@router.post("/meetings/{meeting_id}/conflicts", response_class=HTMLResponse, dependencies=[CsrfChecked])
def record_conflict(meeting_id: int, call: PageCall, form: FormFields) -> Response:
    _agency(call)
    return _meeting_action(
        call,
        meeting_id,
        "record_conflict",
        "conflict_recorded",
        lambda: rsvc.record_conflict(
            call.ctx,
            expert_id=form.need_int("expert_id", "专家"),
            application_id=form.need_int("application_id", "申报"),
            kind=form.get("kind"),
            note=form.raw("note"),
        ),
        form.values(),
    )


@router.post(
    "/meetings/{meeting_id}/conflicts/{conflict_id}/dismiss", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def dismiss_conflict(meeting_id: int, conflict_id: int, call: PageCall, form: FormFields) -> Response:
    _agency(call)
    rsvc.list_conflicts(call.ctx, meeting_id)  # the meeting must exist and be visible
    return _meeting_action(
        call,
        meeting_id,
        f"dismiss_{conflict_id}",
        "conflict_dismissed",
        lambda: rsvc.dismiss_conflict(call.ctx, conflict_id, reason=form.raw("reason")),
        form.values(),
    )


@router.post("/meetings/{meeting_id}/open", response_class=HTMLResponse, dependencies=[CsrfChecked])
def open_meeting(meeting_id: int, call: PageCall) -> Response:
    _agency(call)
    return _meeting_action(call, meeting_id, "open", "meeting_opened", lambda: rsvc.open_meeting(call.ctx, meeting_id))


@router.post("/meetings/{meeting_id}/check-in", response_class=HTMLResponse, dependencies=[CsrfChecked])
def check_in(meeting_id: int, call: PageCall, form: FormFields) -> Response:
    """The agency records an expert's attendance (签到 at the desk)."""
    _agency(call)
    return _meeting_action(
        call,
        meeting_id,
        "members",
        "checked_in",
        lambda: rsvc.check_in(call.ctx, meeting_id, form.need_int("expert_id", "专家")),
    )


@router.post("/meetings/{meeting_id}/interviews", response_class=HTMLResponse, dependencies=[CsrfChecked])
def record_interview(meeting_id: int, call: PageCall, form: FormFields) -> Response:
    _agency(call)
    return _meeting_action(
        call,
        meeting_id,
        "interview",
        "interview_recorded",
        lambda: rsvc.record_interview(
            call.ctx,
            meeting_id,
            form.need_int("application_id", "申报"),
            held_on=form.need_date("held_on", "答辩日期"),
            result=form.get("result"),
            summary=form.raw("summary"),
            examiners=form.ids("examiners", "答辩专家"),
        ),
        form.values(),
    )


@router.post("/meetings/{meeting_id}/ballots/{app_id}/open", response_class=HTMLResponse, dependencies=[CsrfChecked])
def open_ballot(meeting_id: int, app_id: int, call: PageCall) -> Response:
    _agency(call)
    return _meeting_action(
        call, meeting_id, f"ballot_{app_id}", "ballot_opened", lambda: rsvc.open_ballot(call.ctx, meeting_id, app_id)
    )


@router.post("/meetings/{meeting_id}/ballots/{app_id}/close", response_class=HTMLResponse, dependencies=[CsrfChecked])
def close_ballot(meeting_id: int, app_id: int, call: PageCall) -> Response:
    _agency(call)
    return _meeting_action(
        call, meeting_id, f"ballot_{app_id}", "ballot_closed", lambda: rsvc.close_ballot(call.ctx, meeting_id, app_id)
    )


@router.post("/meetings/{meeting_id}/ballots/{app_id}/cancel", response_class=HTMLResponse, dependencies=[CsrfChecked])
def cancel_ballot(meeting_id: int, app_id: int, call: PageCall, form: FormFields) -> Response:
    _agency(call)
    return _meeting_action(
        call,
        meeting_id,
        f"ballot_{app_id}",
        "ballot_cancelled",
        lambda: rsvc.cancel_ballot(call.ctx, meeting_id, app_id, reason=form.raw("reason")),
        form.values(),
    )


@router.post("/meetings/{meeting_id}/close", response_class=HTMLResponse, dependencies=[CsrfChecked])
def close_meeting(meeting_id: int, call: PageCall) -> Response:
    _agency(call)
    out = attempt(call, lambda: rsvc.close_meeting(call.ctx, meeting_id))
    if out.ok:
        return done(f"{BASE}/meetings/{meeting_id}/minutes", "meeting_closed")
    return _meeting_page(call, meeting_id, None, out, "close")


def minutes_page(call: Call, meeting_id: int, nav: list[tuple[str, str]], base: str) -> HTMLResponse:
    """The archived 会议记录 (agency and bureau; the service checks the hash)."""
    record = rsvc.minutes(call.ctx, meeting_id)
    meeting = call.session.get(Meeting, meeting_id)
    return render(
        call.request,
        "agency/minutes.html",
        nav=nav,
        base=base,
        flash=flash(call.request),
        r=record,
        digest=meeting.minutes_sha256 if meeting else "",
        thresholds=THRESHOLDS,
        route_names=ROUTE_NAMES,
    )


@router.get("/meetings/{meeting_id}/minutes", response_class=HTMLResponse)
def minutes(meeting_id: int, call: PageCall) -> HTMLResponse:
    _agency(call)
    return minutes_page(call, meeting_id, NAV, BASE)


@router.get("/meetings/{meeting_id}/verify-draw", response_class=HTMLResponse)
def verify_draw(meeting_id: int, call: PageCall) -> HTMLResponse:
    _agency(call)
    check = rsvc.verify_draw(call.ctx, meeting_id)
    names = mapping(
        call.session,
        select(User.id, User.display_name).where(User.id.in_(set(check.recorded) | set(check.recomputed))),
    )
    return _page(call, "agency/verify_draw.html", check=check, names=names, meeting_id=meeting_id)


# ================================================================= results notices and objections
@router.get("/notices", response_class=HTMLResponse)
def notices(call: PageCall, offset: Offset = 0) -> HTMLResponse:
    _agency(call)
    stmt = select(PublicNotice).where(PublicNotice.kind == "results").order_by(PublicNotice.id.desc())
    total, rows = fetch_page(call.session, stmt, Paging(offset, PAGE_SIZE))
    ids = [n.id for n in rows]
    entries = mapping(
        call.session,
        select(NoticeEntry.notice_id, func.count())
        .where(NoticeEntry.notice_id.in_(ids))
        .group_by(NoticeEntry.notice_id),
    )
    objections = mapping(
        call.session,
        select(Objection.notice_id, func.count())
        .where(Objection.notice_id.in_(ids), Objection.status == "open")
        .group_by(Objection.notice_id),
    )
    return _page(
        call,
        "agency/notices.html",
        notices=rows,
        entries=entries,
        objections=objections,
        today=call.today,
        pager=Pager(f"{BASE}/notices", offset, PAGE_SIZE, total),
    )


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
def notice(notice_id: int, call: PageCall, offset: Offset = 0) -> HTMLResponse:
    _agency(call)
    n = call.session.get(PublicNotice, notice_id)
    if n is None or n.kind != "results":
        raise not_found("结果公示")
    stmt = (
        select(Application)
        .join(NoticeEntry, NoticeEntry.application_id == Application.id)
        .where(NoticeEntry.notice_id == n.id, visibility_filter(call.ctx.rights))
        .order_by(Application.id)
    )
    total, rows = fetch_page(call.session, stmt, Paging(offset, PAGE_SIZE))
    return _page(
        call,
        "agency/notice.html",
        n=n,
        items=summaries(call.session, rows),
        today=call.today,
        pager=Pager(f"{BASE}/notices/{n.id}", offset, PAGE_SIZE, total),
    )


def _objections_page(
    call: Call, status: str, offset: int, f: dict[str, str] | None = None, out: Outcome | None = None, form: str = ""
) -> HTMLResponse:
    # the objections this actor decides: results notices for the agency (Rights.can_decide_objection)
    kinds = [
        k
        for k in ("results", "unit")
        if call.ctx.rights.can_decide_objection(k, call.user.unit_id if call.user else None)
    ]
    stmt = (
        select(Objection)
        .join(PublicNotice, PublicNotice.id == Objection.notice_id)
        .where(PublicNotice.kind.in_(kinds))
        .order_by(Objection.id.desc())
    )
    if status in OBJECTION_STATUS:
        stmt = stmt.where(Objection.status == status)
    total, rows = fetch_page(call.session, stmt, Paging(offset, PAGE_SIZE))
    apps = {
        a.id: a
        for a in summaries(
            call.session,
            list(call.session.scalars(select(Application).where(Application.id.in_({o.application_id for o in rows})))),
        )
    }
    notices_by_id = {
        n.id: n
        for n in call.session.scalars(select(PublicNotice).where(PublicNotice.id.in_({o.notice_id for o in rows})))
    }
    return _page(
        call,
        "agency/objections.html",
        out.status if out else 200,
        objections=rows,
        apps=apps,
        notices=notices_by_id,
        filter_status=status,
        statuses=OBJECTION_STATUS,
        pager=Pager(f"{BASE}/objections", offset, PAGE_SIZE, total, {"status": status}),
        f=f or {},
        out=out,
        form=form,
    )


@router.get("/objections", response_class=HTMLResponse)
def objections(call: PageCall, status: str = "open", offset: Offset = 0) -> HTMLResponse:
    _agency(call)
    return _objections_page(call, status, offset)


@router.post("/objections/{objection_id}/decide", response_class=HTMLResponse, dependencies=[CsrfChecked])
def decide_objection(objection_id: int, call: PageCall, form: FormFields) -> Response:
    _agency(call)

    def run() -> Any:
        verdict = form.get("upheld")
        if verdict not in ("yes", "no"):
            raise DomainError(422, "invalid_input", "upheld：请选择异议是否属实", [("upheld", "请选择异议是否属实")])
        return svc.decide_objection(call.ctx, objection_id, upheld=verdict == "yes", decision=form.raw("decision"))

    out = attempt(call, run)
    if out.ok:
        return done(f"{BASE}/objections", "objection_decided")
    return _objections_page(call, "open", 0, form.values(), out, f"objection_{objection_id}")


# ================================================================= certificates
def _certificates_page(
    call: Call, offset: int = 0, f: dict[str, str] | None = None, out: Outcome | None = None
) -> HTMLResponse:
    waiting_total, waiting = csvc.awaiting_certificates(call.ctx, offset=0, limit=100)
    total, issued = csvc.list_certificates(call.ctx, offset=offset, limit=PAGE_SIZE)
    return _page(
        call,
        "agency/certificates.html",
        out.status if out else 200,
        waiting=waiting,
        waiting_total=waiting_total,
        issued=issued,
        level_names=LEVEL_NAMES,
        states=STATE_LABELS,
        today=call.today,
        pager=Pager(f"{BASE}/certificates", offset, PAGE_SIZE, total),
        f=f or {},
        out=out,
    )


@router.get("/certificates", response_class=HTMLResponse)
def certificates(call: PageCall, offset: Offset = 0) -> HTMLResponse:
    _agency(call)
    return _certificates_page(call, offset)


@router.post("/certificates", response_class=HTMLResponse, dependencies=[CsrfChecked])
def issue_certificates(call: PageCall, form: FormFields) -> Response:
    """发证: the results notice must have closed with no open or upheld objection (the certify guard)."""
    _agency(call)
    out = attempt(call, lambda: csvc.issue_certificates(call.ctx, trust_of(call), form.ids("application_ids", "申报")))
    if out.ok:
        return done(f"{BASE}/certificates", "certificates_issued")
    return _certificates_page(call, 0, form.values(), out)


@router.get("/certificates/{number}.pdf")
def certificate_pdf(number: str, call: PageCall) -> Response:
    _agency(call)
    body = csvc.certificate_pdf(call.ctx, trust_of(call), number)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{number}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


__all__ = ["BASE", "NAV", "minutes_page", "router"]
