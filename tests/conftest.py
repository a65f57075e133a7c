"""Database fixtures shared by every test folder.

``engine`` runs each test on SQLite (a temp file) and on PostgreSQL (a schema of its own at
``$ZHICHENG_TEST_PG_URL``); the PostgreSQL run is skipped with "PostgreSQL 不可达：…" when the
server does not answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from zhicheng.store.testing import migrated_engine, postgres_unavailable_reason


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgres"``; the latter skipped when the server is unreachable."""
    name: str = request.param
    if name == "postgres":
        reason = postgres_unavailable_reason()
        if reason:
            pytest.skip(reason)
    return name


@pytest.fixture
def engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a fresh database migrated to head, for each backend."""
    with migrated_engine(backend, tmp_path) as migrated:
        yield migrated
