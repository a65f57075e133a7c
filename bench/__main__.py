"""The benchmark suite, one command: ``.venv/bin/python -m bench`` (from the repository root).

1. Engine: one profile against every document and level in force (median; ÷ pydantic validation).
2. Batch screening: profiles/s and ÷ the scalar engine (200,000 profiles; ``--full``: 1,000,000).
3. HTTP: application status and public certificate verification, each ÷ a bare FastAPI endpoint served
   the same way (uvicorn subprocesses, same worker count), req/s, p50, p99.
4. Season: N applications through the whole procedure on PostgreSQL (5,000, 10,000, 20,000; ``--n`` sets
   the largest, ``--quick`` runs 1,000 and 2,000), time, transactions/s, transitions/s and the growth.

Prints one Rich table; writes ``bench/results/latest.json`` and ``latest.md`` (the table in Markdown with
the machine facts, for docs/benchmarks.md).  ``--smoke`` runs the smallest sizes on SQLite (the test
tests/test_bench_smoke.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench import bench_batch, bench_engine, bench_http, season

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    id: str
    item: str
    scale: str
    result: str
    ratio: str
    note: str = ""


@dataclass(frozen=True)
class Sizes:
    engine_rounds: int
    batch_n: int
    batch_repeat: int
    batch_sample: int
    http_requests: int
    http_warmup: int
    http_concurrency: int
    http_rounds: int
    http_seed: int
    seasons: tuple[int, ...]


def sizes_for(args: argparse.Namespace) -> Sizes:
    if args.smoke:
        return Sizes(5, 2_000, 1, 100, 40, 10, 4, 1, 8, (8, 16))
    seasons = (1_000, 2_000) if args.quick else (args.n // 4, args.n // 2, args.n)
    return Sizes(
        engine_rounds=100 if args.quick else 300,
        batch_n=1_000_000 if args.full else (100_000 if args.quick else 200_000),
        batch_repeat=3,
        batch_sample=1_000 if args.quick else 2_000,
        http_requests=args.http_requests or (500 if args.quick else 3_000),
        http_warmup=100 if args.quick else 300,
        http_concurrency=args.http_concurrency,
        http_rounds=1 if args.quick else 2,
        http_seed=30 if args.quick else 60,
        seasons=seasons,
    )


# ---------------------------------------------------------------- machine facts
def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for pkg in ("fastapi", "starlette", "uvicorn", "pydantic", "SQLAlchemy", "psycopg", "polars", "numpy"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "os": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "packages": versions,
    }


def postgres_version() -> str | None:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from zhicheng.store.testing import pg_test_url, postgres_unavailable_reason

    if postgres_unavailable_reason():
        return None
    engine = create_engine(pg_test_url(), poolclass=NullPool)
    try:
        with engine.connect() as c:
            return str(c.exec_driver_sql("SHOW server_version").scalar())
    finally:
        engine.dispose()


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---------------------------------------------------------------- the sections
def engine_rows(sizes: Sizes, report: dict[str, Any]) -> list[Row]:
    m = bench_engine.measure(dt.date(2024, 9, 1), sizes.engine_rounds, per_level=False)
    report["engine"] = m
    return [
        Row(
            "engine",
            f"引擎单次检查：一个档案 × 全部在施层级（{m['levels']} 个）",
            f"{sizes.engine_rounds} 轮中位数",
            f"{m['full_s'] * 1e6:,.0f} µs",
            f"{m['ratio']:.1f} × 基线",
            f"基线：同进程 pydantic 校验同一档案 {m['baseline_s'] * 1e6:.1f} µs",
        )
    ]


def batch_rows(sizes: Sizes, report: dict[str, Any]) -> list[Row]:
    r = bench_batch.run_batch(sizes.batch_n, repeat=sizes.batch_repeat, sample=sizes.batch_sample, trace_memory=False)
    report["batch"] = r
    return [
        Row(
            "batch",
            f"批量筛查：{r['document']} · {r['level']}",
            f"{r['n']:,} 份档案",
            f"{r['rate']:,.0f} 份/秒（最好 {r['best_s']:.2f} s）",
            f"{r['ratio']:,.0f} × 标量引擎",
            f"标量引擎 {r['scalar_rate']:,.0f} 份/秒；样本逐行一致 {r['sample_equal']}/{r['sample']}；"
            f"{r['workers']} 线程",
        )
    ]


def _http_result(x: dict[str, Any]) -> str:
    return f"{x['rps']:,.0f} req/s；p50 {x['p50_ms']:.1f} ms；p99 {x['p99_ms']:.1f} ms"


def http_rows(sizes: Sizes, backend: str, workers: int, report: dict[str, Any], console: Console) -> list[Row]:
    r = bench_http.run_http(
        backend,
        requests=sizes.http_requests,
        warmup=sizes.http_warmup,
        concurrency=sizes.http_concurrency,
        workers=workers,
        rounds=sizes.http_rounds,
        seed_n=sizes.http_seed,
        console=console,
    )
    report["http"] = r
    scale = f"{r['requests']:,} 次，并发 {r['concurrency']}，{r['workers']} worker"
    db = "PostgreSQL" if r["backend"] == "postgresql" else "SQLite"
    rows = [
        Row(
            "http.bare",
            'HTTP 基线：裸 FastAPI 端点（{"ok": true}）',
            scale,
            _http_result(r["bare"]),
            "1",
            "同一 uvicorn 命令",
        )
    ]
    for key, label in (
        ("status", "HTTP 申报状态：申报人持令牌 GET 本人申报"),
        ("verify", "HTTP 证书公开核验：扫码网址 GET"),
    ):
        if key in r:
            x = r[key]
            errors = f"；{x['errors']} 次错误" if x["errors"] else ""
            rows.append(
                Row(
                    f"http.{key}",
                    label,
                    scale,
                    _http_result(x),
                    f"吞吐 {x['rps_ratio']:.3f} ×；p99 {x['p99_ratio']:.1f} ×",
                    f"{db}{errors}",
                )
            )
        else:
            rows.append(Row(f"http.{key}", label, scale, "—", "—", "缺：平台尚无该端点（/api/verify/{number}）"))
    return rows


def season_rows(
    sizes: Sizes,
    backend: str,
    batch: int,
    workers: int,
    report: dict[str, Any],
    console: Console,
    note: str,
    save: Callable[[], None],
) -> list[Row]:
    results = []
    report["season"] = {"backend": backend, "meeting_batch": batch, "workers": workers, "runs": []}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        for n in sizes.seasons:
            results.append(season.run_season(n, backend=backend, batch=batch, workers=workers, progress=progress))
            report["season"]["runs"].append(results[-1].as_dict())
            save()
    db = "PostgreSQL" if backend == "postgres" else "SQLite"
    rows = []
    for r in results:
        rows.append(
            Row(
                f"season.{r.n}",
                f"评审季模拟（{db}，{r.workers} 个进程同时办理）",
                f"{r.n:,} 份申报",
                f"{r.seconds:,.0f} s；{r.transactions_per_s:,.0f} 事务/秒；{r.transitions_per_s:,.1f} 流转/秒",
                f"{1e6 * r.seconds / max(1, r.transactions):,.0f} µs/事务",
                f"{r.transactions:,} 事务，{r.application_transitions:,} 次流转，{r.meetings} 场会议，"
                f"{r.certificates:,} 张证书；审计链{'完好' if r.audit_ok else '断裂！'}{note}",
            )
        )
    first, last = results[0], results[-1]
    ideal = last.n / first.n
    per_tx = (last.seconds / max(1, last.transactions)) / (first.seconds / max(1, first.transactions))
    report["season"]["growth"] = {
        "from": first.n,
        "to": last.n,
        "time_ratio": round(last.seconds / first.seconds, 3),
        "linear": ideal,
        "per_transaction_ratio": round(per_tx, 3),
    }
    rows.append(
        Row(
            "season.growth",
            f"评审季增长：{first.n:,} → {last.n:,} 份",
            f"× {ideal:g} 份申报",
            f"用时 × {last.seconds / first.seconds:.2f}（线性为 × {ideal:g}）",
            f"每事务耗时 × {per_tx:.2f}",
            "每事务耗时 × 1.00 即随数据量线性增长",
        )
    )
    return rows


# ---------------------------------------------------------------- output
def table(rows: list[Row], title: str) -> Table:
    t = Table(title=title, show_lines=True)
    for name in ("项目", "规模", "结果", "比值", "说明"):
        t.add_column(name, overflow="fold")
    for r in rows:
        t.add_row(r.item, r.scale, r.result, r.ratio, r.note)
    return t


def markdown(rows: list[Row], report: dict[str, Any]) -> str:
    m = report["machine"]
    pkgs = "、".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    lines = [
        f"运行：`{report['command']}`，{report['started']} 至 {report['finished']}（北京时间），"
        f"共 {report['seconds']:,.0f} s。",
        "",
        f"机器：{m['os']}；{m['cpu']}；{m['nproc']} 核；内存 {m['memory_gb']} GB；Python {m['python']}；"
        f"SQLite {m['sqlite']}；PostgreSQL {m['postgresql'] or '不可达'}；{pkgs}。"
        f"1/5/15 分钟平均负载：开始 {report['load_start']}，结束 {report['load_end']}。",
        "",
        "| 项目 | 规模 | 结果 | 比值 | 说明 |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        cells = [c.replace("|", "\\|") for c in (r.item, r.scale, r.result, r.ratio, r.note)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description="zhicheng 基准测试（一条命令，一张表）")
    ap.add_argument("--full", action="store_true", help="批量筛查 1,000,000 份（默认 200,000）")
    ap.add_argument("--quick", action="store_true", help="小规模：评审季 1,000 与 2,000 份")
    ap.add_argument("--smoke", action="store_true", help="最小规模，SQLite（冒烟测试用）")
    ap.add_argument("--n", type=int, default=20_000, help="评审季最大规模（依次运行 N/4、N/2、N）")
    ap.add_argument("--only", default="engine,batch,http,season", help="只运行其中几项（逗号分隔）")
    ap.add_argument("--sqlite", action="store_true", help="平台一律用 SQLite（默认：PostgreSQL 可达时用它）")
    ap.add_argument("--http-workers", type=int, default=2, help="两个 uvicorn 服务器各自的 worker 数")
    ap.add_argument("--http-concurrency", type=int, default=32)
    ap.add_argument("--http-requests", type=int, default=None)
    ap.add_argument("--meeting-batch", type=int, default=100, help="每场评审会议的申报数")
    ap.add_argument(
        "--season-workers", type=int, default=season.default_workers(), help="评审季同时办理的进程数（SQLite 恒为 1）"
    )
    ap.add_argument("--out", type=Path, default=RESULTS, help="结果目录（latest.json、latest.md）")
    args = ap.parse_args(argv)
    if args.smoke:
        args.sqlite = True
    sizes = sizes_for(args)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    console = Console()
    reason = None
    backend = "sqlite"
    if not args.sqlite:
        backend, reason = season.season_backend()
    note = f"（PostgreSQL 不可达，改用 SQLite：{reason}）" if reason else ""
    if reason:
        console.print(f"[yellow]{note}[/yellow]")
    started = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    t0 = time.perf_counter()
    report: dict[str, Any] = {
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]).strip(),
        "started": started.strftime("%Y-%m-%d %H:%M"),
        "backend": "postgresql" if backend == "postgres" else "sqlite",
        "sizes": sizes.__dict__,
        "machine": machine(),
        "load_start": load_avg(),
    }
    rows: list[Row] = []
    args.out.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        """Write the results so far (a long run that fails late keeps what it measured)."""
        report["seconds"] = round(time.perf_counter() - t0, 1)
        report["finished"] = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
        report["load_end"] = load_avg()
        report["rows"] = [r.__dict__ for r in rows]
        text = json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
        (args.out / "latest.json").write_text(text, encoding="utf-8")
        (args.out / "latest.md").write_text(markdown(rows, report), encoding="utf-8")

    sections: list[tuple[str, str, Callable[[], list[Row]]]] = [
        ("engine", "1 引擎单次检查", lambda: engine_rows(sizes, report)),
        ("batch", "2 批量筛查", lambda: batch_rows(sizes, report)),
        ("http", "3 HTTP 吞吐与延迟", lambda: http_rows(sizes, backend, workers, report, console)),
        ("season", "4 评审季模拟", lambda: season_rows(sizes, backend, batch, seasons_w, report, console, note, save)),
    ]
    seasons_w = args.season_workers
    workers = 1 if args.smoke else args.http_workers
    batch = args.meeting_batch
    failed = []
    for name, title, run in sections:
        if name not in only:
            continue
        console.rule(title)
        try:
            rows.extend(run())
        except Exception as exc:  # one broken section must not cost the others' figures
            console.print_exception()
            failed.append(name)
            rows.append(Row(name, f"{title} 失败", "—", "—", "—", f"{type(exc).__name__}: {exc}"[:300]))
        save()
    db = "PostgreSQL" if backend == "postgres" else "SQLite"
    console.print(
        table(rows, f"zhicheng 基准（平台数据库：{db}；{os.cpu_count()} 核；负载 {report['load_start'][0]}）")
    )
    console.print(f"结果已写入 {args.out / 'latest.json'} 与 {args.out / 'latest.md'}")
    if failed:
        console.print(f"[red]失败的部分：{'、'.join(failed)}[/red]")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
