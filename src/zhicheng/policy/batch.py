"""Batch screening: many profiles against one level (or every level in force), column-wise.

The scalar engine (engine.py) walks one profile through the node tree of one level. Here the same catalog
nodes are compiled, node by node, into NumPy operations over whole columns: every profile of a chunk is
evaluated at once, and the result per profile is the scalar verdict's `status`, `route`, `path`,
`missing` (gap messages joined with "；", byte for byte), the condition ids of those gaps and
`eligible_from`. There is no second copy of the rules: each evaluator below reads the catalog node and
mirrors the evaluator of the same kind in engine.py (docs/batch.md; tests/policy/test_batch.py checks
equality with `evaluate` on generated profiles covering every path of every document).

Input is a set of flat "long" tables (`ProfileFrames`): one row per person plus one table per list field
of the profile, each row carrying the index of its person. Converters and readers for jsonl, csv, xlsx
and parquet build them; `screen` evaluates them.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from zhicheng.policy.catalog import Catalog, Validity, default_catalog
from zhicheng.policy.engine import _SANCTION_NAMES, _VQ_GRADE, duration_text
from zhicheng.policy.profile import (
    EDUCATION_NAMES,
    EDUCATION_RANK,
    GRADE_NAMES,
    LEVELS,
    AchievementKind,
    AssessmentResult,
    EducationLevel,
    Honour,
    Profile,
    ProfileError,
    Role,
    Sanction,
    Venue,
    parse_profile,
)
from zhicheng.policy.schema import (
    Achievements,
    AllOf,
    AnyOf,
    Assessments,
    DirectionIn,
    Document,
    EducationYears,
    HasAchievement,
    HonourIn,
    JudgementNode,
    LevelRule,
    Match,
    Node,
    NoSanction,
    SkillAtLeast,
    TitleYears,
)

Arr = npt.NDArray[Any]

# ---------------------------------------------------------------- vocabularies (codes = list positions)
EDU_LEVELS: list[str] = [e.value for e in EducationLevel]
RESULTS: list[str] = [r.value for r in AssessmentResult]
SANCTIONS: list[str] = [s.value for s in Sanction]
KINDS: list[str] = [k.value for k in AchievementKind]
ROLES: list[str] = [r.value for r in Role]
VENUES: list[str] = [v.value for v in Venue]
HONOURS: list[str] = [h.value for h in Honour]
VQ_GRADES: list[str] = ["primary", "intermediate", "senior", "ungraded"]

PERSON = pl.UInt32
PEOPLE_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(), "name": pl.String(), "specialty_work_start": pl.Date(), "skill_level": pl.Int8(),
    "honours": pl.List(pl.Enum(HONOURS)), "directions": pl.List(pl.String()),
}
TABLE_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "education": {
        "person": PERSON(), "level": pl.Enum(EDU_LEVELS), "graduation_date": pl.Date(), "diploma": pl.Boolean(),
        "degree": pl.Boolean(), "engineering_professional_degree": pl.Boolean(), "school": pl.String(),
        "major": pl.String(),
    },
    "titles": {
        "person": PERSON(), "grade": pl.Int8(), "series": pl.String(), "specialty": pl.String(),
        "name": pl.String(), "obtained": pl.Date(),
    },
    "vocational_qualifications": {
        "person": PERSON(), "name": pl.String(), "grade": pl.Enum(VQ_GRADES), "obtained": pl.Date(),
    },
    "annual_assessments": {"person": PERSON(), "year": pl.Int16(), "result": pl.Enum(RESULTS)},
    "sanctions": {
        "person": PERSON(), "kind": pl.Enum(SANCTIONS), "start": pl.Date(), "end": pl.Date(), "reason": pl.String(),
    },
    "achievements": {
        "person": PERSON(), "id": pl.String(), "kind": pl.Enum(KINDS), "title": pl.String(), "date": pl.Date(),
        "role": pl.Enum(ROLES), "rank": pl.Int16(), "level": pl.Int8(), "grade": pl.Int8(),
        "venue": pl.Enum(VENUES), "standard_level": pl.Int8(), "granted": pl.Boolean(),
        "accepted": pl.Boolean(), "in_production": pl.Boolean(), "annual_output_wan": pl.Int64(),
        "count": pl.Int16(), "used_before": pl.Boolean(), "coauthors": pl.List(pl.String()),
    },
    "judgements": {
        "person": PERSON(), "document": pl.String(), "level": pl.String(), "condition": pl.String(),
        "passed": pl.Boolean(), "note": pl.String(),
    },
}
LIST_FIELDS: tuple[str, ...] = tuple(TABLE_SCHEMAS)

STATUSES = ["eligible", "ineligible", "needs_review", "not_in_force"]
ROUTE_KINDS = ["regular", "exceptional", "direct_track"]
RESULT_SCHEMA: dict[str, pl.DataType] = {
    "person": PERSON(), "id": pl.String(), "document": pl.String(), "level": pl.String(),
    "status": pl.Enum(STATUSES), "route": pl.Enum(ROUTE_KINDS), "path": pl.String(), "missing": pl.String(),
    "missing_conditions": pl.String(), "eligible_from": pl.Date(),
}
GAP_SEPARATOR = "；"
CONDITION_SEPARATOR = ","


# ---------------------------------------------------------------- frames
@dataclass(frozen=True, slots=True)
class ProfileFrames:
    """Profiles as flat tables: `people` (one row per person, row i is person i) and one long table per
    list field of `Profile` whose column `person` is the row index in `people` (sorted, order kept)."""

    people: pl.DataFrame
    education: pl.DataFrame
    titles: pl.DataFrame
    vocational_qualifications: pl.DataFrame
    annual_assessments: pl.DataFrame
    sanctions: pl.DataFrame
    achievements: pl.DataFrame
    judgements: pl.DataFrame

    def __len__(self) -> int:
        return self.people.height

    def table(self, name: str) -> pl.DataFrame:
        frame: pl.DataFrame = getattr(self, name)
        return frame

    def slice(self, start: int, stop: int) -> ProfileFrames:
        """Persons start..stop-1 with their rows, renumbered from 0."""
        stop = min(stop, len(self))
        tables: dict[str, pl.DataFrame] = {}
        for name in LIST_FIELDS:
            t = self.table(name)
            person = t["person"]
            lo = int(person.search_sorted(start, side="left"))
            hi = int(person.search_sorted(stop, side="left"))
            tables[name] = t.slice(lo, hi - lo).with_columns((pl.col("person") - start).cast(PERSON))
        return ProfileFrames(people=self.people.slice(start, stop - start), **tables)

    def to_profiles(self, rows: Sequence[int] | None = None) -> list[Profile]:
        return frames_to_profiles(self, rows)


def make_frames(people: pl.DataFrame, **tables: pl.DataFrame) -> ProfileFrames:
    """Frames from tables already in the documented layout: columns are cast to the schemas, missing
    optional columns filled with their defaults, long tables stably sorted by person."""
    n = people.height
    if "id" not in people.columns:
        people = people.with_columns(pl.int_range(1, n + 1).cast(pl.String).alias("id"))
    people = _conform(people, PEOPLE_SCHEMA, {"honours": [], "directions": []})
    out: dict[str, pl.DataFrame] = {}
    for name, schema in TABLE_SCHEMAS.items():
        t = tables.get(name)
        if t is None:
            out[name] = pl.DataFrame(schema=schema)
            continue
        t = _conform(t, schema, _DEFAULTS.get(name, {}))
        person = t["person"].to_numpy()
        if len(person) and (np.any(np.diff(person.astype(np.int64)) < 0)):
            t = t.sort("person", maintain_order=True)
        if t.height and int(t["person"].max()) >= n:  # type: ignore[arg-type]
            raise ValueError(f"{name}.person 超出 people 的行数 {n}")
        out[name] = t
    return ProfileFrames(people=people, **out)


_DEFAULTS: dict[str, dict[str, Any]] = {
    "education": {"diploma": True, "degree": True, "engineering_professional_degree": False},
    "titles": {"series": "engineering"},
    "achievements": {"title": "", "count": 1, "used_before": False, "coauthors": []},
}


def _conform(df: pl.DataFrame, schema: dict[str, pl.DataType], defaults: dict[str, Any]) -> pl.DataFrame:
    exprs: list[pl.Expr] = []
    for col, dtype in schema.items():
        e = pl.col(col).cast(dtype) if col in df.columns else pl.lit(None).cast(dtype)
        if col in defaults:
            default = defaults[col]
            e = e.fill_null(pl.lit(default, dtype=dtype) if not isinstance(default, list)
                            else pl.lit(pl.Series([default], dtype=dtype)).first())
        exprs.append(e.alias(col))
    return df.select(exprs)


def profiles_to_frames(profiles: Sequence[Profile], ids: Sequence[str] | None = None) -> ProfileFrames:
    """Pydantic profiles to frames (ids default to "1", "2", …: the position in the list, 1-based)."""
    if ids is not None and len(ids) != len(profiles):
        raise ValueError("ids 与 profiles 数量不一致")
    people: dict[str, list[Any]] = {c: [] for c in PEOPLE_SCHEMA}
    columns: dict[str, dict[str, list[Any]]] = {name: {c: [] for c in schema} for name, schema in TABLE_SCHEMAS.items()}
    fields = {name: [c for c in schema if c != "person"] for name, schema in TABLE_SCHEMAS.items()}
    for i, p in enumerate(profiles):
        people["id"].append(str(ids[i]) if ids is not None else str(i + 1))
        people["name"].append(p.name)
        people["specialty_work_start"].append(p.specialty_work_start)
        people["skill_level"].append(None if p.skill_level is None else int(p.skill_level))
        people["honours"].append([h.value for h in p.honours])
        people["directions"].append(list(p.directions))
        for name in LIST_FIELDS:
            cols = columns[name]
            for item in getattr(p, name):
                values = vars(item)  # the validated field values (cheaper than model_dump)
                cols["person"].append(i)
                for f in fields[name]:
                    cols[f].append(_plain(values[f]))
    tables = {name: pl.DataFrame(columns[name], schema=schema) for name, schema in TABLE_SCHEMAS.items()}
    return ProfileFrames(people=pl.DataFrame(people, schema=PEOPLE_SCHEMA), **tables)


def _plain(v: Any) -> Any:
    """Enum members to their values (StrEnum → str, IntEnum → int) for Polars."""
    if v is None or isinstance(v, bool | date):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, list):
        return list(v)
    return v


def frames_to_profiles(frames: ProfileFrames, rows: Sequence[int] | None = None) -> list[Profile]:
    """Rows of the frames back to pydantic profiles (dates are not checked against today)."""
    wanted = list(range(len(frames))) if rows is None else [int(r) for r in rows]
    index = {r: k for k, r in enumerate(wanted)}
    people = frames.people.to_dicts()
    data: list[dict[str, Any]] = []
    for r in wanted:
        p = people[r]
        d: dict[str, Any] = {"name": p["name"], "specialty_work_start": p["specialty_work_start"],
                             "skill_level": p["skill_level"], "honours": p["honours"] or [],
                             "directions": p["directions"] or []}
        for name in LIST_FIELDS:
            d[name] = []
        data.append(d)
    for name in LIST_FIELDS:
        t = frames.table(name)
        if not t.height:
            continue
        sel = t.filter(pl.col("person").is_in(wanted)) if rows is not None else t
        for rec in sel.to_dicts():
            k = index[rec.pop("person")]
            data[k][name].append({key: v for key, v in rec.items() if v is not None})
    return [Profile.model_validate(d, context={"today": date.max}) for d in data]


# ---------------------------------------------------------------- dates as int32 days since 1970-01-01
EPOCH = date(1970, 1, 1)
NEVER = np.int32(2**31 - 1)  # "None" of a ready_on date: time alone cannot do it
NEG = np.int32(-(2**31))  # date.min of _cost; "no lower bound" of an achievement window
_NO_DATE = -(2**31)


def _days(d: date) -> int:
    return (d - EPOCH).days


def _date(days: int) -> date:
    return EPOCH + timedelta(days=int(days))


def _date_col(s: pl.Series) -> Arr:
    out: Arr = s.to_physical().fill_null(_NO_DATE).to_numpy()  # Date is Int32 days: no copy without nulls
    return out


def _ymd(days: Arr) -> tuple[Arr, Arr, Arr]:
    """Year, month, day of days since 1970-01-01 (proleptic Gregorian; integer arithmetic, H. Hinnant)."""
    z = days.astype(np.int64) + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def _from_ymd(y: Arr, m: Arr, d: Arr | int) -> Arr:
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(m > 2, m - 3, m + 9) + 2) // 5 + d - 1
    out: Arr = (era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468).astype(np.int32)
    return out


def _add_years(days: Arr, years: Arr | int) -> Arr:
    """engine.add_years over a column: 29 February rounds up to 1 March (I-12)."""
    y, m, d = _ymd(days)
    y = y + years
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    feb29 = (m == 2) & (d == 29) & ~leap
    return _from_ymd(y, np.where(feb29, 3, m), np.where(feb29, 1, d))


def _via_table(days: Arr, fn: Callable[[Arr], Arr]) -> Arr:
    """fn(days) computed once per distinct date of the (usually narrow) range the column spans."""
    lo, hi = int(days.min()), int(days.max())
    if hi - lo + 1 > max(len(days) // 4, 1024):
        return fn(days)
    out: Arr = fn(np.arange(lo, hi + 1, dtype=np.int64))[days - lo]
    return out


def _shift_years(days: Arr, years: Arr) -> Arr:
    """_add_years with a table per distinct number of years (at most two: with and without 提前)."""
    out = np.empty(len(days), np.int32)
    lo, hi = int(years.min()), int(years.max())
    if lo == hi:
        out[:] = _via_table(days, functools.partial(_add_years, years=lo))
        return out
    for y in range(lo, hi + 1):
        sel = years == y
        if sel.any():
            out[sel] = _via_table(days[sel], functools.partial(_add_years, years=y))
    return out


def _jan1(years: Arr) -> Arr:
    return _from_ymd(np.asarray(years, np.int64), np.ones_like(years, dtype=np.int64), 1)


def _year_of(days: Arr) -> Arr:
    return _ymd(days)[0]


# ---------------------------------------------------------------- segments (long table rows grouped by person)
class _Seg:
    """Reductions of a long table's rows per person; rows are sorted by person."""

    def __init__(self, person: Arr, n: int):
        self.person = person.astype(np.int64, copy=False)
        self.n = n
        self.size = len(person)
        counts = np.bincount(self.person, minlength=n) if self.size else np.zeros(n, np.int64)
        self.nonempty = counts > 0
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp) if n else np.zeros(0, np.intp)
        self.idx = starts[self.nonempty]  # strictly increasing: reduceat segments are exactly the persons' rows

    def _reduce(self, ufunc: np.ufunc, values: Arr, identity: Any, dtype: Any) -> Arr:
        out = np.full(self.n, identity, dtype)
        if self.size:
            out[self.nonempty] = ufunc.reduceat(values, self.idx, dtype=dtype)
        return out

    def min(self, values: Arr, mask: Arr) -> Arr:
        """Per person the least value among rows where mask holds; NEVER when none."""
        return self._reduce(np.minimum, np.where(mask, values, NEVER), NEVER, np.int32)

    def max(self, values: Arr, mask: Arr) -> Arr:
        return self._reduce(np.maximum, np.where(mask, values, NEG), NEG, np.int32)

    def any(self, mask: Arr) -> Arr:
        return self._reduce(np.logical_or, mask, False, np.bool_)

    def sum(self, values: Arr, mask: Arr) -> Arr:
        return self._reduce(np.add, np.where(mask, values, 0), 0, np.int64)

    def bits(self, values: Arr) -> Arr:
        return self._reduce(np.bitwise_or, values, 0, values.dtype)


def _factorize(keys: Arr) -> tuple[Arr, Arr]:
    """np.unique(keys, return_inverse=True), without sorting when the keys span a small range."""
    if not len(keys):
        return keys[:0], np.zeros(0, np.int64)
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo <= 4 * len(keys) + (1 << 16):
        shifted = keys - lo
        present = np.zeros(hi - lo + 1, bool)
        present[shifted] = True
        uniq = np.flatnonzero(present)
        return uniq + lo, (np.cumsum(present) - 1)[shifted]
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, inv.astype(np.int64)


def _lut(size: int, codes: Sequence[int]) -> Arr:
    """A lookup table code → member of `codes`, with one extra slot (for null/unknown) that is not."""
    table = np.zeros(size + 1, bool)
    table[list(codes)] = True
    return table


class _Prepared:
    """The frames as NumPy columns, converted once per `screen` call; `chunk` gives views of a range of
    persons. Long tables keep their rows sorted by person, so a range of persons is a range of rows."""

    def __init__(self, frames: ProfileFrames, as_of: date, catalog: Catalog,
                 pairs: Sequence[tuple[Document, LevelRule]]):
        n = self.n = len(frames)
        self.as_of = as_of
        p = frames.people
        self.ids = p["id"]
        ws = _date_col(p["specialty_work_start"])
        has_ws = ws != _NO_DATE
        self.people: dict[str, Arr] = {
            "ws": ws, "has_ws": has_ws,
            "ws_year": np.where(has_ws, _year_of(np.where(has_ws, ws, 0)), 0),
            "skill": p["skill_level"].fill_null(99).to_numpy(),
        }
        self.tables: dict[str, tuple[Arr, dict[str, Arr]]] = {}
        for name in LIST_FIELDS:  # the layout every reduction relies on
            rows = frames.table(name)["person"].to_numpy()
            if len(rows) and (rows[-1] >= n or np.any(rows[1:] < rows[:-1])):
                raise ValueError(f"{name}.person 应按人排序且小于档案数 {n}（请用 make_frames 构造）")

        def explode(col: str, dtype: pl.Enum) -> None:
            """Codes of a list column's items (unknown values: the extra last code), as a long table."""
            s = p[col]
            counts = s.list.len().fill_null(0).to_numpy()
            values = s.explode(empty_as_null=False, keep_nulls=False).cast(dtype, strict=False)
            codes = values.to_physical().fill_null(len(dtype.categories)).to_numpy()
            self.tables[col] = (np.repeat(np.arange(n, dtype=np.int64), counts), {"code": codes})

        explode("honours", pl.Enum(HONOURS))
        all_dirs = [d.id for doc in catalog.documents.values() for d in doc.directions]
        self.direction_codes = {d: i for i, d in enumerate(all_dirs)}
        explode("directions", pl.Enum(all_dirs))

        def person(t: pl.DataFrame) -> Arr:
            return t["person"].to_numpy().astype(np.int64)

        def code(t: pl.DataFrame, col: str) -> Arr:  # Enum codes (UInt8); null: the extra last code
            size = len(t.schema[col].categories)  # type: ignore[attr-defined]
            out: Arr = t[col].to_physical().fill_null(size).to_numpy()
            return out

        def num(t: pl.DataFrame, col: str, null: int) -> Arr:  # in the column's own integer type
            out: Arr = t[col].fill_null(null).to_numpy()
            return out

        def flag(t: pl.DataFrame, col: str) -> Arr:
            return t[col].cast(pl.Int8).fill_null(-1).to_numpy()

        e = frames.education
        self.tables["education"] = (person(e), {
            "level": code(e, "level"), "grad": _date_col(e["graduation_date"]), "diploma": flag(e, "diploma") == 1,
            "degree": flag(e, "degree") == 1, "epd": flag(e, "engineering_professional_degree") == 1})
        t = frames.titles
        same = {}
        for doc in {d.id: d for d, _ in pairs}.values():
            expr = pl.col("series") == "engineering"
            if doc.specialty_scoped:
                expr &= pl.col("specialty").is_null() | (pl.col("specialty") == doc.specialty)
            same[f"same:{doc.id}"] = t.select(expr.fill_null(False)).to_series().to_numpy().astype(bool)
        self.tables["titles"] = (person(t), {"grade": num(t, "grade", 0), "date": _date_col(t["obtained"]),
                                             **same})
        q = frames.vocational_qualifications
        vq_map = np.array([int(_VQ_GRADE[g]) for g in VQ_GRADES] + [0], np.int16)
        self.tables["vocational_qualifications"] = (person(q), {
            "grade": vq_map[code(q, "grade")], "date": _date_col(q["obtained"])})
        # assessment results of the ten years before as_of as bit sets: bit k-1 is year as_of.year - k
        a = frames.annual_assessments
        good = _lut(len(RESULTS), [RESULTS.index(r.value) for r in AssessmentResult if r.at_least_competent])
        k = as_of.year - a["year"].to_numpy().astype(np.int32)
        bit = np.where((k >= 1) & (k <= 10), np.left_shift(1, np.clip(k - 1, 0, 15)), 0).astype(np.int16)
        seg = _Seg(person(a), n)
        self.people["assessed"] = seg.bits(bit)
        self.people["below"] = seg.bits(np.where(good[code(a, "result")], 0, bit).astype(np.int16))
        sa = frames.sanctions
        self.tables["sanctions"] = (person(sa), {
            "kind": code(sa, "kind"), "start": _date_col(sa["start"]), "end": _date_col(sa["end"])})
        c = frames.achievements
        self.tables["achievements"] = (person(c), {
            "kind": code(c, "kind"), "role": code(c, "role"), "venue": code(c, "venue"),
            "rank": num(c, "rank", 32767), "level": num(c, "level", 0), "grade": num(c, "grade", 99),
            "std": num(c, "standard_level", 0), "output": num(c, "annual_output_wan", 0),
            "count": num(c, "count", 1), "used": flag(c, "used_before") == 1,
            "date": _date_col(c["date"]), "granted": flag(c, "granted"), "accepted": flag(c, "accepted"),
            "in_production": flag(c, "in_production")})

        # reviewers' findings per level: condition id → -1 none / 0 不符合 / 1 符合 per person (the last wins)
        self.judgements: dict[tuple[str, str], dict[str, Arr]] = {}
        j = frames.judgements
        for doc, rule in pairs:
            found: dict[str, Arr] = {}
            part = j.filter((pl.col("document") == doc.id) & (pl.col("level") == rule.id))
            if part.height:
                part = part.unique(subset=["person", "condition"], keep="last", maintain_order=True)
                for (cond,), found_rows in part.group_by(["condition"]):
                    arr = np.full(n, -1, np.int8)
                    arr[found_rows["person"].to_numpy().astype(np.int64)] = \
                        found_rows["passed"].cast(pl.Int8).to_numpy()
                    found[str(cond)] = arr
            self.judgements[(doc.id, rule.id)] = found

    def chunk(self, start: int, stop: int) -> _Data:
        return _Data(self, start, stop)


class _Data:
    """Views of one chunk of persons (start..stop-1), shared by every level evaluated on it."""

    def __init__(self, prep: _Prepared, start: int, stop: int):
        self.prep, self.start = prep, start
        n = self.n = stop - start
        self.ids = prep.ids.slice(start, n)
        self.ws, self.has_ws, self.ws_year, self.skill, self.assessed, self.below = (
            prep.people[k][start:stop] for k in ("ws", "has_ws", "ws_year", "skill", "assessed", "below"))
        self.direction_codes = prep.direction_codes
        cols: dict[str, dict[str, Arr]] = {}
        segs: dict[str, _Seg] = {}
        for name, (person, columns) in prep.tables.items():
            lo, hi = np.searchsorted(person, [start, stop])
            segs[name] = _Seg(person[lo:hi] - start, n)
            cols[name] = {k: v[lo:hi] for k, v in columns.items()}
        self.hon, self.hon_code = segs["honours"], cols["honours"]["code"]
        self.dir, self.dir_code = segs["directions"], cols["directions"]["code"]
        e = cols["education"]
        self.edu = segs["education"]
        self.edu_level, self.edu_grad, self.edu_diploma, self.edu_degree = (
            e["level"], e["grad"], e["diploma"], e["degree"])
        self.epd_any = self.edu.any(e["epd"])
        t = cols["titles"]
        self.tit, self.tit_grade, self.tit_date, self._same_cols = segs["titles"], t["grade"], t["date"], t
        q = cols["vocational_qualifications"]
        self.vq, self.vq_grade, self.vq_date = segs["vocational_qualifications"], q["grade"], q["date"]
        sa = cols["sanctions"]
        self.san, self.san_kind, self.san_start, self.san_end = segs["sanctions"], sa["kind"], sa["start"], sa["end"]
        c = cols["achievements"]
        self.ach = segs["achievements"]
        self.ach_person = self.ach.person
        self.ach_kind, self.ach_role, self.ach_venue = c["kind"], c["role"], c["venue"]
        self.ach_rank, self.ach_level, self.ach_grade, self.ach_std = c["rank"], c["level"], c["grade"], c["std"]
        self.ach_output, self.ach_count, self.ach_used, self.ach_date = c["output"], c["count"], c["used"], c["date"]
        self.ach_flags = {f: c[f] for f in ("granted", "accepted", "in_production")}
        self._match: dict[str, Arr] = {}

    def judgements(self, doc: Document, rule: LevelRule) -> dict[str, Arr]:
        found = self.prep.judgements.get((doc.id, rule.id), {})
        return {k: v[self.start:self.start + self.n] for k, v in found.items()}

    def match(self, m: Match) -> Arr:
        """Achievement rows meeting one Match (engine._matches over the column)."""
        key = m.model_dump_json()
        hit = self._match.get(key)
        if hit is not None:
            return hit
        ok = _lut(len(KINDS), [KINDS.index(k.value) for k in m.kinds])[self.ach_kind]
        if m.roles is not None:
            ok &= _lut(len(ROLES), [ROLES.index(r.value) for r in m.roles])[self.ach_role]
        if m.max_rank is not None:
            ok &= self.ach_rank <= m.max_rank
        if m.min_level is not None:
            ok &= self.ach_level >= int(m.min_level)
        if m.max_grade is not None:
            ok &= self.ach_grade <= int(m.max_grade)
        if m.venues is not None:
            ok &= _lut(len(VENUES), [VENUES.index(v.value) for v in m.venues])[self.ach_venue]
        if m.min_standard_level is not None:
            ok &= self.ach_std >= int(m.min_standard_level)
        if m.standard_levels is not None:
            ok &= _lut(7, [int(v) for v in m.standard_levels])[self.ach_std]
        for flag in ("granted", "accepted", "in_production"):
            want = getattr(m, flag)
            if want is not None:
                ok &= self.ach_flags[flag] == int(want)
        if m.min_output_wan is not None:
            ok &= self.ach_output >= m.min_output_wan
        self._match[key] = ok
        return ok

    def same_series(self, doc: Document) -> Arr:
        """Titles of the same series (and specialty, when the document is specialty-scoped)."""
        return self._same_cols[f"same:{doc.id}"]


# ---------------------------------------------------------------- evaluation results
FAIL, REVIEW, PASS = 0, 1, 2


class _Gaps:
    """The gap message of a leaf per person, formatted lazily: only for the persons whose gaps are
    reported (`render`), each distinct text once (memoised across chunks)."""

    def __init__(self, memo: dict[tuple[Any, ...], str], tag: tuple[Any, ...]):
        self.memo, self.tag = memo, tag
        self.parts: list[tuple[Arr, str | None, Arr | None, Callable[[int], str] | None]] = []

    def const(self, mask: Arr, text: str) -> None:
        self.parts.append((mask, text, None, None))

    def keyed(self, mask: Arr, keys: Arr, fmt: Callable[[int], str]) -> None:
        """Texts that depend on one integer key per person (a date, a bit set of years …)."""
        self.parts.append((mask, None, keys, fmt))

    def render(self, take: Arr) -> tuple[Arr, list[str | None]]:
        """Codes (0: none) into the returned texts for the persons in `take`."""
        codes = np.zeros(len(take), np.int64)
        texts: list[str | None] = [None]
        for i, (mask, text, keys, fmt) in enumerate(self.parts):
            m = take & mask
            if not m.any():
                continue
            if text is not None:
                codes[m] = len(texts)
                texts.append(text)
                continue
            assert keys is not None and fmt is not None
            uniq, inv = _factorize(keys[m])
            codes[m] = len(texts) + inv
            for k in uniq.tolist():
                key = (*self.tag, i, k)
                got = self.memo.get(key)
                if got is None:
                    got = self.memo[key] = fmt(k)
                texts.append(got)
        return codes, texts


@dataclass(slots=True)
class _Res:
    """One node over all persons: outcome, ready_on and the `_cost` of its gaps (untimed, latest)."""

    id: str
    kind: str
    outcome: Arr  # int8: FAIL / REVIEW / PASS
    ready: Arr  # int32 days; NEVER when time alone cannot do it
    untimed: Arr  # int32: the first element of engine._cost
    latest: Arr  # int32 days; NEG for date.min
    nonfail: Arr  # int16: children not failed (engine._combine's tie-break)
    children: list[_Res] = field(default_factory=list)
    choice: Arr | None = None  # any_of: the closest alternative when failed
    gaps: _Gaps | None = None  # leaves


def _fold(ufunc: np.ufunc, arrays: list[Arr]) -> Arr:
    out = arrays[0].copy()
    for a in arrays[1:]:
        ufunc(out, a, out=out)
    return out


def _latest_code(latest: Arr) -> Arr:
    return np.where(latest == NEG, 0, latest.astype(np.int64) + 2**25)


class _Level:
    """One level of one document compiled over one chunk."""

    def __init__(self, data: _Data, doc: Document, rule: LevelRule, as_of: date,
                 memo: dict[tuple[Any, ...], str]):
        self.d, self.doc, self.rule, self.n = data, doc, rule, data.n
        self.memo = memo
        self.as_of_date = as_of
        self.as_of = np.int32(_days(as_of))
        self.year_end = doc.params.years_counted_to == "year_end"
        self.cutoff_date = date(as_of.year, 12, 31) if self.year_end else as_of
        self.cutoff = _days(self.cutoff_date)
        early = doc.params.professional_degree_years_early
        self.early = np.where(data.epd_any, early, 0).astype(np.int32)
        eq = doc.params.equivalences
        rank = np.array([EDUCATION_RANK.get(eq.get(EducationLevel(v), EducationLevel(v)), 0) for v in EDU_LEVELS]
                        + [0], np.int16)  # technical-school classes count only through an equivalence
        self.edu_rank = rank[data.edu_level] if len(data.edu_level) else np.zeros(0, np.int16)
        self.grade = int(LEVELS[rule.id])
        self.vq_on = doc.params.vocational_qualification_as_title
        self.judge = data.judgements(doc, rule)
        self._window: dict[str, Arr] = {}

    # ---------------------------------------------------- helpers
    def gaps(self, node: Node) -> _Gaps:
        return _Gaps(self.memo, (self.doc.id, self.rule.id, node.id))

    def verdict_of(self, node_id: str) -> Arr:
        got = self.judge.get(node_id)
        return got if got is not None else np.full(self.n, -1, np.int8)

    def ready_for(self, required: Arr) -> Arr:
        """Ctx.ready: the first date a time threshold is met under the counting rule."""
        if self.year_end:
            return np.maximum(self.as_of, _via_table(required, lambda d: _jan1(_year_of(d))))
        return np.maximum(self.as_of, required)

    def leaf(self, node: Node, outcome: Arr, ready: Arr, untimed: Arr, timed: Arr, gaps: _Gaps) -> _Res:
        """A leaf: ready is as_of when not failed; `timed` marks failures whose gap has a date."""
        fail = outcome == FAIL
        ready = np.where(fail, ready, self.as_of).astype(np.int32)
        latest = np.where(fail & timed, ready, NEG).astype(np.int32)
        return _Res(node.id, node.kind, outcome.astype(np.int8), ready,
                    np.where(fail, untimed, 0).astype(np.int32), latest, np.zeros(self.n, np.int16), gaps=gaps)

    # ---------------------------------------------------- nodes
    def node(self, node: Node) -> _Res:
        if isinstance(node, (AllOf, AnyOf)):
            return self.combine(node)
        if isinstance(node, EducationYears):
            return self.education_years(node)
        if isinstance(node, TitleYears):
            return self.title_years(node)
        if isinstance(node, Assessments):
            return self.assessments(node)
        if isinstance(node, NoSanction):
            return self.no_sanction(node)
        if isinstance(node, DirectionIn):
            return self.direction_in(node)
        if isinstance(node, HonourIn):
            return self.honour_in(node)
        if isinstance(node, SkillAtLeast):
            return self.skill_level(node)
        if isinstance(node, JudgementNode):
            return self.judgement(node)
        if isinstance(node, Achievements):
            return self.achievements(node)
        if isinstance(node, HasAchievement):
            return self.has_achievement(node)
        raise TypeError(f"unknown node kind {node.kind}")  # pragma: no cover - closed vocabulary

    def years_check(self, node: EducationYears | TitleYears, ok: Arr, anchor: Arr,
                    outcome: Arr, ready: Arr, untimed: Arr, gaps: _Gaps) -> Arr:
        """engine._years_check for rows `ok`; fills outcome/ready/untimed/gaps; returns the timed mask."""
        if not ok.any():
            return ok
        years = np.maximum(0, node.years - self.early)
        first = anchor[ok].min()
        required = _shift_years(np.where(ok, anchor, first), years)
        passed = ok & (self.cutoff >= required)
        late = ok & ~passed
        outcome[passed] = PASS
        when = self.ready_for(required)
        ready[late] = when[late]
        cutoff, label = self.cutoff_date, node.label

        def fmt(req: int) -> str:
            r = _date(req)
            w = max(self.as_of_date, date(r.year, 1, 1) if self.year_end else r)
            return f"{label}：还差{duration_text(cutoff, r)}，{w.isoformat()}起满足"

        gaps.keyed(late, required, fmt)
        untimed[late] = 0
        return late

    def education_years(self, node: EducationYears) -> _Res:
        d, n = self.d, self.n
        need = EDUCATION_RANK[node.min_education]
        accepted = np.zeros(len(d.edu_grad), bool)
        if "diploma" in node.accept:
            accepted |= d.edu_diploma
        if "degree" in node.accept:
            accepted |= d.edu_degree
        first = d.edu.min(d.edu_grad, (self.edu_rank >= need) & accepted)
        has = first != NEVER
        no_edu, no_ws = ~has, has & ~d.has_ws
        ok = has & d.has_ws
        outcome = np.full(n, FAIL, np.int8)
        ready = np.full(n, NEVER, np.int32)
        untimed = np.where(no_edu, 2, 1).astype(np.int32)
        gaps = self.gaps(node)
        gaps.const(no_edu, f"{node.label}：需具备{EDUCATION_NAMES[node.min_education]}及以上学历")
        gaps.const(no_ws, _DATA_GAP)
        timed = self.years_check(node, ok, np.maximum(first, d.ws), outcome, ready, untimed, gaps)
        return self.leaf(node, outcome, ready, untimed, timed, gaps)

    def title_years(self, node: TitleYears) -> _Res:
        d, n = self.d, self.n
        tmask = d.tit_grade >= int(node.min_grade)
        if node.series != "any":
            same = self.d.same_series(self.doc)
            tmask &= same if node.series == "same" else ~same
        mt = d.tit.min(d.tit_date, tmask)
        mv = np.full(n, NEVER, np.int32)
        if self.vq_on and node.series != "other":
            mv = d.vq.min(d.vq_date, d.vq_grade >= int(node.min_grade))
        has_title = np.minimum(mt, mv) != NEVER
        if node.min_education is not None:
            edu_date = d.edu.min(d.edu_grad, self.edu_rank >= EDUCATION_RANK[node.min_education])
            has_edu = edu_date != NEVER
        else:
            edu_date, has_edu = np.full(n, NEG, np.int32), np.ones(n, bool)
        no_title = ~has_title
        no_edu = has_title & ~has_edu
        no_ws = has_title & has_edu & ~d.has_ws
        ok = has_title & has_edu & d.has_ws
        later = self.doc.params.title_anchor == "later_of_education_and_title"
        floor = np.maximum(d.ws, edu_date) if later and node.min_education is not None else d.ws
        anchor = np.maximum(np.minimum(mt, mv), floor)
        via_vq = np.maximum(mt, floor) > anchor  # no real title reaches the best anchor: the best is a qualification
        outcome = np.full(n, FAIL, np.int8)
        ready = np.full(n, NEVER, np.int32)
        untimed = np.where(no_ws, 1, 2).astype(np.int32)
        gaps = self.gaps(node)
        series = {"any": "", "same": "本系列", "other": "非本系列（专业）"}[node.series]
        gaps.const(no_title, f"{node.label}：需先取得{series}{GRADE_NAMES[node.min_grade]}职称")
        if node.min_education is not None:
            gaps.const(no_edu, f"{node.label}：需具备{EDUCATION_NAMES[node.min_education]}及以上学历")
        gaps.const(no_ws, _DATA_GAP)
        timed = self.years_check(node, ok, anchor, outcome, ready, untimed, gaps)
        outcome[(outcome == PASS) & via_vq] = REVIEW
        return self.leaf(node, outcome, ready, untimed, timed, gaps)

    def assessments(self, node: Assessments) -> _Res:
        d, n, y, years = self.d, self.n, self.as_of_date.year, node.years
        first = np.where(d.has_ws, d.ws_year + 1, np.iinfo(np.int64).min)
        missing = np.zeros(n, np.int64)
        window = (1 << years) - 1
        low = d.below.astype(np.int64) & window
        absent = ~d.assessed.astype(np.int64) & window
        for k in range(1, years + 1):  # years before the start of work need no result (I-11)
            skip = (y - k) < first
            missing |= np.where(skip, 0, absent & (1 << (k - 1)))
        bad = missing | low
        fail = bad != 0
        newest = np.zeros(n, np.int64)  # k of the most recent bad year
        for k in range(years, 0, -1):
            newest[(bad >> (k - 1)) & 1 == 1] = k
        later = y - newest + years + 1
        outcome = np.where(fail, FAIL, PASS).astype(np.int8)
        ready = np.where(fail, _jan1(later), NEVER).astype(np.int32)
        gaps = self.gaps(node)
        label = node.label

        def fmt(key: int) -> str:
            miss, lo = key >> 16, key & 0xFFFF
            bad_ks = [k for k in range(years, 0, -1) if (miss | lo) >> (k - 1) & 1]  # ascending years
            lows = [y - k for k in bad_ks if lo >> (k - 1) & 1]
            misses = [y - k for k in bad_ks if miss >> (k - 1) & 1 and not lo >> (k - 1) & 1]
            parts = []
            if lows:
                parts.append("、".join(str(v) for v in lows) + "年度考核不合格")
            if misses:
                parts.append("缺少" + "、".join(str(v) for v in misses) + "年度考核结果")
            newest_k = min(bad_ks)
            return (f"{label}：{'；'.join(parts)}" + ("（请补充）" if misses else "")
                    + f"；按考核期顺延，{y - newest_k + years + 1}年度起满足")

        gaps.keyed(fail, (missing << 16) | low, fmt)
        return self.leaf(node, outcome, ready, np.zeros(n, np.int32), fail, gaps)

    def no_sanction(self, node: NoSanction) -> _Res:
        d, n = self.d, self.n
        wanted = _lut(len(SANCTIONS), [SANCTIONS.index(s.value) for s in node.sanctions])[d.san_kind]
        active = wanted & (d.san_start <= self.as_of) & (self.as_of <= d.san_end)
        end = d.san.max(d.san_end, active)
        kinds = np.zeros(n, np.int64)
        for i in range(len(SANCTIONS)):
            kinds |= d.san.any(active & (d.san_kind == i)).astype(np.int64) << i
        fail = end != NEG
        outcome = np.where(fail, FAIL, PASS).astype(np.int8)
        ready = np.where(fail, end.astype(np.int64) + 1, NEVER).astype(np.int32)
        gaps = self.gaps(node)
        label = node.label

        def fmt(key: int) -> str:
            last, bits = _date(key >> 8), key & 0xFF
            names = "、".join(sorted({_SANCTION_NAMES[SANCTIONS[i]] for i in range(len(SANCTIONS)) if bits >> i & 1}))
            return f"{label}：{names}至{last.isoformat()}止，{(last + timedelta(days=1)).isoformat()}起方可申报"

        gaps.keyed(fail, (end.astype(np.int64) << 8) | kinds, fmt)
        return self.leaf(node, outcome, ready, np.zeros(n, np.int32), fail, gaps)

    def direction_in(self, node: DirectionIn) -> _Res:
        d = self.d
        names = {x.id: x.name for x in self.doc.directions}
        codes = d.direction_codes
        hit = d.dir.any(_lut(len(codes), [codes[v] for v in node.values if v in codes])[d.dir_code])
        mine = d.dir.any(_lut(len(codes), [codes[v] for v in names if v in codes])[d.dir_code])
        outcome = np.where(hit, PASS, FAIL).astype(np.int8)
        gaps = self.gaps(node)
        wanted = "、".join(names.get(v, v) for v in node.values)
        gaps.const(~hit & ~mine, f"请选择专业方向（{'、'.join(names.values())}）")
        gaps.const(~hit & mine, f"{node.label}：专业方向须为{wanted}")
        return self._untimed_leaf(node, outcome, gaps)

    def _untimed_leaf(self, node: Node, outcome: Arr, gaps: _Gaps) -> _Res:
        n = self.n
        return self.leaf(node, outcome, np.full(n, NEVER, np.int32), np.full(n, 2, np.int32),
                         np.zeros(n, bool), gaps)

    def honour_in(self, node: HonourIn) -> _Res:
        d = self.d
        hit = d.hon.any(_lut(len(HONOURS), [HONOURS.index(h.value) for h in node.values])[d.hon_code])
        gaps = self.gaps(node)
        gaps.const(~hit, node.label)
        return self._untimed_leaf(node, np.where(hit, PASS, FAIL).astype(np.int8), gaps)

    def skill_level(self, node: SkillAtLeast) -> _Res:
        hit = self.d.skill <= int(node.min_level)
        gaps = self.gaps(node)
        gaps.const(~hit, node.label)
        return self._untimed_leaf(node, np.where(hit, PASS, FAIL).astype(np.int8), gaps)

    def judgement(self, node: JudgementNode) -> _Res:
        v = self.verdict_of(node.id)
        outcome = np.select([v == 1, v == 0], [PASS, FAIL], REVIEW).astype(np.int8)
        gaps = self.gaps(node)
        gaps.const(v == 0, f"{node.label}：评审认定不符合（{node.prompt}）")
        return self._untimed_leaf(node, outcome, gaps)

    def window_start(self, window: str) -> Arr:
        """engine._window_start per person: NEG when achievements of any date count."""
        if window == "none":
            return np.full(self.n, NEG, np.int32)
        got = self._window.get("lower")
        if got is not None:
            return got
        d = self.d
        below_t = d.tit_grade < self.grade
        top = d.tit.max(d.tit_grade.astype(np.int32), below_t)
        below_v = (d.vq_grade < self.grade) if self.vq_on else np.zeros(len(d.vq_grade), bool)
        top = np.maximum(top, d.vq.max(d.vq_grade.astype(np.int32), below_v))
        start = np.minimum(
            d.tit.min(d.tit_date, below_t & (d.tit_grade == top[d.tit.person])),
            d.vq.min(d.vq_date, below_v & (d.vq_grade == top[d.vq.person])) if self.vq_on else NEVER,
        )
        has_below = top != NEG
        if self.doc.params.window_without_lower_title == "work_start":
            fallback = np.where(d.has_ws, d.ws, NEG)
        else:
            fallback = np.full(self.n, NEG, np.int32)
        got = np.where(has_below, start, fallback).astype(np.int32)
        self._window["lower"] = got
        return got

    def usable(self, window: str, exclude_used: bool) -> Arr:
        d = self.d
        ok = d.ach_date >= self.window_start(window)[d.ach_person] if window != "none" else np.ones(d.ach.size, bool)
        if exclude_used:
            ok = ok & ~d.ach_used
        return ok

    def matches(self, ms: Sequence[Match]) -> Arr:
        hit = np.zeros(self.d.ach.size, bool)
        for m in ms:
            hit |= self.d.match(m)
        return hit

    def achievements(self, node: Achievements) -> _Res:
        d, n = self.d, self.n
        usable = self.usable(node.window, node.exclude_used_before)
        items = list(node.items)
        assigned = np.full(d.ach.size, -1, np.int16)
        for it in sorted(items, key=lambda it: it.unit):  # each achievement counts once, where it costs least
            hit = usable & (assigned < 0) & self.matches(it.match)
            assigned[hit] = items.index(it)
        counts = [d.ach.sum(d.ach_count, assigned == i) for i in range(len(items))]
        confirmed = np.zeros(n, np.int64)
        pending = np.zeros(n, np.int64)
        kids: list[_Res] = []
        nonfail = np.zeros(n, np.int16)
        for i, it in enumerate(items):
            units = counts[i] // it.unit
            if node.counting == "distinct":
                units = np.minimum(units, 1)
            v = self.verdict_of(it.id)
            review = (units > 0) & (v == -1) if it.judgement else np.zeros(n, bool)
            passed = (units > 0) & ~review & (v != 0)
            pending += np.where(review, units, 0)
            confirmed += np.where(passed, units, 0)
            out = np.select([passed, review], [PASS, REVIEW], FAIL).astype(np.int8)
            nonfail += (out != FAIL).astype(np.int16)
            kids.append(_Res(it.id, "item", out, np.zeros(0, np.int32), np.zeros(0, np.int32),
                             np.zeros(0, np.int32), np.zeros(0, np.int16)))
        have = confirmed + pending
        outcome = np.select([confirmed >= node.need, have >= node.need], [PASS, REVIEW], FAIL).astype(np.int8)
        fail = outcome == FAIL
        # what the hint text depends on: the shortfall, and per item the remainder (cumulative) or being open
        key = np.minimum(node.need - have, 255).astype(np.int64)
        radix: list[int] = []
        for i, it in enumerate(items):
            if node.counting == "cumulative":
                if it.unit > 1:
                    key = key * it.unit + counts[i] % it.unit
                    radix.append(it.unit)
                else:
                    radix.append(1)
            else:
                key = key * 2 + (counts[i] < it.unit)
                radix.append(2)
        threshold = f"{len(items)}项中{node.need}项及以上" if node.enumerated else f"{node.need}项及以上"

        def fmt(k: int) -> str:
            state = [0] * len(items)
            for i in range(len(items) - 1, -1, -1):
                state[i], k = k % radix[i], k // radix[i]
            short = k
            hints: list[str] = []
            for i, it in enumerate(items):
                if node.counting == "cumulative" and state[i]:
                    hints.insert(0, f"再有{it.unit - state[i]}个即满足“{it.label}”")
            open_items = [it for i, it in enumerate(items) if node.counting == "cumulative" or state[i]]
            hints += [f"{it.label}（{it.cite.section}）" for it in open_items]
            return f"还差{short}项成果（{threshold}）：可选 " + "；".join(hints[:3])

        gaps = self.gaps(node)
        gaps.keyed(fail, key, fmt)
        res = self._untimed_leaf(node, outcome, gaps)
        res.nonfail = nonfail
        res.children = kids
        return res

    def has_achievement(self, node: HasAchievement) -> _Res:
        d = self.d
        found = d.ach.any(self.usable(node.window, False) & self.matches(node.match))
        v = self.verdict_of(node.id)
        review = found & (v == -1) if node.judgement else np.zeros(self.n, bool)
        outcome = np.select([~found, review, v == 0], [FAIL, REVIEW, FAIL], PASS).astype(np.int8)
        gaps = self.gaps(node)
        gaps.const(outcome == FAIL, node.label)
        return self._untimed_leaf(node, outcome, gaps)

    def combine(self, node: AllOf | AnyOf) -> _Res:
        kids = [self.node(c) for c in node.children]
        nonfail = np.zeros(self.n, np.int16)
        for k in kids:
            nonfail += k.outcome != FAIL
        if isinstance(node, AllOf):
            return _Res(node.id, node.kind, _fold(np.minimum, [k.outcome for k in kids]),
                        _fold(np.maximum, [k.ready for k in kids]), _fold(np.add, [k.untimed for k in kids]),
                        _fold(np.maximum, [k.latest for k in kids]), nonfail, kids)
        outcome = _fold(np.maximum, [k.outcome for k in kids])
        fail = outcome == FAIL
        # the closest alternative: fewest changes, then most conditions already met, then the earliest date
        keys = np.stack([(k.untimed.astype(np.int64) << 44) | ((1023 - k.nonfail.astype(np.int64)) << 34)
                         | _latest_code(k.latest) for k in kids])
        choice = keys.argmin(axis=0)
        cols = np.arange(self.n)
        untimed = np.where(fail, np.stack([k.untimed for k in kids])[choice, cols], 0).astype(np.int32)
        latest = np.where(fail, np.stack([k.latest for k in kids])[choice, cols], NEG).astype(np.int32)
        return _Res(node.id, node.kind, outcome, _fold(np.minimum, [k.ready for k in kids]), untimed, latest,
                    nonfail, kids, choice=choice.astype(np.int16))


_DATA_GAP = "请填写开始从事本专业技术工作的日期（specialty_work_start）"


# ---------------------------------------------------------------- one level → result columns
def _walk(results: Sequence[_Res]) -> Iterator[_Res]:
    for r in results:
        yield r
        yield from _walk(r.children)


def _evaluate_level(data: _Data, doc: Document, rule: LevelRule, validity: Validity, as_of: date,
                    memo: dict[tuple[Any, ...], str]) -> dict[str, Any]:
    """status, route, path, the reported gaps and eligible_from of every person of the chunk."""
    n = data.n
    lv = _Level(data, doc, rule, as_of, memo)
    regular = [lv.node(c) for c in rule.conditions]
    routes: list[tuple[str, list[_Res], list[_Res], list[_Res]]] = [("regular", [], regular, [])]
    for route in rule.routes:
        kept = [r for r in regular if r.id not in route.waives]
        routes.append((route.kind, [lv.node(route.trigger)], kept, [lv.node(a) for a in route.adds]))
    conds = [trig + kept + adds for _, trig, kept, adds in routes]
    r_out = np.stack([_fold(np.minimum, [c.outcome for c in cs]) for cs in conds])
    r_ready = np.stack([_fold(np.maximum, [c.ready for c in cs]) for cs in conds])
    r_untimed = np.stack([_fold(np.add, [c.untimed for c in cs]) for cs in conds])
    r_latest = np.stack([_fold(np.maximum, [c.latest for c in cs]) for cs in conds])
    best = r_out.argmax(axis=0)  # first (regular) on ties
    cols = np.arange(n)
    outcome = r_out[best, cols]
    ineligible = outcome == FAIL
    status = np.select([outcome == PASS, outcome == REVIEW], [0, 2], 1).astype(np.int8)  # STATUSES codes

    # eligible_from: as_of, or for the ineligible the earliest route date still within the validity period
    earliest = r_ready.min(axis=0)
    ok_date = earliest != NEVER
    eff_to = validity.effective_to
    if eff_to is not None:
        ok_date &= earliest < _days(eff_to)
    ok_date &= earliest >= _days(doc.effective_from)
    eligible_from = np.where(ineligible, np.where(ok_date, earliest, NEVER), lv.as_of).astype(np.int32)

    # path: in the best route, the first edu_exp/trigger node (pre-order) not failed; of an any_of its best child
    path_names: list[str | None] = [None]
    path_index: dict[str, int] = {}

    def pid(name: str) -> int:
        if name not in path_index:
            path_index[name] = len(path_names)
            path_names.append(name)
        return path_index[name]

    path = np.zeros(n, np.int32)
    for r, cs in enumerate(conds):
        code = np.zeros(n, np.int32)
        for c in _walk(cs):
            if not (c.id.endswith("edu_exp") or c.id.endswith("trigger")):
                continue
            take = (code == 0) & (c.outcome != FAIL)
            if c.kind != "any_of":
                code[take] = pid(c.id)
            else:
                best_child = np.stack([k.outcome for k in c.children]).argmax(axis=0)
                ids = np.array([pid(k.id) for k in c.children], np.int32)
                code[take] = ids[best_child[take]]
        sel = (best == r) & ~ineligible
        path[sel] = code[sel]

    # missing: the gaps of the closest route (fewest changes, then earliest), in route order
    r_key = (r_untimed.astype(np.int64) << 34) | _latest_code(r_latest)
    closest = r_key.argmin(axis=0)
    leaves: list[tuple[str, Arr, _Gaps]] = []

    def emit(res: _Res, mask: Arr) -> None:
        if res.kind == "all_of":
            for k in res.children:
                emit(k, mask)
        elif res.kind == "any_of":
            failed = mask & (res.outcome == FAIL)
            assert res.choice is not None
            for i, k in enumerate(res.children):
                emit(k, failed & (res.choice == i))
        elif res.gaps is not None:
            take = mask & (res.outcome == FAIL)
            if take.any():
                leaves.append((res.id, take, res.gaps))

    for r, (_, trig, _kept, _adds) in enumerate(routes):
        for t in trig:
            emit(t, ineligible & (closest == r))
    for c in regular:
        emit(c, ineligible & _lut(len(routes), [r for r, (_, _, kept, _) in enumerate(routes)
                                                if any(k is c for k in kept)])[closest])
    for r, (_, _trig, _kept, adds) in enumerate(routes):
        for a in adds:
            emit(a, ineligible & (closest == r))

    route_codes = np.array([ROUTE_KINDS.index(k) for k, _, _, _ in routes], np.int8)
    return {"status": status, "route": np.where(ineligible, -1, route_codes[best]),
            "path": path, "path_names": path_names, "leaves": leaves, "eligible_from": eligible_from}


def _assemble(leaves: list[tuple[str, Arr, _Gaps]], n: int) -> tuple[pl.Series, pl.Series]:
    """`missing` and `missing_conditions` of every person from the reported leaves (in report order).

    Rather than n strings per leaf, the combination of leaf texts of each person is numbered densely leaf
    by leaf; each distinct combination is joined once in Python, then one gather spreads them out."""
    rendered = [(cid, *gaps.render(take)) for cid, take, gaps in leaves]
    order = sorted(range(len(rendered)), key=lambda i: len(rendered[i][2]))  # few distinct texts first
    combo = np.zeros(n, np.int64)
    m = 1
    dense: list[tuple[Arr, int]] = []
    for i in order:
        _, codes, texts = rendered[i]
        k = len(texts)
        uniq, combo = _factorize(combo * k + codes)
        m = len(uniq)
        dense.append((uniq, k))
    ids = np.arange(m)
    by_leaf: dict[int, Arr] = {}
    for i, (uniq, k) in zip(reversed(order), reversed(dense), strict=True):
        u = uniq[ids]
        by_leaf[i] = u % k
        ids = u // k
    codes_by_step = [by_leaf[i] for i in range(len(rendered))]
    steps = [(texts, cid) for cid, _, texts in rendered]
    parts: list[list[str]] = [[] for _ in range(m)]
    ids_: list[list[str]] = [[] for _ in range(m)]
    if steps:
        matrix = np.stack(codes_by_step, axis=1)
        rows, cols = np.nonzero(matrix)  # row-major: by combination, then in report order
        for j, st, c in zip(rows.tolist(), cols.tolist(), matrix[rows, cols].tolist(), strict=True):
            parts[j].append(steps[st][0][c] or "")
            ids_[j].append(steps[st][1])
    missing = [GAP_SEPARATOR.join(x) for x in parts]
    conditions = [CONDITION_SEPARATOR.join(x) for x in ids_]
    index = pl.Series(combo.astype(np.uint32))
    return (pl.Series("missing", missing, dtype=pl.String).gather(index),
            pl.Series("missing_conditions", conditions, dtype=pl.String).gather(index))


def _columns(data: _Data, doc: Document, rule: LevelRule, validity: Validity, as_of: date,
             offset: int, memo: dict[tuple[Any, ...], str]) -> pl.DataFrame:
    n = data.n
    base = {
        "person": pl.int_range(offset, offset + n, dtype=PERSON, eager=True),
        "id": data.ids,
        "document": pl.repeat(doc.id, n, dtype=pl.String, eager=True),
        "level": pl.repeat(rule.id, n, dtype=pl.String, eager=True),
    }
    if not validity.in_force(as_of):
        return pl.DataFrame({
            **base,
            "status": pl.repeat("not_in_force", n, dtype=pl.Enum(STATUSES), eager=True),
            "route": pl.repeat(None, n, dtype=pl.Enum(ROUTE_KINDS), eager=True),
            "path": pl.repeat(None, n, dtype=pl.String, eager=True),
            "missing": pl.repeat("", n, dtype=pl.String, eager=True),
            "missing_conditions": pl.repeat("", n, dtype=pl.String, eager=True),
            "eligible_from": pl.repeat(None, n, dtype=pl.Date, eager=True),
        }, schema=RESULT_SCHEMA)
    r = _evaluate_level(data, doc, rule, validity, as_of, memo)
    missing, missing_ids = _assemble(r["leaves"], n)
    route = r["route"]
    ef = r["eligible_from"]
    out = pl.DataFrame({
        **base,
        "status": pl.Series(STATUSES, dtype=pl.Enum(STATUSES)).gather(pl.Series(r["status"].astype(np.uint32))),
        "route": pl.Series([*ROUTE_KINDS, None], dtype=pl.Enum(ROUTE_KINDS)).gather(
            pl.Series(np.where(route < 0, len(ROUTE_KINDS), route).astype(np.uint32))),
        "path": pl.Series(r["path_names"], dtype=pl.String).gather(pl.Series(r["path"].astype(np.uint32))),
        "missing": missing,
        "missing_conditions": missing_ids,
        "eligible_from": pl.Series(ef, dtype=pl.Int32).cast(pl.Date),
    })
    never = ef == NEVER
    if never.any():
        out = out.with_columns(pl.when(pl.Series(never)).then(None).otherwise(pl.col("eligible_from"))
                               .alias("eligible_from"))
    return out


# ---------------------------------------------------------------- public entry points
def targets(catalog: Catalog, as_of: date, document: str | None = None,
            level: str | None = None) -> list[tuple[Document, LevelRule]]:
    """(document, level) pairs to screen: as `evaluate` for a named document (even when not in force),
    as `evaluate_all` (documents in force on as_of) otherwise; `level` filters."""
    if document is not None:
        doc = catalog.document(document)
        if level is not None:
            return [(doc, catalog.level(doc.id, level))]
        return [(doc, lv) for lv in doc.levels]
    out = [(doc, lv) for doc in catalog.in_force(as_of) for lv in doc.levels if level is None or lv.id == level]
    if level is not None and not out:
        raise KeyError(f"{as_of.isoformat()}在施的标准均未设 {level} 层级")
    return out


ProgressFn = Callable[[int, int], None]


def _screen_chunk(prep: _Prepared, start: int, stop: int, pairs: list[tuple[Document, LevelRule]],
                  cat: Catalog, as_of: date, memo: dict[tuple[Any, ...], str]) -> pl.DataFrame:
    data = prep.chunk(start, stop)
    level_frames = [_columns(data, doc, rule, cat.validity(doc.id), as_of, start, memo) for doc, rule in pairs]
    if len(level_frames) == 1:
        return level_frames[0]
    m = stop - start  # person-major order: each person's levels together, in catalog order
    order = (np.arange(m)[:, None] + np.arange(len(level_frames))[None, :] * m).ravel()
    return pl.concat(level_frames).gather(pl.Series(order.astype(np.uint32)))


def screen(frames: ProfileFrames, as_of: date, document: str | None = None, level: str | None = None,
           catalog: Catalog | None = None, chunk_size: int = 250_000, workers: int | None = None,
           progress: ProgressFn | None = None) -> pl.DataFrame:
    """Screen every profile against one level of one document, all levels of one document, or every
    level of every document in force on `as_of` (as `evaluate` / `evaluate_all` would, profile by profile).

    One row per (person, document, level), ordered by person then catalog order, with the columns of
    `RESULT_SCHEMA`. Chunks of `chunk_size` persons are evaluated by `workers` threads (default: one per
    CPU, at most 4; NumPy and Polars release the GIL); `progress(done, total)` is called, in the calling
    thread, as each chunk completes (counting chunk × level).
    """
    cat = catalog or default_catalog()
    pairs = targets(cat, as_of, document, level)
    memo: dict[tuple[Any, ...], str] = {}
    n = len(frames)
    size = max(1, chunk_size)
    chunks = [(s, min(s + size, n)) for s in range(0, n, size)] or [(0, 0)]
    total = len(chunks) * len(pairs)
    workers = max(1, min(workers or min(os.cpu_count() or 1, 4), len(chunks)))
    prep = _Prepared(frames, as_of, cat, pairs)
    parts: list[pl.DataFrame] = []
    if workers == 1:
        for i, (start, stop) in enumerate(chunks):
            parts.append(_screen_chunk(prep, start, stop, pairs, cat, as_of, memo))
            if progress is not None:
                progress((i + 1) * len(pairs), total)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_screen_chunk, prep, start, stop, pairs, cat, as_of, memo)
                       for start, stop in chunks]
            for i, fut in enumerate(futures):
                parts.append(fut.result())
                if progress is not None:
                    progress((i + 1) * len(pairs), total)
    return pl.concat(parts) if len(parts) > 1 else parts[0]


def summarise(result: pl.DataFrame) -> pl.DataFrame:
    """Counts by status per document and level (one row per document × level, a column per status)."""
    counts = result.group_by(["document", "level", "status"]).len()
    wide = counts.pivot(on="status", index=["document", "level"], values="len")
    for s in STATUSES:
        if s not in wide.columns:
            wide = wide.with_columns(pl.lit(0, pl.UInt32).alias(s))
    wide = wide.with_columns([pl.col(s).fill_null(0) for s in STATUSES])
    wide = wide.with_columns(pl.sum_horizontal(STATUSES).alias("total"))
    order = result.select("document", "level").unique(maintain_order=True).with_row_index("_o")
    wide = order.join(wide, on=["document", "level"], how="left")
    return wide.sort("_o").select(["document", "level", *STATUSES, "total"])


# ================================================================ input files
@dataclass(frozen=True, slots=True)
class InputProblem:
    """One problem in an input file: where (file, row as shown to the user, column) and why, in Chinese."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column is not None:
            where.append(f"列 {self.column}")
        return "，".join(where) + f"：{self.message}"


class BatchInputError(ValueError):
    """Invalid batch input: the problems found (the first ones by row), each naming file, row and column."""

    def __init__(self, problems: list[InputProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


MAX_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    kind: Literal["str", "int", "bool", "date", "enum", "list"]
    required: bool = False
    lo: int | None = None  # int: least value; str: least length
    hi: int | None = None  # int: greatest value; str: greatest length; list: most items
    values: tuple[str, ...] = ()  # enum (or the items of a list)
    past: bool = False  # a date not after today


def _enum(name: str, values: list[str], required: bool = False) -> _Field:
    return _Field(name, "enum", required, values=tuple(values))


PEOPLE_FIELDS: list[_Field] = [
    _Field("id", "str", lo=1, hi=200), _Field("name", "str", hi=50),
    _Field("specialty_work_start", "date", past=True), _Field("skill_level", "int", lo=1, hi=3),
    _Field("honours", "list", values=tuple(HONOURS)), _Field("directions", "list", hi=10),
]
LIST_FIELD_SPECS: dict[str, list[_Field]] = {
    "education": [
        _enum("level", EDU_LEVELS, True), _Field("graduation_date", "date", True, past=True),
        _Field("diploma", "bool"), _Field("degree", "bool"), _Field("engineering_professional_degree", "bool"),
        _Field("school", "str", hi=100), _Field("major", "str", hi=100),
    ],
    "titles": [
        _Field("grade", "int", True, 1, 5), _Field("series", "str", lo=1, hi=40), _Field("specialty", "str", hi=40),
        _Field("name", "str", hi=40), _Field("obtained", "date", True, past=True),
    ],
    "vocational_qualifications": [
        _Field("name", "str", True, 1, 80), _enum("grade", VQ_GRADES, True),
        _Field("obtained", "date", True, past=True),
    ],
    "annual_assessments": [_Field("year", "int", True, 1950, 2100), _enum("result", RESULTS, True)],
    "sanctions": [
        _enum("kind", SANCTIONS, True), _Field("start", "date", True), _Field("end", "date", True),
        _Field("reason", "str", hi=200),
    ],
    "achievements": [
        _Field("id", "str", hi=40), _enum("kind", KINDS, True), _Field("title", "str", hi=200),
        _Field("date", "date", True, past=True), _enum("role", ROLES), _Field("rank", "int", lo=1, hi=999),
        _Field("level", "int", lo=1, hi=6), _Field("grade", "int", lo=1, hi=3), _enum("venue", VENUES),
        _Field("standard_level", "int", lo=1, hi=6), _Field("granted", "bool"), _Field("accepted", "bool"),
        _Field("in_production", "bool"), _Field("annual_output_wan", "int", lo=0),
        _Field("count", "int", lo=1, hi=100), _Field("used_before", "bool"), _Field("coauthors", "list"),
    ],
    "judgements": [
        _Field("document", "str", True), _Field("level", "str", True), _Field("condition", "str", True),
        _Field("passed", "bool", True), _Field("note", "str", hi=500),
    ],
}
PROFILE_COLUMNS: list[str] = [f.name for f in PEOPLE_FIELDS] + list(LIST_FIELDS)
ACHIEVEMENT_COLUMNS: list[str] = ["person"] + [f.name for f in LIST_FIELD_SPECS["achievements"]]
_TRUE = ("true", "1", "yes", "on", "t", "y")
_FALSE = ("false", "0", "no", "off", "f", "n")
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_INT_RE = r"^[+-]?\d+(\.0*)?$"


def _raw_struct(spec: list[_Field]) -> pl.Struct:
    return pl.Struct({f.name: pl.List(pl.String) if f.kind == "list" else pl.String for f in spec})


def _parse_fields(raw: pl.DataFrame, spec: list[_Field], today: date,
                  ) -> tuple[dict[str, pl.Series], list[tuple[int, str, str]]]:
    """Typed columns from raw text columns, and problems as (raw row, field, message): every kind of
    problem pydantic would report for the field, first row of each ("{v}" in a message: the value seen).
    Values are parsed once (unparseable text gives null), then the checks compare raw and parsed columns."""
    missing = [pl.lit(None, pl.List(pl.String) if f.kind == "list" else pl.String).alias(f.name)
               for f in spec if f.name not in raw.columns]
    frame = (raw.with_columns(missing) if missing else raw).select([f.name for f in spec])
    parsed: list[pl.Expr] = []
    for f in spec:
        c = pl.col(f.name)
        if f.kind == "bool":
            low = c.str.strip_chars().str.to_lowercase()
            c = pl.when(low.is_in(list(_TRUE))).then(True).when(low.is_in(list(_FALSE))).then(False)
        elif f.kind == "int":
            t = c.str.strip_chars()
            c = pl.when(t.str.contains(_INT_RE)).then(t.str.replace(r"\.0*$", "").cast(pl.Int64, strict=False))
        elif f.kind == "date":
            c = pl.when(c.str.contains(_DATE_RE)).then(c.str.to_date("%Y-%m-%d", strict=False))
        parsed.append(c.alias(f.name))
    typed = frame.select(parsed)
    both = pl.concat([frame.rename({f.name: f"raw:{f.name}" for f in spec}), typed], how="horizontal")

    checks: list[tuple[pl.Expr, str, str]] = []  # (bad, field, message)
    for f in spec:
        r, v = pl.col(f"raw:{f.name}"), pl.col(f.name)
        if f.kind == "list":
            checks.append((r.list.eval(pl.element().is_null()).list.any(), f.name, "列表中不能有空值"))
            if f.values:
                checks.append((r.list.eval(~pl.element().is_in(list(f.values))).list.any(), f.name,
                               f"取值无效，应为：{'、'.join(f.values)}（收到 {{v}}）"))
            if f.hi is not None:
                checks.append((r.list.len() > f.hi, f.name, f"最多 {f.hi} 项"))
            continue
        if f.required:
            checks.append((r.is_null(), f.name, "缺少必填字段"))
        if f.kind == "str":
            if f.lo:
                checks.append((r.str.len_chars() < f.lo, f.name, "不能为空"))
            if f.hi is not None:
                checks.append((r.str.len_chars() > f.hi, f.name, f"过长（最多 {f.hi} 个字符）"))
        elif f.kind == "enum":
            checks.append((r.is_not_null() & ~r.is_in(list(f.values)), f.name,
                           f"取值无效，应为：{'、'.join(f.values)}（收到 {{v}}）"))
        else:
            expected = {"bool": "应为 true 或 false", "int": "应为整数", "date": "日期格式应为 YYYY-MM-DD"}[f.kind]
            checks.append((r.is_not_null() & v.is_null(), f.name, f"{expected}（收到 {{v}}）"))
            if f.kind == "int" and f.lo is not None:
                checks.append((v < f.lo, f.name, f"不能小于 {f.lo}"))
            if f.kind == "int" and f.hi is not None:
                checks.append((v > f.hi, f.name, f"不能大于 {f.hi}"))
            if f.kind == "date" and f.past:
                checks.append((v > today, f.name, f"日期 {{v}} 晚于今天 {today.isoformat()}"))
    problems: list[tuple[int, str, str]] = []
    if both.height and checks:
        firsts = both.select([bad.fill_null(False).arg_true().first().alias(f"_{i}")
                              for i, (bad, _, _) in enumerate(checks)]).row(0)
        for row, (_, name, message) in zip(firsts, checks, strict=True):
            if row is not None:
                value = both[f"raw:{name}"][int(row)]
                if isinstance(value, pl.Series):
                    value = ",".join(str(x) for x in value.to_list())
                problems.append((int(row), name, message.replace("{v}", repr(value))))
    return {c: typed[c] for c in typed.columns}, problems


@dataclass(slots=True)
class _Source:
    """Where the rows came from, to name them in messages."""

    file: str
    row_numbers: Arr  # displayed row number of each data row
    achievements_file: str | None = None
    achievement_rows: Arr | None = None
    lines: list[str] | None = None  # jsonl: the text of each row, for pydantic's own messages

    def problem(self, row: int | None, column: str | None, message: str) -> InputProblem:
        return InputProblem(self.file, None if row is None else int(self.row_numbers[row]), column, message)


def _decode_json(s: pl.Series, dtype: pl.DataType) -> pl.Series:
    return s.str.json_decode(dtype=dtype)


def _first_failing(s: pl.Series, fn: Callable[[pl.Series], object]) -> int:
    """Index of the first element on which `fn` (a whole-column operation) fails: bisection, O(n)."""
    lo, hi = 0, len(s)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            fn(s.slice(lo, mid - lo))
            lo = mid
        except pl.exceptions.PolarsError:
            hi = mid
    return lo


def _unknown_keys(s: pl.Series, allowed: set[str]) -> list[tuple[int, str]]:
    """(row, key) of object keys in JSON text not in `allowed`: the allowed names are stripped and rows
    with a key left are parsed to confirm (a string value may look like a key)."""
    names = "|".join(re.escape(k) for k in sorted(allowed, key=len, reverse=True))
    left = s.str.replace_all(f'"(?:{names})"\\s*:', "").str.contains('":').fill_null(False)
    out: list[tuple[int, str]] = []
    for r in left.arg_true().to_list():
        unknown = sorted(_keys(json.loads(s[r])) - allowed)
        if unknown:
            out.append((int(r), unknown[0]))
            if len(out) >= MAX_PROBLEMS:
                break
    return out


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _has_key(value: Any, key: str) -> bool:
    if isinstance(value, dict):
        return key in value or any(_has_key(v, key) for v in value.values())
    if isinstance(value, list):
        return any(_has_key(v, key) for v in value)
    return False


def _list_column(people: pl.DataFrame, name: str, src: _Source, problems: list[InputProblem]) -> pl.DataFrame | None:
    """A list column of the people table (JSON text or native list of structs) as a raw long table:
    _row (people row), _item (position in the list) and the fields as text."""
    spec = LIST_FIELD_SPECS[name]
    dtype = pl.List(_raw_struct(spec))
    s = people[name]
    if s.dtype == pl.String:
        try:
            decoded = _decode_json(s, dtype)
        except pl.exceptions.PolarsError:
            i = _first_failing(s, lambda part: _decode_json(part, dtype))
            problems.append(src.problem(i, name, _json_reason(s[i], "应为对象列表（JSON 数组）")))
            return None
        for row, key in _unknown_keys(s.fill_null("[]"), {f.name for f in spec}):
            problems.append(src.problem(row, _item_column(s[row], name, key), "不认识的字段"))
    elif isinstance(s.dtype, pl.List) and isinstance(s.dtype.inner, pl.Struct):
        decoded = s  # native lists of structs (parquet): fields are made text after exploding
    elif s.dtype == pl.Null:
        decoded = pl.Series(name, [None] * people.height, dtype=dtype)
    else:
        problems.append(src.problem(None, name, f"列类型 {s.dtype} 不是 JSON 文本或列表"))
        return None
    lengths = decoded.list.len().fill_null(0).to_numpy()
    rows = np.repeat(np.arange(people.height), lengths)
    items = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    flat = decoded.filter(pl.Series(lengths > 0)).explode() if len(rows) else pl.Series(name, [], _raw_struct(spec))
    null_items = flat.is_null().arg_true()
    if len(null_items):
        k = int(null_items[0])
        problems.append(src.problem(int(rows[k]), f"{name}[{items[k]}]", "应为对象"))
        return None
    if not len(rows):
        return pl.DataFrame(schema={**dict(_raw_struct(spec).to_schema()), "_row": pl.Int64, "_item": pl.Int64})
    table = flat.struct.unnest()
    known = {f.name for f in spec}
    for col in table.columns:
        if col not in known:
            idx = table[col].is_not_null().arg_true()
            if len(idx):
                k = int(idx[0])
                problems.append(src.problem(int(rows[k]), f"{name}[{items[k]}].{col}", "不认识的字段"))
    table = table.select([
        (pl.col(f.name) if f.name in table.columns else pl.lit(None))
        .cast(pl.List(pl.String) if f.kind == "list" else pl.String).alias(f.name) for f in spec])
    return table.with_columns(pl.Series("_row", rows.astype(np.int64)), pl.Series("_item", items.astype(np.int64)))


def _item_column(text: str, name: str, key: str) -> str:
    """`education[2].colour`: the first item of the row's JSON list holding the unknown key."""
    try:
        value = json.loads(text)
        for i, item in enumerate(value if isinstance(value, list) else []):
            if _has_key(item, key):
                return f"{name}[{i}].{key}"
    except (ValueError, TypeError):
        pass
    return f"{name}[].{key}"


def _json_reason(text: str | None, expected: str) -> str:
    try:
        json.loads(text or "")
    except ValueError as exc:
        return f"JSON 格式错误：{exc.msg}（第 {exc.pos + 1} 个字符）" if isinstance(exc, json.JSONDecodeError) \
            else f"JSON 格式错误：{exc}"
    return f"格式不符：{expected}"


def _strlist_column(people: pl.DataFrame, name: str, src: _Source, problems: list[InputProblem]) -> pl.Series:
    s = people[name] if name in people.columns else pl.Series(name, [None] * people.height, dtype=pl.String)
    if s.dtype == pl.String:
        dtype = pl.List(pl.String)
        try:
            s = _decode_json(s, dtype)
        except pl.exceptions.PolarsError:
            i = _first_failing(s, lambda part: _decode_json(part, dtype))
            problems.append(src.problem(i, name, _json_reason(s[i], "应为文本列表（JSON 数组）")))
            return pl.Series(name, [[]] * people.height, dtype=dtype)
    elif s.dtype == pl.Null:
        s = s.cast(pl.List(pl.String))
    elif not isinstance(s.dtype, pl.List):
        problems.append(src.problem(None, name, f"列类型 {s.dtype} 不是 JSON 文本或列表"))
        return pl.Series(name, [[]] * people.height, dtype=pl.List(pl.String))
    return s.cast(pl.List(pl.String)).fill_null(pl.lit([], dtype=pl.List(pl.String))).alias(name)


def _scalar_text(s: pl.Series) -> pl.Series:
    """A scalar column as text: dates ISO, booleans true/false, integers without decimals."""
    if s.dtype == pl.String:
        return s
    if s.dtype == pl.Boolean:
        return s.cast(pl.String)
    if s.dtype.is_float():
        whole = (s.round(0) == s).fill_null(True)
        return pl.select(pl.when(pl.lit(whole)).then(pl.lit(s).cast(pl.Int64).cast(pl.String))
                         .otherwise(pl.lit(s).cast(pl.String))).to_series().alias(s.name)
    if s.dtype == pl.Datetime:
        return s.dt.date().cast(pl.String)
    return s.cast(pl.String)


def _frames_from_raw(people: pl.DataFrame, achievements: pl.DataFrame | None, src: _Source,
                     today: date) -> ProfileFrames:
    """The shared reader: validate the raw people table (and optional achievements table), build frames."""
    problems: list[InputProblem] = []
    unknown = [c for c in people.columns if c not in PROFILE_COLUMNS]
    for c in unknown:
        problems.append(InputProblem(src.file, None, c, f"不认识的列（可用：{'、'.join(PROFILE_COLUMNS)}）"))
    if achievements is not None:
        if "achievements" in people.columns:
            problems.append(InputProblem(src.file, None, "achievements",
                                         f"成果已在单独的表 {src.achievements_file} 中给出，"
                                         "档案表不能再有 achievements 列"))
        for c in achievements.columns:
            if c not in ACHIEVEMENT_COLUMNS:
                problems.append(InputProblem(src.achievements_file or src.file, None, c,
                                             f"不认识的列（可用：{'、'.join(ACHIEVEMENT_COLUMNS)}）"))
        if "person" not in achievements.columns:
            problems.append(InputProblem(src.achievements_file or src.file, None, "person",
                                         "缺少 person 列（档案 id）"))
    if problems:
        raise BatchInputError(problems)
    n = people.height
    scalars = pl.DataFrame({f.name: _scalar_text(people[f.name]) if f.name in people.columns
                            else pl.Series(f.name, [None] * n, dtype=pl.String)
                            for f in PEOPLE_FIELDS if f.kind != "list"})
    for f in PEOPLE_FIELDS:
        if f.kind == "list":
            scalars = scalars.with_columns(_strlist_column(people, f.name, src, problems))
    typed, found = _parse_fields(scalars, PEOPLE_FIELDS, today)
    problems += [src.problem(r, c, m) for r, c, m in found]
    ids = typed["id"]
    if "id" not in people.columns:
        ids = pl.Series("id", [str(i) for i in range(1, n + 1)], dtype=pl.String)
    else:
        dup = ids.is_duplicated() & ids.is_not_null() & ~ids.is_first_distinct()
        idx = dup.arg_true()
        if len(idx):
            problems.append(src.problem(int(idx[0]), "id", f"档案 id {ids[int(idx[0])]!r} 重复"))
    out_people = pl.DataFrame({"id": ids, **{f.name: typed[f.name] for f in PEOPLE_FIELDS if f.name != "id"}})

    tables: dict[str, pl.DataFrame] = {}
    for name in LIST_FIELDS:
        if name == "achievements" and achievements is not None:
            continue
        if name not in people.columns:
            continue
        raw = _list_column(people, name, src, problems)
        if raw is None:
            continue
        t_typed, found = _parse_fields(raw, LIST_FIELD_SPECS[name], today)
        rows, items = raw["_row"].to_numpy(), raw["_item"].to_numpy()
        problems += [src.problem(int(rows[r]), f"{name}[{items[r]}].{c}", m) for r, c, m in found]
        t = pl.DataFrame({"person": pl.Series(rows, dtype=PERSON), **t_typed})
        for r, col, message in _cross_checks(name, t, today):
            column = col if col == name else f"{name}[{items[r]}]" + (f".{col}" if col else "")
            problems.append(src.problem(int(rows[r]), column, message))
        tables[name] = t
    if achievements is not None and "person" in achievements.columns:
        afile = src.achievements_file or src.file
        arows = src.achievement_rows if src.achievement_rows is not None else np.arange(achievements.height) + 2
        raw = pl.DataFrame({c: _scalar_text(achievements[c]) if c != "coauthors" else achievements[c]
                            for c in achievements.columns})
        if "coauthors" in raw.columns:
            raw = raw.with_columns(_strlist_column(raw, "coauthors", src, problems))
        t_typed, found = _parse_fields(raw, LIST_FIELD_SPECS["achievements"], today)
        problems += [InputProblem(afile, int(arows[r]), c, m) for r, c, m in found]
        index = {v: i for i, v in enumerate(ids.to_list())}
        person = raw["person"].cast(pl.String).replace_strict(index, default=None, return_dtype=PERSON)
        missing = person.is_null().arg_true()
        if len(missing):
            r = int(missing[0])
            problems.append(InputProblem(afile, int(arows[r]), "person",
                                         f"档案 id {raw['person'][r]!r} 不在 {src.file} 中"))
        if not len(missing):
            t = pl.DataFrame({"person": person, **t_typed})
            tables["achievements"] = t.with_row_index("_r").sort("person", "_r").drop("_r")
    if problems:
        raise BatchInputError(_first_problems(problems, src))
    return make_frames(out_people, **tables)


def _cross_checks(name: str, t: pl.DataFrame, today: date) -> list[tuple[int, str, str]]:
    """Rules across fields of one item (the models' validators) and across the items of one person:
    (row, column — "" for the item itself, the list name for the whole list — message)."""
    out: list[tuple[int, str, str]] = []

    def first(mask: pl.Series, col: str, message: str) -> None:
        idx = mask.fill_null(False).arg_true()
        if len(idx):
            out.append((int(idx[0]), col, message))

    if name == "education":
        first(~t["diploma"].fill_null(True) & ~t["degree"].fill_null(True), "", "学历与学位至少具备其一")
    elif name == "sanctions":
        first(t["end"] < t["start"], "", "结束日期早于开始日期")
    elif name == "annual_assessments":
        first(t["year"] > today.year, "year", "年度尚未到来")
        key = t["person"].cast(pl.Int64) * 100_000 + t["year"].cast(pl.Int64)
        first(~key.is_first_distinct() & t["year"].is_not_null(), name, "同一年度出现多条考核结果")
    return out


def _first_problems(problems: list[InputProblem], src: _Source) -> list[InputProblem]:
    """The first problems by file and row; for jsonl, pydantic's own message for the first bad line."""
    problems = sorted(problems, key=lambda p: (p.file != src.file, p.row or 0))[:MAX_PROBLEMS]
    if src.lines is not None and problems and problems[0].row is not None and problems[0].file == src.file:
        pos = int(np.searchsorted(src.row_numbers, problems[0].row))
        own = _pydantic_problems(src, pos)
        if own:
            return own + [p for p in problems if p.row != problems[0].row]
    return problems


def _pydantic_problems(src: _Source, pos: int) -> list[InputProblem]:
    assert src.lines is not None
    line = src.lines[pos]
    row = int(src.row_numbers[pos])
    try:
        data = json.loads(line)
    except ValueError as exc:
        return [InputProblem(src.file, row, None, f"JSON 格式错误：{exc}")]
    try:
        parse_profile(data, today=date.max)
    except ProfileError as exc:
        return [InputProblem(src.file, row, p, m) for p, m in exc.problems]
    return []


# ---------------------------------------------------------------- readers
def read_profiles(path: str | Path, achievements: str | Path | None = None, today: date | None = None,
                  ) -> ProfileFrames:
    """Read profiles from .jsonl/.ndjson, .csv, .xlsx or .parquet (layout: docs/batch.md).

    For csv and parquet, achievements may come from a separate table: `achievements` if given, else
    `<stem>.achievements.<suffix>` beside the file when it exists. Raises BatchInputError naming file,
    row and column of each problem (dates after `today` are rejected, as in `parse_profile`).
    """
    p = Path(path)
    today = today or date.today()
    suffix = p.suffix.lower()
    if not p.is_file():
        raise BatchInputError([InputProblem(str(p), None, None, "文件不存在")])
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(p, today)
    if suffix == ".csv":
        return read_csv(p, achievements, today)
    if suffix == ".xlsx":
        return read_xlsx(p, today)
    if suffix == ".parquet":
        return read_parquet(p, achievements, today)
    raise BatchInputError([InputProblem(str(p), None, None, "不支持的文件类型（可用 .jsonl .csv .xlsx .parquet）")])


def _sibling(path: Path, given: str | Path | None) -> Path | None:
    if given is not None:
        return Path(given)
    candidate = path.with_name(f"{path.stem}.achievements{path.suffix}")
    return candidate if candidate.is_file() else None


_PROFILE_KEYS = {name for model in (Profile,) for name in model.model_fields} | {
    f.name for spec in LIST_FIELD_SPECS.values() for f in spec}


def read_jsonl(path: str | Path, today: date | None = None) -> ProfileFrames:
    """One Profile JSON per line (blank lines skipped; ids are "1", "2", … in file order)."""
    p = Path(path)
    today = today or date.today()
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BatchInputError([InputProblem(str(p), None, None, "不是 UTF-8 文本")]) from None
    all_lines = text.splitlines()
    keep = [i for i, line in enumerate(all_lines) if line.strip()]
    lines = [all_lines[i] for i in keep]
    src = _Source(str(p), np.array(keep, np.int64) + 1, lines=lines)
    top = pl.Struct({
        **{f.name: pl.List(pl.String) if f.kind == "list" else pl.String for f in PEOPLE_FIELDS if f.name != "id"},
        **{name: pl.List(_raw_struct(spec)) for name, spec in LIST_FIELD_SPECS.items()},
    })
    s = pl.Series("line", lines, dtype=pl.String)
    size = 20_000
    parts = [s.slice(i, size) for i in range(0, len(s), size)] or [s]
    try:
        with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 4)) as pool:
            decoded = pl.concat(list(pool.map(lambda part: _decode_json(part, top), parts)))
    except pl.exceptions.PolarsError:
        i = _first_failing(s, lambda part: _decode_json(part, top))
        raise BatchInputError(_pydantic_problems(src, i) or [src.problem(i, None, "不是有效的档案 JSON")]) from None
    nulls = decoded.is_null().arg_true()
    if len(nulls):
        raise BatchInputError([src.problem(int(nulls[0]), None, "档案应为对象（键值映射）")])
    unknown = _unknown_keys(s, _PROFILE_KEYS)
    if unknown:
        row, key = min(unknown)
        raise BatchInputError(_pydantic_problems(src, row) or [src.problem(row, key, "不认识的字段")])
    people = decoded.struct.unnest()
    return _frames_from_raw(people, None, src, today)


def _read_csv_text(p: Path) -> pl.DataFrame:
    """All cells as text; UTF-8 (with or without BOM) or GB18030, as spreadsheets in China save CSV."""
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise BatchInputError([InputProblem(str(p), None, None, "编码无法识别（请另存为 UTF-8 CSV）")]) from None
        data = text.encode("utf-8")
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise BatchInputError([InputProblem(str(p), None, None, f"无法读取 CSV：{str(exc).splitlines()[0]}")]) from None


def read_csv(path: str | Path, achievements: str | Path | None = None, today: date | None = None) -> ProfileFrames:
    """Profiles table (header row; list columns as JSON text) and optional achievements table."""
    p = Path(path)
    people = _read_csv_text(p)
    src = _Source(str(p), np.arange(people.height, dtype=np.int64) + 2)
    ach_path = _sibling(p, achievements)
    ach = None
    if ach_path is not None:
        if not ach_path.is_file():
            raise BatchInputError([InputProblem(str(ach_path), None, None, "文件不存在")])
        ach = _read_csv_text(ach_path)
        src.achievements_file = str(ach_path)
        src.achievement_rows = np.arange(ach.height, dtype=np.int64) + 2
    return _frames_from_raw(people, ach, src, today or date.today())


def read_parquet(path: str | Path, achievements: str | Path | None = None,
                 today: date | None = None) -> ProfileFrames:
    """Profiles table with list columns native (lists of structs) or as JSON text."""
    p = Path(path)

    def load(f: Path) -> pl.DataFrame:
        try:
            return pl.read_parquet(f)
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise BatchInputError([InputProblem(str(f), None, None,
                                                f"无法读取 Parquet：{str(exc).splitlines()[0]}")]) from None

    people = load(p)
    src = _Source(str(p), np.arange(people.height, dtype=np.int64) + 1)
    ach_path = _sibling(p, achievements)
    ach = None
    if ach_path is not None:
        ach = load(ach_path)
        src.achievements_file = str(ach_path)
        src.achievement_rows = np.arange(ach.height, dtype=np.int64) + 1
    return _frames_from_raw(people, ach, src, today or date.today())


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    text = str(v)
    return text if text != "" else None


def _sheet_frame(ws: Any, file: str, sheet: str) -> tuple[pl.DataFrame, Arr]:
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return pl.DataFrame(), np.zeros(0, np.int64)
    names = [str(h).strip() if h is not None else "" for h in header]
    while names and names[-1] == "":
        names.pop()
    if "" in names or len(set(names)) != len(names):
        raise BatchInputError([InputProblem(file, 1, None, f"工作表 {sheet} 的表头有空列名或重复列名")])
    cols: list[list[str | None]] = [[] for _ in names]
    numbers: list[int] = []
    for r, row in enumerate(rows, start=2):
        values = [_cell_text(v) for v in row[:len(names)]]
        if all(v is None for v in values):
            continue
        values += [None] * (len(names) - len(values))
        for c, v in enumerate(values):
            cols[c].append(v)
        numbers.append(r)
    frame = pl.DataFrame({n: pl.Series(n, c, dtype=pl.String) for n, c in zip(names, cols, strict=True)})
    return frame, np.array(numbers, np.int64)


def read_xlsx(path: str | Path, today: date | None = None) -> ProfileFrames:
    """Workbook with a `profiles` sheet (or the first sheet) and an optional `achievements` sheet."""
    import openpyxl

    p = Path(path)
    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise BatchInputError([InputProblem(str(p), None, None, f"无法读取 Excel 文件：{exc}")]) from None
    try:
        names = wb.sheetnames
        main = "profiles" if "profiles" in names else names[0]
        people, rows = _sheet_frame(wb[main], str(p), main)
        src = _Source(f"{p}（工作表 {main}）", rows)
        ach = None
        if "achievements" in names and main != "achievements":
            ach, arows = _sheet_frame(wb["achievements"], str(p), "achievements")
            src.achievements_file = f"{p}（工作表 achievements）"
            src.achievement_rows = arows
    finally:
        wb.close()
    return _frames_from_raw(people, ach, src, today or date.today())


# ---------------------------------------------------------------- writers
def _nested(frames: ProfileFrames, name: str) -> pl.Series:
    """A long table as a list-of-structs column aligned with people (empty lists for none)."""
    t = frames.table(name)
    fields = [c for c in t.columns if c != "person"]
    agg = t.group_by("person").agg(pl.struct(fields).alias(name))
    dtype = agg.schema[name]
    full = pl.DataFrame({"person": pl.int_range(len(frames), dtype=PERSON, eager=True)}).join(
        agg, on="person", how="left", maintain_order="left")
    return full[name].fill_null(pl.lit([], dtype=dtype))


def _json_text(s: pl.Series) -> pl.Series:
    """A list column as JSON text; null for an empty list."""
    name = s.name
    wrapped = pl.DataFrame({name: s}).select(pl.struct(name).struct.json_encode()).to_series()
    prefix = len(json.dumps(name)) + 2  # {"name":
    text = _without_nulls(wrapped.str.slice(prefix, None).str.head(-1))
    return pl.select(pl.when(pl.lit(s.list.len() > 0)).then(pl.lit(text)).otherwise(None)).to_series().alias(name)


def _without_nulls(text: pl.Series) -> pl.Series:
    """JSON text without "key":null pairs (quotes inside JSON strings are escaped: the patterns cannot match
    there)."""
    return text.str.replace_all(r',"[a-z_]+":null', "").str.replace_all(r'\{"[a-z_]+":null,', "{") \
        .str.replace_all(r'\{"[a-z_]+":null\}', "{}")


def _flat_people(frames: ProfileFrames, with_achievements: bool) -> pl.DataFrame:
    cols: dict[str, pl.Series] = {c: frames.people[c] for c in ("id", "name", "specialty_work_start", "skill_level")}
    cols["honours"] = _json_text(frames.people["honours"].cast(pl.List(pl.String)))
    cols["directions"] = _json_text(frames.people["directions"])
    for name in LIST_FIELDS:
        if name == "achievements" and not with_achievements:
            continue
        cols[name] = _json_text(_nested(frames, name))
    return pl.DataFrame(cols)


def _flat_achievements(frames: ProfileFrames) -> pl.DataFrame:
    a = frames.achievements
    ids = frames.people["id"]
    return a.with_columns(ids.gather(a["person"]).alias("person"),
                          _json_text(a["coauthors"]).alias("coauthors"))


def write_profiles(frames: ProfileFrames, path: str | Path) -> list[Path]:
    """Write frames in the format of the suffix (the layout `read_profiles` reads); returns files written.

    jsonl: one Profile JSON per line (ids are not kept: they are line numbers). csv: the profiles table
    plus `<stem>.achievements.csv`. xlsx: sheets `profiles` and `achievements`. parquet: one file with
    native list columns.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        nested = pl.DataFrame({
            "name": frames.people["name"], "education": _nested(frames, "education"),
            "specialty_work_start": frames.people["specialty_work_start"], "titles": _nested(frames, "titles"),
            "vocational_qualifications": _nested(frames, "vocational_qualifications"),
            "skill_level": frames.people["skill_level"], "honours": frames.people["honours"],
            "annual_assessments": _nested(frames, "annual_assessments"), "sanctions": _nested(frames, "sanctions"),
            "directions": frames.people["directions"], "achievements": _nested(frames, "achievements"),
            "judgements": _nested(frames, "judgements"),
        })
        lines = nested.select(pl.struct(pl.all()).struct.json_encode()).to_series()
        _without_nulls(lines).to_frame().write_csv(p, include_header=False, quote_style="never")
        return [p]
    if suffix == ".csv":
        _flat_people(frames, False).write_csv(p)
        ach = p.with_name(f"{p.stem}.achievements.csv")
        _flat_achievements(frames).write_csv(ach)
        return [p, ach]
    if suffix == ".parquet":
        people = frames.people.with_columns([_nested(frames, name) for name in LIST_FIELDS])
        people.write_parquet(p)
        return [p]
    if suffix == ".xlsx":
        _write_xlsx(p, [("profiles", _flat_people(frames, False)), ("achievements", _flat_achievements(frames))])
        return [p]
    raise ValueError(f"不支持的文件类型 {suffix}（可用 .jsonl .csv .xlsx .parquet）")


XLSX_MAX_ROWS = 1_048_575


def _write_xlsx(path: Path, sheets: list[tuple[str, pl.DataFrame]]) -> None:
    import openpyxl

    for name, df in sheets:
        if df.height > XLSX_MAX_ROWS:
            raise ValueError(f"工作表 {name} 有 {df.height} 行，超过 Excel 上限 {XLSX_MAX_ROWS}；请改用 csv 或 parquet")
    wb = openpyxl.Workbook(write_only=True)
    for name, df in sheets:
        ws = wb.create_sheet(name)
        ws.append(df.columns)
        for row in df.iter_rows():
            ws.append([v.value if hasattr(v, "value") else v for v in row])
    wb.save(path)


def write_result(result: pl.DataFrame, path: str | Path) -> Path:
    """Write screening results as .csv, .parquet, .jsonl or .xlsx."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        result.write_csv(p)
    elif suffix == ".parquet":
        result.write_parquet(p)
    elif suffix in (".jsonl", ".ndjson"):
        result.write_ndjson(p)
    elif suffix == ".xlsx":
        _write_xlsx(p, [("results", result)])
    else:
        raise ValueError(f"不支持的输出类型 {suffix}（可用 .csv .parquet .jsonl .xlsx）")
    return p
