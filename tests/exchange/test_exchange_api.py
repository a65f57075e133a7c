"""The Excel endpoints over HTTP, on SQLite and PostgreSQL: import with a JSON or Excel error report (nothing
committed on refusal), dry run, templates, permission refusals, and the public notice export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Api, make_api
from exchange_world import TODAY, World, applicant, book, person, read_book
from fastapi.testclient import TestClient

from zhicheng.exchange.sheets import XLSX_MEDIA_TYPE

XLSX = XLSX_MEDIA_TYPE
MAX_UPLOAD = 200_000


@pytest.fixture
def api(world: World, tmp_path: Path) -> Iterator[Api]:
    app, clock = make_api(world.engine, tmp_path, TODAY, max_upload_bytes=MAX_UPLOAD)
    with TestClient(app) as client:
        a = Api(client, app, clock, world.engine)
        for role in ("agency", "admin", "bureau", "unit", "expert", "registered"):
            a.issue(role, getattr(world, role).user_id)
        yield a


def upload(api: Api, who: str | None, data: bytes, query: str = "", kind: str = "applications"):  # type: ignore[no-untyped-def]
    return api.post(who, f"/api/imports/{kind}{query}", files={"file": ("申报汇总.xlsx", data, XLSX)})


def test_import_over_http(api: Api, world: World) -> None:
    data = book([applicant("1", "张三", person(1)), applicant("2", "李四", person(2), 申报级别="工程师")])
    before = world.counts()
    dry = upload(api, "agency", data, "?dry_run=true")
    assert dry.status_code == 200, dry.text
    assert dry.json()["imported"] is False and dry.json()["created"] == 2
    assert world.counts() == before
    r = upload(api, "agency", data)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["imported"], body["created"], body["skipped"], body["rows"]) == (True, 2, 0, 2)
    assert body["message"] == "已导入申报 2 条"
    assert [x["name"] for x in body["results"]] == ["张三", "李四"] and all(x["id"] for x in body["results"])
    again = upload(api, "agency", data).json()
    assert (again["created"], again["skipped"]) == (0, 2)
    assert world.counts()["applications"] == before["applications"] + 2


def test_a_rejected_import_answers_422_and_commits_nothing(api: Api, world: World) -> None:
    data = book([applicant("1", "张三", person(1)), applicant("2", "李四", "110105", 申报级别="总工程师")])
    before = world.counts()
    r = upload(api, "agency", data)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "import_rejected" and err["message"] == "1 行有误（共 2 处），未导入任何申报"
    assert {f["path"] for f in err["fields"]} == {"申报人!3!身份证号", "申报人!3!申报级别"}
    assert world.counts() == before
    report = upload(api, "agency", data, "?report=xlsx")
    assert report.status_code == 422 and report.headers["content-type"] == XLSX
    assert "attachment" in report.headers["content-disposition"]
    wb = read_book(report.content)
    assert [c.value for c in wb["申报人"][1]][-1] == "错误说明"
    assert wb["错误汇总"].cell(4, 3).value == "身份证号"
    assert world.counts() == before  # the answer with a file committed nothing of the import either


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("bureau", 403), ("unit", 403), ("registered", 403)])
def test_import_refusals(api: Api, world: World, who: str | None, status: int) -> None:
    before = world.counts()
    r = upload(api, who, book([applicant("1", "张三", person(1))]))
    assert r.status_code == status
    assert world.counts() == before
    assert api.get(who, "/api/imports/applications/template.xlsx").status_code == status


def test_templates_and_expert_import_rights(api: Api) -> None:
    t = api.get("agency", "/api/imports/experts/template.xlsx")
    assert t.status_code == 200 and t.headers["content-type"] == XLSX
    assert read_book(t.content).sheetnames == ["评审专家", "填写说明"]
    assert api.get("admin", "/api/imports/applications/template.xlsx").status_code == 200
    assert api.get("admin", "/api/imports/experts/template.xlsx").status_code == 403
    assert upload(api, "admin", b"PK", kind="experts").status_code == 403
    assert api.get("agency", "/api/imports/nothing/template.xlsx").status_code == 422
    oversize = upload(api, "agency", b"PK" + b"0" * MAX_UPLOAD)
    assert oversize.status_code == 413
