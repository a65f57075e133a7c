"""Exports re-read with openpyxl and checked cell by cell, on SQLite and PostgreSQL: the public notice list and
the ballot tally of a closed meeting with a recusal (through review.service.minutes and its rights)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from api_support import make_api
from exchange_world import TODAY, World
from fastapi.testclient import TestClient
from review_world import build_world, non_panel_members
from sqlalchemy import Engine

from zhicheng.errors import DomainError
from zhicheng.exchange import exports
from zhicheng.exchange.sheets import XLSX_MEDIA_TYPE
from zhicheng.review import service as rsvc
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, NoticeEntry, PublicNotice, User
from zhicheng.store.testing import add_application, add_user


def read(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def make_notice(world: World) -> tuple[int, list[tuple[str, str, str, str, str, str]]]:
    """A results notice listing three applications; returns its id and the rows the list must show."""
    people = [
        ("陈静", world.unit_ai, "senior_engineer", "regular"),
        ("赵磊", world.unit_qd, "engineer", "exceptional"),
        ("孙丽", None, "senior_engineer", "direct_track"),
    ]
    with transaction(world.engine) as s:
        from zhicheng.store.models import Round

        rnd = s.get(Round, world.round_ai)
        assert rnd is not None
        notice = PublicNotice(
            kind="results",
            round_id=rnd.id,
            title="2026年度人工智能专业高级职称评审结果公示",
            start_date=dt.date(2026, 11, 2),
            end_date=dt.date(2026, 11, 6),
            created_by=world.agency.user_id,
        )
        s.add(notice)
        s.flush()
        for name, unit_id, level, route in people:
            user = add_user(s, "applicant", display_name=name, unit_id=unit_id)
            app = add_application(s, rnd, user, level=level, route=route, unit_id=unit_id, state="results_notice")
            s.add(NoticeEntry(notice_id=notice.id, application_id=app.id))
        other = add_application(s, rnd, s.get(User, world.registered.user_id), state="results_notice")  # not listed
        assert other.id
        notice_id = notice.id
    expected = [
        ("陈静", "北京智算未来科技有限公司", "人工智能", "高级工程师", "正常申报"),
        ("赵磊", "青岛海工互联科技有限公司", "人工智能", "工程师", "破格申报"),
        ("孙丽", "", "人工智能", "高级工程师", "直通车"),
    ]
    return notice_id, [(str(i), *row) for i, row in enumerate(expected, start=1)]  # type: ignore[misc]


def test_notice_list_cell_by_cell(world: World, tmp_path: Path) -> None:
    notice_id, expected = make_notice(world)
    with transaction(world.engine, readonly=True) as s:
        out = exports.notice_workbook(s, notice_id)
    wb = read(out.content)
    ws = wb["公示名单"]
    assert ws["A1"].value == "2026年度人工智能专业高级职称评审结果公示"
    assert "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A2"].value == "评审结果公示    公示期：2026-11-02 至 2026-11-06    共 3 人"
    assert [c.value for c in ws[3]] == ["序号", "姓名", "工作单位", "申报专业", "申报级别", "申报途径"]
    body = [
        tuple("" if v is None else str(v) for v in row) for row in ws.iter_rows(min_row=4, max_row=6, values_only=True)
    ]
    assert body == expected
    assert ws["A7"].value.startswith("公示期内对公示对象有异议的")
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$3:$3"
    assert ws.column_dimensions["C"].width >= len("青岛海工互联科技有限公司") * 2
    assert ws["B3"].font.b
    # the public endpoint gives the same list, anonymously
    app, _ = make_api(world.engine, tmp_path, TODAY)
    with TestClient(app) as client:
        r = client.get(f"/api/exports/notices/{notice_id}.xlsx")
        assert r.status_code == 200 and r.headers["content-type"] == XLSX_MEDIA_TYPE
        again = read(r.content)["公示名单"]
        assert [[c.value for c in row] for row in again.iter_rows()] == [
            [c.value for c in row] for row in ws.iter_rows()
        ]
        assert client.get("/api/exports/notices/999.xlsx").status_code == 404
    with pytest.raises(DomainError, match="公示不存在"), transaction(world.engine, readonly=True) as s:
        exports.notice_workbook(s, 999)


# ---------------------------------------------------------------- tallies
def test_tally_of_a_closed_meeting_cell_by_cell(engine: Engine, tmp_path: Path) -> None:
    w = build_world(engine, experts=7, apps=3)
    a0, a1, a2 = w.apps
    mid = w.meeting()
    w.assign(mid, 7)
    recusing = non_panel_members(w, mid, a0)[0]
    w.declare_all(mid, {recusing.user_id: [rsvc.ConflictClaim(a0, "kinship", "申报人系本人配偶之弟")]})
    w.score_all(mid)
    w.open_and_check_in(mid)
    members = w.members(mid)
    voters0 = [m for m in members if m != recusing]
    ballots = {
        a0: dict(zip([m.user_id for m in voters0], ["yes"] * 4 + ["no", "abstain"], strict=True)),
        a1: dict(zip([m.user_id for m in members], ["yes"] * 3 + ["no"] * 3 + ["abstain"], strict=True)),
        a2: dict(zip([m.user_id for m in members[:6]], ["yes"] * 5 + ["no"], strict=True)),  # one does not vote
    }
    for app_id in w.apps:
        w.run(w.agency, rsvc.open_ballot, mid, app_id)
        with pytest.raises(DomainError, match="会议尚未结束"):
            w.run(w.agency, exports.tally_workbook, mid)
        w.vote(mid, app_id, ballots[app_id])
        w.run(w.agency, rsvc.close_ballot, mid, app_id)
    w.run(w.agency, rsvc.close_meeting, mid)

    out = w.run(w.agency, exports.tally_workbook, mid)
    assert out.filename == f"表决结果-{mid}.xlsx"
    ws = read(out.content)["表决结果"]
    assert ws["A1"].value == "2026年度评审会议表决结果统计表"
    assert ws["A2"].value == "评审委员会：测试评委会-ai_bj_2020-inclusive（备案：测试备案〔2026〕1号）"
    assert ws["A3"].value.endswith("评委 7 人，出席 7 人    表决 3 人，通过 2 人")
    assert "三分之二以上（含本数）" in ws["A4"].value and "回避评委不计入表决基数" in ws["A4"].value
    assert [c.value for c in ws[5]] == exports.TALLY_HEADERS
    assert ws.freeze_panes == "A6"
    with transaction(engine, readonly=True) as s:
        names = {a: s.get(User, s.get(Application, a).applicant_id).display_name for a in w.apps}  # type: ignore[union-attr]
    recused_name = w.names[recusing.user_id]
    expected = [
        # 序号 姓名 单位 级别 途径 评议组 平均分 组成 出席 回避 基数 同意 不同意 弃权 未投 需同意 结果 回避专家
        [
            1,
            names[a0],
            "北京某智能科技有限公司",
            "高级工程师",
            "正常申报",
            "评议一组",
            80,
            7,
            7,
            1,
            6,
            4,
            1,
            1,
            0,
            4,
            "通过",
            recused_name,
        ],
        [
            2,
            names[a1],
            "青岛某工业互联网有限公司",
            "高级工程师",
            "正常申报",
            "评议一组",
            80,
            7,
            7,
            0,
            7,
            3,
            3,
            1,
            0,
            5,
            "未通过",
            None,
        ],
        [
            3,
            names[a2],
            "北京某智能科技有限公司",
            "高级工程师",
            "正常申报",
            "评议一组",
            80,
            7,
            7,
            0,
            7,
            5,
            1,
            0,
            1,
            5,
            "通过",
            None,
        ],
    ]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=6, max_row=8)]
    assert body == expected
    assert ws.cell(6, 7).number_format == "0.00"
    assert ws["A9"].value.startswith("本表依据归档的会议记录生成；会议记录 SHA-256：")
    # the bureau sees the same; an expert of the meeting, even one who voted, may not export it
    assert read(w.run(w.bureau, exports.tally_workbook, mid).content)["表决结果"]["A6"].value == 1
    with pytest.raises(DomainError, match="只对评审服务机构和人社局开放"):
        w.run(members[0], exports.tally_workbook, mid)
    app, _ = make_api(engine, tmp_path, TODAY)
    with TestClient(app) as client:
        from api_support import Api

        api = Api(client, app, _, engine)
        api.issue("agency", w.agency.user_id)
        api.issue("expert", members[0].user_id)
        r = api.get("agency", f"/api/exports/meetings/{mid}/tally.xlsx")
        assert r.status_code == 200 and read(r.content)["表决结果"]["B6"].value == names[a0]
        assert api.get("expert", f"/api/exports/meetings/{mid}/tally.xlsx").status_code == 403
        assert api.get(None, f"/api/exports/meetings/{mid}/tally.xlsx").status_code == 401
