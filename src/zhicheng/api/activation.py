"""Activation and password-reset codes: thin routes over zhicheng.accounts.activation (docs/accounts.md).

* ``POST /api/auth/activate`` (public): username or ID number + code + new password.
* ``POST /api/accounts/{user_id}/codes``: issue a code for one account (agency; a unit for its applicants).
* ``POST /api/accounts/codes.xlsx``: issue codes for every account still without a password (optionally of
  one import) and download them as a sheet to hand out.
* ``GET /api/accounts/unactivated``: those accounts, with the state of their latest code.

The issuing endpoints take no ``Idempotency-Key``: their answer holds the code, which must not be stored
anywhere.  Issuing again is harmless — it voids the previous code — so a client simply retries.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from zhicheng.accounts import activation
from zhicheng.api.deps import MAX_ID, PagingDep, PublicCall, Text, Text64, UserCall
from zhicheng.api.errors import domain_error_response
from zhicheng.api.excel import XLSX_RESPONSE, xlsx
from zhicheng.api.policy import Page
from zhicheng.api.schemas import In, errors
from zhicheng.exchange.sheets import workbook_bytes

router = APIRouter(prefix="/api", tags=["账号与登录 auth"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
ValidDays = Annotated[int, Field(ge=1, le=activation.MAX_VALIDITY_DAYS, description="有效期（天），默认14天")]
Batch = Annotated[
    str | None,
    Field(min_length=64, max_length=64, description="只含这次导入的账号：导入报告中的文件 SHA-256"),
]


class ActivateIn(In):
    account: Text64 = Field(description="用户名，或本人的18位身份证号", examples=["imp-1a2b3c4d5e6f7a8b"])
    code: Annotated[Text, Field(max_length=32, description="激活码或密码重置码，如 ABCDE-FGHJK（不区分大小写）")]
    password: Annotated[Text, Field(max_length=256, description="新密码：至少10位，含大写、小写、数字、符号中至少3类")]


class ActivateOut(BaseModel):
    user_id: int
    username: str = Field(description="登录用的用户名")
    purpose: str = Field(description="activation（激活）或 reset（重置密码）")
    replayed: bool = Field(description="同一请求的重试：此前已成功，本次未作改变")
    message: str


class CodeIn(In):
    purpose: Literal["activation", "reset"] | None = Field(
        None, description="activation（未设置密码的账号）或 reset（忘记密码）；默认按账号状态自动确定"
    )
    valid_days: ValidDays = activation.DEFAULT_VALIDITY.days


class CodeOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: str
    purpose: str
    code: str = Field(description="只显示这一次：平台只保存其哈希值")
    expires_at: dt.datetime


class BatchIn(In):
    import_batch: Batch = None
    role: Literal["applicant", "expert"] | None = Field(None, description="只含申报人或评审专家")
    reissue: bool = Field(False, description="为仍有有效激活码的账号也重新签发（原激活码作废）")
    valid_days: ValidDays = activation.DEFAULT_VALIDITY.days


class AccountOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: str
    id_number_masked: str | None
    unit_name: str | None
    code_state: str = Field(description="none（未签发）、pending（有效）或 expired（已过期）")
    code_expires_at: dt.datetime | None


class AccountList(Page):
    items: list[AccountOut]


def _lockout(call: PublicCall) -> activation.Lockout:
    s = call.runtime.settings
    return activation.Lockout(s.max_failed_logins, s.lockout)


@router.post(
    "/auth/activate",
    response_model=ActivateOut,
    summary="激活账户或重置密码（凭激活码、密码重置码）",
    description="用户名或身份证号 + 激活码 + 新密码（与注册相同的密码要求）。激活码错误计入登录失败次数，"
    "连续5次锁定15分钟；成功后激活码作废、其他登录令牌注销。同一请求重试返回成功（replayed=true）。",
    responses=errors(401, 409, 422, 429),
)
def activate(body: Annotated[ActivateIn, Body()], call: PublicCall) -> Response:
    try:
        done = activation.activate(
            call.session,
            call.runtime.protector,
            call.now,
            account=body.account,
            code=body.code,
            password=body.password,
            lockout=_lockout(call),
        )
    except activation.ActivationRefused as exc:
        return domain_error_response(exc)  # answered, not raised: the failure count is committed
    verb = "账户已激活" if done.purpose == "activation" else "密码已重置"
    out = ActivateOut(
        user_id=done.user_id,
        username=done.username,
        purpose=done.purpose,
        replayed=done.replayed,
        message=f"{verb}，请用用户名 {done.username} 和新密码登录",
    )
    return JSONResponse(out.model_dump(mode="json"), headers=NO_STORE)


@router.post(
    "/accounts/{user_id}/codes",
    status_code=201,
    response_model=CodeOut,
    summary="签发激活码或密码重置码（评审服务机构；用人单位限本单位申报人）",
    description="新码签发后原有未使用的码作废。激活码只在本响应中出现一次，平台只保存其哈希值；不支持幂等键"
    "（响应不能被保存），重试即重新签发。",
    responses=errors(401, 403, 404, 409, 422),
)
def issue_code(
    user_id: Annotated[int, Path(ge=1, le=MAX_ID, description="账号编号")],
    body: Annotated[CodeIn, Body()],
    call: UserCall,
) -> Response:
    c = activation.issue_code(
        call.ctx,
        call.runtime.protector,
        user_id,
        purpose=body.purpose,
        validity=dt.timedelta(days=body.valid_days),
    )
    out = CodeOut(
        user_id=c.user_id,
        username=c.username,
        display_name=c.display_name,
        role=c.role,
        purpose=c.purpose,
        code=c.code,
        expires_at=c.expires_at,
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=201, headers=NO_STORE)


@router.post(
    "/accounts/codes.xlsx",
    response_class=Response,
    summary="为尚未激活的账号批量签发激活码并下载发放表（.xlsx）",
    description="范围：评审服务机构为全部申报人、评审专家，用人单位为本单位申报人；import_batch 限定为某次导入的账号。"
    "已有有效激活码的账号默认跳过（reissue=true 则重新签发）。响应头 X-Codes-Issued 为签发个数。",
    responses={**errors(401, 403, 422), **XLSX_RESPONSE},
)
def issue_batch(body: Annotated[BatchIn, Body()], call: UserCall) -> Response:
    codes = activation.issue_pending_codes(
        call.ctx,
        call.runtime.protector,
        import_batch=body.import_batch,
        role=body.role,
        reissue=body.reissue,
        validity=dt.timedelta(days=body.valid_days),
    )
    content = workbook_bytes([activation.code_table(codes, issued_on=call.today)])
    response = xlsx(content, f"激活码发放表-{call.today.isoformat()}.xlsx")
    response.headers["X-Codes-Issued"] = str(len(codes))
    return response


@router.get(
    "/accounts/unactivated",
    response_model=AccountList,
    summary="尚未激活的账号及其激活码状态（评审服务机构；用人单位限本单位申报人）",
    responses=errors(401, 403, 422),
)
def unactivated(
    call: UserCall,
    page: PagingDep,
    role: Annotated[Literal["applicant", "expert"] | None, Query(description="申报人或评审专家")] = None,
    import_batch: Annotated[
        str | None, Query(min_length=64, max_length=64, description="导入报告中的文件 SHA-256")
    ] = None,
) -> AccountList:
    total, rows = activation.list_unactivated(
        call.ctx, offset=page.offset, limit=page.limit, role=role, import_batch=import_batch
    )
    return AccountList(
        total=total,
        offset=page.offset,
        limit=page.limit,
        items=[
            AccountOut(
                user_id=a.user_id,
                username=a.username,
                display_name=a.display_name,
                role=a.role,
                id_number_masked=a.id_number_masked,
                unit_name=a.unit_name,
                code_state=a.code_state,
                code_expires_at=a.code_expires_at,
            )
            for a in rows
        ],
    )
