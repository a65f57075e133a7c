"""Fixtures of the review tests; the world itself is built in ``review_world.py``."""

from __future__ import annotations

import pytest
from review_world import World, build_world
from sqlalchemy import Engine


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)
