"""Smoke test of the benchmark suite: ``python -m bench --smoke`` runs every section at its smallest size
(SQLite, a handful of applications) and its table and results files carry every row.  No timing is
asserted: speed is measured by the suite itself, not judged here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = ["engine", "batch", "http.bare", "http.status", "http.verify", "season.8", "season.16", "season.growth"]


def test_suite_runs_every_section_and_reports_every_row(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "COLUMNS": "400"},  # wide enough that no cell of the table wraps
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in report["rows"]}
    assert list(rows) == ROWS
    for row in rows.values():  # every row printed in the table, with a figure in it
        assert row["item"] in proc.stdout, row["item"]
        assert any(ch.isdigit() for ch in row["result"]), row
    assert report["backend"] == "sqlite"
    assert report["http"]["verify_endpoint"] is True
    for name in ("bare", "status", "verify"):
        assert report["http"][name]["errors"] == 0, report["http"][name]
    runs = report["season"]["runs"]
    assert [r["n"] for r in runs] == [8, 16]
    for run in runs:
        assert run["audit_ok"] is True
        # a certified application moved at least 7 times (submit … certify), each move one audit entry
        assert run["application_transitions"] >= 7 * run["certificates"] > 0
        assert sum(run["outcomes"].values()) == run["n"]
        assert run["outcomes"].get("certified", 0) == run["certificates"]
    markdown = (out / "latest.md").read_text(encoding="utf-8")
    assert markdown.count("\n| ") == len(ROWS) + 1  # header and one line per row
