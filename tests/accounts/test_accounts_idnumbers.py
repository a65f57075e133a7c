"""Tests for resident identity numbers (GB 11643-1999) and credit codes (GB 32100-2015)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from zhicheng.accounts.idnumbers import (
    PROVINCE_CODES,
    USCC_ALPHABET,
    Gender,
    IdNumberError,
    ResidentId,
    make_resident_id,
    make_uscc,
    mask_resident_id,
    resident_id_check_char,
    uscc_check_char,
    validate_resident_id,
    validate_uscc,
)

TODAY = date(2025, 6, 1)
GENDERS: tuple[Gender, ...] = ("male", "female")


def with_check(first17: str) -> str:
    """Append the correct check character, even when the birth date inside is impossible."""
    return first17 + resident_id_check_char(first17)


# --- strategies ------------------------------------------------------------------------

region_codes = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
valid_ids = st.builds(make_resident_id, region_codes, birth_dates, st.integers(0, 999))

uscc_prefixes = st.builds(
    lambda head, division, body: head + division + body,
    st.text(alphabet=USCC_ALPHABET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)
valid_usccs = uscc_prefixes.map(make_uscc)

# Replacement characters: everything legal plus some illegal ones and a full-width digit.
SUBSTITUTES = "0123456789" + USCC_ALPHABET[10:] + "IOZSVxa*１ "


# --- resident identity numbers: known values --------------------------------------------


def test_standard_example_gb11643() -> None:
    # The worked example of GB 11643-1999 (北京市朝阳区, 1949-12-31, female).
    rid = validate_resident_id("11010519491231002X", today=TODAY)
    assert rid == ResidentId(
        number="11010519491231002X", birth_date=date(1949, 12, 31), gender="female", region_code="110105"
    )
    assert rid.province == "北京市"


def test_normalises_lowercase_x_and_spaces() -> None:
    assert validate_resident_id("  11010519491231002x \t", today=TODAY).number == "11010519491231002X"


def test_second_standard_example_is_before_1900() -> None:
    # GB 11643-1999 also cites 440524188001010014 (born 1880): checksum right, but we reject < 1900.
    assert resident_id_check_char("44052418800101001") == "4"
    with pytest.raises(IdNumberError, match="早于1900年") as exc:
        validate_resident_id("440524188001010014", today=TODAY)
    assert exc.value.reason == "birth_date"


def test_gender_from_17th_digit() -> None:
    assert validate_resident_id(with_check("11010519800101001"), today=TODAY).gender == "male"
    assert validate_resident_id(with_check("11010519800101002"), today=TODAY).gender == "female"


@pytest.mark.parametrize(
    ("number", "message", "reason"),
    [
        ("110105194912310023", "身份证号校验码错误：应为X，实为3", "checksum"),
        (with_check("11010519990231001"), "身份证号出生日期无效：19990231", "birth_date"),
        ("110105491231002", "身份证号应为18位，实为15位", "length"),
        ("", "身份证号应为18位，实为0位", "length"),
        ("11010519491231002Y", "身份证号第18位（校验码）应为数字或X，实为“Y”", "format"),
        ("1101051949123100X2", "身份证号第17位应为数字，实为“X”", "format"),
        ("１10105194912310020", "身份证号第1位应为数字，实为“１”", "format"),
        (with_check("99010519491231002"), "身份证号地址码无效：省级代码99不存在（GB/T 2260）", "region"),
    ],
)
def test_error_messages(number: str, message: str, reason: str) -> None:
    with pytest.raises(IdNumberError) as exc:
        validate_resident_id(number, today=TODAY)
    assert str(exc.value) == message
    assert exc.value.reason == reason
    assert isinstance(exc.value, ValueError)


def test_province_list_matches_gbt2260_plus_residence_permits() -> None:
    ranges = [range(11, 16), range(21, 24), range(31, 38), range(41, 47), range(50, 55), range(61, 66)]
    expected = [code for r in ranges for code in r] + [71, 81, 82, 83]
    assert sorted(PROVINCE_CODES) == [str(c) for c in expected]


def test_hk_macao_taiwan_residence_permit_codes() -> None:
    for region in ("810000", "820000", "830000"):
        number = make_resident_id(region, date(1990, 5, 6), 7)
        assert validate_resident_id(number, today=TODAY).region_code == region


# --- birth date edge cases ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yyyymmdd", "ok"),
    [
        ("20000229", True),  # divisible by 400: leap
        ("20240229", True),
        ("20230229", False),
        ("19000229", False),  # divisible by 100 but not 400: not leap
        ("19000101", True),  # earliest accepted
        ("18991231", False),
        ("19991301", False),
        ("19990000", False),
        ("19990431", False),
        ("20250601", True),  # born "today"
        ("20250602", False),  # tomorrow
    ],
)
def test_birth_date_edges(yyyymmdd: str, ok: bool) -> None:
    number = with_check(f"110105{yyyymmdd}123")
    if ok:
        assert validate_resident_id(number, today=TODAY).birth_date.strftime("%Y%m%d") == yyyymmdd
    else:
        with pytest.raises(IdNumberError, match=f"身份证号出生日期无效：{yyyymmdd}"):
            validate_resident_id(number, today=TODAY)


def test_today_defaults_to_real_today() -> None:
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(IdNumberError, match="晚于当前日期"):
        validate_resident_id(make_resident_id("110105", tomorrow, 1))
    assert validate_resident_id(make_resident_id("110105", date.today(), 1)).birth_date == date.today()


# --- resident identity numbers: properties --------------------------------------------------


@given(valid_ids)
def test_generated_ids_validate(number: str) -> None:
    rid = validate_resident_id(number, today=TODAY)
    assert rid.number == number
    assert rid.birth_date.strftime("%Y%m%d") == number[6:14]
    assert rid.region_code == number[:6]
    assert rid.gender == ("male" if int(number[16]) % 2 else "female")


@given(valid_ids, st.integers(0, 17), st.sampled_from(SUBSTITUTES))
def test_any_single_substitution_is_detected(number: str, pos: int, ch: str) -> None:
    assume(ch.upper() != number[pos])
    changed = number[:pos] + ch + number[pos + 1 :]
    with pytest.raises(IdNumberError):
        validate_resident_id(changed, today=TODAY)


@given(valid_ids, st.integers(0, 16))
def test_any_adjacent_transposition_is_detected(number: str, pos: int) -> None:
    assume(number[pos] != number[pos + 1])
    swapped = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2 :]
    with pytest.raises(IdNumberError):
        validate_resident_id(swapped, today=TODAY)


@given(valid_ids, st.integers(0, 17))
def test_deletion_is_detected(number: str, pos: int) -> None:
    with pytest.raises(IdNumberError, match="应为18位，实为17位"):
        validate_resident_id(number[:pos] + number[pos + 1 :], today=TODAY)


@given(region_codes, birth_dates, st.integers(0, 499), st.sampled_from(GENDERS))
def test_make_resident_id_with_gender(region: str, born: date, ordinal: int, gender: Gender) -> None:
    rid = validate_resident_id(make_resident_id(region, born, ordinal, gender), today=TODAY)
    assert rid.gender == gender
    assert int(rid.number[14:17]) // 2 == ordinal


def test_make_resident_id_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        make_resident_id("110105", date(1990, 1, 1), 1000)
    with pytest.raises(ValueError):
        make_resident_id("110105", date(1990, 1, 1), 500, "male")
    with pytest.raises(IdNumberError, match="地址码"):
        make_resident_id("11010", date(1990, 1, 1), 1)
    with pytest.raises(IdNumberError, match="省级代码99"):
        make_resident_id("990105", date(1990, 1, 1), 1)
    with pytest.raises(IdNumberError, match="早于1900年"):
        make_resident_id("110105", date(1899, 12, 31), 1)


# --- masking -----------------------------------------------------------------------------------


def test_mask_example() -> None:
    assert mask_resident_id("11010519491231002X") == "110***********002X"
    assert mask_resident_id(" 11010519491231002x ") == "110***********002X"
    assert mask_resident_id("110105491231002") == "110********1002"  # legacy 15-digit number
    assert mask_resident_id("1234567") == "*******"
    assert mask_resident_id("") == ""


@given(valid_ids)
def test_mask_never_reveals_the_middle(number: str) -> None:
    masked = mask_resident_id(number)
    assert len(masked) == 18
    assert masked[:3] == number[:3]
    assert masked[-4:] == number[-4:]
    assert masked[3:14] == "*" * 11
    rid = validate_resident_id(number, today=TODAY)
    assert number not in repr(rid)
    assert number not in str(rid)
    assert rid.number[6:14] not in repr(rid)  # birth date hidden as well


@given(st.text(max_size=40))
def test_mask_of_arbitrary_text_shows_at_most_first3_last4(text: str) -> None:
    masked = mask_resident_id(text)
    shown = [c for c in masked if c != "*"]
    assert len(shown) <= 7
    if len(masked) not in (15, 18):
        assert shown == []


# --- unified social credit codes -------------------------------------------------------------

# Published codes.  91350100M000100Y43 is the example commonly cited for GB 32100-2015;
# 91440300708461136T is 腾讯科技（深圳）有限公司 (public business registration);
# the next two are the positive cases in Hutool's CreditCodeUtilTest.
PUBLISHED_USCC = [
    "91350100M000100Y43",
    "91440300708461136T",
    "91310110666007217T",
    "91310115591693856A",
]


@pytest.mark.parametrize("code", PUBLISHED_USCC)
def test_published_codes_validate(code: str) -> None:
    assert validate_uscc(code) == code
    assert make_uscc(code[:17]) == code


def test_early_pilot_code_that_violates_the_standard_is_rejected() -> None:
    # Hutool documents 91350211M00013FA1N as an early 厦门 pilot code not conforming to GB 32100.
    with pytest.raises(IdNumberError, match="校验位错误：应为3，实为N"):
        validate_uscc("91350211M00013FA1N")


def test_uscc_normalises_case_and_spaces() -> None:
    assert validate_uscc(" 91350100m000100y43\n") == "91350100M000100Y43"


def test_check_char_can_be_zero() -> None:
    # C18 = 31 − (Σ mod 31) with 31 → 0: find a prefix whose sum is ≡ 0 (mod 31).
    prefix = next(p for p in (f"9135010000000{i:04d}" for i in range(10_000)) if uscc_check_char(p) == "0")
    assert validate_uscc(prefix + "0") == prefix + "0"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4Y", "统一社会信用代码校验位错误：应为3，实为Y"),
        ("91350100M000100Y4", "统一社会信用代码应为18位，实为17位"),
        ("9I350100M000100Y43", "统一社会信用代码第2位含非法字符 I"),
        ("91350100M000100Y4O", "统一社会信用代码第18位含非法字符 O"),
        ("9135010SM000100Y43", "统一社会信用代码第8位含非法字符 S"),
        ("913501A0M000100Y43", "统一社会信用代码第3–8位（登记管理机关行政区划码）应为数字"),
    ],
)
def test_uscc_error_messages(code: str, message: str) -> None:
    with pytest.raises(IdNumberError) as exc:
        validate_uscc(code)
    assert str(exc.value).startswith(message)


@given(valid_usccs)
def test_generated_usccs_validate(code: str) -> None:
    assert validate_uscc(code) == code
    assert validate_uscc(code.lower()) == code


@given(valid_usccs, st.integers(0, 17), st.sampled_from(SUBSTITUTES))
def test_uscc_any_single_substitution_is_detected(code: str, pos: int, ch: str) -> None:
    assume(ch.upper() != code[pos])
    with pytest.raises(IdNumberError):
        validate_uscc(code[:pos] + ch + code[pos + 1 :])


@given(valid_usccs, st.integers(0, 16))
def test_uscc_any_adjacent_transposition_is_detected(code: str, pos: int) -> None:
    assume(code[pos] != code[pos + 1])
    with pytest.raises(IdNumberError):
        validate_uscc(code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :])


def test_make_uscc_rejects_bad_prefix() -> None:
    with pytest.raises(IdNumberError, match="17个字符"):
        make_uscc("9135010")
    with pytest.raises(IdNumberError, match="非法字符 Z"):
        make_uscc("91350100Z00010000")
