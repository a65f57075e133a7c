"""Operator commands on both databases: `zhicheng audit verify` (a writable transaction: verify locks the
chain head FOR SHARE, which PostgreSQL refuses in a READ ONLY one) and the sweeper's clean-up of expired
login tokens and old idempotency records (`zhicheng sweep`, `workflow.service.purge_expired`)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, delete, func, select, update
from typer.testing import CliRunner

from zhicheng.cli import app
from zhicheng.store import audit
from zhicheng.store.db import transaction
from zhicheng.store.models import AuditEntry, AuthToken, IdempotencyRecord
from zhicheng.store.testing import add_user
from zhicheng.workflow import service as svc

runner = CliRunner()
D = dt.date
NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def cli_db(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The CLI pointed at the test's database (a SQLite file or a PostgreSQL schema)."""
    monkeypatch.setenv("ZHICHENG_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


def some_history(engine: Engine) -> None:
    with transaction(engine) as s:
        agency = svc.actor_for(add_user(s, "agency"))
        for year in (2026, 2027, 2028):
            svc.open_round(
                svc.Context(s, agency, D(2026, 8, 20)),
                document_id="ai_bj_2020",
                levels=["senior_engineer"],
                kind="annual",
                year=year,
                title=f"{year}年度评审",
                window_start=D(2026, 9, 1),
                window_end=D(2026, 9, 30),
            )
        svc.record_sanction(
            svc.Context(s, svc.actor_for(add_user(s, "bureau")), D(2026, 8, 20)),
            id_number_index="f" * 64,
            kind="disciplinary",
            start=D(2026, 1, 1),
            end=D(2026, 12, 31),
            reason="警告处分",
            source="某纪委决定",
        )


def test_cli_audit_verify_detects_an_edited_and_a_deleted_entry(cli_db: Engine) -> None:
    some_history(cli_db)
    r = runner.invoke(app, ["audit", "verify"])
    assert r.exit_code == 0 and "审计日志完整：4 条" in r.output, r.output
    with cli_db.begin() as c:
        c.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(action="forged"))
        c.execute(delete(AuditEntry).where(AuditEntry.seq == 3))
    r = runner.invoke(app, ["audit", "verify"])
    assert r.exit_code == 1, r.output
    assert "第 2 条记录的内容与其哈希不符" in r.output and "第 4 条之前缺少第 3 条" in r.output


def tokens_and_records(engine: Engine) -> dict[str, int]:
    """Tokens and idempotency records of every age around the retention cut-offs (1 day, 7 days)."""
    with transaction(engine) as s:
        user = add_user(s, "agency")
        ages = {
            "live": (NOW + DAY, None),
            "expired_recently": (NOW - DAY / 2, None),
            "expired_long_ago": (NOW - 3 * DAY, None),
            "revoked_recently": (NOW + DAY, NOW - DAY / 2),
            "revoked_long_ago": (NOW + DAY, NOW - 2 * DAY),
        }
        ids = {}
        for name, (expires, revoked) in ages.items():
            digest = name.ljust(64, "0")[:64]
            token = AuthToken(token_hash=digest, user_id=user.id, expires_at=expires, revoked_at=revoked)
            s.add(token)
            s.flush()
            ids[name] = token.id
        for i, age in enumerate((1, 6, 8, 30)):
            s.add(
                IdempotencyRecord(
                    actor_id=user.id,
                    key=f"k{i}",
                    request_hash="0" * 64,
                    response={},
                    status_code=200,
                    created_at=NOW - age * DAY,
                )
            )
    return ids


def purge(engine: Engine, batch: int = 1000) -> svc.Purged:
    return svc.purge_expired(engine, NOW, token_retention=DAY, idempotency_retention=7 * DAY, batch=batch)


def test_purge_keeps_what_is_still_useful_and_is_safe_twice_at_once(engine: Engine) -> None:
    ids = tokens_and_records(engine)
    results: list[svc.Purged] = []
    barrier = threading.Barrier(2)

    def sweeper() -> None:
        barrier.wait()
        results.append(purge(engine, batch=1))  # one row per transaction: the two sweepers interleave

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.tokens for r in results) == 2 and sum(r.idempotency_records for r in results) == 2
    with transaction(engine) as s:
        left = set(s.scalars(select(AuthToken.id)))
        assert left == {ids["live"], ids["expired_recently"], ids["revoked_recently"]}
        assert sorted(s.scalars(select(IdempotencyRecord.key))) == ["k0", "k1"]
        runs = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "purge_expired")))
        assert sum(e.payload["auth_tokens"] for e in runs) == 2 and audit.verify(s).ok
    assert not purge(engine)  # nothing left to do: no deletion, no audit entry
    with transaction(engine) as s:
        purges = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "purge_expired")
        assert s.scalar(purges) == len(runs)


def test_sweep_command_purges_with_the_configured_retention(cli_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens_and_records(cli_db)
    monkeypatch.setenv("ZHICHENG_TOKEN_RETENTION_DAYS", "0.25")
    monkeypatch.setenv("ZHICHENG_IDEMPOTENCY_DAYS", "2")
    r = runner.invoke(app, ["sweep", "--as-of", "2026-09-01"])  # at the end of that day in Beijing (15:59 UTC)
    assert r.exit_code == 0, r.output
    # kept 6 h: every token expired or revoked before 09:59 UTC goes (4); records older than 2 days (3)
    assert "已清理过期登录令牌 4 个、过期幂等记录 3 条" in r.output, r.output
    r = runner.invoke(app, ["sweep", "--as-of", "2026-09-01"])
    assert "已清理过期登录令牌 0 个、过期幂等记录 0 条" in r.output
