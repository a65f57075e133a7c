"""The FastAPI application: thin routers over the domain services (OpenAPI at /docs)."""

from __future__ import annotations

from fastapi import FastAPI

from zhicheng import __version__
from zhicheng.api import errors, policy


def create_app() -> FastAPI:
    app = FastAPI(
        title="zhicheng 职称评审平台 API",
        version=__version__,
        description="工程技术系列职称评审：标准即代码、全流程在线评审、可验证电子证书。错误一律为 "
        '`{"error": {"code", "message", "fields": [{"path", "message"}]}}`，消息为中文。',
    )
    errors.install(app)
    app.include_router(policy.router)

    @app.get("/api/health", tags=["运维 ops"], summary="健康检查")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
