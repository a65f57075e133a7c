"""HTTP benchmark: application status and public certificate verification against a bare FastAPI endpoint.

Run: .venv/bin/python -m bench.bench_http [--requests 2000] [--concurrency 32] [--workers 2] [--sqlite]

A scratch database (PostgreSQL schema when the server answers, else a SQLite file) is filled by a small
season (bench/season.py: applications through the whole procedure, certificates issued), then two real
uvicorn servers run in subprocesses on localhost with the same command and worker count:

* the platform (``zhicheng.api.app:create_app --factory``) on that database;
* the baseline (``bench.bare_app:app``): one plain ``def`` endpoint returning ``{"ok": true}``.

A small asyncio HTTP/1.1 load generator (keep-alive connections, closed loop) sends a fixed number of
requests after a warm-up and records each latency: req/s, p50, p99, and each target's ratio to the bare
endpoint.  Every response is checked (status 200; verification says ``valid``); failures are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from bench.season import Season
from zhicheng.api.accounts import issue_token
from zhicheng.store.db import make_engine, migrate, transaction
from zhicheng.store.models import Certificate, User
from zhicheng.store.testing import scratch_database

ROOT = Path(__file__).resolve().parent.parent
Check = Callable[[int, bytes], bool]


@dataclass
class LoadResult:
    name: str
    requests: int
    seconds: float
    errors: int
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def quantile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.quantile_ms(0.50), 2),
            "p99_ms": round(self.quantile_ms(0.99), 2),
            "mean_ms": round(1000 * statistics.fmean(self.latencies), 2),
            "errors": self.errors,
        }


# ---------------------------------------------------------------- the load generator
async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    line = await reader.readline()
    if not line:
        raise ConnectionError("server closed the connection")
    status = int(line.split()[1])
    length, chunked, close = 0, False, False
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        key, _, value = header.partition(b":")
        key = key.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif key == b"connection":
            close = value.strip().lower() == b"close"
    if not chunked:
        return status, await reader.readexactly(length), close
    body = bytearray()
    while size := int((await reader.readline()).split(b";")[0], 16):
        body += await reader.readexactly(size)
        await reader.readexactly(2)
    await reader.readline()
    return status, bytes(body), close


async def _drive(port: int, requests: Sequence[bytes], total: int, concurrency: int, check: Check) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (i := next(counter)) < total:
                t = time.perf_counter()
                writer.write(requests[i % len(requests)])
                status, body, close = await _read_response(reader)
                latencies.append(time.perf_counter() - t)
                errors += not check(status, body)
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    t = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return LoadResult("", total, time.perf_counter() - t, errors, latencies)


def load(
    name: str, port: int, requests: Sequence[bytes], *, total: int, warmup: int, concurrency: int, check: Check
) -> LoadResult:
    """Warm up, then send ``total`` requests over ``concurrency`` keep-alive connections."""
    asyncio.run(_drive(port, requests, warmup, concurrency, check))
    result = asyncio.run(_drive(port, requests, total, concurrency, check))
    result.name = name
    return result


def get(path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "User-Agent: zhicheng-bench/1"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# ---------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server(target: str, *, ready_path: str, workers: int, env: dict[str, str], log: Path) -> Iterator[int]:
    """A uvicorn server in a subprocess (stopped afterwards); yields its port once it answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    if target.endswith("create_app"):
        cmd.append("--factory")
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{target} 未能启动（退出码 {proc.returncode}），见 {log}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target} 120 秒内未就绪，见 {log}")
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- the run
def verification_route_exists() -> bool:
    from zhicheng.api.app import create_app

    return "/api/verify/{number}" in create_app().openapi().get("paths", {})


def run_http(
    backend: str,
    *,
    requests: int = 2000,
    warmup: int = 200,
    concurrency: int = 32,
    workers: int = 2,
    rounds: int = 2,
    seed_n: int = 60,
    console: Console | None = None,
) -> dict[str, Any]:
    """Seed a scratch database, serve it and the bare app, measure; best round of each target."""
    console = console or Console()
    has_verify = verification_route_exists()
    with tempfile.TemporaryDirectory(prefix="zc-http-") as tmp, scratch_database(backend, Path(tmp)) as url:
        engine = make_engine(url)
        try:
            migrate(engine)
            console.print(f"[dim]HTTP：用 {seed_n} 份申报走完程序，准备数据（{engine.dialect.name}）…[/dim]")
            season = Season(engine, seed_n, Path(tmp) / "keys", batch=max(seed_n, 1))
            season.run()
            stamp = dt.datetime.now(dt.UTC)
            status_requests, verify_requests = [], []
            with transaction(engine) as s:
                for app_id, who in season.applicant_of.items():
                    user = s.get(User, who.user_id)
                    assert user is not None
                    token, _ = issue_token(s, user, stamp, dt.timedelta(days=1))
                    status_requests.append(get(f"/api/applications/{app_id}", {"Authorization": f"Bearer {token}"}))
                certs = list(s.execute(select(Certificate.number, Certificate.token)))
            rng = secrets.SystemRandom()
            for k, (number, token) in enumerate(certs * max(1, 50 // max(1, len(certs)))):
                client = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{k % 250 + 1}"  # many public clients
                verify_requests.append(get(f"/api/verify/{number}?t={token}", {"X-Forwarded-For": client}))
        finally:
            engine.dispose()
        env = dict(os.environ)
        env.update(
            ZHICHENG_DATABASE_URL=url.render_as_string(hide_password=False),
            ZHICHENG_DATA_DIR=str(Path(tmp) / "data"),
            ZHICHENG_SECRET_KEY=secrets.token_hex(32),  # the servers' own key, made for this run
            ZHICHENG_CERT_KEY_DIR=str(Path(tmp) / "keys"),
            ZHICHENG_VERIFY_LIMIT="1000000000",  # measure the look-up, not the 429 answer
            ZHICHENG_TRUST_PROXY="1",  # client addresses from X-Forwarded-For, as behind the reverse proxy
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
        )
        log = Path(tmp) / "servers.log"
        ok: Check = lambda status, body: status == 200  # noqa: E731
        valid: Check = lambda status, body: status == 200 and b'"outcome":"valid"' in body  # noqa: E731
        targets: list[tuple[str, str, list[bytes], Check]] = [("bare", "bare", [get("/ping")], ok)]
        targets.append(("status", "platform", status_requests, ok))
        if has_verify and verify_requests:
            targets.append(("verify", "platform", verify_requests, valid))
        best: dict[str, LoadResult] = {}
        with (
            server("bench.bare_app:app", ready_path="/ping", workers=workers, env=env, log=log) as bare_port,
            server(
                "zhicheng.api.app:create_app", ready_path="/api/health", workers=workers, env=env, log=log
            ) as app_port,
        ):
            ports = {"bare": bare_port, "platform": app_port}
            for r in range(rounds):
                for name, where, reqs, check in targets:
                    console.print(
                        f"[dim]HTTP 第 {r + 1}/{rounds} 轮：{name}，{requests} 次请求，并发 {concurrency}…[/dim]"
                    )
                    res = load(
                        name, ports[where], reqs, total=requests, warmup=warmup, concurrency=concurrency, check=check
                    )
                    if name not in best or res.rps > best[name].rps:
                        best[name] = res
        server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    out: dict[str, Any] = {
        "backend": "postgresql" if backend == "postgres" else "sqlite",
        "workers": workers,
        "concurrency": concurrency,
        "requests": requests,
        "warmup": warmup,
        "rounds": rounds,
        "seeded_applications": seed_n,
        "status_pairs": len(status_requests),
        "certificates": len(certs),
        "verify_endpoint": has_verify,
    }
    base = best["bare"]
    for name, res in best.items():
        out[name] = res.as_dict()
        if name != "bare":
            out[name]["rps_ratio"] = round(res.rps / base.rps, 4) if base.rps else None
            out[name]["p99_ratio"] = round(res.quantile_ms(0.99) / base.quantile_ms(0.99), 2)
    if any(res.errors for res in best.values()):
        out["server_log_tail"] = server_log
    return out


def main() -> None:
    from bench.season import season_backend

    ap = argparse.ArgumentParser(description="HTTP 基准：申报状态、证书核验 vs 裸 FastAPI 端点")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed-n", type=int, default=60)
    ap.add_argument("--sqlite", action="store_true")
    args = ap.parse_args()
    backend = "sqlite" if args.sqlite else season_backend()[0]
    console = Console()
    r = run_http(
        backend,
        requests=args.requests,
        warmup=args.warmup,
        concurrency=args.concurrency,
        workers=args.workers,
        rounds=args.rounds,
        seed_n=args.seed_n,
        console=console,
    )
    t = Table(title=f"HTTP 基准（{r['backend']}，{r['workers']} 个 worker，并发 {r['concurrency']}）")
    for col in ("端点", "req/s", "p50 ms", "p99 ms", "错误", "÷ 裸端点"):
        t.add_column(col, justify="left" if col == "端点" else "right")
    for name in ("bare", "status", "verify"):
        if name in r:
            x = r[name]
            t.add_row(
                name,
                f"{x['rps']:,.0f}",
                f"{x['p50_ms']:.1f}",
                f"{x['p99_ms']:.1f}",
                str(x["errors"]),
                f"{x.get('rps_ratio', 1):.3f}",
            )
    console.print(t)


if __name__ == "__main__":
    main()
