"""Registration, login with lock-out, tokens, the masked ID number, staff accounts — both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api_support import PASSWORD, Api, new_id_number, new_uscc, seed_unit, seed_user
from sqlalchemy import select

from zhicheng.accounts.idnumbers import make_resident_id
from zhicheng.store.db import transaction
from zhicheng.store.models import AuditEntry, IdempotencyRecord, User


def register(api: Api, **fields: Any) -> Any:
    body = {"username": "zhangsan", "password": PASSWORD, "display_name": "张三", "id_number": new_id_number()}
    return api.post(None, "/api/auth/register", json=body | fields)


def fields_of(r: Any) -> dict[str, str]:
    """path → its messages joined (a field may have several, e.g. the password rules)."""
    out: dict[str, str] = {}
    for f in r.json()["error"]["fields"]:
        out[f["path"]] = (out.get(f["path"], "") + "；" + f["message"]).strip("；")
    return out


def test_register_stores_the_id_number_encrypted_and_returns_it_masked(api: Api) -> None:
    number = new_id_number()
    r = register(api, id_number=number)
    assert r.status_code == 201, r.text
    me = r.json()
    assert me["id_number_masked"] == number[:3] + "*" * 11 + number[-4:] and me["role"] == "applicant"
    token = api.login("zhangsan")
    r = api.get(token, "/api/me")
    assert r.status_code == 200 and r.json()["id_number_masked"] == me["id_number_masked"]
    assert number not in r.text
    with transaction(api.engine) as s:
        user = s.scalar(select(User).where(User.username == "zhangsan"))
        assert user is not None and user.id_number_token and number not in user.id_number_token
        assert user.id_number_index and len(user.id_number_index) == 64 and number not in user.id_number_index
        assert user.password_hash.startswith("$argon2id$")
        for entry in s.scalars(select(AuditEntry)):
            assert number not in str(entry.payload)


def test_register_reports_every_problem_per_field(api: Api) -> None:
    good = new_id_number()
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    r = register(api, username="a", password="short", display_name=" ", id_number=bad_check)
    assert r.status_code == 422
    f = fields_of(r)
    assert "校验码错误" in f["id_number"] and "用户名" in f["username"] and "密码长度" in f["password"]
    assert "display_name" in f
    future = make_resident_id("110105", dt.date(2030, 1, 1), 12)
    r = register(api, id_number=future)
    assert r.status_code == 422 and "出生日期" in fields_of(r)["id_number"], r.text
    r = register(api, id_number="not-a-number")
    assert r.status_code == 422 and "id_number" in fields_of(r)


def test_duplicate_id_number_and_username(api: Api) -> None:
    number = new_id_number()
    assert register(api, id_number=number).status_code == 201
    r = register(api, username="lisi", id_number=number.lower())
    assert r.status_code == 409 and r.json()["error"]["message"] == "该身份证号已注册"
    assert "id_number" in fields_of(r)
    r = register(api, username="zhangsan")
    assert r.status_code == 409 and "用户名" in r.json()["error"]["message"]


def test_register_with_unit_by_credit_code(api: Api) -> None:
    unit = seed_unit(api.engine, "北京某设计院")
    r = register(api, unit_uscc=unit.uscc.lower())
    assert r.status_code == 201 and r.json()["unit"]["name"] == "北京某设计院"
    r = register(api, username="u2", unit_uscc=new_uscc())
    assert r.status_code == 422 and "平台上没有" in fields_of(r)["unit_uscc"]
    bad = unit.uscc[:17] + ("0" if unit.uscc[17] != "0" else "1")
    r = register(api, username="u3", unit_uscc=bad)
    assert r.status_code == 422 and "校验位错误" in fields_of(r)["unit_uscc"]


def test_login_locks_after_five_failures_and_says_until_when(api: Api, password_hash: str) -> None:
    user = seed_user(api.engine, "applicant", password_hash)
    creds = {"username": user.username, "password": "Wrong#password1"}
    unknown = api.post(None, "/api/auth/login", json={"username": "nobody", "password": "Wrong#password1"})
    assert unknown.status_code == 401
    for _ in range(4):
        r = api.post(None, "/api/auth/login", json=creds)
        assert r.status_code == 401 and r.json()["error"] == unknown.json()["error"]  # same message
    api.clock.set(dt.date(2026, 9, 1), dt.time(9, 0))
    r = api.post(None, "/api/auth/login", json=creds)
    assert r.status_code == 429, r.text
    assert "2026-09-01 09:15" in r.json()["error"]["message"] and r.headers["retry-after"] == "900"
    right = {"username": user.username, "password": PASSWORD}
    r = api.post(None, "/api/auth/login", json=right)
    assert r.status_code == 429 and "锁定至2026-09-01 09:15" in r.json()["error"]["message"]
    api.clock.advance(dt.timedelta(minutes=15, seconds=1))
    r = api.post(None, "/api/auth/login", json=right)
    assert r.status_code == 200, r.text
    with transaction(api.engine) as s:
        stored = s.get(User, user.id)
        assert stored is not None and stored.failed_logins == 0 and stored.locked_until is None
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "lock_account")) is not None
    for _ in range(6):  # unknown users are never "locked": nothing tells them apart from wrong passwords
        assert api.post(None, "/api/auth/login", json={"username": "nobody", "password": "x"}).status_code == 401


def test_tokens_expire_and_logout_revokes(api: Api, password_hash: str) -> None:
    user = seed_user(api.engine, "applicant", password_hash)
    r = api.get(None, "/api/me")
    assert r.status_code == 401 and r.json()["error"]["message"] == "请先登录"
    assert r.headers["www-authenticate"] == "Bearer"
    assert api.get("garbage-token", "/api/me").status_code == 401
    token = api.login(user.username)
    body = api.client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD}).json()
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert expires - api.clock.now() == dt.timedelta(hours=8)
    assert api.get(token, "/api/me").status_code == 200
    api.clock.advance(dt.timedelta(hours=8))
    r = api.get(token, "/api/me")
    assert r.status_code == 401 and r.json()["error"]["message"] == "登录已过期，请重新登录"
    token = api.login(user.username)
    assert api.post(token, "/api/auth/logout").status_code == 204
    r = api.get(token, "/api/me")
    assert r.status_code == 401 and "退出登录" in r.json()["error"]["message"]


def test_admin_creates_staff_units_and_departments(api: Api, password_hash: str) -> None:
    admin = seed_user(api.engine, "admin", password_hash)
    agency = seed_user(api.engine, "agency", password_hash)
    api.issue("admin", admin.id)
    api.issue("agency", agency.id)
    dept = api.post("admin", "/api/departments", json={"name": "新区工业和信息化局"})
    assert dept.status_code == 201, dept.text
    unit = api.post(
        "admin", "/api/units", json={"name": "某科技", "uscc": new_uscc(), "department_id": dept.json()["id"]}
    )
    assert unit.status_code == 201, unit.text
    assert api.post("admin", "/api/units", json={"name": "又一", "uscc": unit.json()["uscc"]}).status_code == 409
    r = api.post("admin", "/api/units", json={"name": "坏码", "uscc": "123"})
    assert r.status_code == 422 and "uscc" in fields_of(r)
    staff = {"username": "hr01", "password": PASSWORD, "display_name": "人事处", "role": "unit"}
    r = api.post("admin", "/api/users", json=staff)
    assert r.status_code == 422 and "unit_uscc" in fields_of(r)
    r = api.post("admin", "/api/users", json=staff | {"unit_uscc": unit.json()["uscc"]})
    assert r.status_code == 201 and r.json()["unit"]["id"] == unit.json()["id"] and r.json()["id_number_masked"] is None
    r = api.post("admin", "/api/users", json=staff | {"username": "x1", "role": "applicant"})
    assert r.status_code == 422 and "role" in fields_of(r)
    assert api.post("agency", "/api/users", json=staff | {"username": "x2", "role": "expert"}).status_code == 403
    assert api.post("agency", "/api/units", json={"name": "n", "uscc": new_uscc()}).status_code == 403
    token = api.login("hr01")
    assert api.get(token, "/api/me").json()["role"] == "unit"
    with transaction(api.engine) as s:  # no password (and no hash of one) is kept with the idempotency data
        assert all(PASSWORD not in str(r.response) for r in s.scalars(select(IdempotencyRecord)))
