"""Supervision and reference data: sanctions (bureau), working-day calendar (admin), catalog extensions
(agency/admin), the audit trail (bureau/admin)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from zhicheng.accounts.identity import ID_FIELD
from zhicheng.accounts.idnumbers import IdNumberError, mask_resident_id, validate_resident_id
from zhicheng.api.deps import (
    IdempotencyKey,
    PagingDep,
    PublicCall,
    Text,
    Text64,
    Text200,
    Text2000,
    Text5000,
    UserCall,
    fetch_page,
    locks_rows,
)
from zhicheng.api.schemas import In, Page, errors
from zhicheng.calendar import BuiltinSource, CalendarDataError, WorkdayCalendar, parse_calendar_data
from zhicheng.errors import DomainError, invalid
from zhicheng.store import audit
from zhicheng.store.models import AuditEntry, CalendarYearRecord
from zhicheng.workflow import service as svc

router = APIRouter(prefix="/api")


# ---------------------------------------------------------------- sanctions
class SanctionIn(In):
    id_number: Annotated[Text, Field(max_length=32, description="当事人身份证号（只用于计算盲索引，不保存明文）")]
    kind: Text64 = Field(description="disciplinary（处分）或 integrity（失信）")
    start: dt.date
    end: dt.date | None = Field(None, description="影响期截止（含当日）；空为长期")
    reason: Text5000
    source: Text200 = Field(description="依据，如处分决定文号")


class SanctionOut(BaseModel):
    id: int
    kind: str
    start: dt.date
    end: dt.date | None
    reason: str
    source: str
    id_number_masked: str
    recorded_at: dt.datetime


@router.post(
    "/sanctions",
    status_code=201,
    response_model=SanctionOut,
    summary="登记处分或失信记录（人社局）",
    tags=["诚信档案 integrity"],
    responses=errors(401, 403, 422),
)
def record_sanction(body: Annotated[SanctionIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> SanctionOut:
        try:
            rid = validate_resident_id(body.id_number, call.today)
        except IdNumberError as exc:
            raise invalid("id_number", str(exc)) from None
        index = call.runtime.protector.blind_index(rid.number, field=ID_FIELD)
        s = svc.record_sanction(
            call.ctx,
            id_number_index=index,
            kind=body.kind,
            start=body.start,
            end=body.end,
            reason=body.reason,
            source=body.source,
        )
        return SanctionOut(
            id=s.id,
            kind=s.kind,
            start=s.start_date,
            end=s.end_date,
            reason=s.reason,
            source=s.source,
            id_number_masked=rid.masked,
            recorded_at=s.recorded_at,
        )

    # the stored request hash must not be a fast hash of an ID number: keep only its masked form
    fingerprint = body.model_dump(mode="json", exclude={"id_number"}) | {"id_number": mask_resident_id(body.id_number)}
    return call.reply(produce, status_code=201, key=key, request_body=fingerprint)


# ---------------------------------------------------------------- calendar
class CalendarYearInfo(BaseModel):
    year: int
    source: str = Field(description="数据出处（通知标题或内置数据包）")
    doc_no: str | None
    imported: bool = Field(description="是否为管理员导入的数据（否则为内置数据）")


class CoverageOut(BaseModel):
    start: dt.date = Field(description="可计算工作日的第一天")
    end: dt.date = Field(description="可计算工作日的最后一天；之后的日期须先导入节假日安排")
    detached_years: list[int] = Field(description="已导入但与覆盖范围不相连（中间缺年份）而未启用的年份")
    years: list[CalendarYearInfo]


class CalendarLoadOut(BaseModel):
    loaded: list[int]
    coverage: CoverageOut


class _TextDates(yaml.SafeLoader):
    """YAML dates stay text, so a bad date (2027-02-30) is reported with its field path."""


_TextDates.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


async def raw_body(request: Request) -> bytes:
    return await request.body()


def _parse_calendar_body(content_type: str, raw: bytes) -> Any:
    media = content_type.split(";")[0].strip().lower()
    if media not in ("application/json", *YAML_TYPES):
        raise DomainError(
            415, "unsupported_media_type", "节假日数据应为 JSON（application/json）或 YAML（application/yaml）"
        )
    try:
        text = raw.decode("utf-8")
        return json.loads(text) if media == "application/json" else yaml.load(text, Loader=_TextDates)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if media == "application/json" else "YAML"
        raise DomainError(422, "invalid_input", f"{kind} 格式错误：{exc}", [("(请求体)", f"{kind} 格式错误")]) from None


def _coverage(calendar: WorkdayCalendar, imported: set[int]) -> CoverageOut:
    years = []
    for year in range(calendar.coverage_start.year, calendar.coverage_end.year + 1):
        src = calendar.source_for(year)
        years.append(
            CalendarYearInfo(
                year=year,
                source=src.title,
                doc_no=None if isinstance(src, BuiltinSource) else src.doc_no,
                imported=year in imported,
            )
        )
    return CoverageOut(
        start=calendar.coverage_start,
        end=calendar.coverage_end,
        detached_years=list(calendar.detached_years),
        years=years,
    )


CALENDAR_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "一个年份（映射）或年份列表，格式同 src/zhicheng/calendar/data/example-2027.yaml",
        "content": {
            "application/json": {
                "schema": {"anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}
            },
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/calendar/years",
    response_model=CalendarLoadOut,
    summary="导入法定节假日与调休安排（系统管理员；JSON 或 YAML）",
    tags=["工作日历 calendar"],
    openapi_extra=CALENDAR_BODY,
    responses=errors(401, 403, 415, 422),
)
def load_calendar_years(
    request: Request, raw: Annotated[bytes, Depends(raw_body)], call: UserCall, key: IdempotencyKey = None
) -> Response:
    call.require(call.ctx.rights.can_load_calendar(), "只有系统管理员可以导入工作日历")
    data = _parse_calendar_body(request.headers.get("content-type", ""), raw)
    try:
        years = parse_calendar_data(data, origin="节假日数据")
    except CalendarDataError as exc:
        raise DomainError(422, "invalid_calendar", str(exc).splitlines()[0], exc.problems) from None

    def produce() -> CalendarLoadOut:
        loaded = svc.load_calendar_years(call.ctx, years)
        imported = set(call.session.scalars(select(CalendarYearRecord.year)))
        return CalendarLoadOut(loaded=loaded, coverage=_coverage(svc.load_calendar(call.session), imported))

    return call.reply(produce, key=key, request_body=[y.to_dict() for y in years])


@router.get(
    "/calendar/coverage",
    response_model=CoverageOut,
    summary="工作日历覆盖范围与数据出处（公开）",
    tags=["工作日历 calendar", "公开 public"],
)
def calendar_coverage(call: PublicCall) -> CoverageOut:
    imported = set(call.session.scalars(select(CalendarYearRecord.year)))
    return _coverage(svc.load_calendar(call.session), imported)


# ---------------------------------------------------------------- catalog extensions
class ExtensionIn(In):
    document_id: Text64 = Field(examples=["iiot_qd_2023"])
    until: dt.date = Field(description="延续执行至（含当日）")
    basis: Text2000 = Field(description="延续依据：文件名称和文号")


class ExtensionOut(BaseModel):
    document_id: str
    until: dt.date
    basis: str
    registered_at: dt.datetime


@router.post(
    "/catalog/extensions",
    response_model=ExtensionOut,
    summary="登记标准文件延续执行（评审服务机构、系统管理员）",
    tags=["标准与自查 standards"],
    responses=errors(401, 403, 422),
)
def register_extension(body: Annotated[ExtensionIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> ExtensionOut:
        ext = svc.register_extension(call.ctx, document_id=body.document_id, until=body.until, basis=body.basis)
        return ExtensionOut(
            document_id=ext.document_id, until=ext.until, basis=ext.basis, registered_at=ext.registered_at
        )

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


# ---------------------------------------------------------------- audit
class AuditEntryOut(BaseModel):
    seq: int
    created_at: dt.datetime
    actor_id: int | None
    role: str
    action: str
    entity: str
    entity_id: str | None
    from_state: str | None
    to_state: str | None
    payload: dict[str, Any] | None
    hash: str


class AuditPage(Page):
    items: list[AuditEntryOut]


class AuditProblemOut(BaseModel):
    code: str
    seq: int | None
    message: str


class AuditReportOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int | None
    head_hash: str | None = Field(description="链头哈希：定期公布或签名保存，可发现整链改写")
    problems: list[AuditProblemOut]
    summary: str


AUDIT_READERS = "只有人社局和系统管理员可以查看审计记录"


@router.get(
    "/audit",
    response_model=AuditPage,
    summary="审计记录（人社局、系统管理员；新的在前）",
    tags=["审计 audit"],
    responses=errors(401, 403, 422),
)
def list_audit(
    call: UserCall,
    page: PagingDep,
    entity: Annotated[Text64 | None, Query(description="对象类型，如 application")] = None,
    entity_id: Annotated[Text64 | None, Query(description="对象编号")] = None,
    action: Annotated[Text64 | None, Query(description="操作，如 submit")] = None,
) -> AuditPage:
    call.require(call.ctx.rights.can_read_audit(), AUDIT_READERS)
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if entity is not None:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    total, rows = fetch_page(call.session, stmt, page)
    items = [
        AuditEntryOut(
            seq=e.seq,
            created_at=e.created_at,
            actor_id=e.actor_id,
            role=e.role,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            from_state=e.from_state,
            to_state=e.to_state,
            payload=e.payload,
            hash=e.hash,
        )
        for e in rows
    ]
    return AuditPage(total=total, offset=page.offset, limit=page.limit, items=items)


@router.get(
    "/audit/verify",
    response_model=AuditReportOut,
    summary="校验审计链完整性（人社局、系统管理员）",
    tags=["审计 audit"],
    responses=errors(401, 403),
)
@locks_rows  # verify holds a shared lock on the chain head, which a read-only transaction may not take
def verify_audit(call: UserCall) -> AuditReportOut:
    call.require(call.ctx.rights.can_read_audit(), AUDIT_READERS)
    report = audit.verify(call.session)
    return AuditReportOut(
        ok=report.ok,
        entries=report.entries,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        problems=[AuditProblemOut(code=p.code, seq=p.seq, message=p.message) for p in report.problems],
        summary=report.summary(),
    )
