"""Account operations behind the auth endpoints: real-name registration, login with lock-out, tokens,
staff accounts, units and departments.

They are services, not routing: the routers in auth.py only call them. (They would sit better in
``zhicheng.accounts`` next to the identity helpers; they live here because that package has no service
layer yet.) Permission questions go to ``Rights`` like everywhere else.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.accounts.activation import NOT_ACTIVATED
from zhicheng.accounts.identity import protect_resident_id
from zhicheng.accounts.idnumbers import IdNumberError, validate_uscc
from zhicheng.accounts.passwords import (
    check_password_strength,
    has_usable_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from zhicheng.accounts.protect import PersonalDataProtector
from zhicheng.api.deps import BEIJING, TOKEN_BYTES, Settings, token_digest
from zhicheng.api.errors import HeaderError
from zhicheng.errors import DomainError, conflict, forbidden, invalid
from zhicheng.store import audit
from zhicheng.store.models import AuthToken, Department, Unit, User
from zhicheng.workflow.rights import ROLE_NAMES
from zhicheng.workflow.service import Context

USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,64}")
USERNAME_RULE = "用户名应为3–64个字母、数字、下划线、点或连字符"
STAFF_ROLES = ("unit", "department", "agency", "expert", "bureau", "admin")
LOGIN_FAILED = "用户名或密码错误"


def _problems(message: str, problems: list[tuple[str, str]]) -> DomainError:
    return DomainError(422, "invalid_input", message + "；".join(m for _, m in problems[:3]), problems)


def _check_username(username: str, problems: list[tuple[str, str]]) -> None:
    if not USERNAME_RE.fullmatch(username):
        problems.append(("username", USERNAME_RULE))


def _unique_username(session: Session, username: str) -> None:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError(409, "username_taken", "该用户名已被使用", [("username", "该用户名已被使用，请换一个")])


def _flush(session: Session, message: str) -> None:
    try:
        session.flush()
    except IntegrityError:  # a concurrent request registered the same name or number first
        raise conflict(message) from None


# ---------------------------------------------------------------- registration
def register_applicant(
    session: Session,
    protector: PersonalDataProtector,
    today: dt.date,
    *,
    username: str,
    password: str,
    display_name: str,
    id_number: str,
    unit_uscc: str | None,
) -> User:
    """Real-name registration of an applicant; every problem is reported at once, per field."""
    username = username.strip()
    problems: list[tuple[str, str]] = []
    _check_username(username, problems)
    problems += [("password", reason) for reason in check_password_strength(password, username)]
    name = display_name.strip()
    if not name:
        problems.append(("display_name", "请填写与身份证一致的姓名"))
    identity = None
    try:
        identity = protect_resident_id(protector, id_number, today)
    except IdNumberError as exc:
        problems.append(("id_number", str(exc)))
    unit: Unit | None = None
    if unit_uscc is not None and unit_uscc.strip():
        try:
            code = validate_uscc(unit_uscc)
        except IdNumberError as exc:
            problems.append(("unit_uscc", str(exc)))
        else:
            unit = session.scalar(select(Unit).where(Unit.uscc == code))
            if unit is None:
                problems.append(
                    ("unit_uscc", f"平台上没有统一社会信用代码为 {code} 的用人单位，请先由单位在平台登记，或不填单位")
                )
    if problems or identity is None:
        raise _problems("注册信息有误：", problems)
    _unique_username(session, username)
    if session.scalar(select(User.id).where(User.id_number_index == identity.index)) is not None:
        raise DomainError(
            409, "id_number_registered", "该身份证号已注册", [("id_number", "该身份证号已注册，如忘记密码请联系管理员")]
        )
    user = User(
        username=username,
        display_name=name,
        role="applicant",
        password_hash=hash_password(password),
        id_number_token=identity.token,
        id_number_index=identity.index,
        id_number_masked=identity.masked,
        unit_id=unit.id if unit else None,
    )
    session.add(user)
    _flush(session, "该用户名或身份证号已注册")
    audit.append(
        session,
        actor_id=user.id,
        role="applicant",
        action="register",
        entity="user",
        entity_id=user.id,
        payload={"unit_id": user.unit_id},
    )
    return user


# ---------------------------------------------------------------- login, tokens
class LoginRefused(HeaderError):
    """A refused login. The router answers with it *without* rolling back: the failure count must stay."""


@functools.cache
def _dummy_hash() -> str:
    return hash_password("zhicheng-timing-Equaliser-0")


def _beijing(moment: dt.datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def issue_token(session: Session, user: User, now: dt.datetime, lifetime: dt.timedelta) -> tuple[str, AuthToken]:
    """A new random bearer token (32 bytes); only its SHA-256 is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = AuthToken(token_hash=token_digest(token), user_id=user.id, created_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return token, row


def login(
    session: Session, settings: Settings, now: dt.datetime, username: str, password: str
) -> tuple[str, AuthToken, User]:
    """Check the password; lock the account for ``settings.lockout`` after ``max_failed_logins`` failures.

    Unknown user and wrong password get the same message (and the same argon2 work); a locked account is
    told when it unlocks, in Beijing time; an account without a password yet (made by an import) is told to
    fetch an activation code from the review agency (accounts.activation).
    """
    user = session.scalar(select(User).where(User.username == username.strip()).with_for_update())
    if user is None or not user.is_active:
        verify_password(_dummy_hash(), password)
        raise LoginRefused(401, "login_failed", LOGIN_FAILED)
    if user.locked_until is not None and user.locked_until > now:
        wait = int((user.locked_until - now).total_seconds()) + 1
        raise LoginRefused(
            429,
            "account_locked",
            f"连续登录失败次数过多，账号已锁定至{_beijing(user.locked_until)}（北京时间），请届时再试",
            headers={"Retry-After": str(wait)},
        )
    if not has_usable_password(user.password_hash):  # made by an import: activate with a code first
        verify_password(_dummy_hash(), password)
        raise LoginRefused(403, "account_not_activated", NOT_ACTIVATED)
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= settings.max_failed_logins:
            user.failed_logins = 0
            user.locked_until = now + settings.lockout
            audit.append(
                session,
                actor_id=user.id,
                role=user.role,
                action="lock_account",
                entity="user",
                entity_id=user.id,
                payload={"until": user.locked_until.isoformat()},
            )
            minutes = int(settings.lockout.total_seconds() // 60)
            raise LoginRefused(
                429,
                "account_locked",
                f"连续{settings.max_failed_logins}次登录失败，账号已锁定{minutes}分钟，"
                f"至{_beijing(user.locked_until)}（北京时间）解锁",
                headers={"Retry-After": str(int(settings.lockout.total_seconds()))},
            )
        raise LoginRefused(401, "login_failed", LOGIN_FAILED)
    user.failed_logins, user.locked_until = 0, None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    token, row = issue_token(session, user, now, settings.token_lifetime)
    return token, row, user


def logout(token: AuthToken, now: dt.datetime) -> None:
    token.revoked_at = now


# ---------------------------------------------------------------- staff, units, departments (admin)
def create_staff(
    ctx: Context,
    *,
    username: str,
    password: str,
    display_name: str,
    role: str,
    unit_uscc: str | None = None,
    department_id: int | None = None,
) -> User:
    if not ctx.rights.can_manage_users():
        raise forbidden("只有系统管理员可以创建工作人员账号")
    username = username.strip()
    problems: list[tuple[str, str]] = []
    _check_username(username, problems)
    problems += [("password", reason) for reason in check_password_strength(password, username)]
    if not display_name.strip():
        problems.append(("display_name", "不能为空"))
    if role not in STAFF_ROLES:
        names = "、".join(f"{r}（{ROLE_NAMES[r]}）" for r in STAFF_ROLES)
        problems.append(("role", f"应为 {names}；申报人请自行实名注册"))
    unit: Unit | None = None
    if unit_uscc is not None and unit_uscc.strip():
        try:
            code = validate_uscc(unit_uscc)
        except IdNumberError as exc:
            problems.append(("unit_uscc", str(exc)))
        else:
            unit = ctx.session.scalar(select(Unit).where(Unit.uscc == code))
            if unit is None:
                problems.append(("unit_uscc", f"平台上没有统一社会信用代码为 {code} 的用人单位，请先登记单位"))
    elif role == "unit":
        problems.append(("unit_uscc", "用人单位账号须指定所属单位（统一社会信用代码）"))
    if department_id is not None and ctx.session.get(Department, department_id) is None:
        problems.append(("department_id", f"主管部门 {department_id} 不存在"))
    elif role == "department" and department_id is None:
        problems.append(("department_id", "主管部门账号须指定所属主管部门"))
    if problems:
        raise _problems("账号信息有误：", problems)
    _unique_username(ctx.session, username)
    user = User(
        username=username,
        display_name=display_name.strip(),
        role=role,
        password_hash=hash_password(password),
        unit_id=unit.id if unit else None,
        department_id=department_id,
    )
    ctx.session.add(user)
    _flush(ctx.session, "该用户名已被使用")
    ctx.audit("create_user", "user", user.id, payload={"username": username, "role": role})
    return user


def create_department(ctx: Context, *, name: str) -> Department:
    if not ctx.rights.can_manage_users():
        raise forbidden("只有系统管理员可以登记主管部门")
    name = name.strip()
    if not name:
        raise invalid("name", "不能为空")
    if ctx.session.scalar(select(Department.id).where(Department.name == name)) is not None:
        raise DomainError(409, "conflict", f"主管部门“{name}”已登记", [("name", "已登记")])
    dept = Department(name=name)
    ctx.session.add(dept)
    _flush(ctx.session, f"主管部门“{name}”已登记")
    ctx.audit("create_department", "department", dept.id, payload={"name": name})
    return dept


def create_unit(ctx: Context, *, name: str, uscc: str, department_id: int | None = None) -> Unit:
    if not ctx.rights.can_manage_users():
        raise forbidden("只有系统管理员可以登记用人单位")
    problems: list[tuple[str, str]] = []
    name = name.strip()
    if not name:
        problems.append(("name", "不能为空"))
    code = uscc
    try:
        code = validate_uscc(uscc)
    except IdNumberError as exc:
        problems.append(("uscc", str(exc)))
    if department_id is not None and ctx.session.get(Department, department_id) is None:
        problems.append(("department_id", f"主管部门 {department_id} 不存在"))
    if problems:
        raise _problems("单位信息有误：", problems)
    if ctx.session.scalar(select(Unit.id).where(Unit.uscc == code)) is not None:
        raise DomainError(409, "conflict", f"统一社会信用代码 {code} 已登记", [("uscc", "已登记")])
    unit = Unit(name=name, uscc=code, department_id=department_id)
    ctx.session.add(unit)
    _flush(ctx.session, f"统一社会信用代码 {code} 已登记")
    ctx.audit("create_unit", "unit", unit.id, payload={"name": name, "uscc": code})
    return unit
