"""Canonical encodings used for everything that is signed.

A signature is only meaningful if signer and verifier hash *the same bytes*.  We therefore
never sign "some JSON" but always :func:`canonical_json` of a plain Python value: UTF-8,
keys sorted, no insignificant whitespace, non-ASCII characters kept as-is (so Chinese text is
readable and one character has exactly one encoding).

The verifier additionally insists that a certificate it receives as bytes *is* in canonical
form (see :func:`zhicheng.certificates.verify.verify_certificate`); that is what makes "any
edited byte fails" true even for edits that would not change the parsed value (whitespace,
``\\u`` escapes, duplicate keys).

Base64url helpers live here too because they are part of the wire format: decoding is strict
(alphabet, no padding, *and* canonical trailing bits), otherwise two different strings could
decode to the same signature.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CanonicalJSONError",
    "b64url_decode",
    "b64url_encode",
    "canonical_json",
    "parse_json_strict",
    "signing_input",
]

_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")


class CanonicalJSONError(ValueError):
    """Raised when a value cannot be canonicalised or a JSON text is not acceptable."""


def canonical_json(value: Any) -> bytes:
    """Return the canonical UTF-8 JSON bytes of ``value``.

    Only JSON-native types are allowed (dict with str keys, list, str, int, bool, None);
    floats are refused because their textual form is not stable across implementations and no
    signed document of ours needs them.
    """
    _check_types(value)
    try:
        text = json.dumps(
            value,
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            allow_nan=False,
        )
    except (TypeError, ValueError) as exc:  # pragma: no cover - _check_types catches these first
        raise CanonicalJSONError(f"无法规范化为 JSON：{exc}") from exc
    return text.encode("utf-8")


def _check_types(value: Any) -> None:
    if value is None or isinstance(value, str | bool):
        return
    if isinstance(value, int):
        return
    if isinstance(value, float):
        raise CanonicalJSONError("签名内容不允许使用浮点数")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJSONError("JSON 对象的键必须是字符串")
            _check_types(item)
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_types(item)
        return
    raise CanonicalJSONError(f"不支持的 JSON 值类型：{type(value).__name__}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in pairs:
        if key in result:
            raise CanonicalJSONError(f"JSON 中存在重复的键：{key}")
        result[key] = item
    return result


def _no_constant(name: str) -> Any:
    raise CanonicalJSONError(f"JSON 中不允许出现 {name}")


def _no_float(text: str) -> Any:
    raise CanonicalJSONError("签名内容不允许使用浮点数")


def parse_json_strict(data: str | bytes) -> Any:
    """Parse JSON, refusing duplicate keys, NaN/Infinity, floats and invalid UTF-8.

    Duplicate keys are the classic way to make two parsers see different documents, so they
    are an error rather than "last one wins".
    """
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CanonicalJSONError("不是有效的 UTF-8 文本") from exc
    else:
        text = data
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_no_float,
        )
    except CanonicalJSONError:
        raise
    except (ValueError, RecursionError) as exc:
        raise CanonicalJSONError(f"不是有效的 JSON：{exc}") from exc


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5), the form used in JWK and JOSE."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strictly decode unpadded base64url.

    Raises ``ValueError`` unless ``text`` is exactly what :func:`b64url_encode` would produce
    for the decoded bytes, so a signature string has a single valid spelling.
    """
    if not isinstance(text, str) or _B64URL_RE.fullmatch(text) is None:
        raise ValueError("不是有效的 base64url 字符串")
    if len(text) % 4 == 1:
        raise ValueError("base64url 长度无效")
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("不是有效的 base64url 字符串") from exc
    if b64url_encode(raw) != text:
        raise ValueError("base64url 编码不是规范形式")
    return raw


def signing_input(document: Mapping[str, Any]) -> bytes:
    """Bytes a ``proof`` signature covers: the whole document minus ``proof.signature``.

    Computed from the *raw* parsed JSON, so verification checks exactly what was received;
    the algorithm, key id and creation time inside ``proof`` are covered too.
    """
    proof = document.get("proof")
    if not isinstance(proof, Mapping):
        raise CanonicalJSONError("缺少 proof 对象")
    unsigned: dict[str, Any] = {key: value for key, value in document.items() if key != "proof"}
    unsigned["proof"] = {key: value for key, value in proof.items() if key != "signature"}
    return canonical_json(unsigned)
