"""Public notices (公示) and objections (异议).

Notices and their entries are public. An entry shows what a notice is for — that the public can
recognise the person and object: name, unit, the document and level applied for, the route. It never
shows the ID number, the profile or any verdict. Anyone may file an objection while a notice runs; the
unit (its internal notice) or the agency (results notice) decides it. The objector's contact is shown
only to whoever may decide the objection.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from zhicheng.api.deps import (
    MAX_ID,
    ApplicationId,
    Call,
    DbId,
    IdempotencyKey,
    PagingDep,
    PublicCall,
    Text64,
    Text200,
    Text5000,
    UserCall,
    fetch_page,
    mapping,
)
from zhicheng.api.schemas import In, Page, errors
from zhicheng.api.views import ROUTE_NAMES
from zhicheng.errors import not_found
from zhicheng.policy.catalog import default_catalog
from zhicheng.policy.profile import LEVEL_NAMES
from zhicheng.store.models import Application, NoticeEntry, Objection, PublicNotice, Unit, User
from zhicheng.workflow import service as svc

router = APIRouter(prefix="/api", tags=["公示与异议 notices"])

NoticeId = Annotated[int, Path(ge=1, le=MAX_ID, description="公示编号")]
ObjectionId = Annotated[int, Path(ge=1, le=MAX_ID, description="异议编号")]
KIND_NAMES = {"unit": "单位内部公示", "results": "评审结果公示"}


class NoticeOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    title: str
    round_id: int
    unit_name: str | None
    start_date: dt.date
    end_date: dt.date
    running: bool = Field(description="今天是否在公示期内（可以提出异议）")
    entry_count: int


class NoticePage(Page):
    items: list[NoticeOut]


class NoticeEntryOut(BaseModel):
    application_id: int
    name: str
    unit_name: str | None
    document_id: str
    document_title: str
    level: str
    level_title: str
    route: str
    route_label: str


class NoticeEntryPage(Page):
    items: list[NoticeEntryOut]


class ObjectionIn(In):
    application_id: DbId = Field(description="公示名单中的申报编号")
    content: Text5000 = Field(description="异议的具体事实（至少10个字）")
    name: Text64 = Field(description="异议人真实姓名（实名提出；仅处理人员可见）")
    contact: Text200 = Field(description="联系方式（仅处理人员可见，用于核查反馈）")


class ObjectionReceipt(BaseModel):
    id: int
    notice_id: int
    application_id: int | None
    status: str
    submitted_at: dt.datetime


class ObjectionOut(BaseModel):
    id: int
    notice_id: int
    notice_kind: str
    application_id: int | None
    content: str
    name: str | None = Field(description="异议人姓名：只有有权处理该异议的人可见")
    contact: str | None = Field(description="异议人联系方式：只有有权处理该异议的人可见")
    status: str = Field(description="open（待处理）、upheld（属实）或 dismissed（不属实）")
    decision: str | None
    submitted_at: dt.datetime
    decided_at: dt.datetime | None


class ObjectionPage(Page):
    items: list[ObjectionOut]


class DecisionIn(In):
    upheld: bool = Field(description="异议是否属实")
    decision: Text5000 = Field(description="核查结论")


def _notice_outs(call: Call, notices: list[PublicNotice]) -> list[NoticeOut]:
    ids = [n.id for n in notices]
    counts = mapping(
        call.session,
        select(NoticeEntry.notice_id, func.count())
        .where(NoticeEntry.notice_id.in_(ids))
        .group_by(NoticeEntry.notice_id),
    )
    unit_ids = {n.unit_id for n in notices if n.unit_id is not None}
    units = mapping(call.session, select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))
    return [
        NoticeOut(
            id=n.id,
            kind=n.kind,
            kind_label=KIND_NAMES.get(n.kind, n.kind),
            title=n.title,
            round_id=n.round_id,
            unit_name=units.get(n.unit_id) if n.unit_id is not None else None,
            start_date=n.start_date,
            end_date=n.end_date,
            running=n.start_date <= call.today <= n.end_date,
            entry_count=counts.get(n.id, 0),
        )
        for n in notices
    ]


def _objection_out(call: Call, obj: Objection, notice: PublicNotice) -> ObjectionOut:
    may_decide = call.user is not None and call.ctx.rights.can_decide_objection(notice.kind, notice.unit_id)
    return ObjectionOut(
        id=obj.id,
        notice_id=obj.notice_id,
        notice_kind=notice.kind,
        application_id=obj.application_id,
        content=obj.content,
        name=obj.name if may_decide else None,
        contact=obj.contact if may_decide else None,
        status=obj.status,
        decision=obj.decision,
        submitted_at=obj.submitted_at,
        decided_at=obj.decided_at,
    )


@router.get(
    "/notices", response_model=NoticePage, summary="公示列表（公开）", tags=["公开 public"], responses=errors(422)
)
def list_notices(
    call: PublicCall,
    page: PagingDep,
    kind: Annotated[Text64 | None, Query(description="unit（单位内部公示）或 results（评审结果公示）")] = None,
    round_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    running: Annotated[bool | None, Query(description="只看正在公示的")] = None,
) -> NoticePage:
    stmt = select(PublicNotice).order_by(PublicNotice.start_date.desc(), PublicNotice.id.desc())
    if kind is not None:
        stmt = stmt.where(PublicNotice.kind == kind)
    if round_id is not None:
        stmt = stmt.where(PublicNotice.round_id == round_id)
    if running is True:
        stmt = stmt.where(PublicNotice.start_date <= call.today, PublicNotice.end_date >= call.today)
    elif running is False:
        stmt = stmt.where((PublicNotice.start_date > call.today) | (PublicNotice.end_date < call.today))
    total, rows = fetch_page(call.session, stmt, page)
    return NoticePage(total=total, offset=page.offset, limit=page.limit, items=_notice_outs(call, rows))


@router.get(
    "/notices/{notice_id}",
    response_model=NoticeOut,
    summary="公示详情（公开）",
    tags=["公开 public"],
    responses=errors(404, 422),
)
def get_notice(notice_id: NoticeId, call: PublicCall) -> NoticeOut:
    notice = call.session.get(PublicNotice, notice_id)
    if notice is None:
        raise not_found("公示")
    return _notice_outs(call, [notice])[0]


@router.get(
    "/notices/{notice_id}/entries",
    response_model=NoticeEntryPage,
    summary="公示名单（公开：姓名、单位、申报层级，不含身份证号）",
    tags=["公开 public"],
    responses=errors(404, 422),
)
def notice_entries(notice_id: NoticeId, call: PublicCall, page: PagingDep) -> NoticeEntryPage:
    if call.session.get(PublicNotice, notice_id) is None:
        raise not_found("公示")
    stmt = (
        select(Application)
        .join(NoticeEntry, NoticeEntry.application_id == Application.id)
        .where(NoticeEntry.notice_id == notice_id)
        .order_by(Application.id)
    )
    total, apps = fetch_page(call.session, stmt, page)
    names = mapping(call.session, select(User.id, User.display_name).where(User.id.in_({a.applicant_id for a in apps})))
    units = mapping(call.session, select(Unit.id, Unit.name).where(Unit.id.in_({a.unit_id for a in apps if a.unit_id})))
    cat = default_catalog()
    items = [
        NoticeEntryOut(
            application_id=a.id,
            name=names.get(a.applicant_id, ""),
            unit_name=units.get(a.unit_id) if a.unit_id is not None else None,
            document_id=a.document_id,
            document_title=cat.document(a.document_id).short_title,
            level=a.level,
            level_title=LEVEL_NAMES.get(a.level, a.level),
            route=a.route,
            route_label=ROUTE_NAMES.get(a.route, a.route),
        )
        for a in apps
    ]
    return NoticeEntryPage(total=total, offset=page.offset, limit=page.limit, items=items)


@router.post(
    "/notices/{notice_id}/objections",
    status_code=201,
    response_model=ObjectionReceipt,
    summary="对公示提出异议（公开，无需登录；须在公示期内）",
    tags=["公开 public"],
    responses=errors(404, 422),
)
def file_objection(notice_id: NoticeId, body: Annotated[ObjectionIn, Body()], call: PublicCall) -> ObjectionReceipt:
    obj = svc.file_objection(
        call.session,
        notice_id=notice_id,
        application_id=body.application_id,
        content=body.content,
        name=body.name,
        contact=body.contact,
        today=call.today,
    )
    return ObjectionReceipt(
        id=obj.id,
        notice_id=obj.notice_id,
        application_id=obj.application_id,
        status=obj.status,
        submitted_at=obj.submitted_at,
    )


@router.get(
    "/applications/{application_id}/objections",
    response_model=ObjectionPage,
    summary="某申报收到的异议（有权查看该申报的人）",
    responses=errors(401, 404, 422),
)
def application_objections(application_id: ApplicationId, call: UserCall, page: PagingDep) -> ObjectionPage:
    app = svc.get_application(call.ctx, application_id)
    stmt = select(Objection).where(Objection.application_id == app.id).order_by(Objection.id)
    total, rows = fetch_page(call.session, stmt, page)
    notices = {
        n.id: n
        for n in call.session.scalars(select(PublicNotice).where(PublicNotice.id.in_({o.notice_id for o in rows})))
    }
    items = [_objection_out(call, o, notices[o.notice_id]) for o in rows]
    return ObjectionPage(total=total, offset=page.offset, limit=page.limit, items=items)


@router.post(
    "/objections/{objection_id}/decision",
    response_model=ObjectionOut,
    summary="处理异议（单位内部公示由该单位、结果公示由评审服务机构）",
    responses=errors(401, 403, 404, 409, 422),
)
def decide_objection(
    objection_id: ObjectionId, body: Annotated[DecisionIn, Body()], call: UserCall, key: IdempotencyKey = None
) -> Response:
    def produce() -> ObjectionOut:
        obj = svc.decide_objection(call.ctx, objection_id, upheld=body.upheld, decision=body.decision)
        notice = call.session.get(PublicNotice, obj.notice_id)
        assert notice is not None
        return _objection_out(call, obj, notice)

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))
