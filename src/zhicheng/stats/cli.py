"""``zhicheng stats``: the season statistics as a table, optionally as an SVG chart and .xlsx (see cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from zhicheng.exchange.cli import UserOpt, run_as

METRIC_NAMES = "applications、decided、passed、failed、pass_rate"


def stats_command(
    user: UserOpt,
    by: Annotated[str, typer.Option("--by", help="分组：document、level、unit、route、year")] = "document",
    year_from: Annotated[int | None, typer.Option("--from", help="起始年度")] = None,
    year_to: Annotated[int | None, typer.Option("--to", help="截止年度")] = None,
    document: Annotated[str | None, typer.Option("--doc", help="只统计某标准文件")] = None,
    level: Annotated[str | None, typer.Option("--level", help="只统计某级别")] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="把统计图写到此 .svg 文件")] = None,
    metric: Annotated[str, typer.Option("--metric", help="图的指标：" + METRIC_NAMES)] = "applications",
    kind: Annotated[str, typer.Option("--kind", help="bar 柱状图（按年度对比）或 line 折线图（趋势）")] = "bar",
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="把统计表写到此 .xlsx 文件")] = None,
) -> None:
    """评审统计：各标准文件、级别、单位、申报途径的申报数与通过率，逐年对比（人社局、评审服务机构账号）。"""
    from zhicheng import cli
    from zhicheng.stats.charts import format_value, stats_chart
    from zhicheng.stats.export import stats_workbook
    from zhicheng.stats.queries import DIMENSIONS, METRICS, Stats, application_stats

    if metric not in METRICS or kind not in ("bar", "line"):
        raise cli.fail(f"--metric 应为 {'、'.join(METRICS)}；--kind 应为 bar 或 line")
    stats: Stats = run_as(
        user,
        None,
        lambda ctx: application_stats(ctx, by, year_from=year_from, year_to=year_to, document=document, level=level),
        readonly=True,
    )
    t = RichTable(title=stats.title)
    t.add_column(DIMENSIONS[stats.by])
    for y in stats.years:
        t.add_column(f"{y}年 申报/评审/通过", justify="right")
        t.add_column("通过率", justify="right")
    rows = [(label, [stats.cell(key, y) for y in stats.years]) for key, label in stats.groups]
    for label, cells in [*rows, ("合计", [stats.total(y) for y in stats.years])]:
        row = [label]
        for c in cells:
            rate = "—" if c.pass_rate is None else format_value(c.pass_rate, percent=True)
            row += [f"{c.applications}/{c.decided}/{c.passed}", rate]
        t.add_row(*row)
    cli.console.print(t)
    if svg is not None:
        svg.write_text(stats_chart(stats, metric, kind), encoding="utf-8")
        cli.console.print(f"统计图已写入 {svg}")
    if xlsx is not None:
        xlsx.write_bytes(stats_workbook(stats))
        cli.console.print(f"统计表已写入 {xlsx}")
