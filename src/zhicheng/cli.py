"""Command line: `zhicheng --help`. Thin shell over the services; no rule lives here."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

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
        t.add_row(d.id, d.short_title, d.doc_no, "、".join(LEVEL_NAMES[lv.id] for lv in d.levels),
                  d.effective_from.isoformat(), v.effective_to.isoformat() if v.effective_to else "长期",
                  "在施" if v.in_force(on) else "[red]不在有效期[/red]")
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
        t.add_row(v.document, v.level_title, STATUS_NAMES[v.status], route, when,
                  "；".join(g.message for g in v.missing[:3]))
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


def main() -> None:
    try:
        app()
    except CatalogError as exc:
        err.print(f"[red]标准目录有误：[/red]\n{exc}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
