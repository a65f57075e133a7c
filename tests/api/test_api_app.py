"""The app itself: works without arguments (embedded SQLite, migrated on startup), takes its clock from
``app.state.clock`` in any of the accepted forms, and settings from the environment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from zhicheng.api.app import create_app
from zhicheng.api.deps import BEIJING, Clock, FixedClock, Settings, as_clock
from zhicheng.store.db import transaction
from zhicheng.store.testing import add_round


def test_create_app_without_arguments_serves_the_embedded_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZHICHENG_DATABASE_URL", raising=False)
    monkeypatch.delenv("ZHICHENG_DATA_DIR", raising=False)
    app = create_app()
    assert not (tmp_path / "data").exists()  # nothing is touched before startup
    with TestClient(app) as client:
        assert (tmp_path / "data" / "zhicheng.sqlite3").is_file()
        assert client.get("/api/public/rounds").json()["total"] == 0
        assert client.get("/api/me").status_code == 401
    assert isinstance(app.state.clock, Clock)


def test_clock_forms(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as s:
        add_round(s, window_start=dt.date(2026, 9, 1), window_end=dt.date(2026, 9, 30))
    app = create_app(engine, clock=dt.date(2026, 9, 15), settings=Settings(data_dir=tmp_path))
    with TestClient(app) as client:
        assert client.get("/api/public/rounds").json()["items"][0]["accepting"] is True
        app.state.clock = lambda: dt.date(2026, 10, 1)  # a plain callable, as the web pages use it
        assert client.get("/api/public/rounds").json()["total"] == 0
        app.state.clock = FixedClock(dt.date(2026, 9, 30), dt.time(23, 59))
        assert client.get("/api/public/rounds").json()["items"][0]["accepting"] is True
    assert app.state.clock() == dt.date(2026, 9, 30)  # a Clock is also a () -> date


def test_clock_helpers() -> None:
    fixed = FixedClock(dt.date(2026, 9, 1))
    assert fixed.now() == dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing
    fixed.advance(dt.timedelta(hours=15))
    assert fixed.today() == dt.date(2026, 9, 2)
    assert as_clock(lambda: dt.date(2027, 1, 1)).today() == dt.date(2027, 1, 1)
    aware = dt.datetime(2026, 12, 31, 23, 30, tzinfo=BEIJING)
    assert as_clock(lambda: aware).today() == dt.date(2026, 12, 31)
    assert as_clock(None).today() == dt.datetime.now(BEIJING).date()


def test_settings_from_environment(tmp_path: Path) -> None:
    env = {
        "ZHICHENG_DATA_DIR": str(tmp_path),
        "ZHICHENG_MAX_UPLOAD_MB": "2",
        "ZHICHENG_TOKEN_HOURS": "1.5",
    }
    s = Settings.from_env(env)
    assert s.data_dir == tmp_path and s.max_upload_bytes == 2 * 1024 * 1024
    assert s.token_lifetime == dt.timedelta(minutes=90)
    assert (s.max_failed_logins, s.lockout) == (5, dt.timedelta(minutes=15))
