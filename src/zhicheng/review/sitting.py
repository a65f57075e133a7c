"""A whole committee sitting in two calls, through the real services (the demo, end-to-end tests and
benchmarks use it; nothing here bypasses a rule).

* :func:`seat_committee`: register a committee, record its filing (备案), register the experts and put
  them in its pool — one transaction.
* :func:`hold_meeting`: create a meeting for applications waiting for the committee, draw all pool
  experts with a recorded seed into one panel, every expert declares (no conflicts) and scores, the
  meeting opens, everyone checks in, one secret ballot per application with the given choices, each
  ballot closed (which moves the application on through the workflow), the minutes archived. Each step
  is its own transaction, as it would be over HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine

from zhicheng.review import service as rsvc
from zhicheng.store.db import transaction
from zhicheng.workflow.rights import Actor
from zhicheng.workflow.service import Context

__all__ = ["hold_meeting", "seat_committee"]

T = TypeVar("T")


def seat_committee(
    ctx: Context,
    *,
    name: str,
    document_id: str,
    levels: Sequence[str],
    expert_ids: Sequence[int],
    specialty: str,
    filed_on: dt.date,
    expires_on: dt.date,
    reference: str,
    term: tuple[dt.date, dt.date],
    min_members_basis: str | None = None,
    threshold: str = "inclusive",
) -> int:
    """A filed committee whose pool holds ``expert_ids`` (正高级 experts); returns its id."""
    committee = rsvc.register_committee(
        ctx,
        name=name,
        document_id=document_id,
        organised_by="specialty",
        levels=levels,
        min_members=len(expert_ids) if min_members_basis else None,
        min_members_basis=min_members_basis,
        threshold=threshold,
    )
    rsvc.record_filing(ctx, committee.id, filed_on=filed_on, expires_on=expires_on, reference=reference)
    for expert_id in expert_ids:
        rsvc.register_expert(
            ctx,
            user_id=expert_id,
            title="正高级工程师",
            title_grade=5,
            specialty=specialty,
            unit_name="评审专家所在单位",
            term_start=term[0],
            term_end=term[1],
        )
    rsvc.add_to_pool(ctx, committee.id, list(expert_ids))
    return committee.id


def hold_meeting(
    engine: Engine,
    *,
    agency: Actor,
    experts: Sequence[Actor],
    committee_id: int,
    application_ids: Sequence[int],
    held_on: dt.date,
    title: str = "评审会议",
    choices: Mapping[int, Mapping[int, str]] | None = None,
    seed: str = "sitting",
    score: int = 85,
    opinion: str = "业绩与成果符合申报层级要求，材料完整，建议通过。",
) -> int:
    """Run a meeting of all ``experts`` on ``application_ids``; returns the meeting id.

    ``choices[application_id][expert_id]`` is that expert's ballot (``yes``/``no``/``abstain``); by
    default everyone votes ``yes``."""

    def run(actor: Actor, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        with transaction(engine) as s:
            return fn(Context(s, actor, held_on), *args, **kw)

    mid = run(agency, rsvc.create_meeting, committee_id=committee_id, title=title, held_on=held_on).id
    run(agency, rsvc.add_to_agenda, mid, list(application_ids))
    panel = rsvc.PanelRequest("评议组", tuple(application_ids), size=len(experts))
    proposal = run(agency, rsvc.propose_assignment, mid, size=len(experts), panels=[panel], seed=seed)
    run(agency, rsvc.commit_assignment, mid, proposal)
    for e in experts:
        run(e, rsvc.declare, mid, [], confirm=True)
        for app_id in application_ids:
            run(e, rsvc.submit_score, mid, app_id, score=score, opinion=opinion)
    run(agency, rsvc.open_meeting, mid)
    for e in experts:
        run(e, rsvc.check_in, mid)
    for app_id in application_ids:
        run(agency, rsvc.open_ballot, mid, app_id)
        for e in experts:
            run(e, rsvc.cast_ballot, mid, app_id, (choices or {}).get(app_id, {}).get(e.user_id, "yes"))
        run(agency, rsvc.close_ballot, mid, app_id)  # the result moves the application on
    run(agency, rsvc.close_meeting, mid)
    return mid
