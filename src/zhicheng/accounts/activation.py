"""Activation and password-reset codes (激活码、密码重置码): how an account without a password gets one.

Accounts made by an Excel import (applicants and experts, ``passwords.NO_PASSWORD``) cannot sign in until
the person sets a password; a person who forgot theirs asks the review agency (评审服务机构) for a reset.
Both go the same way (docs/accounts.md):

1. **Issue.** The agency — or, for its own applicants, the employer unit (``Rights.account_code_scope``) —
   issues a one-time code for one account (:func:`issue_code`), or for every imported account still
   without a password (:func:`issue_pending_codes`, optionally only those of one import, named by the
   SHA-256 the import reported).  A code is 10 characters from an alphabet without look-alikes
   (no 0/O, 1/I/L), shown grouped as ``ABCDE-FGHJK``; about 49 bits, read out or typed easily.  Only a
   keyed hash is stored (HMAC-SHA256 under the personal-data master key, bound to the account), so
   neither the database nor the audit trail ever holds a usable code.  It expires (default 14 days).
   Issuing a code voids the account's pending one, in the same transaction; a partial unique index
   keeps at most one pending code per account even under concurrent requests.
2. **Use.** The person gives their username *or* their ID number (an imported applicant does not know
   the generated username; the ID number is what they know), the code and a new password that meets the
   registration policy (:func:`activate`).  A wrong code counts as a failed login of that account: the
   same lock-out as the login (5 failures → 15 minutes, ``Lockout``), and attempts are counted on the
   code.  Success sets the password, consumes the code, clears the failure count and revokes every
   login token of the account (a reset ends other sessions) — all in one transaction.  Sending the same
   request again after success is answered as success (``replayed``), not as "code already used".

Every issue, use, failed attempt and lock is audited; the code itself never is.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.accounts.identity import resident_id_index
from zhicheng.accounts.idnumbers import IdNumberError
from zhicheng.accounts.passwords import check_password_strength, has_usable_password, hash_password, verify_password
from zhicheng.accounts.protect import PersonalDataProtector
from zhicheng.errors import DomainError, conflict, forbidden, invalid, not_found
from zhicheng.store import audit
from zhicheng.store.models import ActivationCode, Application, AuditEntry, AuthToken, CodePurpose, Unit, User

if TYPE_CHECKING:
    from zhicheng.workflow.service import Context

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "DEFAULT_VALIDITY",
    "PURPOSE_NAMES",
    "AccountStatus",
    "Activated",
    "ActivationRefused",
    "IssuedCode",
    "Lockout",
    "activate",
    "code_table",
    "find_account",
    "format_code",
    "issue_code",
    "issue_pending_codes",
    "list_unactivated",
    "normalise_code",
]

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: no 0/O, 1/I/L look-alikes
CODE_LENGTH = 10
GROUP = 5
DEFAULT_VALIDITY = dt.timedelta(days=14)
MAX_VALIDITY_DAYS = 90
CODE_FIELD = "account-activation-code"  # blind-index domain of the code hashes
RECENT_CODES = 5  # an attempt is compared with the account's latest codes (to tell used and voided ones)
ISSUING_ROLES = ("applicant", "expert")
PURPOSE_NAMES = {CodePurpose.ACTIVATION.value: "激活码", CodePurpose.RESET.value: "密码重置码"}
WRONG_CODE = "用户名（身份证号）或激活码不正确"
NOT_ACTIVATED = "账户尚未激活，请向评审服务机构领取激活码"
_ID_LIKE = re.compile(r"\d{17}[0-9Xx]")
_SEPARATORS = re.compile(r"[\s\-_.·]+")
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # China keeps UTC+8 without DST


@dataclass(frozen=True, slots=True)
class Lockout:
    """The account lock-out rule (``api.deps.Settings``: max_failed_logins, lockout)."""

    max_failures: int = 5
    duration: dt.timedelta = dt.timedelta(minutes=15)


class ActivationRefused(DomainError):
    """A refused activation that must be *answered*, not raised through the transaction: the failure count
    and the audit line are committed.  ``headers``: ``Retry-After`` when the account is locked."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, code, message, fields)
        self.headers = dict(headers or {})


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A code just issued: the only moment its plain text exists (it is shown once, never stored)."""

    user_id: int
    username: str
    display_name: str
    role: str
    id_number_masked: str | None
    unit_name: str | None
    purpose: str
    code: str  # grouped, e.g. "ABCDE-FGHJK"
    expires_at: dt.datetime

    @property
    def purpose_name(self) -> str:
        return PURPOSE_NAMES[self.purpose]


@dataclass(frozen=True, slots=True)
class Activated:
    user_id: int
    username: str
    purpose: str
    replayed: bool  # the same request again after success: nothing changed


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """One account still without a password, and the state of its latest code."""

    user_id: int
    username: str
    display_name: str
    role: str
    id_number_masked: str | None
    unit_name: str | None
    code_state: str  # none | pending | expired
    code_expires_at: dt.datetime | None


# ---------------------------------------------------------------- codes
def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise_code(text: str) -> str | None:
    """The code as typed (full-width, lower case, spaces or hyphens) → its 10 symbols; None if it cannot be one."""
    folded = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    if len(folded) != CODE_LENGTH or any(ch not in ALPHABET for ch in folded):
        return None
    return folded


def _digest(protector: PersonalDataProtector, user_id: int, code: str, key_id: str | None = None) -> str:
    return protector.blind_index(f"{user_id}:{code}", field=CODE_FIELD, key_id=key_id)


def _matches(protector: PersonalDataProtector, row: ActivationCode, code: str) -> bool:
    # every configured key: a code issued before a key rotation still works until it expires
    return any(
        hmac.compare_digest(row.code_hash, _digest(protector, row.user_id, code, key_id))
        for key_id in protector.key_ids
    )


def beijing(moment: dt.datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------- finding the account
def find_account(session: Session, protector: PersonalDataProtector, account: str) -> User | None:
    """The account named by its username or by the holder's 18-digit ID number (blind index)."""
    text = unicodedata.normalize("NFKC", account).strip()
    if _ID_LIKE.fullmatch(text):
        try:
            index = resident_id_index(protector, text)
        except IdNumberError as exc:
            raise invalid("account", f"身份证号有误：{exc}") from None
        return session.scalar(select(User).where(User.id_number_index == index))
    return session.scalar(select(User).where(User.username == text))


# ---------------------------------------------------------------- issuing
def _validity(validity: dt.timedelta) -> dt.timedelta:
    if not dt.timedelta(days=1) <= validity <= dt.timedelta(days=MAX_VALIDITY_DAYS):
        raise invalid("valid_days", f"有效期应为1至{MAX_VALIDITY_DAYS}天")
    return validity


def _check_issuer(ctx: Context, user: User | None) -> User:
    kind, _ = ctx.rights.account_code_scope()
    if kind == "none":
        raise forbidden("只有评审服务机构（或申报人所在单位）可以签发激活码、密码重置码")
    if user is None:
        raise not_found("账号")
    if not ctx.rights.can_issue_account_code(user.role, user.unit_id):
        if user.role not in ISSUING_ROLES:
            raise forbidden("只能为申报人、评审专家账号签发激活码或密码重置码；工作人员账号由系统管理员管理")
        raise not_found("账号")  # another unit's applicant, or an expert for a unit: as if it did not exist
    return user


def _unit_name(session: Session, unit_id: int | None) -> str | None:
    return None if unit_id is None else session.scalar(select(Unit.name).where(Unit.id == unit_id))


def issue_code(
    ctx: Context,
    protector: PersonalDataProtector,
    user_id: int,
    *,
    purpose: str | None = None,
    validity: dt.timedelta = DEFAULT_VALIDITY,
) -> IssuedCode:
    """Issue a code for one account, voiding its pending one.  ``purpose`` defaults to ``activation`` for an
    account without a password and ``reset`` otherwise; an activation code for an activated account is
    refused (409), a reset code for an account without a password is issued as an activation code."""
    s = ctx.session
    user = _check_issuer(ctx, s.get(User, user_id, with_for_update=True))
    validity = _validity(validity)
    if purpose is not None and purpose not in PURPOSE_NAMES:
        raise invalid("purpose", "应为 activation（激活码）或 reset（密码重置码）")
    if not user.is_active:
        raise conflict("该账号已停用，不能签发激活码")
    usable = has_usable_password(user.password_hash)
    if purpose == CodePurpose.ACTIVATION and usable:
        raise DomainError(
            409,
            "already_activated",
            "该账号已激活（已设置密码）；忘记密码请签发密码重置码",
            [("purpose", "该账号已激活，请改为签发密码重置码")],
        )
    purpose = CodePurpose.RESET.value if usable else CodePurpose.ACTIVATION.value
    voided = list(
        s.scalars(
            update(ActivationCode)
            .where(
                ActivationCode.user_id == user.id, ActivationCode.used_at.is_(None), ActivationCode.voided_at.is_(None)
            )
            .values(voided_at=ctx.now)
            .returning(ActivationCode.id)
            .execution_options(synchronize_session=False)
        )
    )
    code = new_code()
    row = ActivationCode(
        user_id=user.id,
        purpose=purpose,
        code_hash=_digest(protector, user.id, code),
        issued_by=ctx.actor.user_id or None,
        created_at=ctx.now,
        expires_at=ctx.now + validity,
    )
    s.add(row)
    try:
        with s.begin_nested():
            s.flush()
    except IntegrityError:  # a concurrent request issued a code for this account first
        raise conflict("另一个请求正在为该账号签发激活码，请刷新后重试") from None
    ctx.audit(
        f"issue_{purpose}_code",
        "user",
        user.id,
        payload={"code_id": row.id, "purpose": purpose, "expires_at": row.expires_at.isoformat(), "voided": voided},
    )
    return IssuedCode(
        user.id,
        user.username,
        user.display_name,
        user.role,
        user.id_number_masked,
        _unit_name(s, user.unit_id),
        purpose,
        format_code(code),
        row.expires_at,
    )


def _import_user_ids(session: Session, sha256: str) -> set[int]:
    """The accounts an import (named by its file's SHA-256, as reported) created or touched."""
    digest = sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise invalid("import_batch", "应为导入时报告的文件 SHA-256（64位十六进制）")
    entries = list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "import",
                AuditEntry.entity_id == digest,
                AuditEntry.action.in_(("import_applications", "import_experts")),
            )
        )
    )
    if not entries:
        raise invalid("import_batch", "没有找到该批次（文件 SHA-256）的导入记录")
    users: set[int] = set()
    applications: set[int] = set()
    for e in entries:
        payload: dict[str, Any] = e.payload or {}
        ids = {int(i) for key in ("created", "updated") for i in payload.get(key, [])}
        (users if e.action == "import_experts" else applications).update(ids)
    if applications:
        users.update(session.scalars(select(Application.applicant_id).where(Application.id.in_(applications))))
    return users


def _unactivated(ctx: Context, *, role: str | None, import_batch: str | None) -> Any:
    kind, unit_id = ctx.rights.account_code_scope()
    if kind == "none":
        raise forbidden("只有评审服务机构（或申报人所在单位）可以签发激活码、密码重置码")
    if role is not None and role not in ISSUING_ROLES:
        raise invalid("role", "应为 applicant（申报人）或 expert（评审专家）")
    roles: tuple[str, ...] = ("applicant",) if kind == "unit" else ((role,) if role else ISSUING_ROLES)
    if kind == "unit" and role == "expert":
        roles = ()
    stmt = select(User).where(User.password_hash.startswith("!"), User.is_active.is_(True), User.role.in_(roles))
    if kind == "unit":
        stmt = stmt.where(User.unit_id == unit_id)
    if import_batch:
        stmt = stmt.where(User.id.in_(_import_user_ids(ctx.session, import_batch)))
    return stmt


def _live(now: dt.datetime) -> Any:
    return and_(
        ActivationCode.user_id == User.id,
        ActivationCode.used_at.is_(None),
        ActivationCode.voided_at.is_(None),
        ActivationCode.expires_at > now,
    )


def issue_pending_codes(
    ctx: Context,
    protector: PersonalDataProtector,
    *,
    import_batch: str | None = None,
    role: str | None = None,
    reissue: bool = False,
    validity: dt.timedelta = DEFAULT_VALIDITY,
) -> list[IssuedCode]:
    """Activation codes for every account in the actor's scope still without a password (optionally of one
    import and one role).  Accounts whose code is still valid are left alone unless ``reissue`` — the codes
    already handed out stay good, and running it again after a new import covers only the new accounts."""
    _validity(validity)
    stmt = _unactivated(ctx, role=role, import_batch=import_batch)
    if not reissue:
        stmt = stmt.where(~exists().where(_live(ctx.now)))
    ids = list(ctx.session.scalars(stmt.with_only_columns(User.id).order_by(User.id)))
    return [issue_code(ctx, protector, user_id, validity=validity) for user_id in ids]


def list_unactivated(
    ctx: Context, *, offset: int = 0, limit: int = 20, role: str | None = None, import_batch: str | None = None
) -> tuple[int, list[AccountStatus]]:
    """Accounts in the actor's scope still without a password, with the state of their latest code."""
    stmt = _unactivated(ctx, role=role, import_batch=import_batch)
    total = ctx.session.scalar(stmt.with_only_columns(func.count(User.id))) or 0
    users = list(ctx.session.scalars(stmt.order_by(User.id).offset(offset).limit(limit)))
    ids = [u.id for u in users]
    pending: dict[int, dt.datetime] = {}
    if ids:
        pending = {
            uid: expires
            for uid, expires in ctx.session.execute(
                select(ActivationCode.user_id, ActivationCode.expires_at).where(
                    ActivationCode.user_id.in_(ids),
                    ActivationCode.used_at.is_(None),
                    ActivationCode.voided_at.is_(None),
                )
            )
        }
    units = {u.unit_id for u in users if u.unit_id is not None}
    names: dict[int, str] = {}
    if units:
        names = {uid: name for uid, name in ctx.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(units)))}
    out = []
    for u in users:
        expires = pending.get(u.id)
        state = "none" if expires is None else ("pending" if expires > ctx.now else "expired")
        out.append(
            AccountStatus(
                u.id,
                u.username,
                u.display_name,
                u.role,
                u.id_number_masked,
                names.get(u.unit_id) if u.unit_id is not None else None,
                state,
                expires,
            )
        )
    return total, out


# ---------------------------------------------------------------- the sheet to hand out
ROLE_LABELS = {"applicant": "申报人", "expert": "评审专家"}
CODE_HEADERS = ["序号", "姓名", "用户名", "身份证号", "单位", "角色", "类别", "激活码", "有效期至（北京时间）"]


def code_table(codes: Sequence[IssuedCode], *, issued_on: dt.date) -> Any:
    """The codes as a published table (exchange.sheets), one row per account, to print and hand out."""
    from zhicheng.exchange.sheets import Table  # lazy: openpyxl only when a sheet is written

    rows = [
        [
            i,
            c.display_name,
            c.username,
            c.id_number_masked or "",
            c.unit_name or "",
            ROLE_LABELS.get(c.role, c.role),
            c.purpose_name,
            c.code,
            beijing(c.expires_at),
        ]
        for i, c in enumerate(codes, start=1)
    ]
    return Table(
        "激活码",
        "账户激活码发放表",
        list(CODE_HEADERS),
        rows,
        subtitle=[f"{issued_on.isoformat()} 签发，共 {len(rows)} 个账户"],
        notes=[
            "本人凭用户名或身份证号、激活码，在平台“首次登录/激活账户”页面（/activate）设置密码后登录。",
            "激活码一次有效，过期作废；重新签发后原激活码作废。本表含激活码，请当面或密封发放，发放后妥善销毁。",
        ],
    )


# ---------------------------------------------------------------- using a code
def _lock_message(user: User, now: dt.datetime) -> ActivationRefused:
    assert user.locked_until is not None
    wait = int((user.locked_until - now).total_seconds()) + 1
    return ActivationRefused(
        429,
        "account_locked",
        f"连续失败次数过多，账号已锁定至{beijing(user.locked_until)}（北京时间），请届时再试",
        headers={"Retry-After": str(wait)},
    )


def _fail(session: Session, user: User, pending: ActivationCode | None, now: dt.datetime, lockout: Lockout) -> None:
    """A wrong code: counted on the code and as a failed login of the account; the lock-out of the login."""
    if pending is not None:
        pending.attempts += 1
    user.failed_logins += 1
    locked = user.failed_logins >= lockout.max_failures
    audit.append(
        session,
        actor_id=user.id,
        role=user.role,
        action="activation_failed",
        entity="user",
        entity_id=str(user.id),
        payload={"code_id": pending.id if pending else None, "attempts": pending.attempts if pending else None},
        at=now,
    )
    if locked:
        user.failed_logins = 0
        user.locked_until = now + lockout.duration
        audit.append(
            session,
            actor_id=user.id,
            role=user.role,
            action="lock_account",
            entity="user",
            entity_id=str(user.id),
            payload={"until": user.locked_until.isoformat(), "by": "activation"},
            at=now,
        )
        minutes = int(lockout.duration.total_seconds() // 60)
        raise ActivationRefused(
            429,
            "account_locked",
            f"连续{lockout.max_failures}次失败，账号已锁定{minutes}分钟，至{beijing(user.locked_until)}（北京时间）解锁",
            headers={"Retry-After": str(int(lockout.duration.total_seconds()))},
        )
    raise ActivationRefused(401, "activation_failed", WRONG_CODE, [("code", WRONG_CODE)])


def activate(
    session: Session,
    protector: PersonalDataProtector,
    now: dt.datetime,
    *,
    account: str,
    code: str,
    password: str,
    lockout: Lockout = Lockout(),
) -> Activated:
    """Set the password of ``account`` (username or ID number) with a code.  Input problems raise a
    ``DomainError`` (nothing to keep); refusals that must be kept (wrong code, lock) raise
    :class:`ActivationRefused`, which the caller answers *without* rolling back."""
    problems: list[tuple[str, str]] = []
    if not account.strip():
        problems.append(("account", "请填写用户名或身份证号"))
    if not code.strip():
        problems.append(("code", "请填写激活码"))
    if not password:
        problems.append(("password", "请设置新密码"))
    if problems:
        raise DomainError(422, "invalid_input", "；".join(m for _, m in problems), problems)
    user = find_account(session, protector, account)
    reasons = check_password_strength(password, user.username if user is not None else account.strip())
    if reasons:
        raise DomainError(
            422, "invalid_input", "新密码不符合要求：" + "；".join(reasons), [("password", r) for r in reasons]
        )
    if user is None or not user.is_active:
        raise ActivationRefused(401, "activation_failed", WRONG_CODE, [("code", WRONG_CODE)])
    user = session.get(User, user.id, with_for_update=True, populate_existing=True)
    assert user is not None
    if user.locked_until is not None and user.locked_until > now:
        raise _lock_message(user, now)
    typed = normalise_code(code)
    recent = list(
        session.scalars(
            select(ActivationCode)
            .where(ActivationCode.user_id == user.id)
            .order_by(ActivationCode.id.desc())
            .limit(RECENT_CODES)
            .with_for_update()
        )
    )
    pending = next((r for r in recent if r.used_at is None and r.voided_at is None), None)
    match = None if typed is None else next((r for r in recent if _matches(protector, r, typed)), None)
    if match is None:
        _fail(session, user, pending, now, lockout)
    assert match is not None
    name = PURPOSE_NAMES[match.purpose]
    if match.used_at is not None:
        if verify_password(user.password_hash, password):  # the same request again: it already succeeded
            return Activated(user.id, user.username, match.purpose, replayed=True)
        raise DomainError(
            409,
            "code_used",
            f"该{name}已使用过；如已设置密码，请直接登录，忘记密码请向评审服务机构申请密码重置码",
            [("code", f"该{name}已使用过")],
        )
    if match.voided_at is not None:
        raise DomainError(
            409, "code_voided", f"该{name}已作废：已为您签发了新的{name}，请使用最新的一个", [("code", "已作废")]
        )
    if match.expires_at <= now:
        raise DomainError(
            409,
            "code_expired",
            f"该{name}已于{beijing(match.expires_at)}（北京时间）过期，请向评审服务机构重新领取",
            [("code", "已过期")],
        )
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    match.used_at = now
    revoked = len(
        session.scalars(
            update(AuthToken)
            .where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(AuthToken.id)
            .execution_options(synchronize_session=False)
        ).all()
    )
    audit.append(
        session,
        actor_id=user.id,
        role=user.role,
        action="activate_account" if match.purpose == CodePurpose.ACTIVATION else "reset_password",
        entity="user",
        entity_id=str(user.id),
        payload={"code_id": match.id, "purpose": match.purpose, "attempts": match.attempts, "tokens_revoked": revoked},
        at=now,
    )
    return Activated(user.id, user.username, match.purpose, replayed=False)
