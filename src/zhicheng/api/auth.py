"""Accounts: real-name registration, login and logout, the current user, and the admin's staff accounts,
units and departments. Thin: each endpoint calls one operation in api/accounts.py."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from zhicheng.api import accounts
from zhicheng.api.deps import DbId, IdempotencyKey, PublicCall, Text, Text64, Text100, Text200, UserCall
from zhicheng.api.errors import domain_error_response, unauthenticated
from zhicheng.api.schemas import In, Me, errors, me_of

router = APIRouter(prefix="/api", tags=["账号与登录 auth"])


class RegisterIn(In):
    username: Text64 = Field(description="用户名：3–64个字母、数字、下划线、点或连字符", examples=["zhangsan"])
    password: Annotated[Text, Field(max_length=256, description="至少10位，含大写、小写、数字、符号中至少3类")]
    display_name: Text100 = Field(description="姓名（与身份证一致）", examples=["张三"])
    id_number: Annotated[Text, Field(max_length=32, description="18位居民身份证号码；只保存密文、盲索引和脱敏号")]
    unit_uscc: Annotated[Text, Field(max_length=32)] | None = Field(
        None, description="所在用人单位的统一社会信用代码（单位须已在平台登记）"
    )


class LoginIn(In):
    username: Text64
    password: Annotated[Text, Field(max_length=256)]


class LoginOut(BaseModel):
    token: str = Field(description="令牌：之后的请求带上 `Authorization: Bearer <令牌>`")
    token_type: str = "bearer"
    expires_at: dt.datetime
    user: Me


class StaffIn(In):
    username: Text64
    password: Annotated[Text, Field(max_length=256)]
    display_name: Text100
    role: Text64 = Field(description="unit、department、agency、expert、bureau 或 admin")
    unit_uscc: Annotated[Text, Field(max_length=32)] | None = Field(None, description="用人单位账号所属单位")
    department_id: DbId | None = Field(None, description="主管部门账号所属部门")


class UnitIn(In):
    name: Text200
    uscc: Annotated[Text, Field(max_length=32, description="统一社会信用代码（GB 32100-2015，含校验位）")]
    department_id: DbId | None = Field(None, description="主管部门（青岛程序）")


class UnitOut(BaseModel):
    id: int
    name: str
    uscc: str
    department_id: int | None


class DepartmentIn(In):
    name: Text200


class DepartmentOut(BaseModel):
    id: int
    name: str


@router.post(
    "/auth/register",
    status_code=201,
    response_model=Me,
    summary="申报人实名注册",
    description="身份证号校验（校验码、出生日期），加密保存并建立盲索引，只返回脱敏号码。",
    responses=errors(409, 422),
)
def register(body: Annotated[RegisterIn, Body()], call: PublicCall) -> Me:
    user = accounts.register_applicant(
        call.session,
        call.runtime.protector,
        call.today,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        id_number=body.id_number,
        unit_uscc=body.unit_uscc,
    )
    return me_of(call.session, user)


@router.post(
    "/auth/login",
    response_model=LoginOut,
    summary="登录，取得令牌",
    description="连续5次密码错误锁定15分钟（提示解锁时间）。用户不存在与密码错误的提示相同。"
    "导入的账号尚未设置密码时返回 403 account_not_activated（凭激活码在 POST /api/auth/activate 激活）。",
    responses=errors(401, 403, 422, 429),
)
def login(body: Annotated[LoginIn, Body()], call: PublicCall) -> Response:
    try:
        token, row, user = accounts.login(call.session, call.runtime.settings, call.now, body.username, body.password)
    except accounts.LoginRefused as exc:
        return domain_error_response(exc)  # answered, not raised: the failure count is committed
    out = LoginOut(token=token, expires_at=row.expires_at, user=me_of(call.session, user))
    return JSONResponse(out.model_dump(mode="json"))


@router.post(
    "/auth/logout",
    status_code=204,
    response_class=Response,
    summary="退出登录（注销当前令牌）",
    responses=errors(401),
)
def logout(call: UserCall) -> Response:
    if call.token is None:  # pragma: no cover - UserCall always has one
        raise unauthenticated()
    accounts.logout(call.token, call.now)
    return Response(status_code=204)


@router.get("/me", response_model=Me, summary="当前用户（身份证号只显示脱敏形式）", responses=errors(401))
def me(call: UserCall) -> Me:
    assert call.user is not None
    return me_of(call.session, call.user)


@router.post(
    "/users",
    status_code=201,
    response_model=Me,
    summary="创建工作人员账号（系统管理员）",
    responses=errors(401, 403, 409, 422),
)
def create_user(body: Annotated[StaffIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> Me:
        user = accounts.create_staff(
            call.ctx,
            username=body.username,
            password=body.password,
            display_name=body.display_name,
            role=body.role,
            unit_uscc=body.unit_uscc,
            department_id=body.department_id,
        )
        return me_of(call.session, user)

    # the password stays out of the stored request hash (a fast hash of it could be brute-forced)
    fingerprint = body.model_dump(mode="json", exclude={"password"})
    return call.reply(produce, status_code=201, key=key, request_body=fingerprint)


@router.post(
    "/units",
    status_code=201,
    response_model=UnitOut,
    summary="登记用人单位（系统管理员）",
    responses=errors(401, 403, 409, 422),
)
def create_unit(body: Annotated[UnitIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> UnitOut:
        unit = accounts.create_unit(call.ctx, name=body.name, uscc=body.uscc, department_id=body.department_id)
        return UnitOut(id=unit.id, name=unit.name, uscc=unit.uscc, department_id=unit.department_id)

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))


@router.post(
    "/departments",
    status_code=201,
    response_model=DepartmentOut,
    summary="登记主管部门（系统管理员）",
    responses=errors(401, 403, 409, 422),
)
def create_department(body: Annotated[DepartmentIn, Body()], call: UserCall, key: IdempotencyKey = None) -> Response:
    def produce() -> DepartmentOut:
        dept = accounts.create_department(call.ctx, name=body.name)
        return DepartmentOut(id=dept.id, name=dept.name)

    return call.reply(produce, status_code=201, key=key, request_body=body.model_dump(mode="json"))
