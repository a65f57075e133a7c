"""Activation and password-reset codes (zhicheng.accounts.activation) on SQLite and PostgreSQL: issuing (rights,
voiding, hash only, audit without the code), using (expiry, single use, retry, wrong codes counted and locking,
ID number instead of username), and the bulk issue for accounts still without a password."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select

from zhicheng.accounts import activation as act
from zhicheng.accounts.identity import protect_resident_id
from zhicheng.accounts.idnumbers import make_resident_id, make_uscc
from zhicheng.accounts.passwords import NO_PASSWORD, hash_password, verify_password
from zhicheng.accounts.protect import PersonalDataProtector, decode_master_key
from zhicheng.api.accounts import issue_token
from zhicheng.errors import DomainError
from zhicheng.store.db import transaction
from zhicheng.store.models import ActivationCode, AuditEntry, AuthToken, Unit, User
from zhicheng.store.testing import add_user
from zhicheng.workflow.service import Context, actor_for

PROTECTOR = PersonalDataProtector(decode_master_key("22" * 32))
NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
NEW_PASSWORD = "Neu#Passwort-2026"
LOCK = act.Lockout(max_failures=3, duration=dt.timedelta(minutes=15))


@dataclass
class W:
    engine: Engine
    agency: int
    unit_staff: int
    other_unit_staff: int
    bureau: int
    imported: int  # applicant of unit A without a password
    imported_id: str
    other: int  # applicant of unit B without a password
    expert: int  # expert with a password
    admin: int


def person(n: int) -> str:
    return make_resident_id("110105", dt.date(1985, 1 + n % 12, 1 + n % 28), 300 + n)


@pytest.fixture
def w(engine: Engine) -> W:
    with transaction(engine) as s:
        a = Unit(name="甲单位", uscc=make_uscc("91110108MA01AB2C3"))
        b = Unit(name="乙单位", uscc=make_uscc("91370211MA3CDE456"))
        s.add_all([a, b])
        s.flush()
        ids = {}
        for n, (key, role, unit, pw) in enumerate(
            [
                ("imported", "applicant", a.id, NO_PASSWORD),
                ("other", "applicant", b.id, NO_PASSWORD),
                ("expert", "expert", None, hash_password("Old#Passwort-2025")),
            ]
        ):
            number = person(n)
            ident = protect_resident_id(PROTECTOR, number)
            user = add_user(
                s,
                role,
                username=f"imp-{key}",
                display_name=f"{key}人",
                password_hash=pw,
                unit_id=unit,
                id_number_token=ident.token,
                id_number_index=ident.index,
                id_number_masked=ident.masked,
            )
            ids[key] = user.id
        return W(
            engine,
            agency=add_user(s, "agency").id,
            unit_staff=add_user(s, "unit", unit_id=a.id).id,
            other_unit_staff=add_user(s, "unit", unit_id=b.id).id,
            bureau=add_user(s, "bureau").id,
            imported=ids["imported"],
            imported_id=person(0),
            other=ids["other"],
            expert=ids["expert"],
            admin=add_user(s, "admin").id,
        )


def as_user(w: W, user_id: int, fn, *args, now: dt.datetime = NOW, **kw):  # type: ignore[no-untyped-def]
    with transaction(w.engine) as s:
        user = s.get(User, user_id)
        assert user is not None
        ctx = Context(s, actor_for(user), now.date(), now=now)
        return fn(ctx, PROTECTOR, *args, **kw)


def use(w: W, account: str, code: str, password: str = NEW_PASSWORD, now: dt.datetime = NOW) -> act.Activated:
    """One activation request in its own transaction, committed even when refused (like the router)."""
    with transaction(w.engine) as s:
        try:
            return act.activate(s, PROTECTOR, now, account=account, code=code, password=password, lockout=LOCK)
        except act.ActivationRefused as exc:
            refused = exc
    raise refused


def user(w: W, user_id: int) -> User:
    with transaction(w.engine, readonly=True) as s:
        u = s.get(User, user_id)
        assert u is not None
        s.expunge(u)
        return u


# ---------------------------------------------------------------- codes
def test_code_format_and_normalisation() -> None:
    codes = {act.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 10 and set(c) <= set(act.ALPHABET) for c in codes)
    assert not set("01OIL") & set(act.ALPHABET)
    assert act.format_code("ABCDE23456") == "ABCDE-23456"
    assert act.normalise_code(" abcde-23456 ") == "ABCDE23456"
    assert act.normalise_code("ＡＢＣＤＥ　２３４５６") == "ABCDE23456"  # typed with a Chinese IME
    assert act.normalise_code("ABCDE-2345") is None and act.normalise_code("ABCDE-2345O") is None


# ---------------------------------------------------------------- issuing
def test_issue_stores_only_a_hash_and_audits_without_the_code(w: W) -> None:
    issued = as_user(w, w.agency, act.issue_code, w.imported)
    assert issued.purpose == "activation" and issued.username == "imp-imported"
    assert issued.expires_at == NOW + dt.timedelta(days=14)
    plain = issued.code.replace("-", "")
    with transaction(w.engine, readonly=True) as s:
        row = s.scalars(select(ActivationCode)).one()
        assert plain not in row.code_hash and issued.code not in row.code_hash and len(row.code_hash) == 64
        trail = json.dumps([[e.action, e.payload] for e in s.scalars(select(AuditEntry))], ensure_ascii=False)
    assert "issue_activation_code" in trail
    assert plain not in trail and issued.code not in trail


def test_issue_rights(w: W) -> None:
    # a unit issues for its own applicants only; another unit's applicant is as if it did not exist
    assert as_user(w, w.unit_staff, act.issue_code, w.imported).purpose == "activation"
    with pytest.raises(DomainError) as e:
        as_user(w, w.unit_staff, act.issue_code, w.other)
    assert e.value.status == 404
    with pytest.raises(DomainError) as e:
        as_user(w, w.unit_staff, act.issue_code, w.expert)
    assert e.value.status == 404
    for who in (w.bureau, w.admin, w.imported):
        with pytest.raises(DomainError) as e:
            as_user(w, who, act.issue_code, w.imported)
        assert e.value.status == 403
    with pytest.raises(DomainError) as e:  # staff passwords are the admin's business
        as_user(w, w.agency, act.issue_code, w.bureau)
    assert e.value.status == 403 and "工作人员" in e.value.message
    with pytest.raises(DomainError) as e:
        as_user(w, w.agency, act.issue_code, 999_999)
    assert e.value.status == 404


def test_purposes_and_validity(w: W) -> None:
    assert as_user(w, w.agency, act.issue_code, w.expert).purpose == "reset"  # has a password: a reset code
    with pytest.raises(DomainError) as e:
        as_user(w, w.agency, act.issue_code, w.expert, purpose="activation")
    assert e.value.status == 409 and "重置" in e.value.message
    # a reset asked for an account without a password is an activation
    assert as_user(w, w.agency, act.issue_code, w.imported, purpose="reset").purpose == "activation"
    for days in (0, 91):
        with pytest.raises(DomainError) as e:
            as_user(w, w.agency, act.issue_code, w.imported, validity=dt.timedelta(days=days))
        assert e.value.fields == [("valid_days", "有效期应为1至90天")]
    short = as_user(w, w.agency, act.issue_code, w.imported, validity=dt.timedelta(days=3))
    assert short.expires_at == NOW + dt.timedelta(days=3)


def test_new_code_voids_the_old(w: W) -> None:
    first = as_user(w, w.agency, act.issue_code, w.imported)
    second = as_user(w, w.agency, act.issue_code, w.imported)
    with transaction(w.engine, readonly=True) as s:
        rows = list(s.scalars(select(ActivationCode).order_by(ActivationCode.id)))
        assert [r.voided_at is not None for r in rows] == [True, False]
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert last is not None and last.payload is not None and last.payload["voided"] == [rows[0].id]
    with pytest.raises(DomainError) as e:
        use(w, "imp-imported", first.code)
    assert e.value.code == "code_voided" and "最新" in e.value.message
    assert user(w, w.imported).failed_logins == 0  # a genuine old code is not a guess
    assert use(w, "imp-imported", second.code).purpose == "activation"


# ---------------------------------------------------------------- using
def test_activate_sets_the_password_once(w: W) -> None:
    issued = as_user(w, w.agency, act.issue_code, w.imported)
    done = use(w, "imp-imported", issued.code.lower().replace("-", " "))
    assert done == act.Activated(w.imported, "imp-imported", "activation", replayed=False)
    u = user(w, w.imported)
    assert verify_password(u.password_hash, NEW_PASSWORD)
    # the same request again (a lost answer, a double click): success, nothing changes
    again = use(w, "imp-imported", issued.code)
    assert again.replayed and user(w, w.imported).password_hash == u.password_hash
    # the used code with another password: refused, clearly
    with pytest.raises(DomainError) as e:
        use(w, "imp-imported", issued.code, password="Anderes#Pass-2027")
    assert e.value.status == 409 and e.value.code == "code_used" and "直接登录" in e.value.message
    with transaction(w.engine, readonly=True) as s:
        actions = [a for (a,) in s.execute(select(AuditEntry.action).order_by(AuditEntry.seq))]
    assert actions.count("activate_account") == 1


def test_activate_by_id_number(w: W) -> None:
    issued = as_user(w, w.agency, act.issue_code, w.imported)
    assert use(w, w.imported_id.lower(), issued.code).username == "imp-imported"
    with pytest.raises(DomainError) as e:  # an ID number with a wrong check digit says so
        use(w, w.imported_id[:-1] + ("1" if w.imported_id[-1] != "1" else "2"), issued.code)
    assert e.value.fields[0][0] == "account" and "身份证号" in e.value.message


def test_expired_code(w: W) -> None:
    issued = as_user(w, w.agency, act.issue_code, w.imported, validity=dt.timedelta(days=2))
    with pytest.raises(DomainError) as e:
        use(w, "imp-imported", issued.code, now=NOW + dt.timedelta(days=2))
    assert e.value.code == "code_expired" and "重新领取" in e.value.message
    assert user(w, w.imported).password_hash == NO_PASSWORD
    assert use(w, "imp-imported", issued.code, now=NOW + dt.timedelta(days=2) - dt.timedelta(seconds=1))


def test_password_policy_named_field(w: W) -> None:
    issued = as_user(w, w.agency, act.issue_code, w.imported)
    with pytest.raises(DomainError) as e:
        use(w, "imp-imported", issued.code, password="short")
    assert e.value.status == 422 and e.value.message.startswith("新密码不符合要求")
    assert {f for f, _ in e.value.fields} == {"password"}
    with pytest.raises(DomainError) as e:
        use(w, "imp-imported", issued.code, password="Imp-Imported#2026")  # contains the username
    assert "账号名" in e.value.message
    with pytest.raises(DomainError) as e:
        use(w, " ", "", password="")
    assert {f for f, _ in e.value.fields} == {"account", "code", "password"}
    assert user(w, w.imported).failed_logins == 0  # input problems are not guesses
    assert use(w, "imp-imported", issued.code)


def test_wrong_codes_count_and_lock(w: W) -> None:
    issued = as_user(w, w.agency, act.issue_code, w.imported)
    for i in range(LOCK.max_failures - 1):
        with pytest.raises(act.ActivationRefused) as e:
            use(w, "imp-imported", "ZZZZZ-ZZZZZ" if i else "not a code")
        assert e.value.status == 401 and e.value.message == act.WRONG_CODE
    assert user(w, w.imported).failed_logins == LOCK.max_failures - 1
    with pytest.raises(act.ActivationRefused) as e:
        use(w, "imp-imported", "ZZZZZ-ZZZZY")
    assert e.value.status == 429 and "锁定15分钟" in e.value.message and e.value.headers["Retry-After"] == "900"
    # locked: even the right code waits
    with pytest.raises(act.ActivationRefused) as e:
        use(w, "imp-imported", issued.code, now=NOW + dt.timedelta(minutes=5))
    assert e.value.status == 429
    with transaction(w.engine, readonly=True) as s:
        row = s.scalars(select(ActivationCode)).one()
        assert row.attempts == LOCK.max_failures and row.used_at is None
        actions = [a for (a,) in s.execute(select(AuditEntry.action).order_by(AuditEntry.seq))]
    assert actions.count("activation_failed") == LOCK.max_failures and "lock_account" in actions
    done = use(w, "imp-imported", issued.code, now=NOW + dt.timedelta(minutes=16))
    assert not done.replayed and user(w, w.imported).failed_logins == 0


def test_unknown_account_is_not_told_apart(w: W) -> None:
    with pytest.raises(act.ActivationRefused) as e:
        use(w, "nobody-here", "ABCDE-23456")
    assert e.value.status == 401 and e.value.message == act.WRONG_CODE
    with pytest.raises(act.ActivationRefused) as e:  # an account without any code: the same answer
        use(w, "imp-other", "ABCDE-23456")
    assert e.value.message == act.WRONG_CODE


def test_reset_revokes_sessions(w: W) -> None:
    with transaction(w.engine) as s:
        expert = s.get(User, w.expert)
        assert expert is not None
        issue_token(s, expert, NOW, dt.timedelta(hours=8))
    issued = as_user(w, w.agency, act.issue_code, w.expert)
    done = use(w, "imp-expert", issued.code)
    assert done.purpose == "reset"
    with transaction(w.engine, readonly=True) as s:
        assert s.scalar(select(func.count()).where(AuthToken.user_id == w.expert, AuthToken.revoked_at.is_(None))) == 0
        assert "reset_password" in list(s.scalars(select(AuditEntry.action)))
    assert verify_password(user(w, w.expert).password_hash, NEW_PASSWORD)


# ---------------------------------------------------------------- bulk
def test_bulk_issue_scope_and_skip(w: W) -> None:
    codes = as_user(w, w.agency, act.issue_pending_codes)
    assert sorted(c.username for c in codes) == ["imp-imported", "imp-other"]  # the expert has a password
    assert as_user(w, w.agency, act.issue_pending_codes) == []  # codes still valid: left alone
    again = as_user(w, w.agency, act.issue_pending_codes, reissue=True)
    assert len(again) == 2
    later = NOW + dt.timedelta(days=15)  # expired: issued anew
    assert len(as_user(w, w.agency, act.issue_pending_codes, now=later)) == 2
    mine = as_user(w, w.unit_staff, act.issue_pending_codes, reissue=True)
    assert [c.username for c in mine] == ["imp-imported"]
    assert as_user(w, w.unit_staff, act.issue_pending_codes, role="expert", reissue=True) == []
    with pytest.raises(DomainError) as e:
        as_user(w, w.bureau, act.issue_pending_codes)
    assert e.value.status == 403
    with pytest.raises(DomainError) as e:
        as_user(w, w.agency, act.issue_pending_codes, import_batch="ab" * 32)
    assert e.value.fields[0][0] == "import_batch"
    total, rows = as_user(w, w.agency, lambda ctx, _p: act.list_unactivated(ctx))
    assert total == 2 and {r.code_state for r in rows} == {"pending"}
    table = act.code_table(mine, issued_on=NOW.date())
    assert table.headers[-2:] == ["激活码", "有效期至（北京时间）"] and table.rows[0][7] == mine[0].code
