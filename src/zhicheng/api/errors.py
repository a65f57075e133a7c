"""One error shape for the whole API: {"error": {"code", "message", "fields": [{"path", "message"}]}}.

Every refusal reaches the client in this shape with a Chinese message: the domain's `DomainError`
(401, 403, 404, 409, 413, 422 …), request validation (422, one field error per problem), routing and
method errors from Starlette (404, 405), a unique-constraint race (409) and anything unexpected (500,
without internals).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhicheng.errors import DomainError
from zhicheng.policy.messages import translate_errors

logger = logging.getLogger(__name__)


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

_DESCRIPTIONS = {
    401: "未登录，或令牌无效、已过期、已注销",
    403: "无权进行此操作",
    404: "不存在或无权查看",
    409: "状态已变化（版本过期）或与现有数据冲突",
    413: "上传内容过大",
    422: "输入有误（逐字段列出原因）",
    415: "不支持的内容类型",
    429: "登录失败次数过多，账号暂时锁定",
}

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text} for code, text in _DESCRIPTIONS.items()
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error responses of an operation (always in the one error shape)."""
    return {code: ERRORS[code] for code in codes}


class HeaderError(DomainError):
    """A refusal that must carry response headers (``WWW-Authenticate`` on 401, ``Retry-After`` on 429)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, code, message, fields)
        self.headers = dict(headers or {})


def unauthenticated(message: str = "请先登录") -> HeaderError:
    return HeaderError(401, "unauthenticated", message, headers={"WWW-Authenticate": "Bearer"})


def error_json(
    status: int,
    code: str,
    message: str,
    fields: list[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "error": {"code": code, "message": message, "fields": [{"path": p, "message": m} for p, m in fields or []]}
    }
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


def domain_error_response(exc: DomainError) -> JSONResponse:
    return error_json(exc.status, exc.code, exc.message, exc.fields, getattr(exc, "headers", None))


_HTTP_MESSAGES = {
    400: "请求格式有误",
    401: "请先登录",
    403: "无权进行此操作",
    404: "未找到",
    405: "不支持的请求方法",
    409: "状态已变化，请刷新后重试",
    413: "上传内容过大",
    415: "不支持的内容类型",
    429: "请求过于频繁，请稍后再试",
}

# pydantic error types the shared translator (policy.messages) leaves in English
_EXTRA_MESSAGES = {
    "json_invalid": "请求体不是有效的 JSON",
    "json_type": "请求体应为 JSON",
    "model_attributes_type": "应为对象",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "too_long": "项目过多（最多 {max_length} 项）",
    "too_short": "至少需要 {min_length} 项",
    "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "datetime_type": "时间格式应为 ISO 8601",
    "union_tag_invalid": "取值无效",
    "string_unicode": "应为文本",
    "bytes_type": "应为文件",
}


def translate_request_errors(errors: Sequence[Any]) -> list[tuple[str, str]]:
    """(path, Chinese message) for each request validation error; request locations are dropped."""
    out: list[tuple[str, str]] = []
    for err in errors:
        template = _EXTRA_MESSAGES.get(err.get("type", ""))
        if template is None:
            out.extend(translate_errors([err], skip=("body", "query", "path", "header", "form")))
            continue
        (path, _), *_ = translate_errors([err], skip=("body", "query", "path", "header", "form"))
        ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
        try:
            message = template.format(**ctx)
        except (KeyError, IndexError):
            message = template.split("{")[0] or "输入有误"
        if err.get("type") in ("json_invalid", "json_type"):
            path = "(请求体)"
        out.append((path, message))
    return out


def _page_error(request: Request, status: int, message: str) -> Response | None:
    """An HTML page for a browser path when the web pages are installed (``app.state.render_error``)."""
    render = getattr(request.app.state, "render_error", None)
    if render is None or request.url.path.startswith(("/api/", "/docs", "/openapi", "/redoc")):
        return None
    response: Response = render(request, status, message)
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        return _page_error(request, exc.status, exc.message) or domain_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        fields = translate_request_errors(exc.errors())
        message = "输入有误：" + "；".join(f"{p}：{m}" for p, m in fields[:5])
        return _page_error(request, 422, message) or error_json(422, "invalid_input", message, fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = (
            exc.detail
            if isinstance(exc.detail, str) and exc.status_code not in _HTTP_MESSAGES
            else _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        )
        page = _page_error(request, exc.status_code, message)
        return page or error_json(exc.status_code, f"http_{exc.status_code}", message, headers=exc.headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        # a uniqueness race two requests lost against each other; the transaction was rolled back
        logger.info("integrity error mapped to 409: %s", exc.orig)
        return error_json(409, "conflict", "数据已被其他请求修改或重复提交，请刷新后重试")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error", exc_info=exc)
        message = "服务器内部错误，请稍后重试；如持续出现请联系管理员"
        return _page_error(request, 500, message) or error_json(
            500, "internal_error", "服务器内部错误，请稍后重试；如持续出现请联系管理员"
        )
