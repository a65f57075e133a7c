"""Storage layer: database engines and transactions, models, migrations, audit trail, evidence files.

See docs/storage.md.  The most used names are re-exported here::

    from zhicheng.store import make_engine, init_db, transaction, audit
"""

from __future__ import annotations

from zhicheng.store import audit
from zhicheng.store.db import database_url, init_db, make_engine, migrate, transaction
from zhicheng.store.files import EvidenceError, EvidenceStore

__all__ = [
    "EvidenceError",
    "EvidenceStore",
    "audit",
    "database_url",
    "init_db",
    "make_engine",
    "migrate",
    "transaction",
]
