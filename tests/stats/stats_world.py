"""A seeded season for the statistics tests: 17 applications over three round years, two documents, two units
(and one without), every kind of outcome.  The expected numbers in the tests are counted by hand from TABLE."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from zhicheng.store.db import transaction
from zhicheng.store.models import Unit
from zhicheng.store.testing import add_application, add_round, add_user
from zhicheng.workflow import service as wsvc
from zhicheng.workflow.rights import Actor

# (no., round year, document, level, route, unit, state, submitted)
TABLE = [
    (1, 2024, "ai", "senior_engineer", "regular", "A", "certified", True),
    (2, 2024, "ai", "senior_engineer", "regular", "A", "failed", True),
    (3, 2024, "ai", "engineer", "regular", "B", "certified", True),
    (4, 2024, "ai", "engineer", "exceptional", "B", "rejected", True),
    (5, 2024, "ai", "engineer", "regular", "A", "draft", False),
    (6, 2025, "ai", "senior_engineer", "regular", "A", "acceptance", True),
    (7, 2025, "ai", "senior_engineer", "exceptional", "A", "failed", True),
    (8, 2025, "ai", "engineer", "regular", "B", "results_notice", True),
    (9, 2025, "ai", "engineer", "regular", None, "committee", True),
    (10, 2025, "general", "senior_engineer", "regular", "B", "certified", True),
    (11, 2025, "general", "engineer", "direct_track", "B", "failed", True),
    (12, 2025, "general", "engineer", "regular", "A", "withdrawn", True),
    (13, 2026, "ai", "senior_engineer", "regular", "A", "agency_review", True),
    (14, 2026, "ai", "engineer", "regular", "A", "certified", True),
    (15, 2026, "general", "senior_engineer", "exceptional", "B", "vetoed", True),
    (16, 2026, "general", "engineer", "regular", "B", "failed", True),
    (17, 2026, "general", "engineer", "regular", "A", "draft", False),
]
DOCS = {"ai": "ai_bj_2020", "general": "general_bj_2020"}


@dataclass
class Season:
    engine: Engine
    agency: Actor
    bureau: Actor
    unit: Actor
    admin: Actor
    units: dict[str, int]


def seed_season(engine: Engine) -> Season:
    with transaction(engine) as s:
        units = {"A": Unit(name="A公司", uscc="91110108MA01AB2C3X"), "B": Unit(name="B公司", uscc="91110108MA01AB2C4Y")}
        s.add_all(units.values())
        s.flush()
        rounds = {}
        for year in (2024, 2025, 2026):
            for key, doc in DOCS.items():
                rounds[(year, key)] = add_round(
                    s,
                    year=year,
                    document_id=doc,
                    title=f"{year}年度{key}",
                    window_start=dt.date(year, 9, 1),
                    window_end=dt.date(year, 9, 30),
                )
        for no, year, doc, level, route, unit, state, submitted in TABLE:
            person = add_user(s, "applicant", display_name=f"申报人{no}")
            add_application(
                s,
                rounds[(year, doc)],
                person,
                level=level,
                route=route,
                unit_id=units[unit].id if unit else None,
                state=state,
                submitted_at=dt.datetime(year, 9, 10, tzinfo=dt.UTC) if submitted else None,
            )
        actors = [
            wsvc.actor_for(add_user(s, role, unit_id=units["A"].id if role == "unit" else None))
            for role in ("agency", "bureau", "unit", "admin")
        ]
        ids = {k: u.id for k, u in units.items()}
    return Season(engine, *actors, ids)
