"""Helpers for the storage-backed certificate and integrity tests (imported by the test modules).

A small world on the ``engine`` fixture's database: an agency, a bureau, applicants whose applications
wait for acceptance (state ``acceptance``, as after a committee's pass), and trust settings with a key
folder of the test's own.  Every service call runs in its own transaction with a consistent clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from zhicheng.certificates import service as csvc
from zhicheng.certificates.config import TrustSettings
from zhicheng.certificates.signing import BEIJING
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, Certificate, Unit
from zhicheng.store.testing import add_application, add_round, add_user
from zhicheng.workflow import service as wsvc
from zhicheng.workflow.rights import Actor

D = dt.date
ACCEPT_DAY = D(2026, 12, 1)  # results notice 12-01 … 12-07 (5 working days)
ISSUE_DAY = D(2026, 12, 8)
APPROVAL = "京人社职字〔2026〕18号"
BASE_URL = "https://zc.example.gov.cn"


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BEIJING).astimezone(dt.UTC)


@dataclass
class CertWorld:
    engine: Engine
    trust: TrustSettings
    agency: Actor
    bureau: Actor
    applicants: list[Actor]
    apps: list[int]
    names: dict[int, str] = field(default_factory=dict)  # applicant user id -> name

    def run(self, actor: Actor, fn: Callable[..., Any], *args: Any, today: dt.date = ISSUE_DAY, **kw: Any) -> Any:
        with transaction(self.engine) as s:
            return fn(wsvc.Context(s, actor, today, now=at(today)), *args, **kw)

    def accept(self, app_ids: list[int] | None = None, today: dt.date = ACCEPT_DAY) -> csvc.AcceptanceView:
        ids = app_ids if app_ids is not None else self.apps
        return self.run(self.bureau, csvc.accept_results, approval_number=APPROVAL, application_ids=ids, today=today)

    def issue(self, app_ids: list[int] | None = None, today: dt.date = ISSUE_DAY) -> list[csvc.CertificateView]:
        ids = app_ids if app_ids is not None else self.apps
        return self.run(self.agency, csvc.issue_certificates, self.trust, ids, today=today)

    def issued(self) -> list[csvc.CertificateView]:
        """Accept everything, let the notice run out, issue: one certificate per application."""
        self.accept()
        return self.issue()

    def certificate(self, number: str) -> Certificate:
        with transaction(self.engine) as s:
            cert = s.scalar(select(Certificate).where(Certificate.number == number))
            assert cert is not None
            s.expunge(cert)
            return cert

    def state(self, app_id: int) -> str:
        with transaction(self.engine) as s:
            app = s.get(Application, app_id)
            assert app is not None
            return app.state


def build_world(engine: Engine, tmp_path: Path, *, applicants: int = 2, document: str = "ai_bj_2020") -> CertWorld:
    trust = TrustSettings(base_url=BASE_URL, key_dir=tmp_path / "keys")
    names = ["张伟", "李娜", "王芳", "刘洋", "陈静", "杨磊", "赵敏", "黄强"]
    with transaction(engine) as s:
        unit = Unit(name="北京某智能科技有限公司", uscc="91110108MA01ABCD1X")
        s.add(unit)
        s.flush()
        agency = wsvc.actor_for(add_user(s, "agency"))
        bureau = wsvc.actor_for(add_user(s, "bureau"))
        rnd = add_round(s, year=2026, document_id=document, levels=["engineer", "senior_engineer"])
        people, apps, by_id = [], [], {}
        for i in range(applicants):
            user = add_user(s, "applicant", display_name=names[i], unit_id=unit.id)
            app = add_application(s, rnd, user, level="senior_engineer", state="acceptance", unit_id=unit.id)
            people.append(wsvc.actor_for(user))
            apps.append(app.id)
            by_id[user.id] = names[i]
    return CertWorld(engine, trust, agency, bureau, people, apps, by_id)
