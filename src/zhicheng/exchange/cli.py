"""Command line of the spreadsheet exchange: ``zhicheng import …`` and ``zhicheng export …`` (mounted in cli.py).

Every command acts as a named platform user (``--user``), so the same ``Rights`` answer as on the web and
the audit trail names who imported or exported.  Exit codes: 0 done, 2 input rejected (nothing imported).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table as RichTable

from zhicheng.errors import DomainError

if TYPE_CHECKING:  # the services load on first use, so `zhicheng check` does not pay for openpyxl
    from zhicheng.exchange.exports import Export
    from zhicheng.exchange.imports import ImportReport
    from zhicheng.workflow.service import Context

import_app = typer.Typer(help="从 Excel 导入申报、评审专家（全部成功才保存，逐行报告错误）", no_args_is_help=True)
export_app = typer.Typer(help="导出 Excel：公示名单、表决结果统计表、证书名单", no_args_is_help=True)

T = TypeVar("T")
UserOpt = Annotated[str, typer.Option("--user", "-u", help="以哪个平台账号的身份操作（用户名）")]
DayOpt = Annotated[str | None, typer.Option("--as-of", help="办理日期，默认今天")]


def _cli() -> Any:
    from zhicheng import cli  # the shared console, engine and data folder of the main command line

    return cli


def run_as(username: str, day: str | None, work: Callable[[Context], T], *, readonly: bool = False) -> T:
    """Run ``work`` in one transaction as the user ``username``; refusals end the command with exit code 2."""
    from sqlalchemy import select

    from zhicheng.store.db import transaction
    from zhicheng.store.models import User
    from zhicheng.workflow.service import Context, actor_for

    cli = _cli()
    today = cli.parse_date(day)
    try:
        with transaction(cli._engine(), readonly=readonly) as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None or not user.is_active:
                raise cli.fail(f"没有可用的账号 {username}")
            return work(Context(s, actor_for(user), today, now=dt.datetime.now(dt.UTC)))
    except DomainError as exc:
        for path, message in exc.fields[:20]:
            cli.err.print(f"[red]✘[/red] {path}：{message}")
        raise cli.fail(exc.message) from None


def _report(report: ImportReport, file: Path, out: Path | None) -> None:
    from zhicheng.exchange import imports

    cli = _cli()
    if report.problems:
        t = RichTable(title=f"{file.name}：{report.summary}")
        for col in ("工作表", "行", "列", "原因"):
            t.add_column(col, overflow="fold")
        for p in report.problems[:100]:
            t.add_row(p.sheet, str(p.row or ""), p.column, p.message)
        cli.console.print(t)
        if len(report.problems) > 100:
            cli.console.print(f"……共 {len(report.problems)} 处错误，完整清单见错误报告（--report）")
        if out is not None:
            out.write_bytes(imports.error_workbook(file.read_bytes(), report))
            cli.console.print(f"错误报告已写入 {out}")
        raise typer.Exit(2)
    cli.console.print(f"[green]{report.summary}[/green]")


def _import(kind: str, file: Path, user: str, day: str | None, dry_run: bool, out: Path | None, **kw: Any) -> None:
    cli = _cli()
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise cli.fail(f"无法读取 {file}：{exc.strerror}") from None
    from zhicheng.exchange import imports

    protector = _protector()
    run: Callable[[Context], ImportReport]
    if kind == "applications":

        def run(ctx: Context) -> ImportReport:
            return imports.import_applications(ctx, protector, data, filename=file.name, dry_run=dry_run, **kw)
    else:

        def run(ctx: Context) -> ImportReport:
            return imports.import_experts(ctx, protector, data, filename=file.name, dry_run=dry_run)

    _report(run_as(user, day, run), file, out)


def _protector() -> Any:
    from zhicheng.accounts.identity import protector_for

    return protector_for(_cli()._data_dir())


ReportOpt = Annotated[Path | None, typer.Option("--report", help="出错时把标注了错误的 Excel 写到此文件")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="只检查，不保存")]


@import_app.command("applications")
def import_applications(
    file: Path,
    user: UserOpt,
    round_id: Annotated[int | None, typer.Option("--round", help="评审轮次编号（表中“评审轮次”列优先）")] = None,
    dry_run: DryRunOpt = False,
    report: ReportOpt = None,
    as_of: DayOpt = None,
) -> None:
    """导入申报（申报人表 + 成果表）：在申报人名下建立草稿，由申报人核对后提交。"""
    _import("applications", file, user, as_of, dry_run, report, round_id=round_id)


@import_app.command("experts")
def import_experts(
    file: Path, user: UserOpt, dry_run: DryRunOpt = False, report: ReportOpt = None, as_of: DayOpt = None
) -> None:
    """导入评审专家：建立或核对账号、登记本届聘期，可同时加入评委会专家库（须评审服务机构账号）。"""
    _import("experts", file, user, as_of, dry_run, report)


@import_app.command("template")
def import_template(
    kind: Annotated[str, typer.Argument(help="applications 或 experts")],
    out: Annotated[Path, typer.Argument(help="写到哪个 .xlsx 文件")],
) -> None:
    """写出导入模板（表头、示例行、填写说明）。"""
    from zhicheng.exchange import layout

    if kind not in layout.LAYOUTS:
        raise _cli().fail("应为 applications 或 experts")
    out.write_bytes(layout.template(kind))
    _cli().console.print(f"模板已写入 {out}")


def _write(export: Export, out: Path | None) -> None:
    target = out or Path(export.filename)
    target.write_bytes(export.content)
    _cli().console.print(f"已导出 {target}")


OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="输出文件，默认按内容命名")]


@export_app.command("notice")
def export_notice(notice_id: int, out: OutOpt = None) -> None:
    """导出公示名单（序号、姓名、工作单位、申报专业、申报级别、申报途径）。"""
    from zhicheng.exchange import exports
    from zhicheng.store.db import transaction

    cli = _cli()
    try:
        with transaction(cli._engine(), readonly=True) as s:
            export = exports.notice_workbook(s, notice_id)
    except DomainError as exc:
        raise cli.fail(exc.message) from None
    _write(export, out)


@export_app.command("tally")
def export_tally(meeting_id: int, user: UserOpt, out: OutOpt = None) -> None:
    """导出评审会议表决结果统计表（会议结束后；评审服务机构或人社局账号）。"""
    from zhicheng.exchange import exports

    _write(run_as(user, None, lambda ctx: exports.tally_workbook(ctx, meeting_id), readonly=True), out)


@export_app.command("certificates")
def export_certificates(
    user: UserOpt,
    status: Annotated[str | None, typer.Option("--status", help="valid、suspended 或 revoked")] = None,
    year: Annotated[int | None, typer.Option("--year", help="发证年度")] = None,
    approval: Annotated[str | None, typer.Option("--approval", help="批准文号")] = None,
    out: OutOpt = None,
) -> None:
    """导出职称证书名单（证书编号、姓名、单位、专业、资格名称、批准文号、状态）。"""
    from zhicheng.exchange import exports

    def work(ctx: Context) -> Export:
        return exports.certificate_workbook(ctx, status=status, year=year, approval_number=approval)

    _write(run_as(user, None, work, readonly=True), out)
