"""Acceptance (验收), certificates (发证、下载、暂停、恢复、撤销) and public verification (网上查询验证).

Thin shell over ``zhicheng.certificates.service`` and ``zhicheng.certificates.public``; issuing and
verification settings (base URL, key folder, rate limit) come from ``TrustSettings.from_env`` with the
app's data folder.  Public look-ups are writes (the log and the rate-limit counter), so their GET is
marked ``locks_rows``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from zhicheng.api.deps import (
    Call,
    DbId,
    IdempotencyKey,
    PagingDep,
    SessionDep,
    Text,
    Text64,
    Text2000,
    UserCall,
    authenticate,
    bearer,
    clock_of,
    locks_rows,
    runtime_of,
)
from zhicheng.api.schemas import In, Page, errors
from zhicheng.certificates import public
from zhicheng.certificates import service as csvc
from zhicheng.certificates.config import TrustSettings
from zhicheng.certificates.keys import published_keyring

router = APIRouter(prefix="/api")
CERT = "证书 certificates"
VERIFY = "公开核验 verification"

CertificateNumber = Annotated[
    str, PathParam(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9]+$", description="证书编号")
]


def trust_of(call: Call) -> TrustSettings:
    """Issuing and verification settings of this app (``ZHICHENG_BASE_URL``, key folder under the data folder…)."""
    return TrustSettings.from_env(call.runtime.data_dir)


# ---------------------------------------------------------------- acceptance
class AcceptanceIn(In):
    approval_number: Annotated[
        Text, Field(min_length=1, max_length=50, description="批准文号，如 京人社职字〔2026〕18号")
    ]
    meeting_id: DbId | None = Field(None, description="已结束的评审会议：验收其全部表决通过、待验收的申报")
    application_ids: list[DbId] | None = Field(None, max_length=500, description="或逐件列出待验收的申报")
    note: Text2000 | None = None


class AcceptancePage(Page):
    items: list[csvc.AcceptanceView]


@router.post(
    "/acceptances",
    status_code=201,
    response_model=csvc.AcceptanceView,
    summary="验收评审结果并登记批准文号（人社局）；通过者进入评审结果公示",
    tags=[CERT],
    responses=errors(401, 403, 404, 409, 422),
)
def accept_results(body: Annotated[AcceptanceIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> csvc.AcceptanceView:
        return csvc.accept_results(
            call.ctx,
            approval_number=body.approval_number,
            meeting_id=body.meeting_id,
            application_ids=body.application_ids,
            note=body.note,
        )

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/acceptances",
    response_model=AcceptancePage,
    summary="验收记录（人社局、评审服务机构；新的在前）",
    tags=[CERT],
    responses=errors(401, 403, 422),
)
def list_acceptances(call: UserCall, page: PagingDep) -> AcceptancePage:
    total, items = csvc.list_acceptances(call.ctx, offset=page.offset, limit=page.limit)
    return AcceptancePage(total=total, offset=page.offset, limit=page.limit, items=items)


# ---------------------------------------------------------------- issuing and the holder's certificate
class IssueIn(In):
    application_ids: list[DbId] = Field(min_length=1, max_length=500, description="公示期满无异议（或已办结）的申报")


class IssuedOut(BaseModel):
    items: list[csvc.CertificateView]


class CertificatePage(Page):
    items: list[csvc.CertificateView]


class AwaitingPage(Page):
    items: list[csvc.AwaitingRow]


class ReasonIn(In):
    reason: Annotated[Text, Field(min_length=1, max_length=5000, description="理由（记入审计）")]


class VerificationLogPage(Page):
    items: list[public.VerificationLogRow]


@router.post(
    "/certificates",
    status_code=201,
    response_model=IssuedOut,
    summary="颁发电子证书（评审服务机构）：评审结果公示期满且无异议的申报，每件一张，重复请求返回已发证书",
    tags=[CERT],
    responses=errors(401, 403, 404, 409, 422),
)
def issue_certificates(body: Annotated[IssueIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> IssuedOut:
        return IssuedOut(items=csvc.issue_certificates(call.ctx, trust_of(call), body.application_ids))

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))


@router.get(
    "/certificates",
    response_model=CertificatePage,
    summary="证书列表（申报人：本人的；评审服务机构、人社局：全部）",
    tags=[CERT],
    responses=errors(401, 422),
)
def list_certificates(
    call: UserCall,
    page: PagingDep,
    status: Annotated[Text64 | None, Query(description="valid、suspended 或 revoked")] = None,
) -> CertificatePage:
    total, items = csvc.list_certificates(call.ctx, status=status, offset=page.offset, limit=page.limit)
    return CertificatePage(total=total, offset=page.offset, limit=page.limit, items=items)


@router.get(
    "/certificates/awaiting",
    response_model=AwaitingPage,
    summary="待发证的申报（评审结果公示中或已办结尚未发证；评审服务机构）",
    tags=[CERT],
    responses=errors(401, 403, 422),
)
def awaiting_certificates(call: UserCall, page: PagingDep) -> AwaitingPage:
    total, items = csvc.awaiting_certificates(call.ctx, offset=page.offset, limit=page.limit)
    return AwaitingPage(total=total, offset=page.offset, limit=page.limit, items=items)


@router.get(
    "/certificates/{number}",
    response_model=csvc.CertificateView,
    summary="证书详情（持证人、评审服务机构、人社局）",
    tags=[CERT],
    responses=errors(401, 404, 422),
)
def get_certificate(number: CertificateNumber, call: UserCall) -> csvc.CertificateView:
    return csvc.certificate_view(call.ctx, number)


@router.get(
    "/certificates/{number}/signed.json",
    summary="下载签名的证书 JSON（可用 zhicheng verify 离线核验）",
    tags=[CERT],
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}, **errors(401, 404, 422)},
)
def certificate_json(number: CertificateNumber, call: UserCall) -> Response:
    body = csvc.certificate_json(call.ctx, number)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{number}.json"', "Cache-Control": "no-store"},
    )


@router.get(
    "/certificates/{number}/certificate.pdf",
    summary="下载 PDF 证书（带核验二维码，文件签名防篡改）",
    tags=[CERT],
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **errors(401, 404, 422),
    },
)
def certificate_pdf(number: CertificateNumber, call: UserCall) -> Response:
    body = csvc.certificate_pdf(call.ctx, trust_of(call), number)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{number}.pdf"', "Cache-Control": "no-store"},
    )


@router.get(
    "/certificates/{number}/verifications",
    response_model=VerificationLogPage,
    summary="谁核验过我的证书（仅持证人本人；网络地址已隐去后两段）",
    tags=[CERT],
    responses=errors(401, 404, 422),
)
def verification_log(number: CertificateNumber, call: UserCall, page: PagingDep) -> VerificationLogPage:
    total, items = public.verification_log(call.ctx, number, offset=page.offset, limit=page.limit)
    return VerificationLogPage(total=total, offset=page.offset, limit=page.limit, items=items)


def _status_change(action: str, summary: str) -> None:
    def endpoint(
        number: CertificateNumber, body: Annotated[ReasonIn, Body()], call: UserCall, key: IdempotencyKey = None
    ) -> Response:
        def produce() -> csvc.CertificateView:
            return csvc.change_status(call.ctx, trust_of(call), number, action, reason=body.reason)

        return call.reply(produce, key=key, request_body=body.model_dump(mode="json"))

    endpoint.__name__ = f"{action}_certificate"
    router.post(
        f"/certificates/{{number}}/{action}",
        response_model=csvc.CertificateView,
        summary=summary,
        tags=[CERT],
        responses=errors(401, 403, 404, 409, 422),
    )(endpoint)


_status_change("suspend", "暂停证书（人社局，核查期间；状态列表随之更新）")
_status_change("reinstate", "恢复暂停的证书（人社局）")
_status_change("revoke", "撤销证书（人社局；不可恢复，状态列表随之更新）")


# ---------------------------------------------------------------- public verification
def verifier_call(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Call:
    """Anyone; a signed-in verifier (say an employer) is named in the holder's log."""
    call = Call(request, session, clock_of(request), runtime_of(request))
    if credentials is not None and credentials.credentials:
        call.user, call.token = authenticate(session, credentials.credentials, call.now)
    return call


VerifierCall = Annotated[Call, Depends(verifier_call)]


def client_of(call: Call, trust: TrustSettings) -> public.Client:
    request = call.request
    address = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-for", "")
    if trust.trust_proxy and forwarded.strip():
        address = forwarded.split(",")[-1].strip()  # what our one reverse proxy saw
    return public.client_for(address, request.headers.get("user-agent"), call.runtime.protector, call.user)


class VerifyIn(In):
    number: Annotated[Text, Field(min_length=1, max_length=32, description="证书编号")]
    name: Annotated[Text, Field(min_length=1, max_length=50, description="持证人姓名")]


@router.get(
    "/verify/keys",
    summary="发证机关公布的公钥列表（含已停用的密钥，旧证书仍可核验）",
    tags=[VERIFY],
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}, **errors(401)},
)
def published_keys(call: VerifierCall) -> Response:
    return Response(
        published_keyring(call.session).to_json(),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get(
    "/verify/status-lists/{list_id}",
    summary="签名的吊销/暂停状态列表（W3C Bitstring Status List 风格，下载整张表核验，不暴露查询了谁）",
    tags=[VERIFY],
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}, **errors(401, 404, 422)},
)
def status_list(
    list_id: Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")],
    call: VerifierCall,
) -> Response:
    return Response(
        public.status_list_document(call.session, list_id),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=60"},
    )


@router.get(
    "/verify/{number}",
    response_model=public.PublicVerification,
    summary="扫码核验：证书编号 + 二维码中的令牌（每次查询都记录，按来源地址限制频率）",
    tags=[VERIFY],
    responses=errors(401, 422, 429),
)
@locks_rows
def verify_by_link(
    number: CertificateNumber,
    call: VerifierCall,
    t: Annotated[str, Query(min_length=1, max_length=64, description="二维码网址中的令牌")],
) -> public.PublicVerification:
    trust = trust_of(call)
    return public.verify_by_link(
        call.session, trust, number=number, token=t, client=client_of(call, trust), now=call.now
    )


@router.post(
    "/verify",
    response_model=public.PublicVerification,
    summary="按证书编号 + 姓名核验（姓名放在请求体中，不进网址）",
    tags=[VERIFY],
    responses=errors(401, 422, 429),
)
def verify_by_name(body: Annotated[VerifyIn, Body()], call: VerifierCall) -> public.PublicVerification:
    trust = trust_of(call)
    return public.verify_by_name(
        call.session, trust, number=body.number, name=body.name, client=client_of(call, trust), now=call.now
    )
