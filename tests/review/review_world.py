"""Helpers for review tests (imported by conftest.py and the test modules).

A small world: an agency, a bureau, experts in a committee's pool, and
applications waiting for the committee (state ``committee``).  Runs on both databases through the
root ``engine`` fixture."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from zhicheng.review import service as rsvc
from zhicheng.store.db import transaction
from zhicheng.store.models import Unit
from zhicheng.store.testing import add_application, add_round, add_user
from zhicheng.workflow import service as wsvc
from zhicheng.workflow.rights import Actor

TODAY = dt.date(2026, 11, 10)
UNIT_A = "91110108MA01ABCD1X"
UNIT_B = "91370211MA3PQRST2Y"
EXPERT_UNIT = "91110000400000000A"


@dataclass
class World:
    engine: Engine
    agency: Actor
    bureau: Actor
    experts: list[Actor]
    apps: list[int]
    committee_id: int
    names: dict[int, str] = field(default_factory=dict)

    def run(self, actor: Actor, fn: Callable[..., Any], *args: Any, today: dt.date = TODAY, **kw: Any) -> Any:
        with transaction(self.engine) as s:
            return fn(wsvc.Context(s, actor, today), *args, **kw)

    def expert(self, user_id: int) -> Actor:
        return next(e for e in self.experts if e.user_id == user_id)

    # ---- the usual meeting, step by step
    def meeting(self, title: str = "2026年度评审会议", held_on: dt.date = TODAY) -> int:
        return int(
            self.run(self.agency, rsvc.create_meeting, committee_id=self.committee_id, title=title, held_on=held_on).id
        )

    def assign(
        self,
        meeting_id: int,
        size: int,
        panels: Sequence[rsvc.PanelRequest] | None = None,
        *,
        seed: str = "seed-1",
        exclude_conflicted: bool = True,
    ) -> rsvc.Proposal:
        self.run(self.agency, rsvc.add_to_agenda, meeting_id, self.apps)
        panels = panels or [rsvc.PanelRequest("评议一组", tuple(self.apps))]
        proposal = self.run(
            self.agency,
            rsvc.propose_assignment,
            meeting_id,
            size=size,
            panels=panels,
            seed=seed,
            exclude_conflicted=exclude_conflicted,
        )
        self.run(self.agency, rsvc.commit_assignment, meeting_id, proposal)
        return proposal

    def members(self, meeting_id: int) -> list[Actor]:
        from sqlalchemy import select

        from zhicheng.store.models import MeetingMember

        with transaction(self.engine) as s:
            ids = sorted(s.scalars(select(MeetingMember.expert_id).where(MeetingMember.meeting_id == meeting_id)))
        return [self.expert(i) for i in ids]

    def declare_all(self, meeting_id: int, claims: dict[int, list[rsvc.ConflictClaim]] | None = None) -> None:
        for m in self.members(meeting_id):
            self.run(m, rsvc.declare, meeting_id, (claims or {}).get(m.user_id, []), confirm=True)

    def score_all(self, meeting_id: int, scores: dict[int, int] | None = None) -> None:
        """Every panel expert scores every application of their panel (skipping conflicted ones)."""
        for m in self.members(meeting_id):
            for row in self.run(m, rsvc.agenda, meeting_id):
                if row.on_my_panel:
                    score = (scores or {}).get(row.application_id, 80)
                    self.run(
                        m,
                        rsvc.submit_score,
                        meeting_id,
                        row.application_id,
                        score=score,
                        opinion=f"业绩突出，材料完整，建议通过（{m.user_id}）",
                    )

    def open_and_check_in(self, meeting_id: int, attending: Sequence[Actor] | None = None) -> None:
        self.run(self.agency, rsvc.open_meeting, meeting_id)
        for m in attending if attending is not None else self.members(meeting_id):
            self.run(m, rsvc.check_in, meeting_id)

    def vote(self, meeting_id: int, app_id: int, choices: dict[int, str]) -> None:
        for expert_id, choice in choices.items():
            self.run(self.expert(expert_id), rsvc.cast_ballot, meeting_id, app_id, choice)


def build_world(
    engine: Engine,
    *,
    experts: int = 7,
    apps: int = 2,
    document: str = "ai_bj_2020",
    threshold: str = "inclusive",
    recused_count_as_present: bool = False,
    min_members: int = 5,
    routes: Sequence[str] = (),
    expert_units: dict[int, str] | None = None,
    coauthors: dict[int, list[str]] | None = None,
) -> World:
    """``expert_units``/``coauthors`` are keyed by expert index / application index."""
    with transaction(engine) as s:
        unit_a = Unit(name="北京某智能科技有限公司", uscc=UNIT_A)
        unit_b = Unit(name="青岛某工业互联网有限公司", uscc=UNIT_B)
        s.add_all([unit_a, unit_b])
        s.flush()
        agency = wsvc.actor_for(add_user(s, "agency"))
        bureau = wsvc.actor_for(add_user(s, "bureau"))
        expert_users = [add_user(s, "expert", display_name=f"专家{i:02d}") for i in range(experts)]
        rnd = add_round(s, document_id=document, levels=["senior_engineer"])
        app_ids = []
        for i in range(apps):
            applicant = add_user(
                s, "applicant", display_name=f"申报人{i}", unit_id=unit_a.id if i % 2 == 0 else unit_b.id
            )
            profile = {
                "name": f"申报人{i}",
                "achievements": [
                    {
                        "kind": "paper",
                        "title": f"论文{i}",
                        "date": "2024-03-01",
                        "coauthors": (coauthors or {}).get(i, []),
                    }
                ],
            }
            app = add_application(
                s,
                rnd,
                applicant,
                level="senior_engineer",
                state="committee",
                profile=profile,
                unit_id=applicant.unit_id,
                route=routes[i] if i < len(routes) else "regular",
            )
            app_ids.append(app.id)
        names = {u.id: u.display_name for u in expert_users}
    world_agency = agency
    with transaction(engine) as s:
        ctx = wsvc.Context(s, world_agency, TODAY)
        committee = rsvc.register_committee(
            ctx,
            name=f"测试评委会-{document}-{threshold}",
            document_id=document,
            organised_by="specialty",
            levels=["senior_engineer"],
            min_members=min_members,
            min_members_basis="测试数据：假定省级人社部门同意调整人数（非真实文件）" if min_members < 11 else None,
            threshold=threshold,
            recused_count_as_present=recused_count_as_present,
        )
        rsvc.record_filing(
            ctx,
            committee.id,
            filed_on=dt.date(2026, 1, 1),
            expires_on=dt.date(2028, 12, 31),
            reference="测试备案〔2026〕1号",
        )
        for i, user in enumerate(expert_users):
            rsvc.register_expert(
                ctx,
                user_id=user.id,
                title="正高级工程师",
                title_grade=5,
                specialty="人工智能",
                unit_name="某研究院",
                unit_uscc=(expert_units or {}).get(i, EXPERT_UNIT),
                term_start=dt.date(2025, 1, 1),
                term_end=dt.date(2027, 12, 31),
            )
        rsvc.add_to_pool(ctx, committee.id, [u.id for u in expert_users])
        committee_id = committee.id
    return World(
        engine=engine,
        agency=agency,
        bureau=bureau,
        experts=[Actor(user_id=u.id, role="expert") for u in expert_users],
        apps=app_ids,
        committee_id=committee_id,
        names=names,
    )


def ready_to_vote(
    w: World,
    size: int,
    *,
    claims: dict[int, list[rsvc.ConflictClaim]] | None = None,
    attending: int | None = None,
    scores: dict[int, int] | None = None,
    seed: str = "seed-1",
) -> int:
    """A meeting of ``size`` members with one panel for all applications: assigned, declared (with
    ``claims`` by expert id), scored, opened, and the first ``attending`` members checked in."""
    mid = w.meeting()
    w.assign(mid, size, seed=seed)
    w.declare_all(mid, claims)
    w.score_all(mid, scores)
    members = w.members(mid)
    w.open_and_check_in(mid, members if attending is None else members[:attending])
    return mid


def non_panel_members(w: World, mid: int, app_id: int) -> list[Actor]:
    """Members not on the panel of ``app_id`` (asked as the agency)."""
    from sqlalchemy import select

    from zhicheng.store.models import MeetingItem, PanelMember

    with transaction(w.engine) as s:
        panel_id = s.scalar(
            select(MeetingItem.panel_id).where(MeetingItem.meeting_id == mid, MeetingItem.application_id == app_id)
        )
        panel = set(s.scalars(select(PanelMember.expert_id).where(PanelMember.panel_id == panel_id)))
    return [m for m in w.members(mid) if m.user_id not in panel]
