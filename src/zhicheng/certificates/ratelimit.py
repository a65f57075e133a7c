"""A fixed-window rate limiter kept in the database, so every process counts the same hits.

One row per key (``rate_limit_buckets``); a hit is a single ``INSERT … ON CONFLICT DO UPDATE …
RETURNING count`` (SQLite ≥ 3.35 and PostgreSQL), atomic without a read-modify-write race.  The
caller's transaction carries it: a refused hit raises and rolls back, so refusals never push the
window further out, and a client is let in again when its window ends.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from zhicheng.store.models import RateLimitBucket

__all__ = ["RateDecision", "hit"]

_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    count: int  # hits in this window, this one included
    retry_after: int  # seconds until the window ends


def hit(session: Session, key: str, *, limit: int, window: dt.timedelta, now: dt.datetime) -> RateDecision:
    """Count one hit of ``key`` in the window containing ``now``."""
    seconds = int(window.total_seconds())
    elapsed = int((now - _EPOCH).total_seconds())
    start = _EPOCH + dt.timedelta(seconds=elapsed - elapsed % seconds)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = (
        insert(RateLimitBucket)
        .values(key=key, window_start=start, count=1)
        .on_conflict_do_update(
            index_elements=[RateLimitBucket.key],
            set_={
                "count": case((RateLimitBucket.window_start == start, RateLimitBucket.count + 1), else_=1),
                "window_start": start,
            },
        )
    )
    stmt = upsert.returning(RateLimitBucket.count)
    count = int(session.execute(stmt).scalar_one())
    if count == 1:  # a new window for this key: a good moment to drop other clients' stale buckets
        session.execute(
            delete(RateLimitBucket)
            .where(RateLimitBucket.window_start < start - window)
            .execution_options(synchronize_session=False)
        )
    retry = math.ceil((start + window - now).total_seconds())
    return RateDecision(allowed=count <= limit, count=count, retry_after=max(retry, 1))
