"""Helpers for the review API tests: a committee seated and meetings built through the review services
(fast, for the permission matrix), and the same meeting driven over HTTP (for the procedure tests)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from api_support import Api
from sqlalchemy import Engine

from zhicheng.review import service as rsvc
from zhicheng.store.db import transaction
from zhicheng.workflow.rights import Actor
from zhicheng.workflow.service import Context

D = dt.date
T = TypeVar("T")
PHASES = ("draft", "assigned", "open", "voting", "decided", "closed")
FILING = {"filed_on": "2026-01-01", "expires_on": "2028-12-31", "reference": "测试备案〔2026〕1号（非真实文件）"}
BASIS = "测试数据：假定省级人社部门同意调整人数（非真实文件）"
OPINION = "业绩突出，材料完整，建议通过。"
KIN = "申报人是本人的表兄（测试数据）"
_names = itertools.count(1)


def run(engine: Engine, actor: Actor, today: dt.date, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    with transaction(engine) as s:
        return fn(Context(s, actor, today), *args, **kw)


def seat(engine: Engine, agency: Actor, expert_ids: Sequence[int], today: dt.date, document: str = "ai_bj_2020") -> int:
    """A committee for ``document`` (senior engineers), filed, whose pool holds ``expert_ids``."""
    from zhicheng.review.sitting import seat_committee

    with transaction(engine) as s:
        return seat_committee(
            Context(s, agency, today),
            name=f"测试评委会{next(_names)}",
            document_id=document,
            levels=["senior_engineer"],
            expert_ids=list(expert_ids),
            specialty="人工智能",
            filed_on=D(2026, 1, 1),
            expires_on=D(2028, 12, 31),
            reference="测试备案〔2026〕1号（非真实文件）",
            term=(D(2025, 1, 1), D(2027, 12, 31)),
            min_members_basis=BASIS,
            threshold="exclusive" if document == "iiot_qd_2023" else "inclusive",
        )


@dataclass
class Sitting:
    meeting_id: int
    conflict_id: int | None = None


def build_meeting(
    engine: Engine,
    *,
    agency: Actor,
    committee_id: int,
    app_id: int,
    panel: Sequence[Actor],
    recused: Actor,
    members: Sequence[Actor],
    today: dt.date,
    phase: str,
) -> Sitting:
    """A meeting of all ``members`` (the whole pool) with ``app_id`` on its agenda, taken to ``phase``:

    draft (agenda only; the agency has recorded ``recused``'s kinship with the applicant) → assigned (drawn,
    every member declared) → open (the panel scored, the meeting opened, everyone checked in) → voting (the ballot on
    ``app_id`` open) → decided (every voter said yes, ballot closed) → closed (minutes archived)."""
    step = PHASES.index(phase)

    def go(actor: Actor, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        return run(engine, actor, today, fn, *args, **kw)

    mid = go(agency, rsvc.create_meeting, committee_id=committee_id, title=f"会议{next(_names)}", held_on=today).id
    go(agency, rsvc.add_to_agenda, mid, [app_id])
    # known before the draw, so the panel is exactly the others; the expert still sits and recuses
    kin = go(agency, rsvc.record_conflict, expert_id=recused.user_id, application_id=app_id, kind="kinship", note=KIN)
    out = Sitting(mid, kin.id)
    if step < 1:
        return out
    request = rsvc.PanelRequest("评议组", (app_id,), size=len(panel))
    proposal = go(agency, rsvc.propose_assignment, mid, size=len(members), panels=[request], exclude_conflicted=False)
    go(agency, rsvc.commit_assignment, mid, proposal)
    for m in members:
        go(m, rsvc.declare, mid, [], confirm=True)
    if step < 2:
        return out
    for m in panel:
        go(m, rsvc.submit_score, mid, app_id, score=80, opinion=OPINION)
    go(agency, rsvc.open_meeting, mid)
    for m in members:
        go(m, rsvc.check_in, mid)
    if step < 3:
        return out
    go(agency, rsvc.open_ballot, mid, app_id)
    if step < 4:
        return out
    for m in members:
        if m != recused:
            go(m, rsvc.cast_ballot, mid, app_id, "yes")
    go(agency, rsvc.close_ballot, mid, app_id)
    if step < 5:
        return out
    go(agency, rsvc.close_meeting, mid)
    return out


# ---------------------------------------------------------------- the same over HTTP
def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def http_committee(api: Api, agency: str, expert_ids: Sequence[int], *, threshold: str = "inclusive") -> int:
    """Register a committee, its filing, the experts and the pool through the API; returns its id."""
    document = "iiot_qd_2023" if threshold == "exclusive" else "ai_bj_2020"
    body = {
        "name": f"HTTP评委会{next(_names)}",
        "document_id": document,
        "organised_by": "specialty",
        "levels": ["senior_engineer"],
        "min_members": 3,
        "min_members_basis": BASIS,
        "threshold": threshold,
    }
    committee = ok(api.post(agency, "/api/committees", json=body), 201)
    ok(api.post(agency, f"/api/committees/{committee['id']}/filings", json=FILING), 201)
    for user_id in expert_ids:
        expert = {
            "user_id": user_id,
            "title": "正高级工程师",
            "title_grade": 5,
            "specialty": "人工智能",
            "unit_name": "某研究院",
            "term_start": "2025-01-01",
            "term_end": "2027-12-31",
        }
        ok(api.post(agency, "/api/experts", json=expert))
    added = ok(api.post(agency, f"/api/committees/{committee['id']}/pool", json={"expert_ids": list(expert_ids)}))
    assert sorted(added["added"]) == sorted(expert_ids)
    return int(committee["id"])


def http_meeting_ready(
    api: Api,
    agency: str,
    experts: dict[str, int],
    committee_id: int,
    app_ids: Sequence[int],
    held_on: dt.date,
    *,
    attending: int | None = None,
) -> tuple[int, list[str]]:
    """Through the API: meeting, agenda, draw (preview → commit) of every pool expert with a panel of 3,
    declarations, the panel's scores, opening, the first ``attending`` members checked in. Returns
    (meeting id, names of the members in check-in order)."""
    body = {"committee_id": committee_id, "title": "评审会议", "held_on": str(held_on)}
    meeting = ok(api.post(agency, "/api/meetings", json=body), 201)
    mid = meeting["id"]
    ok(api.post(agency, f"/api/meetings/{mid}/agenda", json={"application_ids": list(app_ids)}))
    draw = {"size": len(experts), "panels": [{"name": "评议组", "application_ids": list(app_ids), "size": 3}]}
    proposal = ok(api.post(agency, f"/api/meetings/{mid}/draw/proposal", json=draw))
    commit = {**draw, "seed": proposal["seed"], "fingerprint": proposal["fingerprint"]}
    assert ok(api.post(agency, f"/api/meetings/{mid}/draw/commit", json=commit))["status"] == "assigned"
    assert ok(api.get(agency, f"/api/meetings/{mid}/draw/verification"))["ok"]
    for name in experts:
        ok(api.post(name, f"/api/meetings/{mid}/declaration", json={"confirm": True}))
        for row in ok(api.get(name, f"/api/meetings/{mid}/agenda", params={"limit": 100}))["items"]:
            if row["on_my_panel"]:
                ok(
                    api.call(
                        name,
                        "PUT",
                        f"/api/meetings/{mid}/applications/{row['application_id']}/score",
                        json={"score": 85, "opinion": OPINION},
                    )
                )
    ok(api.post(agency, f"/api/meetings/{mid}/open"))
    names = list(experts)
    for name in names[: len(names) if attending is None else attending]:
        assert ok(api.post(name, f"/api/meetings/{mid}/check-in", json={}))["checked_in"]
    return mid, names


def choices_for(names: Sequence[str], yes: int, no: int) -> dict[str, str]:
    return {n: "yes" if i < yes else "no" if i < yes + no else "abstain" for i, n in enumerate(names)}
