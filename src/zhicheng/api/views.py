"""Read models of the API: how rounds and applications are shown, and the one list filter for applications.

No rule is decided here: what a caller may see or do comes from ``Rights`` (``application_scope``,
``allowed_actions``); this module only turns the answers into queries and response models.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, false, func, select, true
from sqlalchemy.orm import Session

from zhicheng.api.deps import mapping
from zhicheng.api.schemas import Page, UnitRef
from zhicheng.policy.catalog import default_catalog
from zhicheng.policy.profile import LEVEL_NAMES
from zhicheng.store.models import (
    Application,
    ApplicationEvidence,
    AuditEntry,
    CorrectionNotice,
    Round,
    Unit,
    User,
)
from zhicheng.workflow.procedures import PROCEDURES, VETO
from zhicheng.workflow.rights import ALL_STATES as STATES
from zhicheng.workflow.rights import ROLE_NAMES, Rights
from zhicheng.workflow.service import Context

ROUTE_NAMES = {"regular": "正常申报", "exceptional": "破格申报", "direct_track": "直通车"}
_EXTRA_ACTIONS = {
    "create": "创建申报",
    "update": "修改申报材料",
    "attach_evidence": "上传证明材料",
    "expire": "逾期未补正，视为放弃申报",
    VETO.name: VETO.label,
}
ALL_STATES: tuple[str, ...] = tuple(sorted(STATES))


# ---------------------------------------------------------------- visibility
def visibility_filter(rights: Rights) -> ColumnElement[bool]:
    """The WHERE clause of every application list and count: exactly ``Rights.application_scope()``
    (whose applications, in which states), the same object ``Rights.can_view_application`` answers from,
    so a list can never drift from the detail check."""
    scope = rights.application_scope()
    if not scope.states:
        return false()
    where: ColumnElement[bool]
    if scope.kind == "applicant" and isinstance(scope.ids, int):
        where = Application.applicant_id == scope.ids
    elif scope.kind == "unit" and isinstance(scope.ids, int):
        where = Application.unit_id == scope.ids
    elif scope.kind == "units" and isinstance(scope.ids, frozenset) and scope.ids:
        where = Application.unit_id.in_(sorted(scope.ids))
    elif scope.kind == "all":
        where = true()
    else:
        return false()
    return and_(where, Application.state.in_(sorted(scope.states)))


# ---------------------------------------------------------------- rounds
class LevelRef(BaseModel):
    id: str
    title: str


class RoundOut(BaseModel):
    id: int
    year: int
    kind: str = Field(description="annual（年度评审）或 special（专项评审）")
    document_id: str
    document_title: str
    levels: list[LevelRef]
    title: str
    window_start: dt.date
    window_end: dt.date
    status: str
    accepting: bool = Field(description="今天是否在申报期内且轮次开放")


class RoundPage(Page):
    items: list[RoundOut]


def round_out(rnd: Round, today: dt.date) -> RoundOut:
    cat = default_catalog()
    title = cat.document(rnd.document_id).short_title if rnd.document_id in cat.documents else rnd.document_id
    return RoundOut(
        id=rnd.id,
        year=rnd.year,
        kind=rnd.kind,
        document_id=rnd.document_id,
        document_title=title,
        levels=[LevelRef(id=lv, title=LEVEL_NAMES.get(lv, lv)) for lv in rnd.levels],
        title=rnd.title,
        window_start=rnd.window_start,
        window_end=rnd.window_end,
        status=rnd.status,
        accepting=rnd.status == "open" and rnd.window_start <= today <= rnd.window_end,
    )


# ---------------------------------------------------------------- applications
class AllowedAction(BaseModel):
    name: str
    label: str
    to: str
    to_label: str
    needs_reason: bool


class TimelineEntry(BaseModel):
    seq: int
    at: dt.datetime
    role: str
    role_label: str
    action: str
    action_label: str
    from_state: str | None
    to_state: str | None
    payload: dict[str, Any] | None


class CorrectionOut(BaseModel):
    """一次性告知补正：须补正的全部事项与期限（答复用 resubmit 操作）。"""

    id: int
    items: list[Any]
    issued_at: dt.datetime
    due_date: dt.date
    status: str
    answered_at: dt.datetime | None


class ApplicationSummary(BaseModel):
    id: int
    round_id: int
    applicant_id: int
    applicant_name: str
    unit: UnitRef | None
    document_id: str
    level: str
    level_title: str
    route: str
    route_label: str
    state: str
    state_label: str
    version: int = Field(description="版本号：办理操作时原样带回，过期则 409")
    submitted_at: dt.datetime | None
    step_due: dt.date | None
    updated_at: dt.datetime


class ApplicationPage(Page):
    items: list[ApplicationSummary]


class ApplicationDetail(ApplicationSummary):
    procedure: str
    profile: dict[str, Any]
    verdict_at_submission: dict[str, Any] | None = Field(description="提交时的判定（含引用条款）")
    verdict_at_review: dict[str, Any] | None = Field(description="资格审核时的判定")
    catalog_version: str | None
    pledge_accepted_at: dt.datetime | None
    allowed_actions: list[AllowedAction] = Field(description="当前用户此刻可以办理的操作")
    corrections: list[CorrectionOut]
    evidence_count: int
    timeline: list[TimelineEntry] = Field(description="办理记录（取自审计链）")


def _summaries(session: Session, apps: list[Application]) -> list[ApplicationSummary]:
    user_ids = {a.applicant_id for a in apps}
    unit_ids = {a.unit_id for a in apps if a.unit_id is not None}
    names = mapping(session, select(User.id, User.display_name).where(User.id.in_(user_ids)))
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))} if unit_ids else {}
    out = []
    for a in apps:
        unit = units.get(a.unit_id) if a.unit_id is not None else None
        proc = PROCEDURES[default_catalog().document(a.document_id).procedure]
        out.append(
            ApplicationSummary(
                id=a.id,
                round_id=a.round_id,
                applicant_id=a.applicant_id,
                applicant_name=names.get(a.applicant_id, ""),
                unit=UnitRef(id=unit.id, name=unit.name, uscc=unit.uscc) if unit else None,
                document_id=a.document_id,
                level=a.level,
                level_title=LEVEL_NAMES.get(a.level, a.level),
                route=a.route,
                route_label=ROUTE_NAMES.get(a.route, a.route),
                state=a.state,
                state_label=proc.steps[a.state].label if a.state in proc.steps else a.state,
                version=a.version,
                submitted_at=a.submitted_at,
                step_due=a.step_due,
                updated_at=a.updated_at,
            )
        )
    return out


def summaries(session: Session, apps: list[Application]) -> list[ApplicationSummary]:
    return _summaries(session, apps) if apps else []


def detail(ctx: Context, app: Application) -> ApplicationDetail:
    """The application as the caller may see it (the caller already passed ``get_application``)."""
    session = ctx.session
    base = _summaries(session, [app])[0]
    proc = ctx.rights.procedure(app)
    labels = {a.name: a.label for step in proc.steps.values() for a in step.actions} | _EXTRA_ACTIONS
    actions = [
        AllowedAction(
            name=a.name,
            label=a.label,
            to=a.to,
            to_label=proc.steps[a.to].label if a.to in proc.steps else a.to,
            needs_reason=a.needs_reason,
        )
        for a in ctx.rights.offered_actions(app)
    ]
    corrections = [
        CorrectionOut(
            id=c.id,
            items=list(c.items),
            issued_at=c.issued_at,
            due_date=c.due_date,
            status=c.status,
            answered_at=c.answered_at,
        )
        for c in session.scalars(
            select(CorrectionNotice).where(CorrectionNotice.application_id == app.id).order_by(CorrectionNotice.id)
        )
    ]
    timeline = [
        TimelineEntry(
            seq=e.seq,
            at=e.created_at,
            role=e.role,
            role_label=ROLE_NAMES.get(e.role, e.role),
            action=e.action,
            action_label=labels.get(e.action, e.action),
            from_state=e.from_state,
            to_state=e.to_state,
            payload=e.payload,
        )
        for e in session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "application", AuditEntry.entity_id == str(app.id))
            .order_by(AuditEntry.seq)
        )
    ]
    evidence_count = session.scalar(
        select(func.count(ApplicationEvidence.id)).where(ApplicationEvidence.application_id == app.id)
    )
    return ApplicationDetail(
        **base.model_dump(),
        procedure=proc.id,
        profile=app.profile,
        verdict_at_submission=app.verdict_at_submission,
        verdict_at_review=app.verdict_at_review,
        catalog_version=app.catalog_version,
        pledge_accepted_at=app.pledge_accepted_at,
        allowed_actions=actions,
        corrections=corrections,
        evidence_count=evidence_count or 0,
        timeline=timeline,
    )
