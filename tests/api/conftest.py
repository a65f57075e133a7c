"""Fixtures of the API tests; the helpers live in api_support.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import PASSWORD, SECRET, Api, make_api
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from zhicheng.accounts.passwords import hash_password


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", SECRET)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def api(engine: Engine, tmp_path: Path) -> Iterator[Api]:
    app, clock = make_api(engine, tmp_path)
    with TestClient(app) as client:
        yield Api(client, app, clock, engine)
