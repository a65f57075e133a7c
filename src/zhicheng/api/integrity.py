"""The integrity archive (诚信档案, bureau only): reviews, fraud findings with evidence, dismissals, and the
audit trail of each decision.  Thin shell over ``zhicheng.integrity.service``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from fastapi import Path as PathParam
from pydantic import Field

from zhicheng.api.certificates import trust_of
from zhicheng.api.deps import MAX_ID, DbId, IdempotencyKey, PagingDep, Text, Text64, Text200, UserCall
from zhicheng.api.schemas import In, Page, errors
from zhicheng.integrity import service as isvc

router = APIRouter(prefix="/api/integrity", tags=["诚信档案 integrity"])
RecordId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="诚信档案记录编号")]
Long = Annotated[Text, Field(min_length=1, max_length=5000)]


class Subject(In):
    application_id: DbId | None = Field(None, description="所涉申报")
    certificate_number: Text64 | None = Field(None, description="或所涉证书编号")


class ReviewIn(Subject):
    allegation: Long = Field(description="核查缘由：举报内容、抽查发现等（至少10字）")


class Decision(In):
    decided_on: dt.date = Field(description="决定日期")
    deciding_body: Text200 = Field(description="作出决定的机构，如 北京市人力资源和社会保障局")
    decision_no: Annotated[Text, Field(min_length=1, max_length=100, description="决定文号")]
    version: DbId | None = Field(None, description="读取记录时的版本号；已变化则 409")


class ConfirmIn(Decision):
    finding: Long = Field(description="认定的弄虚作假事实（至少10字）")
    evidence: list[isvc.EvidenceItem] = Field(min_length=1, max_length=50, description="证据，逐项列明")


class DismissIn(Decision):
    conclusion: Long = Field(description="核查结论：举报不属实的理由（至少10字）")


class FraudIn(Subject):
    allegation: Long | None = Field(None, description="核查缘由（省略则同认定事实）")
    finding: Long = Field(description="认定的弄虚作假事实（至少10字）")
    evidence: list[isvc.EvidenceItem] = Field(min_length=1, max_length=50)
    decided_on: dt.date
    deciding_body: Text200
    decision_no: Annotated[Text, Field(min_length=1, max_length=100)]


class RecordPage(Page):
    items: list[isvc.IntegrityView]


@router.get(
    "/records", response_model=RecordPage, summary="诚信档案（人社局；新的在前）", responses=errors(401, 403, 422)
)
def list_records(
    call: UserCall,
    page: PagingDep,
    status: Annotated[Text64 | None, Query(description="under_review、confirmed 或 dismissed")] = None,
) -> RecordPage:
    total, items = isvc.list_records(call.ctx, status=status, offset=page.offset, limit=page.limit)
    return RecordPage(total=total, offset=page.offset, limit=page.limit, items=items)


@router.get(
    "/records/{record_id}",
    response_model=isvc.IntegrityDetail,
    summary="一条诚信档案记录及其每个决定的审计记录",
    responses=errors(401, 404, 422),
)
def record_detail(record_id: RecordId, call: UserCall) -> isvc.IntegrityDetail:
    return isvc.record_detail(call.ctx, record_id)


@router.post(
    "/reviews",
    status_code=201,
    response_model=isvc.IntegrityView,
    summary="立案核查（人社局）：已发证书随即暂停，核查结束前不发证",
    responses=errors(401, 403, 404, 409, 422),
)
def open_review(body: Annotated[ReviewIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> isvc.IntegrityView:
        return isvc.open_review(
            call.ctx,
            trust_of(call),
            allegation=body.allegation,
            application_id=body.application_id,
            certificate_number=body.certificate_number,
        )

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))


@router.post(
    "/records/{record_id}/confirm",
    response_model=isvc.IntegrityView,
    summary="认定弄虚作假（一票否决、撤销证书、三年内不得申报）",
    responses=errors(401, 403, 404, 409, 422),
)
def confirm_fraud(
    record_id: RecordId, body: Annotated[ConfirmIn, Body()], call: UserCall, key: IdempotencyKey = None
) -> Response:
    def produce() -> isvc.IntegrityView:
        return isvc.confirm_fraud(
            call.ctx,
            trust_of(call),
            record_id,
            finding=body.finding,
            evidence=body.evidence,
            decided_on=body.decided_on,
            deciding_body=body.deciding_body,
            decision_no=body.decision_no,
            expected_version=body.version,
        )

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.post(
    "/records/{record_id}/dismiss",
    response_model=isvc.IntegrityView,
    summary="核查不属实，结案（暂停的证书随即恢复）",
    responses=errors(401, 403, 404, 409, 422),
)
def dismiss_review(
    record_id: RecordId, body: Annotated[DismissIn, Body()], call: UserCall, key: IdempotencyKey = None
) -> Response:
    def produce() -> isvc.IntegrityView:
        return isvc.dismiss_review(
            call.ctx,
            trust_of(call),
            record_id,
            conclusion=body.conclusion,
            decided_on=body.decided_on,
            deciding_body=body.deciding_body,
            decision_no=body.decision_no,
            expected_version=body.version,
        )

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.post(
    "/records",
    status_code=201,
    response_model=isvc.IntegrityView,
    summary="直接登记弄虚作假的认定（立案与认定一步完成）",
    responses=errors(401, 403, 404, 409, 422),
)
def record_fraud(body: Annotated[FraudIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> isvc.IntegrityView:
        return isvc.record_fraud(
            call.ctx,
            trust_of(call),
            finding=body.finding,
            evidence=body.evidence,
            decided_on=body.decided_on,
            deciding_body=body.deciding_body,
            decision_no=body.decision_no,
            application_id=body.application_id,
            certificate_number=body.certificate_number,
            allegation=body.allegation,
        )

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))
