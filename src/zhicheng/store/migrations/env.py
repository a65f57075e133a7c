"""Alembic environment of zhicheng, configured in code (see ``zhicheng.store.db.alembic_config``).

Online runs use the connection in ``config.attributes["connection"]`` when given (that is
how :func:`zhicheng.store.db.migrate` calls it), otherwise an engine made by
:func:`zhicheng.store.db.make_engine` from ``sqlalchemy.url`` or ``$ZHICHENG_DATABASE_URL``.

On SQLite the whole upgrade runs in one transaction (SQLite's DDL is transactional once the
driver's own BEGIN handling is off, which ``make_engine`` does) with foreign-key enforcement
switched off, as table rebuilds (batch mode) require; ``PRAGMA foreign_key_check`` must be
clean before the upgrade commits.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from zhicheng.store.db import database_url, make_engine
from zhicheng.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or database_url()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _set_sqlite_foreign_keys(connection: Connection, enabled: bool) -> None:
    # A PRAGMA on the raw DBAPI connection: through SQLAlchemy it would first open a
    # transaction, inside which SQLite ignores foreign_keys changes.
    raw = connection.connection.dbapi_connection
    if raw is None:  # pragma: no cover - only for a closed connection
        raise RuntimeError("connection is closed")
    raw.execute(f"PRAGMA foreign_keys = {'ON' if enabled else 'OFF'}")


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not connection.in_transaction():
        _set_sqlite_foreign_keys(connection, False)
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            transactional_ddl=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"迁移后外键检查失败：{broken[:5]}")
    finally:
        if sqlite and not connection.in_transaction():
            _set_sqlite_foreign_keys(connection, True)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as fresh:
            _run(fresh)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
