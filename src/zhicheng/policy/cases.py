"""Table-driven catalog cases: `<document>_cases.yaml` beside each catalog file.

Format (docs/catalog.md): named base profiles, and cases that pick one, override top-level keys,
and state only what they assert (OpenFisca-style partial expectations).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from zhicheng.policy.catalog import CATALOG_DIR, Catalog
from zhicheng.policy.engine import evaluate
from zhicheng.policy.profile import Profile, parse_profile
from zhicheng.policy.verdict import ConditionResult, Verdict


@dataclass(slots=True)
class Case:
    document: str
    name: str
    level: str
    as_of: date
    profile: Profile
    expect: dict[str, Any]
    file: str


def case_files(directory: Path = CATALOG_DIR) -> list[Path]:
    files = sorted(directory.glob("*_cases.yaml"))
    only = os.environ.get("ZHICHENG_CATALOG_ONLY")
    return [f for f in files if f.name.removesuffix("_cases.yaml") in only.split(",")] if only else files


def load_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    bases: dict[str, Any] = data.get("profiles", {})
    out = []
    for raw in data["cases"]:
        prof = raw["profile"]
        if isinstance(prof, str):
            prof = dict(bases[prof])
        prof = {**prof, **raw.get("with", {})}
        as_of = raw["as_of"]
        out.append(Case(document=data["document"], name=raw["name"], level=raw["level"], as_of=as_of,
                        profile=parse_profile(prof, today=as_of), expect=raw.get("expect", {}),
                        file=path.name))
    return out


def iter_results(verdict: Verdict) -> Iterator[ConditionResult]:
    def walk(rs: list[ConditionResult]) -> Iterator[ConditionResult]:
        for r in rs:
            yield r
            yield from walk(r.children)

    for route in verdict.routes:
        yield from walk(route.conditions)


def check_case(case: Case, catalog: Catalog) -> tuple[Verdict, list[str]]:
    """Evaluate a case; the list holds every expectation that did not hold."""
    v = evaluate(case.profile, case.document, case.level, case.as_of, catalog)
    e, errors = case.expect, []
    for key in ("status", "route", "path"):
        if key in e and getattr(v, key) != e[key]:
            errors.append(f"{key}: expected {e[key]!r}, got {getattr(v, key)!r}")
    if "eligible_from" in e and v.eligible_from != e["eligible_from"]:
        errors.append(f"eligible_from: expected {e['eligible_from']}, got {v.eligible_from}")
    outcomes: dict[str, set[str]] = {}
    for r in iter_results(v):
        outcomes.setdefault(r.id, set()).add(r.outcome)
    for cid, want in (e.get("conditions") or {}).items():
        got = outcomes.get(cid)
        if got is None:
            errors.append(f"condition {cid}: not evaluated")
        elif got != {want}:
            errors.append(f"condition {cid}: expected {want}, got {sorted(got)}")
    for key, texts in (("missing_contains", [g.message for g in v.missing]),
                       ("notes_contains", v.notes),
                       ("review_contains", [r.label + r.message for r in v.review_items])):
        for needle in e.get(key) or []:
            if not any(needle in t for t in texts):
                errors.append(f"{key}: {needle!r} not in {texts}")
    for i in e.get("interpretations_include") or []:
        if i not in v.interpretations:
            errors.append(f"interpretations: {i} not in {v.interpretations}")
    return v, errors
