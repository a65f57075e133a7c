"""What the role pages share for forms: the posted fields, one service call per savepoint, field errors,
and pages of a list.

A page that shows a refusal next to the form (instead of the error page) must not keep half of what the
refused call did: ``attempt`` runs the call in a savepoint that is rolled back on ``DomainError``, so the
request's transaction commits nothing of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from zhicheng.api.deps import BEIJING, MAX_OFFSET, Paging
from zhicheng.errors import DomainError

T = TypeVar("T")
PAGE_SIZE = 20


async def form_fields(request: Request) -> dict[str, str]:
    """The text fields of a posted form (files are read by the endpoint from ``request.form()``)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(form_fields)]


def attempt(session: Session, fn: Callable[[], T]) -> tuple[T | None, DomainError | None]:
    """Run one service call in a savepoint: (result, None), or (None, the refusal) with its changes undone."""
    try:
        with session.begin_nested():
            return fn(), None
    except DomainError as exc:
        return None, exc


def text(f: dict[str, str], name: str, limit: int, errors: dict[str, str], label: str) -> str:
    """A text field, refused (not cut) when too long or holding NUL, which the databases cannot store."""
    value = f.get(name, "")
    if len(value) > limit:
        errors[name] = f"{label}：过长（最多{limit}字）"
    elif "\x00" in value:
        errors[name] = f"{label}：不能包含空字符"
    return value


def field_errors(exc: DomainError, labels: dict[str, str] | None = None) -> dict[str, str]:
    """{form field: "中文字段名：原因"} from a refusal's field list (the message alone when it has none)."""
    labels = labels or {}
    if not exc.fields:
        return {"_": exc.message}
    # a refusal of its own (not plain input checking) says more than its fields: show it first
    out: dict[str, str] = {} if exc.code in ("invalid_input", "invalid_profile") else {"_": exc.message}
    for path, message in exc.fields:
        label = labels.get(path, path)
        out[path] = (out[path] + "；" if path in out else f"{label}：") + message
    return out


def paging(page: int) -> Paging:
    page = max(1, page)
    return Paging(min((page - 1) * PAGE_SIZE, MAX_OFFSET), PAGE_SIZE)


def pages(total: int, page: int) -> dict[str, Any]:
    """What the pager of a list shows: this page, the last page, and whether there are others."""
    last = max(1, -(-total // PAGE_SIZE))
    return {"page": min(max(1, page), last), "last": last, "total": total}


async def form_file(request: Request) -> UploadFile | None:
    """The posted ``file`` field, if it is a file (read by the endpoint with a size limit)."""
    value = (await request.form()).get("file")
    return value if isinstance(value, UploadFile) else None


FormFile = Annotated[UploadFile | None, Depends(form_file)]


def local(moment: dt.datetime | None) -> str:
    """A stored instant (UTC) as Beijing time, to the minute."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if moment else ""
