"""工作日历：按国务院办公厅节假日安排（含调休）计算公示期和工作日期限。

Built-in data comes from the `chinesecalendar` package; later years are loaded
from files (see `files.py`). Outside the covered years every call raises
`CalendarCoverageError` instead of guessing that weekdays are working days.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar
from pydantic import BaseModel, ConfigDict

from .model import CalendarSource, CalendarYear

__all__ = ["BuiltinSource", "CalendarCoverageError", "WorkdayCalendar"]

_ONE_DAY = timedelta(days=1)


class BuiltinSource(BaseModel):
    """出处为 chinesecalendar 包内置数据（包内整理自历年国务院办公厅通知）。"""

    model_config = ConfigDict(frozen=True)

    title: str
    package: str = "chinesecalendar"
    version: str


class CalendarCoverageError(ValueError):
    """日期超出已导入的节假日安排范围；不做推测，由管理员导入数据。"""

    def __init__(self, message: str, *, day: date, coverage_start: date, coverage_end: date) -> None:
        super().__init__(message)
        self.day = day
        self.coverage_start = coverage_start
        self.coverage_end = coverage_end


@dataclass(frozen=True)
class _YearData:
    holidays: Mapping[date, str]  # every day off of the official ranges (weekends inside them included)
    makeups: frozenset[date]
    source: CalendarSource | BuiltinSource

    def works(self, d: date) -> bool:
        return d in self.makeups or (d.weekday() < 5 and d not in self.holidays)


@functools.cache
def _builtin_years() -> dict[int, _YearData]:
    """Years the package covers fully: those holding both 春节 and 国庆节 (every annual notice has both)."""
    chinese = {h.value: h.chinese for h in chinese_calendar.Holiday}
    holidays: dict[int, dict[date, str]] = {}
    for d, name in chinese_calendar.holidays.items():
        holidays.setdefault(d.year, {})[d] = chinese.get(name, name)
    version = chinese_calendar.__version__
    years: dict[int, _YearData] = {}
    for year, days in holidays.items():
        if {"春节", "国庆节"} <= set(days.values()):
            source = BuiltinSource(
                title=f"chinesecalendar {version} 内置数据（{year}年国务院办公厅部分节假日安排）",
                version=version,
            )
            makeups = frozenset(d for d in chinese_calendar.workdays if d.year == year)
            years[year] = _YearData(holidays=days, makeups=makeups, source=source)
    return years


def _from_calendar_year(cy: CalendarYear) -> _YearData:
    days = {d: h.name for h in cy.holidays for d in h.days()}
    return _YearData(holidays=days, makeups=frozenset(cy.makeup_workdays), source=cy.source)


class WorkdayCalendar:
    """法定工作日历。

    Coverage is one unbroken run of years: the package's years plus loaded years
    joined to them. A loaded year after a missing year (e.g. 2028 without 2027)
    is kept in `detached_years` but not used, because the dates in the gap
    would otherwise be guessed.
    """

    def __init__(self, extra_years: Iterable[CalendarYear] = ()) -> None:
        years = dict(_builtin_years())
        loaded: set[int] = set()
        for cy in extra_years:
            if cy.year in loaded:
                raise ValueError(f"{cy.year} 年的节假日安排重复导入，请只保留一份")
            loaded.add(cy.year)
            years[cy.year] = _from_calendar_year(cy)  # a loaded notice replaces the package's data
        if not years:
            raise ValueError("没有任何节假日安排数据")
        anchor = max(_builtin_years(), default=min(years))
        first = last = anchor
        while first - 1 in years:
            first -= 1
        while last + 1 in years:
            last += 1
        self._years = {y: years[y] for y in range(first, last + 1)}
        self._detached = tuple(sorted(set(years) - set(self._years)))

    @property
    def coverage_start(self) -> date:
        """1 January of the first covered year."""
        return date(min(self._years), 1, 1)

    @property
    def coverage_end(self) -> date:
        """31 December of the last covered year; later dates raise CalendarCoverageError."""
        return date(max(self._years), 12, 31)

    @property
    def detached_years(self) -> tuple[int, ...]:
        """Loaded years cut off from coverage by a missing year (not used until the gap is filled)."""
        return self._detached

    # -- single days -------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """调休上班日算工作日；法定假日范围内的日子和普通周末不算。"""
        return self._year(d, f"判断{d}是否为工作日").works(d)

    def holiday_name(self, d: date) -> str | None:
        """假日名称（如 “春节”）；普通周末和工作日返回 None。"""
        return self._year(d, f"判断{d}是否为节假日").holidays.get(d)

    def source_for(self, year: int) -> CalendarSource | BuiltinSource:
        """该年数据的出处：导入的通知（CalendarSource）或包内置数据（BuiltinSource）。"""
        return self._year(date(year, 1, 1), f"提供{year}年节假日安排的出处").source

    # -- counting ----------------------------------------------------------

    def add_workdays(self, start: date, n: int) -> date:
        """`start` 之后（不含当天）的第 n 个工作日，即 “自通知之日起n个工作日内” 的最后一天。"""
        what = f"计算{start}之后的第{n}个工作日"
        if n < 1:
            raise ValueError(f"工作日数应为正整数，实际为 {n}")
        self._year(start, what)
        return self._nth_workday(start + _ONE_DAY, n, what)

    def notice_end(self, start: date, min_workdays: int) -> date:
        """公示自 `start` 起（当天若为工作日即算第1天），第 min_workdays 个工作日为最早可结束日。"""
        what = f"计算自{start}起第{min_workdays}个工作日（公示期最早结束日）"
        if min_workdays < 1:
            raise ValueError(f"公示期工作日数应为正整数，实际为 {min_workdays}")
        return self._nth_workday(start, min_workdays, what)

    def workdays_between(self, start: date, end: date) -> int:
        """`start` 至 `end`（两端都含）之间的工作日数。"""
        what = f"统计{start}至{end}之间的工作日"
        if end < start:
            raise ValueError(f"结束日期 {end} 早于开始日期 {start}")
        self._year(start, what)
        self._year(end, what)
        count, d = 0, start
        while d <= end:
            count += self.is_workday(d)
            d += _ONE_DAY
        return count

    # -- internals ---------------------------------------------------------

    def _nth_workday(self, first: date, n: int, what: str) -> date:
        """The n-th working day counting `first` itself."""
        d, seen = first, 0
        while True:
            if self._year(d, what).works(d):
                seen += 1
                if seen == n:
                    return d
            d += _ONE_DAY

    def _year(self, d: date, what: str) -> _YearData:
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(f"应传入 datetime.date（不含时刻，时区由调用方换算），实际为 {type(d).__name__}")
        if self.coverage_start <= d <= self.coverage_end:
            return self._years[d.year]
        if d > self.coverage_end:
            head = f"工作日历仅覆盖至{self.coverage_end}"
            wanted = range(self.coverage_end.year + 1, d.year + 1)
        else:
            head = f"工作日历仅覆盖{self.coverage_start}至{self.coverage_end}"
            wanted = range(d.year, self.coverage_start.year)
        missing = [y for y in wanted if y not in self.detached_years]  # detached years are already loaded
        if len(missing) == missing[-1] - missing[0] + 1 > 1:
            years = f"{missing[0]}—{missing[-1]}年"
        else:
            years = "、".join(map(str, missing)) + "年"
        raise CalendarCoverageError(
            f"{head}，无法{what}；请管理员导入{years}国务院办公厅节假日安排（zhicheng calendar load FILE）",
            day=d,
            coverage_start=self.coverage_start,
            coverage_end=self.coverage_end,
        )
