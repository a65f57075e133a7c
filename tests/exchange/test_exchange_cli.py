"""The spreadsheet and statistics commands as an operator runs them, on the demo database (SQLite and
PostgreSQL): template, import (rejected with a report, then accepted, then idempotent), the exports and stats."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from exchange_world import applicant, book, person
from sqlalchemy import func, select
from typer.testing import CliRunner

from zhicheng.accounts.idnumbers import make_uscc
from zhicheng.cli import app
from zhicheng.store.db import make_engine, transaction
from zhicheng.store.models import Application, Meeting, PublicNotice
from zhicheng.store.testing import scratch_database

runner = CliRunner()
DEMO_AI_USCC = make_uscc("91110108MA01AB2C3")  # 北京智算未来科技有限公司（演示）


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


def count(url: str, model: type) -> int:
    engine = make_engine(url)
    try:
        with transaction(engine, readonly=True) as s:
            return s.scalar(select(func.count()).select_from(model)) or 0
    finally:
        engine.dispose()


def test_import_commands(demo_db: str, tmp_path: Path) -> None:
    template = tmp_path / "模板.xlsx"
    r = runner.invoke(app, ["import", "template", "applications", str(template)])
    assert r.exit_code == 0 and template.exists()
    assert openpyxl.load_workbook(template).sheetnames == ["申报人", "成果", "填写说明"]

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(book([applicant("1", "周一", person(61), 单位统一社会信用代码=DEMO_AI_USCC, 申报级别="总工")]))
    report = tmp_path / "错误报告.xlsx"
    before = count(demo_db, Application)
    r = runner.invoke(app, ["import", "applications", str(bad), "--user", "agency", "--report", str(report)])
    assert r.exit_code == 2, r.output
    assert "1 行有误" in r.output and "申报级别" in r.output and "无法识别的申报级别" in r.output
    assert openpyxl.load_workbook(report).sheetnames[0] == "错误汇总"
    assert count(demo_db, Application) == before

    good = tmp_path / "good.xlsx"
    good.write_bytes(book([applicant("1", "周一", person(61), 单位统一社会信用代码=DEMO_AI_USCC)]))
    args = ["import", "applications", str(good), "--user", "agency", "--as-of", "2026-09-10"]
    r = runner.invoke(app, [*args, "--dry-run"])
    assert r.exit_code == 0 and "可导入申报 1 条" in r.output and count(demo_db, Application) == before
    r = runner.invoke(app, args)
    assert r.exit_code == 0 and "已导入申报 1 条" in r.output, r.output
    r = runner.invoke(app, args)
    assert r.exit_code == 0 and "1 条此前已导入" in r.output
    assert count(demo_db, Application) == before + 1

    r = runner.invoke(app, ["import", "applications", str(good), "--user", "bureau"])
    assert r.exit_code == 2 and "只有评审服务机构或系统管理员可以导入申报" in r.output
    r = runner.invoke(app, ["import", "experts", str(good), "--user", "nobody"])
    assert r.exit_code == 2 and "没有可用的账号 nobody" in r.output


def test_export_and_stats_commands(demo_db: str, tmp_path: Path) -> None:
    engine = make_engine(demo_db)
    try:
        with transaction(engine, readonly=True) as s:
            notice_id = s.scalar(select(PublicNotice.id).order_by(PublicNotice.id))
            meeting_id = s.scalar(select(Meeting.id).where(Meeting.status == "closed"))
            submitted = s.scalar(select(func.count(Application.id)).where(Application.submitted_at.is_not(None)))
    finally:
        engine.dispose()
    assert notice_id and meeting_id
    out = tmp_path / "公示.xlsx"
    r = runner.invoke(app, ["export", "notice", str(notice_id), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert openpyxl.load_workbook(out)["公示名单"]["A3"].value == "序号"
    r = runner.invoke(app, ["export", "tally", str(meeting_id), "--user", "agency", "--out", str(tmp_path / "t.xlsx")])
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["表决结果"]
    assert ws["A1"].value == "2026年度人工智能专业评审会议（演示）表决结果统计表"
    r = runner.invoke(app, ["export", "tally", str(meeting_id), "--user", "expert1"])
    assert r.exit_code == 2 and "只对评审服务机构和人社局开放" in r.output
    r = runner.invoke(app, ["export", "certificates", "--user", "bureau", "--out", str(tmp_path / "c.xlsx")])
    assert r.exit_code == 0, r.output
    certs = openpyxl.load_workbook(tmp_path / "c.xlsx")["证书名单"]
    assert certs["A1"].value == "职称证书名单" and certs["C4"].value == "张伟"

    svg, xlsx = tmp_path / "s.svg", tmp_path / "s.xlsx"
    r = runner.invoke(app, ["stats", "--user", "bureau", "--by", "document", "--svg", str(svg), "--xlsx", str(xlsx)])
    assert r.exit_code == 0, r.output
    assert "合计" in r.output
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg")
    total = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes()))["同比"]
    last = [c.value for c in total[total.max_row]]
    assert last[0] == "合计" and last[1] == submitted  # every submitted demo application is counted once
    r = runner.invoke(app, ["stats", "--user", "unit_ai"])
    assert r.exit_code == 2 and "只有人社局和评审服务机构可以查看评审统计" in r.output
