"""Platform commands as an operator runs them: demo, audit verify, calendar load, sweep, db upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhicheng.cli import app

runner = CliRunner()
EXAMPLE_2027 = Path(__file__).resolve().parents[1] / "src/zhicheng/calendar/data/example-2027.yaml"


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "z.sqlite3"
    monkeypatch.setenv("ZHICHENG_DATABASE_URL", f"sqlite:///{path}")
    return path


def test_demo_then_audit_verify_detects_tampering(db):
    r = runner.invoke(app, ["demo"])
    assert r.exit_code == 0 and "已载入演示数据" in r.output, r.output
    assert "已有数据" in runner.invoke(app, ["demo"]).output  # never touches a database with data
    r = runner.invoke(app, ["audit", "verify"])
    assert r.exit_code == 0 and "审计日志完整" in r.output
    con = sqlite3.connect(db)
    con.execute("UPDATE audit_entries SET action = 'forged' WHERE seq = 3")
    con.execute("DELETE FROM audit_entries WHERE seq = 7")
    con.commit()
    con.close()
    r = runner.invoke(app, ["audit", "verify"])
    assert r.exit_code == 1
    assert "第 3 条" in r.output and "缺少第 7 条" in r.output


def test_calendar_load_extends_coverage(db):
    assert "2026-12-31" in runner.invoke(app, ["calendar", "show"]).output
    r = runner.invoke(app, ["calendar", "load", str(EXAMPLE_2027)])
    assert r.exit_code == 0, r.output
    assert "覆盖至 2027-12-31" in r.output and "示例" in r.output
    bad = db.parent / "bad.yaml"
    bad.write_text("year: 2028\nsource: {title: x, doc_no: y, published: 2027-11-01}\nholidays: []\n"
                   "makeup_workdays: [2028-02-02]\n", encoding="utf-8")
    r = runner.invoke(app, ["calendar", "load", str(bad)])
    assert r.exit_code == 2 and "makeup_workdays[0]" in r.output


def test_sweep_and_upgrade_are_repeatable(db):
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    runner.invoke(app, ["demo"])
    first = runner.invoke(app, ["sweep", "--as-of", "2026-12-31"])
    second = runner.invoke(app, ["sweep", "--as-of", "2026-12-31"])
    assert "视为放弃申报：1 件" in first.output and "视为放弃申报：0 件" in second.output
