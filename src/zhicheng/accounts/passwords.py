"""Password hashing (argon2id) and the password policy.

Argon2id is the memory-hard KDF recommended by RFC 9106 and OWASP; we use argon2-cffi's
default parameters, which are the RFC 9106 "low memory" profile (t=3, m=64 MiB, p=4).
When the defaults are raised in a later argon2-cffi, :func:`needs_rehash` reports old
hashes so they can be upgraded at the next successful login.

The policy implements 等保 2.0 (GB/T 22239-2019, 第三级 §8.1.4.1 a: "身份鉴别信息具有
复杂度要求") as usually interpreted: minimum length and several character classes.
"""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "NO_PASSWORD",
    "check_password_strength",
    "has_usable_password",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 10
MIN_CHARACTER_CLASSES = 3
MIN_ACCOUNT_NAME_LENGTH = 3
"""Account names shorter than this are not searched for in the password (a 2-letter
name would reject far too many good passwords)."""

_hasher = PasswordHasher()

NO_PASSWORD = "!imported-no-password"
"""The ``password_hash`` of an account made by an import: not an argon2 hash, so it never verifies.  The
person sets a password with an activation code (zhicheng.accounts.activation)."""


def has_usable_password(password_hash: str) -> bool:
    """False for an account that has never had a password (``NO_PASSWORD`` or any hash starting with ``!``)."""
    return bool(password_hash) and not password_hash.startswith("!")


def _normalise(password: str) -> str:
    # NFKC so that a password typed with a Chinese IME in full-width mode ("Ａｂｃ１")
    # verifies the same as its half-width form (NIST SP 800-63B §5.1.1.2).
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """Argon2id hash in PHC string format (``$argon2id$v=19$m=…``), salt included."""
    return _hasher.hash(_normalise(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True iff ``password`` matches; never raises for a wrong password or a corrupt hash."""
    try:
        return _hasher.verify(password_hash, _normalise(password))
    except (Argon2Error, InvalidHashError, TypeError, ValueError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if the hash uses weaker parameters than current ones (or cannot be parsed)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, TypeError, ValueError):
        return True


def _character_classes(password: str) -> int:
    upper = lower = digit = symbol = False
    for ch in password:
        if ch.isupper():
            upper = True
        elif ch.islower():
            lower = True
        elif ch.isdigit():
            digit = True
        elif not ch.isspace():
            symbol = True  # punctuation, and also CJK or other caseless letters
    return upper + lower + digit + symbol


def check_password_strength(password: str, account_name: str | None = None) -> list[str]:
    """Reasons (in Chinese) why the password is unacceptable; an empty list means it is fine.

    Rules: at least 10 characters; at least 3 of upper-case, lower-case, digits and
    symbols (characters that are none of the first three, e.g. punctuation or Chinese,
    count as symbols); not one character repeated; must not contain the account name
    (case-insensitive, for names of 3 or more characters).
    """
    pw = _normalise(password)
    reasons: list[str] = []
    if len(pw) < MIN_PASSWORD_LENGTH:
        reasons.append(f"密码长度至少为{MIN_PASSWORD_LENGTH}个字符，当前为{len(pw)}个")
    classes = _character_classes(pw)
    if classes < MIN_CHARACTER_CLASSES:
        reasons.append(
            f"密码须包含大写字母、小写字母、数字、符号中的至少{MIN_CHARACTER_CLASSES}类，当前只有{classes}类"
        )
    if pw and len(set(pw)) == 1:
        reasons.append("密码不能由同一个字符重复组成")
    if account_name is not None:
        name = _normalise(account_name).strip().casefold()
        if len(name) >= MIN_ACCOUNT_NAME_LENGTH and name in pw.casefold():
            reasons.append("密码不能包含账号名")
    return reasons
