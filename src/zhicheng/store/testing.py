"""Helpers for tests that need a real database: a scratch SQLite file or PostgreSQL schema.

No pytest import here; each test folder's ``conftest.py`` turns these into fixtures::

    import pytest
    from zhicheng.store.testing import BACKENDS, migrated_engine, postgres_unavailable_reason

    @pytest.fixture(params=BACKENDS)
    def backend(request: pytest.FixtureRequest) -> str:
        if request.param == "postgres" and (reason := postgres_unavailable_reason()):
            pytest.skip(reason)
        return request.param

    @pytest.fixture
    def engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
        with migrated_engine(backend, tmp_path) as engine:
            yield engine

PostgreSQL: ``$ZHICHENG_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``).  Every scratch database is a schema of
its own with a unique name, reached through ``search_path``, dropped afterwards: parallel
runs (pytest-xdist) and other test suites never see each other's tables.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from zhicheng.store.db import make_engine, migrate, normalise_url
from zhicheng.store.models import Application, Role, Round, User

__all__ = [
    "BACKENDS",
    "DEFAULT_TEST_PG_URL",
    "ENV_TEST_PG_URL",
    "add_application",
    "add_round",
    "add_user",
    "migrated_engine",
    "pg_test_url",
    "postgres_unavailable_reason",
    "scratch_database",
]

BACKENDS = ("sqlite", "postgres")
ENV_TEST_PG_URL = "ZHICHENG_TEST_PG_URL"
DEFAULT_TEST_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_CONNECT_TIMEOUT_S = 3


def pg_test_url() -> URL:
    """The PostgreSQL server used by tests (``$ZHICHENG_TEST_PG_URL`` or the local default)."""
    return normalise_url(os.environ.get(ENV_TEST_PG_URL, "").strip() or DEFAULT_TEST_PG_URL)


def _admin_engine() -> Engine:
    url = pg_test_url()
    if "connect_timeout" not in url.query:
        url = url.update_query_dict({"connect_timeout": str(_CONNECT_TIMEOUT_S)})
    return create_engine(url, poolclass=NullPool)


@functools.cache
def postgres_unavailable_reason() -> str | None:
    """``None`` if the test server answers, else ``"PostgreSQL 不可达：<error>"`` (checked once per process)."""
    engine = _admin_engine()
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any failure to connect means: skip
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL 不可达：{first_line}"
    finally:
        engine.dispose()
    return None


@contextmanager
def _postgres_schema() -> Iterator[URL]:
    name = f"zc_test_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        try:
            yield pg_test_url().update_query_dict({"options": f"-csearch_path={name}"})
        finally:
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        admin.dispose()


@contextmanager
def scratch_database(backend: str, tmp_dir: Path) -> Iterator[URL]:
    """The URL of a new, empty database (SQLite file in ``tmp_dir``, or a fresh PostgreSQL schema).

    Removed when the block ends (the SQLite file is left to ``tmp_dir``'s owner).
    """
    if backend == "sqlite":
        path = Path(tmp_dir) / f"zhicheng-{uuid.uuid4().hex[:8]}.sqlite3"
        yield normalise_url(f"sqlite:///{path}")
    elif backend == "postgres":
        with _postgres_schema() as url:
            yield url
    else:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")


@contextmanager
def migrated_engine(backend: str, tmp_dir: Path) -> Iterator[Engine]:
    """An engine (``make_engine``) on a scratch database migrated to head; disposed afterwards."""
    with scratch_database(backend, tmp_dir) as url:
        engine = make_engine(url)
        try:
            migrate(engine)
            yield engine
        finally:
            engine.dispose()


# ---------------------------------------------------------------------------
# Minimal rows for tests (flushed, so ids are set)


def add_user(session: Session, role: str = Role.APPLICANT, **fields: Any) -> User:
    """A user with a unique username; applicants get a fake 64-hex blind index unless given one."""
    suffix = uuid.uuid4().hex
    values: dict[str, Any] = {
        "username": f"{role}-{suffix[:12]}",
        "display_name": f"测试用户 {suffix[:4]}",
        "role": str(role),
        "password_hash": "$argon2id$test",
    }
    if role == Role.APPLICANT:
        values["id_number_index"] = suffix + suffix[:32]
        values["id_number_masked"] = "110***********002X"
    values.update(fields)
    user = User(**values)
    session.add(user)
    session.flush()
    return user


def add_round(session: Session, **fields: Any) -> Round:
    """An open annual round for 2025 (engineer and senior engineer)."""
    values: dict[str, Any] = {
        "year": 2025,
        "kind": "annual",
        "document_id": "general_bj_2020",
        "levels": ["engineer", "senior_engineer"],
        "title": "2025 年度工程技术系列职称评审",
        "window_start": dt.date(2025, 6, 1),
        "window_end": dt.date(2025, 6, 30),
        "status": "open",
    }
    values.update(fields)
    round_ = Round(**values)
    session.add(round_)
    session.flush()
    return round_


def add_application(session: Session, round_: Round, applicant: User, **fields: Any) -> Application:
    """A draft application of ``applicant`` in ``round_`` at level ``engineer``."""
    values: dict[str, Any] = {
        "round_id": round_.id,
        "applicant_id": applicant.id,
        "document_id": round_.document_id,
        "level": "engineer",
        "state": "draft",
        "profile": {},
    }
    values.update(fields)
    application = Application(**values)
    session.add(application)
    session.flush()
    return application
