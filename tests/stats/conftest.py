"""Fixtures of the statistics tests: the API helpers are reused (sys.path) and a seeded season (stats_world.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent / "api"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from sqlalchemy import Engine  # noqa: E402
from stats_world import Season, seed_season  # noqa: E402


@pytest.fixture
def season(engine: Engine) -> Season:
    return seed_season(engine)
