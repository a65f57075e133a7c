"""Engine benchmark: one profile against every document and level in force.

Run: .venv/bin/python bench/bench_engine.py  (or as part of the suite: .venv/bin/python -m bench)
     [--as-of 2024-09-01] [--rounds 1000]
Reports the minimum and median time of a full check (all levels together) and of each level alone, and the
ratio to a baseline measured in the same process: validating the same profile with pydantic. Also how many
cyclic-GC passes a full check triggers (see docs/benchmarks.md, 引擎单次检查).
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

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


def timings(fn: Callable[[], object], rounds: int) -> list[float]:
    """Seconds of each of `rounds` calls after one warm-up. The result is dropped inside the timing: freeing a
    verdict tree is part of what a caller pays."""
    fn()
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return samples


def median_seconds(fn: Callable[[], object], rounds: int) -> float:
    return statistics.median(timings(fn, rounds))


def gc_passes(fn: Callable[[], object], calls: int = 50) -> float:
    """Cyclic-GC passes per call (the engine pauses the collector during evaluate_all: expected 0)."""
    passes = 0

    def count(phase: str, info: dict[str, int]) -> None:
        nonlocal passes
        passes += phase == "start"

    gc.callbacks.append(count)
    try:
        for _ in range(calls):
            fn()
    finally:
        gc.callbacks.remove(count)
    return passes / calls


def measure(as_of: date, rounds: int, per_level: bool = True) -> dict[str, Any]:
    """Seconds (median and minimum) of the full check, of the pydantic baseline and (optionally) of each level
    alone, in this process. `ratio` is median / median; `ratio_min` min / min, the steadier one under load."""
    cat = default_catalog()
    profile = Profile.model_validate(PROFILE)
    # each in a warm loop of its own (interleaving would run the baseline with caches the full check has just
    # filled with its own data: a slower baseline, a flattering ratio)
    t = {
        "baseline": timings(lambda: Profile.model_validate(PROFILE), rounds),
        "full": timings(lambda: evaluate_all(profile, as_of, cat), rounds),
    }
    targets = [(d.id, lv.id) for d in cat.in_force(as_of) for lv in d.levels]
    levels: dict[str, float] = {}
    levels_min: dict[str, float] = {}
    if per_level:
        for doc_id, level in targets:
            one = timings(functools.partial(evaluate, profile, doc_id, level, as_of, cat), rounds)
            levels[f"{doc_id} · {level}"] = statistics.median(one)
            levels_min[f"{doc_id} · {level}"] = min(one)
    baseline, full = statistics.median(t["baseline"]), statistics.median(t["full"])
    return {
        "as_of": as_of.isoformat(),
        "rounds": rounds,
        "levels": len(targets),
        "baseline_s": baseline,
        "full_s": full,
        "ratio": full / baseline,
        "baseline_min_s": min(t["baseline"]),
        "full_min_s": min(t["full"]),
        "ratio_min": min(t["full"]) / min(t["baseline"]),
        "gc_passes_per_check": gc_passes(lambda: evaluate_all(profile, as_of, cat)),
        "per_level_s": levels,
        "per_level_min_s": levels_min,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--as-of", default="2024-09-01")
    ap.add_argument("--rounds", type=int, default=1000)
    args = ap.parse_args()
    as_of = date.fromisoformat(args.as_of)
    m = measure(as_of, args.rounds)
    baseline, full = m["baseline_s"], m["full_s"]
    t = Table(
        title=f"引擎基准（{as_of}，{args.rounds} 轮；基线 = pydantic 校验同一档案，"
        f"最小 {m['baseline_min_s'] * 1e6:.0f} µs、中位数 {baseline * 1e6:.0f} µs）"
    )
    for col in ("检查", "最小 µs", "中位数 µs", "中位数 ÷ 基线"):
        t.add_column(col, justify="right" if col != "检查" else "left")
    for name, s in m["per_level_s"].items():
        t.add_row(name, f"{m['per_level_min_s'][name] * 1e6:.0f}", f"{s * 1e6:.0f}", f"{s / baseline:.1f}")
    if m["per_level_s"]:
        total, total_min = sum(m["per_level_s"].values()), sum(m["per_level_min_s"].values())
        t.add_row("逐层单独检查之和", f"{total_min * 1e6:.0f}", f"{total * 1e6:.0f}", f"{total / baseline:.1f}")
    t.add_row(
        f"[b]全部 {m['levels']} 个层级一次完整检查[/b]",
        f"[b]{m['full_min_s'] * 1e6:.0f}[/b]",
        f"[b]{full * 1e6:.0f}[/b]",
        f"[b]{full / baseline:.1f}[/b]",
    )
    console = Console()
    console.print(t)
    console.print(
        f"最小值之比 {m['ratio_min']:.1f} × 基线；每次完整检查触发垃圾回收 {m['gc_passes_per_check']:.2f} 次；"
        f"负载 {m['load_avg']}（机器繁忙时中位数偏大，以最小值和比值为准）"
    )
    target_ms = 1.0
    verdict = "达到" if full * 1000 < target_ms else "未达到"
    console.print(
        f"目标：全部层级合计 < {target_ms} ms —— {verdict}（中位数 {full * 1000:.2f} ms，"
        f"最小 {m['full_min_s'] * 1000:.2f} ms）"
    )


if __name__ == "__main__":
    main()
