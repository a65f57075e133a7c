"""The FastAPI application: thin routers over the domain services (OpenAPI at /docs).

``create_app()`` without arguments serves the embedded SQLite database (``store.db.database_url``),
migrated on startup. Tests pass a database URL or an engine, a :class:`~zhicheng.api.deps.FixedClock`
and folders of their own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from starlette.types import ASGIApp, Receive, Scope, Send

from zhicheng import __version__, web
from zhicheng.api import applications, auth, errors, evidence, notices, oversight, policy, review, rounds
from zhicheng.api.deps import Clock, Runtime, Settings, as_clock
from zhicheng.api.errors import error_json
from zhicheng.api.schemas import ERRORS

DESCRIPTION = """
工程技术系列职称评审平台 API：标准即代码、全流程在线评审、可验证电子证书。

* 认证：`POST /api/auth/login` 取得令牌，之后带 `Authorization: Bearer <令牌>`。
* 错误一律为 `{"error": {"code", "message", "fields": [{"path", "message"}]}}`，消息为中文。
* 列表一律分页：`offset`、`limit`（最多100），返回 `{total, offset, limit, items}`。
* 改变状态的 POST 支持 `Idempotency-Key` 请求头；办理操作须带读取时的 `version`，过期返回 409。

说明文档：docs/api.md。
"""


class Health(BaseModel):
    status: str
    version: str


class BodyLimit:
    """Refuse a request whose declared body exceeds the limit before reading it (413, the one error shape)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", ()):
                if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                    response = error_json(413, "too_large", f"请求内容过大（上限 {self.limit / 1024 / 1024:.1f} MB）")
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def create_app(
    database_url: str | URL | Engine | None = None,
    clock: Clock | dt.date | Callable[[], dt.date] | None = None,
    evidence_dir: Path | str | None = None,
    *,
    settings: Settings | None = None,
) -> FastAPI:
    """The API. ``database_url`` may also be an engine (then the caller disposes of it)."""
    engine = database_url if isinstance(database_url, Engine) else None
    url = (
        None
        if engine is not None or database_url is None
        else str(database_url.render_as_string(hide_password=False) if isinstance(database_url, URL) else database_url)
    )
    settings = settings or Settings.from_env()
    overrides: dict[str, object] = {}
    if url is not None:
        overrides["database_url"] = url
    if evidence_dir is not None:
        overrides["evidence_dir"] = Path(evidence_dir)
    if overrides:
        settings = dataclasses.replace(settings, **overrides)  # type: ignore[arg-type]
    runtime = Runtime(settings, engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = runtime.engine()  # create and migrate before the first request
        yield
        runtime.close()

    app = FastAPI(
        title="zhicheng 职称评审平台 API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        responses={422: ERRORS[422]},
    )
    app.state.runtime = runtime
    app.state.engine = engine
    app.state.clock = as_clock(clock)
    errors.install(app)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + 1024 * 1024)
    for router in (
        policy.router,
        auth.router,
        rounds.router,
        applications.router,
        evidence.router,
        notices.router,
        oversight.router,
        review.router,
    ):
        app.include_router(router)

    from zhicheng.api import certificates, integrity  # acceptance, certificates, verification, integrity archive

    app.include_router(certificates.router)
    app.include_router(integrity.router)

    from zhicheng.api import excel, stats  # spreadsheets and statistics (zhicheng.exchange, zhicheng.stats)

    app.include_router(excel.router)
    app.include_router(stats.router)

    from zhicheng.api import activation  # activation and password-reset codes (zhicheng.accounts.activation)

    app.include_router(activation.router)

    web.install(app)

    @app.get("/api/health", tags=["运维 ops"], summary="健康检查", response_model=Health)
    def health() -> Health:
        return Health(status="ok", version=__version__)

    return app
