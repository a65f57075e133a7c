"""Public verification of signed certificates.

Anyone holding the published key ring (and optionally the signed status list) can run this
offline.  The result is deliberately small: a verdict, a Chinese message for the person at
the counter, and only the fields needed to compare with the paper/PDF in front of them.

Strictness, and why:

* Certificates given as ``str``/``bytes`` must be byte-for-byte canonical JSON (what
  :meth:`SignedCertificate.to_json` produces).  Without this, whitespace or ``\\u`` escape
  edits would leave the signature valid, and "any edited byte fails" would not hold.
* The signature is checked on the raw parsed JSON *before* content validation, so a
  tampered field is reported as a bad signature, not as a confusing validation error.
* Forged or unverifiable content is never echoed back: ``fields`` is only filled when the
  signature is genuine.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from .canonical import CanonicalJSONError, b64url_decode, canonical_json, parse_json_strict, signing_input
from .model import CERTIFICATE_FORMAT, SignedCertificate, chinese_errors, parse_timestamp
from .signing import ALGORITHM_PATTERN, KEY_ID_PATTERN, KeyRing, SignatureVerificationError, UnknownKeyError
from .status import CertificateStatus, StatusList, StatusListError, verify_status_list

__all__ = [
    "PublicFields",
    "VerificationResult",
    "VerificationStatus",
    "parse_signed_certificate",
    "verify_certificate",
]


_KEY_ID_RE = re.compile(KEY_ID_PATTERN)
_ALG_RE = re.compile(ALGORITHM_PATTERN)


class VerificationStatus(StrEnum):
    """Outcome of a verification; only ``valid`` means the certificate can be relied on."""

    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    INVALID_SIGNATURE = "invalid_signature"
    UNKNOWN_KEY = "unknown_key"
    MALFORMED = "malformed"


class PublicFields(BaseModel):
    """The minimum a public verifier is shown (no full ID number, no internal data)."""

    model_config = ConfigDict(frozen=True)

    holder_name: str
    id_number_masked: str
    title_name: str
    specialty: str
    qualification_date: str
    certificate_number: str
    issuer: str


class VerificationResult(BaseModel):
    """Verdict of :func:`verify_certificate` / :func:`~.pdf.verify_pdf`."""

    model_config = ConfigDict(frozen=True)

    valid: bool
    status: VerificationStatus
    message: str
    fields: PublicFields | None = None
    kid: str | None = None
    alg: str | None = None
    status_checked: bool = False
    """Whether a status list was consulted for this certificate."""
    status_list_updated: str | None = None
    """``updated`` of the status list used, so the caller can judge its freshness."""


class _Malformed(Exception):
    pass


def _fail(status: VerificationStatus, message: str, **extra: Any) -> VerificationResult:
    return VerificationResult(valid=False, status=status, message=message, **extra)


def _load(signed: dict[str, Any] | str | bytes) -> dict[str, Any]:
    if isinstance(signed, str | bytes | bytearray):
        raw = signed.encode("utf-8") if isinstance(signed, str) else bytes(signed)
        try:
            parsed = parse_json_strict(raw)
        except CanonicalJSONError as exc:
            raise _Malformed(str(exc)) from exc
        if not isinstance(parsed, dict):
            raise _Malformed("顶层应为 JSON 对象")
        try:
            if canonical_json(parsed) != raw:
                raise _Malformed("不是规范 JSON 格式（内容可能被修改或重新排版）")
        except CanonicalJSONError as exc:
            raise _Malformed(str(exc)) from exc
        return parsed
    if isinstance(signed, dict):
        return signed
    raise _Malformed("应为 JSON 对象、文本或字节")


def parse_signed_certificate(signed: dict[str, Any] | str | bytes) -> SignedCertificate:
    """Parse *without* verifying (e.g. to look up the status list id first).

    Raises ``ValueError`` with a Chinese message.  Do not trust the result: call
    :func:`verify_certificate`.
    """
    try:
        document = _load(signed)
        return SignedCertificate.model_validate(document)
    except _Malformed as exc:
        raise ValueError(f"证书格式无效：{exc}") from exc
    except ValidationError as exc:
        raise ValueError("证书格式无效：" + "；".join(chinese_errors(exc))) from exc


def verify_certificate(
    signed: dict[str, Any] | str | bytes,
    keyring: KeyRing,
    status_list: StatusList | dict[str, Any] | str | bytes | None = None,
) -> VerificationResult:
    """Verify a signed certificate (and its status, when a status list is given).

    ``status_list`` may be the signed document (dict/str/bytes; its signature is verified
    against ``keyring``) or a :class:`StatusList` already obtained from
    :func:`~.status.verify_status_list`, which is trusted as is.  Never raises for bad input.
    """
    # 1. structure needed to check the signature
    try:
        document = _load(signed)
    except _Malformed as exc:
        return _fail(VerificationStatus.MALFORMED, f"证书格式无效：{exc}")
    if document.get("format") != CERTIFICATE_FORMAT:
        return _fail(VerificationStatus.MALFORMED, f"证书格式无效：不支持的格式，应为 {CERTIFICATE_FORMAT}")
    proof = document.get("proof")
    if not isinstance(proof, dict) or not all(
        isinstance(proof.get(k), str) for k in ("alg", "kid", "created", "signature")
    ):
        return _fail(VerificationStatus.MALFORMED, "证书格式无效：proof 应包含 alg、kid、created、signature")
    kid: str = proof["kid"]
    alg: str = proof["alg"]
    if _KEY_ID_RE.fullmatch(kid) is None or _ALG_RE.fullmatch(alg) is None:
        return _fail(VerificationStatus.MALFORMED, "证书格式无效：proof 中的密钥标识或签名算法格式不正确")
    try:
        created = parse_timestamp(proof["created"])
        signature = b64url_decode(proof["signature"])
        data = signing_input(document)
    except (ValueError, CanonicalJSONError) as exc:
        return _fail(VerificationStatus.MALFORMED, f"证书格式无效：{exc}", kid=kid, alg=alg)

    # 2. signature
    try:
        keyring.verify(kid=kid, alg=alg, data=data, signature=signature, signed_at=created)
    except UnknownKeyError:
        return _fail(
            VerificationStatus.UNKNOWN_KEY,
            f"无法验证：签名密钥“{kid}”不在发证机关公布的公钥列表中，证书可能是伪造的或公钥列表已过期。",
            kid=kid,
            alg=alg,
        )
    except SignatureVerificationError as exc:
        status = VerificationStatus(exc.code)
        prefix = "无法验证" if status is VerificationStatus.UNKNOWN_KEY else "证书签名无效"
        return _fail(status, f"{prefix}：{exc}", kid=kid, alg=alg)

    # 3. content (signed by a known key, but still checked before anything is shown)
    try:
        certificate = SignedCertificate.model_validate(document)
    except ValidationError as exc:
        return _fail(VerificationStatus.MALFORMED, "证书内容无效：" + "；".join(chinese_errors(exc)), kid=kid, alg=alg)
    if certificate.to_dict() != document:
        return _fail(VerificationStatus.MALFORMED, "证书内容无效：字段表示不规范", kid=kid, alg=alg)

    cert = certificate.data
    fields = PublicFields(
        holder_name=cert.holder_name,
        id_number_masked=cert.id_number_masked,
        title_name=cert.title_name,
        specialty=cert.specialty,
        qualification_date=cert.qualification_date.isoformat(),
        certificate_number=cert.certificate_number,
        issuer=cert.issuer,
    )
    common: dict[str, Any] = {"fields": fields, "kid": kid, "alg": alg}

    # 4. status
    if status_list is None:
        return VerificationResult(
            valid=True,
            status=VerificationStatus.VALID,
            message="证书签名有效（未检查吊销/暂停状态）。",
            **common,
        )
    if cert.status_list_id is None or cert.status_index is None:
        return VerificationResult(
            valid=True,
            status=VerificationStatus.VALID,
            message="证书签名有效；该证书未登记状态列表，无法查询吊销/暂停状态。",
            **common,
        )
    if isinstance(status_list, StatusList):
        checked = status_list
    else:
        try:
            checked = verify_status_list(status_list, keyring)
        except StatusListError as exc:
            return _fail(
                VerificationStatus(exc.code),
                f"证书签名有效，但无法确认其状态：{exc.message}",
                **common,
            )
    common["status_list_updated"] = checked.updated
    if checked.list_id != cert.status_list_id:
        return _fail(
            VerificationStatus.MALFORMED,
            f"证书签名有效，但提供的状态列表（{checked.list_id}）不是该证书登记的列表（{cert.status_list_id}）。",
            **common,
        )
    try:
        state = checked.get(cert.status_index)
    except IndexError:
        return _fail(
            VerificationStatus.MALFORMED,
            f"证书签名有效，但状态序号 {cert.status_index} 超出状态列表范围。",
            **common,
        )
    common["status_checked"] = True
    if state is CertificateStatus.REVOKED:
        return _fail(VerificationStatus.REVOKED, "证书已被发证机关吊销，不再有效。", **common)
    if state is CertificateStatus.SUSPENDED:
        return _fail(VerificationStatus.SUSPENDED, "证书已被暂停使用，当前不可作为有效证明。", **common)
    return VerificationResult(
        valid=True,
        status=VerificationStatus.VALID,
        message="证书有效：签名校验通过，未被吊销或暂停。",
        **common,
    )
