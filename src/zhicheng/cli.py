"""Command line: `zhicheng --help`. Thin shell over the services; no rule lives here."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from zhicheng.policy.batch_cli import batch_app
from zhicheng.policy.catalog import CatalogError, default_catalog, export_schema
from zhicheng.policy.engine import evaluate, evaluate_all
from zhicheng.policy.profile import LEVEL_NAMES, Profile, ProfileError, load_profile
from zhicheng.policy.render import standard_lines, verdict_lines
from zhicheng.policy.verdict import STATUS_NAMES, VERDICTS_ADAPTER

app = typer.Typer(help="zhicheng 职称评审平台（工程技术系列）", no_args_is_help=True, add_completion=False)
# wide when piped, so tables and long clauses are not folded into unreadable columns
console = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]错误：[/red]{message}")
    return typer.Exit(code)


def parse_date(text: str | None, field: str = "--as-of") -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{field}：日期格式应为 YYYY-MM-DD，收到 {text!r}") from None


def read_profile(path: Path, as_of: date) -> Profile:
    try:
        return load_profile(path, today=max(as_of, date.today()))
    except ProfileError as exc:
        for p, m in exc.problems:
            err.print(f"[red]✘[/red] {p}：{m}")
        raise fail(f"档案 {path} 有 {len(exc.problems)} 处错误") from None


@app.command()
def standards(as_of: Annotated[str | None, typer.Option("--as-of", help="日期，默认今天")] = None) -> None:
    """列出标准目录：文件、层级与有效期。"""
    on = parse_date(as_of)
    cat = default_catalog()
    t = Table(title=f"标准目录（版本 {cat.version}，{on.isoformat()}）")
    for col in ("编号", "文件", "文号", "层级", "施行", "失效", "状态"):
        t.add_column(col)
    for d in cat.documents.values():
        v = cat.validity(d.id)
        t.add_row(
            d.id,
            d.short_title,
            d.doc_no,
            "、".join(LEVEL_NAMES[lv.id] for lv in d.levels),
            d.effective_from.isoformat(),
            v.effective_to.isoformat() if v.effective_to else "长期",
            "在施" if v.in_force(on) else "[red]不在有效期[/red]",
        )
    console.print(t)


@app.command()
def explain(doc: str, level: str) -> None:
    """以中文列出某标准某层级的全部条件及原文出处。"""
    cat = default_catalog()
    try:
        rule = cat.level(doc, level)
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None
    for line in standard_lines(doc, rule, cat):
        console.print(line, highlight=False, markup=False)


@app.command()
def check(
    profile: Path,
    doc: Annotated[str | None, typer.Option("--doc", help="标准编号；省略则检查全部在施标准")] = None,
    level: Annotated[str | None, typer.Option("--level", help="层级，如 senior_engineer")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="评审基准日，默认今天")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="按 verdict 模式输出 JSON")] = False,
) -> None:
    """检查申报资格：可判条件、缺什么、何时符合。不论结论如何退出码为 0，输入有误为 2。"""
    on = parse_date(as_of)
    p = read_profile(profile, on)
    cat = default_catalog()
    try:
        if doc and level:
            verdicts = [evaluate(p, doc, level, on, cat)]
        elif doc:
            verdicts = [evaluate(p, doc, lv.id, on, cat) for lv in cat.document(doc).levels]
        else:
            if level and level not in LEVEL_NAMES:
                raise KeyError(f"未知层级 {level}（可选：{'、'.join(LEVEL_NAMES)}）")
            verdicts = [v for v in evaluate_all(p, on, cat) if level is None or v.level == level]
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None
    if as_json:
        sys.stdout.write(VERDICTS_ADAPTER.dump_json(verdicts, indent=2).decode() + "\n")
        return
    for v in verdicts:
        console.rule(v.summary, style={"eligible": "green", "needs_review": "yellow"}.get(v.status, "red"))
        for line in verdict_lines(v, cat, full=bool(doc and level)):
            console.print(line, highlight=False, markup=False)


@app.command()
def forecast(
    profile: Path,
    as_of: Annotated[str | None, typer.Option("--as-of", help="评审基准日，默认今天")] = None,
) -> None:
    """我能申报什么、何时可以申报：全部在施标准与层级一览。"""
    on = parse_date(as_of)
    p = read_profile(profile, on)
    verdicts = evaluate_all(p, on)
    t = Table(title=f"{p.name or '申报人'} 申报资格预测（{on.isoformat()}）")
    for col in ("标准", "层级", "结论", "路线/路径", "最早可申报", "还需要"):
        t.add_column(col, overflow="fold")
    for v in verdicts:
        route = "" if v.route is None else f"{v.route}/{v.path_label or ''}"
        when = v.eligible_from.isoformat() if v.eligible_from else "—（仅靠时间不能满足）"
        t.add_row(
            v.document, v.level_title, STATUS_NAMES[v.status], route, when, "；".join(g.message for g in v.missing[:3])
        )
    console.print(t)


@app.command()
def schema(what: Annotated[str, typer.Argument(help="profile | verdict | catalog")]) -> None:
    """导出 JSON Schema。"""
    from zhicheng.policy.verdict import VERDICT_ADAPTER

    if what == "profile":
        text = json.dumps(Profile.model_json_schema(), ensure_ascii=False, indent=2)
    elif what == "verdict":
        text = json.dumps(VERDICT_ADAPTER.json_schema(), ensure_ascii=False, indent=2)
    elif what == "catalog":
        text = export_schema()
    else:
        raise fail(f"未知模式 {what!r}，可选 profile、verdict、catalog")
    sys.stdout.write(text + "\n")


# ---------------------------------------------------------------- the platform
def _data_dir() -> Path:
    from zhicheng.store.db import database_url, normalise_url

    url = normalise_url(database_url())
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).resolve().parent
    return Path(os.environ.get("ZHICHENG_DATA_DIR", "data")).resolve()


def _engine() -> Engine:
    from zhicheng.store.db import database_url, init_db, make_engine

    url = database_url()
    init_db(url)
    return make_engine(url)


@app.command()
def demo() -> None:
    """在当前数据库中载入演示数据（仅限空数据库）。"""
    from zhicheng.demo import DEMO_PASSWORD, load_demo

    counts = load_demo(_engine(), _data_dir())
    if not counts:
        console.print("数据库中已有数据，未载入演示数据。")
        return
    console.print(f"已载入演示数据：{counts}。所有演示账号的密码：{DEMO_PASSWORD}")
    console.print(
        "账号：admin、agency、bureau、dept_qd、unit_ai、unit_iiot、expert1 … expert7、"
        "申报人 zhangwei、lina、wangfang、liuyang、chenjing、zhaolei、sunli"
    )
    console.print("expert_new 尚未激活：由 agency 在“账户激活”页签发激活码后，在 /activate 设置密码。")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    with_demo: Annotated[bool, typer.Option("--demo", help="数据库为空时载入演示数据")] = False,
    sweep_every: Annotated[int, typer.Option(help="定时清理间隔（秒）：补正到期、过期令牌等，0 为不运行")] = 3600,
) -> None:
    """启动平台（默认内置 SQLite；ZHICHENG_DATABASE_URL 指向 PostgreSQL）。"""
    import threading
    import time

    import uvicorn

    from zhicheng.api.app import create_app
    from zhicheng.demo import DEMO_PASSWORD, load_demo
    from zhicheng.workflow.service import sweep_expired_corrections

    engine = _engine()
    if with_demo and load_demo(engine, _data_dir()):
        console.print(f"已载入演示数据，演示账号密码：{DEMO_PASSWORD}")

    def sweeper() -> None:  # safe in several processes at once: each move is a compare-and-set
        while True:
            try:
                moved = sweep_expired_corrections(engine, date.today())
                if moved:
                    console.print(f"补正逾期，视为放弃申报：{moved}")
            except Exception as exc:  # keep serving; the next round retries
                err.print(f"补正到期检查失败：{exc}")
            try:
                if purged := _purge(engine, None):
                    console.print(_purged_text(purged))
            except Exception as exc:
                err.print(f"清理过期令牌与幂等记录失败：{exc}")
            time.sleep(sweep_every)

    if sweep_every > 0:
        threading.Thread(target=sweeper, daemon=True, name="correction-sweeper").start()
    console.print(f"zhicheng 已启动：http://{host}:{port}/    API 文档：http://{host}:{port}/docs")
    application = create_app()
    application.state.demo_password = DEMO_PASSWORD if with_demo else None  # the login page lists demo accounts
    uvicorn.run(application, host=host, port=port, log_level="info")


def _purge(engine: Engine, as_of: date | None) -> Any:
    """Expired tokens and old idempotency records (retention from the ZHICHENG_* settings); ``as_of``: at the
    end of that day in Beijing, else now."""
    from datetime import UTC, datetime, time, timedelta, timezone

    from zhicheng.api.deps import Settings
    from zhicheng.workflow.service import purge_expired

    settings = Settings.from_env()
    beijing = timezone(timedelta(hours=8))
    now = datetime.now(UTC) if as_of is None else datetime.combine(as_of, time(23, 59, 59), tzinfo=beijing)
    return purge_expired(
        engine, now, token_retention=settings.token_retention, idempotency_retention=settings.idempotency_retention
    )


def _purged_text(purged: Any) -> str:
    return f"已清理过期登录令牌 {purged.tokens} 个、过期幂等记录 {purged.idempotency_records} 条"


@app.command()
def sweep(as_of: Annotated[str | None, typer.Option("--as-of", help="日期，默认今天")] = None) -> None:
    """补正期限届满未补正的申报视为放弃，并清理过期登录令牌与幂等记录（可由定时任务调用，重复运行无副作用）。"""
    from zhicheng.workflow.service import sweep_expired_corrections

    engine = _engine()
    moved = sweep_expired_corrections(engine, parse_date(as_of))
    console.print(f"视为放弃申报：{len(moved)} 件 {moved or ''}")
    console.print(_purged_text(_purge(engine, None if as_of is None else parse_date(as_of))))


db_app = typer.Typer(help="数据库")
app.add_typer(db_app, name="db")
app.add_typer(batch_app, name="batch")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """把数据库迁移到最新结构（首次运行时创建）。"""
    _engine()
    console.print("数据库已是最新结构。")


audit_app = typer.Typer(help="审计日志")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """校验审计日志哈希链：发现任何被修改、删除或插入的记录。被篡改时退出码为 1。"""
    from zhicheng.store import audit
    from zhicheng.store.db import transaction

    # writable: verify takes a shared lock on the chain head (FOR SHARE), refused in a READ ONLY transaction
    with transaction(_engine()) as s:
        report = audit.verify(s)
    if report.ok:
        console.print(f"[green]审计日志完整[/green]：{report.entries} 条，链头 {(report.head_hash or '')[:16]}…")
        return
    for p in report.problems:
        err.print(f"[red]✘[/red] {p.message}")
    raise typer.Exit(1)


calendar_app = typer.Typer(help="工作日历")
app.add_typer(calendar_app, name="calendar")


@calendar_app.command("load")
def calendar_load(file: Path) -> None:
    """导入国务院办公厅公布的某年节假日安排（YAML/JSON，格式见 docs/calendar.md），记录来源通知。"""
    from zhicheng.calendar import CalendarDataError, load_calendar_file
    from zhicheng.store.db import transaction
    from zhicheng.workflow import service as svc
    from zhicheng.workflow.rights import Actor

    try:
        years = load_calendar_file(file)
    except (CalendarDataError, OSError) as exc:
        raise fail(str(exc)) from None
    with transaction(_engine()) as s:
        loaded = svc.load_calendar_years(svc.Context(s, Actor(user_id=0, role="admin"), date.today()), years)
        coverage = svc.load_calendar(s).coverage_end
    for y in years:
        console.print(f"已导入 {y.year} 年：{y.source.title}（{y.source.doc_no}）")
    console.print(f"工作日历现覆盖至 {coverage.isoformat()}（导入 {len(loaded)} 年）")


@calendar_app.command("show")
def calendar_show() -> None:
    """显示工作日历的覆盖范围和各年份的数据来源。"""
    from zhicheng.store.db import transaction
    from zhicheng.workflow import service as svc

    with transaction(_engine(), readonly=True) as s:
        cal = svc.load_calendar(s)
    console.print(f"覆盖：{cal.coverage_start.isoformat()} 至 {cal.coverage_end.isoformat()}")
    for y in range(max(cal.coverage_start.year, cal.coverage_end.year - 3), cal.coverage_end.year + 1):
        console.print(f"  {y}：{cal.source_for(y)}")


# spreadsheets (zhicheng.exchange) and statistics (zhicheng.stats); each command loads its services on use
from zhicheng.exchange.cli import export_app, import_app  # noqa: E402
from zhicheng.stats.cli import stats_command  # noqa: E402

app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.command("stats")(stats_command)

# certificates: offline verification and signing keys (zhicheng.certificates)
from zhicheng.certificates.cli import keys_app, verify_command  # noqa: E402

app.command("verify")(verify_command)
app.add_typer(keys_app, name="keys")

# account activation and password-reset codes (zhicheng.accounts.activation)
from zhicheng.accounts.cli import accounts_app  # noqa: E402

app.add_typer(accounts_app, name="accounts")


def main() -> None:
    try:
        app()
    except CatalogError as exc:
        err.print(f"[red]标准目录有误：[/red]\n{exc}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
