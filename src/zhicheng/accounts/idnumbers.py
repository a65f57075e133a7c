"""居民身份证号码与统一社会信用代码的校验、脱敏和生成。

Applicants identify themselves with a resident identity number and employers with a
unified social credit code.  Both carry a check character, so most typing errors can be
rejected at the door with a message that says exactly what is wrong, instead of creating
a wrong person or organisation in the register.

Standards:

* GB 11643-1999《公民身份号码》: 6-digit address code + 8-digit birth date + 3-digit
  sequence code (odd = male, even = female) + check character computed with
  ISO 7064:1983 MOD 11-2.
* GB/T 2260《中华人民共和国行政区划代码》: the province-level codes accepted below.
* GB 32100-2015《法人和其他组织统一社会信用代码编码规则》: 18 characters over a
  31-character alphabet, check character modulo 31.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "PROVINCE_CODES",
    "USCC_ALPHABET",
    "Gender",
    "IdNumberError",
    "ResidentId",
    "make_resident_id",
    "make_uscc",
    "mask_resident_id",
    "resident_id_check_char",
    "uscc_check_char",
    "validate_resident_id",
    "validate_uscc",
]

Gender = Literal["male", "female"]


class IdNumberError(ValueError):
    """An identity number or credit code is invalid; ``str(err)`` is a Chinese message for the user.

    ``reason`` is a stable machine-readable tag (``length``, ``format``, ``region``,
    ``birth_date``, ``checksum``) so that API clients need not parse the message.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# ---------------------------------------------------------------------------
# 居民身份证号码 (GB 11643-1999)
# ---------------------------------------------------------------------------

# Province-level administrative division codes, the first two digits of the address code.
# Source: GB/T 2260《中华人民共和国行政区划代码》, province level (unchanged since 重庆 50
# was added in 1997), including 71 台湾, 81 香港, 82 澳门.  83 is not in GB/T 2260: it is
# the address code 830000 used on residence permits for Taiwan residents (港澳台居民居住证,
# issued since 2018 under 国办发〔2018〕81号, which use 810000/820000/830000).
PROVINCE_CODES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区（港澳台居民居住证）",
    "82": "澳门特别行政区（港澳台居民居住证）",
    "83": "台湾地区（港澳台居民居住证）",
}

# GB 11643-1999 校验码: ISO 7064:1983 MOD 11-2, weights W_i = 2^(18-i) mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_MAP = "10X98765432"  # index = (Σ a_i·W_i) mod 11
_ID_MIN_YEAR = 1900
_DIGITS17 = re.compile(r"[0-9]{17}")  # explicit [0-9]: \d would accept full-width digits


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A validated resident identity number and what it encodes.

    ``repr`` shows only the masked number, so that logging the object cannot leak it.
    """

    number: str
    birth_date: date
    gender: Gender
    region_code: str

    @property
    def masked(self) -> str:
        return mask_resident_id(self.number)

    @property
    def province(self) -> str:
        return PROVINCE_CODES[self.region_code[:2]]

    def __repr__(self) -> str:
        return f"ResidentId(number={self.masked!r}, region_code={self.region_code!r})"

    def __str__(self) -> str:
        return self.masked


def resident_id_check_char(first17: str) -> str:
    """Check character for the first 17 digits (GB 11643-1999, ISO 7064:1983 MOD 11-2)."""
    if not _DIGITS17.fullmatch(first17):
        raise IdNumberError(f"身份证号本体码应为17位数字，实为“{first17}”", "format")
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_MAP[total % 11]


def _normalise_resident_id(number: str) -> str:
    return number.strip().upper()


def _check_resident_id(number: str, today: date | None) -> ResidentId:
    if len(number) != 18:
        raise IdNumberError(f"身份证号应为18位，实为{len(number)}位", "length")
    for pos, ch in enumerate(number[:17], start=1):
        if ch not in "0123456789":
            raise IdNumberError(f"身份证号第{pos}位应为数字，实为“{ch}”", "format")
    if number[17] not in "0123456789X":
        raise IdNumberError(f"身份证号第18位（校验码）应为数字或X，实为“{number[17]}”", "format")

    province = number[:2]
    if province not in PROVINCE_CODES:
        raise IdNumberError(f"身份证号地址码无效：省级代码{province}不存在（GB/T 2260）", "region")

    raw_birth = number[6:14]
    try:
        birth = date(int(raw_birth[:4]), int(raw_birth[4:6]), int(raw_birth[6:8]))
    except ValueError:
        raise IdNumberError(f"身份证号出生日期无效：{raw_birth}", "birth_date") from None
    if birth.year < _ID_MIN_YEAR:
        raise IdNumberError(f"身份证号出生日期无效：{raw_birth}（早于{_ID_MIN_YEAR}年）", "birth_date")
    if today is not None and birth > today:
        raise IdNumberError(f"身份证号出生日期无效：{raw_birth}（晚于当前日期{today:%Y%m%d}）", "birth_date")

    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        raise IdNumberError(f"身份证号校验码错误：应为{expected}，实为{number[17]}", "checksum")

    gender: Gender = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(number=number, birth_date=birth, gender=gender, region_code=number[:6])


def validate_resident_id(number: str, today: date | None = None) -> ResidentId:
    """Validate an 18-character resident identity number (GB 11643-1999).

    Surrounding whitespace is stripped and a lowercase ``x`` is normalised to ``X``.
    ``today`` (default ``date.today()``) bounds the birth date from above; births before
    1900 are rejected.  The first problem found is raised as :class:`IdNumberError`,
    checked in the order length, characters, province code, birth date, check character.
    """
    return _check_resident_id(_normalise_resident_id(number), today if today is not None else date.today())


def mask_resident_id(number: str) -> str:
    """The only form in which the UI and API may show an identity number: ``110***********123X``.

    Keeps the first 3 and last 4 characters of an 18- (or legacy 15-) character number.
    Anything else is entirely starred: a malformed value could be anything, so no part
    of it is shown.
    """
    value = _normalise_resident_id(number)
    if len(value) in (15, 18):
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * len(value)


def make_resident_id(
    region_code: str,
    birth_date: date,
    sequence: int,
    gender: Gender | None = None,
) -> str:
    """Build a valid identity number with the correct check character (test and demo data).

    ``region_code`` is the 6-digit address code.  Without ``gender``, ``sequence`` is the
    3-digit sequence code itself (0–999; its parity decides the gender).  With ``gender``,
    ``sequence`` is an ordinal 0–499 among people of that gender and the sequence code
    becomes ``2·sequence + 1`` (male) or ``2·sequence`` (female).  The birth date is not
    checked against today, so future-dated numbers can be made for negative tests.
    """
    if gender is None:
        if not 0 <= sequence <= 999:
            raise ValueError(f"sequence must be 0–999, got {sequence}")
        seq_code = sequence
    else:
        if not 0 <= sequence <= 499:
            raise ValueError(f"sequence must be 0–499 when gender is given, got {sequence}")
        seq_code = 2 * sequence + (1 if gender == "male" else 0)
    if len(region_code) != 6 or not region_code.isascii() or not region_code.isdigit():
        raise IdNumberError(f"地址码应为6位数字，实为“{region_code}”", "format")
    birth = f"{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}"
    first17 = f"{region_code}{birth}{seq_code:03d}"
    number = first17 + resident_id_check_char(first17)
    _check_resident_id(number, today=None)  # region and year ≥ 1900
    return number


# ---------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015)
# ---------------------------------------------------------------------------

# GB 32100-2015 代码字符集: digits and upper-case letters without I, O, Z, S, V.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_CHARSET = "代码字符集为数字和除 I、O、Z、S、V 外的大写字母"
# GB 32100-2015 校验码 weights: W_i = 3^(i-1) mod 31.
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _check_uscc_body(body: str) -> None:
    """Characters 1–17: alphabet, and characters 3–8 (division code, GB/T 2260) digits."""
    for pos, ch in enumerate(body, start=1):
        if ch not in _USCC_VALUE:
            raise IdNumberError(
                f"统一社会信用代码第{pos}位含非法字符 {ch}（{_USCC_CHARSET}）",
                "format",
            )
    division = body[2:8]
    if not division.isascii() or not division.isdigit():
        raise IdNumberError(
            f"统一社会信用代码第3–8位（登记管理机关行政区划码）应为数字，实为“{division}”", "format"
        )


def uscc_check_char(prefix17: str) -> str:
    """Check character for the first 17 characters (GB 32100-2015, modulo 31)."""
    if len(prefix17) != 17:
        raise IdNumberError(f"统一社会信用代码前17位应为17个字符，实为{len(prefix17)}个", "length")
    _check_uscc_body(prefix17)
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(prefix17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]  # C18 = 31 − (Σ mod 31); 31 → 0


def validate_uscc(code: str) -> str:
    """Validate a unified social credit code and return it normalised (stripped, upper-case).

    The registration-authority and organisation-type characters (1–2) are only checked
    against the alphabet: their code lists have been extended since 2015, and rejecting a
    real employer is worse than accepting an unusual prefix.
    """
    value = code.strip().upper()
    if len(value) != 18:
        raise IdNumberError(f"统一社会信用代码应为18位，实为{len(value)}位", "length")
    expected = uscc_check_char(value[:17])
    actual = value[17]
    if actual not in _USCC_VALUE:
        raise IdNumberError(
            f"统一社会信用代码第18位含非法字符 {actual}（{_USCC_CHARSET}）",
            "format",
        )
    if actual != expected:
        raise IdNumberError(f"统一社会信用代码校验位错误：应为{expected}，实为{actual}", "checksum")
    return value


def make_uscc(prefix17: str) -> str:
    """Append the correct check character to 17 characters (test and demo data)."""
    value = prefix17.strip().upper()
    return value + uscc_check_char(value)
