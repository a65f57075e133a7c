"""One error shape for the whole API: {"error": {"code", "message", "fields": [{"path", "message"}]}}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhicheng.errors import DomainError
from zhicheng.policy.messages import translate_errors


class FieldError(BaseModel):
    path: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[FieldError] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


ApiError = DomainError  # the API raises the same refusal type as the services


def error_json(status: int, code: str, message: str, fields: list[tuple[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "error": {"code": code, "message": message, "fields": [{"path": p, "message": m} for p, m in fields or []]}
    }
    return JSONResponse(body, status_code=status)


_HTTP_MESSAGES = {
    401: "请先登录",
    403: "无权进行此操作",
    404: "未找到",
    405: "不支持的请求方法",
    409: "状态已变化，请刷新后重试",
    413: "上传内容过大",
    415: "不支持的内容类型",
    429: "请求过于频繁，请稍后再试",
}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_json(exc.status, exc.code, exc.message, exc.fields)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = translate_errors(exc.errors(), skip=("body", "query", "path", "header"))
        return error_json(422, "invalid_input", "输入有误：" + "；".join(f"{p}：{m}" for p, m in fields[:5]), fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = (
            exc.detail
            if isinstance(exc.detail, str) and exc.status_code not in _HTTP_MESSAGES
            else _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        )
        return error_json(exc.status_code, f"http_{exc.status_code}", message)
