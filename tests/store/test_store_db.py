"""Configuration, engines and transactions on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import DBAPIError, StatementError

from zhicheng.store.db import (
    ENV_DATABASE_URL,
    SQLITE_BUSY_TIMEOUT_MS,
    alembic_config,
    database_url,
    init_db,
    make_engine,
    normalise_url,
    transaction,
)
from zhicheng.store.models import Department, User
from zhicheng.store.testing import add_user


def test_database_url_defaults_to_sqlite_file_and_creates_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    url = database_url()
    assert url == f"sqlite:///{work / 'data' / 'zhicheng.sqlite3'}"
    assert (work / "data").is_dir()


def test_database_url_from_environment() -> None:
    assert database_url({ENV_DATABASE_URL: "sqlite:////srv/zc.db"}) == "sqlite:////srv/zc.db"
    assert database_url({ENV_DATABASE_URL: " postgresql://u:p%40w@db/zc "}) == "postgresql+psycopg://u:p%40w@db/zc"
    assert normalise_url("postgres://db/zc").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://db/zc").drivername == "postgresql+psycopg"


def test_alembic_config_keeps_percent_signs() -> None:
    config = alembic_config("postgresql://u:p%40w@db/zc")
    assert config.get_main_option("sqlalchemy.url") == "postgresql+psycopg://u:p%40w@db/zc"
    assert config.get_main_option("script_location", "").endswith("migrations")


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.sqlite3'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert (tmp_path / "sub" / "x.sqlite3").exists()
    finally:
        engine.dispose()


def test_sqlite_transactions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    path = tmp_path / "lock.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with transaction(engine) as session:
            session.execute(text("SELECT 1"))  # a read only, yet BEGIN IMMEDIATE holds the lock
            other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
        with transaction(engine, readonly=True) as session:
            session.execute(text("SELECT 1"))  # deferred BEGIN: no write lock
            other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            finally:
                other.close()
    finally:
        engine.dispose()


def test_transaction_commits_or_rolls_back(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(Department(name="市住房和城乡建设局"))
    with pytest.raises(RuntimeError), transaction(engine) as session:
        session.add(Department(name="市交通运输局"))
        session.flush()
        raise RuntimeError("boom")
    with transaction(engine, readonly=True) as session:
        names = session.scalars(select(Department.name)).all()
    assert names == ["市住房和城乡建设局"]


def test_readonly_transaction_refuses_writes_on_postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL enforces read-only transactions")
    with pytest.raises(DBAPIError, match="read-only"), transaction(engine, readonly=True) as session:
        session.add(Department(name="只读"))
        session.flush()


def test_timestamps_are_utc_aware_and_naive_ones_refused(engine: Engine) -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    moment = dt.datetime(2025, 6, 1, 9, 30, 15, 123456, tzinfo=beijing)
    with transaction(engine) as session:
        user = add_user(session, role="agency", locked_until=moment)
        user_id = user.id
    with transaction(engine) as session:
        loaded = session.get(User, user_id)
        assert loaded is not None
        assert loaded.locked_until == moment
        assert loaded.locked_until.utcoffset() == dt.timedelta(0)
        assert loaded.created_at.tzinfo is not None
    with pytest.raises(StatementError, match="未带时区"), transaction(engine) as session:
        add_user(session, role="agency", locked_until=dt.datetime(2025, 6, 1, 9, 30))


def test_init_db_creates_sqlite_file_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'zc.sqlite3'}"
    init_db(url)
    init_db(url)
    engine = make_engine(url)
    try:
        assert "applications" in inspect(engine).get_table_names()
        init_db(engine)
    finally:
        engine.dispose()
