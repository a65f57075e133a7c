"""Idempotency-Key: a retry returns the stored response and changes nothing; a reused key for another
request is refused; refusals are not stored. Optimistic concurrency: a stale version is a 409."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import AI_SENIOR, PDF, PNG, Api, D, seed_unit, seed_user
from sqlalchemy import func, select

from zhicheng.store.db import transaction
from zhicheng.store.models import Application, ApplicationEvidence, AuditEntry, IdempotencyRecord
from zhicheng.store.testing import add_round


@pytest.fixture
def draft(api: Api, password_hash: str) -> dict[str, Any]:
    unit = seed_unit(api.engine)
    applicant = seed_user(api.engine, "applicant", password_hash, unit_id=unit.id)
    staff = seed_user(api.engine, "unit", password_hash, unit_id=unit.id)
    api.issue("a", applicant.id)
    api.issue("unit", staff.id)
    with transaction(api.engine) as s:
        rnd = add_round(
            s,
            year=2026,
            document_id="ai_bj_2020",
            levels=["senior_engineer"],
            window_start=D(2026, 9, 1),
            window_end=D(2026, 9, 30),
        )
        round_id = rnd.id
    r = api.post(
        "a", "/api/applications", json={"round_id": round_id, "level": "senior_engineer", "profile": AI_SENIOR}
    )
    assert r.status_code == 201, r.text
    return {"round_id": round_id, "app": r.json()}


def count(api: Api, model: Any, *where: Any) -> int:
    with transaction(api.engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def submit(api: Api, app: dict[str, Any], key: str | None, version: int | None = None, **data: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    body = {"version": version or app["version"], "data": {"pledge": True, **data}}
    return api.post("a", f"/api/applications/{app['id']}/actions/submit", json=body, headers=headers)


def test_retry_with_the_same_key_replays_and_moves_once(api: Api, draft: dict[str, Any]) -> None:
    app = draft["app"]
    first = submit(api, app, "submit-1")
    assert first.status_code == 200 and first.json()["state"] == "unit_review", first.text
    again = submit(api, app, "submit-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert count(api, AuditEntry, AuditEntry.action == "submit") == 1
    with transaction(api.engine) as s:
        stored = s.get(Application, app["id"])
        assert stored is not None and stored.version == app["version"] + 1
    other = submit(api, app, "submit-1", note="不同的请求")
    assert other.status_code == 422 and other.json()["error"]["message"] == "幂等键已用于不同的请求"
    # keys belong to one actor: the unit may use the same key for its own request
    r = api.post(
        "unit",
        f"/api/applications/{app['id']}/actions/start_notice",
        json={"version": first.json()["version"]},
        headers={"Idempotency-Key": "submit-1"},
    )
    assert r.status_code == 200 and r.json()["state"] == "unit_notice", r.text


def test_stale_version_is_a_409_with_the_service_message(api: Api, draft: dict[str, Any]) -> None:
    app = draft["app"]
    assert submit(api, app, None).status_code == 200
    stale = api.post("unit", f"/api/applications/{app['id']}/actions/start_notice", json={"version": app["version"]})
    assert stale.status_code == 409
    assert "申报已被他人处理" in stale.json()["error"]["message"] and "请刷新后重试" in stale.json()["error"]["message"]
    fresh = api.get("unit", f"/api/applications/{app['id']}").json()
    r = api.post("unit", f"/api/applications/{app['id']}/actions/start_notice", json={"version": fresh["version"]})
    assert r.status_code == 200, r.text
    patch = api.call("a", "PATCH", f"/api/applications/{app['id']}", json={"route": "exceptional", "version": 1})
    assert patch.status_code == 409


def test_refusals_are_not_stored(api: Api, draft: dict[str, Any]) -> None:
    app = draft["app"]
    refused = submit(api, app, "k2", version=99)
    assert refused.status_code == 409
    assert count(api, IdempotencyRecord) == 0
    assert submit(api, app, "k2").status_code == 200


def test_create_and_upload_are_idempotent(api: Api, draft: dict[str, Any]) -> None:
    body = {"round_id": draft["round_id"], "level": "senior_engineer", "profile": AI_SENIOR}
    # a new round: the first create succeeds, a keyed retry replays it, an unkeyed retry is a duplicate (409)
    with transaction(api.engine) as s:
        rnd = add_round(s, year=2026, document_id="ai_bj_2020", levels=["senior_engineer"])
        body["round_id"] = rnd.id
    first = api.post("a", "/api/applications", json=body, headers={"Idempotency-Key": "create"})
    again = api.post("a", "/api/applications", json=body, headers={"Idempotency-Key": "create"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert api.post("a", "/api/applications", json=body).status_code == 409
    app_id = draft["app"]["id"]
    url = f"/api/applications/{app_id}/evidence"
    h = {"Idempotency-Key": "upload"}
    one = api.post("a", url, files={"file": ("a.pdf", PDF, "application/pdf")}, headers=h)
    two = api.post("a", url, files={"file": ("a.pdf", PDF, "application/pdf")}, headers=h)
    assert one.status_code == two.status_code == 201 and one.json() == two.json()
    assert count(api, ApplicationEvidence, ApplicationEvidence.application_id == app_id) == 1
    three = api.post("a", url, files={"file": ("b.png", PNG, "image/png")}, headers=h)
    assert three.status_code == 422 and "幂等键" in three.json()["error"]["message"]


def test_key_format_is_checked(api: Api, draft: dict[str, Any]) -> None:
    for key in ("x" * 129, "含中文"):
        r = api.post(
            "a",
            f"/api/applications/{draft['app']['id']}/actions/submit",
            json={"version": 1, "data": {"pledge": True}},
            headers={"Idempotency-Key": key.encode("utf-8")},  # type: ignore[dict-item]
        )
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["path"] == "Idempotency-Key", r.text
