"""Expert review (专家评审) over HTTP: committees and their filings and pools, the experts' register,
meetings (agenda, seeded draw: propose → commit, verification), conflicts and recusal (declaration,
detection, dismissal), panel scores and 破格 interviews, secret ballots, tallies, minutes and the
meeting's summary, score export and log.

A thin router over ``zhicheng.review.service``: every permission question is answered there, by
``Rights`` (committees, experts, who organises) and ``ReviewRights`` (everything of one meeting). A
conflicted expert gets nothing about that application — not a row, a count, an average, an export line
or a log line; it answers as if the application were not on the agenda (404).

Casting a ballot takes no ``Idempotency-Key``: a stored (voter, key, request hash) would tie the voter
to a hash of the choice, which three guesses undo. A retry of a cast is refused as a second ballot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, RootModel
from sqlalchemy import select

from zhicheng.api.deps import (
    MAX_ID,
    Call,
    DbId,
    IdempotencyKey,
    Paging,
    PagingDep,
    Text64,
    Text100,
    Text200,
    Text2000,
    Text5000,
    UserCall,
    mapping,
)
from zhicheng.api.schemas import In, Page, errors
from zhicheng.review import service as rsvc
from zhicheng.store.models import Conflict, User

router = APIRouter(prefix="/api", tags=["专家评审 review"])

CommitteeId = Annotated[int, Path(ge=1, le=MAX_ID, description="评审委员会编号")]
MeetingId = Annotated[int, Path(ge=1, le=MAX_ID, description="评审会议编号")]
AppId = Annotated[int, Path(ge=1, le=MAX_ID, description="申报编号")]
ExpertId = Annotated[int, Path(ge=1, le=MAX_ID, description="专家（用户）编号")]
ConflictId = Annotated[int, Path(ge=1, le=MAX_ID, description="回避关系编号")]
SmallInt = Annotated[int, Field(ge=0, le=10_000)]
T = TypeVar("T")


def _slice(items: Sequence[T], page: Paging) -> tuple[int, list[T]]:
    """The services return what the caller may see, already filtered; a page of it and its total."""
    return len(items), list(items[page.offset : page.offset + page.limit])


class Out(BaseModel):
    """Response models read the services' view dataclasses attribute by attribute."""

    model_config = ConfigDict(from_attributes=True)


# ================================================================= committees, filings, pool, experts
class FilingIn(In):
    filed_on: dt.date = Field(description="核准备案日")
    expires_on: dt.date = Field(description="备案有效期最后一日（最长3年）")
    reference: Text200 = Field(description="备案文号或依据")


class FilingOut(Out):
    id: int
    filed_on: dt.date
    expires_on: dt.date
    reference: str


class CommitteeIn(In):
    name: Text200
    document_id: Text64 = Field(description="标准文件，如 ai_bj_2020", examples=["ai_bj_2020"])
    organised_by: Text64 = Field(description="series（按系列组建）或 specialty（按专业组建）")
    levels: Annotated[list[Text64], Field(min_length=1, max_length=10, description="评审的层级")]
    specialty: Text100 | None = None
    min_members: Annotated[int | None, Field(ge=1, le=1000, description="最少人数；默认按第九条")] = None
    min_members_basis: Text2000 | None = Field(None, description="少于法定人数时：省级人社部门同意调整的依据")
    threshold: Text64 = Field("inclusive", description="inclusive（2/3以上含本数）或 exclusive（不含本数，青岛）")
    recused_count_as_present: bool = Field(False, description="回避专家是否计入出席人数（I-18）")
    interview_for_exceptional: bool = Field(True, description="破格申报须面试答辩")


class CommitteeOut(Out):
    id: int
    name: str
    document_id: str
    specialty: str | None
    organised_by: str
    levels: list[str]
    min_members: int
    min_members_basis: str | None
    threshold: str
    recused_count_as_present: bool
    interview_for_exceptional: bool
    pool_size: int
    filing: FilingOut | None = Field(description="今天有效的备案；无则不能开会")
    filings: list[FilingOut]


class CommitteePage(Page):
    items: list[CommitteeOut]


class ExpertIn(In):
    user_id: DbId = Field(description="评审专家（expert）账号")
    title: Text100 = Field(description="职称名称，如 正高级工程师")
    title_grade: int = Field(ge=1, le=5, description="职称层级 1–5（员级至正高级）")
    specialty: Text100
    unit_name: Text200
    unit_uscc: Text64 | None = Field(None, description="工作单位统一社会信用代码（用于同单位回避检测）")
    term_start: dt.date
    term_end: dt.date = Field(description="任期最后一日（每届最长3年）")


class ExpertOut(Out):
    user_id: int
    name: str
    title: str
    title_grade: int
    specialty: str
    unit_name: str
    unit_uscc: str | None
    term_start: dt.date
    term_end: dt.date
    is_active: bool


class ExpertPage(Page):
    items: list[ExpertOut]


class PoolIn(In):
    expert_ids: Annotated[list[DbId], Field(min_length=1, max_length=500)]


class Added(BaseModel):
    added: list[int] = Field(description="新加入的编号（已在其中的不重复加入）")


@router.post(
    "/committees",
    status_code=201,
    response_model=CommitteeOut,
    summary="组建评审委员会（评审服务机构）",
    responses=errors(401, 403, 422),
)
def register_committee(body: Annotated[CommitteeIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> CommitteeOut:
        c = rsvc.register_committee(call.ctx, **body.model_dump())
        return CommitteeOut.model_validate(rsvc.get_committee(call.ctx, c.id))

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/committees",
    response_model=CommitteePage,
    summary="评审委员会列表（评审服务机构、人社局）",
    responses=errors(401, 403, 422),
)
def list_committees(
    call: UserCall,
    page: PagingDep,
    document_id: Annotated[Text64 | None, Query(description="按标准文件过滤")] = None,
) -> CommitteePage:
    total, rows = _slice(rsvc.list_committees(call.ctx, document_id=document_id), page)
    return CommitteePage(
        total=total, offset=page.offset, limit=page.limit, items=[CommitteeOut.model_validate(c) for c in rows]
    )


@router.get(
    "/committees/{committee_id}",
    response_model=CommitteeOut,
    summary="评审委员会详情：设置、备案、专家库人数",
    responses=errors(401, 404, 422),
)
def get_committee(committee_id: CommitteeId, call: UserCall) -> CommitteeOut:
    return CommitteeOut.model_validate(rsvc.get_committee(call.ctx, committee_id))


@router.post(
    "/committees/{committee_id}/filings",
    status_code=201,
    response_model=FilingOut,
    summary="登记评委会核准备案（评审服务机构、人社局）",
    responses=errors(401, 403, 404, 422),
)
def record_filing(
    committee_id: CommitteeId, body: Annotated[FilingIn, Body()], call: UserCall, key: IdempotencyKey = None
) -> Response:
    def produce() -> FilingOut:
        return FilingOut.model_validate(rsvc.record_filing(call.ctx, committee_id, **body.model_dump()))

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/committees/{committee_id}/pool",
    response_model=ExpertPage,
    summary="评委会专家库（评审服务机构、人社局）",
    responses=errors(401, 404, 422),
)
def list_pool(committee_id: CommitteeId, call: UserCall, page: PagingDep) -> ExpertPage:
    total, rows = _slice(rsvc.pool(call.ctx, committee_id), page)
    return ExpertPage(
        total=total, offset=page.offset, limit=page.limit, items=[ExpertOut.model_validate(e) for e in rows]
    )


@router.post(
    "/committees/{committee_id}/pool",
    response_model=Added,
    summary="专家入库（评审服务机构；职称层级不低于评委会所评层级）",
    responses=errors(401, 403, 404, 422),
)
def add_to_pool(
    committee_id: CommitteeId, body: Annotated[PoolIn, Body()], call: UserCall, key: IdempotencyKey = None
) -> Response:
    def produce() -> Added:
        return Added(added=rsvc.add_to_pool(call.ctx, committee_id, body.expert_ids))

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.delete(
    "/committees/{committee_id}/pool/{expert_id}",
    status_code=204,
    response_class=Response,
    summary="专家出库（评审服务机构）",
    responses=errors(401, 403, 404, 422),
)
def remove_from_pool(committee_id: CommitteeId, expert_id: ExpertId, call: UserCall) -> Response:
    rsvc.remove_from_pool(call.ctx, committee_id, expert_id)
    return Response(status_code=204)


@router.post(
    "/experts",
    response_model=ExpertOut,
    summary="登记评审专家或换届（评审服务机构）",
    responses=errors(401, 403, 422),
)
def register_expert(body: Annotated[ExpertIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> ExpertOut:
        rsvc.register_expert(call.ctx, **body.model_dump())
        return ExpertOut.model_validate(rsvc.get_expert(call.ctx, body.user_id))

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/experts",
    response_model=ExpertPage,
    summary="评审专家名册（评审服务机构、人社局）",
    responses=errors(401, 403, 422),
)
def list_experts(
    call: UserCall,
    page: PagingDep,
    specialty: Annotated[Text100 | None, Query(description="按专业过滤")] = None,
) -> ExpertPage:
    total, rows = _slice(rsvc.list_experts(call.ctx, specialty=specialty), page)
    return ExpertPage(
        total=total, offset=page.offset, limit=page.limit, items=[ExpertOut.model_validate(e) for e in rows]
    )


# ================================================================= meetings, agenda, draw
class Minutes(RootModel[dict[str, Any]]):
    """The archived 会议记录 as stored (its SHA-256 is in the meeting and the audit trail)."""


class MeetingIn(In):
    committee_id: DbId
    title: Text200
    held_on: dt.date = Field(description="会议日期：须在评委会备案有效期内")


class MeetingOut(Out):
    id: int
    committee_id: int
    committee_name: str
    title: str
    held_on: dt.date
    status: str = Field(description="draft（拟定议程）、assigned（已抽取）、open（进行中）、closed（已结束）")
    declared: bool | None = Field(description="（专家本人）是否已申报回避")
    checked_in: bool | None = Field(description="（专家本人）是否已签到")
    size: int | None = Field(description="会议专家人数（抽取后）")
    threshold: str | None
    recused_count_as_present: bool | None


class MeetingPage(Page):
    items: list[MeetingOut]


class ApplicationsIn(In):
    application_ids: Annotated[list[DbId], Field(min_length=1, max_length=500)]


class AgendaRowOut(Out):
    application_id: int
    position: int
    applicant_name: str
    unit_name: str | None
    level: str
    route: str
    panel_name: str | None
    on_my_panel: bool
    my_score_submitted: bool
    status: str = Field(description="pending（待表决）、voting（投票中）、decided（已表决）")
    passed: bool | None
    i_voted: bool | None = Field(description="（专家本人）是否已投票；不含所投内容")


class AgendaPage(Page):
    items: list[AgendaRowOut]


class PanelIn(In):
    name: Text100 = Field(description="专业评议组名称")
    application_ids: Annotated[list[DbId], Field(max_length=500)]
    size: int = Field(3, ge=1, le=1001, description="评议组专家人数（不少于3人）")


class DrawIn(In):
    size: int = Field(ge=1, le=1001, description="会议专家人数：单数，且不少于评委会最少人数")
    panels: Annotated[list[PanelIn], Field(min_length=1, max_length=50)]
    seed: Text64 | None = Field(None, description="随机种子；不填则随机生成，并随抽取结果记录")
    exclude_conflicted: bool = Field(True, description="不抽取与任一评审对象有回避关系的专家")

    def requests(self) -> list[rsvc.PanelRequest]:
        return [rsvc.PanelRequest(p.name, tuple(p.application_ids), p.size) for p in self.panels]


class CommitIn(DrawIn):
    seed: Text64 = Field(description="预览时的随机种子（原样带回）")
    fingerprint: Text64 = Field(description="预览返回的指纹：确认时重算，不同则 409")


class ProposedPanelOut(Out):
    name: str
    application_ids: list[int]
    expert_ids: list[int]


class Excluded(BaseModel):
    expert_id: int
    reason: str


class ProposalOut(BaseModel):
    meeting_id: int
    seed: str
    size: int
    exclude_conflicted: bool
    members: list[int]
    panels: list[ProposedPanelOut]
    candidates: list[int]
    excluded: list[Excluded]
    fingerprint: str = Field(description="抽取记录的 SHA-256：确认时带回")


class DrawCheckOut(Out):
    ok: bool
    recorded: list[int]
    recomputed: list[int]
    panels_ok: bool


@router.post(
    "/meetings",
    status_code=201,
    response_model=MeetingOut,
    summary="安排评审会议（评审服务机构；评委会须在会议日期备案有效）",
    responses=errors(401, 403, 404, 422),
)
def create_meeting(body: Annotated[MeetingIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> MeetingOut:
        m = rsvc.create_meeting(call.ctx, **body.model_dump())
        return MeetingOut.model_validate(rsvc.meeting_view(call.ctx, m.id))

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/meetings",
    response_model=MeetingPage,
    summary="我的评审会议（专家：被抽中的会议；评审服务机构、人社局：全部）",
    responses=errors(401, 422),
)
def my_meetings(call: UserCall, page: PagingDep) -> MeetingPage:
    total, rows = _slice(rsvc.my_meetings(call.ctx), page)
    return MeetingPage(
        total=total, offset=page.offset, limit=page.limit, items=[MeetingOut.model_validate(m) for m in rows]
    )


@router.get(
    "/meetings/{meeting_id}",
    response_model=MeetingOut,
    summary="评审会议详情",
    responses=errors(401, 404, 422),
)
def get_meeting(meeting_id: MeetingId, call: UserCall) -> MeetingOut:
    return MeetingOut.model_validate(rsvc.meeting_view(call.ctx, meeting_id))


@router.post(
    "/meetings/{meeting_id}/agenda",
    response_model=Added,
    summary="列入议程（评审服务机构；申报须处于评委会评审环节）",
    responses=errors(401, 403, 404, 409, 422),
)
def add_to_agenda(
    meeting_id: MeetingId, body: Annotated[ApplicationsIn, Body()], call: UserCall, key: IdempotencyKey = None
) -> Response:
    def produce() -> Added:
        return Added(added=rsvc.add_to_agenda(call.ctx, meeting_id, body.application_ids))

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/meetings/{meeting_id}/agenda",
    response_model=AgendaPage,
    summary="会议议程（专家：申报回避后、且只含无回避关系的申报人）",
    responses=errors(401, 404, 422),
)
def agenda(meeting_id: MeetingId, call: UserCall, page: PagingDep) -> AgendaPage:
    total, rows = _slice(rsvc.agenda(call.ctx, meeting_id), page)
    return AgendaPage(
        total=total, offset=page.offset, limit=page.limit, items=[AgendaRowOut.model_validate(r) for r in rows]
    )


def _proposal_out(p: rsvc.Proposal) -> ProposalOut:
    return ProposalOut(
        meeting_id=p.meeting_id,
        seed=p.seed,
        size=p.size,
        exclude_conflicted=p.exclude_conflicted,
        members=list(p.members),
        panels=[ProposedPanelOut.model_validate(x) for x in p.panels],
        candidates=list(p.candidates),
        excluded=[Excluded(expert_id=e, reason=r) for e, r in p.excluded],
        fingerprint=p.fingerprint,
    )


@router.post(
    "/meetings/{meeting_id}/draw/proposal",
    response_model=ProposalOut,
    summary="随机抽取专家：提议并预览（评审服务机构；不写库）",
    description="返回会议专家、各评议组专家、候选与排除名单、种子和指纹；确认时把种子、输入和指纹原样带回。",
    responses=errors(401, 403, 404, 409, 422),
)
def propose_draw(
    meeting_id: MeetingId, body: Annotated[DrawIn, Body()], call: UserCall, key: IdempotencyKey = None
) -> Response:
    def produce() -> ProposalOut:
        p = rsvc.propose_assignment(
            call.ctx,
            meeting_id,
            size=body.size,
            panels=body.requests(),
            seed=body.seed,
            exclude_conflicted=body.exclude_conflicted,
        )
        return _proposal_out(p)

    # with a key, a retry gets the same random seed back rather than a new draw
    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.post(
    "/meetings/{meeting_id}/draw/commit",
    response_model=MeetingOut,
    summary="确认抽取结果（评审服务机构；按同一种子重算，与预览不同则 409）",
    responses=errors(401, 403, 404, 409, 422),
)
def commit_draw(
    meeting_id: MeetingId, body: Annotated[CommitIn, Body()], call: UserCall, key: IdempotencyKey = None
) -> Response:
    def produce() -> MeetingOut:
        proposal = rsvc.proposal_for_commit(
            meeting_id,
            seed=body.seed,
            size=body.size,
            panels=body.requests(),
            exclude_conflicted=body.exclude_conflicted,
            fingerprint=body.fingerprint,
        )
        rsvc.commit_assignment(call.ctx, meeting_id, proposal)
        return MeetingOut.model_validate(rsvc.meeting_view(call.ctx, meeting_id))

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/meetings/{meeting_id}/draw/verification",
    response_model=DrawCheckOut,
    summary="复核专家抽取：按记录的种子和候选重算并比对（评审服务机构、人社局）",
    responses=errors(401, 403, 404, 409, 422),
)
def verify_draw(meeting_id: MeetingId, call: UserCall) -> DrawCheckOut:
    return DrawCheckOut.model_validate(rsvc.verify_draw(call.ctx, meeting_id))


@router.post(
    "/meetings/{meeting_id}/open",
    response_model=MeetingOut,
    summary="开始会议（评审服务机构；当天备案有效）",
    responses=errors(401, 403, 404, 409, 422),
)
def open_meeting(meeting_id: MeetingId, call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> MeetingOut:
        rsvc.open_meeting(call.ctx, meeting_id)
        return MeetingOut.model_validate(rsvc.meeting_view(call.ctx, meeting_id))

    return call.reply(produce, key=key, request_body={})


class CheckInIn(In):
    expert_id: DbId | None = Field(None, description="评审服务机构代为登记出席时填写；专家本人签到不填")


class CheckInOut(Out):
    meeting_id: int
    expert_id: int
    checked_in: bool
    checked_in_at: dt.datetime | None


@router.post(
    "/meetings/{meeting_id}/check-in",
    response_model=CheckInOut,
    summary="签到（专家本人；或评审服务机构登记出席）",
    responses=errors(401, 403, 404, 409, 422),
)
def check_in(
    meeting_id: MeetingId, call: UserCall, body: Annotated[CheckInIn | None, Body()] = None, key: IdempotencyKey = None
) -> Response:
    expert_id = body.expert_id if body else None

    def produce() -> CheckInOut:
        return CheckInOut.model_validate(rsvc.check_in(call.ctx, meeting_id, expert_id))

    return call.reply(produce, key=key, request_body={"expert_id": expert_id})


@router.post(
    "/meetings/{meeting_id}/close",
    response_model=dict[str, Any],
    summary="结束会议并归档会议记录（评审服务机构；全部申报人表决完毕后）",
    responses=errors(401, 403, 404, 409, 422),
)
def close_meeting(meeting_id: MeetingId, call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> Minutes:
        return Minutes(rsvc.close_meeting(call.ctx, meeting_id))

    return call.reply(produce, key=key, request_body={})


@router.get(
    "/meetings/{meeting_id}/minutes",
    response_model=dict[str, Any],
    summary="会议记录（评审服务机构、人社局；核对归档哈希）",
    responses=errors(401, 403, 404, 409, 422),
)
def minutes(meeting_id: MeetingId, call: UserCall) -> dict[str, Any]:
    return rsvc.minutes(call.ctx, meeting_id)


# ================================================================= conflicts and recusal
class DeclarationRowOut(Out):
    application_id: int
    applicant_name: str
    unit_name: str | None
    level: str


class DeclarationSheet(Page):
    statement: str = Field(description="回避承诺")
    items: list[DeclarationRowOut]


class ClaimIn(In):
    application_id: DbId
    kind: Text64 = Field(description="kinship、advisor、collaboration、same_unit、coauthor 或 other")
    note: Text5000 = ""


class DeclareIn(In):
    confirm: bool = Field(description="确认回避承诺（须为 true）")
    conflicts: list[ClaimIn] = Field(
        default_factory=list, max_length=500, description="本人与评审对象的利害关系；无则为空"
    )


class DeclarationOut(Out):
    meeting_id: int
    expert_id: int
    statement: str
    declared_at: dt.datetime


class ConflictIn(In):
    expert_id: DbId
    application_id: DbId
    kind: Text64
    note: Text5000 = Field(description="回避事由")


class DismissIn(In):
    reason: Text2000 = Field(description="撤销理由（至少5个字），永久记录")


class ConflictOut(Out):
    id: int
    expert_id: int
    expert_name: str
    application_id: int
    kind: str
    source: str = Field(description="declared（本人申报）、detected（自动发现）或 agency（机构登记）")
    status: str
    note: str | None
    evidence: dict[str, Any] | None
    dismissed_reason: str | None


class ConflictPage(Page):
    items: list[ConflictOut]


class Detected(BaseModel):
    detected: list[ConflictOut]


def _conflict_outs(call: Call, rows: Sequence[Conflict]) -> list[ConflictOut]:
    names = mapping(call.session, select(User.id, User.display_name).where(User.id.in_({r.expert_id for r in rows})))
    return [
        ConflictOut(
            id=r.id,
            expert_id=r.expert_id,
            expert_name=names.get(r.expert_id, ""),
            application_id=r.application_id,
            kind=r.kind,
            source=r.source,
            status=r.status,
            note=r.note,
            evidence=r.evidence,
            dismissed_reason=r.dismissed_reason,
        )
        for r in rows
    ]


@router.get(
    "/meetings/{meeting_id}/declaration",
    response_model=DeclarationSheet,
    summary="回避申报表（本会专家：申报人姓名、单位、层级，不含已知须回避者；不含材料）",
    responses=errors(401, 404, 422),
)
def declaration_sheet(meeting_id: MeetingId, call: UserCall, page: PagingDep) -> DeclarationSheet:
    total, rows = _slice(rsvc.declaration_sheet(call.ctx, meeting_id), page)
    return DeclarationSheet(
        total=total,
        offset=page.offset,
        limit=page.limit,
        statement=rsvc.DECLARATION_STATEMENT,
        items=[DeclarationRowOut.model_validate(r) for r in rows],
    )


@router.post(
    "/meetings/{meeting_id}/declaration",
    response_model=DeclarationOut,
    summary="申报回避并签署承诺（本会专家；之后才能查看材料）",
    responses=errors(401, 403, 404, 409, 422),
)
def declare(
    meeting_id: MeetingId, body: Annotated[DeclareIn, Body()], call: UserCall, key: IdempotencyKey = None
) -> Response:
    def produce() -> DeclarationOut:
        claims = [rsvc.ConflictClaim(c.application_id, c.kind, c.note) for c in body.conflicts]
        return DeclarationOut.model_validate(rsvc.declare(call.ctx, meeting_id, claims, confirm=body.confirm))

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.post(
    "/meetings/{meeting_id}/conflicts/detection",
    response_model=Detected,
    summary="自动检测回避关系（评审服务机构：同单位、成果合作者），返回新发现的",
    responses=errors(401, 403, 404, 422),
)
def detect_conflicts(meeting_id: MeetingId, call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> Detected:
        return Detected(detected=_conflict_outs(call, rsvc.detect_conflicts(call.ctx, meeting_id)))

    return call.reply(produce, key=key, request_body={})


@router.get(
    "/meetings/{meeting_id}/conflicts",
    response_model=ConflictPage,
    summary="回避关系清单（评审服务机构、人社局）",
    responses=errors(401, 403, 404, 422),
)
def list_conflicts(meeting_id: MeetingId, call: UserCall, page: PagingDep) -> ConflictPage:
    total, rows = _slice(rsvc.list_conflicts(call.ctx, meeting_id), page)
    return ConflictPage(
        total=total, offset=page.offset, limit=page.limit, items=[ConflictOut.model_validate(c) for c in rows]
    )


@router.post(
    "/conflicts",
    status_code=201,
    response_model=ConflictOut,
    summary="登记回避关系（评审服务机构发现的，通知专家回避）",
    responses=errors(401, 403, 404, 409, 422),
)
def record_conflict(body: Annotated[ConflictIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> ConflictOut:
        return _conflict_outs(call, [rsvc.record_conflict(call.ctx, **body.model_dump())])[0]

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))


@router.post(
    "/conflicts/{conflict_id}/dismissal",
    response_model=ConflictOut,
    summary="撤销回避关系（评审服务机构；须写明理由，记录保留）",
    responses=errors(401, 403, 404, 409, 422),
)
def dismiss_conflict(
    conflict_id: ConflictId, body: Annotated[DismissIn, Body()], call: UserCall, key: IdempotencyKey = None
) -> Response:
    def produce() -> ConflictOut:
        return _conflict_outs(call, [rsvc.dismiss_conflict(call.ctx, conflict_id, reason=body.reason)])[0]

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


# ================================================================= one application at the meeting
class OpinionOut(Out):
    pseudonym: str = Field(description="评委A、评委B…（代称顺序由会议种子决定）")
    score: int
    opinion: str
    expert_id: int | None = Field(description="专家编号：只对评审服务机构和人社局显示")


class PanelSummaryOut(Out):
    application_id: int
    panel_name: str | None
    panel_size: int
    submitted: int
    complete: bool
    average: float | None = Field(description="平均分（一位小数）：评议组全部提交后才显示给专家")
    opinions: list[OpinionOut]
    my_score: int | None


class ScoreIn(In):
    score: int = Field(description="0–100 的整数")
    opinion: Text5000 = Field(description="书面评议意见（至少10个字）")
    version: SmallInt | None = Field(None, description="修改时带上读取时的版本；已被修改则 409")


class EvidenceRef(BaseModel):
    filename: str
    sha256: str
    achievement_index: int | None


class MaterialOut(BaseModel):
    application_id: int
    applicant_name: str
    unit_name: str | None
    level: str
    route: str
    profile: dict[str, Any]
    evidence: list[EvidenceRef]
    review_verdict: str | None = Field(description="资格审核时的判定")
    panel: PanelSummaryOut
    interview: dict[str, Any] | None = Field(description="破格面试答辩：日期、结果、情况摘要")


class InterviewIn(In):
    held_on: dt.date
    result: Text64 = Field(description="pass（答辩通过）或 fail（答辩未通过）")
    summary: Text5000 = Field(description="答辩情况（至少10个字）")
    examiners: Annotated[list[DbId], Field(max_length=100, description="答辩专家（本会专家，不少于3人，无回避关系）")]


class InterviewOut(Out):
    meeting_id: int
    application_id: int
    held_on: dt.date
    result: str
    summary: str
    examiners: list[int]


class VoteIn(In):
    choice: Text64 = Field(description="yes（同意）、no（不同意）或 abstain（弃权）")


class ReasonIn(In):
    reason: Text2000 = Field(description="理由（至少5个字）")


class TallyOut(Out):
    application_id: int
    members: int = Field(description="会议专家人数")
    attending: int = Field(description="开启表决时签到人数")
    recused: int
    present: int = Field(description="计算阈值用的出席人数（回避者是否计入按评委会设置）")
    yes: int
    no: int
    abstain: int
    not_cast: int
    threshold: str
    min_yes: int = Field(description="通过所需最少同意票")
    passed: bool
    ballot_digest: str = Field(description="封箱后票箱的 SHA-256")
    state: str = Field(description="申报此后的状态")


class ItemStatusOut(BaseModel):
    application_id: int
    status: str


@router.get(
    "/meetings/{meeting_id}/applications/{application_id}",
    response_model=MaterialOut,
    summary="评审材料（专家：申报回避后，且无回避关系）",
    responses=errors(401, 404, 422),
)
def application_material(meeting_id: MeetingId, application_id: AppId, call: UserCall) -> MaterialOut:
    m = rsvc.application_material(call.ctx, meeting_id, application_id)
    return MaterialOut(
        application_id=m.application_id,
        applicant_name=m.applicant_name,
        unit_name=m.unit_name,
        level=m.level,
        route=m.route,
        profile=m.profile,
        evidence=[EvidenceRef(filename=f, sha256=h, achievement_index=i) for f, h, i in m.evidence],
        review_verdict=m.review_verdict,
        panel=PanelSummaryOut.model_validate(m.panel),
        interview=m.interview,
    )


@router.put(
    "/meetings/{meeting_id}/applications/{application_id}/score",
    response_model=PanelSummaryOut,
    summary="提交或修改评分与书面评议意见（评议组专家；表决开始前）",
    responses=errors(401, 403, 404, 409, 422),
)
def submit_score(
    meeting_id: MeetingId,
    application_id: AppId,
    body: Annotated[ScoreIn, Body()],
    call: UserCall,
    key: IdempotencyKey = None,
) -> Response:
    def produce() -> PanelSummaryOut:
        summary = rsvc.submit_score(
            call.ctx, meeting_id, application_id, score=body.score, opinion=body.opinion, expected_version=body.version
        )
        return PanelSummaryOut.model_validate(summary)

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/meetings/{meeting_id}/applications/{application_id}/panel",
    response_model=PanelSummaryOut,
    summary="评议组评分汇总（全部提交前专家只看到自己的分数和提交人数）",
    responses=errors(401, 404, 422),
)
def panel_summary(meeting_id: MeetingId, application_id: AppId, call: UserCall) -> PanelSummaryOut:
    return PanelSummaryOut.model_validate(rsvc.panel_summary(call.ctx, meeting_id, application_id))


@router.put(
    "/meetings/{meeting_id}/applications/{application_id}/interview",
    response_model=InterviewOut,
    summary="登记破格面试答辩（评审服务机构）",
    responses=errors(401, 403, 404, 409, 422),
)
def record_interview(
    meeting_id: MeetingId,
    application_id: AppId,
    body: Annotated[InterviewIn, Body()],
    call: UserCall,
    key: IdempotencyKey = None,
) -> Response:
    def produce() -> InterviewOut:
        return InterviewOut.model_validate(
            rsvc.record_interview(call.ctx, meeting_id, application_id, **body.model_dump())
        )

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.post(
    "/meetings/{meeting_id}/applications/{application_id}/ballot/open",
    response_model=TallyOut,
    summary="开启无记名投票（评审服务机构；检查法定出席人数、评议、答辩、回避）",
    responses=errors(401, 403, 404, 409, 422),
)
def open_ballot(meeting_id: MeetingId, application_id: AppId, call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> TallyOut:
        return TallyOut.model_validate(rsvc.open_ballot(call.ctx, meeting_id, application_id))

    return call.reply(produce, key=key, request_body={})


@router.post(
    "/meetings/{meeting_id}/applications/{application_id}/ballot/votes",
    status_code=204,
    response_class=Response,
    summary="投票（签到的专家本人；每人一票，不得代投、补投；无回执）",
    description="不接受 Idempotency-Key：幂等记录会把投票人和所投内容的哈希存在一起。重复提交按重复投票拒绝。",
    responses=errors(401, 403, 404, 409, 422),
)
def cast_ballot(
    meeting_id: MeetingId, application_id: AppId, body: Annotated[VoteIn, Body()], call: UserCall
) -> Response:
    rsvc.cast_ballot(call.ctx, meeting_id, application_id, body.choice)
    return Response(status_code=204)


@router.post(
    "/meetings/{meeting_id}/applications/{application_id}/ballot/close",
    response_model=TallyOut,
    summary="结束投票、封箱计票，表决结果推进申报（评审服务机构）",
    responses=errors(401, 403, 404, 409, 422),
)
def close_ballot(meeting_id: MeetingId, application_id: AppId, call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> TallyOut:
        return TallyOut.model_validate(rsvc.close_ballot(call.ctx, meeting_id, application_id))

    return call.reply(produce, key=key, request_body={})


@router.post(
    "/meetings/{meeting_id}/applications/{application_id}/ballot/cancel",
    response_model=ItemStatusOut,
    summary="取消进行中的投票（评审服务机构；须写明理由，可重新表决）",
    responses=errors(401, 403, 404, 409, 422),
)
def cancel_ballot(
    meeting_id: MeetingId,
    application_id: AppId,
    body: Annotated[ReasonIn, Body()],
    call: UserCall,
    key: IdempotencyKey = None,
) -> Response:
    def produce() -> ItemStatusOut:
        rsvc.cancel_ballot(call.ctx, meeting_id, application_id, reason=body.reason)
        return ItemStatusOut(application_id=application_id, status="pending")

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/meetings/{meeting_id}/applications/{application_id}/tally",
    response_model=TallyOut,
    summary="计票结果（投票结束后；专家只看无回避关系的申报人）",
    responses=errors(401, 404, 409, 422),
)
def tally(meeting_id: MeetingId, application_id: AppId, call: UserCall) -> TallyOut:
    return TallyOut.model_validate(rsvc.tally(call.ctx, meeting_id, application_id))


# ================================================================= what the meeting shows, filtered by recusal
class MeetingSummaryOut(Out):
    meeting_id: int
    items: int = Field(description="可见的评审对象数")
    panels_complete: int
    voting: int
    decided: int
    passed: int
    scores: int
    average_score: float | None


class ScoreRowOut(Out):
    application_id: int
    applicant_name: str
    panel_name: str | None
    pseudonym: str
    score: int
    opinion: str
    expert_id: int | None


class ScorePage(Page):
    items: list[ScoreRowOut]


class LogLineOut(Out):
    seq: int
    created_at: dt.datetime
    action: str
    entity: str
    entity_id: str | None
    role: str
    actor_id: int | None = Field(description="操作人：只对评审服务机构和人社局显示")
    payload: dict[str, Any] | None


class LogPage(Page):
    items: list[LogLineOut]


@router.get(
    "/meetings/{meeting_id}/summary",
    response_model=MeetingSummaryOut,
    summary="会议概况：计数与平均分（只按当前用户可见的申报人计算）",
    responses=errors(401, 404, 422),
)
def meeting_summary(meeting_id: MeetingId, call: UserCall) -> MeetingSummaryOut:
    return MeetingSummaryOut.model_validate(rsvc.meeting_summary(call.ctx, meeting_id))


@router.get(
    "/meetings/{meeting_id}/scores",
    response_model=ScorePage,
    summary="评分导出（与页面同样按回避过滤）",
    responses=errors(401, 404, 422),
)
def export_scores(meeting_id: MeetingId, call: UserCall, page: PagingDep) -> ScorePage:
    total, rows = _slice(rsvc.export_scores(call.ctx, meeting_id), page)
    return ScorePage(
        total=total, offset=page.offset, limit=page.limit, items=[ScoreRowOut.model_validate(r) for r in rows]
    )


@router.get(
    "/meetings/{meeting_id}/log",
    response_model=LogPage,
    summary="会议日志（取自审计链；专家看不到须回避申报人的记录和任何人的身份）",
    responses=errors(401, 404, 422),
)
def meeting_log(meeting_id: MeetingId, call: UserCall, page: PagingDep) -> LogPage:
    total, rows = _slice(rsvc.meeting_log(call.ctx, meeting_id), page)
    return LogPage(
        total=total, offset=page.offset, limit=page.limit, items=[LogLineOut.model_validate(r) for r in rows]
    )
