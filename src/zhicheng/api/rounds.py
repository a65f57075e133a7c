"""Review rounds (年度评审/专项评审): the agency opens them; signed-in users list them; the public sees open ones."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import Field
from sqlalchemy import select

from zhicheng.api.deps import MAX_ID, IdempotencyKey, PagingDep, PublicCall, Text64, Text200, UserCall, fetch_page
from zhicheng.api.schemas import In, errors
from zhicheng.api.views import RoundOut, RoundPage, round_out
from zhicheng.errors import not_found
from zhicheng.store.models import Round
from zhicheng.workflow import service as svc

router = APIRouter(prefix="/api", tags=["评审轮次 rounds"])

RoundId = Annotated[int, Path(ge=1, le=MAX_ID, description="评审轮次编号")]


class RoundIn(In):
    document_id: Text64 = Field(description="适用的标准文件，如 ai_bj_2020", examples=["ai_bj_2020"])
    levels: Annotated[list[Text64], Field(max_length=10, description="受理的层级，如 senior_engineer")]
    kind: Text64 = Field("annual", description="annual（年度评审）或 special（专项评审）")
    year: int = Field(ge=2000, le=2100)
    title: Text200
    window_start: dt.date = Field(description="申报期开始（含当日）")
    window_end: dt.date = Field(description="申报期截止（含当日）")


@router.post(
    "/rounds",
    status_code=201,
    response_model=RoundOut,
    summary="发布评审轮次（评审服务机构）",
    responses=errors(401, 403, 422),
)
def open_round(body: Annotated[RoundIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> RoundOut:
        rnd = svc.open_round(
            call.ctx,
            document_id=body.document_id,
            levels=list(body.levels),
            kind=body.kind,
            year=body.year,
            title=body.title,
            window_start=body.window_start,
            window_end=body.window_end,
        )
        return round_out(rnd, call.today)

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))


@router.get("/rounds", response_model=RoundPage, summary="评审轮次列表（登录用户）", responses=errors(401, 422))
def list_rounds(
    call: UserCall,
    page: PagingDep,
    status: Annotated[Text64 | None, Query(description="draft、open 或 closed")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> RoundPage:
    stmt = select(Round).order_by(Round.id.desc())
    if status is not None:
        stmt = stmt.where(Round.status == status)
    if year is not None:
        stmt = stmt.where(Round.year == year)
    total, rows = fetch_page(call.session, stmt, page)
    return RoundPage(total=total, offset=page.offset, limit=page.limit, items=[round_out(r, call.today) for r in rows])


@router.get("/rounds/{round_id}", response_model=RoundOut, summary="评审轮次详情", responses=errors(401, 404, 422))
def get_round(round_id: RoundId, call: UserCall) -> RoundOut:
    rnd = call.session.get(Round, round_id)
    if rnd is None:
        raise not_found("评审轮次")
    return round_out(rnd, call.today)


@router.get(
    "/public/rounds",
    response_model=RoundPage,
    summary="正在受理的评审轮次（公开）",
    tags=["公开 public"],
    responses=errors(422),
)
def public_rounds(call: PublicCall, page: PagingDep) -> RoundPage:
    stmt = select(Round).where(Round.status == "open", Round.window_end >= call.today).order_by(Round.window_end)
    total, rows = fetch_page(call.session, stmt, page)
    return RoundPage(total=total, offset=page.offset, limit=page.limit, items=[round_out(r, call.today) for r in rows])
