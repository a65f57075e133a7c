"""Constraints the services rely on: uniqueness, foreign keys, checks, compare-and-set."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from zhicheng.store.db import transaction
from zhicheng.store.models import Application, Department, IdempotencyRecord, Unit
from zhicheng.store.testing import add_application, add_round, add_user


def test_one_application_per_round_applicant_and_level(engine: Engine) -> None:
    with transaction(engine) as session:
        round_ = add_round(session)
        other_round = add_round(
            session,
            year=2026,
            window_start=round_.window_start.replace(year=2026),
            window_end=round_.window_end.replace(year=2026),
        )
        applicant = add_user(session)
        add_application(session, round_, applicant)
        add_application(session, round_, applicant, level="senior_engineer")
        add_application(session, other_round, applicant)
        ids = (round_.id, applicant.id)
    with pytest.raises(IntegrityError), transaction(engine) as session:
        round_again = session.get_one(type(round_), ids[0])
        applicant_again = session.get_one(type(applicant), ids[1])
        add_application(session, round_again, applicant_again)
    with transaction(engine) as session:
        assert len(session.scalars(select(Application)).all()) == 3


def test_idempotency_key_unique_per_actor(engine: Engine) -> None:
    with transaction(engine) as session:
        alice, bob = add_user(session), add_user(session)
        for actor in (alice, bob):
            session.add(
                IdempotencyRecord(
                    actor_id=actor.id, key="k-1", request_hash="a" * 64, response={"id": 1}, status_code=201
                )
            )
        alice_id = alice.id
    with pytest.raises(IntegrityError), transaction(engine) as session:
        session.add(
            IdempotencyRecord(actor_id=alice_id, key="k-1", request_hash="b" * 64, response={}, status_code=200)
        )


def test_applicants_need_an_id_number_staff_do_not(engine: Engine) -> None:
    with transaction(engine) as session:
        add_user(session, role="expert")
        add_user(session, role="bureau")
    with pytest.raises(IntegrityError), transaction(engine) as session:
        add_user(session, role="applicant", id_number_index=None)
    with pytest.raises(IntegrityError), transaction(engine) as session:
        add_user(session, role="superuser")
    with transaction(engine) as session:
        first = add_user(session)
        index = first.id_number_index
    with pytest.raises(IntegrityError), transaction(engine) as session:
        add_user(session, id_number_index=index)


def test_uscc_unique_and_foreign_keys_enforced(engine: Engine) -> None:
    with transaction(engine) as session:
        department = Department(name="市科学技术局")
        session.add(department)
        session.flush()
        session.add(Unit(name="青岛某研究院", uscc="91370200MA3C00000X", department_id=department.id))
    with pytest.raises(IntegrityError), transaction(engine) as session:
        session.add(Unit(name="另一家", uscc="91370200MA3C00000X"))
    with pytest.raises(IntegrityError), transaction(engine) as session:
        session.add(Unit(name="无主管", uscc="91370200MA3C00001X", department_id=999_999))
        session.flush()


def test_version_defaults_to_one_and_supports_compare_and_set(engine: Engine) -> None:
    with transaction(engine) as session:
        application = add_application(session, add_round(session), add_user(session))
        assert application.version == 1
        app_id = application.id

    def move(expected_state: str, expected_version: int, to: str) -> int:
        with transaction(engine) as session:
            result = session.execute(
                update(Application)
                .where(
                    Application.id == app_id,
                    Application.state == expected_state,
                    Application.version == expected_version,
                )
                .values(state=to, version=Application.version + 1)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    assert move("draft", 1, "submitted") == 1
    assert move("draft", 1, "withdrawn") == 0  # a stale writer loses
    with transaction(engine) as session:
        row = session.get_one(Application, app_id)
        assert (row.state, row.version) == ("submitted", 2)
