"""Fixtures of the integrity-archive tests: the certificate tests' world (tests/certificates/cert_world.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "certificates"))
from cert_world import CertWorld, build_world


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> CertWorld:
    return build_world(engine, tmp_path, applicants=3)
