"""Helpers for the API tests: an app on the `engine` fixture's database with a fixed clock, users and
tokens made straight in the database (fast), and an HTTP client that signs in as any of them."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from zhicheng.accounts.identity import protect_resident_id
from zhicheng.accounts.idnumbers import make_resident_id, make_uscc
from zhicheng.api.accounts import issue_token
from zhicheng.api.app import create_app
from zhicheng.api.deps import FixedClock, Settings
from zhicheng.store.db import transaction
from zhicheng.store.models import Department, Unit, User

D = dt.date
PASSWORD = "Zc#2026-test-pass"
SECRET = "11" * 32  # test master key (ZHICHENG_SECRET_KEY)

AI_SENIOR: dict[str, Any] = {
    "name": "王五",
    "education": [{"level": "master", "graduation_date": "2012-07-01"}],
    "specialty_work_start": "2012-07-15",
    "titles": [{"grade": 3, "series": "engineering", "specialty": "人工智能", "obtained": "2018-12-01"}],
    "directions": ["ai_research"],
    "achievements": [
        {"kind": "paper", "venue": "core_journal", "rank": 1, "date": f"202{i}-03-01", "title": f"论文{i}"}
        for i in range(1, 4)
    ],
}

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

_seq = itertools.count(1)


def new_id_number() -> str:
    """A valid, unique 身份证号 for this test session."""
    n = next(_seq)
    return make_resident_id("110105", D(1980 + n % 20, 1 + n % 12, 1 + n % 28), n % 1000)


def new_uscc() -> str:
    n = next(_seq)
    return make_uscc(f"91110108MA{n:07d}"[:17])


@dataclass
class Api:
    """A TestClient on an app with a FixedClock; ``call(role_or_token, method, url, ...)`` signs in."""

    client: TestClient
    app: FastAPI
    clock: FixedClock
    engine: Engine
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = dict(extra or {})
        if who is not None:
            h["Authorization"] = f"Bearer {self.tokens.get(who, who)}"
        return h

    def call(
        self, who: str | None, method: str, url: str, *, headers: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        return self.client.request(method, url, headers=self.headers(who, headers), **kw)

    def get(self, who: str | None, url: str, **kw: Any) -> httpx.Response:
        return self.call(who, "GET", url, **kw)

    def post(self, who: str | None, url: str, **kw: Any) -> httpx.Response:
        return self.call(who, "POST", url, **kw)

    def login(self, username: str, password: str = PASSWORD) -> str:
        r = self.client.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        token: str = r.json()["token"]
        return token

    def issue(self, name: str, user_id: int, lifetime: dt.timedelta = dt.timedelta(days=3650)) -> str:
        """A token made in the database (no argon2 work), registered under ``name``."""
        with transaction(self.engine) as s:
            user = s.get(User, user_id)
            assert user is not None
            token, _ = issue_token(s, user, self.clock.now(), lifetime)
        self.tokens[name] = token
        return token


def make_api(
    engine: Engine, tmp_path: Path, day: dt.date = D(2026, 9, 1), **settings: Any
) -> tuple[FastAPI, FixedClock]:
    clock = FixedClock(day)
    app = create_app(
        engine,
        clock=clock,
        settings=Settings(data_dir=tmp_path / "data", evidence_dir=tmp_path / "evidence", **settings),
    )
    return app, clock


def seed_unit(engine: Engine, name: str = "某科技有限公司", department: str | None = None) -> Unit:
    with transaction(engine) as s:
        dept_id = None
        if department is not None:
            dept = Department(name=department)
            s.add(dept)
            s.flush()
            dept_id = dept.id
        unit = Unit(name=name, uscc=new_uscc(), department_id=dept_id)
        s.add(unit)
        s.flush()
        s.expunge(unit)
        return unit


def seed_user(engine: Engine, role: str, password_hash: str, **fields: Any) -> User:
    """A user straight in the database; applicants get a real encrypted 身份证号 (protector of the test key)."""
    from zhicheng.accounts.protect import PersonalDataProtector, decode_master_key

    n = next(_seq)
    values: dict[str, Any] = {
        "username": f"{role}{n}",
        "display_name": f"{role}用户{n}",
        "role": role,
        "password_hash": password_hash,
    }
    if role == "applicant":
        ident = protect_resident_id(PersonalDataProtector(decode_master_key(SECRET)), new_id_number())
        values |= {"id_number_token": ident.token, "id_number_index": ident.index, "id_number_masked": ident.masked}
    values.update(fields)
    with transaction(engine) as s:
        user = User(**values)
        s.add(user)
        s.flush()
        s.expunge(user)
        return user
