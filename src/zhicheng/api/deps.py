"""Request plumbing shared by every router.

* :class:`Settings`: database URL (``store.db.database_url``), data and evidence folders, upload limit,
  token lifetime and the lock-out policy (5 failures → locked 15 minutes, as on the Shandong platform),
  how long expired tokens and idempotency records are kept (the sweeper, ``workflow.service.purge_expired``).
* :class:`Runtime`: what one app instance holds (engine on ``app.state.engine``, created and migrated on
  first use; the personal-data protector; the evidence store).
* :class:`Clock` on ``app.state.clock``: ``now()`` (UTC) and ``today()`` (the calendar day in Beijing);
  tests put a :class:`FixedClock` there and move it forward.
* One database transaction per request (``store.db.transaction``; read-only for GET), committed before
  the response is sent, rolled back on any refusal.
* The current user from ``Authorization: Bearer <token>``; the domain ``Context`` built from it.
* :meth:`Call.reply`: the ``Idempotency-Key`` protocol (store the first response in the same transaction,
  replay it for the same request, refuse the key for a different one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from sqlalchemy import Engine, Select, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.accounts.identity import protector_for
from zhicheng.accounts.protect import PersonalDataProtector
from zhicheng.api.errors import unauthenticated
from zhicheng.errors import DomainError, forbidden
from zhicheng.store import audit
from zhicheng.store.db import database_url, init_db, make_engine, normalise_url, transaction
from zhicheng.store.files import DEFAULT_MAX_BYTES, EvidenceStore
from zhicheng.store.models import AuthToken, IdempotencyRecord, User
from zhicheng.workflow.service import Context, actor_for

try:
    BEIJING: dt.tzinfo = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # pragma: no cover - no tz database; China has kept UTC+8 without DST since 1991
    BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

MAX_ID = 2_147_483_647  # the largest key both databases store in an INTEGER column
MAX_OFFSET = 1_000_000_000
MAX_PAGE = 100
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


# ---------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """Configuration of one app instance; :meth:`from_env` reads the ``ZHICHENG_*`` variables."""

    database_url: str | None = None  # None: store.db.database_url() ($ZHICHENG_DATABASE_URL or ./data SQLite)
    data_dir: Path | None = None  # None: the SQLite file's folder, else $ZHICHENG_DATA_DIR or ./data
    evidence_dir: Path | None = None  # None: <data dir>/evidence
    max_upload_bytes: int = DEFAULT_MAX_BYTES
    token_lifetime: dt.timedelta = dt.timedelta(hours=8)
    max_failed_logins: int = 5
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    # the hourly sweeper deletes tokens expired or revoked longer ago, and older idempotency records
    token_retention: dt.timedelta = dt.timedelta(days=1)
    idempotency_retention: dt.timedelta = dt.timedelta(days=7)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if env.get("ZHICHENG_DATA_DIR", "").strip():
            values["data_dir"] = Path(env["ZHICHENG_DATA_DIR"].strip())
        if env.get("ZHICHENG_EVIDENCE_DIR", "").strip():
            values["evidence_dir"] = Path(env["ZHICHENG_EVIDENCE_DIR"].strip())
        if env.get("ZHICHENG_MAX_UPLOAD_MB", "").strip():
            values["max_upload_bytes"] = int(float(env["ZHICHENG_MAX_UPLOAD_MB"]) * 1024 * 1024)
        if env.get("ZHICHENG_TOKEN_HOURS", "").strip():
            values["token_lifetime"] = dt.timedelta(hours=float(env["ZHICHENG_TOKEN_HOURS"]))
        if env.get("ZHICHENG_TOKEN_RETENTION_DAYS", "").strip():
            values["token_retention"] = dt.timedelta(days=float(env["ZHICHENG_TOKEN_RETENTION_DAYS"]))
        if env.get("ZHICHENG_IDEMPOTENCY_DAYS", "").strip():
            values["idempotency_retention"] = dt.timedelta(days=float(env["ZHICHENG_IDEMPOTENCY_DAYS"]))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


# ---------------------------------------------------------------- clock
class Clock:
    """Real time: ``now()`` in UTC, ``today()`` as the calendar day in Beijing (Asia/Shanghai).

    Calling the clock returns ``today()``, so code that treats ``app.state.clock`` as a plain
    ``() -> date`` callable (the web pages do) reads the same day.
    """

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().astimezone(BEIJING).date()

    def __call__(self) -> dt.date:
        return self.today()


class CallableClock(Clock):
    """Adapts a plain ``() -> date`` (or ``() -> datetime``) put on ``app.state.clock``: that day, at the
    current Beijing time of day."""

    def __init__(self, fn: Callable[[], dt.date]) -> None:
        self.fn = fn

    def now(self) -> dt.datetime:
        value = self.fn()
        if isinstance(value, dt.datetime):
            return (value if value.tzinfo else value.replace(tzinfo=BEIJING)).astimezone(dt.UTC)
        at = dt.datetime.now(BEIJING).timetz()
        return dt.datetime.combine(value, at).astimezone(dt.UTC)


class FixedClock(Clock):
    """A clock that stands still until moved (tests, demos): ``set(day)``, ``advance(timedelta)``."""

    def __init__(self, day: dt.date | dt.datetime, at: dt.time = dt.time(9, 0)) -> None:
        self._now = self._at(day, at)

    @staticmethod
    def _at(day: dt.date | dt.datetime, at: dt.time) -> dt.datetime:
        if isinstance(day, dt.datetime):
            if day.tzinfo is None:
                raise ValueError("FixedClock needs a timezone-aware datetime")
            return day.astimezone(dt.UTC)
        return dt.datetime.combine(day, at, tzinfo=BEIJING).astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, day: dt.date | dt.datetime, at: dt.time = dt.time(9, 0)) -> None:
        self._now = self._at(day, at)

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta


# ---------------------------------------------------------------- runtime
class Runtime:
    """Engine, protector and evidence store of one app; each made on first use, thread-safely."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self._owns_engine = engine is None
        self._migrated = False
        self._lock = threading.Lock()

    def url(self) -> URL:
        if self._engine is not None:
            return self._engine.url
        return normalise_url(self.settings.database_url or database_url())

    def engine(self) -> Engine:
        if self._engine is not None and self._migrated:
            return self._engine
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(self.url())
            if not self._migrated:
                init_db(self._engine)
                self._migrated = True
            return self._engine

    @cached_property
    def data_dir(self) -> Path:
        if self.settings.data_dir is not None:
            return Path(self.settings.data_dir)
        url = self.url()
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).resolve().parent
        return Path(os.environ.get("ZHICHENG_DATA_DIR", "data")).resolve()

    @cached_property
    def protector(self) -> PersonalDataProtector:
        """ZHICHENG_SECRET_KEY in production; the development key file in the data folder otherwise."""
        return protector_for(self.data_dir)

    @cached_property
    def evidence(self) -> EvidenceStore:
        root = self.settings.evidence_dir or self.data_dir / "evidence"
        return EvidenceStore(Path(root), max_bytes=self.settings.max_upload_bytes)

    def close(self) -> None:
        if self._engine is not None and self._owns_engine:
            self._engine.dispose()


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def as_clock(value: Clock | dt.date | Callable[[], dt.date] | None) -> Clock:
    """A Clock from what may be put on ``app.state.clock``: a Clock, a fixed date, a ``() -> date``."""
    if value is None:
        return Clock()
    if isinstance(value, Clock):
        return value
    if isinstance(value, dt.date):
        return FixedClock(value)
    return CallableClock(value)


def clock_of(request: Request) -> Clock:
    return as_clock(getattr(request.app.state, "clock", None))


# ---------------------------------------------------------------- one transaction per request
LOCKS_ROWS = "zhicheng_locks_rows"


def locks_rows(endpoint: Callable[..., T]) -> Callable[..., T]:
    """Mark a GET endpoint that needs a writable transaction (it takes row locks, e.g. audit verify)."""
    setattr(endpoint, LOCKS_ROWS, True)
    return endpoint


def _session(request: Request) -> Iterator[Session]:
    runtime = runtime_of(request)
    engine = runtime.engine()
    request.app.state.engine = engine
    readonly = request.method in ("GET", "HEAD") and not getattr(request.scope.get("endpoint"), LOCKS_ROWS, False)
    with transaction(engine, readonly=readonly) as session:
        yield session


# scope="function": the transaction ends (commit or rollback) before the response is sent, so a client
# never sees a success whose commit failed.
SessionDep = Annotated[Session, Depends(_session, scope="function")]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    description="登录（POST /api/auth/login）取得的令牌：`Authorization: Bearer <令牌>`",
)


# ---------------------------------------------------------------- tokens
TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def authenticate(session: Session, token: str, now: dt.datetime) -> tuple[User, AuthToken]:
    """The user a bearer token belongs to, or 401 (unknown, expired, revoked, or the account disabled)."""
    row = session.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == token_digest(token))
    ).first()
    if row is None:
        raise unauthenticated("登录令牌无效，请重新登录")
    tok, user = row
    if tok.revoked_at is not None:
        raise unauthenticated("您已退出登录，请重新登录")
    if tok.expires_at <= now:
        raise unauthenticated("登录已过期，请重新登录")
    if not user.is_active:
        raise unauthenticated("账号已停用，请联系管理员")
    return user, tok


# ---------------------------------------------------------------- the call
@dataclass
class Call:
    """Everything an endpoint needs: the session (one transaction), the clock, the runtime, the user."""

    request: Request
    session: Session
    clock: Clock
    runtime: Runtime
    user: User | None = None
    token: AuthToken | None = None
    _now: dt.datetime = field(init=False)

    def __post_init__(self) -> None:
        self._now = self.clock.now()  # one instant per request

    @property
    def now(self) -> dt.datetime:
        return self._now

    @property
    def today(self) -> dt.date:
        return self._now.astimezone(BEIJING).date()

    @cached_property
    def ctx(self) -> Context:
        if self.user is None:  # pragma: no cover - only reachable by a wiring mistake
            raise unauthenticated()
        return Context(self.session, actor_for(self.user), self.today, now=self.now)

    def require(self, allowed: bool, message: str) -> None:
        """Refuse with 403 unless ``allowed`` (the answer of a ``Rights`` question)."""
        if not allowed:
            raise forbidden(message)

    def reply(
        self,
        produce: Callable[[], BaseModel],
        *,
        status_code: int = 200,
        key: str | None = None,
        request_body: Any = None,
    ) -> JSONResponse:
        """Run ``produce`` and answer with its model; with an ``Idempotency-Key``, exactly once per key.

        The first call stores (actor, key, request hash, status, response) in the request's transaction;
        a retry with the same key and the same request gets the stored response (header
        ``Idempotent-Replayed: true``) and changes nothing; the same key with a different request is
        refused (422). Refusals are not stored: their transaction rolls back, so a retry runs again.
        Anonymous requests have no actor to scope a key to; their key is ignored.
        """
        if key is None or self.user is None:
            return JSONResponse(produce().model_dump(mode="json"), status_code=status_code)
        digest = hashlib.sha256(
            audit.canonical_json(
                {
                    "method": self.request.method,
                    "path": self.request.url.path,
                    "query": str(self.request.url.query),
                    "body": request_body,
                }
            )
        ).hexdigest()
        stored = self.session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.actor_id == self.user.id, IdempotencyRecord.key == key)
        )
        if stored is not None:
            if stored.request_hash != digest:
                raise DomainError(
                    422,
                    "idempotency_key_reused",
                    "幂等键已用于不同的请求",
                    [("Idempotency-Key", "同一幂等键只能用于同一请求；新的请求请使用新的幂等键")],
                )
            return JSONResponse(
                stored.response, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"}
            )
        body = produce().model_dump(mode="json")
        self.session.add(
            IdempotencyRecord(
                actor_id=self.user.id,
                key=key,
                request_hash=digest,
                response=body,
                status_code=status_code,
                created_at=self.now,
            )
        )
        try:
            self.session.flush()
        except IntegrityError:
            raise DomainError(409, "idempotency_in_progress", "使用同一幂等键的请求正在处理，请稍后重试") from None
        return JSONResponse(body, status_code=status_code)


def public_call(request: Request, session: SessionDep) -> Call:
    return Call(request, session, clock_of(request), runtime_of(request))


def user_call(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Call:
    call = Call(request, session, clock_of(request), runtime_of(request))
    if credentials is None or not credentials.credentials:
        raise unauthenticated()
    call.user, call.token = authenticate(session, credentials.credentials, call.now)
    return call


PublicCall = Annotated[Call, Depends(public_call)]
UserCall = Annotated[Call, Depends(user_call)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="幂等键（可选，1–128 个可见 ASCII 字符）：同一键重试同一请求只执行一次，返回首次的响应",
    ),
]


# ---------------------------------------------------------------- input types
def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("不能包含空字符")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]  # databases refuse NUL in text columns
Text64 = Annotated[str, StringConstraints(max_length=64), AfterValidator(_no_nul)]
Text100 = Annotated[str, StringConstraints(max_length=100), AfterValidator(_no_nul)]
Text200 = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]
Text2000 = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_no_nul)]
Text5000 = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_no_nul)]


DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
ApplicationId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="申报编号")]


# ---------------------------------------------------------------- pagination
@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int


def paging(
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="跳过的条数")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="每页条数（1–100）")] = 20,
) -> Paging:
    return Paging(offset, limit)


PagingDep = Annotated[Paging, Depends(paging)]


def mapping(session: Session, stmt: Select[K, V]) -> dict[K, V]:
    """{first column: second column} of a two-column select (ids to names, counts)."""
    return {key: value for key, value in session.execute(stmt)}


def fetch_page(session: Session, stmt: Select[T], page: Paging) -> tuple[int, list[T]]:
    """(total, rows of this page) for a select of one entity; the count uses the same filter."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.offset(page.offset).limit(page.limit)))
    return total, rows
