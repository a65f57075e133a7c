"""Every refusal in the one error shape with a Chinese message (401, 403, 404, 405, 413, 415, 422, 500),
and an OpenAPI document that describes every operation in Chinese with response models."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from api_support import AI_SENIOR, Api, D, make_api, seed_user
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from zhicheng.store.db import transaction
from zhicheng.store.testing import add_application, add_round

CJK = re.compile(r"[\u4e00-\u9fff]")


def shape(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    assert CJK.search(body["error"]["message"]), body
    if code is not None:
        assert body["error"]["code"] == code, body
    error: dict[str, Any] = body["error"]
    return error


def test_status_codes_all_speak_the_error_shape(api: Api, password_hash: str) -> None:
    applicant = seed_user(api.engine, "applicant", password_hash)
    api.issue("a", applicant.id)
    shape(api.get(None, "/api/applications"), 401, "unauthenticated")
    shape(api.post("a", "/api/rounds", json={}), 422)  # validation comes before the role check …
    r = api.post(
        "a",
        "/api/rounds",
        json={
            "document_id": "ai_bj_2020",
            "levels": ["engineer"],
            "year": 2026,
            "title": "t",
            "window_start": "2026-09-01",
            "window_end": "2026-09-30",
        },
    )
    shape(r, 403, "forbidden")  # … and a valid request from the wrong role is a 403
    shape(api.get("a", "/api/applications/999"), 404, "not_found")
    shape(api.get(None, "/api/nowhere"), 404, "http_404")
    shape(api.call("a", "DELETE", "/api/me"), 405, "http_405")
    err = shape(
        api.post("a", "/api/applications", content=b"{not json", headers={"Content-Type": "application/json"}), 422
    )
    assert err["fields"][0]["message"] == "请求体不是有效的 JSON"
    err = shape(api.post("a", "/api/applications", json={"round_id": 1, "level": "x", "colour": "red"}), 422)
    assert {"path": "colour", "message": "不认识的字段"} in err["fields"]
    err = shape(api.post("a", "/api/applications", json={"round_id": 0, "level": "a\x00b"}), 422)
    assert {f["path"] for f in err["fields"]} == {"round_id", "level"}
    assert any("空字符" in f["message"] for f in err["fields"])
    err = shape(api.get("a", "/api/applications/0"), 422)
    assert err["fields"][0]["path"] == "application_id"


def test_uploads_too_large_or_not_evidence(engine: Engine, tmp_path: Path, password_hash: str) -> None:
    app, clock = make_api(engine, tmp_path, max_upload_bytes=1024)
    with TestClient(app) as client:
        api = Api(client, app, clock, engine)
        applicant = seed_user(engine, "applicant", password_hash)
        api.issue("a", applicant.id)
        with transaction(engine) as s:
            rnd = add_round(s)
            app_id = add_application(s, rnd, applicant, profile=AI_SENIOR).id
        url = f"/api/applications/{app_id}/evidence"
        big = b"%PDF-1.4\n" + b"0" * 2048
        err = shape(api.post("a", url, files={"file": ("大.pdf", big, "application/pdf")}), 413, "too_large")
        assert "上限" in err["message"] and err["fields"][0]["path"] == "file"
        huge = b"%PDF-" + b"0" * (1024 * 1024 + 2048)  # over the request limit: refused before parsing
        shape(api.post("a", url, files={"file": ("巨.pdf", huge, "application/pdf")}), 413, "too_large")
        err = shape(api.post("a", url, files={"file": ("假.pdf", b"hello, not a pdf", "application/pdf")}), 422)
        assert "不是 PDF、JPG 或 PNG" in err["message"]
        assert api.post("a", url, files={"file": ("真.pdf", b"%PDF-1.4 ok", "application/pdf")}).status_code == 201


def test_calendar_body_types(api: Api, password_hash: str) -> None:
    admin = seed_user(api.engine, "admin", password_hash)
    api.issue("admin", admin.id)
    yaml_body = (Path(__file__).parents[2] / "src/zhicheng/calendar/data/example-2027.yaml").read_bytes()
    r = api.post("admin", "/api/calendar/years", content=yaml_body, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200, r.text
    assert r.json()["loaded"] == [2027] and r.json()["coverage"]["end"] == "2027-12-31"
    assert r.json()["coverage"]["years"][-1] == {
        "year": 2027,
        "source": "示例（非官方数据）：2027年部分节假日安排（格式示范，日期虚构）",
        "doc_no": "示例〔2027〕0号（非真实文号）",
        "imported": True,
    }
    bad = yaml_body.replace(b"2027-02-12", b"2027-02-30")
    err = shape(api.post("admin", "/api/calendar/years", content=bad, headers={"Content-Type": "text/yaml"}), 422)
    assert any(f["path"] == "holidays[1].end" for f in err["fields"]), err
    shape(api.post("admin", "/api/calendar/years", content=b"a,b", headers={"Content-Type": "text/csv"}), 415)
    shape(api.post("admin", "/api/calendar/years", content=b"{", headers={"Content-Type": "application/json"}), 422)
    assert api.get(None, "/api/calendar/coverage").json()["end"] == "2027-12-31"


def test_unexpected_errors_are_500_in_the_shape(engine: Engine, tmp_path: Path) -> None:
    app, _ = make_api(engine, tmp_path)

    @app.get("/api/boom", summary="测试")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/boom")
        shape(r, 500, "internal_error")
        assert "secret" not in r.text


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from zhicheng.api.app import create_app

    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('spec') / 'spec.sqlite3'}")
    schema: dict[str, Any] = TestClient(app).get("/openapi.json").json()
    return schema


def test_openapi_describes_every_operation_in_chinese(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    error_ref = "#/components/schemas/ErrorResponse"
    operations = [(m, p, op) for p, ops in spec["paths"].items() for m, op in ops.items()]
    assert len(operations) >= 36
    for method, path, op in operations:
        where = f"{method.upper()} {path}"
        assert CJK.search(op.get("summary", "")), where
        ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert len(ok) == 1, where
        (code, response), *_ = ok.items()
        if code != "204":
            content = response["content"]
            schemas = [c["schema"] for c in content.values()]
            assert all(s.get("$ref") or s.get("type") or s.get("items") or s.get("anyOf") for s in schemas), where
        for code, response in op["responses"].items():
            if code.startswith("4"):
                assert response["content"]["application/json"]["schema"]["$ref"] == error_ref, (where, code)
        needs_login = any("BearerToken" in s for s in op.get("security", []))
        if needs_login:
            assert "401" in op["responses"], where
        keyed = any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
        # a stored (voter, request hash) would reveal the secret ballot; a verification is a logged look-up
        # sent as POST to keep the holder's name out of URLs
        if path.endswith("/ballot/votes") or path == "/api/verify":
            assert not keyed, where
        elif path == "/api/imports/{kind}":  # idempotent by content: re-importing the same file changes nothing
            continue
        elif path in ("/api/accounts/{user_id}/codes", "/api/accounts/codes.xlsx"):
            assert not keyed, where  # the answer holds an activation code: it must never be stored for replay
        elif method == "post" and needs_login and not path.startswith("/api/auth"):
            assert keyed, where
    assert "Idempotency-Key" not in str(spec["paths"]["/api/applications"]["get"])


def test_docs_page_is_served(spec: dict[str, Any], tmp_path: Path) -> None:
    from zhicheng.api.app import create_app

    client = TestClient(create_app(f"sqlite:///{tmp_path / 'd.sqlite3'}", clock=D(2026, 9, 1)))
    r = client.get("/docs")
    assert r.status_code == 200 and "swagger" in r.text.lower()
