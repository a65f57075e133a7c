"""Logging in and out through the pages, on SQLite and PostgreSQL: cookie flags, redirects, lock-out, CSRF."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from zhicheng.accounts.passwords import hash_password
from zhicheng.api.app import create_app
from zhicheng.api.deps import FixedClock
from zhicheng.store.db import transaction
from zhicheng.store.models import AuthToken
from zhicheng.store.testing import add_user

PASSWORD = "Web#Session2026"


@pytest.fixture(scope="module")
def pw_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def client(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", "k" * 64)
    app = create_app(engine, FixedClock(dt.date(2026, 11, 23)), tmp_path / "evidence")
    return TestClient(app, base_url="https://testserver")


def csrf(client: TestClient, path: str = "/login") -> str:
    m = re.search(r'name="_csrf" value="([^"]+)"', client.get(path).text)
    assert m
    return m.group(1)


def test_login_logout_round_trip(client: TestClient, engine: Engine, pw_hash: str) -> None:
    with transaction(engine) as s:
        user = add_user(s, "agency", username="agency1", password_hash=pw_hash, display_name="评审机构甲")
        user_id = user.id
    r = client.get("/work", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/work"
    token = csrf(client)
    r = client.post(
        "/login",
        data={"_csrf": token, "username": "agency1", "password": PASSWORD, "next": "/work"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/work/agency"
    cookie = r.headers["set-cookie"]
    assert "zc_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    assert "评审机构甲" in client.get("/").text  # the header names the user
    r = client.post("/logout", data={"_csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    with transaction(engine, readonly=True) as s:
        tokens = s.scalars(select(AuthToken).where(AuthToken.user_id == user_id)).all()
    assert len(tokens) == 1 and tokens[0].revoked_at is not None
    assert client.get("/work", follow_redirects=False).status_code == 303


def test_wrong_password_message_and_lockout(client: TestClient, engine: Engine, pw_hash: str) -> None:
    with transaction(engine) as s:
        add_user(s, "unit", username="unit1", password_hash=pw_hash)
    token = csrf(client)
    for _ in range(4):
        r = client.post("/login", data={"_csrf": token, "username": "unit1", "password": "wrong"})
        assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = client.post("/login", data={"_csrf": token, "username": "unit1", "password": "wrong"})
    assert r.status_code == 429 and "锁定" in r.text
    r = client.post("/login", data={"_csrf": token, "username": "unit1", "password": PASSWORD})
    assert r.status_code == 429  # locked even with the right password


def test_login_needs_csrf_and_refuses_open_redirect(client: TestClient, engine: Engine, pw_hash: str) -> None:
    with transaction(engine) as s:
        add_user(s, "bureau", username="bureau1", password_hash=pw_hash)
    r = client.post("/login", data={"username": "bureau1", "password": PASSWORD})
    assert r.status_code == 403 and "页面已过期" in r.text
    token = csrf(client)
    r = client.post(
        "/login",
        data={"_csrf": token, "username": "bureau1", "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/work/bureau"


def test_empty_fields_are_named(client: TestClient) -> None:
    r = client.post("/login", data={"_csrf": csrf(client), "username": "", "password": ""})
    assert r.status_code == 422 and "请填写用户名" in r.text and "请填写密码" in r.text


def test_unknown_page_is_html_and_api_stays_json(client: TestClient) -> None:
    r = client.get("/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    r = client.get("/api/no-such-endpoint")
    assert r.status_code == 404 and r.json()["error"]["code"] == "http_404"
