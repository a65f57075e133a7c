"""Fixtures of the spreadsheet tests: the helpers of the API and review tests are reused (sys.path), a test
key for personal data, and a small world of units, staff and open rounds (exchange_world.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent / "api", HERE.parent / "review", HERE.parent / "certificates"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from api_support import SECRET  # noqa: E402
from exchange_world import World, build_world  # noqa: E402
from sqlalchemy import Engine  # noqa: E402


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", SECRET)


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)
