"""The committee over HTTP (api/review.py), on SQLite and PostgreSQL: the threshold tables of issue 4,
quorum, one ballot per expert, concurrent ballots, recusal in every list and count, the draw's preview
and commit, and the ballot's secrecy at the API's edge."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from api_support import AI_SENIOR, Api, D, seed_user
from review_support import choices_for, http_committee, http_meeting_ready, ok
from sqlalchemy import func, select

from zhicheng.store.db import transaction
from zhicheng.store.models import Application, Ballot, BallotVoter, IdempotencyRecord, User
from zhicheng.store.testing import add_application, add_round

TODAY = D(2026, 9, 1)  # the api fixture's clock


def people(api: Api, password_hash: str, experts: int) -> dict[str, int]:
    """An agency and ``experts`` experts, each with a token registered under its name."""
    ids = {"agency": seed_user(api.engine, "agency", password_hash).id}
    for i in range(experts):
        ids[f"e{i:02d}"] = seed_user(api.engine, "expert", password_hash, display_name=f"专家{i:02d}").id
    for name, user_id in ids.items():
        api.issue(name, user_id)
    return ids


def waiting_for_committee(api: Api, password_hash: str, n: int = 1, document: str = "ai_bj_2020") -> list[int]:
    """Applications that passed qualification review (state ``committee``), one applicant each."""
    out = []
    applicants = [seed_user(api.engine, "applicant", password_hash, display_name=f"申报人{i}") for i in range(n)]
    with transaction(api.engine) as s:
        rnd = add_round(s, year=2026, document_id=document, levels=["senior_engineer"])
        for applicant in applicants:
            app = add_application(
                s,
                rnd,
                s.get(User, applicant.id),
                level="senior_engineer",
                state="committee",
                profile=AI_SENIOR,
            )
            out.append(app.id)
    return out


def experts_of(ids: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in ids.items() if k.startswith("e")}


def vote(api: Api, who: str, mid: int, app_id: int, choice: str, **kw: Any) -> Any:
    return api.post(who, f"/api/meetings/{mid}/applications/{app_id}/ballot/votes", json={"choice": choice}, **kw)


def state_of(api: Api, app_id: int) -> str:
    with transaction(api.engine) as s:
        app = s.get(Application, app_id)
        assert app is not None
        return app.state


@pytest.mark.parametrize(
    ("present", "yes", "threshold", "passed"),
    [
        (15, 10, "inclusive", True),  # 3*10 >= 2*15
        (15, 10, "exclusive", False),  # 3*10 > 2*15 fails (青岛“三分之二（不含）以上”)
        (17, 12, "inclusive", True),
        (17, 12, "exclusive", True),  # 36 > 34
    ],
)
def test_threshold_tables_over_http(
    api: Api, password_hash: str, present: int, yes: int, threshold: str, passed: bool
) -> None:
    ids = people(api, password_hash, present)
    document = "iiot_qd_2023" if threshold == "exclusive" else "ai_bj_2020"
    [app_id] = waiting_for_committee(api, password_hash, document=document)
    committee = http_committee(api, "agency", list(experts_of(ids).values()), threshold=threshold)
    mid, names = http_meeting_ready(api, "agency", experts_of(ids), committee, [app_id], TODAY)
    opened = ok(api.post("agency", f"/api/meetings/{mid}/applications/{app_id}/ballot/open"))
    assert (opened["members"], opened["attending"], opened["present"]) == (present, present, present)
    for name, choice in choices_for(names, yes, present - yes).items():
        assert vote(api, name, mid, app_id, choice).status_code == 204
    tally = ok(api.post("agency", f"/api/meetings/{mid}/applications/{app_id}/ballot/close"))
    assert (tally["yes"], tally["no"], tally["present"], tally["threshold"]) == (yes, present - yes, present, threshold)
    assert tally["passed"] is passed and tally["min_yes"] == (11 if (present, threshold) == (15, "exclusive") else yes)
    assert tally["state"] == state_of(api, app_id) == ("acceptance" if passed else "failed")
    for who in ("agency", names[0]):  # the recorded tally, afterwards, for staff and members alike
        assert ok(api.get(who, f"/api/meetings/{mid}/applications/{app_id}/tally")) == tally


def test_quorum_failure_blocks_voting(api: Api, password_hash: str) -> None:
    ids = people(api, password_hash, 7)
    [app_id] = waiting_for_committee(api, password_hash)
    committee = http_committee(api, "agency", list(experts_of(ids).values()))
    mid, names = http_meeting_ready(api, "agency", experts_of(ids), committee, [app_id], TODAY, attending=4)
    r = api.post("agency", f"/api/meetings/{mid}/applications/{app_id}/ballot/open")
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_quorum", r.text
    assert "出席专家 4 人，不足评委会组成人数 7 人的三分之二（至少 5 人）" in r.json()["error"]["message"]
    r = vote(api, names[0], mid, app_id, "yes")
    assert r.status_code == 409 and "投票尚未开始" in r.json()["error"]["message"]
    ok(api.post(names[4], f"/api/meetings/{mid}/check-in", json={}))
    assert ok(api.post("agency", f"/api/meetings/{mid}/applications/{app_id}/ballot/open"))["attending"] == 5
    r = vote(api, names[5], mid, app_id, "yes")  # checked in too late for this ballot
    assert r.status_code == 403 and "未签到出席" in r.json()["error"]["message"]


def test_second_ballot_and_late_ballot_are_refused(api: Api, password_hash: str) -> None:
    ids = people(api, password_hash, 5)
    [app_id] = waiting_for_committee(api, password_hash)
    committee = http_committee(api, "agency", list(experts_of(ids).values()))
    mid, names = http_meeting_ready(api, "agency", experts_of(ids), committee, [app_id], TODAY)
    ok(api.post("agency", f"/api/meetings/{mid}/applications/{app_id}/ballot/open"))
    assert vote(api, names[0], mid, app_id, "yes").status_code == 204
    again = vote(api, names[0], mid, app_id, "no")
    assert again.status_code == 409 and "每人只能投一票" in again.json()["error"]["message"]
    proxy = vote(api, "agency", mid, app_id, "yes")
    assert proxy.status_code == 403 and "不得委托他人投票" in proxy.json()["error"]["message"]
    # a retry with an Idempotency-Key is a second ballot too, and nothing ties the voter to the request
    keyed = vote(api, names[1], mid, app_id, "yes", headers={"Idempotency-Key": "vote-1"})
    assert keyed.status_code == 204 and keyed.content == b""
    replay = vote(api, names[1], mid, app_id, "yes", headers={"Idempotency-Key": "vote-1"})
    assert replay.status_code == 409
    with transaction(api.engine) as s:
        assert (
            s.scalar(select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.key == "vote-1")) == 0
        )
    tally = ok(api.post("agency", f"/api/meetings/{mid}/applications/{app_id}/ballot/close"))
    assert (tally["yes"], tally["not_cast"]) == (2, 3)
    late = vote(api, names[2], mid, app_id, "yes")
    assert late.status_code == 409 and "不得补充投票" in late.json()["error"]["message"]


def test_concurrent_ballots_none_lost_or_doubled(api: Api, password_hash: str) -> None:
    ids = people(api, password_hash, 17)
    [app_id] = waiting_for_committee(api, password_hash)
    committee = http_committee(api, "agency", list(experts_of(ids).values()))
    mid, names = http_meeting_ready(api, "agency", experts_of(ids), committee, [app_id], TODAY)
    ok(api.post("agency", f"/api/meetings/{mid}/applications/{app_id}/ballot/open"))
    choices = choices_for(names, 12, 4)  # 12 yes, 4 no, 1 abstain
    attempts = [*choices.items(), (names[0], "no")]  # one expert also tries a second ballot at the same moment
    barrier = threading.Barrier(len(attempts))
    results: list[tuple[str, str, int, str]] = []
    lock = threading.Lock()

    def cast(name: str, choice: str) -> None:
        barrier.wait()
        r = vote(api, name, mid, app_id, choice)
        with lock:
            results.append((name, choice, r.status_code, r.text))

    threads = [threading.Thread(target=cast, args=a) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == len(attempts)
    assert sum(1 for *_, code, _ in results if code == 204) == 17
    [refused] = [r for r in results if r[2] != 204]
    assert refused[0] == names[0] and refused[2] == 409 and "每人只能投一票" in refused[3]
    # whichever of names[0]'s two ballots got in first is the one counted
    choices[names[0]] = next(c for n, c, code, _ in results if n == names[0] and code == 204)
    with transaction(api.engine) as s:
        assert s.scalar(select(func.count()).select_from(Ballot).where(Ballot.meeting_id == mid)) == 17
        voted = select(func.count()).select_from(BallotVoter).where(BallotVoter.status == "voted")
        assert s.scalar(voted.where(BallotVoter.meeting_id == mid)) == 17
    tally = ok(api.post("agency", f"/api/meetings/{mid}/applications/{app_id}/ballot/close"))
    expected = {c: list(choices.values()).count(c) for c in ("yes", "no", "abstain")}
    assert {k: tally[k] for k in expected} == expected and sum(expected.values()) == 17
    assert tally["passed"] is (3 * expected["yes"] >= 2 * 17)
    assert state_of(api, app_id) == ("acceptance" if tally["passed"] else "failed")


def test_recused_expert_gets_nothing_about_that_application(api: Api, password_hash: str) -> None:
    """Declared kinship with one of two applicants: that applicant is gone from every list, count,
    average, export and log line the expert can ask for, and every direct request is a 404."""
    ids = people(api, password_hash, 5)
    hidden, shown = waiting_for_committee(api, password_hash, 2)
    with transaction(api.engine) as s:
        name = s.scalar(
            select(User.display_name)
            .join(Application, Application.applicant_id == User.id)
            .where(Application.id == hidden)
        )
    committee = http_committee(api, "agency", list(experts_of(ids).values()))
    meeting = ok(
        api.post(
            "agency", "/api/meetings", json={"committee_id": committee, "title": "回避测试", "held_on": str(TODAY)}
        ),
        201,
    )
    mid = meeting["id"]
    ok(api.post("agency", f"/api/meetings/{mid}/agenda", json={"application_ids": [hidden, shown]}))
    draw = {"size": 5, "panels": [{"name": "评议组", "application_ids": [hidden, shown], "size": 3}], "seed": "r"}
    proposal = ok(api.post("agency", f"/api/meetings/{mid}/draw/proposal", json=draw))
    ok(api.post("agency", f"/api/meetings/{mid}/draw/commit", json=draw | {"fingerprint": proposal["fingerprint"]}))
    off_panel = next(n for n, i in experts_of(ids).items() if i not in proposal["panels"][0]["expert_ids"])
    sheet = ok(api.get(off_panel, f"/api/meetings/{mid}/declaration"))
    assert {r["application_id"] for r in sheet["items"]} == {hidden, shown} and sheet["statement"]
    assert ok(api.get(off_panel, f"/api/meetings/{mid}/agenda"))["total"] == 0  # no material before declaring
    claim = {"application_id": hidden, "kind": "kinship", "note": "申报人是本人的表兄"}
    ok(api.post(off_panel, f"/api/meetings/{mid}/declaration", json={"confirm": True, "conflicts": [claim]}))
    for n in experts_of(ids):
        if n != off_panel:
            ok(api.post(n, f"/api/meetings/{mid}/declaration", json={"confirm": True}))
    for n, i in experts_of(ids).items():
        if i in proposal["panels"][0]["expert_ids"]:
            for app_id in (hidden, shown):
                body = {"score": 80, "opinion": "业绩突出，材料完整，建议通过。"}
                ok(api.call(n, "PUT", f"/api/meetings/{mid}/applications/{app_id}/score", json=body))
    ok(api.post("agency", f"/api/meetings/{mid}/open"))
    for n in experts_of(ids):
        ok(api.post(n, f"/api/meetings/{mid}/check-in", json={}))
    for app_id in (hidden, shown):
        ok(api.post("agency", f"/api/meetings/{mid}/applications/{app_id}/ballot/open"))
        for n in experts_of(ids):
            if not (n == off_panel and app_id == hidden):
                assert vote(api, n, mid, app_id, "yes").status_code == 204
        ok(api.post("agency", f"/api/meetings/{mid}/applications/{app_id}/ballot/close"))

    lists = ("agenda", "declaration", "scores", "log")
    for who, sees_hidden in (("agency", True), (off_panel, False)):
        bodies = {what: api.get(who, f"/api/meetings/{mid}/{what}", params={"limit": 100}) for what in lists}
        summary = ok(api.get(who, f"/api/meetings/{mid}/summary"))
        assert summary["items"] == (2 if sees_hidden else 1) and summary["decided"] == summary["items"]
        assert summary["scores"] == (6 if sees_hidden else 3)
        for what, r in bodies.items():
            body = ok(r)
            ids_seen = {i.get("application_id") for i in body["items"]} | {
                int(i["entity_id"].split(":")[1]) for i in body["items"] if i.get("entity") == "meeting_item"
            }
            assert (hidden in ids_seen) is sees_hidden, (who, what)
            assert total_matches(body)
            if not sees_hidden:
                assert name not in r.text, (what, r.text)
        for tail in ("", "/panel", "/tally"):
            r = api.get(who, f"/api/meetings/{mid}/applications/{hidden}{tail}")
            assert r.status_code == (200 if sees_hidden else 404), (who, tail, r.text)
    missing = api.get(off_panel, f"/api/meetings/{mid}/applications/2147483647")
    hidden_r = api.get(off_panel, f"/api/meetings/{mid}/applications/{hidden}")
    assert hidden_r.json() == missing.json()  # indistinguishable from an application not on the agenda


def total_matches(page: dict[str, Any]) -> bool:
    return page["total"] == len(page["items"])


def test_draw_preview_commit_and_a_changed_pool(api: Api, password_hash: str) -> None:
    ids = people(api, password_hash, 6)
    [app_id] = waiting_for_committee(api, password_hash)
    experts = experts_of(ids)
    committee = http_committee(api, "agency", list(experts.values())[:5])
    mid = ok(
        api.post("agency", "/api/meetings", json={"committee_id": committee, "title": "抽取", "held_on": str(TODAY)}),
        201,
    )["id"]
    ok(api.post("agency", f"/api/meetings/{mid}/agenda", json={"application_ids": [app_id]}))
    draw = {"size": 3, "panels": [{"name": "评议组", "application_ids": [app_id], "size": 3}]}
    first = ok(api.post("agency", f"/api/meetings/{mid}/draw/proposal", json=draw))
    again = ok(api.post("agency", f"/api/meetings/{mid}/draw/proposal", json=draw | {"seed": first["seed"]}))
    assert again == first  # the same seed, the same draw: anyone can re-run it
    even = api.post("agency", f"/api/meetings/{mid}/draw/proposal", json=draw | {"size": 4})
    assert even.status_code == 422 and even.json()["error"]["fields"][0]["path"] == "size"
    # the pool changes after the preview: the commit re-runs the draw and refuses
    sixth = {
        "user_id": list(experts.values())[5],
        "title": "正高级工程师",
        "title_grade": 5,
        "specialty": "人工智能",
        "unit_name": "某大学",
        "term_start": "2026-01-01",
        "term_end": "2028-12-31",
    }
    assert ok(api.post("agency", "/api/experts", json=sixth))["name"] == "专家05"
    ok(api.post("agency", f"/api/committees/{committee}/pool", json={"expert_ids": [sixth["user_id"]]}))
    commit = draw | {"seed": first["seed"], "fingerprint": first["fingerprint"]}
    r = api.post("agency", f"/api/meetings/{mid}/draw/commit", json=commit)
    assert r.status_code == 409 and r.json()["error"]["code"] == "draw_changed", r.text
    fresh = ok(api.post("agency", f"/api/meetings/{mid}/draw/proposal", json=draw | {"seed": first["seed"]}))
    done = ok(
        api.post("agency", f"/api/meetings/{mid}/draw/commit", json=commit | {"fingerprint": fresh["fingerprint"]})
    )
    assert done["status"] == "assigned" and done["size"] == 3
    check = ok(api.get("agency", f"/api/meetings/{mid}/draw/verification"))
    assert check["ok"] and check["recorded"] == sorted(fresh["members"])
    pool = ok(api.get("agency", f"/api/committees/{committee}/pool"))
    assert pool["total"] == 6 and ok(api.get("agency", f"/api/committees/{committee}"))["filing"] is not None
