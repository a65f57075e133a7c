"""What the staff pages (agency, expert, bureau) share: form fields, one service call in a savepoint,
paging, flash messages and labels for the review enumerations.

A post runs the service inside ``attempt``: a savepoint of the request's transaction, so a refusal
rolls back everything the service began and the page can be shown again with the message and the
user's input (status of the refusal); success redirects (303) to a page with a fixed flash message.
No rule lives here: permissions are the services' and ``Rights``/``ReviewRights``' business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from zhicheng.api.deps import MAX_ID, MAX_OFFSET, Call
from zhicheng.errors import DomainError, invalid
from zhicheng.review.service import CHOICE_NAMES, KIND_NAMES

T = TypeVar("T")

MEETING_STATUS = {"draft": "拟定议程", "assigned": "已抽取专家", "open": "会议进行中", "closed": "已结束"}
ITEM_STATUS = {"pending": "待表决", "voting": "投票中", "decided": "已表决"}
CONFLICT_KINDS = KIND_NAMES
CONFLICT_SOURCES = {"declared": "专家申报", "detected": "系统发现", "agency": "机构登记"}
CONFLICT_STATUS = {"active": "有效", "dismissed": "已撤销"}
THRESHOLDS = {"inclusive": "三分之二以上（含本数）", "exclusive": "三分之二（不含）以上"}
ORGANISED_BY = {"series": "按系列组建", "specialty": "按专业组建"}
CHOICES = CHOICE_NAMES
OBJECTION_STATUS = {"open": "待处理", "upheld": "属实", "dismissed": "不属实"}
ROUND_KINDS = {"annual": "年度评审", "special": "专项评审"}
ROUND_STATUS = {"draft": "草稿", "open": "开放", "closed": "已结束"}
PAGE_SIZE = 20


# ---------------------------------------------------------------- form fields
class Fields:
    """The posted form, read as text; typed readers raise a ``DomainError`` naming the field."""

    def __init__(self, form: FormData) -> None:
        self.form = form

    def get(self, key: str, default: str = "") -> str:
        value = self.form.get(key)
        return value.strip() if isinstance(value, str) else default

    def raw(self, key: str) -> str:
        """Unstripped text (opinions, notes keep their line breaks; services strip them)."""
        value = self.form.get(key)
        return value if isinstance(value, str) else ""

    def many(self, key: str) -> list[str]:
        return [v.strip() for v in self.form.getlist(key) if isinstance(v, str) and v.strip()]

    def flag(self, key: str) -> bool:
        return self.get(key) in ("1", "on", "true", "yes")

    def integer(self, key: str, label: str, *, required: bool = True) -> int | None:
        text = self.get(key)
        if not text and not required:
            return None
        try:
            value = int(text)
        except ValueError:
            raise invalid(key, f"{label}应为整数") from None
        if not -MAX_ID <= value <= MAX_ID:
            raise invalid(key, f"{label}超出范围")
        return value

    def need_int(self, key: str, label: str) -> int:
        value = self.integer(key, label)
        assert value is not None
        return value

    def ids(self, key: str, label: str) -> list[int]:
        out = []
        for text in self.many(key):
            if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
                raise invalid(key, f"{label}编号无效")
            out.append(int(text))
        return out

    def date(self, key: str, label: str, *, required: bool = True) -> dt.date | None:
        text = self.get(key)
        if not text:
            if required:
                raise invalid(key, f"请填写{label}")
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise invalid(key, f"{label}格式应为 YYYY-MM-DD") from None

    def need_date(self, key: str, label: str) -> dt.date:
        value = self.date(key, label)
        assert value is not None
        return value

    def values(self) -> dict[str, str]:
        """Every text field (for showing the form again after a refusal); the CSRF token is not echoed."""
        return {k: v for k, v in self.form.items() if isinstance(v, str) and k != "_csrf"}


async def form_fields(request: Request) -> Fields:
    return Fields(await request.form())  # Starlette caches the parsed form; CsrfChecked read it first


FormFields = Annotated[Fields, Depends(form_fields)]


# ---------------------------------------------------------------- one service call, all or nothing
@dataclass
class Outcome:
    """The result of ``attempt``: the value, or the refusal to show on the page again."""

    value: Any = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int:
        return self.error.status if self.error else 200

    @property
    def fields(self) -> set[str]:
        """Names of the form fields the refusal names (their first path segment), to mark them."""
        if self.error is None:
            return set()
        return {p.split("[")[0].split(".")[0] for p, _ in self.error.fields}


def attempt(call: Call, fn: Callable[[], T]) -> Outcome:
    """Run ``fn`` in a savepoint: a refusal rolls back exactly what it started, the page goes on."""
    try:
        with call.session.begin_nested():
            return Outcome(fn())
    except DomainError as exc:
        return Outcome(error=exc)


def done(path: str, ok: str, **query: Any) -> RedirectResponse:
    """Post/redirect/get: back to ``path`` with a fixed flash message key (never free text)."""
    params = {k: v for k, v in query.items() if v not in (None, "")} | {"ok": ok}
    return RedirectResponse(f"{path}?{urlencode(params)}", status_code=303)


FLASH = {
    "round_opened": "评审轮次已发布。",
    "accepted": "资格审核通过，已转入评委会评审环节。",
    "correction_sent": "一次性告知补正通知已发出，申报人可在期限内补正。",
    "acted": "已办理。",
    "committee_registered": "评审委员会已登记。",
    "filing_recorded": "核准备案已登记。",
    "expert_registered": "评审专家已登记。",
    "pool_added": "已加入专家库。",
    "pool_removed": "已移出专家库。",
    "meeting_created": "评审会议已安排。",
    "agenda_added": "已列入议程。",
    "draw_committed": "专家抽取结果已确认，评议组已组成。",
    "conflicts_detected": "回避关系检测完成。",
    "conflict_dismissed": "回避关系已撤销，理由已记录。",
    "conflict_recorded": "回避关系已登记。",
    "meeting_opened": "会议已开始，专家可以签到。",
    "checked_in": "已签到。",
    "interview_recorded": "面试答辩情况已登记。",
    "ballot_opened": "投票已开始。",
    "ballot_closed": "投票已结束，计票结果已记录。",
    "ballot_cancelled": "本次投票已取消，可重新表决。",
    "meeting_closed": "会议已结束，会议记录已归档。",
    "objection_decided": "异议处理结论已记录。",
    "declared": "回避申报已提交。",
    "scored": "评分和书面评议意见已保存。",
    "voted": "您的选票已投入票箱并计入本次表决。票面与您的身份不作任何关联，系统也不保存投票时间。",
    "accepted_results": "验收已登记，评审结果公示已开始。",
    "certificates_issued": "证书已签发。",
    "integrity_recorded": "诚信档案已登记。",
    "revoked": "已撤销。",
}


def flash(request: Request) -> str | None:
    return FLASH.get(request.query_params.get("ok", ""))


# ---------------------------------------------------------------- paging
@dataclass(frozen=True)
class Pager:
    """One page of a list: ``offset``/``limit``, the total and links that keep the filters."""

    path: str
    offset: int
    limit: int
    total: int = 0
    query: dict[str, str] = field(default_factory=dict)

    def link(self, offset: int) -> str:
        params = {k: v for k, v in self.query.items() if v} | {"offset": str(max(0, offset))}
        return f"{self.path}?{urlencode(params)}"

    @property
    def prev(self) -> str | None:
        return self.link(self.offset - self.limit) if self.offset > 0 else None

    @property
    def next(self) -> str | None:
        return self.link(self.offset + self.limit) if self.offset + self.limit < self.total else None

    @property
    def first(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.limit, self.total)


Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
