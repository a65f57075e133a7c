"""Activation and password-reset codes over HTTP on SQLite and PostgreSQL: the login tells a not-activated
account what to do, the agency issues a code (shown once, never cached), the person activates and logs in,
a retry succeeds, wrong codes are committed and lock the account; the bulk sheet and the list."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from api_support import PASSWORD, Api, seed_unit, seed_user

from zhicheng.accounts.passwords import NO_PASSWORD

NEW = "Neu#Passwort-2026"


def imported(api: Api, **fields: object) -> tuple[int, str]:
    u = seed_user(api.engine, "applicant", NO_PASSWORD, **fields)
    return u.id, u.username


def test_issue_activate_login(api: Api, password_hash: str) -> None:
    api.issue("agency", seed_user(api.engine, "agency", password_hash).id)
    uid, name = imported(api)
    r = api.post(None, "/api/auth/login", json={"username": name, "password": "whatever-1A"})
    assert r.status_code == 403 and r.json()["error"] == {
        "code": "account_not_activated",
        "message": "账户尚未激活，请向评审服务机构领取激活码",
        "fields": [],
    }
    r = api.post("agency", f"/api/accounts/{uid}/codes", json={})
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    out = r.json()
    assert out["purpose"] == "activation" and len(out["code"]) == 11 and out["code"][5] == "-"
    body = {"account": name, "code": out["code"], "password": NEW}
    r = api.post(None, "/api/auth/activate", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["replayed"] is False and name in r.json()["message"]
    again = api.post(None, "/api/auth/activate", json=body)  # the retry of a lost answer
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert api.login(name, NEW)
    r = api.post(None, "/api/auth/activate", json=body | {"password": "Anders#Pass-2027"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "code_used"


def test_wrong_codes_are_committed_and_lock(api: Api, password_hash: str) -> None:
    api.issue("agency", seed_user(api.engine, "agency", password_hash).id)
    uid, name = imported(api)
    code = api.post("agency", f"/api/accounts/{uid}/codes", json={}).json()["code"]
    wrong = {"account": name, "code": "ZZZZZ-ZZZZZ", "password": NEW}
    for _ in range(4):
        r = api.post(None, "/api/auth/activate", json=wrong)
        assert r.status_code == 401 and r.json()["error"]["fields"] == [
            {"path": "code", "message": "用户名（身份证号）或激活码不正确"}
        ]
    r = api.post(None, "/api/auth/activate", json=wrong)
    assert r.status_code == 429 and r.headers["retry-after"] == "900"
    r = api.post(None, "/api/auth/activate", json=wrong | {"code": code})
    assert r.status_code == 429  # locked: the right code waits too
    api.clock.advance(dt.timedelta(minutes=16))
    assert api.post(None, "/api/auth/activate", json=wrong | {"code": code}).status_code == 200


def test_input_errors_name_the_field(api: Api) -> None:
    r = api.post(None, "/api/auth/activate", json={"account": "x1y", "code": "ABCDE-23456", "password": "kurz"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["message"].startswith("新密码不符合要求") and {f["path"] for f in err["fields"]} == {"password"}
    r = api.post(None, "/api/auth/activate", json={"account": "x1y", "code": "c"})
    assert r.status_code == 422


def test_reset_by_unit_and_sessions_end(api: Api, password_hash: str) -> None:
    unit = seed_unit(api.engine, "甲单位")
    other = seed_unit(api.engine, "乙单位")
    api.issue("unit", seed_user(api.engine, "unit", password_hash, unit_id=unit.id).id)
    mine = seed_user(api.engine, "applicant", password_hash, unit_id=unit.id)
    theirs = seed_user(api.engine, "applicant", password_hash, unit_id=other.id)
    api.issue("mine", mine.id)
    assert api.get("mine", "/api/me").status_code == 200
    assert api.post("unit", f"/api/accounts/{theirs.id}/codes", json={}).status_code == 404
    r = api.post("unit", f"/api/accounts/{mine.id}/codes", json={"purpose": "activation"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_activated"
    code = api.post("unit", f"/api/accounts/{mine.id}/codes", json={}).json()
    assert code["purpose"] == "reset"
    r = api.post(None, "/api/auth/activate", json={"account": mine.username, "code": code["code"], "password": NEW})
    assert r.status_code == 200 and r.json()["purpose"] == "reset"
    assert api.get("mine", "/api/me").status_code == 401  # the old session ended with the reset
    assert api.login(mine.username, NEW)
    assert api.client.post("/api/auth/login", json={"username": mine.username, "password": PASSWORD}).status_code == 401


def test_bulk_sheet_and_list(api: Api, password_hash: str) -> None:
    api.issue("agency", seed_user(api.engine, "agency", password_hash).id)
    names = sorted(imported(api)[1] for _ in range(3))
    seed_user(api.engine, "applicant", password_hash)  # has a password: not listed
    r = api.get("agency", "/api/accounts/unactivated")
    assert r.status_code == 200 and r.json()["total"] == 3
    assert {i["code_state"] for i in r.json()["items"]} == {"none"}
    r = api.post("agency", "/api/accounts/codes.xlsx", json={"valid_days": 30})
    assert r.status_code == 200 and r.headers["x-codes-issued"] == "3"
    assert "no-store" in r.headers["cache-control"]
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows.index(next(x for x in rows if x[0] == "序号"))
    body = [x for x in rows[header + 1 :] if isinstance(x[0], int)]
    assert sorted(x[2] for x in body) == names and all(len(str(x[7])) == 11 for x in body)
    assert api.post("agency", "/api/accounts/codes.xlsx", json={}).headers["x-codes-issued"] == "0"
    r = api.get("agency", "/api/accounts/unactivated?role=applicant")
    assert {i["code_state"] for i in r.json()["items"]} == {"pending"}
    code = next(x[7] for x in body if x[2] == names[0])
    r = api.post(None, "/api/auth/activate", json={"account": names[0], "code": code, "password": NEW})
    assert r.status_code == 200
    assert api.get("agency", "/api/accounts/unactivated").json()["total"] == 2
    r = api.post("agency", "/api/accounts/codes.xlsx", json={"import_batch": "0" * 64})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["path"] == "import_batch"
