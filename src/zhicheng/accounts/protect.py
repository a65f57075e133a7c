"""Field-level protection of personal data (个人信息字段级加密与盲索引).

Identity numbers, phone numbers and similar fields are stored as AES-256-GCM tokens so
that a leaked database dump or backup does not disclose them (《个人信息保护法》第五十一条
requires encryption as a security measure; GB/T 35273-2020 §6.3 asks for encrypted storage
of personal sensitive information).  Exact look-up ("is this ID number already
registered?") uses a keyed HMAC blind index instead of the plaintext.

Key hierarchy: one master secret (≥ 32 bytes, from configuration) → HKDF-SHA256
(RFC 5869) with distinct ``info`` labels → an AES-256-GCM key (NIST SP 800-38D) and an
HMAC-SHA256 key (RFC 2104).  Separate sub-keys mean neither use can weaken the other.

Token format (ASCII, no padding)::

    v1.<key id>.<base64url(12-byte nonce ‖ ciphertext ‖ 16-byte tag)>

The ``v1.<key id>`` header and an optional caller ``context`` are authenticated as GCM
associated data, so a token cannot be relabelled with another key id or moved to another
record/field without detection.

Production must set ``ZHICHENG_SECRET_KEY``; the key-file helper exists only so a
development checkout works out of the box.  See docs/personal-data.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "ENV_KEY_ID",
    "ENV_RETIRED_KEYS",
    "ENV_SECRET_KEY",
    "MIN_MASTER_KEY_BYTES",
    "InvalidTokenError",
    "KeyConfigError",
    "PersonalDataProtector",
    "ProtectionError",
    "UnknownKeyError",
    "decode_master_key",
    "load_or_create_dev_key",
    "master_key_from_env",
    "normalise_for_index",
    "protector_from_env",
    "resolve_master_key",
]

logger = logging.getLogger(__name__)

ENV_SECRET_KEY = "ZHICHENG_SECRET_KEY"
"""Master secret, hex or base64 (optionally prefixed ``hex:`` / ``base64:``)."""
ENV_KEY_ID = "ZHICHENG_SECRET_KEY_ID"
"""Identifier of the current master secret; defaults to ``k1``."""
ENV_RETIRED_KEYS = "ZHICHENG_RETIRED_SECRET_KEYS"
"""Older secrets still accepted for decryption: ``k1:<hex|base64>,k0:<hex|base64>``."""

MIN_MASTER_KEY_BYTES = 32
TOKEN_VERSION = "v1"

_ENC_INFO = b"zhicheng/personal-data/v1/aes-256-gcm"
_INDEX_INFO = b"zhicheng/personal-data/v1/blind-index-hmac-sha256"
_NONCE_BYTES = 12  # the GCM nonce size recommended by NIST SP 800-38D §5.2.1.1
_TAG_BYTES = 16
_KEY_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")
_HEX_RE = re.compile(r"(?:[0-9a-fA-F]{2})+")
_WHITESPACE_RE = re.compile(r"\s+")


class ProtectionError(Exception):
    """Base class for personal-data protection failures."""


class KeyConfigError(ProtectionError):
    """The master key configuration is missing or malformed (the message never contains key material)."""


class UnknownKeyError(ProtectionError):
    """A token names a key id this protector does not hold (a retired key not configured?)."""


class InvalidTokenError(ProtectionError):
    """A token is malformed, was tampered with, or was encrypted under a different key."""


@dataclass(frozen=True, slots=True)
class _SubKeys:
    aead: AESGCM
    index_key: bytes


def _hkdf(master_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master_key)


def _derive(key_id: str, master_key: bytes) -> _SubKeys:
    if not _KEY_ID_RE.fullmatch(key_id):
        raise KeyConfigError(f"密钥标识 {key_id!r} 无效：只能使用 1–32 个字母、数字、_ 或 -")
    if not isinstance(master_key, bytes | bytearray):
        raise KeyConfigError(f"主密钥 {key_id} 必须是 bytes")
    if len(master_key) < MIN_MASTER_KEY_BYTES:
        raise KeyConfigError(
            f"主密钥 {key_id} 只有 {len(master_key)} 字节，至少需要 {MIN_MASTER_KEY_BYTES} 字节"
        )
    key = bytes(master_key)
    return _SubKeys(aead=AESGCM(_hkdf(key, _ENC_INFO)), index_key=_hkdf(key, _INDEX_INFO))


def normalise_for_index(value: str) -> str:
    """Canonical form used by the blind index, so trivially different inputs match.

    NFKC folds full-width characters typed through a Chinese IME (``１１０`` → ``110``),
    whitespace is trimmed and collapsed, and case is folded (``x`` ≡ ``X`` in ID numbers).
    """
    folded = unicodedata.normalize("NFKC", value)
    return _WHITESPACE_RE.sub(" ", folded).strip().casefold()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode_canonical(text: str) -> bytes:
    if not _B64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        raise InvalidTokenError("密文格式错误：数据部分不是 base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # Reject non-canonical encodings (unused low bits set), so every distinct token
    # string is either the one we produced or rejected.
    if _b64encode(data) != text:
        raise InvalidTokenError("密文格式错误：数据部分不是规范的 base64url")
    return data


class PersonalDataProtector:
    """Encrypts personal-data fields and computes blind indexes.

    ``master_key``/``key_id`` is the current key, used for new tokens and indexes.
    ``old_keys`` maps retired key ids to their master secrets; tokens made under them still
    decrypt, and :meth:`reencrypt` moves them to the current key.
    """

    def __init__(
        self,
        master_key: bytes,
        key_id: str = "k1",
        *,
        old_keys: Mapping[str, bytes] | None = None,
    ) -> None:
        self._key_id = key_id
        self._keys: dict[str, _SubKeys] = {}
        for old_id, old_key in (old_keys or {}).items():
            self._keys[old_id] = _derive(old_id, old_key)
        if key_id in self._keys:
            raise KeyConfigError(f"密钥标识 {key_id} 同时出现在当前密钥和旧密钥中")
        self._keys[key_id] = _derive(key_id, master_key)

    def __repr__(self) -> str:
        return f"PersonalDataProtector(key_id={self._key_id!r}, key_ids={self.key_ids!r})"

    @property
    def key_id(self) -> str:
        """Id of the current key (written into new tokens)."""
        return self._key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        """All key ids this protector can decrypt, current first."""
        return (self._key_id, *sorted(k for k in self._keys if k != self._key_id))

    @staticmethod
    def _aad(header: str, context: str) -> bytes:
        return header.encode("ascii") + b"\x00" + context.encode("utf-8")

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        """Encrypt one field value under the current key with a fresh random nonce.

        ``context`` (e.g. ``"person.id_number"``) is authenticated but not stored: the same
        value must be given to :meth:`decrypt`, which stops tokens being swapped between
        fields.
        """
        header = f"{TOKEN_VERSION}.{self._key_id}"
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._keys[self._key_id].aead.encrypt(
            nonce, plaintext.encode("utf-8"), self._aad(header, context)
        )
        return f"{header}.{_b64encode(nonce + sealed)}"

    @staticmethod
    def token_key_id(token: str) -> str:
        """Key id named in a token's header (without decrypting it)."""
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidTokenError("密文格式错误：应为“版本.密钥标识.数据”三段")
        version, key_id, _ = parts
        if version != TOKEN_VERSION:
            raise InvalidTokenError(f"密文版本 {version!r} 不受支持（当前为 {TOKEN_VERSION}）")
        if not _KEY_ID_RE.fullmatch(key_id):
            raise InvalidTokenError("密文格式错误：密钥标识无效")
        return key_id

    def decrypt(self, token: str, *, context: str = "") -> str:
        """Decrypt a token made by :meth:`encrypt` under any key this protector holds.

        Raises :class:`UnknownKeyError` for a key id not configured and
        :class:`InvalidTokenError` for a malformed, tampered or wrong-key token.
        """
        key_id = self.token_key_id(token)
        keys = self._keys.get(key_id)
        if keys is None:
            raise UnknownKeyError(f"密文使用的密钥 {key_id} 未配置（已配置：{', '.join(self.key_ids)}）")
        header, _, payload = token.rpartition(".")
        data = _b64decode_canonical(payload)
        if len(data) < _NONCE_BYTES + _TAG_BYTES:
            raise InvalidTokenError("密文格式错误：数据过短")
        try:
            plain = keys.aead.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], self._aad(header, context))
        except InvalidTag:
            raise InvalidTokenError(
                f"密文认证失败：密钥 {key_id} 不匹配、上下文不一致或密文已被篡改"
            ) from None
        return plain.decode("utf-8")

    def needs_reencrypt(self, token: str) -> bool:
        """True if the token was made under a key other than the current one."""
        return self.token_key_id(token) != self._key_id

    def reencrypt(self, token: str, *, context: str = "") -> str:
        """Decrypt under whichever key made the token and encrypt under the current key."""
        return self.encrypt(self.decrypt(token, context=context), context=context)

    def blind_index(self, value: str, *, field: str = "", key_id: str | None = None) -> str:
        """HMAC-SHA256 (hex) of the normalised value, for exact look-up without plaintext.

        ``field`` separates domains so that equal values in different columns (say a phone
        number and an ID number) do not produce linkable indexes.  ``key_id`` selects an
        older key, for looking up rows not yet re-indexed during a rotation.
        """
        if "\x00" in field:
            raise ValueError("field must not contain NUL")
        chosen = self._key_id if key_id is None else key_id
        keys = self._keys.get(chosen)
        if keys is None:
            raise UnknownKeyError(f"密钥 {chosen} 未配置")
        message = field.encode("utf-8") + b"\x00" + normalise_for_index(value).encode("utf-8")
        return hmac.new(keys.index_key, message, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------
# Key configuration
# ---------------------------------------------------------------------------


def decode_master_key(text: str, *, source: str = "主密钥") -> bytes:
    """Decode a configured secret: ``hex:…``, ``base64:…``, or unprefixed hex / base64(url).

    Unprefixed text made only of an even number of hex digits is read as hex, anything
    else as base64 (standard or URL-safe, padding optional).  At least 32 bytes required.
    """
    raw = text.strip()
    if raw.startswith("hex:"):
        kind, body = "hex", raw[4:]
    elif raw.startswith("base64:"):
        kind, body = "base64", raw[7:]
    else:
        kind, body = ("hex" if _HEX_RE.fullmatch(raw) else "base64"), raw
    try:
        if kind == "hex":
            key = bytes.fromhex(body)
        else:
            std = body.replace("-", "+").replace("_", "/").rstrip("=")
            key = base64.b64decode(std + "=" * (-len(std) % 4), validate=True)
    except (ValueError, binascii.Error):
        raise KeyConfigError(f"{source} 不是有效的 {kind} 编码") from None
    if len(key) < MIN_MASTER_KEY_BYTES:
        raise KeyConfigError(f"{source} 解码后只有 {len(key)} 字节，至少需要 {MIN_MASTER_KEY_BYTES} 字节")
    return key


def master_key_from_env(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The master key from ``ZHICHENG_SECRET_KEY``, or ``None`` if it is unset or empty.

    A set but malformed value raises :class:`KeyConfigError` rather than falling back to
    a development key.
    """
    env = os.environ if environ is None else environ
    text = env.get(ENV_SECRET_KEY, "").strip()
    if not text:
        return None
    return decode_master_key(text, source=ENV_SECRET_KEY)


def load_or_create_dev_key(path: str | os.PathLike[str]) -> bytes:
    """Read the development key file, creating it (mode 0600, 32 random bytes as hex) if absent.

    For development and tests only; production sets ``ZHICHENG_SECRET_KEY``.  Creation
    writes a temporary file and hard-links it into place, so concurrent first runs agree
    on one key and nobody reads a half-written file.
    """
    target = Path(path)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not target.exists():
        key = secrets.token_bytes(MIN_MASTER_KEY_BYTES)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                os.fchmod(fh.fileno(), 0o600)
                fh.write(key.hex() + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, target)
            except FileExistsError:
                pass  # another process won the race; use its key
            else:
                logger.warning("已生成开发用个人信息主密钥 %s；生产环境必须设置 %s", target, ENV_SECRET_KEY)
                return key
        finally:
            tmp.unlink(missing_ok=True)
    mode = stat.S_IMODE(target.stat().st_mode)
    if mode & 0o077:
        logger.warning("开发密钥文件 %s 权限为 %o，应为 600", target, mode)
    return decode_master_key(target.read_text(encoding="ascii"), source=f"密钥文件 {target}")


def resolve_master_key(
    dev_key_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> bytes:
    """``ZHICHENG_SECRET_KEY`` if set; otherwise the development key file if a path is given."""
    key = master_key_from_env(environ)
    if key is not None:
        return key
    if dev_key_file is None:
        raise KeyConfigError(
            f"未配置个人信息主密钥：请设置环境变量 {ENV_SECRET_KEY}（hex 或 base64，≥32 字节）"
        )
    logger.warning("未设置 %s，使用开发密钥文件 %s（仅限开发环境）", ENV_SECRET_KEY, dev_key_file)
    return load_or_create_dev_key(dev_key_file)


def _parse_retired_keys(text: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key_id, sep, secret = item.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID_RE.fullmatch(key_id):
            raise KeyConfigError(f"{ENV_RETIRED_KEYS} 格式应为 “k1:<密钥>,k0:<密钥>”")
        if key_id in keys:
            raise KeyConfigError(f"{ENV_RETIRED_KEYS} 中密钥标识 {key_id} 重复")
        keys[key_id] = decode_master_key(secret, source=f"{ENV_RETIRED_KEYS} 中的 {key_id}")
    return keys


def protector_from_env(
    dev_key_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> PersonalDataProtector:
    """Build the protector from ``ZHICHENG_SECRET_KEY`` (+ ``…_KEY_ID``, ``…_RETIRED_SECRET_KEYS``)."""
    env = os.environ if environ is None else environ
    key_id = env.get(ENV_KEY_ID, "").strip() or "k1"
    old_keys = _parse_retired_keys(env.get(ENV_RETIRED_KEYS, ""))
    return PersonalDataProtector(resolve_master_key(dev_key_file, env), key_id, old_keys=old_keys)
