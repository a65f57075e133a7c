"""Certificate content validation (Chinese messages), ID masking and certificate numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from zhicheng.certificates import (
    CertificateData,
    CertificateDataError,
    SignedCertificate,
    TitleLevel,
    chinese_errors,
    is_valid_certificate_number,
    make_certificate_number,
    mask_id_number,
    parse_certificate_number,
    validate_certificate_data,
)
from zhicheng.certificates.model import LEVEL_CODES, TITLE_NAMES, format_timestamp, parse_timestamp

MakeData = Callable[..., CertificateData]


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_sample_is_valid(data: CertificateData) -> None:
    assert data.level is TitleLevel.SENIOR_ENGINEER
    assert data.level_grade_name == "副高级"
    assert TITLE_NAMES[data.level] == data.title_name


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"id_number_masked": "11010519491231002X"}, "脱敏"),
        ({"id_number_masked": "1101**1949123100"}, "脱敏"),
        ({"holder_name": " 张三"}, "首尾"),
        ({"holder_name": ""}, "不能为空"),
        ({"holder_name": "张\n三"}, "控制字符"),
        ({"certificate_number": "ZC110000202540012345"}, "校验码"),
        ({"certificate_number": "110000202540012346"}, "证书编号格式"),
        ({"level": "engineer"}, "不一致"),
        ({"issue_date": dt.date(2025, 6, 1)}, "发证日期不能早于"),
        ({"verification_url": "ftp://x"}, "验证网址"),
        ({"status_index": None}, "同时"),
        ({"level": "chief"}, "取值无效"),
        ({"qualification_date": "2025/06/30"}, "YYYY-MM-DD"),
        ({"committee_name": "委" * 101}, "不能超过 100"),
        ({"unexpected": 1}, "不允许的字段"),
    ],
)
def test_validation_messages_are_chinese(make_cert_data: MakeData, overrides: dict[str, object], expected: str) -> None:
    with pytest.raises(ValidationError) as info:
        make_cert_data(**overrides)
    messages = chinese_errors(info.value)
    assert messages, info.value
    assert any(expected in m for m in messages), messages
    assert all(_has_cjk(m) for m in messages), messages


def test_validate_certificate_data_raises_chinese(data: CertificateData) -> None:
    raw = data.model_dump(mode="json")
    del raw["holder_name"]
    with pytest.raises(CertificateDataError) as info:
        validate_certificate_data(raw)
    assert info.value.messages == ["姓名：缺少此项"]
    assert validate_certificate_data(data.model_dump(mode="json")) == data


def test_certificate_data_is_frozen(data: CertificateData) -> None:
    with pytest.raises(ValidationError):
        data.holder_name = "李四"


def test_mask_id_number() -> None:
    assert mask_id_number("11010519491231002x") == "110***********002X"
    assert mask_id_number("E12345678") == "E******78"
    with pytest.raises(ValueError, match="校验码"):
        mask_id_number("110105194912310021")
    with pytest.raises(ValueError):
        mask_id_number("12-34")


def test_certificate_number_scheme() -> None:
    number = make_certificate_number("110000", 2025, TitleLevel.SENIOR_ENGINEER, 1234)
    assert number == "ZC110000202540012346"
    parts = parse_certificate_number(number)
    assert (parts.region_code, parts.year, parts.level, parts.sequence) == (
        "110000",
        2025,
        TitleLevel.SENIOR_ENGINEER,
        1234,
    )
    assert str(parts) == number
    assert make_certificate_number("110000", 2025, "senior_engineer", 1234) == number  # deterministic


@pytest.mark.parametrize(
    "args",
    [
        ("11000", 2025, "engineer", 1),
        ("110000", 1900, "engineer", 1),
        ("110000", 2025, "x", 1),
        ("110000", 2025, "engineer", 0),
    ],
)
def test_certificate_number_bad_inputs(args: tuple[str, int, str, int]) -> None:
    with pytest.raises(ValueError):
        make_certificate_number(*args)


@given(
    region=st.from_regex(r"[1-6][0-9]{5}", fullmatch=True),
    year=st.integers(1949, 2200),
    level=st.sampled_from(list(TitleLevel)),
    sequence=st.integers(1, 999_999),
    position=st.integers(2, 19),
    replacement=st.sampled_from("0123456789X"),
)
def test_check_character_catches_any_single_substitution(
    region: str, year: int, level: TitleLevel, sequence: int, position: int, replacement: str
) -> None:
    number = make_certificate_number(region, year, level, sequence)
    assert is_valid_certificate_number(number)
    assert number[2 + 10] == LEVEL_CODES[level]
    if number[position] == replacement:
        return
    typo = number[:position] + replacement + number[position + 1 :]
    assert not is_valid_certificate_number(typo)


def test_timestamp_format() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    assert format_timestamp(dt.datetime(2025, 7, 15, 10, 0, 0, 123, tzinfo=beijing)) == "2025-07-15T02:00:00Z"
    assert parse_timestamp("2025-07-15T02:00:00Z") == dt.datetime(2025, 7, 15, 2, tzinfo=dt.UTC)
    for bad in ("2025-07-15T02:00:00+00:00", "2025-07-15 02:00:00Z", "2025-07-15T02:00:00.1Z"):
        with pytest.raises(ValueError):
            parse_timestamp(bad)
    with pytest.raises(ValueError):
        format_timestamp(dt.datetime(2025, 1, 1))


def test_signed_envelope_shape(signed: SignedCertificate, signed_json: bytes) -> None:
    doc = signed.to_dict()
    assert set(doc) == {"format", "data", "proof"}
    assert doc["format"] == "zhicheng.certificate.v1"
    assert set(doc["proof"]) == {"alg", "kid", "created", "signature"}
    assert doc["proof"]["created"] == "2025-07-15T02:00:00Z"
    assert signed_json.startswith(b'{"data":{') and b" " not in signed_json.replace(b"https://", b"")
    assert "张三".encode() in signed_json  # ensure_ascii=False
    assert b"11010519491231" not in signed_json  # never the full ID number
    assert SignedCertificate.model_validate_json(signed_json) == signed
