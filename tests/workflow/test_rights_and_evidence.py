"""Rights: one scope per role (whose applications, which states) that lists and the detail check share;
who may change an application's materials (the owner at the applicant's own steps: 409 naming the step
outside them, 403 for another viewer, 404 for a stranger); and `service.attach_evidence` on both
databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from zhicheng.errors import DomainError
from zhicheng.store.db import transaction
from zhicheng.store.files import EvidenceStore
from zhicheng.store.models import Application, ApplicationEvidence, AuditEntry, Unit
from zhicheng.store.testing import add_application, add_round, add_user
from zhicheng.workflow import service as svc
from zhicheng.workflow.procedures import PROCEDURES
from zhicheng.workflow.rights import ALL_STATES, Actor, Rights

D = dt.date
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class Probe:
    def __init__(self, state: str, applicant_id: int = 1, unit_id: int | None = 5) -> None:
        self.applicant_id, self.unit_id, self.state, self.document_id = applicant_id, unit_id, state, "ai_bj_2020"


@pytest.mark.parametrize(
    ("actor", "units", "hidden"),
    [
        (Actor(1, "applicant", unit_id=5), frozenset(), set()),
        (Actor(2, "unit", unit_id=5), frozenset(), {"draft"}),
        (Actor(3, "department", department_id=1), frozenset({5}), {"draft", "unit_review"}),
        (Actor(4, "agency"), frozenset(), {"draft"}),
        (Actor(5, "bureau"), frozenset(), {"draft"}),
    ],
)
def test_scope_names_the_states_each_role_sees(actor: Actor, units: frozenset[int], hidden: set[str]) -> None:
    rights = Rights(actor, units)
    scope = rights.application_scope()
    assert scope.states == ALL_STATES - hidden
    for state in ALL_STATES:
        assert rights.can_view_application(Probe(state)) is (state not in hidden)
    outsider = Probe("unit_review", applicant_id=99, unit_id=6)  # another person's, in another unit
    assert rights.can_view_application(outsider) is (scope.kind == "all")


@pytest.mark.parametrize("role", ["expert", "admin", "system"])
def test_roles_without_applications_see_none(role: str) -> None:
    rights = Rights(Actor(1, role))
    assert rights.application_scope().kind == "none" and not rights.application_scope().states
    assert not any(rights.can_view_application(Probe(s)) for s in ALL_STATES)


def test_materials_change_only_at_the_applicants_own_steps() -> None:
    owner, unit = Rights(Actor(1, "applicant", unit_id=5)), Rights(Actor(2, "unit", unit_id=5))
    own_steps = {s for p in PROCEDURES.values() for s, step in p.steps.items() if step.role == "applicant"}
    assert own_steps == {"draft", "correction"}  # 填写申报材料, 补正材料 — from the procedure data
    for state in PROCEDURES["beijing"].steps:
        assert owner.can_edit_application(Probe(state)) is (state in own_steps)
        assert not unit.can_edit_application(Probe(state))
    assert not Rights(Actor(7, "applicant")).can_edit_application(Probe("draft"))


@pytest.fixture
def scene(engine: Engine) -> dict[str, object]:
    with transaction(engine) as s:
        unit = Unit(name="某单位", uscc="91440300708461136T")
        s.add(unit)
        s.flush()
        owner = add_user(s, "applicant", unit_id=unit.id)
        stranger = add_user(s, "applicant")
        reviewer = add_user(s, "unit", unit_id=unit.id)
        rnd = add_round(s, document_id="ai_bj_2020", levels=["senior_engineer"])
        profile = {"achievements": [{"kind": "paper", "date": "2024-03-01", "title": "论文"}]}
        draft = add_application(s, rnd, owner, level="senior_engineer", unit_id=unit.id, profile=profile)
        review = add_application(s, rnd, owner, level="engineer", unit_id=unit.id, state="agency_review")
        return {
            "owner": svc.actor_for(owner),
            "stranger": svc.actor_for(stranger),
            "reviewer": svc.actor_for(reviewer),
            "draft": draft.id,
            "review": review.id,
        }


def attach(engine: Engine, actor: Actor, app_id: int, store: EvidenceStore, data: bytes = PDF, **kw: object):
    with transaction(engine) as s:
        done = svc.attach_evidence(
            svc.Context(s, actor, D(2026, 9, 1)), app_id, store=store, data=data, filename="dir/论文1.pdf", **kw
        )
        return done.evidence.id, done.media_type, done.size


def test_attach_evidence(engine: Engine, scene: dict, tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence", max_bytes=1024)
    ev_id, media, size = attach(engine, scene["owner"], scene["draft"], store, achievement_index=0)
    assert (media, size) == ("application/pdf", len(PDF))
    with transaction(engine) as s:
        ev = s.get(ApplicationEvidence, ev_id)
        assert (ev.filename, ev.achievement_index) == ("论文1.pdf", 0) and store.read(ev.sha256) == PDF
        version = s.get(Application, scene["draft"]).version
        trail = s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == str(scene["draft"])))
        assert list(trail) == ["attach_evidence"]
    cases = [
        (scene["owner"], scene["draft"], {"data": b"GIF89a...."}, 422, "不是 PDF、JPG 或 PNG"),
        (scene["owner"], scene["draft"], {"data": PDF * 40}, 422, "过大"),
        (scene["owner"], scene["draft"], {"achievement_index": 1}, 422, "有 1 项成果，序号应为 0–0"),
        (scene["owner"], scene["draft"], {"expected_version": version - 1}, 409, "已被他人处理"),
        (scene["owner"], scene["review"], {}, 409, "申报当前处于“评审机构资格审核”环节"),
        (scene["reviewer"], scene["review"], {}, 403, "只有申报人本人"),
        (scene["stranger"], scene["draft"], {}, 404, "不存在或无权查看"),
    ]
    for actor, app_id, kw, status, fragment in cases:
        with pytest.raises(DomainError) as exc:
            attach(engine, actor, app_id, store, **kw)
        assert exc.value.status == status and fragment in exc.value.message, (kw, exc.value.message)
    with transaction(engine) as s:
        assert len(list(s.scalars(select(ApplicationEvidence.id)))) == 1


def test_update_application_tells_owner_viewer_and_stranger_apart(engine: Engine, scene: dict) -> None:
    for actor, app_id, status in (
        (scene["owner"], scene["review"], 409),
        (scene["reviewer"], scene["review"], 403),
        (scene["stranger"], scene["review"], 404),
    ):
        with pytest.raises(DomainError) as exc, transaction(engine) as s:
            svc.update_application(svc.Context(s, actor, D(2026, 9, 1)), app_id, route="exceptional")
        assert exc.value.status == status
    with transaction(engine) as s:
        app = svc.update_application(svc.Context(s, scene["owner"], D(2026, 9, 1)), scene["draft"], route="exceptional")
        assert app.route == "exceptional"


def test_evidence_follows_its_achievement_when_the_list_changes(engine: Engine, scene: dict, tmp_path: Path) -> None:
    """Files are attached by place in the list: deleting an earlier achievement moves them with theirs,
    an edit in place keeps them, a deleted achievement's file becomes general material (never another's)."""
    store = EvidenceStore(tmp_path / "evidence", max_bytes=1024)
    papers = [{"kind": "paper", "date": f"2024-0{i}-01", "title": f"论文{i}"} for i in (1, 2, 3)]

    def update(achievements: list[dict]) -> None:
        with transaction(engine) as s:
            svc.update_application(
                svc.Context(s, scene["owner"], D(2026, 9, 1)), scene["draft"], profile={"achievements": achievements}
            )

    def places() -> dict[int, int | None]:
        with transaction(engine, readonly=True) as s:
            rows = s.execute(select(ApplicationEvidence.id, ApplicationEvidence.achievement_index))
            return dict(rows.all())

    update(papers)
    ev = [
        attach(engine, scene["owner"], scene["draft"], store, data=PDF + bytes([i]), achievement_index=i)[0]
        for i in range(3)
    ]
    update([papers[1], papers[2]])  # the first paper deleted: the others' files move up with them
    assert places() == {ev[0]: None, ev[1]: 0, ev[2]: 1}
    update([dict(papers[1], title="论文2（修订题名）"), papers[2]])  # edited in place: the file stays
    assert places() == {ev[0]: None, ev[1]: 0, ev[2]: 1}
    update([papers[2], dict(papers[1], title="论文2（修订题名）")])  # reordered: each file follows its paper
    assert places() == {ev[0]: None, ev[1]: 1, ev[2]: 0}
    with transaction(engine, readonly=True) as s:
        last = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "update").order_by(AuditEntry.seq.desc())
        ).first()
        assert last is not None and last.payload["evidence_moved"] == {str(ev[1]): 1, str(ev[2]): 0}
