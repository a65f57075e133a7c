"""Tests for field-level encryption, blind indexes and key configuration."""

from __future__ import annotations

import base64
import logging
import os
import re
import stat
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from zhicheng.accounts.protect import (
    ENV_KEY_ID,
    ENV_RETIRED_KEYS,
    ENV_SECRET_KEY,
    InvalidTokenError,
    KeyConfigError,
    PersonalDataProtector,
    ProtectionError,
    UnknownKeyError,
    decode_master_key,
    load_or_create_dev_key,
    master_key_from_env,
    normalise_for_index,
    protector_from_env,
    resolve_master_key,
)

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
KEY_OLD = b"\x07" * 48
ID_NUMBER = "11010519491231002X"

protector = PersonalDataProtector(KEY_A)
TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


# --- encryption ----------------------------------------------------------------------------


@given(st.text())
def test_round_trip(plaintext: str) -> None:
    assert protector.decrypt(protector.encrypt(plaintext)) == plaintext


def test_token_format() -> None:
    token = protector.encrypt(ID_NUMBER)
    version, key_id, payload = token.split(".")
    assert (version, key_id) == ("v1", "k1")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", payload)
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert len(data) == 12 + len(ID_NUMBER) + 16  # nonce ‖ ciphertext ‖ GCM tag
    assert ID_NUMBER not in token
    assert PersonalDataProtector.token_key_id(token) == "k1"


def test_nonce_is_random() -> None:
    tokens = {protector.encrypt(ID_NUMBER) for _ in range(20)}
    assert len(tokens) == 20


def test_chinese_plaintext() -> None:
    assert protector.decrypt(protector.encrypt("张三，北京市朝阳区")) == "张三，北京市朝阳区"


@given(st.text(max_size=30), st.data())
def test_any_single_character_change_is_rejected(plaintext: str, data: st.DataObject) -> None:
    token = protector.encrypt(plaintext)
    pos = data.draw(st.integers(0, len(token) - 1))
    ch = data.draw(st.sampled_from(TOKEN_CHARS))
    assume(ch != token[pos])
    with pytest.raises(ProtectionError):
        protector.decrypt(token[:pos] + ch + token[pos + 1 :])


@given(st.text(max_size=30), st.data())
def test_truncation_is_rejected(plaintext: str, data: st.DataObject) -> None:
    token = protector.encrypt(plaintext)
    cut = data.draw(st.integers(0, len(token) - 1))
    with pytest.raises(ProtectionError):
        protector.decrypt(token[:cut])


def test_bit_flip_in_ciphertext_is_rejected() -> None:
    token = protector.encrypt(ID_NUMBER)
    header, _, payload = token.rpartition(".")
    data = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data[15] ^= 0x01
    forged = header + "." + base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode()
    with pytest.raises(InvalidTokenError, match="密文认证失败"):
        protector.decrypt(forged)


def test_wrong_key_is_rejected() -> None:
    token = protector.encrypt(ID_NUMBER)
    with pytest.raises(InvalidTokenError, match="不匹配"):
        PersonalDataProtector(KEY_B).decrypt(token)


def test_unknown_key_id() -> None:
    token = PersonalDataProtector(KEY_A, "k9").encrypt(ID_NUMBER)
    with pytest.raises(UnknownKeyError, match="k9"):
        protector.decrypt(token)


def test_relabelled_key_id_is_rejected_even_for_identical_key_bytes() -> None:
    both = PersonalDataProtector(KEY_A, "k2", old_keys={"k1": KEY_A})
    token = both.encrypt(ID_NUMBER)
    with pytest.raises(InvalidTokenError):
        both.decrypt(token.replace("v1.k2.", "v1.k1.", 1))


def test_context_binds_token_to_field() -> None:
    token = protector.encrypt(ID_NUMBER, context="person:42:id_number")
    assert protector.decrypt(token, context="person:42:id_number") == ID_NUMBER
    with pytest.raises(InvalidTokenError):
        protector.decrypt(token, context="person:43:id_number")
    with pytest.raises(InvalidTokenError):
        protector.decrypt(token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "v1",
        "v1.k1",
        "v2.k1.AAAA",
        "v1.k1.AAAA.extra",
        "v1.k 1.AAAA",
        "v1.k1.AA==",
        "v1.k1.A",
        "v1.k1.AAAA",
    ],
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(InvalidTokenError):
        protector.decrypt(token)


# --- blind index ----------------------------------------------------------------------------


def test_blind_index_deterministic_and_hex() -> None:
    a = protector.blind_index(ID_NUMBER)
    assert a == PersonalDataProtector(KEY_A).blind_index(ID_NUMBER)
    assert re.fullmatch(r"[0-9a-f]{64}", a)
    assert ID_NUMBER.lower() not in a


def test_blind_index_normalises() -> None:
    a = protector.blind_index(ID_NUMBER)
    assert protector.blind_index(" 11010519491231002x ") == a
    assert protector.blind_index("１１０１０５１９４９１２３１００２Ｘ") == a  # full-width from an IME
    assert normalise_for_index("  Zhang   San ") == "zhang san"


def test_blind_index_depends_on_key_and_field() -> None:
    a = protector.blind_index(ID_NUMBER)
    assert PersonalDataProtector(KEY_B).blind_index(ID_NUMBER) != a
    assert protector.blind_index(ID_NUMBER, field="phone") != a
    assert protector.blind_index("110105194912310020") != a


@given(st.text(), st.text())
def test_blind_index_equal_iff_normalised_equal(a: str, b: str) -> None:
    same = normalise_for_index(a) == normalise_for_index(b)
    assert (protector.blind_index(a) == protector.blind_index(b)) is same


# --- key rotation ---------------------------------------------------------------------------


def test_rotation() -> None:
    old = PersonalDataProtector(KEY_OLD, "k1")
    old_token = old.encrypt(ID_NUMBER, context="f")
    new = PersonalDataProtector(KEY_A, "k2", old_keys={"k1": KEY_OLD})
    assert new.key_id == "k2"
    assert new.key_ids == ("k2", "k1")
    assert new.decrypt(old_token, context="f") == ID_NUMBER
    assert new.needs_reencrypt(old_token)

    fresh = new.reencrypt(old_token, context="f")
    assert fresh.startswith("v1.k2.")
    assert not new.needs_reencrypt(fresh)
    only_new = PersonalDataProtector(KEY_A, "k2")
    assert only_new.decrypt(fresh, context="f") == ID_NUMBER
    with pytest.raises(UnknownKeyError):
        only_new.decrypt(old_token, context="f")

    # During re-indexing, rows can still be found by their old index.
    assert new.blind_index(ID_NUMBER, key_id="k1") == old.blind_index(ID_NUMBER)
    assert new.blind_index(ID_NUMBER) == only_new.blind_index(ID_NUMBER)
    with pytest.raises(UnknownKeyError):
        new.blind_index(ID_NUMBER, key_id="k0")


def test_key_validation() -> None:
    with pytest.raises(KeyConfigError, match="至少需要 32 字节"):
        PersonalDataProtector(b"short")
    with pytest.raises(KeyConfigError, match="密钥标识"):
        PersonalDataProtector(KEY_A, "k.1")
    with pytest.raises(KeyConfigError, match="同时出现"):
        PersonalDataProtector(KEY_A, "k1", old_keys={"k1": KEY_B})
    with pytest.raises(KeyConfigError):
        PersonalDataProtector(KEY_A, old_keys={"k0": b"x" * 31})


def test_repr_has_no_key_material() -> None:
    text = repr(PersonalDataProtector(KEY_A, "k2", old_keys={"k1": KEY_OLD}))
    assert text == "PersonalDataProtector(key_id='k2', key_ids=('k2', 'k1'))"


# --- key configuration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        KEY_A.hex(),
        KEY_A.hex().upper(),
        "hex:" + KEY_A.hex(),
        base64.b64encode(KEY_A).decode(),
        base64.urlsafe_b64encode(KEY_A).decode().rstrip("="),
        "base64:" + base64.b64encode(KEY_A).decode(),
        "  " + KEY_A.hex() + "\n",
    ],
)
def test_decode_master_key(text: str) -> None:
    assert decode_master_key(text) == KEY_A


def test_decode_master_key_errors_do_not_echo_the_secret() -> None:
    short = "ab" * 16  # 16 bytes
    with pytest.raises(KeyConfigError, match="只有 16 字节") as exc:
        decode_master_key(short)
    assert short not in str(exc.value)
    with pytest.raises(KeyConfigError, match="不是有效的 base64"):
        decode_master_key("not a key!" * 8)
    with pytest.raises(KeyConfigError, match="不是有效的 hex"):
        decode_master_key("hex:zz" + "00" * 40)


def test_master_key_from_env() -> None:
    assert master_key_from_env({}) is None
    assert master_key_from_env({ENV_SECRET_KEY: "  "}) is None
    assert master_key_from_env({ENV_SECRET_KEY: KEY_A.hex()}) == KEY_A
    with pytest.raises(KeyConfigError, match=ENV_SECRET_KEY):
        master_key_from_env({ENV_SECRET_KEY: "abcd"})


def test_master_key_from_real_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_SECRET_KEY, base64.b64encode(KEY_B).decode())
    assert master_key_from_env() == KEY_B


def test_dev_key_file_created_0600_and_reused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "secrets" / "dev.key"
    with caplog.at_level(logging.WARNING):
        key = load_or_create_dev_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key.hex()
    assert load_or_create_dev_key(path) == key
    assert load_or_create_dev_key(str(path)) == key
    assert [p.name for p in path.parent.iterdir()] == ["dev.key"]  # no temp files left behind
    assert ENV_SECRET_KEY in caplog.text


def test_dev_key_file_with_loose_permissions_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "dev.key"
    path.write_text(KEY_B.hex())
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        assert load_or_create_dev_key(path) == KEY_B
    assert "应为 600" in caplog.text


def test_resolve_prefers_environment(tmp_path: Path) -> None:
    path = tmp_path / "dev.key"
    assert resolve_master_key(path, {ENV_SECRET_KEY: KEY_A.hex()}) == KEY_A
    assert not path.exists()
    dev = resolve_master_key(path, {})
    assert path.exists()
    assert resolve_master_key(path, {}) == dev
    with pytest.raises(KeyConfigError, match=ENV_SECRET_KEY):
        resolve_master_key(None, {})


def test_protector_from_env_with_retired_keys() -> None:
    old_token = PersonalDataProtector(KEY_OLD, "k1").encrypt(ID_NUMBER)
    env = {
        ENV_SECRET_KEY: KEY_A.hex(),
        ENV_KEY_ID: "k2",
        ENV_RETIRED_KEYS: f"k1:{base64.b64encode(KEY_OLD).decode()}, k0:hex:{KEY_B.hex()}",
    }
    p = protector_from_env(environ=env)
    assert p.key_ids == ("k2", "k0", "k1")
    assert p.decrypt(old_token) == ID_NUMBER
    assert p.encrypt("x").startswith("v1.k2.")
    assert protector_from_env(environ={ENV_SECRET_KEY: KEY_A.hex()}).key_id == "k1"


@pytest.mark.parametrize("retired", ["k1", "k.1:" + KEY_B.hex(), f"k1:{KEY_B.hex()},k1:{KEY_B.hex()}"])
def test_protector_from_env_rejects_bad_retired_keys(retired: str) -> None:
    with pytest.raises(KeyConfigError):
        protector_from_env(environ={ENV_SECRET_KEY: KEY_A.hex(), ENV_RETIRED_KEYS: retired})
