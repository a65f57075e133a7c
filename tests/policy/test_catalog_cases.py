"""Runs every `<document>_cases.yaml` beside the catalog and checks that each catalog condition is
exercised by at least one passing and one failing case."""

from __future__ import annotations

from collections import defaultdict

import pytest

from zhicheng.policy.cases import case_files, check_case, iter_results, load_cases
from zhicheng.policy.catalog import default_catalog, iter_level_nodes

CASES = [c for f in case_files() for c in load_cases(f)]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.document}:{c.level}:{c.name}" for c in CASES])
def test_case(case):
    _, errors = check_case(case, default_catalog())
    assert not errors, "\n".join(errors)


def test_every_document_has_cases():
    covered = {c.document for c in CASES}
    assert set(default_catalog().documents) <= covered


def test_every_condition_passes_and_fails_somewhere():
    cat = default_catalog()
    seen: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for case in CASES:
        v, _ = check_case(case, cat)
        for r in iter_results(v):
            seen[(case.document, case.level, r.id)].add(r.outcome)
    missing = []
    for doc in cat.documents.values():
        for lv in doc.levels:
            for node in iter_level_nodes(lv):
                nid = getattr(node, "id", None)
                if nid is None:  # a route: its trigger is checked as a node
                    continue
                got = seen.get((doc.id, lv.id, nid), set())
                if "pass" not in got or "fail" not in got:
                    missing.append(f"{doc.id}.{lv.id}.{nid}: seen {sorted(got) or 'never'}")
    assert not missing, "conditions without a passing and a failing case:\n" + "\n".join(missing)
