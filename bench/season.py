"""Season simulation: N applications through the whole procedure, through the domain services.

Every state change is a real service call in a transaction of its own (``store.db.transaction``), as the
API would make it: applicants create and submit, units review and run the internal notice, a Qingdao
department forwards, the agency checks qualifications (with one-time correction notices, answered or left
to expire and swept), the committee meets (one meeting per ``batch`` applications: agenda, seeded draw,
declarations, panel scores, check-in, one secret ballot per applicant, minutes), the bureau accepts, the
results notice runs (with objections, some upheld), the agency certifies and — when the certificates
service exists — issues the certificates.

The mix is drawn from a seeded RNG (``Fate``), so a run is reproducible.  ``run_season`` returns the
figures; ``python -m bench.season --n 2000`` runs one season on its own.

Like a real season, many people act at once: each phase hands its applications (and the committee its
meetings) to ``workers`` processes, forked when the phase starts so that they share what the earlier
phases learned; every process has its own connections.  The phases themselves follow one another, as
the procedure's dates do.  ``workers=1`` runs everything in this process (SQLite always does: one writer).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, func, select

from zhicheng.certificates import service as csvc
from zhicheng.certificates.config import TrustSettings
from zhicheng.errors import DomainError
from zhicheng.policy.catalog import Extension, default_catalog
from zhicheng.policy.engine import evaluate
from zhicheng.policy.profile import Profile
from zhicheng.review import service as rsvc
from zhicheng.store import audit
from zhicheng.store.db import make_engine, migrate, transaction
from zhicheng.store.models import Application, AuditEntry, Department, Role, Unit, User
from zhicheng.store.testing import postgres_unavailable_reason, scratch_database
from zhicheng.workflow import service as wsvc
from zhicheng.workflow.rights import Actor

D = dt.date
# The calendar of the simulated season (2026; the working-day calendar covers it).
OPEN_ROUND = D(2026, 8, 20)
SUBMIT = D(2026, 9, 1)
UNIT_REVIEW = D(2026, 9, 2)
RESUBMIT_TO_UNIT = D(2026, 9, 3)
RECOMMEND = D(2026, 9, 10)  # both unit notices (from 9-02 and 9-03, 5 working days) are over
FORWARD = D(2026, 9, 11)
AGENCY_REVIEW = D(2026, 9, 15)
ANSWER_CORRECTION = D(2026, 9, 17)
SECOND_REVIEW = D(2026, 9, 24)
SWEEP = D(2026, 9, 28)  # corrections issued 9-15 with 5 working days fell due on 9-22
MEETING = D(2026, 11, 10)
ACCEPTANCE = D(2026, 12, 1)
OBJECTION = D(2026, 12, 2)
DECIDE_OBJECTION = D(2026, 12, 7)
CERTIFY = D(2026, 12, 9)  # the results notice from 12-01 ends 12-07

QD_EXTENSION = D(2027, 6, 12)
QD_BASIS = "基准测试数据：假定的延续执行通知（非真实文件）"
DOCS = {"beijing": "ai_bj_2020", "qingdao": "iiot_qd_2023"}
LEVEL = "senior_engineer"
MEETING_SIZE = 11  # 按专业组建的高级评委会不少于 11 人（人社部令第40号第九条）
PANELS = 3  # three 专业评议组 of three experts per meeting
POOL = {"beijing": 30, "qingdao": 20}

PROFILES: dict[str, dict[str, Any]] = {
    "beijing": {
        "education": [{"level": "master", "graduation_date": "2012-07-01"}],
        "specialty_work_start": "2012-07-15",
        "titles": [{"grade": 3, "series": "engineering", "specialty": "人工智能", "obtained": "2018-12-01"}],
        "directions": ["ai_research"],
        "achievements": [
            {"kind": "paper", "venue": "core_journal", "rank": 1, "date": f"202{i}-03-01", "title": f"论文{i}"}
            for i in range(1, 4)
        ],
    },
    "qingdao": {
        "education": [{"level": "bachelor", "graduation_date": "2010-07-01"}],
        "specialty_work_start": "2010-07-15",
        "titles": [{"grade": 3, "series": "engineering", "obtained": "2019-06-01"}],
        "annual_assessments": [{"year": y, "result": "competent"} for y in range(2019, 2026)],
        "directions": ["iiot_platform"],
        "achievements": [
            {
                "kind": "research_project",
                "level": 3,
                "rank": 1,
                "role": "lead",
                "accepted": True,
                "date": "2023-05-01",
                "title": "市级工业互联网平台项目",
            }
        ],
    },
}


@dataclass(frozen=True, slots=True)
class Fate:
    """What happens to one application (drawn once, from the seeded RNG)."""

    procedure: str  # beijing | qingdao
    route: str  # regular | exceptional (破格: the committee hears an interview before the ballot)
    withdraw: bool  # the applicant withdraws the draft
    unit_return: bool  # the unit returns it once for changes
    unit_decline: bool  # the unit does not recommend
    correction: str | None  # None | "answered" | "expired" (one-time correction notice)
    reject: bool  # the agency finds it ineligible
    coauthor: int | None  # an expert of the pool is a co-author: detected conflict, recusal
    vote_fail: bool  # the committee votes it down
    objection: str | None  # None | "dismissed" | "upheld" (during the results notice)


def draw_fates(n: int, seed: int) -> list[Fate]:
    rng = random.Random(seed)
    fates = []
    for _ in range(n):
        correction = None
        if rng.random() < 0.10:
            correction = "expired" if rng.random() < 0.15 else "answered"
        objection = None
        if rng.random() < 0.012:
            objection = "upheld" if rng.random() < 0.3 else "dismissed"
        procedure = "qingdao" if rng.random() < 0.15 else "beijing"
        fates.append(
            Fate(
                procedure=procedure,
                route="exceptional" if rng.random() < 0.02 else "regular",
                withdraw=rng.random() < 0.02,
                unit_return=rng.random() < 0.03,
                unit_decline=rng.random() < 0.015,
                correction=correction,
                reject=rng.random() < 0.02,
                coauthor=rng.randrange(POOL[procedure]) if rng.random() < 0.01 else None,
                vote_fail=rng.random() < 0.12,
                objection=objection,
            )
        )
    return fates


@dataclass
class SeasonResult:
    n: int
    backend: str
    workers: int  # processes acting at once
    seconds: float  # the procedure, from opening the rounds to the last certificate
    setup_seconds: float  # accounts, units, experts (bulk inserts, not transitions)
    transactions: int  # state-changing service calls, each its own transaction
    audit_entries: int  # entries appended to the hash chain during the procedure
    application_transitions: int  # moves of an application from one step to another
    phases: dict[str, float] = field(default_factory=dict)
    services: dict[str, list[Any]] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    meetings: int = 0
    certificates: int = 0
    audit_ok: bool = False

    @property
    def transactions_per_s(self) -> float:
        return self.transactions / self.seconds if self.seconds else 0.0

    @property
    def transitions_per_s(self) -> float:
        return self.application_transitions / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "backend": self.backend,
            "workers": self.workers,
            "seconds": round(self.seconds, 3),
            "setup_seconds": round(self.setup_seconds, 3),
            "transactions": self.transactions,
            "transactions_per_s": round(self.transactions_per_s, 1),
            "audit_entries": self.audit_entries,
            "application_transitions": self.application_transitions,
            "transitions_per_s": round(self.transitions_per_s, 1),
            "us_per_transaction": round(1e6 * self.seconds / max(1, self.transactions), 1),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "services_ms": {k: {"count": c, "mean_ms": round(1000 * t / c, 2)} for k, (c, t) in self.services.items()},
            "outcomes": dict(self.outcomes),
            "meetings": self.meetings,
            "certificates": self.certificates,
            "audit_ok": self.audit_ok,
        }


class Season:
    def __init__(
        self, engine: Engine, n: int, key_dir: Path, *, seed: int = 2026, batch: int = 150, workers: int = 1
    ) -> None:
        self.engine, self.n, self.batch = engine, n, batch
        self.workers = 1 if engine.dialect.name == "sqlite" else max(1, workers)
        self.trust = TrustSettings(key_dir=key_dir)
        self.closed_meetings: list[tuple[str, int, list[int]]] = []
        self.fates = draw_fates(n, seed)
        self.rng = random.Random(seed + 1)
        self.transactions = 0
        self.services: dict[str, list[Any]] = {}  # service call -> [count, seconds] (commit included)
        self.phases: dict[str, float] = {}
        self.meetings = 0
        self.certificates = 0
        self.app_fate: dict[int, Fate] = {}
        self.applicant_of: dict[int, Actor] = {}
        self.judgements: dict[str, list[dict[str, Any]]] = {}

    # ---- one service call, one transaction
    def tx(self, actor: Actor, today: dt.date, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        with transaction(self.engine) as s:
            result = fn(wsvc.Context(s, actor, today), *args, **kw)
        self.transactions += 1
        name = fn.__name__ if fn is not wsvc.act else f"act:{args[1]}"
        stat = self.services.setdefault(name, [0, 0.0])
        stat[0] += 1
        stat[1] += time.perf_counter() - t
        return result

    def read(self, actor: Actor, today: dt.date, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        with transaction(self.engine, readonly=True) as s:
            return fn(wsvc.Context(s, actor, today), *args, **kw)

    def act(self, actor: Actor, today: dt.date, app_id: int, action: str, **kw: Any) -> None:
        self.tx(actor, today, wsvc.act, app_id, action, **kw)

    # ---- accounts and organisations (bulk inserts: the accounts exist before the season starts)
    def setup(self) -> None:
        n_units = max(4, self.n // 40)
        with transaction(self.engine) as s:
            dept = Department(name="新区工业和信息化局")
            s.add(dept)
            s.flush()
            units = [
                Unit(
                    name=f"基准单位{i:05d}",
                    uscc=f"91{i:016d}",
                    department_id=dept.id if i % 5 == 0 else None,
                )
                for i in range(n_units)
            ]
            s.add_all(units)
            s.flush()
            # Qingdao applicants belong to units under the department; Beijing ones to the others
            self.units = {
                "qingdao": [u.id for u in units if u.department_id is not None],
                "beijing": [u.id for u in units if u.department_id is None],
            }
            staff = [self._user("agency"), self._user("bureau"), self._user("department", department_id=dept.id)]
            s.add_all(staff)
            unit_users = {u.id: self._user("unit", unit_id=u.id) for u in units}
            s.add_all(unit_users.values())
            experts = {
                proc: [self._user("expert", display_name=f"{proc[:2]}专家{i:02d}") for i in range(size)]
                for proc, size in POOL.items()
            }
            for group in experts.values():
                s.add_all(group)
            s.flush()
            self.agency, self.bureau, self.department = (wsvc.actor_for(u) for u in staff)
            self.unit_actor = {uid: wsvc.actor_for(u) for uid, u in unit_users.items()}
            self.experts = {p: [Actor(user_id=u.id, role="expert") for u in g] for p, g in experts.items()}
            self.expert_names = {p: [u.display_name for u in g] for p, g in experts.items()}
        self.applicants: list[Actor] = []
        rng = random.Random(7)
        for start in range(0, self.n, 2000):
            with transaction(self.engine) as s:
                users = []
                for i in range(start, min(self.n, start + 2000)):
                    unit = rng.choice(self.units[self.fates[i].procedure])
                    users.append(self._user("applicant", unit_id=unit, display_name=f"申报人{i:06d}"))
                s.add_all(users)
                s.flush()
                self.applicants += [wsvc.actor_for(u) for u in users]
        # the reviewer's findings on the qualitative items, once per profile (the catalog as extended below)
        cat = default_catalog().with_extensions({DOCS["qingdao"]: Extension(until=QD_EXTENSION, basis=QD_BASIS)})
        for proc, doc in DOCS.items():
            v = evaluate(Profile.model_validate(PROFILES[proc]), doc, LEVEL, SUBMIT, cat)
            self.judgements[proc] = [{"condition": r.id, "passed": True, "note": "材料核实"} for r in v.review_items]

    @staticmethod
    def _user(role: str, **fields: Any) -> User:
        suffix = uuid.uuid4().hex
        values: dict[str, Any] = {
            "username": f"{role}-{suffix[:16]}",
            "display_name": f"{role}{suffix[:4]}",
            "role": role,
            "password_hash": "$argon2id$bench",
        }
        if role == Role.APPLICANT:
            values["id_number_index"] = suffix + suffix[:32]
            values["id_number_masked"] = "110***********002X"
        values.update(fields)
        return User(**values)

    # ---- the procedure
    @contextmanager
    def phase(self, name: str, progress: Progress | None, task: Any, items: int) -> Iterator[Callable[[], None]]:
        if progress is not None:
            progress.update(task, description=f"{self.n:,} 份 · {name}", total=items, completed=0)
        t = time.perf_counter()

        def step() -> None:
            if progress is not None:
                progress.advance(task)

        yield step
        self.phases[name] = time.perf_counter() - t

    def run(self, progress: Progress | None = None) -> SeasonResult:
        t0 = time.perf_counter()
        self.setup()
        setup_s = time.perf_counter() - t0
        with transaction(self.engine, readonly=True) as s:
            audit_before = s.scalar(select(func.count(AuditEntry.seq))) or 0
        task = progress.add_task(f"{self.n:,} 份", total=self.n) if progress is not None else None
        t0 = time.perf_counter()
        self.open_rounds_and_committees()
        apps = self.apply(progress, task)
        apps = self.unit_review(apps, progress, task)
        apps = self.agency_review(apps, progress, task)
        passed = self.committee(apps, progress, task)
        certified = self.results(passed, progress, task)
        self.issue_certificates(certified, progress, task)
        seconds = time.perf_counter() - t0
        if progress is not None and task is not None:
            progress.update(task, description=f"{self.n:,} 份 · 完成", total=1, completed=1)
        with transaction(self.engine, readonly=True) as s:
            states = Counter(dict(s.execute(select(Application.state, func.count()).group_by(Application.state)).all()))
            entries = (s.scalar(select(func.count(AuditEntry.seq))) or 0) - audit_before
            moves = s.scalar(
                select(func.count(AuditEntry.seq)).where(
                    AuditEntry.entity == "application", AuditEntry.from_state.is_not(None)
                )
            )
        with transaction(self.engine) as s:  # verify takes the head lock: a writable transaction
            ok = audit.verify(s).ok
        return SeasonResult(
            n=self.n,
            backend=self.engine.dialect.name,
            workers=self.workers,
            seconds=seconds,
            setup_seconds=setup_s,
            transactions=self.transactions,
            audit_entries=entries,
            application_transitions=int(moves or 0),
            phases=self.phases,
            services=self.services,
            outcomes=dict(sorted(states.items())),
            meetings=self.meetings,
            certificates=self.certificates,
            audit_ok=ok,
        )

    def open_rounds_and_committees(self) -> None:
        a = self.agency
        self.tx(
            a,
            OPEN_ROUND,
            wsvc.register_extension,
            document_id=DOCS["qingdao"],
            until=QD_EXTENSION,
            basis=QD_BASIS,
        )
        self.rounds, self.committees = {}, {}
        for proc, doc in DOCS.items():
            rnd = self.tx(
                a,
                OPEN_ROUND,
                wsvc.open_round,
                document_id=doc,
                levels=[LEVEL],
                kind="annual",
                year=2026,
                title=f"2026年度{doc}高级工程师评审",
                window_start=D(2026, 9, 1),
                window_end=D(2026, 9, 30),
            )
            self.rounds[proc] = rnd.id
            committee = self.tx(
                a,
                OPEN_ROUND,
                rsvc.register_committee,
                name=f"基准评委会-{doc}-{uuid.uuid4().hex[:6]}",
                document_id=doc,
                organised_by="specialty",
                levels=[LEVEL],
            )
            self.committees[proc] = committee.id
            self.tx(
                a,
                OPEN_ROUND,
                rsvc.record_filing,
                committee.id,
                filed_on=D(2026, 1, 1),
                expires_on=D(2028, 12, 31),
                reference="基准备案〔2026〕1号",
            )
            for e in self.experts[proc]:
                self.tx(
                    a,
                    OPEN_ROUND,
                    rsvc.register_expert,
                    user_id=e.user_id,
                    title="正高级工程师",
                    title_grade=5,
                    specialty="人工智能" if proc == "beijing" else "工业互联网",
                    unit_name="某研究院",
                    unit_uscc="91110000400000000A",
                    term_start=D(2025, 1, 1),
                    term_end=D(2027, 12, 31),
                )
            self.tx(a, OPEN_ROUND, rsvc.add_to_pool, committee.id, [e.user_id for e in self.experts[proc]])

    # ---- running a phase's items, in this process or in forked workers
    def each(self, method: Callable[[Any], Any], items: Sequence[Any], step: Callable[[], None]) -> list[Any]:
        """``method(item)`` for every item, results in item order.  With several workers, the processes
        are forked now (they see the season as it stands) and each takes chunks of items in turn."""
        if self.workers == 1 or len(items) < 2:
            out = []
            for item in items:
                out.append(method(item))
                step()
            return out
        global _SEASON
        _SEASON = self
        size = max(1, min(25, len(items) // (4 * self.workers)))
        chunks = [(method.__name__, k, items[k : k + size]) for k in range(0, len(items), size)]
        self.engine.dispose()  # no pooled connection may cross the fork
        results: dict[int, list[Any]] = {}
        with multiprocessing.get_context("fork").Pool(self.workers, initializer=_worker_start) as pool:
            for k, done, transactions, services in pool.imap_unordered(_worker_chunk, chunks):
                results[k] = done
                self.transactions += transactions
                for name, (count, seconds) in services.items():
                    stat = self.services.setdefault(name, [0, 0.0])
                    stat[0] += count
                    stat[1] += seconds
                for _ in done:
                    step()
        return [r for k in sorted(results) for r in results[k]]

    # ---- the phases
    def apply(self, progress: Progress | None, task: Any) -> list[int]:
        with self.phase("申报与提交", progress, task, self.n) as step:
            created = self.each(self.apply_one, range(self.n), step)
        for i, (app_id, _) in enumerate(created):
            self.app_fate[app_id] = self.fates[i]
            self.applicant_of[app_id] = self.applicants[i]
        return [app_id for app_id, submitted in created if submitted]

    def apply_one(self, i: int) -> tuple[int, bool]:
        who, fate = self.applicants[i], self.fates[i]
        profile = dict(PROFILES[fate.procedure], name=who_name(i))
        if fate.coauthor is not None:
            first = dict(profile["achievements"][0], coauthors=[self.expert_names[fate.procedure][fate.coauthor]])
            profile["achievements"] = [first, *profile["achievements"][1:]]
        app = self.tx(
            who,
            SUBMIT,
            wsvc.create_application,
            round_id=self.rounds[fate.procedure],
            level=LEVEL,
            route=fate.route,
            profile=profile,
        )
        if fate.withdraw:
            self.act(who, SUBMIT, app.id, "withdraw")
            return app.id, False
        self.act(who, SUBMIT, app.id, "submit", data={"pledge": True})
        return app.id, True

    def unit_review(self, apps: list[int], progress: Progress | None, task: Any) -> list[int]:
        with self.phase("单位审核与公示", progress, task, 2 * len(apps)) as step:
            noticed = [a for a, ok in zip(apps, self.each(self.unit_review_one, apps, step), strict=True) if ok]
            self.each(self.recommend_one, noticed, step)
        return noticed

    def unit_of(self, app_id: int) -> Actor:
        return self.unit_actor[self.applicant_of[app_id].unit_id or 0]

    def unit_review_one(self, app_id: int) -> bool:
        """The unit declines, or (after one return and resubmission) starts the internal notice."""
        fate, who, unit = self.app_fate[app_id], self.applicant_of[app_id], self.unit_of(app_id)
        if fate.unit_decline:
            self.act(unit, UNIT_REVIEW, app_id, "decline", reason="本单位推荐名额已满，本年度不予推荐")
            return False
        if fate.unit_return:
            self.act(unit, UNIT_REVIEW, app_id, "return", reason="请补充论文的检索证明后重新提交")
            self.act(who, RESUBMIT_TO_UNIT, app_id, "submit", data={"pledge": True})
            self.act(unit, RESUBMIT_TO_UNIT, app_id, "start_notice")
        else:
            self.act(unit, UNIT_REVIEW, app_id, "start_notice")
        return True

    def recommend_one(self, app_id: int) -> None:
        self.act(self.unit_of(app_id), RECOMMEND, app_id, "recommend")
        if self.app_fate[app_id].procedure == "qingdao":
            self.act(self.department, FORWARD, app_id, "forward")

    def agency_review(self, apps: list[int], progress: Progress | None, task: Any) -> list[int]:
        with self.phase("资格审核与补正", progress, task, len(apps)) as step:
            first = self.each(self.agency_review_one, apps, step)
            accepted = [a for a, outcome in zip(apps, first, strict=True) if outcome == "accepted"]
            corrected = [a for a, outcome in zip(apps, first, strict=True) if outcome == "correction"]
            answered = [a for a in corrected if self.app_fate[a].correction == "answered"]
            self.each(self.answer_correction_one, answered, lambda: None)
            swept = wsvc.sweep_expired_corrections(self.engine, SWEEP)
            self.transactions += len(swept)
            self.each(self.second_review_one, answered, lambda: None)
        return accepted + answered

    def agency_review_one(self, app_id: int) -> str:
        fate = self.app_fate[app_id]
        if fate.reject:
            self.act(self.agency, AGENCY_REVIEW, app_id, "reject", reason="所列论文发表时间早于现职称取得时间，不计入")
            return "rejected"
        if fate.correction:
            items = {"items": ["补充论文检索证明", "补充职称证书扫描件"], "workdays": 5}
            self.act(self.agency, AGENCY_REVIEW, app_id, "request_correction", data=items)
            return "correction"
        data = {"judgements": self.judgements[fate.procedure]}
        self.act(self.agency, AGENCY_REVIEW, app_id, "accept", data=data)
        return "accepted"

    def answer_correction_one(self, app_id: int) -> None:
        self.act(self.applicant_of[app_id], ANSWER_CORRECTION, app_id, "resubmit")

    def second_review_one(self, app_id: int) -> None:
        data = {"judgements": self.judgements[self.app_fate[app_id].procedure]}
        self.act(self.agency, SECOND_REVIEW, app_id, "accept", data=data)

    def committee(self, apps: list[int], progress: Progress | None, task: Any) -> list[int]:
        """One meeting per ``batch`` applications of a procedure; meetings run side by side."""
        sittings: list[tuple[int, str, tuple[int, ...]]] = []
        for proc in DOCS:
            mine = [a for a in apps if self.app_fate[a].procedure == proc]
            for start in range(0, len(mine), self.batch):
                sittings.append((len(sittings) + 1, proc, tuple(mine[start : start + self.batch])))
        self.meetings = len(sittings)
        with self.phase("评审会议与表决", progress, task, len(sittings)) as step:
            held = self.each(self.meeting, sittings, step)
        self.closed_meetings = [(proc, mid, passed) for (_, proc, _), (mid, passed) in zip(sittings, held, strict=True)]
        return [a for _, _, passed in self.closed_meetings for a in passed]

    def meeting(self, sitting: tuple[int, str, tuple[int, ...]]) -> tuple[int, list[int]]:
        number, proc, apps = sitting
        a, committee = self.agency, self.committees[proc]
        mid = self.tx(
            a, MEETING, rsvc.create_meeting, committee_id=committee, title=f"评审会议{number}", held_on=MEETING
        ).id
        self.tx(a, MEETING, rsvc.add_to_agenda, mid, list(apps))
        thirds = [tuple(apps[i::PANELS]) for i in range(PANELS)]
        panels = [rsvc.PanelRequest(f"评议{i + 1}组", t) for i, t in enumerate(thirds) if t]
        proposal = self.read(
            a,
            MEETING,
            rsvc.propose_assignment,
            mid,
            size=MEETING_SIZE,
            panels=panels,
            seed=f"meeting-{mid}",
            exclude_conflicted=False,  # conflicted experts sit and recuse per applicant
        )
        self.tx(a, MEETING, rsvc.commit_assignment, mid, proposal)
        by_id = {e.user_id: e for e in self.experts[proc]}
        members = [by_id[e] for e in proposal.members]
        for m in members:
            self.tx(m, MEETING, rsvc.declare, mid, [], confirm=True)
        for m in members:
            for row in self.read(m, MEETING, rsvc.agenda, mid):
                if row.on_my_panel:
                    opinion = f"业绩与成果材料完整，符合评审标准（评议意见 {row.application_id}）"
                    score = 55 if self.app_fate[row.application_id].vote_fail else 82
                    self.tx(m, MEETING, rsvc.submit_score, mid, row.application_id, score=score, opinion=opinion)
        self.tx(a, MEETING, rsvc.open_meeting, mid)
        absent = members[number % len(members)] if number % 3 == 0 else None  # one absent, at times
        attending = [m for m in members if m is not absent]
        for m in attending:
            self.tx(m, MEETING, rsvc.check_in, mid)
        passed = []
        for app_id in apps:
            fate = self.app_fate[app_id]
            recused = by_id[self.experts[proc][fate.coauthor].user_id] if fate.coauthor is not None else None
            voters = [m for m in attending if m is not recused]
            if fate.route == "exceptional":  # 破格: an interview by three members before the ballot
                self.tx(
                    a,
                    MEETING,
                    rsvc.record_interview,
                    mid,
                    app_id,
                    held_on=MEETING,
                    result="fail" if fate.vote_fail else "pass",
                    summary="申报人陈述主要业绩并回答专家提问，思路清晰，业绩属实。",
                    examiners=[m.user_id for m in voters[:3]],
                )
            self.tx(a, MEETING, rsvc.open_ballot, mid, app_id)
            yes = len(voters) // 2 if fate.vote_fail else len(voters) - 1
            for k, m in enumerate(voters):
                choice = "yes" if k < yes else ("no" if fate.vote_fail else "abstain")
                self.tx(m, MEETING, rsvc.cast_ballot, mid, app_id, choice)
            tally = self.tx(a, MEETING, rsvc.close_ballot, mid, app_id)
            if tally.passed:
                passed.append(app_id)
            assert tally.passed != fate.vote_fail, (app_id, tally)
        self.tx(a, MEETING, rsvc.close_meeting, mid)
        return mid, passed

    def results(self, apps: list[int], progress: Progress | None, task: Any) -> list[int]:
        with self.phase("验收、结果公示与发证", progress, task, len(self.closed_meetings) + len(apps)) as step:
            # 验收: the bureau accepts each closed meeting's passed applicants under one approval number
            self.each(self.accept_one, list(enumerate(self.closed_meetings, start=1)), step)
            objected = [a for a in apps if self.app_fate[a].objection]
            self.each(self.objection_one, objected, lambda: None)
            outcomes = self.each(self.certify_one, apps, step)
        return [a for a, certified in zip(apps, outcomes, strict=True) if certified]

    def accept_one(self, numbered: tuple[int, tuple[str, int, list[int]]]) -> None:
        k, (proc, mid, passed) = numbered
        if passed:
            number = f"京人社职字〔2026〕{k}号" if proc == "beijing" else f"青西新人社字〔2026〕{k}号"
            self.tx(self.bureau, ACCEPTANCE, csvc.accept_results, approval_number=number, meeting_id=mid)

    def objection_one(self, app_id: int) -> None:
        """Someone objects during the results notice (the public reads the notice page for its number);
        the agency looks into it and decides."""
        with transaction(self.engine) as s:
            app = s.get(Application, app_id)
            assert app is not None
            notice = wsvc.current_notice(s, app, "results")
            assert notice is not None
            obj = wsvc.file_objection(
                s,
                notice_id=notice.id,
                application_id=app_id,
                content="申报人所列代表作并非本人独立完成，请核查署名情况。",
                name="李明",
                contact="13800000000",
                today=OBJECTION,
            )
        self.transactions += 1
        upheld = self.app_fate[app_id].objection == "upheld"
        decision = "经核查署名情况属实，异议成立。" if upheld else "经核查期刊署名，申报人为第一作者，异议不成立。"
        self.tx(self.agency, DECIDE_OBJECTION, wsvc.decide_objection, obj.id, upheld=upheld, decision=decision)

    def certify_one(self, app_id: int) -> bool:
        if self.app_fate[app_id].objection == "upheld":
            self.act(self.agency, CERTIFY, app_id, "record_fail", reason="结果公示期间异议经核查属实")
            return False
        self.act(self.agency, CERTIFY, app_id, "certify")
        return True

    def issue_certificates(self, apps: list[int], progress: Progress | None, task: Any) -> None:
        """One signed certificate per certified application, each in its own transaction."""
        with self.phase("签发电子证书", progress, task, len(apps)) as step:
            self.certificates = len(self.each(self.issue_one, apps, step))

    def issue_one(self, app_id: int) -> None:
        self.tx(self.agency, CERTIFY, csvc.issue_certificates, self.trust, [app_id])


# The season a forked worker serves (set by Season.each just before the fork).
_SEASON: Season | None = None


def _worker_start() -> None:
    assert _SEASON is not None
    _SEASON.engine.dispose(close=False)  # the parent's connections stay the parent's


def _worker_chunk(job: tuple[str, int, Sequence[Any]]) -> tuple[int, list[Any], int, dict[str, list[Any]]]:
    """Run one chunk in a worker; return its results and the transactions and timings it added."""
    name, k, items = job
    season = _SEASON
    assert season is not None
    season.transactions, season.services = 0, {}
    method = getattr(season, name)
    done = [method(item) for item in items]
    return k, done, season.transactions, season.services


def who_name(i: int) -> str:
    return f"申报人{i:06d}"


def run_season(
    n: int,
    *,
    backend: str = "postgres",
    seed: int = 2026,
    batch: int = 150,
    workers: int = 1,
    progress: Progress | None = None,
    tmp_dir: Path | None = None,
) -> SeasonResult:
    """One season of ``n`` applications on a fresh scratch database (schema dropped afterwards), with
    ``workers`` processes acting at once (PostgreSQL; SQLite runs in one)."""
    with (
        tempfile.TemporaryDirectory(prefix="zc-season-", dir=tmp_dir) as tmp,
        scratch_database(backend, Path(tmp)) as url,
    ):
        engine = make_engine(url)
        try:
            migrate(engine)
            return Season(engine, n, Path(tmp) / "keys", seed=seed, batch=batch, workers=workers).run(progress)
        finally:
            engine.dispose()


def default_workers() -> int:
    """One process per core: on two cores two clients keep both busy, PostgreSQL's share included."""
    return os.cpu_count() or 1


def season_backend() -> tuple[str, str | None]:
    reason = postgres_unavailable_reason()
    return ("sqlite", reason) if reason else ("postgres", None)


def main() -> None:
    ap = argparse.ArgumentParser(description="评审季模拟：N 份申报走完全部程序")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=150, help="每场评审会议的申报数")
    ap.add_argument("--sqlite", action="store_true", help="用 SQLite（默认 PostgreSQL）")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--workers", type=int, default=default_workers(), help="同时办理的进程数（SQLite 恒为 1）")
    args = ap.parse_args()
    console = Console()
    backend = "sqlite" if args.sqlite else "postgres"
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        result = run_season(
            args.n, backend=backend, seed=args.seed, batch=args.batch, workers=args.workers, progress=progress
        )
    console.print(result.as_dict())


if __name__ == "__main__":
    try:
        main()
    except DomainError as exc:
        raise SystemExit(f"{exc.status} {exc.code}: {exc.message}") from None
