"""`zhicheng batch`: screen a file of profiles column-wise (zhicheng.policy.batch, docs/batch.md).

Mounted by the main CLI as `app.add_typer(batch_app, name="batch")`.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhicheng.policy.batch import (
    MAX_PROBLEMS,
    STATUSES,
    BatchInputError,
    read_profiles,
    screen,
    summarise,
    targets,
    write_result,
)
from zhicheng.policy.catalog import CatalogError, default_catalog
from zhicheng.policy.profile import LEVEL_NAMES
from zhicheng.policy.verdict import STATUS_NAMES

batch_app = typer.Typer(help="批量筛查：成批档案按列计算申报资格", no_args_is_help=True, add_completion=False)
console = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)
OUTPUT_SUFFIXES = (".csv", ".parquet", ".xlsx", ".jsonl", ".ndjson")


@batch_app.callback()
def _group() -> None:
    """批量筛查：成批档案按列计算申报资格（docs/batch.md）。"""


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]错误：[/red]{message}")
    return typer.Exit(code)


@batch_app.command("screen")
def screen_command(
    file: Annotated[Path, typer.Argument(help="档案文件：.jsonl / .csv / .xlsx / .parquet（格式见 docs/batch.md）")],
    doc: Annotated[str | None, typer.Option("--doc", help="标准编号；省略则筛查当日在施的全部标准")] = None,
    level: Annotated[str | None, typer.Option("--level", help="层级，如 senior_engineer；省略则全部层级")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="评审基准日 YYYY-MM-DD，默认今天")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="结果文件：.csv / .parquet / .xlsx / .jsonl")] = None,
    achievements: Annotated[Path | None, typer.Option(
        "--achievements", help="单独的成果表（默认：同目录 <文件名>.achievements.csv/.parquet）")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="每块人数")] = 250_000,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="线程数（默认每个 CPU 一个，最多 4）")] = None,
) -> None:
    """筛查文件中的全部档案，打印各标准、各层级的结论人数，可写出逐人结果。"""
    try:
        on = date.fromisoformat(as_of) if as_of is not None else date.today()
    except ValueError:
        raise _fail(f"--as-of：日期格式应为 YYYY-MM-DD，收到 {as_of!r}") from None
    if out is not None and out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise _fail(f"--out：不支持的结果文件类型 {out.suffix or '（无后缀）'}（可用 .csv .parquet .xlsx .jsonl）")
    try:
        cat = default_catalog()
    except CatalogError as exc:
        raise _fail(f"标准目录有误：{exc}") from None
    try:
        targets_count = len(targets(cat, on, doc, level))
    except KeyError as exc:
        raise _fail(str(exc.args[0]) if exc.args else str(exc)) from None

    started = time.perf_counter()
    with console.status(f"读取 {file} …"):
        try:
            frames = read_profiles(file, achievements, today=max(on, date.today()))
        except BatchInputError as exc:
            for p in exc.problems:
                err.print(f"[red]✘[/red] {p}")
            more = "，仅列出前若干处" if len(exc.problems) >= MAX_PROBLEMS else ""
            raise _fail(f"输入文件有误（{len(exc.problems)} 处{more}）") from None
    read_s = time.perf_counter() - started
    n = len(frames)
    chunks = max(1, -(-n // chunk_size))
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task(f"筛查 {n} 份档案 × {targets_count} 个层级（{chunks} 块）",
                                 total=chunks * targets_count)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        t0 = time.perf_counter()
        result = screen(frames, on, doc, level, cat, chunk_size=chunk_size, workers=workers, progress=advance)
        screen_s = time.perf_counter() - t0

    table = Table(title=f"筛查结果（基准日 {on.isoformat()}，{n} 份档案）")
    table.add_column("标准")
    table.add_column("层级")
    for s in STATUSES:
        table.add_column(STATUS_NAMES[s] if s != "needs_review" else "尚需人工判断", justify="right")
    table.add_column("合计", justify="right")
    for row in summarise(result).iter_rows(named=True):
        table.add_row(row["document"], f"{LEVEL_NAMES.get(row['level'], row['level'])} ({row['level']})",
                      *[str(row[s]) for s in STATUSES], str(row["total"]))
    console.print(table)
    rate = n * targets_count / screen_s if screen_s > 0 else float("inf")
    console.print(f"读取 {read_s:.2f} s；筛查 {screen_s:.2f} s（{rate:,.0f} 人·层级/秒）")
    if out is not None:
        try:
            write_result(result, out)
        except (OSError, ValueError) as exc:
            raise _fail(f"无法写出 {out}：{exc}") from None
        console.print(f"逐人结果已写入 {out}（{result.height} 行）")
