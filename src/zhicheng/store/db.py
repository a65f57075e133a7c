"""Database configuration: URL, engine, one transaction per unit of work, migrations.

SQLite (the embedded default) and PostgreSQL (production) are both first-class:

* SQLite: foreign keys on, WAL journal, a busy timeout, and every transaction starts with
  ``BEGIN IMMEDIATE`` (the pysqlite recipe from SQLAlchemy's SQLite dialect documentation:
  the driver's own BEGIN handling is switched off in a ``connect`` listener and a ``begin``
  listener emits ours).  Concurrent writers therefore queue on the write lock up to the busy
  timeout instead of failing half-way with "database is locked".
* PostgreSQL: psycopg 3 (``postgresql+psycopg://``); ``postgresql://`` and ``postgres://``
  URLs are rewritten to it.

Usage::

    engine = make_engine(database_url())
    init_db(engine)                      # Alembic upgrade to head
    with transaction(engine) as session:  # commit on success, roll back on exception
        session.add(...)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session

__all__ = [
    "DEFAULT_SQLITE_PATH",
    "ENV_DATABASE_URL",
    "READONLY_OPTION",
    "SQLITE_BUSY_TIMEOUT_MS",
    "alembic_config",
    "database_url",
    "init_db",
    "make_engine",
    "migrate",
    "normalise_url",
    "transaction",
]

ENV_DATABASE_URL = "ZHICHENG_DATABASE_URL"
DEFAULT_SQLITE_PATH = Path("data") / "zhicheng.sqlite3"
"""Relative to the working directory; :func:`database_url` makes it absolute."""
SQLITE_BUSY_TIMEOUT_MS = 30_000
READONLY_OPTION = "zhicheng_readonly"
"""Execution option set by ``transaction(..., readonly=True)``."""

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str | URL) -> URL:
    """Parse a URL; plain PostgreSQL URLs get the psycopg 3 driver (psycopg2 is not installed)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """``$ZHICHENG_DATABASE_URL``, or the SQLite file ``./data/zhicheng.sqlite3`` (folder created)."""
    env = os.environ if environ is None else environ
    configured = env.get(ENV_DATABASE_URL, "").strip()
    if configured:
        return normalise_url(configured).render_as_string(hide_password=False)
    path = DEFAULT_SQLITE_PATH.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(database)


def make_engine(url: str | URL | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default :func:`database_url`), set up for safe concurrent use.

    Extra keyword arguments go to :func:`sqlalchemy.create_engine`.
    """
    parsed = normalise_url(database_url() if url is None else url)
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "begin", _postgres_begin)
        return engine
    return create_engine(parsed, **kwargs)


def _make_sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    wal = path is not None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy: the driver emits no BEGIN of its own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS:d}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Take the write lock at the start: two writers serialise (waiting up to the busy
        # timeout) instead of one failing when it upgrades a read lock.  Read-only units of
        # work use a deferred BEGIN so they do not queue behind writers.
        readonly = connection.get_execution_options().get(READONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _postgres_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(READONLY_OPTION, False):
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")


@contextmanager
def transaction(engine: Engine, *, readonly: bool = False) -> Iterator[Session]:
    """One unit of work: a session in one transaction, committed on success, rolled back on error.

    ``readonly=True`` marks a read-only unit of work: PostgreSQL enforces it (``SET TRANSACTION
    READ ONLY``); SQLite uses a deferred ``BEGIN`` so readers do not wait for the write lock.
    Objects stay usable after the block (``expire_on_commit=False``).
    """
    bind = engine.execution_options(**{READONLY_OPTION: True}) if readonly else engine
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


# ---------------------------------------------------------------------------
# Migrations


def alembic_config(url: str | URL | None = None) -> Config:
    """An :class:`alembic.config.Config` for the package's migrations; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = normalise_url(url).render_as_string(hide_password=False)
        # ConfigParser interpolation: a literal % must be doubled.
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` (one transaction on both databases)."""
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def init_db(url: str | URL | Engine | None = None) -> None:
    """Create or upgrade the schema to the newest migration (the SQLite file is created on first run)."""
    if isinstance(url, Engine):
        migrate(url)
        return
    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
