"""Alembic migrations: from an empty database to head, and parity with the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from zhicheng.store.db import alembic_config, init_db, make_engine
from zhicheng.store.models import GENESIS_HASH, Base
from zhicheng.store.testing import scratch_database


def _head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def test_migrations_from_empty(backend: str, tmp_path: Path) -> None:
    with scratch_database(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            assert inspect(engine).get_table_names() == []
            init_db(url)  # through a URL, as the CLI does
            tables = set(inspect(engine).get_table_names())
            assert tables == {*Base.metadata.tables, "alembic_version"}
            with engine.connect() as connection:
                assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head_revision()
                head = connection.execute(text("SELECT id, seq, hash FROM audit_head")).one()
                assert tuple(head) == (1, 0, GENESIS_HASH)
                if backend == "postgres":  # everything went into the scratch schema
                    schema = connection.execute(text("SELECT current_schema()")).scalar()
                    assert str(schema).startswith("zc_test_")
        finally:
            engine.dispose()


def test_migrated_schema_matches_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_and_up_again(engine: Engine) -> None:
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert "audit_entries" in inspect(engine).get_table_names()


def test_single_head_and_sqlite_file_has_no_foreign_key_violations(engine: Engine) -> None:
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
