"""Property-based fuzzing of every operation in the OpenAPI document, in-process (schemathesis' ASGI
transport, no network), asserting only that the server never answers 5xx.

The app runs on a database seeded with one user of every role and applications in several states (so
generated ids hit real rows); each generated case is sent anonymously or as one of the roles, chosen by
Hypothesis. Examples per operation are bounded to keep the run short; both databases are fuzzed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from api_support import AI_SENIOR, PDF, SECRET, Api, D, make_api, new_uscc, seed_user
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from review_support import build_meeting, seat
from schemathesis.checks import not_a_server_error

from zhicheng.accounts.passwords import hash_password
from zhicheng.store.db import transaction
from zhicheng.store.files import record_file
from zhicheng.store.models import (
    ApplicationEvidence,
    Department,
    NoticeEntry,
    Objection,
    PublicNotice,
    Unit,
    User,
)
from zhicheng.store.testing import add_application, add_round, migrated_engine, postgres_unavailable_reason
from zhicheng.workflow.rights import Actor

ROLES = ("anon", "applicant", "unit", "agency", "expert", "bureau", "admin")
EXAMPLES = int(os.environ.get("ZHICHENG_FUZZ_EXAMPLES", "20"))  # per operation; raise it for a deeper run


@dataclass
class Fuzz:
    api: Api
    ids: dict[str, int]

    def headers(self, role: str, path: str) -> dict[str, str]:
        if role == "anon":
            return {}
        if path == "/api/auth/logout":  # a fresh token, so logging out does not end the run's session
            return {"Authorization": f"Bearer {self.api.issue(f'{role}-x', self.ids[role])}"}
        return {"Authorization": f"Bearer {self.api.tokens[role]}"}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzz(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    if request.param == "postgres" and (reason := postgres_unavailable_reason()):
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    with pytest.MonkeyPatch.context() as mp, migrated_engine(request.param, tmp) as engine:
        mp.setenv("ZHICHENG_SECRET_KEY", SECRET)
        app, clock = make_api(engine, tmp, D(2026, 9, 3))
        with TestClient(app) as client:
            api = Api(client, app, clock, engine)
            pw = hash_password("Zc#2026-fuzz-pass")
            with transaction(engine) as s:
                dept = Department(name="主管部门")
                s.add(dept)
                s.flush()
                unit = Unit(name="单位", uscc=new_uscc(), department_id=dept.id)
                s.add(unit)
                s.flush()
                unit_id = unit.id
            users = {
                "applicant": seed_user(engine, "applicant", pw, unit_id=unit_id),
                "unit": seed_user(engine, "unit", pw, unit_id=unit_id),
                "agency": seed_user(engine, "agency", pw),
                "expert": seed_user(engine, "expert", pw),
                "bureau": seed_user(engine, "bureau", pw),
                "admin": seed_user(engine, "admin", pw),
            }
            for role, user in users.items():
                api.issue(role, user.id)
            stored = app.state.runtime.evidence.put(PDF, "a.pdf")
            with transaction(engine) as s:
                for i, state in enumerate(("draft", "unit_review", "agency_review", "correction", "results_notice")):
                    rnd = add_round(
                        s,
                        year=2026,
                        document_id="ai_bj_2020",
                        levels=["senior_engineer"],
                        window_start=D(2026, 9, 1),
                        window_end=D(2026, 9, 30),
                    )
                    applicant = s.get(User, users["applicant"].id)
                    assert applicant is not None
                    app_row = add_application(
                        s, rnd, applicant, level="senior_engineer", state=state, unit_id=unit_id, profile=AI_SENIOR
                    )
                    notice = PublicNotice(
                        kind="results" if i % 2 else "unit",
                        round_id=rnd.id,
                        unit_id=None if i % 2 else unit_id,
                        title="公示",
                        start_date=D(2026, 9, 1),
                        end_date=D(2026, 9, 7),
                        created_by=users["agency"].id,
                    )
                    s.add(notice)
                    s.flush()
                    s.add(NoticeEntry(notice_id=notice.id, application_id=app_row.id))
                    s.add(
                        Objection(notice_id=notice.id, application_id=app_row.id, content="异议内容" * 3, contact="1")
                    )
                    record_file(s, stored.sha256, len(PDF), stored.media_type)
                    s.add(ApplicationEvidence(application_id=app_row.id, sha256=stored.sha256, filename="a.pdf"))
                waiting = [
                    add_application(
                        s,
                        rnd,
                        s.get(User, users["applicant"].id),
                        level="senior_engineer",
                        state="committee",
                        unit_id=unit_id,
                        profile=AI_SENIOR,
                    ).id
                    for rnd in (
                        add_round(s, year=2026, document_id="ai_bj_2020", levels=["engineer", "senior_engineer"])
                        for _ in range(2)
                    )
                ]
            review_world(engine, users, waiting, pw)
            yield Fuzz(api, {r: u.id for r, u in users.items()})


def review_world(engine: Any, users: dict[str, Any], waiting: list[int], pw: str) -> None:
    """A committee of five experts (the "expert" role among them, another recused from the first
    application), a meeting with its ballot on that application open, and a draft meeting for the other:
    generated ids then hit committees, meetings, conflicts and agenda items in several states."""
    others = [Actor(seed_user(engine, "expert", pw).id, "expert") for _ in range(4)]
    members = [Actor(users["expert"].id, "expert"), *others]
    agency = Actor(users["agency"].id, "agency")
    committee = seat(engine, agency, [m.user_id for m in members], D(2026, 9, 3), document="ai_bj_2020")
    common = {"agency": agency, "committee_id": committee, "members": members, "today": D(2026, 9, 3)}
    build_meeting(engine, app_id=waiting[0], panel=members[:4], recused=members[4], phase="voting", **common)
    build_meeting(engine, app_id=waiting[1], panel=members[:4], recused=members[4], phase="draft", **common)


@pytest.fixture
def fuzz_schema(fuzz: Fuzz) -> Any:
    fuzz.api.app.openapi()  # built once here: the loader's 10 s timeout is too short on a busy machine
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz.api.app)


@pytest.fixture(autouse=True)
def _node_id_shim(request: pytest.FixtureRequest) -> None:
    """schemathesis' lazy loader reads ``node._nodeid``, which pytest 9 no longer sets: provide it."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate, Phase.shrink],  # no explicit examples: they cannot carry the role
    suppress_health_check=list(HealthCheck),
)
@schema.given(role=st.sampled_from(ROLES))
@schema.parametrize()
def test_no_server_errors(case: Any, role: str, fuzz: Fuzz) -> None:
    case.call_and_validate(headers=fuzz.headers(role, case.path), checks=[not_a_server_error])
