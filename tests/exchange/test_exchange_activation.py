"""The round trip on SQLite and PostgreSQL: the agency imports applicants and experts from Excel, issues the
activation codes of that import and downloads the sheet, each person activates (an applicant with the ID
number, an expert with the username), then logs in; and the same with the command line on the demo data."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from api_support import Api, make_api
from exchange_world import TODAY, World, applicant, book, person
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from zhicheng.accounts.idnumbers import make_uscc
from zhicheng.cli import app
from zhicheng.exchange.sheets import XLSX_MEDIA_TYPE
from zhicheng.store.testing import scratch_database

NEW = "Neu#Passwort-2026"
runner = CliRunner()


@pytest.fixture
def api(world: World, tmp_path: Path) -> Iterator[Api]:
    application, clock = make_api(world.engine, tmp_path, TODAY)
    with TestClient(application) as client:
        a = Api(client, application, clock, world.engine)
        a.issue("agency", world.agency.user_id)
        yield a


def sheet_rows(content: bytes) -> list[list[object]]:
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    assert ws is not None
    return [[c.value for c in row] for row in ws.iter_rows() if isinstance(row[0].value, int)]


def expert_row(name: str, id_number: str, username: str) -> dict[str, object]:
    return {
        "姓名": name,
        "身份证号": id_number,
        "用户名": username,
        "职称": "正高级工程师",
        "专业": "人工智能",
        "工作单位": "北京某研究院",
        "聘期开始": dt.date(2026, 1, 1),
        "聘期结束": dt.date(2028, 12, 31),
    }


def test_import_issue_activate_login(api: Api, world: World) -> None:
    people = book([applicant("1", "张三", person(1)), applicant("2", "李四", person(2), 申报级别="工程师")])
    r = api.post("agency", "/api/imports/applications", files={"file": ("申报.xlsx", people, XLSX_MEDIA_TYPE)})
    assert r.status_code == 200 and r.json()["created"] == 2, r.text
    batch = r.json()["sha256"]
    experts = book(experts=[expert_row("赵六", person(20), "zhaoliu")])
    r = api.post("agency", "/api/imports/experts", files={"file": ("专家.xlsx", experts, XLSX_MEDIA_TYPE)})
    assert r.status_code == 200 and r.json()["created"] == 1, r.text

    # the applicants' import only: the expert is not on this sheet
    r = api.post("agency", "/api/accounts/codes.xlsx", json={"import_batch": batch})
    assert r.status_code == 200 and r.headers["x-codes-issued"] == "2"
    rows = sheet_rows(r.content)
    assert sorted(str(x[1]) for x in rows) == ["张三", "李四"]
    zhang = next(x for x in rows if x[1] == "张三")
    assert str(zhang[3]).startswith("110") and "*" in str(zhang[3])  # the ID number masked on the sheet

    # 张三 does not know the generated username: the ID number identifies him
    r = api.post(None, "/api/auth/login", json={"username": zhang[2], "password": NEW})
    assert r.status_code == 403 and "尚未激活" in r.json()["error"]["message"]
    r = api.post(None, "/api/auth/activate", json={"account": person(1), "code": zhang[7], "password": NEW})
    assert r.status_code == 200 and r.json()["username"] == zhang[2], r.text
    token = api.login(str(zhang[2]), NEW)
    me = api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["display_name"] == "张三" and me["role"] == "applicant"
    mine = api.client.get("/api/applications", headers={"Authorization": f"Bearer {token}"}).json()
    assert mine["total"] == 1  # the imported draft is his

    # then the rest: the expert (and 李四, whose code is still valid, is left alone)
    r = api.post("agency", "/api/accounts/codes.xlsx", json={})
    rows = sheet_rows(r.content)
    assert [x[2] for x in rows] == ["zhaoliu"] and rows[0][5] == "评审专家"
    r = api.post(None, "/api/auth/activate", json={"account": "zhaoliu", "code": rows[0][7], "password": NEW})
    assert r.status_code == 200
    assert api.login("zhaoliu", NEW)
    assert api.get("agency", "/api/accounts/unactivated").json()["total"] == 1  # 李四


@pytest.fixture
def demo_db(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with scratch_database(backend, tmp_path) as url:
        rendered = url.render_as_string(hide_password=False)
        monkeypatch.setenv("ZHICHENG_DATABASE_URL", rendered)
        monkeypatch.setenv("ZHICHENG_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.chdir(tmp_path)
        r = runner.invoke(app, ["demo"])
        assert r.exit_code == 0, r.output
        yield rendered


def test_codes_command(demo_db: str, tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    data = book([applicant("1", "周一", person(61), 单位统一社会信用代码=make_uscc("91110108MA01AB2C3"))])
    good.write_bytes(data)
    r = runner.invoke(app, ["import", "applications", str(good), "--user", "agency", "--as-of", "2026-09-10"])
    assert r.exit_code == 0, r.output
    sheet = tmp_path / "codes.xlsx"
    batch = hashlib.sha256(data).hexdigest()
    r = runner.invoke(app, ["accounts", "codes", "--user", "agency", "--import-batch", batch, "--out", str(sheet)])
    assert r.exit_code == 0 and "已签发 1 个激活码" in r.output, r.output
    rows = sheet_rows(sheet.read_bytes())
    assert [x[1] for x in rows] == ["周一"]
    r = runner.invoke(app, ["accounts", "code", person(61), "--user", "agency"])
    assert r.exit_code == 0 and "周一" in r.output and "激活码" in r.output, r.output
    r = runner.invoke(app, ["accounts", "code", "zhangwei", "--user", "agency", "--reset"])
    assert r.exit_code == 0 and "密码重置码" in r.output, r.output
    r = runner.invoke(app, ["accounts", "codes", "--user", "bureau", "--out", str(sheet)])
    assert r.exit_code == 2 and "评审服务机构" in r.output
