"""Signing keys, published public keys and algorithm dispatch.

Why it looks like this:

* Issuing code only needs something that can ``sign(bytes)`` and name its ``key_id`` and
  ``algorithm`` — the :class:`Signer` protocol.  Today that is :class:`Ed25519Signer`; an SM2
  signer (国密 SM2/SM3, e.g. backed by a hardware security module) only has to implement the
  same five members.
* Verifiers never hold private keys.  They use a :class:`KeyRing` of *published* public keys
  (a small JSON document the issuing authority publishes), looked up by ``kid``.  Old keys
  stay in the document with ``retired_at`` set, so key rotation never breaks certificates
  that were signed before it.
* Every signature carries its algorithm name next to the key id, and verification goes
  through :func:`verify_signature`, which dispatches on that name via a registry.  Plugging in
  SM2 = implement a signer + :func:`register_algorithm` with an SM2 verify function; nothing
  else in the package changes.  The algorithm recorded in a signature must match the one
  the key was published with (no algorithm confusion).

Key dates (``valid_from`` / ``retired_at``) are calendar dates in Beijing time (UTC+8):
a signature is accepted when its creation date lies in ``[valid_from, retired_at]``, both
ends inclusive, so a key retired on the day of rotation still covers that morning's work.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .canonical import b64url_decode, b64url_encode

__all__ = [
    "ALGORITHM_PATTERN",
    "BEIJING",
    "ED25519",
    "KEY_ID_PATTERN",
    "Algorithm",
    "AlgorithmMismatchError",
    "BadSignatureError",
    "Ed25519Signer",
    "KeyNotValidError",
    "KeyRing",
    "KeyRingError",
    "PublishedKey",
    "SignatureVerificationError",
    "Signer",
    "UnknownKeyError",
    "UnsupportedAlgorithmError",
    "generate_key_files",
    "register_algorithm",
    "supported_algorithms",
    "verify_signature",
]

ED25519 = "Ed25519"
"""Algorithm name for Ed25519 (RFC 8032), also the JOSE name from RFC 9864."""

BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")
"""China Standard Time; key validity dates are interpreted in this zone (no DST in China)."""

KEY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
"""Key ids are short ASCII tokens: they appear in URLs and in the PDF signature line."""

ALGORITHM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
"""Algorithm names are short ASCII tokens such as ``Ed25519`` or ``SM2``."""

_KEY_ID_RE = re.compile(KEY_ID_PATTERN)


# --------------------------------------------------------------------------- errors


class SignatureVerificationError(Exception):
    """Base class; ``code`` is the verification status it maps to."""

    code = "invalid_signature"


class UnknownKeyError(SignatureVerificationError):
    """The key id is not in the key ring (not published, or a forged ``kid``)."""

    code = "unknown_key"


class UnsupportedAlgorithmError(SignatureVerificationError):
    """No verifier is registered for the algorithm (e.g. SM2 not installed here)."""

    code = "unknown_key"


class AlgorithmMismatchError(SignatureVerificationError):
    """The signature claims a different algorithm than the key was published with."""


class KeyNotValidError(SignatureVerificationError):
    """The signature was created outside the key's ``[valid_from, retired_at]`` window."""


class BadSignatureError(SignatureVerificationError):
    """The signature does not match the data."""


class KeyRingError(ValueError):
    """The published-keys document is invalid, or a key ring operation is not allowed."""


# --------------------------------------------------------------------------- algorithms


VerifyFunc = Callable[[bytes, bytes, bytes], bool]
"""``verify(public_key, data, signature) -> bool``; must not raise for bad signatures."""


@dataclass(frozen=True)
class Algorithm:
    """A verification algorithm: how to check a public key and a signature.

    ``check_public_key`` raises ``ValueError`` for a malformed key so bad key rings fail at
    load time rather than at the first verification.
    """

    name: str
    verify: VerifyFunc
    check_public_key: Callable[[bytes], None]


def _ed25519_check_key(public_key: bytes) -> None:
    if len(public_key) != 32:
        raise ValueError("Ed25519 公钥必须为 32 字节")
    Ed25519PublicKey.from_public_bytes(public_key)


def _ed25519_verify(public_key: bytes, data: bytes, signature: bytes) -> bool:
    if len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


_ALGORITHMS: dict[str, Algorithm] = {
    ED25519: Algorithm(ED25519, _ed25519_verify, _ed25519_check_key),
}


def register_algorithm(algorithm: Algorithm) -> None:
    """Register (or replace) a verifier, e.g. ``Algorithm("SM2", sm2_verify, sm2_check_key)``."""
    _ALGORITHMS[algorithm.name] = algorithm


def supported_algorithms() -> frozenset[str]:
    """Names of algorithms this process can verify."""
    return frozenset(_ALGORITHMS)


def verify_signature(alg: str, public_key: bytes, data: bytes, signature: bytes) -> bool:
    """Dispatch to the registered verifier for ``alg``.

    Raises :class:`UnsupportedAlgorithmError` when no verifier is registered.
    """
    algorithm = _ALGORITHMS.get(alg)
    if algorithm is None:
        raise UnsupportedAlgorithmError(f"不支持的签名算法：{alg}")
    return algorithm.verify(public_key, data, signature)


# --------------------------------------------------------------------------- signers


@runtime_checkable
class Signer(Protocol):
    """Anything that can produce signatures for certificates and status lists.

    Implementations: :class:`Ed25519Signer`; later an SM2 signer (software or HSM).  The
    private key never has to leave the implementation: only ``sign`` is called.
    """

    @property
    def key_id(self) -> str:
        """Identifier published in the key ring (``kid``)."""
        ...

    @property
    def algorithm(self) -> str:
        """Algorithm name, e.g. ``"Ed25519"`` or ``"SM2"``."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Return the raw signature over ``data``."""
        ...

    def public_key_jwk(self) -> dict[str, str]:
        """The public key as a JWK (for publishing alongside the key ring)."""
        ...

    def public_key_b64(self) -> str:
        """Raw public key, base64url without padding (the key ring's ``public_key``)."""
        ...


def _check_key_id(key_id: str) -> str:
    if not isinstance(key_id, str) or _KEY_ID_RE.fullmatch(key_id) is None:
        raise ValueError(f"密钥标识（kid）格式无效：{key_id!r}，只允许 1–64 个字母、数字或 . _ : -")
    return key_id


class Ed25519Signer:
    """Ed25519 signer from a 32-byte seed or a PEM private key; the key id is always explicit.

    The key id is not derived from the key on purpose: operators choose readable ids such as
    ``"bj-rsj-2025-01"`` and rotation is a matter of publishing a new id.
    """

    def __init__(self, private_key: Ed25519PrivateKey, key_id: str) -> None:
        if not isinstance(private_key, Ed25519PrivateKey):
            raise TypeError("需要 Ed25519 私钥")
        self._key = private_key
        self._key_id = _check_key_id(key_id)

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def algorithm(self) -> str:
        return ED25519

    @classmethod
    def from_seed(cls, seed: bytes, key_id: str) -> Ed25519Signer:
        """Build from the raw 32-byte private seed (RFC 8032)."""
        if len(seed) != 32:
            raise ValueError("Ed25519 私钥种子必须为 32 字节")
        return cls(Ed25519PrivateKey.from_private_bytes(seed), key_id)

    @classmethod
    def from_pem(cls, pem: bytes | str, key_id: str, password: bytes | None = None) -> Ed25519Signer:
        """Load a PKCS#8 PEM private key (optionally encrypted with ``password``)."""
        data = pem.encode("ascii") if isinstance(pem, str) else pem
        key = serialization.load_pem_private_key(data, password=password)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("PEM 文件中不是 Ed25519 私钥")
        return cls(key, key_id)

    @classmethod
    def from_pem_file(cls, path: str | os.PathLike[str], key_id: str, password: bytes | None = None) -> Ed25519Signer:
        """Load :meth:`from_pem` from a file."""
        return cls.from_pem(Path(path).read_bytes(), key_id, password)

    @classmethod
    def generate(cls, key_id: str) -> Ed25519Signer:
        """Fresh random key (from the OS CSPRNG)."""
        return cls(Ed25519PrivateKey.generate(), key_id)

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def public_key_bytes(self) -> bytes:
        """Raw 32-byte public key."""
        return self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def public_key_b64(self) -> str:
        return b64url_encode(self.public_key_bytes())

    def public_key_jwk(self) -> dict[str, str]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": ED25519,
            "use": "sig",
            "kid": self._key_id,
            "x": self.public_key_b64(),
        }

    def private_key_pem(self, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM; encrypted with ``password`` when given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
        )
        return self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)

    def public_key_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM, for tools that want a file rather than the key ring."""
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def published_key(self, valid_from: dt.date, retired_at: dt.date | None = None) -> PublishedKey:
        """The key ring entry for this signer."""
        return PublishedKey(
            kid=self._key_id,
            alg=ED25519,
            public_key=self.public_key_b64(),
            valid_from=valid_from,
            retired_at=retired_at,
        )

    def __repr__(self) -> str:  # never show key material
        return f"Ed25519Signer(key_id={self._key_id!r})"


# --------------------------------------------------------------------------- key ring


class PublishedKey(BaseModel):
    """One entry of the published-keys document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kid: str = Field(pattern=KEY_ID_PATTERN, title="密钥标识")
    alg: str = Field(pattern=ALGORITHM_PATTERN, title="签名算法")
    public_key: str = Field(title="公钥（base64url）")
    valid_from: dt.date = Field(title="启用日期")
    retired_at: dt.date | None = Field(default=None, title="停用日期")

    @field_validator("public_key")
    @classmethod
    def _public_key_ok(cls, value: str) -> str:
        try:
            raw = b64url_decode(value)
        except ValueError as exc:
            raise ValueError("公钥必须是无填充的 base64url 编码") from exc
        if not raw:
            raise ValueError("公钥不能为空")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PublishedKey:
        if self.retired_at is not None and self.retired_at < self.valid_from:
            raise ValueError("停用日期不能早于启用日期")
        algorithm = _ALGORITHMS.get(self.alg)
        if algorithm is not None:  # unknown algorithms are kept: a newer verifier may know them
            try:
                algorithm.check_public_key(self.public_key_bytes())
            except ValueError as exc:
                raise ValueError(f"公钥与算法 {self.alg} 不符：{exc}") from exc
        return self

    def public_key_bytes(self) -> bytes:
        """Decoded raw public key."""
        return b64url_decode(self.public_key)

    def covers(self, when: dt.datetime) -> bool:
        """Whether a signature created at ``when`` falls into this key's validity window."""
        if when.tzinfo is None:
            raise ValueError("签名时间必须带时区")
        day = when.astimezone(BEIJING).date()
        if day < self.valid_from:
            return False
        return self.retired_at is None or day <= self.retired_at


class _KeyRingDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[PublishedKey]


class KeyRing:
    """Public keys by key id, used by verifiers; never holds private keys.

    Serialised as the "published keys" document::

        {"keys": [{"kid": "...", "alg": "Ed25519", "public_key": "<base64url>",
                   "valid_from": "2025-01-01", "retired_at": null}]}
    """

    def __init__(self, keys: Iterable[PublishedKey] = ()) -> None:
        self._keys: dict[str, PublishedKey] = {}
        for key in keys:
            self.add(key)

    # -- building --------------------------------------------------------------------

    def add(self, key: PublishedKey) -> None:
        """Add a key; re-adding an identical entry is a no-op, a conflicting one an error."""
        existing = self._keys.get(key.kid)
        if existing is not None and existing != key:
            raise KeyRingError(f"密钥标识重复且内容不同：{key.kid}")
        self._keys[key.kid] = key

    def add_signer(self, signer: Signer, valid_from: dt.date, retired_at: dt.date | None = None) -> PublishedKey:
        """Publish the public half of ``signer``."""
        key = PublishedKey(
            kid=signer.key_id,
            alg=signer.algorithm,
            public_key=signer.public_key_b64(),
            valid_from=valid_from,
            retired_at=retired_at,
        )
        self.add(key)
        return key

    def retire(self, kid: str, on: dt.date) -> PublishedKey:
        """Mark ``kid`` as retired on ``on`` (inclusive); its old signatures stay valid."""
        key = self._require(kid)
        if key.retired_at is not None and key.retired_at <= on:
            return key  # already retired no later than asked: never extend a key's life
        try:
            updated = PublishedKey.model_validate({**key.model_dump(), "retired_at": on})
        except ValidationError as exc:
            raise KeyRingError(f"无法停用密钥 {kid}：{exc}") from exc
        self._keys[kid] = updated
        return updated

    # -- lookup ----------------------------------------------------------------------

    def get(self, kid: str) -> PublishedKey | None:
        """The entry for ``kid`` or ``None``."""
        return self._keys.get(kid)

    def _require(self, kid: str) -> PublishedKey:
        key = self._keys.get(kid)
        if key is None:
            raise UnknownKeyError(f"未知的签名密钥：{kid}（不在已发布的公钥列表中）")
        return key

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __iter__(self) -> Iterator[PublishedKey]:
        return iter(sorted(self._keys.values(), key=lambda k: (k.valid_from, k.kid)))

    def __len__(self) -> int:
        return len(self._keys)

    def active_keys(self, on: dt.date) -> list[PublishedKey]:
        """Keys that may sign on day ``on`` (Beijing date)."""
        return [k for k in self if k.valid_from <= on and (k.retired_at is None or on <= k.retired_at)]

    # -- verification ----------------------------------------------------------------

    def verify(
        self,
        *,
        kid: str,
        alg: str,
        data: bytes,
        signature: bytes,
        signed_at: dt.datetime | None = None,
    ) -> PublishedKey:
        """Verify ``signature`` over ``data`` with key ``kid``; return the key on success.

        Raises a :class:`SignatureVerificationError` subclass otherwise.  ``signed_at`` (the
        signature's own, signed, creation time) is checked against the key's validity window.
        """
        key = self._require(kid)
        if alg != key.alg:
            raise AlgorithmMismatchError(f"签名算法 {alg} 与密钥 {kid} 的算法 {key.alg} 不一致")
        if not verify_signature(alg, key.public_key_bytes(), data, signature):
            raise BadSignatureError("数字签名校验失败，内容可能被篡改")
        if signed_at is not None and not key.covers(signed_at):
            raise KeyNotValidError(
                f"签名时间 {signed_at.astimezone(BEIJING).date().isoformat()} 不在密钥 {kid} 的有效期内"
            )
        return key

    # -- (de)serialisation -----------------------------------------------------------

    def to_document(self) -> dict[str, Any]:
        """The published-keys document as plain JSON data."""
        return {"keys": [k.model_dump(mode="json") for k in self]}

    def to_json(self) -> bytes:
        """Pretty, stable JSON (meant for humans and web servers, not signed)."""
        return (json.dumps(self.to_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_document(cls, document: Any) -> KeyRing:
        """Parse a published-keys document (already decoded JSON)."""
        try:
            parsed = _KeyRingDocument.model_validate(document)
        except ValidationError as exc:
            raise KeyRingError(f"公钥列表格式无效：{exc}") from exc
        return cls(parsed.keys)

    @classmethod
    def from_json(cls, data: str | bytes) -> KeyRing:
        """Parse a published-keys JSON text."""
        try:
            document = json.loads(data)
        except ValueError as exc:
            raise KeyRingError(f"公钥列表不是有效的 JSON：{exc}") from exc
        return cls.from_document(document)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KeyRing:
        """Read a published-keys file."""
        return cls.from_json(Path(path).read_bytes())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the published-keys file (atomically, world-readable: it is public)."""
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(self.to_json())
        os.replace(tmp, target)


# --------------------------------------------------------------------------- key files


def _write_new_file(path: Path, data: bytes, mode: int, overwrite: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    with os.fdopen(os.open(path, flags, mode), "wb") as fh:
        os.fchmod(fh.fileno(), mode)  # the O_CREAT mode is masked by umask and unused on overwrite
        fh.write(data)


def generate_key_files(
    private_key_path: str | os.PathLike[str],
    key_id: str,
    *,
    public_key_path: str | os.PathLike[str] | None = None,
    valid_from: dt.date | None = None,
    password: bytes | None = None,
    overwrite: bool = False,
) -> PublishedKey:
    """Generate an Ed25519 key pair for ``zhicheng keys generate``.

    Writes the PKCS#8 private key PEM with mode 0600 (refusing to overwrite unless asked),
    optionally the public key PEM (0644), and returns the key ring entry to publish.
    """
    signer = Ed25519Signer.generate(key_id)
    _write_new_file(Path(private_key_path), signer.private_key_pem(password), 0o600, overwrite)
    if public_key_path is not None:
        _write_new_file(Path(public_key_path), signer.public_key_pem(), 0o644, overwrite)
    return signer.published_key(valid_from or dt.datetime.now(BEIJING).date())
