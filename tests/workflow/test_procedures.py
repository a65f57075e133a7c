"""The procedure definitions are well-formed: every edge lands on a step, every step is reachable."""

from __future__ import annotations

import pytest

from zhicheng.workflow.procedures import PROCEDURES, reachable


@pytest.mark.parametrize("proc", PROCEDURES.values(), ids=list(PROCEDURES))
def test_edges_land_on_steps_and_all_reachable(proc):
    for step in proc.steps.values():
        for a in step.actions:
            assert a.to in proc.steps, f"{step.state}.{a.name} -> {a.to}"
        assert step.final or step.actions, step.state
    assert reachable(proc) == set(proc.steps) - {"vetoed"}  # vetoed is reached only by the veto


def test_qingdao_adds_department_review_and_beijing_does_not():
    assert "department_review" in PROCEDURES["qingdao"].steps
    assert "department_review" not in PROCEDURES["beijing"].steps
    assert PROCEDURES["qingdao"].action("unit_notice", "recommend").to == "department_review"
    assert PROCEDURES["beijing"].action("unit_notice", "recommend").to == "agency_review"


def test_each_step_has_one_role():
    for proc in PROCEDURES.values():
        assert proc.step("unit_review").role == "unit"
        assert proc.step("agency_review").role == "agency"
        assert proc.step("correction").role == "applicant"
