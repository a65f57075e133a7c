"""The integrity archive through the REST API (bureau only), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from cert_world import CertWorld
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_support import SECRET, Api, make_api

DAY = dt.date(2026, 12, 15)


def test_fraud_review_and_decision_over_http(world: CertWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", SECRET)
    monkeypatch.setenv("ZHICHENG_CERT_KEY_DIR", str(world.trust.key_dir))
    first, second, _ = world.issued()
    app, clock = make_api(world.engine, tmp_path, DAY)
    with TestClient(app) as client:
        api = Api(client, app, clock, world.engine)
        for name, actor in (("bureau", world.bureau), ("agency", world.agency), ("holder", world.applicants[0])):
            api.issue(name, actor.user_id)
        body = {
            "certificate_number": first.number,
            "finding": "申报材料中的获奖证书系伪造，颁奖单位书面证明未曾授奖。",
            "evidence": [{"description": "颁奖单位出具的书面证明"}],
            "decided_on": DAY.isoformat(),
            "deciding_body": "北京市人力资源和社会保障局",
            "decision_no": "京人社诚字〔2026〕5号",
        }
        assert api.post("agency", "/api/integrity/records", json=body).status_code == 403
        missing = api.post("bureau", "/api/integrity/records", json={**body, "evidence": []})
        assert missing.status_code == 422
        created = api.post("bureau", "/api/integrity/records", json=body)
        assert created.status_code == 201, created.text
        record = created.json()
        assert record["status"] == "confirmed" and record["outcome"]["certificate_revoked"] == first.number
        token = first.verification_url.split("?t=")[1]
        assert api.get(None, f"/api/verify/{first.number}", params={"t": token}).json()["outcome"] == "revoked"

        review = api.post(
            "bureau",
            "/api/integrity/reviews",
            json={"certificate_number": second.number, "allegation": "匿名举报称其论文存在代写情况，需核查"},
        )
        assert review.status_code == 201, review.text
        second_token = second.verification_url.split("?t=")[1]
        answer = api.get(None, f"/api/verify/{second.number}", params={"t": second_token}).json()
        assert answer["outcome"] == "suspended"
        stale = api.post(
            "bureau",
            f"/api/integrity/records/{review.json()['id']}/dismiss",
            json={
                "conclusion": "经核查，论文为本人独立完成，举报不属实。",
                "decided_on": DAY.isoformat(),
                "deciding_body": "北京市人力资源和社会保障局",
                "decision_no": "京人社诚字〔2026〕6号",
                "version": review.json()["version"] + 1,
            },
        )
        assert stale.status_code == 409
        dismissed = api.post(
            "bureau",
            f"/api/integrity/records/{review.json()['id']}/dismiss",
            json={
                "conclusion": "经核查，论文为本人独立完成，举报不属实。",
                "decided_on": DAY.isoformat(),
                "deciding_body": "北京市人力资源和社会保障局",
                "decision_no": "京人社诚字〔2026〕6号",
                "version": review.json()["version"],
            },
        )
        assert dismissed.status_code == 200, dismissed.text
        answer = api.get(None, f"/api/verify/{second.number}", params={"t": second_token}).json()
        assert answer["outcome"] == "valid"

        listing = api.get("bureau", "/api/integrity/records").json()
        assert listing["total"] == 2 and {r["status"] for r in listing["items"]} == {"confirmed", "dismissed"}
        assert api.get("holder", "/api/integrity/records").status_code == 403
        detail = api.get("bureau", f"/api/integrity/records/{record['id']}").json()
        assert [a["action"] for a in detail["audit"]][-1] == "confirm_fraud"
        assert api.get("agency", f"/api/integrity/records/{record['id']}").status_code == 404
