"""The numbers of a :class:`~zhicheng.stats.queries.Stats` as .xlsx: a year-over-year sheet (one row per group,
per year 申报数/评审数/通过数/通过率, a 合计 row) and a flat 明细 sheet for pivot tables."""

from __future__ import annotations

from typing import Any

from zhicheng.exchange.sheets import Table, workbook_bytes
from zhicheng.stats.queries import DIMENSIONS, Cell, Stats

__all__ = ["stats_tables", "stats_workbook"]

PER_YEAR = ("申报数", "评审数", "通过数", "通过率")


def _numbers(stats: Stats, key: str | None) -> list[Any]:
    """Per year (applications, decided, passed, rate) of one group (``None``: all groups), then the total."""
    cells = [stats.cell(key, y) if key is not None else stats.total(y) for y in stats.years]
    whole = sum(cells, start=Cell())
    return [n for c in [*cells, whole] for n in (c.applications, c.decided, c.passed, c.pass_rate)]


def stats_tables(stats: Stats) -> list[Table]:
    label = DIMENSIONS[stats.by]
    headers = [label] + [f"{y}年{m}" for y in stats.years for m in PER_YEAR] + [f"合计{m}" for m in PER_YEAR]
    rows = [[name, *_numbers(stats, key)] for key, name in stats.groups]
    rows.append(["合计", *_numbers(stats, None)])
    rates = {h: "0.0%" for h in headers if h.endswith("通过率")}
    filters = "；".join(f"{k}={v}" for k, v in stats.filters.items())
    subtitle = ["通过率 = 通过数 ÷ 评审数（通过 + 未通过）；申报数只计已提交的申报，按评审轮次年度归属"]
    if filters:
        subtitle.append(f"筛选：{filters}")
    summary = Table("同比", stats.title, headers, rows, subtitle=subtitle, formats=rates)
    detail = Table(
        "明细",
        f"{stats.title}（明细）",
        ["年度", label, "申报数", "评审数", "通过数", "未通过数", "通过率"],
        [
            [y, name, c.applications, c.decided, c.passed, c.failed, c.pass_rate]
            for key, name in stats.groups
            for y in stats.years
            for c in [stats.cell(key, y)]
        ],
        formats={"通过率": "0.0%"},
    )
    return [summary, detail]


def stats_workbook(stats: Stats) -> bytes:
    return workbook_bytes(stats_tables(stats))
