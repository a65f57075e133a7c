"""Status lists: bit layout, set/clear semantics, encoding and the list's own signature."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json

import pytest

from zhicheng.certificates import (
    CertificateStatus,
    Ed25519Signer,
    KeyRing,
    StatusList,
    StatusListError,
    canonical_json,
    clear_status,
    read_status,
    set_status,
    verify_status_list,
)
from zhicheng.certificates.status import DEFAULT_LIST_SIZE, decode_bitstring, encode_bitstring

UPDATED = dt.datetime(2025, 7, 16, tzinfo=dt.UTC)


def test_new_list_is_all_active(status_list: StatusList) -> None:
    assert status_list.size == DEFAULT_LIST_SIZE == 131_072
    assert read_status(status_list, 0) is CertificateStatus.ACTIVE
    assert read_status(status_list, DEFAULT_LIST_SIZE - 1) is CertificateStatus.ACTIVE
    assert status_list.counts()[CertificateStatus.ACTIVE] == DEFAULT_LIST_SIZE


def test_set_and_clear(status_list: StatusList) -> None:
    set_status(status_list, 7, CertificateStatus.SUSPENDED)
    assert read_status(status_list, 7) is CertificateStatus.SUSPENDED
    clear_status(status_list, 7, "suspended")
    assert read_status(status_list, 7) is CertificateStatus.ACTIVE
    set_status(status_list, 7, "suspended")
    set_status(status_list, 7, "revoked")  # revocation wins and clears the suspension
    assert read_status(status_list, 7) is CertificateStatus.REVOKED
    assert status_list.counts()[CertificateStatus.SUSPENDED] == 0
    for undo in ("active", "suspended"):
        with pytest.raises(ValueError, match="不可撤销"):
            set_status(status_list, 7, undo)
    with pytest.raises(ValueError, match="不可撤销"):
        clear_status(status_list, 7, "revoked")
    clear_status(status_list, 8, "revoked")  # nothing to clear: no-op
    assert read_status(status_list, 8) is CertificateStatus.ACTIVE


def test_convenience_methods(status_list: StatusList) -> None:
    status_list.suspend(3)
    status_list.reinstate(3)
    status_list.revoke(4)
    assert [status_list.get(i) for i in (3, 4)] == [CertificateStatus.ACTIVE, CertificateStatus.REVOKED]


@pytest.mark.parametrize("index", [-1, DEFAULT_LIST_SIZE, True])
def test_index_bounds(status_list: StatusList, index: int) -> None:
    with pytest.raises(IndexError):
        status_list.get(index)


def test_w3c_bit_order(status_list: StatusList, k1: Ed25519Signer) -> None:
    """Index 0 is the left-most (most significant) bit of the first byte."""
    status_list.revoke(0)
    status_list.revoke(9)
    doc = status_list.to_document(k1, UPDATED)
    raw = gzip.decompress(base64.urlsafe_b64decode(doc["revocation"] + "=" * (-len(doc["revocation"]) % 4)))
    assert raw[:2] == bytes([0b1000_0000, 0b0100_0000])
    assert len(raw) == DEFAULT_LIST_SIZE // 8


def test_encoding_is_deterministic_and_strict() -> None:
    bits = bytes(16)
    assert encode_bitstring(bits) == encode_bitstring(bits)
    assert decode_bitstring(encode_bitstring(bits), 128) == bits
    with pytest.raises(ValueError):
        decode_bitstring(encode_bitstring(bits), 136)  # wrong length
    with pytest.raises(ValueError):
        decode_bitstring(encode_bitstring(bytes(10**6)), 128)  # bounded: no bomb
    with pytest.raises(ValueError):
        decode_bitstring("AAAA", 128)


def test_signed_document_roundtrip(status_list: StatusList, k1: Ed25519Signer, keyring: KeyRing) -> None:
    status_list.revoke(42)
    status_list.suspend(43)
    doc = status_list.to_document(k1, UPDATED)
    assert doc["format"] == "zhicheng.status_list.v1"
    assert doc["updated"] == doc["proof"]["created"] == "2025-07-16T00:00:00Z"
    assert doc["proof"]["kid"] == k1.key_id
    assert len(canonical_json(doc)) < 1000  # compresses to almost nothing
    for form in (doc, canonical_json(doc), canonical_json(doc).decode()):
        checked = verify_status_list(form, keyring)
        assert checked.get(42) is CertificateStatus.REVOKED
        assert checked.get(43) is CertificateStatus.SUSPENDED
        assert checked.get(44) is CertificateStatus.ACTIVE
        assert checked.updated == "2025-07-16T00:00:00Z"
    assert status_list.to_json(k1, UPDATED) == canonical_json(doc)


def _resign_free_tamper(doc: dict[str, object], key: str, value: object) -> dict[str, object]:
    tampered: dict[str, object] = json.loads(json.dumps(doc))
    tampered[key] = value
    return tampered


def test_tampered_list_fails(status_list: StatusList, k1: Ed25519Signer, keyring: KeyRing) -> None:
    status_list.revoke(42)
    doc = status_list.to_document(k1, UPDATED)
    clean = StatusList("bj-2025").to_document(k1, UPDATED)
    # replaying the bitstring of a clean list under the revoked list's proof must fail
    for key, value in [
        ("revocation", clean["revocation"]),
        ("updated", "2030-01-01T00:00:00Z"),
        ("id", "other"),
    ]:
        with pytest.raises(StatusListError) as info:
            verify_status_list(_resign_free_tamper(doc, key, value), keyring)
        assert info.value.code == "invalid_signature", key
    with pytest.raises(StatusListError) as info:
        verify_status_list(_resign_free_tamper(doc, "extra", 1), keyring)
    assert info.value.code == "malformed"
    with pytest.raises(StatusListError) as info:
        verify_status_list(json.dumps(doc), keyring)  # not canonical bytes
    assert info.value.code == "malformed"


def test_list_signed_by_unknown_key(status_list: StatusList, k2: Ed25519Signer, keyring: KeyRing) -> None:
    with pytest.raises(StatusListError) as info:
        verify_status_list(status_list.to_document(k2, UPDATED), keyring)
    assert info.value.code == "unknown_key"
    assert "bj-2026-01" in info.value.message


def test_every_byte_flip_of_list_fails(status_list: StatusList, k1: Ed25519Signer, keyring: KeyRing) -> None:
    status_list.revoke(42)
    raw = status_list.to_json(k1, UPDATED)
    for i in range(len(raw)):
        tampered = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :]
        with pytest.raises(StatusListError):
            verify_status_list(tampered, keyring)


@pytest.mark.parametrize("list_id", ["", "有中文", "a b"])
def test_bad_list_id(list_id: str) -> None:
    with pytest.raises(ValueError):
        StatusList(list_id)


@pytest.mark.parametrize("size", [0, 7, -8])
def test_bad_size(size: int) -> None:
    with pytest.raises(ValueError):
        StatusList("x", size)
