"""Domain services of the procedure: rounds, applications, every transition, notices, objections, bars.

Every state change runs inside the caller's transaction (store.db.transaction): a compare-and-set on
the application's version, the side records it implies (notice, correction notice, sanction) and one
hash-chained audit entry, all or nothing. Who may do what comes from `Rights` and the procedure data
(workflow/procedures.py); the guards below are the only extra checks, each named in that data.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from zhicheng.calendar import CalendarCoverageError, CalendarYear, WorkdayCalendar
from zhicheng.calendar.files import from_dict as calendar_from_dict
from zhicheng.errors import DomainError, conflict, forbidden, invalid, not_found
from zhicheng.policy.catalog import Catalog, Extension, default_catalog
from zhicheng.policy.engine import add_years, evaluate
from zhicheng.policy.messages import translate_errors
from zhicheng.policy.profile import LEVEL_NAMES, Profile
from zhicheng.policy.verdict import VERDICT_ADAPTER, Verdict
from zhicheng.store import audit
from zhicheng.store.files import EvidenceError, EvidenceStore, record_file
from zhicheng.store.models import (
    Application,
    ApplicationEvidence,
    CalendarYearRecord,
    CatalogExtension,
    CorrectionNotice,
    NoticeEntry,
    Objection,
    PublicNotice,
    Round,
    Sanction,
    Unit,
    User,
)
from zhicheng.workflow.procedures import PROCEDURES, VETO, Action, Procedure
from zhicheng.workflow.rights import ROLE_NAMES, Actor, Rights

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # China has kept UTC+8 without DST since 1991

SYSTEM = Actor(user_id=0, role="system")
DEFAULT_CORRECTION_WORKDAYS = 10
INTEGRITY_BAN_YEARS = 3  # 一票否决后三年内不得申报（人社部令第40号；issue 5 records the finding）


@dataclass
class Context:
    """One unit of work: the session (one transaction), who acts, and what day it is in Beijing time."""

    session: Session
    actor: Actor
    today: dt.date
    now: dt.datetime = None  # type: ignore[assignment]  # set in __post_init__

    def __post_init__(self) -> None:
        if self.now is None:  # the current Beijing time of day on ``today`` (real now when today is today)
            real = dt.datetime.now(BEIJING)
            self.now = dt.datetime.combine(self.today, real.timetz()).astimezone(dt.UTC)

    @cached_property
    def calendar(self) -> WorkdayCalendar:
        return load_calendar(self.session)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.session)

    @cached_property
    def rights(self) -> Rights:
        units: frozenset[int] = frozenset()
        if self.actor.role == "department" and self.actor.department_id is not None:
            units = frozenset(
                self.session.scalars(select(Unit.id).where(Unit.department_id == self.actor.department_id))
            )
        return Rights(self.actor, units)

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: int | str,
        from_state: str | None = None,
        to_state: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        audit.append(
            self.session,
            actor_id=self.actor.user_id or None,
            role=self.actor.role,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            from_state=from_state,
            to_state=to_state,
            payload=payload,
            at=self.now,
        )


def load_calendar(session: Session) -> WorkdayCalendar:
    years: list[CalendarYear] = [calendar_from_dict(r.data) for r in session.scalars(select(CalendarYearRecord))]
    return WorkdayCalendar(years)


def load_catalog(session: Session) -> Catalog:
    ext = {e.document_id: Extension(until=e.until, basis=e.basis) for e in session.scalars(select(CatalogExtension))}
    return default_catalog().with_extensions(ext) if ext else default_catalog()


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, unit_id=user.unit_id, department_id=user.department_id)


# ---------------------------------------------------------------- rounds
def open_round(
    ctx: Context,
    *,
    document_id: str,
    levels: list[str],
    kind: str,
    year: int,
    title: str,
    window_start: dt.date,
    window_end: dt.date,
) -> Round:
    if not ctx.rights.can_open_round():
        raise forbidden("只有评审服务机构可以发布评审轮次")
    problems: list[tuple[str, str]] = []
    try:
        doc = ctx.catalog.document(document_id)
    except KeyError as exc:
        raise invalid("document_id", str(exc.args[0])) from None
    known = {lv.id for lv in doc.levels}
    for i, lv in enumerate(levels):
        if lv not in known:
            problems.append((f"levels[{i}]", f"《{doc.short_title}》未设 {lv}（可选：{'、'.join(known)}）"))
    if not levels:
        problems.append(("levels", "至少选择一个层级"))
    if kind not in ("annual", "special"):
        problems.append(("kind", "应为 annual（年度评审）或 special（专项评审）"))
    if window_end < window_start:
        problems.append(("window_end", "申报截止日早于开始日"))
    if not title.strip():
        problems.append(("title", "不能为空"))
    validity = ctx.catalog.validity(document_id)
    for name, day in (("window_start", window_start), ("window_end", window_end)):
        if not validity.in_force(day):
            problems.append((name, validity.explain(day) + "；请先登记延续或替代文件"))
    if problems:
        raise DomainError(422, "invalid_input", "；".join(f"{p}：{m}" for p, m in problems), problems)
    rnd = Round(
        year=year,
        kind=kind,
        document_id=document_id,
        levels=list(levels),
        title=title.strip(),
        window_start=window_start,
        window_end=window_end,
        status="open",
        created_by=ctx.actor.user_id,
    )
    ctx.session.add(rnd)
    ctx.session.flush()
    ctx.audit(
        "open_round",
        "round",
        rnd.id,
        payload={
            "document_id": document_id,
            "levels": levels,
            "window": [window_start.isoformat(), window_end.isoformat()],
        },
    )
    return rnd


# ---------------------------------------------------------------- applications
def parse_profile(data: Any, today: dt.date) -> Profile:
    try:
        return Profile.model_validate(data, context={"today": today})
    except ValidationError as exc:
        fields = [(f"profile.{p}", m) for p, m in translate_errors(exc)]
        raise DomainError(422, "invalid_profile", f"档案有 {len(fields)} 处错误", fields) from None


def get_application(ctx: Context, app_id: int) -> Application:
    app = ctx.session.get(Application, app_id)
    if app is None or not ctx.rights.can_view_application(app):
        raise not_found("申报")
    return app


def create_application(
    ctx: Context, *, round_id: int, level: str, route: str = "regular", profile: dict[str, Any] | None = None
) -> Application:
    if not ctx.rights.can_create_application():
        raise forbidden("只有申报人可以创建申报")
    rnd = ctx.session.get(Round, round_id)
    if rnd is None:
        raise not_found("评审轮次")
    if rnd.status != "open":
        raise conflict(f"评审轮次“{rnd.title}”未开放申报")
    if level not in rnd.levels:
        names = "、".join(LEVEL_NAMES[lv] for lv in rnd.levels)
        raise invalid("level", f"本轮次只受理：{names}")
    if route not in ("regular", "exceptional", "direct_track"):
        raise invalid("route", "应为 regular（正常申报）、exceptional（破格）或 direct_track（直通车）")
    p = parse_profile(profile or {}, ctx.today)
    exists = ctx.session.scalar(
        select(Application.id).where(
            Application.round_id == round_id, Application.applicant_id == ctx.actor.user_id, Application.level == level
        )
    )
    if exists is not None:
        raise conflict(f"您已在本轮次申报{LEVEL_NAMES[level]}（申报编号 {exists}）")
    app = Application(
        round_id=round_id,
        applicant_id=ctx.actor.user_id,
        unit_id=ctx.actor.unit_id,
        document_id=rnd.document_id,
        level=level,
        route=route,
        state="draft",
        profile=p.model_dump(mode="json"),
    )
    ctx.session.add(app)
    ctx.session.flush()
    ctx.audit("create", "application", app.id, to_state="draft", payload={"round_id": round_id, "level": level})
    return app


def editable_application(ctx: Context, app_id: int) -> Application:
    """The application whose materials the actor is about to change: 404 if they cannot see it, 403 if
    it is not theirs, 409 naming the step if it is theirs but not at a step where materials change."""
    app = get_application(ctx, app_id)
    if not ctx.rights.can_edit_application(app):
        if ctx.rights.owns_application(app):
            raise conflict(f"申报当前处于“{state_label(app)}”环节：只有在填写或补正阶段可以修改申报材料")
        raise forbidden("只有申报人本人可以修改申报材料")
    return app


def update_application(
    ctx: Context,
    app_id: int,
    *,
    expected_version: int | None = None,
    profile: dict[str, Any] | None = None,
    route: str | None = None,
) -> Application:
    app = editable_application(ctx, app_id)
    values: dict[str, Any] = {}
    before = list(app.profile.get("achievements") or [])
    if profile is not None:
        values["profile"] = parse_profile(profile, ctx.today).model_dump(mode="json")
    if route is not None:
        if route not in ("regular", "exceptional", "direct_track"):
            raise invalid("route", "应为 regular、exceptional 或 direct_track")
        values["route"] = route
    _compare_and_set(ctx, app, app.state, expected_version, **values)
    payload: dict[str, Any] = {"fields": sorted(values)}
    if profile is not None:
        moved = _evidence_follows_achievements(ctx, app.id, before, values["profile"].get("achievements") or [])
        if moved:
            payload["evidence_moved"] = moved
    ctx.audit("update", "application", app.id, payload=payload)
    return app


def _evidence_follows_achievements(ctx: Context, app_id: int, before: list[Any], after: list[Any]) -> dict[str, Any]:
    """Evidence is attached to an achievement by its place in the list; when the list changes, each file
    follows its achievement: the same entry (by content) wherever it moved, else — the list kept its length,
    so an entry was edited in place — the same place.  A file whose achievement was removed becomes general
    material (not attached to any achievement) rather than silently proving another one.
    Returns {"evidence id": new index or None} for the files that moved."""
    if before == after:
        return {}
    free = dict(enumerate(after))
    place: dict[int, int | None] = {}
    for i, item in enumerate(before):
        j = next((j for j, other in free.items() if other == item), None)
        if j is not None:
            place[i] = j
            del free[j]
    for i in range(len(before)):
        if i not in place:
            place[i] = i if len(before) == len(after) and i in free else None
    moved: dict[str, Any] = {}
    for ev in ctx.session.scalars(
        select(ApplicationEvidence).where(
            ApplicationEvidence.application_id == app_id, ApplicationEvidence.achievement_index.is_not(None)
        )
    ):
        index = place.get(ev.achievement_index) if ev.achievement_index is not None else None
        if index != ev.achievement_index:
            ev.achievement_index = index
            moved[str(ev.id)] = index
    ctx.session.flush()
    return moved


# ---------------------------------------------------------------- evidence
@dataclass(frozen=True)
class AttachedEvidence:
    evidence: ApplicationEvidence
    media_type: str
    size: int


def clean_filename(name: str | None) -> str:
    """The last path component, printable characters only, at most 255 characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and unicodedata.category(ch) != "Cs").strip()
    return base[:255] or "未命名文件"


def attach_evidence(
    ctx: Context,
    app_id: int,
    *,
    store: EvidenceStore,
    data: bytes,
    filename: str | None,
    achievement_index: int | None = None,
    expected_version: int | None = None,
) -> AttachedEvidence:
    """Attach an uploaded evidence file (证明材料) to an application, or to one of its achievements.

    A change of the materials: the same rule as editing (``editable_application``) and a compare-and-set
    on the version. The type is judged from the content, never the name; the size limit is the store's.
    The file is written to the content-addressed store before the row: an aborted transaction leaves an
    orphan that is harmless and reused by the next upload of the same content."""
    name = clean_filename(filename)
    app = editable_application(ctx, app_id)
    try:
        media_type = store.check(data, name)
    except EvidenceError as exc:
        raise DomainError(422, "invalid_file", str(exc), [("file", str(exc))]) from None
    if achievement_index is not None:
        count = len(app.profile.get("achievements") or [])
        if not 0 <= achievement_index < count:
            why = f"申报材料中有 {count} 项成果，序号应为 0–{count - 1}" if count else "申报材料中还没有成果"
            raise invalid("achievement_index", why)
    _compare_and_set(ctx, app, app.state, expected_version)
    stored = store.put(data, name)
    record_file(ctx.session, stored.sha256, len(data), media_type)
    ev = ApplicationEvidence(
        application_id=app.id,
        sha256=stored.sha256,
        filename=name,
        achievement_index=achievement_index,
        uploaded_at=ctx.now,
    )
    ctx.session.add(ev)
    ctx.session.flush()
    ctx.audit(
        "attach_evidence",
        "application",
        app.id,
        payload={"evidence_id": ev.id, "sha256": stored.sha256, "filename": name, "achievement": achievement_index},
    )
    return AttachedEvidence(ev, media_type, len(data))


def evaluate_application(ctx: Context, app: Application, judgements: list[dict[str, Any]] | None = None) -> Verdict:
    """The engine's verdict for a stored application, with the bars recorded in the store merged in."""
    data = dict(app.profile)
    applicant = ctx.session.get(User, app.applicant_id)
    sanctions = list(data.get("sanctions") or [])
    for s in active_sanctions(ctx.session, applicant, None):
        sanctions.append(
            {
                "kind": s.kind,
                "start": s.start_date.isoformat(),
                "end": (s.end_date or dt.date(9999, 12, 30)).isoformat(),
                "reason": s.reason,
            }
        )
    data["sanctions"] = sanctions
    if judgements is not None:
        data["judgements"] = [{**j, "document": app.document_id, "level": app.level} for j in judgements]
    profile = parse_profile(data, max(ctx.today, dt.date.today()))
    return evaluate(profile, app.document_id, app.level, ctx.today, ctx.catalog)


def active_sanctions(session: Session, user: User | None, on: dt.date | None) -> list[Sanction]:
    if user is None or user.id_number_index is None:
        return []
    q = select(Sanction).where(Sanction.id_number_index == user.id_number_index)
    rows = list(session.scalars(q))
    return [s for s in rows if on is None or (s.start_date <= on and (s.end_date is None or on <= s.end_date))]


# ---------------------------------------------------------------- transitions
def _compare_and_set(
    ctx: Context, app: Application, from_state: str, expected_version: int | None, **values: Any
) -> None:
    version = app.version if expected_version is None else expected_version
    result = ctx.session.execute(
        update(Application)
        .where(Application.id == app.id, Application.version == version, Application.state == from_state)
        .values(version=Application.version + 1, updated_at=ctx.now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        ctx.session.expire(app)
        raise conflict(f"申报已被他人处理（当前状态：{state_label(app)}，版本 {app.version}），请刷新后重试")
    # The row now holds exactly these values: record them as loaded rather than read the row (and its
    # JSON columns) back.
    for key, value in {**values, "version": version + 1, "updated_at": ctx.now}.items():
        set_committed_value(app, key, value)


def procedure_of(ctx: Context, app: Application) -> Procedure:
    return PROCEDURES[ctx.catalog.document(app.document_id).procedure]


def state_label(app: Application) -> str:
    from zhicheng.policy.catalog import default_catalog as cat

    proc = PROCEDURES[cat().document(app.document_id).procedure]
    return proc.steps[app.state].label if app.state in proc.steps else app.state


def act(
    ctx: Context,
    app_id: int,
    action: str,
    *,
    expected_version: int | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> Application:
    """Take one action of the procedure on one application, as one compare-and-set transition."""
    app = get_application(ctx, app_id) if ctx.actor.role != "system" else ctx.session.get(Application, app_id)
    if app is None:
        raise not_found("申报")
    proc = procedure_of(ctx, app)
    step = proc.step(app.state)
    act_def: Action | None = VETO if action == VETO.name and ctx.rights.can_veto(app) else None
    if act_def is None:
        act_def = proc.action(app.state, action)
        if act_def is None:
            raise conflict(f"当前环节“{step.label}”不能进行“{action}”操作")
        if ctx.actor.role != "system" and not ctx.rights.can_act(app, action):
            raise forbidden(f"“{step.label}”环节由{ROLE_NAMES[step.role]}办理")
        if ctx.actor.role == "system" and step.role != "system" and action != "expire":
            raise forbidden("系统只能执行到期处理")
    if act_def.needs_reason and not (reason and reason.strip()):
        raise invalid("reason", f"“{act_def.label}”须填写理由")
    data = data or {}
    from_state = app.state
    values: dict[str, Any] = {}
    payload: dict[str, Any] = {"reason": reason} if reason else {}
    if act_def.guard:
        values, extra = GUARDS[act_def.guard](ctx, app, data)
        payload.update(extra)
    values.setdefault("step_due", None)
    _compare_and_set(ctx, app, from_state, expected_version, state=act_def.to, **values)
    if action == "veto":
        _record_veto(ctx, app, reason or "")
    ctx.audit(action, "application", app.id, from_state=from_state, to_state=act_def.to, payload=payload or None)
    return app


# ---------------------------------------------------------------- guards
GuardResult = tuple[dict[str, Any], dict[str, Any]]  # (column values to set, audit payload)


def _guard_submit(ctx: Context, app: Application, data: dict[str, Any]) -> GuardResult:
    rnd = ctx.session.get(Round, app.round_id)
    assert rnd is not None
    if not (rnd.window_start <= ctx.today <= rnd.window_end) or rnd.status != "open":
        raise DomainError(
            422,
            "outside_window",
            f"不在申报期内：本轮申报期为{rnd.window_start.isoformat()}至"
            f"{rnd.window_end.isoformat()}，今天是{ctx.today.isoformat()}",
        )
    applicant = ctx.session.get(User, app.applicant_id)
    for s in active_sanctions(ctx.session, applicant, ctx.today):
        until = s.end_date.isoformat() if s.end_date else "长期"
        kind = "处分（处理）影响期" if s.kind == "disciplinary" else "职称评审失信惩戒期"
        raise DomainError(422, "barred", f"处于{kind}内，不能申报：{s.reason}；期限至{until}")
    if not data.get("pledge"):
        raise invalid("pledge", "须阅读并同意诚信承诺（对申报材料的真实性负责，弄虚作假实行一票否决）")
    verdict = evaluate_application(ctx, app)
    if verdict.status == "not_in_force":
        raise DomainError(422, "not_in_force", verdict.summary)
    if verdict.status == "ineligible" and app.route == "regular":
        missing = [g.message for g in verdict.missing]
        raise DomainError(
            422,
            "ineligible",
            "按正常申报不符合申报条件：" + "；".join(missing[:3]) + "。如符合破格条件，请改选破格申报",
            [("route", m) for m in missing],
        )
    return (
        {
            "verdict_at_submission": VERDICT_ADAPTER.dump_python(verdict, mode="json"),
            "catalog_version": verdict.catalog_version,
            "pledge_accepted_at": ctx.now,
            "submitted_at": ctx.now,
        },
        {"verdict": verdict.status, "catalog_version": verdict.catalog_version},
    )


def workday(ctx: Context, fn: Any) -> dt.date:
    """Working-day arithmetic; beyond the calendar's coverage the user is told, never a guess."""
    try:
        result: dt.date = fn(ctx.calendar)
        return result
    except CalendarCoverageError as exc:
        raise DomainError(422, "calendar_coverage", str(exc)) from None


def _start_notice(ctx: Context, app: Application, data: dict[str, Any]) -> GuardResult:
    """Unit internal notice (单位内部公示) or results notice: ≥5 working days from today."""
    kind = "unit" if app.state == "unit_review" else "results"
    workdays = PROCEDURES[ctx.catalog.document(app.document_id).procedure].notice_workdays
    start = ctx.today
    end = workday(ctx, lambda cal: cal.notice_end(start, workdays))
    unit_id = app.unit_id if kind == "unit" else None
    notice = ctx.session.scalar(
        select(PublicNotice).where(
            PublicNotice.kind == kind,
            PublicNotice.round_id == app.round_id,
            PublicNotice.start_date == start,
            PublicNotice.unit_id.is_(None) if unit_id is None else PublicNotice.unit_id == unit_id,
        )
    )
    if notice is None:
        rnd = ctx.session.get(Round, app.round_id)
        title = f"{rnd.title if rnd else ''}{'单位内部公示' if kind == 'unit' else '评审结果公示'}"
        notice = PublicNotice(
            kind=kind,
            round_id=app.round_id,
            unit_id=unit_id,
            title=title,
            start_date=start,
            end_date=end,
            created_by=ctx.actor.user_id,
        )
        ctx.session.add(notice)
        ctx.session.flush()
    ctx.session.add(NoticeEntry(notice_id=notice.id, application_id=app.id))
    return {"step_due": end}, {"notice_id": notice.id, "notice_end": end.isoformat()}


def current_notice(session: Session, app: Application, kind: str) -> PublicNotice | None:
    return session.scalar(
        select(PublicNotice)
        .join(NoticeEntry, NoticeEntry.notice_id == PublicNotice.id)
        .where(NoticeEntry.application_id == app.id, PublicNotice.kind == kind)
        .order_by(PublicNotice.id.desc())
        .limit(1)
    )


def _notice_over(ctx: Context, app: Application, data: dict[str, Any]) -> GuardResult:
    kind = "unit" if app.state == "unit_notice" else "results"
    notice = current_notice(ctx.session, app, kind)
    if notice is None:
        raise conflict("尚未发布公示")
    if ctx.today <= notice.end_date:
        raise DomainError(
            422, "notice_running", f"公示期至{notice.end_date.isoformat()}（不少于5个工作日），期满后方可办理"
        )
    open_count = ctx.session.scalar(
        select(func.count(Objection.id)).where(Objection.application_id == app.id, Objection.status == "open")
    )
    if open_count:
        raise DomainError(422, "objection_open", f"有{open_count}件异议尚未处理，处理后方可办理")
    upheld = ctx.session.scalar(
        select(func.count(Objection.id)).where(
            Objection.application_id == app.id, Objection.notice_id == notice.id, Objection.status == "upheld"
        )
    )
    if upheld:
        raise DomainError(422, "objection_upheld", "公示期间异议经核查属实，不能继续办理")
    return {}, {"notice_id": notice.id}


def _objection_upheld(ctx: Context, app: Application, data: dict[str, Any]) -> GuardResult:
    n = ctx.session.scalar(
        select(func.count(Objection.id)).where(Objection.application_id == app.id, Objection.status == "upheld")
    )
    if not n:
        raise DomainError(422, "no_upheld_objection", "没有经核查属实的异议")
    return {}, {}


def _verdict_recorded(ctx: Context, app: Application, data: dict[str, Any]) -> GuardResult:
    """Agency qualification review: machine check again plus the reviewer's finding on each qualitative item."""
    judgements = data.get("judgements") or []
    if not isinstance(judgements, list) or not all(
        isinstance(j, dict) and isinstance(j.get("condition"), str) and isinstance(j.get("passed"), bool)
        for j in judgements
    ):
        raise invalid("judgements", "应为 [{condition, passed, note}] 列表")
    verdict = evaluate_application(ctx, app, judgements)
    if verdict.status != "eligible":
        items = [r.label for r in verdict.review_items] or [g.message for g in verdict.missing]
        msg = "尚需人工判断：" if verdict.status == "needs_review" else "资格审核不符合："
        raise DomainError(422, "not_eligible_at_review", msg + "；".join(items[:5]), [("judgements", i) for i in items])
    return (
        {"verdict_at_review": VERDICT_ADAPTER.dump_python(verdict, mode="json")},
        {"verdict": verdict.status, "route": verdict.route},
    )


def _correction_issued(ctx: Context, app: Application, data: dict[str, Any]) -> GuardResult:
    items = data.get("items")
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
        raise invalid("items", "一次性告知须逐项列出需要补正的全部内容")
    workdays = data.get("workdays", DEFAULT_CORRECTION_WORKDAYS)
    if not isinstance(workdays, int) or not 1 <= workdays <= 30:
        raise invalid("workdays", "补正期限应为1至30个工作日")
    due = workday(ctx, lambda cal: cal.add_workdays(ctx.today, workdays))
    notice = CorrectionNotice(
        application_id=app.id,
        items=[i.strip() for i in items],
        issued_by=ctx.actor.user_id,
        due_date=due,
        status="open",
    )
    ctx.session.add(notice)
    ctx.session.flush()
    return {"step_due": due}, {"correction_id": notice.id, "due": due.isoformat(), "items": len(items)}


def open_correction(session: Session, app_id: int) -> CorrectionNotice | None:
    return session.scalar(
        select(CorrectionNotice)
        .where(CorrectionNotice.application_id == app_id, CorrectionNotice.status == "open")
        .order_by(CorrectionNotice.id.desc())
        .limit(1)
    )


def _correction_answered(ctx: Context, app: Application, data: dict[str, Any]) -> GuardResult:
    notice = open_correction(ctx.session, app.id)
    if notice is None:
        raise conflict("没有待补正的告知")
    if ctx.today > notice.due_date:
        raise DomainError(422, "correction_expired", f"补正期限已于{notice.due_date.isoformat()}届满，视为放弃申报")
    notice.status, notice.answered_at = "answered", ctx.now
    return {}, {"correction_id": notice.id}


def _correction_expired(ctx: Context, app: Application, data: dict[str, Any]) -> GuardResult:
    notice = open_correction(ctx.session, app.id)
    if notice is None or ctx.today <= notice.due_date:
        raise conflict("补正期限尚未届满")
    notice.status = "expired"
    return {}, {"correction_id": notice.id, "due": notice.due_date.isoformat()}


def _results_accepted(ctx: Context, app: Application, data: dict[str, Any]) -> GuardResult:
    """验收: the approval number is on record (zhicheng.certificates keeps it), then the results notice starts."""
    from zhicheng.certificates.service import acceptance_for  # lazy: certificates builds on the workflow

    accepted = acceptance_for(ctx, app, data)
    values, payload = _start_notice(ctx, app, data)
    return values, {**payload, **accepted}


def _committee_vote(passed: bool) -> Any:
    def guard(ctx: Context, app: Application, data: dict[str, Any]) -> GuardResult:
        """评委会表决: only the committee's sealed secret ballot decides (人社部令第40号)."""
        from zhicheng.review.service import committee_result  # review builds on workflow, not the reverse

        result = committee_result(ctx.session, app.id)
        if result is None:
            raise DomainError(
                409,
                "no_ballot_result",
                "尚无评委会表决结果：须在评审会议上进行无记名投票并结束投票后，方可登记表决结果",
            )
        if result is not passed:
            decided = "通过" if result else "未通过"
            raise DomainError(
                409,
                "ballot_result_differs",
                f"评委会无记名投票结果为“{decided}”，不能登记为“{'通过' if passed else '未通过'}”",
            )
        return {}, {"ballot": "passed" if passed else "failed"}

    return guard


GUARDS = {
    "committee_passed": _committee_vote(True),
    "committee_failed": _committee_vote(False),
    "can_submit": _guard_submit,
    "notice_started": _start_notice,
    "results_accepted": _results_accepted,
    "notice_over_no_objection": _notice_over,
    "objection_upheld": _objection_upheld,
    "verdict_recorded": _verdict_recorded,
    "correction_issued": _correction_issued,
    "correction_answered": _correction_answered,
    "correction_expired": _correction_expired,
}


def _record_veto(ctx: Context, app: Application, reason: str) -> None:
    applicant = ctx.session.get(User, app.applicant_id)
    if applicant is None or applicant.id_number_index is None:
        return
    end = add_years(ctx.today, INTEGRITY_BAN_YEARS) - dt.timedelta(days=1)
    ctx.session.add(
        Sanction(
            id_number_index=applicant.id_number_index,
            kind="integrity",
            start_date=ctx.today,
            end_date=end,
            reason=f"一票否决：{reason}",
            source=f"申报 {app.id}",
            recorded_by=ctx.actor.user_id,
        )
    )


# ---------------------------------------------------------------- sweeper
def sweep_expired_corrections(engine: Any, today: dt.date) -> list[int]:
    """Mark applications whose correction deadline passed as withdrawn (视为放弃申报).

    Safe to run twice and from two processes at once: each application moves in its own transaction by
    compare-and-set, so a second sweeper finds it already moved and skips it."""
    from zhicheng.store.db import transaction

    with transaction(engine, readonly=True) as s:
        due = list(
            s.scalars(
                select(Application.id)
                .join(CorrectionNotice, CorrectionNotice.application_id == Application.id)
                .where(
                    Application.state == "correction",
                    CorrectionNotice.status == "open",
                    CorrectionNotice.due_date < today,
                )
            )
        )
    moved = []
    for app_id in due:
        try:
            with transaction(engine) as s:
                act(Context(s, SYSTEM, today), app_id, "expire")
            moved.append(app_id)
        except DomainError:
            continue  # another sweeper (or the applicant) got there first
    return moved


@dataclass(frozen=True)
class Purged:
    tokens: int = 0
    idempotency_records: int = 0

    def __bool__(self) -> bool:
        return bool(self.tokens or self.idempotency_records)


PURGE_BATCH = 1000


def purge_expired(
    engine: Any,
    now: dt.datetime,
    *,
    token_retention: dt.timedelta,
    idempotency_retention: dt.timedelta,
    batch: int = PURGE_BATCH,
) -> Purged:
    """Delete login tokens expired or revoked more than ``token_retention`` ago (kept that long so their
    holder is told "登录已过期" rather than "令牌无效") and idempotency records older than
    ``idempotency_retention`` (a retry after that runs again).

    Each batch is a short transaction of its own, so logins and requests are not held up. Safe to run
    twice and from two processes at once: a DELETE re-checks its condition, a row the other sweeper
    removed first is simply not counted. One audit entry records what this run deleted."""
    from zhicheng.store.db import transaction
    from zhicheng.store.models import AuthToken, IdempotencyRecord

    token_cutoff, record_cutoff = now - token_retention, now - idempotency_retention
    stale_token = (AuthToken.expires_at < token_cutoff) | (AuthToken.revoked_at < token_cutoff)
    jobs: list[tuple[Any, Any, Any]] = [
        (AuthToken, AuthToken.id, stale_token),
        (IdempotencyRecord, IdempotencyRecord.id, IdempotencyRecord.created_at < record_cutoff),
    ]
    counts = []
    for model, key, stale in jobs:
        deleted = 0
        while True:
            with transaction(engine) as s:
                ids = list(s.scalars(select(key).where(stale).order_by(key).limit(batch)))
                if ids:
                    result = s.execute(
                        delete(model).where(key.in_(ids), stale).execution_options(synchronize_session=False)
                    )
                    deleted += result.rowcount  # type: ignore[attr-defined]
            if len(ids) < batch:
                break
        counts.append(deleted)
    purged = Purged(*counts)
    if purged:
        with transaction(engine) as s:
            audit.append(
                s,
                actor_id=None,
                role="system",
                action="purge_expired",
                entity="housekeeping",
                entity_id=None,
                payload={
                    "auth_tokens": purged.tokens,
                    "idempotency_records": purged.idempotency_records,
                    "token_cutoff": token_cutoff.isoformat(),
                    "idempotency_cutoff": record_cutoff.isoformat(),
                },
            )
    return purged


# ---------------------------------------------------------------- objections
def file_objection(
    session: Session,
    *,
    notice_id: int,
    application_id: int,
    content: str,
    name: str,
    contact: str,
    today: dt.date,
) -> Objection:
    """The public files an objection (异议) during a notice; no login needed, real name and contact required."""
    notice = session.get(PublicNotice, notice_id)
    if notice is None:
        raise not_found("公示")
    if not (notice.start_date <= today <= notice.end_date):
        raise DomainError(
            422,
            "notice_closed",
            f"公示期为{notice.start_date.isoformat()}至{notice.end_date.isoformat()}，不在公示期内",
        )
    entry = session.get(NoticeEntry, (notice_id, application_id))
    if entry is None:
        raise invalid("application_id", "该申报不在此公示名单中")
    problems = []
    if len(content.strip()) < 10:
        problems.append(("content", "请写明异议的具体事实（至少10个字）"))
    if len(content) > 5000:
        problems.append(("content", "过长（最多5000字）"))
    if not name.strip():
        problems.append(("name", "请填写真实姓名，便于核查和反馈"))
    elif len(name.strip()) > 50:
        problems.append(("name", "过长（最多50个字）"))
    if not contact.strip() or len(contact) > 200:
        problems.append(("contact", "请留下联系方式，便于核查反馈"))
    if problems:
        raise DomainError(422, "invalid_input", "；".join(f"{p}：{m}" for p, m in problems), problems)
    obj = Objection(
        notice_id=notice_id,
        application_id=application_id,
        content=content.strip(),
        name=name.strip(),
        contact=contact.strip(),
        status="open",
    )
    session.add(obj)
    session.flush()
    audit.append(
        session,
        actor_id=None,
        role="public",
        action="file_objection",
        entity="objection",
        entity_id=str(obj.id),
        payload={"notice_id": notice_id, "application_id": application_id},
    )
    return obj


def decide_objection(ctx: Context, objection_id: int, *, upheld: bool, decision: str) -> Objection:
    obj = ctx.session.get(Objection, objection_id)
    if obj is None:
        raise not_found("异议")
    notice = ctx.session.get(PublicNotice, obj.notice_id)
    assert notice is not None
    if not ctx.rights.can_decide_objection(notice.kind, notice.unit_id):
        raise forbidden("无权处理该异议")
    if obj.status != "open":
        raise conflict("该异议已处理")
    if not decision.strip():
        raise invalid("decision", "须写明核查结论")
    obj.status = "upheld" if upheld else "dismissed"
    obj.decision, obj.decided_by, obj.decided_at = decision.strip(), ctx.actor.user_id, ctx.now
    ctx.audit("decide_objection", "objection", obj.id, "open", obj.status, {"application_id": obj.application_id})
    return obj


# ---------------------------------------------------------------- bars and data the admin loads
def record_sanction(
    ctx: Context, *, id_number_index: str, kind: str, start: dt.date, end: dt.date | None, reason: str, source: str
) -> Sanction:
    if not ctx.rights.can_record_sanctions():
        raise forbidden("只有人社局可以登记处分或失信记录")
    if kind not in ("disciplinary", "integrity"):
        raise invalid("kind", "应为 disciplinary（处分）或 integrity（失信）")
    if end is not None and end < start:
        raise invalid("end", "结束日期早于开始日期")
    if not reason.strip() or not source.strip():
        raise invalid("reason", "须写明事由和依据")
    s = Sanction(
        id_number_index=id_number_index,
        kind=kind,
        start_date=start,
        end_date=end,
        reason=reason.strip(),
        source=source.strip(),
        recorded_by=ctx.actor.user_id,
    )
    ctx.session.add(s)
    ctx.session.flush()
    ctx.audit("record_sanction", "sanction", s.id, payload={"kind": kind, "end": end.isoformat() if end else None})
    return s


def load_calendar_years(ctx: Context, years: list[CalendarYear]) -> list[int]:
    if not ctx.rights.can_load_calendar():
        raise forbidden("只有系统管理员可以导入工作日历")
    for y in years:
        rec = ctx.session.get(CalendarYearRecord, y.year)
        data = y.to_dict()
        if rec is None:
            ctx.session.add(
                CalendarYearRecord(
                    year=y.year, data=data, source=data.get("source"), loaded_by=ctx.actor.user_id or None
                )
            )
        else:
            rec.data, rec.source, rec.loaded_by, rec.loaded_at = (
                data,
                data.get("source"),
                ctx.actor.user_id or None,
                ctx.now,
            )
        ctx.audit("load_calendar", "calendar_year", y.year, payload={"source": data.get("source")})
    ctx.session.flush()
    WorkdayCalendar([calendar_from_dict(r.data) for r in ctx.session.scalars(select(CalendarYearRecord))])
    return [y.year for y in years]


def register_extension(ctx: Context, *, document_id: str, until: dt.date, basis: str) -> CatalogExtension:
    """An agency registers the continuation of an expiring document (I-16), quoting the notice."""
    if not ctx.rights.can_register_extension():
        raise forbidden("只有评审服务机构或管理员可以登记标准延续")
    try:
        doc = default_catalog().document(document_id)
    except KeyError as exc:
        raise invalid("document_id", str(exc.args[0])) from None
    if until <= doc.effective_from:
        raise invalid("until", "延续日期应晚于施行日期")
    if len(basis.strip()) < 6:
        raise invalid("basis", "须写明延续依据（文件名称和文号）")
    ext = ctx.session.get(CatalogExtension, document_id)
    if ext is None:
        ext = CatalogExtension(
            document_id=document_id, until=until, basis=basis.strip(), registered_by=ctx.actor.user_id or None
        )
        ctx.session.add(ext)
    else:
        ext.until, ext.basis = until, basis.strip()
    ctx.session.flush()
    ctx.audit("register_extension", "document", document_id, payload={"until": until.isoformat(), "basis": basis})
    ctx.__dict__.pop("catalog", None)
    return ext
