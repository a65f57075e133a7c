"""Certificate content, the signed envelope and the certificate-number scheme.

Design notes:

* The certificate never contains a full ID number: ``id_number_masked`` is validated to be
  masked (see :func:`mask_id_number`).  A public, offline-verifiable document is the wrong
  place for personal data that the verifier does not need.
* Free-text fields are stored exactly as signed.  We reject (rather than silently strip)
  surrounding whitespace and control characters, so the signed text equals the shown text.
* The signature covers ``{"format", "data", "proof" without "signature"}`` in canonical JSON,
  so the key id, algorithm and creation time are protected as well as the content.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .canonical import b64url_decode, b64url_encode, canonical_json, signing_input
from .signing import ALGORITHM_PATTERN, KEY_ID_PATTERN, Signer

__all__ = [
    "CERTIFICATE_FORMAT",
    "LEVEL_CODES",
    "LEVEL_GRADE_NAMES",
    "TITLE_NAMES",
    "CertificateData",
    "CertificateDataError",
    "CertificateNumber",
    "Proof",
    "SignedCertificate",
    "TitleLevel",
    "certificate_signing_input",
    "chinese_errors",
    "format_timestamp",
    "is_valid_certificate_number",
    "make_certificate_number",
    "mask_id_number",
    "parse_certificate_number",
    "parse_timestamp",
    "sign_certificate",
    "validate_certificate_data",
]

CERTIFICATE_FORMAT: Final = "zhicheng.certificate.v1"


class TitleLevel(StrEnum):
    """Title levels of the engineering series (工程技术系列), lowest to highest."""

    TECHNICIAN = "technician"  # 技术员（员级）
    ASSISTANT_ENGINEER = "assistant_engineer"  # 助理工程师（助理级）
    ENGINEER = "engineer"  # 工程师（中级）
    SENIOR_ENGINEER = "senior_engineer"  # 高级工程师（副高级）
    PROFESSORATE_SENIOR_ENGINEER = "professorate_senior_engineer"  # 正高级工程师（正高级）


TITLE_NAMES: Final[Mapping[TitleLevel, str]] = {
    TitleLevel.TECHNICIAN: "技术员",
    TitleLevel.ASSISTANT_ENGINEER: "助理工程师",
    TitleLevel.ENGINEER: "工程师",
    TitleLevel.SENIOR_ENGINEER: "高级工程师",
    TitleLevel.PROFESSORATE_SENIOR_ENGINEER: "正高级工程师",
}
"""Usual title names in the engineering series (a default, not enforced)."""

LEVEL_GRADE_NAMES: Final[Mapping[TitleLevel, str]] = {
    TitleLevel.TECHNICIAN: "员级",
    TitleLevel.ASSISTANT_ENGINEER: "助理级",
    TitleLevel.ENGINEER: "中级",
    TitleLevel.SENIOR_ENGINEER: "副高级",
    TitleLevel.PROFESSORATE_SENIOR_ENGINEER: "正高级",
}

LEVEL_CODES: Final[Mapping[TitleLevel, str]] = {
    TitleLevel.TECHNICIAN: "1",
    TitleLevel.ASSISTANT_ENGINEER: "2",
    TitleLevel.ENGINEER: "3",
    TitleLevel.SENIOR_ENGINEER: "4",
    TitleLevel.PROFESSORATE_SENIOR_ENGINEER: "5",
}
"""One-digit level code used inside certificate numbers."""

_LEVEL_BY_CODE: Final = {code: level for level, code in LEVEL_CODES.items()}


# --------------------------------------------------------------------------- certificate numbers
#
# Scheme (20 characters, e.g. ZC110000202540012346 = Beijing, 2025, 副高级, No. 1234):
#   "ZC"            fixed prefix (职称), so a number is never mistaken for an ID number
#   6 digits        administrative division code of the issuing region (GB/T 2260), e.g. 110000
#   4 digits        review year (评审年度)
#   1 digit         level code, see LEVEL_CODES (1 = 员级 … 5 = 正高级)
#   6 digits        sequence number within region/year/level, 000001–999999
#   1 character     check character, ISO 7064 MOD 11-2 over the 17 digits (0–9 or X),
#                   the same algorithm as the resident ID number, familiar to clerks
#
# Deterministic: the same inputs always give the same number; uniqueness of the sequence is
# the caller's (database's) job.

_CERT_NO_RE: Final = re.compile(r"ZC(\d{6})(\d{4})([1-5])(\d{6})([0-9X])")


def _mod11_2(digits: str) -> str:
    total = 0
    for ch in digits:
        total = (total + int(ch)) * 2 % 11
    check = (12 - total) % 11
    return "X" if check == 10 else str(check)


@dataclass(frozen=True)
class CertificateNumber:
    """Decoded parts of a certificate number."""

    region_code: str
    year: int
    level: TitleLevel
    sequence: int

    def __str__(self) -> str:
        return make_certificate_number(self.region_code, self.year, self.level, self.sequence)


def make_certificate_number(region_code: str, year: int, level: TitleLevel | str, sequence: int) -> str:
    """Build a certificate number (scheme above); raises ``ValueError`` with a Chinese message."""
    if not re.fullmatch(r"\d{6}", region_code):
        raise ValueError("地区代码必须是 6 位数字（GB/T 2260 行政区划代码）")
    if not 1949 <= year <= 9999:
        raise ValueError("评审年度必须是 1949–9999 之间的四位年份")
    try:
        level_code = LEVEL_CODES[TitleLevel(level)]
    except ValueError as exc:
        raise ValueError(f"未知的职称级别：{level}") from exc
    if not 1 <= sequence <= 999_999:
        raise ValueError("流水号必须在 1–999999 之间")
    body = f"{region_code}{year:04d}{level_code}{sequence:06d}"
    return f"ZC{body}{_mod11_2(body)}"


def parse_certificate_number(number: str) -> CertificateNumber:
    """Decode and check a certificate number; raises ``ValueError`` with a Chinese message."""
    match = _CERT_NO_RE.fullmatch(number)
    if match is None:
        raise ValueError("证书编号格式应为 ZC + 6 位地区代码 + 4 位年度 + 1 位级别 + 6 位流水号 + 1 位校验码")
    region, year, level_code, sequence, check = match.groups()
    body = f"{region}{year}{level_code}{sequence}"
    if _mod11_2(body) != check:
        raise ValueError("证书编号校验码错误，请核对是否抄错")
    if int(sequence) == 0:
        raise ValueError("证书编号流水号不能为 000000")
    return CertificateNumber(region, int(year), _LEVEL_BY_CODE[level_code], int(sequence))


def is_valid_certificate_number(number: str) -> bool:
    """``True`` when ``number`` follows the scheme and its check character is right."""
    try:
        parse_certificate_number(number)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- ID masking

_ID18_RE: Final = re.compile(r"\d{17}[\dX]")
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_MASKED_RE: Final = re.compile(r"[0-9A-Za-z*]{6,32}")


def _id18_valid(number: str) -> bool:
    if _ID18_RE.fullmatch(number) is None:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17]


def mask_id_number(id_number: str) -> str:
    """Mask an identity document number for the certificate.

    18-digit resident ID (checksum verified): first 3 + 11 ``*`` + last 4, e.g.
    ``110***********123X`` — region and birth date are hidden.  Any other document (passport,
    港澳台居民证件…): first character + ``*`` + last 2, at least 4 ``*``.
    """
    value = id_number.strip().upper()
    if _ID18_RE.fullmatch(value):
        if not _id18_valid(value):
            raise ValueError("居民身份证号码校验码错误")
        return value[:3] + "*" * 11 + value[-4:]
    if not re.fullmatch(r"[0-9A-Z]{6,30}", value):
        raise ValueError("证件号码只能包含字母和数字，长度 6–30 位")
    return value[0] + "*" * max(4, len(value) - 3) + value[-2:]


def _check_masked(value: str) -> str:
    if _MASKED_RE.fullmatch(value) is None:
        raise ValueError("脱敏证件号码只能包含字母、数字和 *，长度 6–32 位")
    stars = value.count("*")
    visible = len(value) - stars
    if stars < 4 or visible > 7:
        raise ValueError("证件号码必须脱敏（至少 4 个 *，最多显示 7 位），证书中不得出现完整号码")
    return value


# --------------------------------------------------------------------------- text fields


def _clean_text(value: str) -> str:
    if not value:
        raise ValueError("不能为空")
    if value != value.strip():
        raise ValueError("首尾不能有空白字符")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in value):
        raise ValueError("不能包含控制字符或换行")
    return value


HolderName = Annotated[str, AfterValidator(_clean_text), Field(max_length=50)]
ShortText = Annotated[str, AfterValidator(_clean_text), Field(max_length=50)]
LongText = Annotated[str, AfterValidator(_clean_text), Field(max_length=100)]


class CertificateData(BaseModel):
    """The content of an electronic title certificate (what is signed)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    holder_name: HolderName = Field(title="姓名")
    id_number_masked: Annotated[str, AfterValidator(_check_masked)] = Field(title="证件号码（脱敏）")
    title_name: ShortText = Field(title="资格名称")
    level: TitleLevel = Field(title="级别")
    series: ShortText = Field(title="系列")
    specialty: ShortText = Field(title="专业")
    qualification_date: dt.date = Field(title="取得资格时间")
    committee_name: LongText = Field(title="评审委员会")
    approval_number: ShortText = Field(title="批准文号")
    certificate_number: str = Field(title="证书编号")
    issuer: LongText = Field(title="发证机关")
    issue_date: dt.date = Field(title="发证日期")
    verification_url: str = Field(max_length=500, title="验证网址")
    status_list_id: str | None = Field(default=None, pattern=KEY_ID_PATTERN, title="状态列表标识")
    status_index: int | None = Field(default=None, ge=0, title="状态列表序号")

    @field_validator("certificate_number")
    @classmethod
    def _number_ok(cls, value: str) -> str:
        parse_certificate_number(value)
        return value

    @field_validator("verification_url")
    @classmethod
    def _url_ok(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~!$&'()*+,;=:@%/?#-]*)?", value):
            raise ValueError("验证网址必须是 http(s):// 开头、不含空格和中文的网址")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CertificateData:
        if self.issue_date < self.qualification_date:
            raise ValueError("发证日期不能早于取得资格时间")
        number = parse_certificate_number(self.certificate_number)
        if number.level != self.level:
            raise ValueError(
                f"证书编号中的级别（{LEVEL_GRADE_NAMES[number.level]}）与证书级别"
                f"（{LEVEL_GRADE_NAMES[self.level]}）不一致"
            )
        if (self.status_list_id is None) != (self.status_index is None):
            raise ValueError("状态列表标识与序号必须同时提供或同时省略")
        return self

    @property
    def level_grade_name(self) -> str:
        """员级/助理级/中级/副高级/正高级."""
        return LEVEL_GRADE_NAMES[self.level]


# --------------------------------------------------------------------------- Chinese errors

_FIELD_TITLES: Final = {name: (f.title or name) for name, f in CertificateData.model_fields.items()}

_TYPE_MESSAGES: Final = {
    "missing": "缺少此项",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期不能带时间",
    "datetime_parsing": "时间格式应为 YYYY-MM-DDTHH:MM:SSZ",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "string_too_long": "过长",
    "string_too_short": "过短",
    "too_short": "过短",
    "string_pattern_mismatch": "格式不正确",
    "greater_than_equal": "不能为负数",
    "model_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "frozen_instance": "证书内容不可修改",
}


def chinese_errors(exc: ValidationError) -> list[str]:
    """Turn a pydantic ``ValidationError`` into Chinese, user-facing messages.

    Our own validators already raise Chinese ``ValueError`` text; built-in checks (missing
    field, wrong type, too long…) are translated here by error type.
    """
    messages: list[str] = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error.get("loc", ())]
        field = loc[-1] if loc else ""
        label = _FIELD_TITLES.get(field, field)
        kind = error.get("type", "")
        if kind == "value_error":
            ctx = error.get("ctx") or {}
            text = str(ctx.get("error", error.get("msg", "")))
        elif kind in {"string_too_long", "too_long"}:
            text = f"不能超过 {(error.get('ctx') or {}).get('max_length', '?')} 个字符"
        elif kind == "enum":
            text = "取值无效，应为 " + "、".join(level.value for level in TitleLevel)
        else:
            text = _TYPE_MESSAGES.get(kind, f"取值无效（{kind}）")
        messages.append(f"{label}：{text}" if label else text)
    return messages


class CertificateDataError(ValueError):
    """Certificate content failed validation; ``messages`` are Chinese, one per problem."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("；".join(messages))
        self.messages = messages


def validate_certificate_data(data: Mapping[str, Any]) -> CertificateData:
    """Validate raw input, raising :class:`CertificateDataError` with Chinese messages."""
    try:
        return CertificateData.model_validate(dict(data))
    except ValidationError as exc:
        raise CertificateDataError(chinese_errors(exc)) from exc


# --------------------------------------------------------------------------- signed envelope

_TIMESTAMP_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def format_timestamp(when: dt.datetime) -> str:
    """UTC, whole seconds, ``Z`` suffix — the one spelling used in signed documents."""
    if when.tzinfo is None:
        raise ValueError("时间必须带时区")
    return when.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: str) -> dt.datetime:
    """Inverse of :func:`format_timestamp` (strict)."""
    if _TIMESTAMP_RE.fullmatch(value) is None:
        raise ValueError("时间格式应为 YYYY-MM-DDTHH:MM:SSZ（UTC）")
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def _timestamp_ok(value: str) -> str:
    parse_timestamp(value)
    return value


def _signature_ok(value: str) -> str:
    try:
        raw = b64url_decode(value)
    except ValueError as exc:
        raise ValueError("签名必须是无填充的 base64url 编码") from exc
    if not raw:
        raise ValueError("签名不能为空")
    return value


Timestamp = Annotated[str, AfterValidator(_timestamp_ok)]


class Proof(BaseModel):
    """Who signed, with what, when — and the signature itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alg: str = Field(pattern=ALGORITHM_PATTERN, title="签名算法")
    kid: str = Field(pattern=KEY_ID_PATTERN, title="密钥标识")
    created: Timestamp = Field(title="签名时间")
    signature: Annotated[str, AfterValidator(_signature_ok)] = Field(max_length=4096, title="签名")

    @property
    def created_at(self) -> dt.datetime:
        """``created`` as an aware datetime."""
        return parse_timestamp(self.created)

    def signature_bytes(self) -> bytes:
        """Decoded signature."""
        return b64url_decode(self.signature)


class SignedCertificate(BaseModel):
    """``{"format": "zhicheng.certificate.v1", "data": …, "proof": {alg, kid, created, signature}}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["zhicheng.certificate.v1"] = CERTIFICATE_FORMAT
    data: CertificateData
    proof: Proof

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (what :func:`canonical_json` serialises)."""
        return self.model_dump(mode="json")

    def to_json(self) -> bytes:
        """Canonical JSON bytes — the form to store, serve and embed; verification insists on it."""
        return canonical_json(self.to_dict())


certificate_signing_input = signing_input
"""Bytes the certificate signature covers (see :func:`~.canonical.signing_input`)."""


def sign_certificate(
    data: CertificateData,
    signer: Signer,
    created: dt.datetime | None = None,
) -> SignedCertificate:
    """Sign certificate content with ``signer``; ``created`` defaults to now (UTC)."""
    document: dict[str, Any] = {
        "format": CERTIFICATE_FORMAT,
        "data": data.model_dump(mode="json"),
        "proof": {
            "alg": signer.algorithm,
            "kid": signer.key_id,
            "created": format_timestamp(created or dt.datetime.now(dt.UTC)),
        },
    }
    signature = signer.sign(certificate_signing_input(document))
    document["proof"]["signature"] = b64url_encode(signature)
    signed = SignedCertificate.model_validate(document)
    if signed.to_dict() != document:  # pragma: no cover - guards the round-trip assumption
        raise RuntimeError("证书序列化不稳定")
    return signed
