"""Engine benchmark: one profile against every document and level in force.

Run: .venv/bin/python bench/bench_engine.py [--as-of 2024-09-01] [--rounds 300]
Reports the median time of a full check (all levels together), per level, and the ratio to a baseline
measured in the same process: validating the same profile with pydantic.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from rich.console import Console
from rich.table import Table

from zhicheng.policy.catalog import default_catalog
from zhicheng.policy.engine import evaluate, evaluate_all
from zhicheng.policy.profile import Profile

PROFILE = {
    "education": [
        {"level": "bachelor", "graduation_date": "2010-07-01"},
        {"level": "master", "graduation_date": "2013-07-01", "engineering_professional_degree": True},
    ],
    "specialty_work_start": "2013-07-15",
    "titles": [{"grade": 2, "obtained": "2014-09-01"}, {"grade": 3, "obtained": "2018-12-01"}],
    "annual_assessments": [{"year": y, "result": "competent"} for y in range(2014, 2024)],
    "directions": ["general_research_design", "ai_research", "quantum_computing", "cyber_data", "iiot_platform"],
    "achievements": [
        {"kind": "invention_patent", "date": "2020-05-01", "rank": 1, "role": "lead", "granted": True},
        {"kind": "paper", "venue": "core_journal", "rank": 1, "date": "2021-03-01", "count": 2},
        {"kind": "standard", "standard_level": 4, "rank": 2, "role": "main", "date": "2022-01-01"},
        {"kind": "research_project", "level": 3, "rank": 1, "role": "lead", "accepted": True, "date": "2022-06-01"},
    ],
}


def median_seconds(fn, rounds: int) -> float:
    fn()
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--as-of", default="2024-09-01")
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    as_of = date.fromisoformat(args.as_of)
    cat = default_catalog()
    profile = Profile.model_validate(PROFILE)
    baseline = median_seconds(lambda: Profile.model_validate(PROFILE), args.rounds)
    full = median_seconds(lambda: evaluate_all(profile, as_of, cat), args.rounds)
    t = Table(
        title=f"引擎基准（{as_of}，{args.rounds} 轮中位数；基线 = pydantic 校验同一档案 {baseline * 1e6:.0f} µs）"
    )
    for col in ("检查", "中位数 µs", "÷ 基线"):
        t.add_column(col, justify="right" if col != "检查" else "left")
    targets = [(d.id, lv.id) for d in cat.in_force(as_of) for lv in d.levels]
    for doc_id, level in targets:
        s = median_seconds(lambda d=doc_id, lv=level: evaluate(profile, d, lv, as_of, cat), args.rounds)
        t.add_row(f"{doc_id} · {level}", f"{s * 1e6:.0f}", f"{s / baseline:.1f}")
    t.add_row(
        f"[b]全部 {len(targets)} 个层级一次完整检查[/b]", f"[b]{full * 1e6:.0f}[/b]", f"[b]{full / baseline:.1f}[/b]"
    )
    Console().print(t)
    target_ms = 1.0
    verdict = "达到" if full * 1000 < target_ms else "未达到"
    Console().print(f"目标：全部层级合计 < {target_ms} ms —— {verdict}（{full * 1000:.2f} ms）")


if __name__ == "__main__":
    main()
