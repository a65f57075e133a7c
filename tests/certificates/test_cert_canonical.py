"""Canonical JSON and strict base64url: the byte-level foundation of every signature."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhicheng.certificates.canonical import (
    CanonicalJSONError,
    b64url_decode,
    b64url_encode,
    canonical_json,
    parse_json_strict,
    signing_input,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


def test_canonical_form_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": ["职称", True, None]}) == '{"a":["职称",true,null],"b":1}'.encode()


def test_nested_keys_sorted_and_no_whitespace() -> None:
    out = canonical_json({"z": {"y": 1, "x": 2}, "a": "高级 工程师"})
    assert out == '{"a":"高级 工程师","z":{"x":2,"y":1}}'.encode()


@pytest.mark.parametrize("bad", [1.5, float("nan"), {1: "x"}, {"a": object()}])
def test_refuses_non_json_or_float(bad: object) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(bad)


@given(json_values)
def test_roundtrip_is_stable(value: object) -> None:
    encoded = canonical_json(value)
    assert canonical_json(parse_json_strict(encoded)) == encoded


@pytest.mark.parametrize(
    "text",
    ['{"a":1,"a":2}', '{"a":NaN}', '{"a":1.0}', "{", b"\xff\xfe"],
)
def test_strict_parser_rejects(text: str | bytes) -> None:
    with pytest.raises(CanonicalJSONError):
        parse_json_strict(text)


@given(st.binary(max_size=100))
def test_b64url_roundtrip(data: bytes) -> None:
    encoded = b64url_encode(data)
    assert "=" not in encoded
    assert b64url_decode(encoded) == data


@pytest.mark.parametrize("bad", ["AQ==", "A", "a+b/", "AR", "AQE!", " AQ"])
def test_b64url_strict(bad: str) -> None:
    # "AR" decodes to b"\x01" with non-zero trailing bits: accepting it would give the same
    # signature two spellings, so it must be refused.
    with pytest.raises(ValueError):
        b64url_decode(bad)


def test_signing_input_excludes_only_the_signature() -> None:
    doc = {"format": "f", "data": {"x": 1}, "proof": {"alg": "A", "kid": "k", "signature": "S"}}
    assert signing_input(doc) == b'{"data":{"x":1},"format":"f","proof":{"alg":"A","kid":"k"}}'
    with pytest.raises(CanonicalJSONError):
        signing_input({"data": {}})
