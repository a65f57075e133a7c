"""节假日安排的数据模型：一年一份，对应国务院办公厅的一份通知。

Validation lives here so that every way in (YAML/JSON file, database row, code)
obeys the same rules; messages are Chinese and name the offending field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = ["CalendarSource", "CalendarYear", "HolidayRange", "Problem"]

#: (字段路径, 中文原因)，例如 ("makeup_workdays[1]", "2027-02-03 不是周末，不能作为调休上班日")
Problem = tuple[str, str]

#: pydantic error type for one rule broken at the error's own loc (ctx: reason).
RULE_ERROR = "calendar_rule"
#: pydantic error type for year-level rules; ctx["problems"] holds (path, reason) pairs relative to the year.
RULES_ERROR = "calendar_rules"


def _only_date_or_text(value: object) -> object:
    """Refuse numbers: pydantic would otherwise read 20270101 as a Unix timestamp."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(RULE_ERROR, "{reason}", {"reason": f"{value} 不是日期，应写作 YYYY-MM-DD"})
    return value


Day = Annotated[date, BeforeValidator(_only_date_or_text)]
Text = Annotated[str, Field(min_length=1), BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HolidayRange(_Frozen):
    """一段连续放假日期（含首尾两天），如 春节 2026-02-15 至 2026-02-23。"""

    name: Text
    start: Day
    end: Day

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise PydanticCustomError(
                RULE_ERROR, "{reason}", {"reason": f"结束日期 {end} 早于开始日期 {start}"}
            )
        return end

    def days(self) -> list[date]:
        """All dates of the range, both ends included."""
        return [date.fromordinal(o) for o in range(self.start.toordinal(), self.end.toordinal() + 1)]

    def label(self) -> str:
        """E.g. 春节（2026-02-15至2026-02-23）, for messages."""
        return f"{self.name}（{self.start}至{self.end}）"

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.start <= d <= self.end


class CalendarSource(_Frozen):
    """数据出处：国务院办公厅关于某年部分节假日安排的通知。"""

    title: Text
    doc_no: Text = Field(description="文号，如 国办发明电〔2025〕7号")
    published: Day
    url: str | None = None


class CalendarYear(_Frozen):
    """某一年的全部放假安排与调休上班日（周末上班）。"""

    year: int = Field(ge=1949, le=2100, strict=True)  # strict: refuse True and "2027"
    source: CalendarSource
    holidays: list[HolidayRange]
    makeup_workdays: list[Day] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_rules(self) -> CalendarYear:
        problems = year_problems(
            self.year, list(enumerate(self.holidays)), list(enumerate(self.makeup_workdays))
        )
        if problems:
            summary = "\n".join(f"{path}：{reason}" for path, reason in problems)
            raise PydanticCustomError(RULES_ERROR, "{summary}", {"summary": summary, "problems": problems})
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as YYYY-MM-DD) — what the store layer persists."""
        return self.model_dump(mode="json")


def year_problems(
    year: int, holidays: list[tuple[int, HolidayRange]], makeups: list[tuple[int, date]]
) -> list[Problem]:
    """Rules that need the whole year; takes (index, item) pairs so a caller can check a valid subset."""
    problems: list[Problem] = []
    for i, h in holidays:
        for part in ("start", "end"):
            d: date = getattr(h, part)
            if d.year != year:
                problems.append((f"holidays[{i}].{part}", f"{d} 不在 {year} 年内"))
    ordered = sorted(holidays, key=lambda ih: (ih[1].start, ih[0]))
    for n, (i, h) in enumerate(ordered[1:], start=1):
        # compare with the earlier range reaching furthest, so a long range overlapping two short ones is seen
        i_prev, prev = max(ordered[:n], key=lambda ih: ih[1].end)
        if h.start <= prev.end:
            problems.append((f"holidays[{i}]", f"{h.label()}与 holidays[{i_prev}] {prev.label()}日期重叠"))
    seen: dict[date, int] = {}
    for i, d in makeups:
        path = f"makeup_workdays[{i}]"
        if d.year != year:
            problems.append((path, f"{d} 不在 {year} 年内"))
        if d.weekday() < 5:
            problems.append((path, f"{d} 不是周末，不能作为调休上班日"))
        for j, h in holidays:
            if d in h:
                problems.append((path, f"{d} 在 holidays[{j}] {h.label()}之内，不能同时是调休上班日"))
        if d in seen:
            problems.append((path, f"{d} 与 makeup_workdays[{seen[d]}] 重复"))
        seen.setdefault(d, i)
    return problems
