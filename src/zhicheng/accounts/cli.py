"""Command line of the activation codes: ``zhicheng accounts codes …`` and ``zhicheng accounts code …``
(mounted in cli.py).  Like the import commands, each acts as a named platform user (``--user``), so the same
``Rights`` answer and the audit trail names who issued.  Exit codes: 0 done, 2 refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zhicheng.exchange.cli import UserOpt, _cli, _protector, run_as

if TYPE_CHECKING:
    from zhicheng.accounts.activation import IssuedCode
    from zhicheng.workflow.service import Context

accounts_app = typer.Typer(help="账户激活：为导入的账号签发激活码，忘记密码时签发密码重置码", no_args_is_help=True)
DaysOpt = Annotated[int, typer.Option("--days", help="有效期（天，1–90）")]


@accounts_app.command("codes")
def issue_codes(
    user: UserOpt,
    import_batch: Annotated[
        str | None, typer.Option("--import-batch", help="只含这次导入的账号：导入报告的文件 SHA-256")
    ] = None,
    role: Annotated[str | None, typer.Option("--role", help="applicant 或 expert")] = None,
    reissue: Annotated[bool, typer.Option("--reissue", help="仍有有效激活码的账号也重新签发")] = False,
    days: DaysOpt = 14,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="发放表 .xlsx，默认按日期命名")] = None,
) -> None:
    """为尚未设置密码的账号签发激活码，写出发放表（姓名、用户名、激活码、有效期）。"""
    from zhicheng.accounts import activation
    from zhicheng.exchange.sheets import workbook_bytes

    protector = _protector()

    def work(ctx: Context) -> tuple[list[IssuedCode], bytes]:
        codes = activation.issue_pending_codes(
            ctx, protector, import_batch=import_batch, role=role, reissue=reissue, validity=dt.timedelta(days=days)
        )
        return codes, workbook_bytes([activation.code_table(codes, issued_on=ctx.today)])

    codes, content = run_as(user, None, work)
    target = out or Path(f"激活码发放表-{dt.date.today().isoformat()}.xlsx")
    target.write_bytes(content)
    _cli().console.print(f"已签发 {len(codes)} 个激活码，发放表已写入 {target}（含激活码，请妥善保管）")


@accounts_app.command("code")
def issue_code(
    account: Annotated[str, typer.Argument(help="用户名或身份证号")],
    user: UserOpt,
    reset: Annotated[bool, typer.Option("--reset", help="签发密码重置码（忘记密码）")] = False,
    days: DaysOpt = 14,
) -> None:
    """为一个账号签发激活码或密码重置码，显示一次。"""
    from zhicheng.accounts import activation
    from zhicheng.errors import invalid

    protector = _protector()

    def work(ctx: Context) -> IssuedCode:
        found = activation.find_account(ctx.session, protector, account)
        if found is None:
            raise invalid("account", "平台上没有这个用户名或身份证号的账号")
        purpose = "reset" if reset else None
        return activation.issue_code(ctx, protector, found.id, purpose=purpose, validity=dt.timedelta(days=days))

    c = run_as(user, None, work)
    expires = activation.beijing(c.expires_at)
    _cli().console.print(
        f"{c.display_name}（{c.username}）的{c.purpose_name}：[bold]{c.code}[/bold]，有效期至 {expires}"
    )
