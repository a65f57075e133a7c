"""Browser tests: a real uvicorn server of the app and Debian's Chromium driven by Playwright.

* ``live`` — the app (``create_app``) served by uvicorn on a free loopback port, in a thread of this
  process, on a fresh SQLite file, or a PostgreSQL scratch schema when a test parametrises ``backend``
  (``@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)``). Its FixedClock is
  ``live.clock``: a test moves the day between steps (``live.to(day)``) as the API tests do.
* ``browser`` — Chromium from ``/usr/bin/chromium`` (Playwright's own download cannot run here); the
  tests are skipped, with the reason, only when that binary is missing.
* ``new_page(width, height)`` — a page in a browser context of its own (own cookies): one per person.
* ``shots`` — screenshots into the test's tmp folder (see ``browser_support.Shots``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HTMX_WATCH,
    PASSWORD,
    SECRET,
    SHOTS_ENV,
    START_DAY,
    LiveServer,
    Shots,
)

from zhicheng.accounts.passwords import hash_password
from zhicheng.api.app import create_app
from zhicheng.api.deps import FixedClock, Settings
from zhicheng.store.testing import migrated_engine, postgres_unavailable_reason

WAIT_MS = 20_000  # how long a step may wait for the page (a ceiling for loaded machines, not a timing check)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name: str = getattr(request, "param", "sqlite")
    if name == "postgres" and (reason := postgres_unavailable_reason()):
        pytest.skip(reason)
    return name


@pytest.fixture
def live(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", SECRET)
    with migrated_engine(backend, tmp_path) as engine:
        clock = FixedClock(START_DAY)
        data_dir = tmp_path / "data"
        settings = Settings(data_dir=data_dir, evidence_dir=tmp_path / "evidence")
        app = create_app(engine, clock=clock, settings=settings)
        sock = _free_socket()
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:  # a start-up wait, not a timing assertion
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn 未能启动")
            time.sleep(0.02)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        monkeypatch.setenv("ZHICHENG_BASE_URL", url)  # the certificate's QR code points at this server
        try:
            yield LiveServer(url, app, clock, engine, backend, data_dir)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash of ``PASSWORD`` for every seeded account (hashing is deliberately slow)."""
    return hash_password(PASSWORD)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"浏览器测试需要 Debian 的 Chromium：{CHROMIUM} 不存在（apt-get install -y chromium）")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(browser: Any, live: LiveServer) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 900) -> Any:
        ctx = browser.new_context(
            base_url=live.url, viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        ctx.set_default_timeout(WAIT_MS)
        ctx.add_init_script(HTMX_WATCH)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def shots(tmp_path: Path) -> Shots:
    best = os.environ.get(SHOTS_ENV, "").strip()
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return Shots(folder, Path(best).resolve() if best else None)
