"""Public certificate verification (证书查验, /verify): the certificate number and holder's name in a form
(the name travels in the POST body, never in an address), or the QR link ``/verify/<number>?t=<token>``.

The answer comes from ``certificates.public``: the stored signed certificate really verified against the
published keys and the signed status list; the minimum of fields; every look-up logged for the holder and
rate-limited per client address. A wrong name or token reads exactly like an unknown number.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from zhicheng.api.certificates import client_of, trust_of
from zhicheng.api.deps import Call, locks_rows
from zhicheng.certificates import public
from zhicheng.errors import DomainError
from zhicheng.web.pages import render
from zhicheng.web.session import CsrfChecked, PageCall
from zhicheng.web.staff import FormFields, Outcome, attempt

router = APIRouter(prefix="/verify", include_in_schema=False)
OUTCOMES = {
    "valid": "证书有效",
    "suspended": "证书已暂停（核查期间）",
    "revoked": "证书已撤销",
    "not_found": "未找到相符的证书",
    "invalid": "证书数据校验失败",
}
NO_STORE = {"Cache-Control": "no-store"}


def _form(call: Call, number: str = "", name: str = "", out: Outcome | None = None) -> HTMLResponse:
    response = render(
        call.request, "verify/form.html", out.status if out else 200, f={"number": number, "name": name}, out=out
    )
    if out and out.error is not None:
        response.headers.update(getattr(out.error, "headers", {}))
    response.headers.update(NO_STORE)
    return response


def _result(call: Call, answer: public.PublicVerification) -> HTMLResponse:
    response = render(call.request, "verify/result.html", a=answer, outcomes=OUTCOMES)
    response.headers.update(NO_STORE)
    return response


@router.get("", response_class=HTMLResponse)
def verify_form(call: PageCall, number: Annotated[str, Query(max_length=32)] = "") -> HTMLResponse:
    return _form(call, number.strip().upper())


@router.post("", response_class=HTMLResponse, dependencies=[CsrfChecked])
def verify_by_name(call: PageCall, form: FormFields) -> HTMLResponse:
    number, name = form.get("number")[:32], form.get("name")[:50]
    if not number or not name:
        return _form(call, number, name, Outcome(error=_missing(number, name)))
    trust = trust_of(call)
    out = attempt(
        call,
        lambda: public.verify_by_name(
            call.session, trust, number=number, name=name, client=client_of(call, trust), now=call.now
        ),
    )
    if not out.ok:
        return _form(call, number, name, out)
    return _result(call, out.value)


@router.get("/{number}", response_class=HTMLResponse)
@locks_rows  # a look-up writes the holder's log and the rate-limit counter
def verify_by_link(number: str, call: PageCall, t: Annotated[str, Query(max_length=64)] = "") -> HTMLResponse:
    number = number.strip().upper()[:32]
    if not t.strip():  # a typed-in address without the QR token: ask for the name instead
        return _form(call, number)
    trust = trust_of(call)
    out = attempt(
        call,
        lambda: public.verify_by_link(
            call.session, trust, number=number, token=t, client=client_of(call, trust), now=call.now
        ),
    )
    if not out.ok:
        return _form(call, number, "", out)
    return _result(call, out.value)


def _missing(number: str, name: str) -> DomainError:
    fields = [
        (f, f"请填写{label}") for f, v, label in (("number", number, "证书编号"), ("name", name, "姓名")) if not v
    ]
    return DomainError(422, "invalid_input", "；".join(m for _, m in fields), fields)
