"""Secret ballots through the services, on SQLite and PostgreSQL: threshold and quorum, recused
experts in the denominator (I-18), concurrent ballots, one ballot per expert, no proxy or late
ballot, ballots that cannot be linked to voters, the tally moving the application on, minutes."""

from __future__ import annotations

import re
import threading

import pytest
from review_world import TODAY, World, build_world, non_panel_members, ready_to_vote
from sqlalchemy import DateTime, Engine, Integer, inspect, select, text

from zhicheng.errors import DomainError
from zhicheng.review import service as rsvc
from zhicheng.store import audit
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, AuditEntry, Ballot, BallotVoter, Meeting, MeetingItem
from zhicheng.workflow.rights import Actor

KIN = "申报人的近亲属（表兄）"


def _choices(members: list[Actor], yes: int, no: int) -> dict[int, str]:
    out = {}
    for i, m in enumerate(members):
        out[m.user_id] = "yes" if i < yes else "no" if i < yes + no else "abstain"
    return out


@pytest.mark.parametrize(
    ("present", "yes", "threshold", "passed", "state"),
    [
        (15, 10, "inclusive", True, "acceptance"),  # 3*10 >= 2*15
        (15, 10, "exclusive", False, "failed"),  # 3*10 > 2*15 is false (青岛“三分之二（不含）以上”)
        (17, 12, "inclusive", True, "acceptance"),
        (17, 12, "exclusive", True, "acceptance"),  # 36 > 34
    ],
)
def test_threshold_decides_and_moves_the_application(
    engine: Engine, present: int, yes: int, threshold: str, passed: bool, state: str
) -> None:
    document = "iiot_qd_2023" if threshold == "exclusive" else "ai_bj_2020"
    w = build_world(engine, experts=present, apps=1, threshold=threshold, document=document)
    mid = ready_to_vote(w, present)
    app = w.apps[0]
    opened = w.run(w.agency, rsvc.open_ballot, mid, app)
    assert (opened.members, opened.attending, opened.recused, opened.present) == (present, present, 0, present)
    w.vote(mid, app, _choices(w.members(mid), yes, present - yes))
    tally = w.run(w.agency, rsvc.close_ballot, mid, app)
    assert (tally.yes, tally.no, tally.abstain, tally.present, tally.passed) == (yes, present - yes, 0, present, passed)
    assert tally.threshold == threshold and tally.state == state
    assert tally.min_yes == (10 if present == 15 else 12) + (1 if threshold == "exclusive" and present == 15 else 0)
    with transaction(engine) as s:
        assert s.get(Application, app).state == state
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        assert actions[-2:] == ["close_ballot", "record_pass" if passed else "record_fail"]
        assert audit.verify(s).ok


def test_quorum_failure_blocks_voting(world: World) -> None:
    mid = ready_to_vote(world, 7, attending=4)  # 3*4 = 12 < 2*7 = 14
    app = world.apps[0]
    with pytest.raises(DomainError, match="出席专家 4 人，不足评委会组成人数 7 人的三分之二（至少 5 人）") as exc:
        world.run(world.agency, rsvc.open_ballot, mid, app)
    assert exc.value.code == "no_quorum"
    member = world.members(mid)[0]
    with pytest.raises(DomainError, match="投票尚未开始"):
        world.run(member, rsvc.cast_ballot, mid, app, "yes")
    world.run(world.members(mid)[4], rsvc.check_in, mid)
    assert world.run(world.agency, rsvc.open_ballot, mid, app).attending == 5


@pytest.mark.parametrize(("counted", "present", "passed"), [(False, 14, True), (True, 15, False)])
def test_recused_expert_in_the_denominator_is_a_committee_setting(
    engine: Engine, counted: bool, present: int, passed: bool
) -> None:
    """I-18. Qingdao threshold, 15 attend, 1 recuses, 10 of the 14 voters approve: 30 > 28 passes,
    but with the recused expert counted as present 30 > 30 does not."""
    w = build_world(
        engine, experts=15, apps=1, threshold="exclusive", document="iiot_qd_2023", recused_count_as_present=counted
    )
    mid = ready_to_vote(w, 15)
    app = w.apps[0]
    recusing = non_panel_members(w, mid, app)[0]
    w.run(recusing, rsvc.declare, mid, [rsvc.ConflictClaim(app, "kinship", KIN)], confirm=True)
    opened = w.run(w.agency, rsvc.open_ballot, mid, app)
    assert (opened.attending, opened.recused, opened.present) == (15, 1, present)
    voters = [m for m in w.members(mid) if m != recusing]
    with pytest.raises(DomainError, match="不存在或无权查看"):
        w.run(recusing, rsvc.cast_ballot, mid, app, "yes")
    w.vote(mid, app, _choices(voters, 10, 4))
    tally = w.run(w.agency, rsvc.close_ballot, mid, app)
    assert (tally.yes, tally.no, tally.present, tally.passed) == (10, 4, present, passed)


def test_quorum_is_checked_again_after_recusals(engine: Engine) -> None:
    w = build_world(engine, experts=7, apps=1)
    mid = ready_to_vote(w, 7, attending=5)
    app = w.apps[0]
    attendee = next(m for m in non_panel_members(w, mid, app) if m in w.members(mid)[:5])
    w.run(attendee, rsvc.declare, mid, [rsvc.ConflictClaim(app, "advisor", "申报人是本人指导的博士生")], confirm=True)
    with pytest.raises(DomainError, match="回避后对该申报人出席 4 人"):
        w.run(w.agency, rsvc.open_ballot, mid, app)


def test_concurrent_ballots_from_every_expert_are_all_counted_once(engine: Engine) -> None:
    w = build_world(engine, experts=17, apps=1)
    mid = ready_to_vote(w, 17)
    app = w.apps[0]
    w.run(w.agency, rsvc.open_ballot, mid, app)
    members = w.members(mid)
    choices = _choices(members, 12, 4)  # 12 yes, 4 no, 1 abstain
    doubled = members[0]  # this expert also tries a second ballot at the same moment
    attempts = [(m, choices[m.user_id]) for m in members] + [(doubled, "no")]
    barrier = threading.Barrier(len(attempts))
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def cast(actor: Actor, choice: str) -> None:
        barrier.wait()
        try:
            w.run(actor, rsvc.cast_ballot, mid, app, choice)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.message
        with lock:
            results.append((actor.user_id, outcome))

    threads = [threading.Thread(target=cast, args=a) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == len(attempts)
    assert sum(1 for _, o in results if o == "ok") == 17
    [refused] = [o for _, o in results if o != "ok"]
    assert "每人只能投一票" in refused
    with transaction(engine) as s:
        assert s.scalar(select(text("count(*)")).select_from(Ballot)) == 17
        statuses = s.scalars(select(BallotVoter.status).where(BallotVoter.meeting_id == mid)).all()
        assert sorted(statuses) == ["voted"] * 17
    tally = w.run(w.agency, rsvc.close_ballot, mid, app)
    # members[0] tried "yes" and "no" at once: exactly one of them counts
    assert (tally.yes, tally.no, tally.abstain) in {(12, 4, 1), (11, 5, 1)}
    assert tally.not_cast == 0
    with transaction(engine) as s:
        assert audit.verify(s).ok


def test_second_ballot_proxy_and_late_ballots_are_refused(world: World) -> None:
    mid = ready_to_vote(world, 7, attending=6)
    app = world.apps[0]
    world.run(world.agency, rsvc.open_ballot, mid, app)
    members = world.members(mid)
    late_comer = members[6]  # not checked in when the ballot opened
    world.run(late_comer, rsvc.check_in, mid)
    with pytest.raises(DomainError, match="未签到出席，不能投票"):
        world.run(late_comer, rsvc.cast_ballot, mid, app, "yes")
    with pytest.raises(DomainError, match="只有评审专家本人可以投票"):
        world.run(world.agency, rsvc.cast_ballot, mid, app, "yes")
    with pytest.raises(DomainError, match="yes（同意）"):
        world.run(members[0], rsvc.cast_ballot, mid, app, "maybe")
    world.run(members[0], rsvc.cast_ballot, mid, app, "yes")
    with pytest.raises(DomainError, match="每人只能投一票") as exc:
        world.run(members[0], rsvc.cast_ballot, mid, app, "no")
    assert exc.value.status == 409
    for m in members[1:5]:
        world.run(m, rsvc.cast_ballot, mid, app, "yes")
    tally = world.run(world.agency, rsvc.close_ballot, mid, app)
    assert (tally.yes, tally.not_cast, tally.present, tally.passed) == (5, 1, 6, True)  # 15 >= 12
    with pytest.raises(DomainError, match="不得补充投票"):
        world.run(members[5], rsvc.cast_ballot, mid, app, "no")
    with transaction(world.engine) as s:
        missed = s.scalar(select(BallotVoter.status).where(BallotVoter.expert_id == members[5].user_id))
        assert missed == "missed"


def test_stored_ballots_cannot_be_linked_to_voters(world: World) -> None:
    """Design (docs/review.md §5): the box has no voter column, no time, no sequence; ids are
    random; closing rewrites the box in random-id order in one transaction, so neither row order
    nor (PostgreSQL) xmin/ctid follows the casting order; the has-voted rows carry no time."""
    engine = world.engine
    insp = inspect(engine)
    ballot_cols = {c["name"]: c for c in insp.get_columns("ballots")}
    assert set(ballot_cols) == {"id", "meeting_id", "application_id", "choice"}
    assert not any(isinstance(c["type"], DateTime) for c in ballot_cols.values())
    assert not isinstance(ballot_cols["id"]["type"], Integer)  # no autoincrement sequence
    assert all(fk["referred_table"] == "meeting_items" for fk in insp.get_foreign_keys("ballots"))
    voter_cols = {c["name"]: c for c in insp.get_columns("ballot_voters")}
    assert set(voter_cols) == {"meeting_id", "application_id", "expert_id", "status"}
    if engine.dialect.name == "sqlite":  # WITHOUT ROWID: no hidden insertion counter either
        with engine.connect() as c, pytest.raises(Exception, match="rowid"):
            c.execute(text("SELECT rowid FROM ballots"))

    mid = ready_to_vote(world, 7)
    app = world.apps[0]
    world.run(world.agency, rsvc.open_ballot, mid, app)
    members = world.members(mid)
    cast_order = ["yes", "yes", "yes", "no", "no", "abstain", "yes"]
    ids_during: set[str] = set()
    for m, choice in zip(members, cast_order, strict=True):
        world.run(m, rsvc.cast_ballot, mid, app, choice)
    with transaction(engine) as s:
        ids_during = set(s.scalars(select(Ballot.id)))
        assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids_during)
    tally = world.run(world.agency, rsvc.close_ballot, mid, app)
    assert (tally.yes, tally.no, tally.abstain) == (4, 2, 1)
    with transaction(engine) as s:
        natural = s.execute(text("SELECT id, choice FROM ballots")).all()
        by_id = s.execute(text("SELECT id, choice FROM ballots ORDER BY id")).all()
        assert natural == by_id  # the only order left is the random id
        assert not ids_during & {i for i, _ in by_id}  # every id was re-drawn at sealing
        if engine.dialect.name == "postgresql":
            xmins = set(s.execute(text("SELECT xmin::text FROM ballots")).scalars())
            assert len(xmins) == 1  # written by the one sealing transaction
            voter_xmins = set(s.execute(text("SELECT xmin::text FROM ballot_voters WHERE status = 'voted'")).scalars())
            assert not xmins & voter_xmins
        # the digest on record is the digest of the sealed box
        item = s.get(MeetingItem, (mid, app))
        import hashlib

        digest = hashlib.sha256("".join(f"{i}:{c}\n" for i, c in by_id).encode()).hexdigest()
        assert item.ballot_digest == digest
        # the audit trail says who voted, never what, and never names a ballot
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        casts = [e for e in entries if e.action == "cast_ballot"]
        assert len(casts) == 7 and all(e.payload is None for e in casts)
        assert {e.entity_id for e in casts} == {f"{mid}:{app}"}
        ballot_ids = {i for i, _ in by_id} | ids_during
        for e in entries:
            blob = repr(e.payload) + (e.entity_id or "")
            assert not any(b in blob for b in ballot_ids)
            assert "choice" not in (e.payload or {})


def test_a_voter_found_in_conflict_after_voting_voids_the_ballot(world: World) -> None:
    mid = ready_to_vote(world, 7)
    app = world.apps[0]
    world.run(world.agency, rsvc.open_ballot, mid, app)
    members = world.members(mid)
    for m in members:
        world.run(m, rsvc.cast_ballot, mid, app, "yes")
    tainted = non_panel_members(world, mid, app)[0]
    world.run(
        world.agency,
        rsvc.record_conflict,
        expert_id=tainted.user_id,
        application_id=app,
        kind="other",
        note="投票后发现与申报人存在经济往来",
    )
    with pytest.raises(DomainError, match="本次投票无效") as exc:
        world.run(world.agency, rsvc.close_ballot, mid, app)
    assert exc.value.code == "ballot_tainted"
    with pytest.raises(DomainError, match="至少 5 个字"):
        world.run(world.agency, rsvc.cancel_ballot, mid, app, reason="无效")
    world.run(world.agency, rsvc.cancel_ballot, mid, app, reason="投票人须回避，重新表决")
    with transaction(world.engine) as s:
        assert s.scalar(select(text("count(*)")).select_from(Ballot)) == 0
    opened = world.run(world.agency, rsvc.open_ballot, mid, app)
    assert (opened.recused, opened.present) == (1, 6)
    for m in members:
        if m != tainted:
            world.run(m, rsvc.cast_ballot, mid, app, "yes")
    assert world.run(world.agency, rsvc.close_ballot, mid, app).passed


def test_conflict_declared_while_the_ballot_is_open_becomes_a_recusal(world: World) -> None:
    mid = ready_to_vote(world, 7)
    app = world.apps[0]
    world.run(world.agency, rsvc.open_ballot, mid, app)
    late = non_panel_members(world, mid, app)[0]
    world.run(
        late, rsvc.declare, mid, [rsvc.ConflictClaim(app, "collaboration", "近三年共同承担科研项目")], confirm=True
    )
    with transaction(world.engine) as s:
        assert s.get(BallotVoter, (mid, app, late.user_id)).status == "recused"
    for m in world.members(mid):
        if m != late:
            world.run(m, rsvc.cast_ballot, mid, app, "yes")
    tally = world.run(world.agency, rsvc.close_ballot, mid, app)
    assert tally.yes == 6 and tally.not_cast == 0


def test_meeting_closes_with_archived_minutes(world: World) -> None:
    mid = ready_to_vote(world, 7, scores={world.apps[0]: 88, world.apps[1]: 60})
    a, b = world.apps
    members = world.members(mid)
    world.run(world.agency, rsvc.open_ballot, mid, a)
    with pytest.raises(DomainError, match="尚有 2 名申报人未表决"):
        world.run(world.agency, rsvc.close_meeting, mid)
    world.vote(mid, a, _choices(members, 6, 1))
    world.run(world.agency, rsvc.close_ballot, mid, a)
    world.run(world.agency, rsvc.open_ballot, mid, b)
    world.vote(mid, b, _choices(members, 3, 4))
    world.run(world.agency, rsvc.close_ballot, mid, b)
    with pytest.raises(DomainError, match="会议尚未结束"):
        world.run(world.agency, rsvc.minutes, mid)
    record = world.run(world.agency, rsvc.close_meeting, mid)
    assert world.run(world.bureau, rsvc.minutes, mid) == record
    with pytest.raises(DomainError, match="只对评审服务机构和人社局开放"):
        world.run(members[0], rsvc.minutes, mid)
    assert record["attending"] == 7 and len(record["members"]) == 7
    first, second = record["items"]
    assert (first["tally"]["yes"], first["tally"]["passed"], first["panel"]["average"]) == (6, True, "88.0")
    assert (second["tally"]["yes"], second["tally"]["passed"]) == (3, False)
    assert first["ballot_digest"] and len(first["panel"]["opinions"]) == 3
    with transaction(world.engine) as s:
        assert s.get(Application, a).state == "acceptance" and s.get(Application, b).state == "failed"
        assert (rsvc.committee_result(s, a), rsvc.committee_result(s, b)) == (True, False)
        assert rsvc.committee_result(s, -1) is None
        meeting = s.get(Meeting, mid)
        close = s.scalars(select(AuditEntry).where(AuditEntry.action == "close_meeting")).one()
        assert close.payload["minutes_sha256"] == meeting.minutes_sha256
        assert audit.verify(s).ok
        meeting.minutes = {**meeting.minutes, "attending": 8}  # tampering after archiving
    with pytest.raises(DomainError, match="归档后被修改"):
        world.run(world.agency, rsvc.minutes, mid)
    with pytest.raises(DomainError, match="会议未在进行中"):
        world.run(world.agency, rsvc.close_meeting, mid)


def test_scores_are_frozen_once_the_ballot_opens(world: World) -> None:
    mid = ready_to_vote(world, 7)
    app = world.apps[0]
    world.run(world.agency, rsvc.open_ballot, mid, app)
    scorer = next(m for m in world.members(mid) if world.run(m, rsvc.agenda, mid)[0].on_my_panel)
    with pytest.raises(DomainError, match="表决已开始"):
        world.run(scorer, rsvc.submit_score, mid, app, score=10, opinion="表决开始后试图修改评分")
    assert TODAY.year == 2026


def test_closing_while_experts_vote_leaves_no_late_or_lost_ballot(engine: Engine) -> None:
    """Casts and the close race: every ballot that was accepted is counted, every cast that lost
    the race is refused as late, and the box matches the has-voted rows exactly."""
    w = build_world(engine, experts=9, apps=1)
    mid = ready_to_vote(w, 9)
    app = w.apps[0]
    w.run(w.agency, rsvc.open_ballot, mid, app)
    members = w.members(mid)
    barrier = threading.Barrier(len(members) + 1)
    outcomes: list[str] = []
    lock = threading.Lock()

    def cast(actor: Actor) -> None:
        barrier.wait()
        try:
            w.run(actor, rsvc.cast_ballot, mid, app, "yes")
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.message
        with lock:
            outcomes.append(outcome)

    def close() -> None:
        barrier.wait()
        tally = w.run(w.agency, rsvc.close_ballot, mid, app)
        with lock:
            outcomes.append(f"closed:{tally.yes}:{tally.not_cast}")

    threads = [threading.Thread(target=cast, args=(m,)) for m in members] + [threading.Thread(target=close)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    accepted = outcomes.count("ok")
    late = [o for o in outcomes if o != "ok" and not o.startswith("closed:")]
    assert all("不得补充投票" in o for o in late)
    [closed] = [o for o in outcomes if o.startswith("closed:")]
    assert closed == f"closed:{accepted}:{len(members) - accepted}"
    with transaction(engine) as s:
        assert s.scalar(select(text("count(*)")).select_from(Ballot)) == accepted
        voted = s.scalars(select(BallotVoter.status).where(BallotVoter.status == "voted")).all()
        assert len(voted) == accepted
