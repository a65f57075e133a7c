"""Logging in through the browser: a session cookie holding an auth token, and what every role page needs.

The cookie carries the same kind of token the API hands out (only its SHA-256 is stored, it expires and
is revoked at logout), so one place (`api.deps.authenticate`) decides who a request belongs to. The
cookie is HttpOnly, SameSite=Lax and Secure wherever the browser allows it (https, or loopback hosts,
which browsers treat as secure); forms are CSRF-checked (`web.security`).

Role pages take a ``PageCall`` (one transaction per request, read-only for GET) and start with
``call_user(call, *roles)``; posts also take ``Depends(csrf_checked)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhicheng.api import accounts
from zhicheng.api.deps import Call, SessionDep, authenticate, clock_of, runtime_of
from zhicheng.errors import DomainError, forbidden
from zhicheng.store.db import transaction
from zhicheng.store.models import Role, User
from zhicheng.web.pages import render
from zhicheng.web.security import check_csrf

SESSION_COOKIE = "zc_session"
LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")

# where each role starts; the role modules own these paths
ROLE_HOME: dict[str, str] = {
    Role.APPLICANT: "/work/applicant",
    Role.UNIT: "/work/unit",
    Role.DEPARTMENT: "/work/department",
    Role.AGENCY: "/work/agency",
    Role.EXPERT: "/work/expert",
    Role.BUREAU: "/work/bureau",
    Role.ADMIN: "/work/bureau",
}

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class PageUser:
    """What templates read of the logged-in user, copied while the request's transaction is open."""

    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    department_id: int | None

    @classmethod
    def of(cls, user: User) -> PageUser:
        return cls(user.id, user.username, user.display_name, user.role, user.unit_id, user.department_id)


class LoginRequired(Exception):
    """Raised by a page that needs a user; answered with a redirect to the login page (see web.install)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def page_call(request: Request, session: SessionDep) -> Call:
    """The request's transaction, clock and user (from the session cookie; none if absent or expired)."""
    call = Call(request, session, clock_of(request), runtime_of(request))
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            call.user, call.token = authenticate(session, token, call.now)
        except DomainError:
            call.user = None  # expired or revoked: the page asks for a login again
    # the page header reads a copy: an error page is rendered after the transaction rolled back and
    # expired the session's User
    request.state.user = None if call.user is None else PageUser.of(call.user)
    return call


PageCall = Annotated[Call, Depends(page_call)]


def user_from_cookie(request: Request) -> User | None:
    """For public pages that hold no transaction: who the session cookie belongs to, in a short read."""
    token = request.cookies.get(SESSION_COOKIE)
    runtime = getattr(request.app.state, "runtime", None)
    if not token or runtime is None:
        return None
    with transaction(runtime.engine(), readonly=True) as session:
        try:
            user, _ = authenticate(session, token, clock_of(request).now())
        except DomainError:
            return None
        session.expunge(user)
        return user


def call_user(call: Call, *roles: str) -> User:
    """The logged-in user, if their role is one of ``roles`` (any role when none are named)."""
    if call.user is None:
        path = call.request.url.path
        query = call.request.url.query
        raise LoginRequired(path + ("?" + query if query else ""))
    if roles and call.user.role not in roles:
        raise forbidden("您的账号角色无权访问此页面")
    return call.user


async def csrf_checked(request: Request) -> None:
    if not await check_csrf(request):
        raise DomainError(403, "csrf", "页面已过期或来源不明，请刷新页面后重试")


CsrfChecked = Depends(csrf_checked)


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or (request.url.hostname or "") in LOOPBACK


def safe_next(value: str | None) -> str:
    """Only a local path may follow a login (no open redirect to another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or urlsplit(value).netloc:
        return "/work"
    return value


def _demo(request: Request) -> str | None:
    return getattr(request.app.state, "demo_password", None)


def login_redirect(request: Request, exc: LoginRequired) -> Response:
    return RedirectResponse("/login?next=" + quote(exc.next_path, safe="/"), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, call: PageCall, next: str = "/work") -> Response:
    if call.user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", next=safe_next(next), username="", error=None, demo_password=_demo(request))


@router.post("/login", response_class=HTMLResponse, dependencies=[CsrfChecked])
def login_submit(
    request: Request,
    call: PageCall,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "/work",
) -> Response:
    problems = [
        (f, m) for f, v, m in (("username", username, "请填写用户名"), ("password", password, "请填写密码")) if not v
    ]
    if problems:
        return render(
            request, "login.html", 422, next=safe_next(next), username=username, error="；".join(m for _, m in problems)
        )
    try:
        token, _row, user = accounts.login(call.session, call.runtime.settings, call.now, username, password)
    except accounts.LoginRefused as exc:  # rendered, not raised: the failure count must be committed
        return render(
            request,
            "login.html",
            exc.status,
            next=safe_next(next),
            username=username,
            error=exc.message,
            not_activated=exc.code == "account_not_activated",
        )
    target = safe_next(next)
    response = RedirectResponse(ROLE_HOME.get(user.role, "/") if target == "/work" else target, status_code=303)
    max_age = int(call.runtime.settings.token_lifetime.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure_cookies(request), path="/"
    )
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(call: PageCall) -> Response:
    if call.token is not None:
        accounts.logout(call.token, call.now)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/work")
def workbench(call: PageCall) -> Response:
    user = call_user(call)
    return RedirectResponse(ROLE_HOME.get(user.role, "/"), status_code=303)
