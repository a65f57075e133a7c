"""Revocation and suspension status lists (in the style of W3C Bitstring Status List).

Why a bitstring: a verifier downloads one small, signed document for *all* certificates of
an issuing authority and looks up its own index locally, so the issuer never learns which
certificate is being checked (herd privacy), and the list works offline once cached.

Choices made here (documented in ``docs/certificates.md``):

* **Two bitstrings** of equal length, ``revocation`` and ``suspension``, rather than one list
  with two bits per entry — each is exactly the W3C single-purpose list, and a viewer can
  decode either alone.  Bit ``i`` is bit ``7 - i % 8`` of byte ``i // 8`` (left-most bit of
  the first byte is index 0), as in the W3C spec.
* Each bitstring is gzip-compressed (``mtime=0`` for reproducible bytes) and base64url
  encoded without padding.  Default length 131 072 entries (16 KiB), the W3C minimum.
* Revocation is final: a revoked entry cannot be cleared or suspended; revocation wins over
  suspension.  Suspension can be set and cleared.
* The document is signed like a certificate: canonical JSON of everything except
  ``proof.signature``, with ``updated`` (and ``proof.created``) timestamps in UTC.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import zlib
from enum import StrEnum
from typing import Any, Final

from .canonical import (
    CanonicalJSONError,
    b64url_decode,
    b64url_encode,
    canonical_json,
    parse_json_strict,
    signing_input,
)
from .model import format_timestamp, parse_timestamp
from .signing import ALGORITHM_PATTERN, KEY_ID_PATTERN, KeyRing, SignatureVerificationError, Signer

__all__ = [
    "DEFAULT_LIST_SIZE",
    "STATUS_LIST_FORMAT",
    "CertificateStatus",
    "StatusList",
    "StatusListError",
    "clear_status",
    "decode_bitstring",
    "encode_bitstring",
    "read_status",
    "set_status",
    "verify_status_list",
]

STATUS_LIST_FORMAT: Final = "zhicheng.status_list.v1"
DEFAULT_LIST_SIZE: Final = 131_072
MAX_LIST_SIZE: Final = 8 * 1024 * 1024 * 8  # 8 MiB per bitstring: bounds decompression

_LIST_ID_RE: Final = re.compile(KEY_ID_PATTERN)  # list ids and key ids share one syntax
_ALG_RE: Final = re.compile(ALGORITHM_PATTERN)
_DOC_KEYS: Final = frozenset({"format", "id", "size", "updated", "revocation", "suspension", "proof"})
_PROOF_KEYS: Final = frozenset({"alg", "kid", "created", "signature"})


class CertificateStatus(StrEnum):
    """Status of one entry."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class StatusListError(ValueError):
    """A status list document could not be trusted; ``code`` is the verification status."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def encode_bitstring(bits: bytes) -> str:
    """gzip (mtime 0, level 9) + base64url without padding."""
    return b64url_encode(gzip.compress(bits, compresslevel=9, mtime=0))


def decode_bitstring(encoded: str, size: int) -> bytearray:
    """Inverse of :func:`encode_bitstring`; the result must be exactly ``size`` bits long.

    Decompression is bounded so a hostile list cannot exhaust memory.
    """
    expected = _byte_length(size)
    compressed = b64url_decode(encoded)
    inflater = zlib.decompressobj(wbits=31)  # gzip container only
    try:
        raw = inflater.decompress(compressed, expected + 1)
    except zlib.error as exc:
        raise ValueError("状态位串不是有效的 gzip 数据") from exc
    if len(raw) != expected or not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
        raise ValueError("状态位串长度与声明的条目数不符")
    return bytearray(raw)


def _byte_length(size: int) -> int:
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0 or size % 8 or size > MAX_LIST_SIZE:
        raise ValueError(f"状态列表条目数必须是 8 的正整数倍且不超过 {MAX_LIST_SIZE}")
    return size // 8


def _get_bit(bits: bytes | bytearray, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _set_bit(bits: bytearray, index: int, value: bool) -> None:
    mask = 0x80 >> (index % 8)
    if value:
        bits[index // 8] |= mask
    else:
        bits[index // 8] &= ~mask & 0xFF


class StatusList:
    """In-memory status list; build it, change entries, then :meth:`to_document` to publish."""

    def __init__(
        self,
        list_id: str,
        size: int = DEFAULT_LIST_SIZE,
        *,
        revocation: bytes | bytearray | None = None,
        suspension: bytes | bytearray | None = None,
        updated: str | None = None,
    ) -> None:
        if not isinstance(list_id, str) or _LIST_ID_RE.fullmatch(list_id) is None:
            raise ValueError(f"状态列表标识格式无效：{list_id!r}")
        nbytes = _byte_length(size)
        self.list_id = list_id
        self.size = size
        self.updated = updated
        """Timestamp of the document this list was read from (``None`` if built locally)."""
        self._revocation = bytearray(revocation) if revocation is not None else bytearray(nbytes)
        self._suspension = bytearray(suspension) if suspension is not None else bytearray(nbytes)
        if len(self._revocation) != nbytes or len(self._suspension) != nbytes:
            raise ValueError("状态位串长度与条目数不符")

    def _check_index(self, index: int) -> None:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.size:
            raise IndexError(f"状态序号 {index} 超出范围（0–{self.size - 1}）")

    def get(self, index: int) -> CertificateStatus:
        """Status of entry ``index``; revocation wins over suspension."""
        self._check_index(index)
        if _get_bit(self._revocation, index):
            return CertificateStatus.REVOKED
        if _get_bit(self._suspension, index):
            return CertificateStatus.SUSPENDED
        return CertificateStatus.ACTIVE

    def set(self, index: int, status: CertificateStatus | str) -> None:
        """Set entry ``index`` to ``status`` (``active`` clears a suspension).

        Raises ``ValueError`` when trying to un-revoke: revocation is final.
        """
        self._check_index(index)
        target = CertificateStatus(status)
        current = self.get(index)
        if current is CertificateStatus.REVOKED and target is not CertificateStatus.REVOKED:
            raise ValueError("证书已吊销，吊销不可撤销或改为暂停")
        if target is CertificateStatus.REVOKED:
            _set_bit(self._revocation, index, True)
            _set_bit(self._suspension, index, False)
        else:
            _set_bit(self._suspension, index, target is CertificateStatus.SUSPENDED)

    def revoke(self, index: int) -> None:
        """Permanently revoke entry ``index``."""
        self.set(index, CertificateStatus.REVOKED)

    def suspend(self, index: int) -> None:
        """Suspend entry ``index`` (reversible with :meth:`reinstate`)."""
        self.set(index, CertificateStatus.SUSPENDED)

    def reinstate(self, index: int) -> None:
        """Clear a suspension."""
        self.set(index, CertificateStatus.ACTIVE)

    def counts(self) -> dict[CertificateStatus, int]:
        """How many entries are revoked / suspended (for dashboards and tests)."""
        revoked = sum(bin(b).count("1") for b in self._revocation)
        suspended = sum(bin(s & ~r & 0xFF).count("1") for r, s in zip(self._revocation, self._suspension, strict=True))
        return {
            CertificateStatus.REVOKED: revoked,
            CertificateStatus.SUSPENDED: suspended,
            CertificateStatus.ACTIVE: self.size - revoked - suspended,
        }

    def to_document(self, signer: Signer, updated: dt.datetime | None = None) -> dict[str, Any]:
        """Signed status list document (plain JSON data; serialise with ``canonical_json``)."""
        stamp = format_timestamp(updated or dt.datetime.now(dt.UTC))
        document: dict[str, Any] = {
            "format": STATUS_LIST_FORMAT,
            "id": self.list_id,
            "size": self.size,
            "updated": stamp,
            "revocation": encode_bitstring(bytes(self._revocation)),
            "suspension": encode_bitstring(bytes(self._suspension)),
            "proof": {"alg": signer.algorithm, "kid": signer.key_id, "created": stamp},
        }
        document["proof"]["signature"] = b64url_encode(signer.sign(signing_input(document)))
        return document

    def to_json(self, signer: Signer, updated: dt.datetime | None = None) -> bytes:
        """Canonical JSON bytes of :meth:`to_document`."""
        return canonical_json(self.to_document(signer, updated))


def _malformed(message: str) -> StatusListError:
    return StatusListError("malformed", f"状态列表格式无效：{message}")


def verify_status_list(document: dict[str, Any] | str | bytes, keyring: KeyRing) -> StatusList:
    """Check a status list document's structure and signature; return the decoded list.

    Raises :class:`StatusListError` whose ``code`` is ``malformed``, ``invalid_signature``
    or ``unknown_key``.
    """
    if isinstance(document, str | bytes | bytearray):
        raw = document.encode("utf-8") if isinstance(document, str) else bytes(document)
        try:
            parsed = parse_json_strict(raw)
        except CanonicalJSONError as exc:
            raise _malformed(str(exc)) from exc
        if not isinstance(parsed, dict):
            raise _malformed("顶层应为 JSON 对象")
        try:
            canonical = canonical_json(parsed)
        except CanonicalJSONError as exc:
            raise _malformed(str(exc)) from exc
        if canonical != raw:
            raise _malformed("不是规范 JSON 格式（可能被修改或重新排版）")
        doc: dict[str, Any] = parsed
    elif isinstance(document, dict):
        doc = document
    else:
        raise _malformed("应为 JSON 对象、文本或字节")

    if set(doc) != _DOC_KEYS or doc.get("format") != STATUS_LIST_FORMAT:
        raise _malformed(f"字段应为 {sorted(_DOC_KEYS)}，format 应为 {STATUS_LIST_FORMAT}")
    proof = doc["proof"]
    if not isinstance(proof, dict) or set(proof) != _PROOF_KEYS:
        raise _malformed("proof 应包含 alg、kid、created、signature")
    if not all(isinstance(proof[k], str) for k in _PROOF_KEYS):
        raise _malformed("proof 的各项应为文本")
    if _LIST_ID_RE.fullmatch(proof["kid"]) is None or _ALG_RE.fullmatch(proof["alg"]) is None:
        raise _malformed("proof 中的密钥标识或签名算法格式不正确")
    for key in ("id", "updated", "revocation", "suspension"):
        if not isinstance(doc[key], str):
            raise _malformed(f"{key} 应为文本")
    try:
        created = parse_timestamp(proof["created"])
        parse_timestamp(doc["updated"])
        signature = b64url_decode(proof["signature"])
        data = signing_input(doc)
    except (ValueError, CanonicalJSONError) as exc:
        raise _malformed(str(exc)) from exc

    try:
        keyring.verify(kid=proof["kid"], alg=proof["alg"], data=data, signature=signature, signed_at=created)
    except SignatureVerificationError as exc:
        raise StatusListError(exc.code, f"状态列表签名无效：{exc}") from exc

    try:
        size = doc["size"]
        return StatusList(
            doc["id"],
            size,
            revocation=decode_bitstring(doc["revocation"], size),
            suspension=decode_bitstring(doc["suspension"], size),
            updated=doc["updated"],
        )
    except (ValueError, TypeError) as exc:
        raise _malformed(str(exc)) from exc


def read_status(status_list: StatusList, index: int) -> CertificateStatus:
    """Status of entry ``index``."""
    return status_list.get(index)


def set_status(status_list: StatusList, index: int, status: CertificateStatus | str) -> None:
    """Set entry ``index`` (revoke, suspend, or ``active`` to clear a suspension)."""
    status_list.set(index, status)


def clear_status(status_list: StatusList, index: int, status: CertificateStatus | str) -> None:
    """Clear one status flag: clearing ``suspended`` reinstates; clearing ``revoked`` is refused."""
    target = CertificateStatus(status)
    if target is CertificateStatus.REVOKED:
        if status_list.get(index) is CertificateStatus.REVOKED:
            raise ValueError("证书已吊销，吊销不可撤销")
        return
    if target is CertificateStatus.SUSPENDED and status_list.get(index) is CertificateStatus.SUSPENDED:
        status_list.set(index, CertificateStatus.ACTIVE)
