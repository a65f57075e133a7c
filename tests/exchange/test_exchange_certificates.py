"""The certificate list export, on SQLite and PostgreSQL, against certificates issued and revoked through the
certificate service: re-read cell by cell, filtered by status, year and approval number, scoped by Rights."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from api_support import Api, make_api
from cert_world import APPROVAL, ISSUE_DAY, build_world
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from zhicheng.certificates import service as csvc
from zhicheng.errors import DomainError
from zhicheng.exchange import exports
from zhicheng.store.db import transaction
from zhicheng.store.testing import add_user
from zhicheng.workflow import service as wsvc


def rows(content: bytes) -> tuple[openpyxl.worksheet.worksheet.Worksheet, list[list[object]]]:
    ws = openpyxl.load_workbook(io.BytesIO(content))["证书名单"]
    return ws, [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=ws.max_row - 1)]


def test_certificate_list(engine: Engine, tmp_path: Path) -> None:
    w = build_world(engine, tmp_path, applicants=3)
    views = sorted(w.issued(), key=lambda v: v.number)
    revoked = views[1]
    w.run(w.bureau, csvc.revoke_certificate, w.trust, revoked.number, reason="认定以弄虚作假取得")

    out = w.run(w.agency, exports.certificate_workbook)
    ws, body = rows(out.content)
    assert ws["A1"].value == "职称证书名单" and ws["A2"].value == "共 3 人"
    assert [c.value for c in ws[3]] == exports.CERTIFICATE_HEADERS
    assert ws.freeze_panes == "A4"
    expected = [
        [
            i,
            v.number,
            v.holder_name,
            v.id_number_masked,
            "北京某智能科技有限公司",
            "人工智能",
            v.title_name,
            "副高级",
            v.qualification_date,
            v.committee_name,
            APPROVAL,
            ISSUE_DAY,
            "已撤销" if v.number == revoked.number else "有效",
        ]
        for i, v in enumerate(views, start=1)
    ]
    for row in body:  # dates come back as datetimes at midnight
        row[8], row[11] = row[8].date(), row[11].date()  # type: ignore[union-attr]
    assert body == expected
    assert all("*" in str(r[3]) for r in body)  # never a full ID number
    assert ws.cell(4, 9).number_format == "yyyy-mm-dd"

    _, valid = rows(w.run(w.bureau, exports.certificate_workbook, status="valid").content)
    assert [r[1] for r in valid] == [views[0].number, views[2].number]
    ws, none = rows(w.run(w.bureau, exports.certificate_workbook, year=2025).content)
    assert none == [] and ws["A1"].value == "职称证书名单（2025年）" and "2025年发证" in ws["A2"].value
    _, by_number = rows(w.run(w.agency, exports.certificate_workbook, approval_number=APPROVAL, year=2026).content)
    assert len(by_number) == 3
    # a holder gets only their own certificate; a unit account may not export the list
    holder = next(a for a in w.applicants if a.user_id == views[0].holder_id)
    _, own = rows(w.run(holder, exports.certificate_workbook).content)
    assert [r[1] for r in own] == [views[0].number]
    with transaction(engine) as s:
        unit = wsvc.actor_for(add_user(s, "unit"))
    with pytest.raises(DomainError) as exc:
        w.run(unit, exports.certificate_workbook)
    assert exc.value.status == 403

    app, clock = make_api(engine, tmp_path, ISSUE_DAY)
    with TestClient(app) as client:
        api = Api(client, app, clock, engine)
        api.issue("bureau", w.bureau.user_id)
        api.issue("unit", unit.user_id)
        r = api.get("bureau", "/api/exports/certificates.xlsx?status=revoked")
        assert r.status_code == 200
        assert [x[1] for x in rows(r.content)[1]] == [revoked.number]
        assert api.get("unit", "/api/exports/certificates.xlsx").status_code == 403
        assert api.get("bureau", "/api/exports/certificates.xlsx?status=lost").status_code == 422
        # a control character in a filter (found by schemathesis) is dropped from the title, not a 500
        r = api.get("bureau", "/api/exports/certificates.xlsx?approval_number=%08&year=1990")
        assert r.status_code == 200 and rows(r.content)[1] == []
