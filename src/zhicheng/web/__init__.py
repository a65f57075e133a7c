"""Server-rendered pages (Jinja2 + htmx): Chinese first, English second; no front-end build step."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the pages, their static files and the security headers on the application."""
    from zhicheng.web import pages, session
    from zhicheng.web.security import SecurityHeaders

    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(session.router)
    # role pages: one module and router per role (web/<role>.py), each registered here
    from zhicheng.web import applicant, notices, unit

    app.include_router(applicant.router)
    app.include_router(unit.router)
    app.include_router(notices.router)
    from zhicheng.web import agency, bureau, expert, verify

    app.include_router(agency.router)
    app.include_router(expert.router)
    app.include_router(bureau.router)
    app.include_router(verify.router)
    from zhicheng.web import activation  # /activate and the agency's /work/agency/accounts

    app.include_router(activation.router)
    app.add_exception_handler(session.LoginRequired, session.login_redirect)  # type: ignore[arg-type]
    app.state.render_error = pages.render_error  # browser paths get an HTML page, /api keeps JSON
