"""Batch screening benchmark: a million profiles against one standard, column-wise.

Run: .venv/bin/python bench/bench_batch.py [--n 1000000]  (the suite: .venv/bin/python -m bench [--full])
     [--doc general_bj_2020] [--level senior_engineer]
                                           [--as-of 2024-09-01] [--chunk-size 250000] [--sample 2000]

Profiles are generated directly as frames with NumPy (not as pydantic objects). Reports wall time and
profiles/s of `screen`, peak memory (process RSS from `resource`, and NumPy's share traced by
`tracemalloc` during the screen), and the ratio to the scalar engine measured in the same process on a
sample of the same profiles — whose results are also checked to be equal row by row.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from rich.console import Console
from rich.table import Table

from zhicheng.policy.batch import (
    EDU_LEVELS,
    HONOURS,
    KINDS,
    RESULTS,
    ROLES,
    SANCTIONS,
    VENUES,
    VQ_GRADES,
    ProfileFrames,
    make_frames,
    screen,
)
from zhicheng.policy.catalog import default_catalog, iter_nodes
from zhicheng.policy.engine import evaluate

EPOCH = np.datetime64("1970-01-01", "D")


def _days(d: date) -> int:
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


def _cat(values: list[str], codes: np.ndarray, enum: bool = True) -> pl.Series:
    """Values by code (code -1: null), as an Enum column unless `enum` is false."""
    s = pl.Series([*values, None], dtype=pl.Enum(values) if enum else pl.String)
    return s.gather(pl.Series(np.where(codes < 0, len(values), codes).astype(np.uint32)))


def _per_person(rng: np.random.Generator, n: int, counts: list[int], weights: list[float]) -> np.ndarray:
    """Person index of each row of a long table, with a random number of rows per person."""
    k = rng.choice(np.array(counts), size=n, p=np.array(weights) / sum(weights))
    return np.repeat(np.arange(n, dtype=np.int64), k)


def generate(n: int, as_of: date, seed: int = 1, document: str = "general_bj_2020") -> ProfileFrames:
    """n random profiles as frames, vectorised: an applicant pool for `document` (most choose one of its
    directions), with the catalog's other documents, series and credentials mixed in."""
    rng = np.random.default_rng(seed)
    end = _days(as_of)
    cat = default_catalog()
    directions = [d.id for doc in cat.documents.values() for d in doc.directions]
    own = np.array([directions.index(d.id) for d in cat.document(document).directions])
    specialties = sorted({doc.specialty for doc in cat.documents.values()})

    ws = rng.integers(_days(date(1990, 1, 1)), end - 200, n)
    has_ws = rng.random(n) < 0.97
    dir1 = np.where(rng.random(n) < 0.75, rng.choice(own, n), rng.integers(0, len(directions), n))
    dir1 = np.where(rng.random(n) < 0.95, dir1, -1)
    dir2 = np.where(rng.random(n) < 0.2, rng.integers(0, len(directions), n), -1)
    honour = np.where(rng.random(n) < 0.03, rng.integers(0, len(HONOURS), n), -1)
    people = pl.DataFrame(
        {
            "id": pl.int_range(1, n + 1, eager=True).cast(pl.String),
            "name": pl.repeat(None, n, dtype=pl.String, eager=True),
            "specialty_work_start": _dates(ws),
            "has_ws": has_ws,
            "skill_level": np.where(rng.random(n) < 0.1, rng.integers(1, 4, n), 0),
            "h": _cat(HONOURS, honour),
            "d1": _cat(directions, dir1, False),
            "d2": _cat(directions, dir2, False),
        }
    ).select(
        "id",
        "name",
        pl.when("has_ws").then(pl.col("specialty_work_start")).alias("specialty_work_start"),
        pl.when(pl.col("skill_level") > 0).then(pl.col("skill_level")).alias("skill_level"),
        pl.concat_list("h").list.drop_nulls().alias("honours"),
        pl.concat_list("d1", "d2").list.drop_nulls().list.unique(maintain_order=True).alias("directions"),
    )

    # education: 1–3 records, graduation before or around the start of work
    p = _per_person(rng, n, [0, 1, 2, 3], [2, 60, 30, 8])
    level_w = np.array([6, 2, 2, 2, 18, 40, 2, 22, 6], float)
    education = pl.DataFrame(
        {
            "person": p,
            "level": _cat(EDU_LEVELS, rng.choice(len(EDU_LEVELS), len(p), p=level_w / level_w.sum())),
            "graduation_date": _dates(ws[p] - rng.integers(-300, 2500, len(p))),
            "diploma": rng.random(len(p)) < 0.95,
            "degree": rng.random(len(p)) < 0.8,
            "engineering_professional_degree": rng.random(len(p)) < 0.08,
        }
    ).with_columns(
        pl.when(~pl.col("diploma") & ~pl.col("degree")).then(True).otherwise(pl.col("diploma")).alias("diploma")
    )

    # titles: 0–3, obtained after the start of work
    p = _per_person(rng, n, [0, 1, 2, 3], [25, 35, 30, 10])
    obtained = np.minimum(ws[p] + rng.integers(200, 9000, len(p)), end - 1)
    spec = np.where(rng.random(len(p)) < 0.6, -1, rng.integers(0, len(specialties), len(p)))
    titles = pl.DataFrame(
        {
            "person": p,
            "grade": rng.choice(np.array([1, 2, 3, 4, 5]), len(p), p=[0.1, 0.3, 0.35, 0.2, 0.05]),
            "series": _cat(["engineering", "economics"], (rng.random(len(p)) < 0.1).astype(np.int64), False),
            "specialty": _cat(specialties, spec, False),
            "obtained": _dates(obtained),
        }
    )

    p = _per_person(rng, n, [0, 1], [95, 5])
    qualifications = pl.DataFrame(
        {
            "person": p,
            "name": pl.repeat("职业资格", len(p), eager=True),
            "grade": _cat(VQ_GRADES, rng.integers(0, len(VQ_GRADES), len(p))),
            "obtained": _dates(ws[p] + rng.integers(0, 3000, len(p))).clip(upper_bound=as_of),
        }
    )

    # assessments of the last ten years, most present and 合格
    years = np.arange(as_of.year - 10, as_of.year)
    p = np.repeat(np.arange(n, dtype=np.int64), len(years))
    y = np.tile(years, n)
    keep = rng.random(len(p)) < 0.9
    assessments = pl.DataFrame(
        {
            "person": p[keep],
            "year": y[keep],
            "result": _cat(RESULTS, rng.choice(len(RESULTS), int(keep.sum()), p=[0.25, 0.7, 0.03, 0.02])),
        }
    )

    p = _per_person(rng, n, [0, 1], [97, 3])
    start = end - rng.integers(0, 1500, len(p))
    sanctions = pl.DataFrame(
        {
            "person": p,
            "kind": _cat(SANCTIONS, rng.integers(0, len(SANCTIONS), len(p))),
            "start": _dates(start),
            "end": _dates(start + rng.integers(0, 1200, len(p))),
        }
    )

    # achievements: 0–8, the kinds the catalog asks for most often
    p = _per_person(rng, n, [0, 2, 3, 4, 5, 6, 8, 10], [8, 10, 14, 16, 16, 14, 12, 10])
    m = len(p)
    kind_w = np.ones(len(KINDS))
    for k, w in {
        "paper": 16,
        "invention_patent": 8,
        "tech_report": 8,
        "standard": 4,
        "research_project": 6,
        "new_product": 3,
        "book": 2,
        "science_award": 2,
        "design_document": 3,
    }.items():
        kind_w[KINDS.index(k)] = w

    def maybe(values: np.ndarray, p_null: float) -> np.ndarray:
        return np.where(rng.random(m) < p_null, -1, values)

    achievements = pl.DataFrame(
        {
            "person": p,
            "kind": _cat(KINDS, rng.choice(len(KINDS), m, p=kind_w / kind_w.sum())),
            "date": _dates(np.maximum(end - rng.integers(0, 4000, m), ws[p])),
            "role": _cat(ROLES, maybe(rng.choice(len(ROLES), m, p=[0.5, 0.3, 0.15, 0.05]), 0.2)),
            "rank": pl.Series(maybe(np.minimum(rng.geometric(0.45, m), 20), 0.2)).replace(-1, None),
            "level": pl.Series(maybe(rng.integers(1, 7, m), 0.5)).replace(-1, None),
            "grade": pl.Series(maybe(rng.integers(1, 4, m), 0.7)).replace(-1, None),
            "venue": _cat(VENUES, maybe(rng.choice(len(VENUES), m, p=[0.35, 0.35, 0.1, 0.1, 0.1]), 0.3)),
            "standard_level": pl.Series(maybe(rng.integers(1, 7, m), 0.7)).replace(-1, None),
            "granted": pl.Series(maybe(rng.integers(0, 2, m), 0.5)).replace(-1, None).cast(pl.Boolean),
            "accepted": pl.Series(maybe(rng.integers(0, 2, m), 0.5)).replace(-1, None).cast(pl.Boolean),
            "in_production": pl.Series(maybe(rng.integers(0, 2, m), 0.6)).replace(-1, None).cast(pl.Boolean),
            "count": rng.choice(np.array([1, 1, 1, 2, 3]), m),
            "used_before": rng.random(m) < 0.1,
        }
    )

    # reviewers' findings on this document's qualitative conditions for a sixth of the pool (after review)
    rule = (
        cat.level(document, "senior_engineer")
        if any(lv.id == "senior_engineer" for lv in cat.document(document).levels)
        else None
    )
    conditions = [nd.id for nd in iter_nodes(rule.conditions) if nd.kind == "judgement"] if rule else []
    reviewed = np.flatnonzero(rng.random(n) < 0.16)
    p = np.repeat(reviewed, len(conditions))
    judgements = pl.DataFrame(
        {
            "person": p,
            "document": pl.repeat(document, len(p), eager=True),
            "level": pl.repeat("senior_engineer", len(p), eager=True),
            "condition": pl.Series(conditions * len(reviewed), dtype=pl.String),
            "passed": rng.random(len(p)) < 0.9,
        }
    )
    return make_frames(
        people,
        education=education,
        titles=titles,
        vocational_qualifications=qualifications,
        annual_assessments=assessments,
        sanctions=sanctions,
        achievements=achievements,
        judgements=judgements,
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_batch(
    n: int,
    *,
    doc: str = "general_bj_2020",
    level: str = "senior_engineer",
    as_of: date = date(2024, 9, 1),
    chunk_size: int = 250_000,
    workers: int | None = None,
    repeat: int = 3,
    sample: int = 2000,
    seed: int = 1,
    trace_memory: bool = True,
) -> dict[str, Any]:
    """Generate ``n`` profiles, screen them ``repeat`` times, and time the scalar engine on a sample of the
    same profiles in this process (its verdicts compared row by row with the batch's)."""
    cat = default_catalog()
    t = time.perf_counter()
    frames = generate(n, as_of, seed, doc)
    gen_s = time.perf_counter() - t
    rss_before = peak_rss_mb()
    screen(frames.slice(0, 1000), as_of, doc, level, cat)  # warm-up (imports, catalog)

    def run() -> tuple[float, float, pl.DataFrame]:
        t, c = time.perf_counter(), time.process_time()
        out = screen(frames, as_of, doc, level, cat, chunk_size=chunk_size, workers=workers)
        return time.perf_counter() - t, time.process_time() - c, out

    times = []
    for _ in range(max(1, repeat)):
        wall, cpu, result = run()
        times.append((wall, cpu))
    rss_after = peak_rss_mb()
    walls = sorted(w for w, _ in times)
    traced_peak = None
    if trace_memory:
        tracemalloc.start()  # a separate run: tracing slows NumPy's allocations down
        run()
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    # the scalar engine on a sample of the same profiles, in the same process; results must agree
    rng = np.random.default_rng(seed + 1)
    rows = sorted(rng.choice(n, size=min(sample, n), replace=False).tolist())
    profiles = frames.to_profiles(rows)
    t = time.perf_counter()
    verdicts = [evaluate(p, doc, level, as_of, cat) for p in profiles]
    scalar_s = time.perf_counter() - t
    got = result[rows].to_dicts()
    differ = 0
    for r, v in zip(got, verdicts, strict=True):
        want: dict[str, Any] = {
            "status": v.status,
            "route": v.route,
            "path": v.path,
            "missing": "；".join(g.message for g in v.missing),
            "missing_conditions": ",".join(g.condition for g in v.missing),
            "eligible_from": v.eligible_from,
        }
        differ += any(r[k] != want[k] for k in want)
    best = walls[0]
    return {
        "n": n,
        "document": doc,
        "level": level,
        "as_of": as_of.isoformat(),
        "generate_s": gen_s,
        "best_s": best,
        "median_s": walls[len(walls) // 2],
        "repeat": len(times),
        "cpu_best_s": min(c for _, c in times),
        "rate": n / best,
        "scalar_rate": len(profiles) / scalar_s,
        "ratio": (n / best) / (len(profiles) / scalar_s),
        "sample": len(profiles),
        "sample_equal": len(profiles) - differ,
        "rss_mb": rss_after,
        "rss_before_mb": rss_before,
        "traced_peak_mb": None if traced_peak is None else traced_peak / 2**20,
        "chunk_size": chunk_size,
        "workers": workers or min(os.cpu_count() or 1, 4),
        "long_rows": {t: frames.table(t).height for t in ("education", "titles", "annual_assessments", "achievements")},
        "statuses": dict(result["status"].value_counts(sort=True).iter_rows()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--doc", default="general_bj_2020")
    ap.add_argument("--level", default="senior_engineer")
    ap.add_argument("--as-of", default="2024-09-01")
    ap.add_argument("--chunk-size", type=int, default=250_000)
    ap.add_argument("--workers", type=int, default=None, help="threads (default: one per CPU, at most 4)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    as_of = date.fromisoformat(args.as_of)
    console = Console()
    r = run_batch(
        args.n,
        doc=args.doc,
        level=args.level,
        as_of=as_of,
        chunk_size=args.chunk_size,
        workers=args.workers,
        repeat=args.repeat,
        sample=args.sample,
        seed=args.seed,
    )
    best, median = r["best_s"], r["median_s"]
    load = os.getloadavg()[0]
    table = Table(title=f"批量筛查基准：{args.n:,} 份档案 × {args.doc} · {args.level}（{as_of}）")
    table.add_column("项目")
    table.add_column("数值", justify="right")
    rows_out = [
        ("生成档案（NumPy，向量化）", f"{r['generate_s']:.2f} s"),
        ("长表行数（学历/职称/考核/成果）", " / ".join(f"{v:,}" for v in r["long_rows"].values())),
        (f"批量筛查耗时（{r['repeat']} 次：最好 / 中位）", f"{best:.2f} s / {median:.2f} s"),
        ("批量筛查 CPU 时间（最好）", f"{r['cpu_best_s']:.2f} s"),
        ("批量筛查速度（最好）", f"{r['rate']:,.0f} 人/秒"),
        ("标量引擎速度（同进程，样本）", f"{r['scalar_rate']:,.0f} 人/秒（{r['sample']} 份）"),
        ("速度比（批量 ÷ 标量）", f"{r['ratio']:,.0f} ×"),
        ("样本逐行一致", f"{r['sample_equal']}/{r['sample']}"),
        ("峰值内存（进程 RSS）", f"{r['rss_mb']:,.0f} MB（筛查前 {r['rss_before_mb']:,.0f} MB）"),
        ("筛查期间 NumPy 峰值（tracemalloc）", f"{r['traced_peak_mb']:,.0f} MB"),
        ("分块 / 线程", f"{args.chunk_size:,} 人/块 / {r['workers']}"),
        ("CPU / 1 分钟平均负载", f"{os.cpu_count()} / {load:.1f}"),
    ]
    for key, value in rows_out:
        table.add_row(key, value)
    table.add_row("结论分布", "；".join(f"{s} {c:,}" for s, c in r["statuses"].items()))
    console.print(table)
    target = 5.0
    console.print(
        f"目标：{args.n:,} 份档案 ≤ {target:.0f} s —— {'达到' if best <= target else '未达到'}"
        f"（最好 {best:.2f} s，中位 {median:.2f} s）"
    )
    if r["sample_equal"] != r["sample"]:
        console.print(f"[red]样本中有 {r['sample'] - r['sample_equal']} 行与标量引擎不一致[/red]")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
