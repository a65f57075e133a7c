"""End-to-end verification: valid, tampered, unknown key, revoked, suspended, rotated keys."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhicheng.certificates import (
    CertificateData,
    Ed25519Signer,
    KeyRing,
    SignedCertificate,
    StatusList,
    VerificationStatus,
    canonical_json,
    sign_certificate,
    verify_certificate,
)
from zhicheng.certificates.canonical import b64url_decode, b64url_encode
from zhicheng.certificates.verify import parse_signed_certificate

UPDATED = dt.datetime(2025, 7, 16, tzinfo=dt.UTC)
MakeData = Callable[..., CertificateData]


def _tamper(doc: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(doc))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def test_valid_in_every_input_form(signed: SignedCertificate, signed_json: bytes, keyring: KeyRing) -> None:
    for form in (signed.to_dict(), signed_json, signed_json.decode("utf-8")):
        result = verify_certificate(form, keyring)
        assert result.valid and result.status is VerificationStatus.VALID, result.message
        assert result.kid == "bj-2025-01" and result.alg == "Ed25519"
        assert not result.status_checked
        assert result.fields is not None
        assert result.fields.model_dump() == {
            "holder_name": "张三",
            "id_number_masked": "110***********002X",
            "title_name": "高级工程师",
            "specialty": "人工智能",
            "qualification_date": "2025-06-30",
            "certificate_number": "ZC110000202540012346",
            "issuer": "北京市人力资源和社会保障局",
        }
        assert "有效" in result.message


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("data", "holder_name"), "李四"),
        (("data", "level"), "professorate_senior_engineer"),
        (("data", "qualification_date"), "2024-06-30"),
        (("data", "specialty"), "人工智能 "),
        (("data", "status_index"), 43),
        (("data", "status_list_id"), None),
        (("format",), "zhicheng.certificate.v2"),
        (("proof", "created"), "2025-07-15T02:00:01Z"),
        (("proof", "alg"), "SM2"),
    ],
)
def test_tampered_field_fails(
    signed: SignedCertificate, keyring: KeyRing, path: tuple[str, ...], value: object
) -> None:
    result = verify_certificate(_tamper(signed.to_dict(), path, value), keyring)
    assert not result.valid
    assert result.status in {VerificationStatus.INVALID_SIGNATURE, VerificationStatus.MALFORMED}
    assert result.fields is None  # forged content is never echoed back


def test_tampered_value_reports_bad_signature(signed: SignedCertificate, keyring: KeyRing) -> None:
    result = verify_certificate(_tamper(signed.to_dict(), ("data", "holder_name"), "李四"), keyring)
    assert result.status is VerificationStatus.INVALID_SIGNATURE
    assert "篡改" in result.message


def test_tampered_signature_fails(signed: SignedCertificate, keyring: KeyRing) -> None:
    raw = bytearray(b64url_decode(signed.proof.signature))
    raw[10] ^= 0x80
    result = verify_certificate(_tamper(signed.to_dict(), ("proof", "signature"), b64url_encode(bytes(raw))), keyring)
    assert result.status is VerificationStatus.INVALID_SIGNATURE
    # non-canonical spelling of the same signature bytes is refused too
    last = signed.proof.signature[-1]
    alt = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alt[alt.index(last) ^ 1]
    result = verify_certificate(
        _tamper(signed.to_dict(), ("proof", "signature"), signed.proof.signature[:-1] + sibling), keyring
    )
    assert not result.valid


def test_unknown_kid(signed: SignedCertificate, keyring: KeyRing) -> None:
    result = verify_certificate(_tamper(signed.to_dict(), ("proof", "kid"), "bj-2099-99"), keyring)
    assert result.status is VerificationStatus.UNKNOWN_KEY
    assert "bj-2099-99" in result.message and "公钥列表" in result.message


def test_kid_swapped_to_other_known_key(signed: SignedCertificate, keyring: KeyRing, k2: Ed25519Signer) -> None:
    keyring.add_signer(k2, dt.date(2025, 1, 1))
    result = verify_certificate(_tamper(signed.to_dict(), ("proof", "kid"), k2.key_id), keyring)
    assert result.status is VerificationStatus.INVALID_SIGNATURE


def test_signed_by_unpublished_key(data: CertificateData, keyring: KeyRing) -> None:
    rogue = Ed25519Signer.from_seed(bytes(32), "bj-2025-01")  # same kid, different key
    forged = sign_certificate(data, rogue, dt.datetime(2025, 7, 15, tzinfo=dt.UTC))
    assert verify_certificate(forged.to_json(), keyring).status is VerificationStatus.INVALID_SIGNATURE


@pytest.mark.parametrize(
    "blob",
    [b"", b"null", b"[]", b"{}", b'{"format":"zhicheng.certificate.v1"}', b"\xff", "不是JSON".encode()],
)
def test_malformed_inputs(blob: bytes, keyring: KeyRing) -> None:
    result = verify_certificate(blob, keyring)
    assert result.status is VerificationStatus.MALFORMED and not result.valid
    assert result.message.startswith("证书格式无效")


def test_pretty_printed_json_is_refused(signed: SignedCertificate, keyring: KeyRing) -> None:
    pretty = json.dumps(signed.to_dict(), ensure_ascii=False, indent=2)
    result = verify_certificate(pretty, keyring)
    assert result.status is VerificationStatus.MALFORMED and "规范" in result.message
    # parsing the same text into a dict first is the documented way to accept it
    assert verify_certificate(json.loads(pretty), keyring).valid


def test_every_byte_flip_fails(signed_json: bytes, keyring: KeyRing) -> None:
    """Exhaustive over positions: xor 0x01 and a replacement by a space at every byte."""
    for i in range(len(signed_json)):
        for new in {signed_json[i] ^ 0x01, 0x20}:
            if new == signed_json[i]:
                continue
            tampered = signed_json[:i] + bytes([new]) + signed_json[i + 1 :]
            assert not verify_certificate(tampered, keyring).valid, (i, new)


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(position=st.integers(min_value=0), value=st.integers(min_value=0, max_value=255))
def test_random_single_byte_edit_never_valid(signed_json: bytes, keyring: KeyRing, position: int, value: int) -> None:
    i = position % len(signed_json)
    if signed_json[i] == value:
        return
    tampered = signed_json[:i] + bytes([value]) + signed_json[i + 1 :]
    assert not verify_certificate(tampered, keyring).valid


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(position=st.integers(min_value=0), cut=st.booleans(), value=st.integers(0, 255))
def test_random_insert_or_delete_never_valid(
    signed_json: bytes, keyring: KeyRing, position: int, cut: bool, value: int
) -> None:
    i = position % len(signed_json)
    tampered = signed_json[:i] + signed_json[i + 1 :] if cut else signed_json[:i] + bytes([value]) + signed_json[i:]
    assert not verify_certificate(tampered, keyring).valid


# --------------------------------------------------------------------------- status


def test_status_active_revoked_suspended(
    signed_json: bytes, keyring: KeyRing, status_list: StatusList, k1: Ed25519Signer
) -> None:
    result = verify_certificate(signed_json, keyring, status_list.to_json(k1, UPDATED))
    assert result.valid and result.status_checked and result.status_list_updated == "2025-07-16T00:00:00Z"
    assert "未被吊销" in result.message

    status_list.suspend(42)
    result = verify_certificate(signed_json, keyring, status_list.to_document(k1, UPDATED))
    assert not result.valid and result.status is VerificationStatus.SUSPENDED
    assert "暂停" in result.message and result.fields is not None

    status_list.reinstate(42)
    assert verify_certificate(signed_json, keyring, status_list.to_json(k1, UPDATED)).valid

    status_list.revoke(42)
    result = verify_certificate(signed_json, keyring, status_list.to_json(k1, UPDATED))
    assert not result.valid and result.status is VerificationStatus.REVOKED
    assert "吊销" in result.message
    assert result.fields is not None and result.fields.certificate_number == "ZC110000202540012346"

    # a pre-verified StatusList object is accepted as is
    assert verify_certificate(signed_json, keyring, status_list).status is VerificationStatus.REVOKED


def test_other_entries_do_not_affect(
    signed_json: bytes, keyring: KeyRing, status_list: StatusList, k1: Ed25519Signer
) -> None:
    for index in (41, 43, 0):
        status_list.revoke(index)
    assert verify_certificate(signed_json, keyring, status_list.to_json(k1, UPDATED)).valid


def test_status_list_with_bad_signature(
    signed_json: bytes, keyring: KeyRing, status_list: StatusList, k1: Ed25519Signer
) -> None:
    status_list.revoke(42)
    doc = status_list.to_document(k1, UPDATED)
    doc["revocation"] = StatusList("bj-2025").to_document(k1, UPDATED)["revocation"]  # "un-revoke"
    result = verify_certificate(signed_json, keyring, doc)
    assert not result.valid and result.status is VerificationStatus.INVALID_SIGNATURE
    assert "状态" in result.message


def test_status_list_by_unknown_key(
    signed_json: bytes, keyring: KeyRing, status_list: StatusList, k2: Ed25519Signer
) -> None:
    result = verify_certificate(signed_json, keyring, status_list.to_json(k2, UPDATED))
    assert not result.valid and result.status is VerificationStatus.UNKNOWN_KEY


def test_wrong_status_list(signed_json: bytes, keyring: KeyRing, k1: Ed25519Signer) -> None:
    other = StatusList("sh-2025").to_json(k1, UPDATED)
    result = verify_certificate(signed_json, keyring, other)
    assert not result.valid and result.status is VerificationStatus.MALFORMED
    assert "sh-2025" in result.message
    small = StatusList("bj-2025", size=8).to_json(k1, UPDATED)
    assert verify_certificate(signed_json, keyring, small).status is VerificationStatus.MALFORMED


def test_certificate_without_status_entry(
    make_cert_data: MakeData, keyring: KeyRing, k1: Ed25519Signer, status_list: StatusList
) -> None:
    cert = sign_certificate(make_cert_data(status_list_id=None, status_index=None), k1, UPDATED)
    result = verify_certificate(cert.to_json(), keyring, status_list.to_json(k1, UPDATED))
    assert result.valid and not result.status_checked and "未登记" in result.message


# --------------------------------------------------------------------------- key rotation


def test_key_rotation_keeps_old_certificates_valid(
    signed_json: bytes, data: CertificateData, k1: Ed25519Signer, k2: Ed25519Signer, status_list: StatusList
) -> None:
    """k1 signs in 2025; on 2026-01-01 k2 takes over and k1 is retired; both still verify."""
    ring = KeyRing()
    ring.add_signer(k1, dt.date(2025, 1, 1))
    ring.add_signer(k2, dt.date(2026, 1, 1))
    ring.retire(k1.key_id, dt.date(2025, 12, 31))
    ring = KeyRing.from_json(ring.to_json())  # as a verifier would get it: published JSON

    new_cert = sign_certificate(data, k2, dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    new_list = status_list.to_json(k2, dt.datetime(2026, 3, 2, tzinfo=dt.UTC))  # list now signed by k2

    old = verify_certificate(signed_json, ring, new_list)
    assert old.valid and old.kid == k1.key_id, old.message
    new = verify_certificate(new_cert.to_json(), ring, new_list)
    assert new.valid and new.kid == k2.key_id, new.message

    # the retired key must not be usable for new signatures
    late = sign_certificate(data, k1, dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    result = verify_certificate(late.to_json(), ring)
    assert not result.valid and result.status is VerificationStatus.INVALID_SIGNATURE
    assert "有效期" in result.message
    # nor a key before its valid_from
    early = sign_certificate(data, k2, dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    assert not verify_certificate(early.to_json(), ring).valid


def test_unsupported_algorithm_is_unknown_key(data: CertificateData, k1: Ed25519Signer) -> None:
    ring = KeyRing.from_document(
        {"keys": [{"kid": "sm2-1", "alg": "SM2", "public_key": "BAAA", "valid_from": "2025-01-01"}]}
    )
    doc = sign_certificate(data, k1, UPDATED).to_dict()
    doc["proof"]["kid"] = "sm2-1"
    doc["proof"]["alg"] = "SM2"
    result = verify_certificate(canonical_json(doc), ring)
    assert result.status is VerificationStatus.UNKNOWN_KEY and "SM2" in result.message


def test_parse_without_verifying(signed_json: bytes, signed: SignedCertificate) -> None:
    assert parse_signed_certificate(signed_json) == signed
    with pytest.raises(ValueError, match="证书格式无效"):
        parse_signed_certificate(b"{}")
