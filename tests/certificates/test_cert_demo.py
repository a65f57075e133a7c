"""The demo data includes an issued certificate a new user can verify with the documented number and name
(README, docs/certificates.md §12)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from zhicheng.certificates import public
from zhicheng.certificates.config import TrustSettings
from zhicheng.demo import load_demo
from zhicheng.store.db import transaction

DEMO_NUMBER, DEMO_NAME = "ZC110000202640000019", "张伟"


def test_demo_certificate_verifies(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZHICHENG_CERT_KEY_DIR", raising=False)
    counts = load_demo(engine, tmp_path)
    assert counts["certificates"] == 1
    trust = TrustSettings.from_env(tmp_path)
    client = public.Client(masked_ip="127.0.*.*", key="demo-test")
    now = dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC)
    with transaction(engine) as s:
        answer = public.verify_by_name(s, trust, number=DEMO_NUMBER, name=DEMO_NAME, client=client, now=now)
    assert (answer.outcome, answer.valid) == ("valid", True), answer.message
    assert answer.certificate is not None and answer.certificate.title_name == "高级工程师"
    assert trust.keys.kids(), "the demo's signing key lives in the data folder"


def test_demo_has_an_account_to_activate(engine: Engine, tmp_path: Path) -> None:
    """The demo's expert_new is as an import leaves it: listed for the agency, activated with a code."""
    from sqlalchemy import select

    from zhicheng.accounts import activation
    from zhicheng.accounts.identity import protector_for
    from zhicheng.store.models import User
    from zhicheng.workflow import service as wsvc

    load_demo(engine, tmp_path)
    protector = protector_for(tmp_path)
    today = dt.date(2026, 12, 1)
    with transaction(engine) as s:
        agency = wsvc.actor_for(s.scalar(select(User).where(User.username == "agency")))
        ctx = wsvc.Context(s, agency, today)
        total, rows = activation.list_unactivated(ctx)
        assert [r.username for r in rows] == ["expert_new"] and total == 1
        issued = activation.issue_code(ctx, protector, rows[0].user_id)
    with transaction(engine) as s:
        done = activation.activate(
            s,
            protector,
            wsvc.Context(s, agency, today).now,
            account="expert_new",
            code=issued.code,
            password="Expert#2026new",
        )
    assert done.username == "expert_new" and not done.replayed
