"""Applications (申报): create, list (filtered by Rights), detail, edit, every procedure action, the verdict.

A correction notice (一次性告知补正) is answered with the ``resubmit`` action after editing the profile and
uploading the missing evidence; the notice itself is part of the detail.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import Field
from sqlalchemy import select

from zhicheng.api.deps import (
    MAX_ID,
    ApplicationId,
    DbId,
    IdempotencyKey,
    PagingDep,
    Text64,
    Text5000,
    UserCall,
    fetch_page,
)
from zhicheng.api.schemas import In, errors
from zhicheng.api.views import ApplicationDetail, ApplicationPage, detail, summaries, visibility_filter
from zhicheng.errors import invalid
from zhicheng.policy.verdict import Verdict
from zhicheng.store.models import Application
from zhicheng.workflow import service as svc

router = APIRouter(prefix="/api", tags=["申报 applications"])


class ApplicationIn(In):
    round_id: DbId
    level: Text64 = Field(description="申报层级，须为轮次受理的层级", examples=["senior_engineer"])
    route: Text64 = Field("regular", description="regular（正常）、exceptional（破格）或 direct_track（直通车）")
    profile: dict[str, Any] = Field(default_factory=dict, description="申报人档案（见 zhicheng schema profile）")


class ApplicationPatch(In):
    profile: dict[str, Any] | None = Field(None, description="整份档案（替换）")
    route: Text64 | None = None
    version: DbId | None = Field(None, description="读取时的版本号；已变化则 409")


class ActionIn(In):
    version: DbId = Field(description="读取申报时看到的版本号；他人已办理则 409")
    reason: Text5000 | None = Field(None, description="理由（退回、不予推荐、不符合条件、一票否决等必填）")
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="操作数据：submit 需 {pledge: true}；request_correction 需 {items: [...], workdays}；"
        "accept 需 {judgements: [{condition, passed, note}]}；"
        "accept_results 需 {approval_number}（批准文号；或先 POST /api/acceptances 整批验收）",
    )


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationDetail,
    summary="创建申报（草稿）",
    responses=errors(401, 403, 404, 409, 422),
)
def create_application(body: Annotated[ApplicationIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> ApplicationDetail:
        app = svc.create_application(
            call.ctx, round_id=body.round_id, level=body.level, route=body.route, profile=body.profile
        )
        return detail(call.ctx, app)

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/applications",
    response_model=ApplicationPage,
    summary="申报列表（只含当前用户有权查看的申报）",
    responses=errors(401, 422),
)
def list_applications(
    call: UserCall,
    page: PagingDep,
    state: Annotated[Text64 | None, Query(description="按状态过滤，如 agency_review")] = None,
    round_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="按评审轮次过滤")] = None,
) -> ApplicationPage:
    stmt = select(Application).where(visibility_filter(call.ctx.rights)).order_by(Application.id.desc())
    if state is not None:
        stmt = stmt.where(Application.state == state)
    if round_id is not None:
        stmt = stmt.where(Application.round_id == round_id)
    total, rows = fetch_page(call.session, stmt, page)
    return ApplicationPage(total=total, offset=page.offset, limit=page.limit, items=summaries(call.session, rows))


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationDetail,
    summary="申报详情（含可办理的操作、判定、补正告知和办理记录）",
    responses=errors(401, 404, 422),
)
def get_application(application_id: ApplicationId, call: UserCall) -> ApplicationDetail:
    return detail(call.ctx, svc.get_application(call.ctx, application_id))


@router.patch(
    "/applications/{application_id}",
    response_model=ApplicationDetail,
    summary="修改申报材料或申报途径（申报人，填写或补正阶段）",
    responses=errors(401, 403, 404, 409, 422),
)
def update_application(
    application_id: ApplicationId,
    body: Annotated[ApplicationPatch, Body()],
    call: UserCall,
    key: IdempotencyKey = None,
) -> Response:
    if body.profile is None and body.route is None:
        raise invalid("profile", "没有要修改的内容（profile 或 route）")

    def produce() -> ApplicationDetail:
        app = svc.update_application(
            call.ctx, application_id, expected_version=body.version, profile=body.profile, route=body.route
        )
        return detail(call.ctx, app)

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.post(
    "/applications/{application_id}/actions/{action}",
    response_model=ApplicationDetail,
    summary="办理一步程序操作（提交、审核、公示、补正、表决、验收、发证、一票否决等）",
    description="可办理的操作见详情中的 allowed_actions。请求体带上读取时的 version：他人先办理则返回 409。",
    responses=errors(401, 403, 404, 409, 422),
)
def take_action(
    application_id: ApplicationId,
    action: Annotated[Text64, Path(description="操作名，如 submit、start_notice、recommend、accept、resubmit")],
    body: Annotated[ActionIn, Body()],
    call: UserCall,
    key: IdempotencyKey = None,
) -> Response:
    def produce() -> ApplicationDetail:
        app = svc.act(
            call.ctx, application_id, action, expected_version=body.version, reason=body.reason, data=body.data
        )
        return detail(call.ctx, app)

    return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/applications/{application_id}/verdict",
    response_model=Verdict,
    summary="按当前材料重新判定申报条件（含须人工判断的事项）",
    responses=errors(401, 404, 422),
)
def current_verdict(application_id: ApplicationId, call: UserCall) -> Verdict:
    return svc.evaluate_application(call.ctx, svc.get_application(call.ctx, application_id))
