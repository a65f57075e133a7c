"""Tests for argon2id password hashing and the password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from zhicheng.accounts.passwords import (
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_password,
)

GOOD = "Zhicheng-2025!"


@pytest.fixture(scope="module")
def good_hash() -> str:
    return hash_password(GOOD)


def test_hash_and_verify(good_hash: str) -> None:
    assert good_hash.startswith("$argon2id$v=19$")
    assert GOOD not in good_hash
    assert verify_password(good_hash, GOOD)
    assert not verify_password(good_hash, GOOD + " ")
    assert not verify_password(good_hash, "")


def test_hashes_are_salted(good_hash: str) -> None:
    assert hash_password(GOOD) != good_hash


def test_full_width_input_verifies_as_half_width() -> None:
    # NFKC: a password typed with the IME in full-width mode still matches.
    h = hash_password("Abc12345!x")
    assert verify_password(h, "Ａｂｃ１２３４５！ｘ")


def test_chinese_password() -> None:
    h = hash_password("职称评审Pass2025")
    assert verify_password(h, "职称评审Pass2025")
    assert not verify_password(h, "职称评审Pass2026")


@pytest.mark.parametrize("bad_hash", ["", "not a hash", "$argon2id$v=19$m=65536,t=3,p=4$abc$def", "$2b$12$x"])
def test_verify_never_raises_on_corrupt_hash(bad_hash: str) -> None:
    assert verify_password(bad_hash, GOOD) is False


def test_needs_rehash(good_hash: str) -> None:
    assert not needs_rehash(good_hash)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(GOOD)
    assert verify_password(weak, GOOD)  # old hashes still verify …
    assert needs_rehash(weak)  # … and are flagged for upgrade at login
    assert needs_rehash("garbage")


# --- policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pw", [GOOD, "abcdefgh12!!", "ABCDEFGH12ab", "职称评审平台abc123", "correct Horse 7battery"]
)
def test_acceptable_passwords(pw: str) -> None:
    assert check_password_strength(pw) == []


def test_too_short() -> None:
    assert check_password_strength("Ab1!Ab1!a") == ["密码长度至少为10个字符，当前为9个"]


def test_too_few_classes() -> None:
    assert check_password_strength("abcdefghijk1") == [
        "密码须包含大写字母、小写字母、数字、符号中的至少3类，当前只有2类"
    ]


def test_single_repeated_character() -> None:
    reasons = check_password_strength("aaaaaaaaaaaa")
    assert "密码不能由同一个字符重复组成" in reasons
    assert len(reasons) == 2  # also only one class


def test_empty_password() -> None:
    assert check_password_strength("") == [
        "密码长度至少为10个字符，当前为0个",
        "密码须包含大写字母、小写字母、数字、符号中的至少3类，当前只有0类",
    ]


def test_contains_account_name() -> None:
    assert check_password_strength("Zhangsan2025!", account_name="zhangsan") == ["密码不能包含账号名"]
    assert check_password_strength("xxZHANGSANxx1", account_name=" ZhangSan ") == ["密码不能包含账号名"]
    assert check_password_strength(GOOD, account_name="zhangsan") == []
    # Very short names would forbid too much; they are not searched for.
    assert check_password_strength(GOOD, account_name="zh") == []
    assert check_password_strength(GOOD, account_name="") == []


def test_all_reasons_together() -> None:
    assert len(check_password_strength("lilili", account_name="lilili")) == 3
