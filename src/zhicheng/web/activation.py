"""Account activation pages: the public /activate page (激活账户、忘记密码 with a code) and the agency's
/work/agency/accounts page (accounts still without a password; issue a code for one account; issue and
download codes for all of them).  Thin: each post is one call of zhicheng.accounts.activation.

A wrong code is *rendered*, not raised: the failure count and the lock-out must be committed with the page,
as on the login page.  A page that shows a code is sent with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from zhicheng.accounts import activation
from zhicheng.api.deps import Call
from zhicheng.api.excel import xlsx
from zhicheng.errors import DomainError, invalid
from zhicheng.exchange.sheets import workbook_bytes
from zhicheng.store.models import Role
from zhicheng.web import forms
from zhicheng.web.agency import BASE, NAV
from zhicheng.web.pages import render
from zhicheng.web.session import CsrfChecked, PageCall, call_user
from zhicheng.web.staff import FormFields, Offset, Outcome, Pager, attempt, flash

router = APIRouter(include_in_schema=False)
PAGE = f"{BASE}/accounts"
PAGE_SIZE = 20
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
LABELS = {
    "account": "用户名或身份证号",
    "code": "激活码",
    "password": "新密码",
    "password2": "确认新密码",
}
CODE_STATES = {"none": "未签发", "pending": "有效", "expired": "已过期"}
ROLE_LABELS = activation.ROLE_LABELS


# ================================================================= public: /activate
@router.get("/activate", response_class=HTMLResponse)
def activate_page(request: Request, call: PageCall, reset: int = 0) -> Response:
    return render(request, "accounts/activate.html", f={}, errors={}, reset=bool(reset))


@router.post("/activate", response_class=HTMLResponse, dependencies=[CsrfChecked])
def activate_submit(request: Request, call: PageCall, f: forms.FormFields) -> Response:
    errors: dict[str, str] = {}
    values = {
        name: forms.text(f, name, limit, errors, LABELS[name])
        for name, limit in (("account", 64), ("code", 32), ("password", 256), ("password2", 256))
    }
    reset = f.get("reset") == "1"
    kept = {"account": values["account"].strip()}  # never echo a password or the code
    if values["password"] != values["password2"]:
        errors["password2"] = "确认新密码：两次输入的密码不一致"
    if errors:
        return render(request, "accounts/activate.html", 422, f=kept, errors=errors, reset=reset)
    s = call.runtime.settings
    try:
        done = activation.activate(
            call.session,
            call.runtime.protector,
            call.now,
            account=values["account"],
            code=values["code"],
            password=values["password"],
            lockout=activation.Lockout(s.max_failed_logins, s.lockout),
        )
    except DomainError as exc:  # refusals are rendered, so a wrong code's count is committed with the page
        errors = forms.field_errors(exc, LABELS)
        if isinstance(exc, activation.ActivationRefused) or exc.code.startswith("code_"):
            errors = {"_": exc.message} | {k: v for k, v in errors.items() if k != "_" and k != "code"}
        return render(request, "accounts/activate.html", exc.status, f=kept, errors=errors, reset=reset)
    response = render(request, "accounts/activated.html", done=done)
    response.headers.update(NO_STORE)
    return response


# ================================================================= agency: /work/agency/accounts
def _staff(call: Call) -> None:
    call_user(call, Role.AGENCY)


def _accounts_page(
    call: Call, offset: int = 0, f: dict[str, str] | None = None, out: Outcome | None = None, **extra: Any
) -> HTMLResponse:
    total, rows = activation.list_unactivated(call.ctx, offset=offset, limit=PAGE_SIZE)
    response = render(
        call.request,
        "accounts/agency.html",
        out.status if out else 200,
        nav=NAV,
        flash=flash(call.request),
        base=BASE,
        rows=rows,
        total=total,
        pager=Pager(PAGE, offset, PAGE_SIZE, total),
        states=CODE_STATES,
        roles=ROLE_LABELS,
        purposes={"": "按账号状态自动确定", **activation.PURPOSE_NAMES},
        local=forms.local,
        default_days=activation.DEFAULT_VALIDITY.days,
        max_days=activation.MAX_VALIDITY_DAYS,
        f=f or {},
        out=out,
        **extra,
    )
    response.headers.update(NO_STORE)
    return response


def _days(form: Any) -> dt.timedelta:
    days = form.integer("valid_days", "有效期（天）", required=False)
    return dt.timedelta(days=activation.DEFAULT_VALIDITY.days if days is None else days)


@router.get(PAGE, response_class=HTMLResponse)
def accounts(call: PageCall, offset: Offset = 0) -> HTMLResponse:
    _staff(call)
    return _accounts_page(call, offset)


@router.post(f"{PAGE}/code", response_class=HTMLResponse, dependencies=[CsrfChecked])
def issue_one(call: PageCall, form: FormFields) -> Response:
    """One account, by its id (the list's buttons) or by username / ID number (the lookup form)."""
    _staff(call)

    def run() -> activation.IssuedCode:
        user_id = form.integer("user_id", "账号编号", required=False)
        if user_id is None:
            account = form.get("account")
            if not account:
                raise invalid("account", "请填写用户名或身份证号")
            user = activation.find_account(call.session, call.runtime.protector, account)
            if user is None:
                raise invalid("account", "平台上没有这个用户名或身份证号的账号")
            user_id = user.id
        return activation.issue_code(
            call.ctx, call.runtime.protector, user_id, purpose=form.get("purpose") or None, validity=_days(form)
        )

    out = attempt(call, run)
    if not out.ok:
        return _accounts_page(call, 0, form.values(), out)
    return _accounts_page(call, 0, {}, None, issued=out.value)


@router.post(f"{PAGE}/codes.xlsx", dependencies=[CsrfChecked])
def issue_all(call: PageCall, form: FormFields) -> Response:
    _staff(call)

    def run() -> list[activation.IssuedCode]:
        return activation.issue_pending_codes(
            call.ctx,
            call.runtime.protector,
            import_batch=form.get("import_batch") or None,
            role=form.get("role") or None,
            reissue=form.flag("reissue"),
            validity=_days(form),
        )

    out = attempt(call, run)
    if not out.ok:
        return _accounts_page(call, 0, form.values(), out)
    content = workbook_bytes([activation.code_table(out.value, issued_on=call.today)])
    response = xlsx(content, f"激活码发放表-{call.today.isoformat()}.xlsx")
    response.headers["X-Codes-Issued"] = str(len(out.value))
    return response
