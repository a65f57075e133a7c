"""Two reviewers at once → exactly one transition; two sweepers at once → one withdrawal; a server
killed mid-transition → state and audit log consistent after restart. Both databases."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import threading

from sqlalchemy import func, select

from zhicheng.errors import DomainError
from zhicheng.store import audit
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, AuditEntry, Unit
from zhicheng.store.testing import add_user
from zhicheng.workflow import service as svc

D = dt.date
PROFILE = {
    "education": [{"level": "master", "graduation_date": "2012-07-01"}],
    "specialty_work_start": "2012-07-15",
    "titles": [{"grade": 3, "obtained": "2018-12-01"}],
    "directions": ["ai_research"],
    "achievements": [
        {"kind": "paper", "venue": "core_journal", "rank": 1, "date": f"202{i}-03-01"} for i in range(1, 4)
    ],
}


def setup(engine):
    with transaction(engine) as s:
        unit = Unit(name="并发测试单位", uscc="91440300708461136T")
        s.add(unit)
        s.flush()
        users = [add_user(s, r, unit_id=unit.id) for r in ("applicant", "unit", "unit", "agency")]
        applicant, unit_a, unit_b, agency = (svc.actor_for(u) for u in users)
        rnd = svc.open_round(
            svc.Context(s, agency, D(2026, 8, 20)),
            document_id="ai_bj_2020",
            levels=["senior_engineer"],
            kind="annual",
            year=2026,
            title="t",
            window_start=D(2026, 9, 1),
            window_end=D(2026, 9, 30),
        )
        app = svc.create_application(
            svc.Context(s, applicant, D(2026, 9, 1)), round_id=rnd.id, level="senior_engineer", profile=PROFILE
        )
        svc.act(svc.Context(s, applicant, D(2026, 9, 1)), app.id, "submit", data={"pledge": True})
        return app.id, unit_a, unit_b, agency


def test_two_reviewers_at_once_make_exactly_one_transition(engine):
    app_id, unit_a, unit_b, _ = setup(engine)
    with transaction(engine) as s:
        version = s.get(Application, app_id).version
    barrier = threading.Barrier(2)
    results: list[str] = []

    def review(actor):
        barrier.wait()
        try:
            with transaction(engine) as s:
                svc.act(svc.Context(s, actor, D(2026, 9, 2)), app_id, "start_notice", expected_version=version)
            results.append("ok")
        except DomainError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=review, args=(a,)) for a in (unit_a, unit_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    with transaction(engine) as s:
        app = s.get(Application, app_id)
        assert (app.state, app.version) == ("unit_notice", version + 1)
        n = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "start_notice"))
        assert n == 1 and audit.verify(s).ok


def test_two_sweepers_at_once(engine):
    app_id, unit_a, _, agency = setup(engine)
    with transaction(engine) as s:
        svc.act(svc.Context(s, unit_a, D(2026, 9, 2)), app_id, "start_notice")
    with transaction(engine) as s:
        svc.act(svc.Context(s, unit_a, D(2026, 9, 9)), app_id, "recommend")
        svc.act(
            svc.Context(s, agency, D(2026, 9, 10)),
            app_id,
            "request_correction",
            data={"items": ["补充材料"], "workdays": 1},
        )
    barrier = threading.Barrier(2)
    moved: list[list[int]] = []

    def sweep():
        barrier.wait()
        moved.append(svc.sweep_expired_corrections(engine, D(2026, 9, 30)))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(m) for m in moved) == [0, 1]
    with transaction(engine) as s:
        assert s.get(Application, app_id).state == "withdrawn"
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "expire")) == 1


CHILD = textwrap.dedent("""
    import datetime as dt, sys, time
    from zhicheng.store.db import make_engine, transaction
    from zhicheng.workflow import service as svc
    from zhicheng.workflow.rights import Actor
    engine = make_engine(sys.argv[1])
    actor = Actor(user_id=int(sys.argv[3]), role="unit", unit_id=int(sys.argv[4]))
    with transaction(engine) as s:
        svc.act(svc.Context(s, actor, dt.date(2026, 9, 2)), int(sys.argv[2]), "start_notice")
        s.flush()
        print("moved-not-committed", flush=True)
        time.sleep(60)   # killed here, before the commit
""")


def test_server_killed_mid_transition_leaves_consistent_state(engine):
    app_id, unit_a, _, _ = setup(engine)
    with transaction(engine) as s:
        before = s.get(Application, app_id).version
        audit_before = s.scalar(select(func.count()).select_from(AuditEntry))
    url = engine.url.render_as_string(hide_password=False)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(app_id), str(unit_a.user_id), str(unit_a.unit_id)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout.readline().strip() == "moved-not-committed"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    with transaction(engine) as s:  # "restart": a fresh transaction sees the state before the crash
        app = s.get(Application, app_id)
        assert (app.state, app.version) == ("unit_review", before)
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
        assert audit.verify(s).ok
    with transaction(engine) as s:  # and the transition can be made again
        svc.act(svc.Context(s, unit_a, D(2026, 9, 2)), app_id, "start_notice")
    with transaction(engine) as s:
        assert s.get(Application, app_id).state == "unit_notice" and audit.verify(s).ok
