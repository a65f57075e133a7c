"""The hash-chained audit trail: append, verify, and detection of tampering."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, insert, select, text

from zhicheng.store.audit import (
    GENESIS_HASH,
    AuditHeadMissingError,
    append,
    canonical_json,
    entry_hash,
    verify,
)
from zhicheng.store.db import transaction
from zhicheng.store.models import AuditEntry, AuditHead


def _append_n(engine: Engine, n: int) -> None:
    for i in range(n):
        with transaction(engine) as session:
            append(
                session,
                actor_id=7,
                role="agency",
                action="application.transition",
                entity="application",
                entity_id=100 + i,
                from_state="submitted",
                to_state="qualified",
                payload={"reason": "材料齐全", "n": i, "masked": "110***********002X"},
            )


def _codes(engine: Engine) -> list[tuple[str, int | None]]:
    with transaction(engine) as session:
        report = verify(session)
    return [(p.code, p.seq) for p in report.problems]


def test_append_and_verify(engine: Engine) -> None:
    with transaction(engine) as session:
        empty = verify(session)
    assert empty.ok and empty.entries == 0 and empty.head_seq == 0 and empty.head_hash == GENESIS_HASH

    _append_n(engine, 3)
    with transaction(engine) as session:
        report = verify(session)
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        head = session.get(AuditHead, 1)
    assert report.ok, report.summary()
    assert report.entries == 3 and report.head_seq == 3
    assert "审计链完整" in report.summary()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert head is not None and head.hash == entries[2].hash == report.head_hash
    assert entries[0].entity_id == "100"
    assert entries[0].created_at.utcoffset() is not None
    # the documented hash format, recomputed by hand
    first = entries[0]
    assert first.hash == entry_hash(
        GENESIS_HASH,
        seq=1,
        created_at=first.created_at,
        actor_id=7,
        role="agency",
        action="application.transition",
        entity="application",
        entity_id="100",
        from_state="submitted",
        to_state="qualified",
        payload={"masked": "110***********002X", "n": 0, "reason": "材料齐全"},
    )


def test_canonical_json() -> None:
    assert canonical_json({"b": 1, "a": ["中", None]}) == '{"a":["中",null],"b":1}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_payload_is_normalised_and_must_be_json(engine: Engine) -> None:
    with transaction(engine) as session:
        entry = append(session, None, "public", "objection.submit", "objection", None, payload={"ids": (1, 2)})
        assert entry.payload == {"ids": [1, 2]}
        with pytest.raises(ValueError, match="JSON"):
            append(session, None, "public", "x", "y", None, payload={"when": object()})
        with pytest.raises(TypeError):
            append(session, None, "public", "x", "y", None, payload=["not", "a", "dict"])  # type: ignore[arg-type]
    with transaction(engine) as session:
        assert verify(session).ok


def test_rolled_back_append_leaves_no_trace(engine: Engine) -> None:
    _append_n(engine, 1)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        append(session, 1, "admin", "user.lock", "user", 5)
        raise RuntimeError("caller failed")
    _append_n(engine, 1)
    with transaction(engine) as session:
        report = verify(session)
        seqs = session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
    assert report.ok and seqs == [1, 2]


def test_edited_field_names_the_seq(engine: Engine) -> None:
    _append_n(engine, 5)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET to_state = 'rejected' WHERE seq = 3"))
    with transaction(engine) as session:
        report = verify(session)
    assert not report.ok
    assert [(p.code, p.seq) for p in report.problems] == [("hash", 3)]
    assert "第 3 条记录的内容与其哈希不符" in report.problems[0].message
    assert "1 处问题" in report.summary()


def test_edited_payload_detected(engine: Engine) -> None:
    _append_n(engine, 2)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET payload = :p WHERE seq = 1"), {"p": '{"reason":"改过","n":0}'}
        )
    assert _codes(engine) == [("hash", 1)]


def test_rehashed_entry_breaks_the_next_link(engine: Engine) -> None:
    _append_n(engine, 4)
    with transaction(engine) as session:
        row = session.get(AuditEntry, 2)
        assert row is not None
        forged = entry_hash(
            row.prev_hash,
            seq=2,
            created_at=row.created_at,
            actor_id=row.actor_id,
            role=row.role,
            action=row.action,
            entity=row.entity,
            entity_id=row.entity_id,
            from_state=row.from_state,
            to_state="rejected",
            payload=row.payload,
        )
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET to_state = 'rejected', hash = :h WHERE seq = 2"), {"h": forged}
        )
    with transaction(engine) as session:
        report = verify(session)
    assert [(p.code, p.seq) for p in report.problems] == [("prev_hash", 3)]
    assert "第 3 条记录的前序哈希与第 2 条" in report.problems[0].message


def test_deleted_middle_entry_detected(engine: Engine) -> None:
    _append_n(engine, 5)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
    with transaction(engine) as session:
        report = verify(session)
    assert [(p.code, p.seq) for p in report.problems] == [("gap", 4)]
    assert "第 4 条之前缺少第 3 条记录" in report.problems[0].message


def test_deleted_first_entries_detected(engine: Engine) -> None:
    _append_n(engine, 4)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq IN (1, 2)"))
    assert _codes(engine) == [("gap", 3)]


def test_deleted_last_entry_detected(engine: Engine) -> None:
    _append_n(engine, 5)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 5"))
    with transaction(engine) as session:
        report = verify(session)
    assert [(p.code, p.seq) for p in report.problems] == [("tail_missing", 5)]
    assert "链头指向第 5 条，但现存最后一条是第 4 条" in report.problems[0].message


def test_deleted_middle_and_last_entries_detected(engine: Engine) -> None:
    _append_n(engine, 6)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq IN (2, 6)"))
    assert _codes(engine) == [("gap", 3), ("tail_missing", 6)]


def test_entry_inserted_after_head_detected(engine: Engine) -> None:
    _append_n(engine, 2)
    with transaction(engine) as session:
        last = session.get(AuditEntry, 2)
        assert last is not None
        values = {c.name: getattr(last, c.key) for c in AuditEntry.__table__.c}
    values["seq"] = 3
    values["prev_hash"] = values["hash"]
    with engine.begin() as connection:
        connection.execute(insert(AuditEntry).values(values))
    with transaction(engine) as session:
        report = verify(session)
    assert [(p.code, p.seq) for p in report.problems] == [("hash", 3), ("after_head", 3)]
    assert "其后还有 1 条记录" in report.problems[1].message


def test_head_rewritten_detected(engine: Engine) -> None:
    _append_n(engine, 2)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_head SET hash = :h"), {"h": "f" * 64})
    assert _codes(engine) == [("head_hash", 2)]


def test_missing_head(engine: Engine) -> None:
    _append_n(engine, 1)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_head"))
    assert _codes(engine) == [("head_missing", None)]
    with pytest.raises(AuditHeadMissingError, match="审计链头记录缺失"), transaction(engine) as session:
        append(session, 1, "admin", "x", "y", 1)


def test_concurrent_appends_keep_one_contiguous_chain(engine: Engine) -> None:
    threads_n, per_thread = 8, 10
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads_n)

    def worker(actor: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction(engine) as session:
                    append(session, actor, "expert", "score.save", "application", i, payload={"t": actor})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with transaction(engine) as session:
        report = verify(session)
        seqs = session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
        actors = session.scalars(select(AuditEntry.actor_id)).all()
    assert report.ok, report.summary()
    assert seqs == list(range(1, threads_n * per_thread + 1))
    assert set(actors) == set(range(threads_n))
