"""工作日历：真实节假日（chinesecalendar 数据）、覆盖范围、文件导入。"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from zhicheng.calendar import (
    BuiltinSource,
    CalendarCoverageError,
    CalendarDataError,
    CalendarSource,
    CalendarYear,
    HolidayRange,
    WorkdayCalendar,
    dump_calendar_file,
    from_dict,
    load_calendar_file,
    to_dict,
)

EXAMPLE = Path(str(resources.files("zhicheng.calendar") / "data" / "example-2027.yaml"))
CAL = WorkdayCalendar()  # module level: hypothesis dislikes function-scoped fixtures
D = date


def example_2027() -> CalendarYear:
    [year] = load_calendar_file(EXAMPLE)
    return year


# -- the package data we rely on -------------------------------------------


def test_package_data_is_what_the_hand_counts_below_assume() -> None:
    """If chinesecalendar ever changes these facts, the hand counts below must be redone."""
    assert max(chinese_calendar.holidays).year == 2026
    assert (CAL.coverage_start, CAL.coverage_end) == (D(2004, 1, 1), D(2026, 12, 31))
    spring_2026 = [
        d for d, n in chinese_calendar.holidays.items() if n == "Spring Festival" and d.year == 2026
    ]
    assert (min(spring_2026), max(spring_2026)) == (D(2026, 2, 15), D(2026, 2, 23))
    national_2025 = [d for d in chinese_calendar.holidays if D(2025, 10, 1) <= d <= D(2025, 10, 31)]
    assert (min(national_2025), max(national_2025)) == (D(2025, 10, 1), D(2025, 10, 8))
    national_2026 = [d for d in chinese_calendar.holidays if D(2026, 9, 1) <= d <= D(2026, 10, 31)]
    assert sorted(national_2026) == [D(2026, 9, d) for d in (25, 26, 27)] + [
        D(2026, 10, d) for d in range(1, 8)
    ]
    makeups = sorted(d for d in chinese_calendar.workdays if d.year in (2025, 2026))
    assert D(2026, 2, 14) in makeups and D(2026, 2, 28) in makeups
    assert D(2025, 9, 28) in makeups and D(2025, 10, 11) in makeups
    assert D(2026, 9, 20) in makeups and D(2026, 10, 10) in makeups


def test_package_data_obeys_the_same_rules_as_loaded_files() -> None:
    src = CalendarSource(title="t", doc_no="t", published=D(2000, 1, 1))
    for year in range(2004, 2027):
        days = sorted(d for d in chinese_calendar.holidays if d.year == year)
        ranges = [HolidayRange(name="假", start=d, end=d) for d in days]
        makeups = sorted(d for d in chinese_calendar.workdays if d.year == year)
        CalendarYear(year=year, source=src, holidays=ranges, makeup_workdays=makeups)


# -- notice periods (公示期) across real holidays ----------------------------


def test_notice_before_spring_festival_2026() -> None:
    # 2026-02-12 周四 day1, 02-13 周五 day2, 02-14 周六 调休上班 day3,
    # 02-15..02-23 春节放假, 02-24 周二 day4, 02-25 周三 day5
    assert CAL.notice_end(D(2026, 2, 12), 5) == D(2026, 2, 25)
    assert CAL.workdays_between(D(2026, 2, 12), D(2026, 2, 25)) == 5


def test_notice_before_national_day_2025_uses_makeup_sunday() -> None:
    # 2025-09-26 周五 day1, 09-27 周六 休, 09-28 周日 调休上班 day2, 09-29 周一 day3,
    # 09-30 周二 day4, 10-01..10-08 国庆+中秋放假, 10-09 周四 day5
    assert CAL.notice_end(D(2025, 9, 26), 5) == D(2025, 10, 9)


def test_notice_across_national_day_2025_uses_makeup_saturday() -> None:
    # 2025-09-30 周二 day1, 10-01..10-08 放假, 10-09 周四 day2, 10-10 周五 day3,
    # 10-11 周六 调休上班 day4, 10-12 周日 休, 10-13 周一 day5
    assert CAL.notice_end(D(2025, 9, 30), 5) == D(2025, 10, 13)


def test_notice_across_mid_autumn_and_national_day_2026() -> None:
    # 2026-09-23 周三 day1, 09-24 周四 day2, 09-25..09-27 中秋放假, 09-28 周一 day3,
    # 09-29 周二 day4, 09-30 周三 day5
    assert CAL.notice_end(D(2026, 9, 23), 5) == D(2026, 9, 30)
    # 2026-09-29 周二 day1, 09-30 周三 day2, 10-01..10-07 国庆放假, 10-08 周四 day3,
    # 10-09 周五 day4, 10-10 周六 调休上班 day5
    assert CAL.notice_end(D(2026, 9, 29), 5) == D(2026, 10, 10)


def test_notice_starting_on_a_holiday_begins_counting_at_next_workday() -> None:
    # 2026-02-15 春节 不算; 02-24 day1 .. 02-27 day4, 02-28 周六 调休上班 day5
    assert CAL.notice_end(D(2026, 2, 15), 5) == D(2026, 2, 28)


# -- deadlines (N个工作日内) --------------------------------------------------


def test_deadline_does_not_count_the_notification_day() -> None:
    # 通知日 2026-02-13 周五 不算; 02-14 周六 调休上班 1, 02-15..02-23 放假, 02-24 2, 02-25 3
    assert CAL.add_workdays(D(2026, 2, 13), 3) == D(2026, 2, 25)
    # 通知日 2025-09-30; 10-09 1, 10-10 2, 10-11 周六 调休上班 3
    assert CAL.add_workdays(D(2025, 9, 30), 3) == D(2025, 10, 11)


def test_makeup_workdays_are_working_days_and_holidays_are_named() -> None:
    for d in (D(2026, 2, 14), D(2026, 2, 28), D(2025, 9, 28), D(2025, 10, 11), D(2026, 10, 10)):
        assert d.weekday() >= 5 and CAL.is_workday(d) and CAL.holiday_name(d) is None
    assert not CAL.is_workday(D(2026, 2, 16)) and CAL.holiday_name(D(2026, 2, 16)) == "春节"
    assert CAL.holiday_name(D(2025, 10, 6)) == "中秋"
    assert not CAL.is_workday(D(2026, 3, 7)) and CAL.holiday_name(D(2026, 3, 7)) is None  # plain Saturday
    assert CAL.is_workday(D(2026, 3, 9))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="正整数"):
        CAL.add_workdays(D(2026, 3, 2), 0)
    with pytest.raises(ValueError, match="正整数"):
        CAL.notice_end(D(2026, 3, 2), 0)
    with pytest.raises(ValueError, match="早于"):
        CAL.workdays_between(D(2026, 3, 2), D(2026, 3, 1))
    with pytest.raises(TypeError, match=r"datetime\.date"):
        CAL.is_workday(datetime(2026, 3, 2, 9, 0))


# -- coverage ----------------------------------------------------------------


def test_beyond_horizon_raises_even_for_a_plain_weekday() -> None:
    with pytest.raises(CalendarCoverageError) as info:
        CAL.add_workdays(D(2027, 1, 4), 1)  # an ordinary Monday, still refused
    assert str(info.value) == (
        "工作日历仅覆盖至2026-12-31，无法计算2027-01-04之后的第1个工作日；"
        "请管理员导入2027年国务院办公厅节假日安排（zhicheng calendar load FILE）"
    )
    assert info.value.day == D(2027, 1, 4) and info.value.coverage_end == D(2026, 12, 31)
    assert isinstance(info.value, ValueError)
    with pytest.raises(CalendarCoverageError, match=r"仅覆盖至2026-12-31.*2027年国务院办公厅"):
        CAL.add_workdays(D(2026, 12, 28), 5)  # 12-29, 12-30, 12-31 are only 3
    with pytest.raises(CalendarCoverageError, match="2027—2028年"):
        CAL.is_workday(D(2028, 3, 1))
    with pytest.raises(CalendarCoverageError, match="仅覆盖2004-01-01至2026-12-31"):
        CAL.holiday_name(D(2003, 12, 31))
    with pytest.raises(CalendarCoverageError):
        CAL.source_for(2027)
    with pytest.raises(CalendarCoverageError):
        CAL.workdays_between(D(2026, 12, 1), D(2027, 1, 8))


def test_loading_2027_extends_the_horizon() -> None:
    cal = WorkdayCalendar([example_2027()])
    assert cal.coverage_end == D(2027, 12, 31)
    # 12-29, 12-30, 12-31 (1..3), 2027-01-01..03 元旦(示例), 01-04 周一 4, 01-05 5
    assert cal.add_workdays(D(2026, 12, 28), 5) == D(2027, 1, 5)
    assert cal.is_workday(D(2027, 2, 20)) and cal.holiday_name(D(2027, 2, 8)) == "春节"
    source = cal.source_for(2027)
    assert isinstance(source, CalendarSource) and "示例（非官方数据）" in source.title
    assert isinstance(cal.source_for(2026), BuiltinSource)
    with pytest.raises(CalendarCoverageError, match=r"仅覆盖至2027-12-31.*2028年"):
        cal.is_workday(D(2028, 1, 3))


def test_loaded_year_replaces_package_year() -> None:
    src = CalendarSource(title="更正", doc_no="测试〔2026〕1号", published=D(2025, 11, 1))
    fixed = CalendarYear(
        year=2026, source=src, holidays=[HolidayRange(name="测试假", start=D(2026, 3, 2), end=D(2026, 3, 2))]
    )
    cal = WorkdayCalendar([fixed])
    assert cal.is_workday(D(2026, 2, 16))  # package's 春节 no longer applies
    assert cal.holiday_name(D(2026, 3, 2)) == "测试假" and cal.source_for(2026) == src
    assert not cal.is_workday(D(2026, 2, 14))  # nor its make-up Saturday


def test_gap_year_ends_coverage() -> None:
    src = CalendarSource(title="测试", doc_no="测试〔2027〕1号", published=D(2027, 11, 1))
    cal = WorkdayCalendar([CalendarYear(year=2028, source=src, holidays=[])])
    assert cal.coverage_end == D(2026, 12, 31) and cal.detached_years == (2028,)
    with pytest.raises(
        CalendarCoverageError, match="请管理员导入2027年国务院办公厅"
    ):  # 2028 is already loaded
        cal.is_workday(D(2028, 3, 1))
    with pytest.raises(CalendarCoverageError, match="导入2027、2029年"):
        cal.is_workday(D(2029, 3, 1))


def test_same_year_twice_is_refused() -> None:
    with pytest.raises(ValueError, match=r"2027 年.*重复"):
        WorkdayCalendar([example_2027(), example_2027()])


# -- files -------------------------------------------------------------------


def test_example_file_is_marked_unofficial() -> None:
    year = example_2027()
    assert year.year == 2027 and "示例（非官方数据）" in year.source.title


def test_round_trip_json_and_yaml(tmp_path: Path) -> None:
    year = example_2027()
    assert from_dict(json.loads(json.dumps(to_dict(year), ensure_ascii=False))) == year
    for name in ("years.json", "years.yaml"):
        dump_calendar_file([year], tmp_path / name)
        assert load_calendar_file(tmp_path / name) == [year]


def test_invalid_file_reports_every_problem_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        """
- year: 2027
  source: {title: 测试, published: 2026-13-01}
  holidays:
    - {name: 春节, start: 2027-02-05, end: 2027-02-03}
    - {name: 国庆节, start: 2027-10-01, end: 2027-10-07}
    - {name: 重叠, start: 2027-10-05, end: 2027-10-08}
    - {name: 跨年, start: 2026-12-31, end: 2027-01-01}
  makeup_workdays: [2027-02-20, 2027-02-03, 2027-10-02, 2027-02-30, 2027-10-09, 2027-10-09]
  makeup_workday: []
- year: 2027
  source: {title: 测试, doc_no: X, published: 2026-11-01}
  holidays: []
- year: 2027
  source: {title: 测试, doc_no: X, published: 2026-11-01}
  holidays: []
""",
        encoding="utf-8",
    )
    with pytest.raises(CalendarDataError) as info:
        load_calendar_file(bad)
    problems = dict(info.value.problems)
    assert problems == {
        "[0].source.doc_no": "缺少必填字段",
        "[0].source.published": "'2026-13-01' 不是有效日期，应写作 YYYY-MM-DD",
        "[0].holidays[0].end": "结束日期 2027-02-03 早于开始日期 2027-02-05",
        "[0].holidays[2]": (
            "重叠（2027-10-05至2027-10-08）与 holidays[1] 国庆节（2027-10-01至2027-10-07）日期重叠"
        ),
        "[0].holidays[3].start": "2026-12-31 不在 2027 年内",
        "[0].makeup_workdays[1]": "2027-02-03 不是周末，不能作为调休上班日",
        "[0].makeup_workdays[2]": (
            "2027-10-02 在 holidays[1] 国庆节（2027-10-01至2027-10-07）之内，不能同时是调休上班日"
        ),
        "[0].makeup_workdays[3]": "'2027-02-30' 不是有效日期，应写作 YYYY-MM-DD",
        "[0].makeup_workdays[5]": "2027-10-09 与 makeup_workdays[4] 重复",
        "[0].makeup_workday": "不认识的字段（请检查拼写）",
        "[2].year": "2027 年与 [1] 重复",
    }
    assert len(info.value.problems) == len(problems)
    assert str(info.value).startswith(f"日历文件 {bad} 有 11 处错误：\n- ")


def test_single_year_json_paths_have_no_index(tmp_path: Path) -> None:
    data = to_dict(example_2027())
    data["makeup_workdays"] = ["2027-02-03"]
    data["year"] = "二〇二七"
    f = tmp_path / "one.json"
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CalendarDataError) as info:
        load_calendar_file(f)
    assert info.value.problems == [("year", "应为整数")]  # year unknown, so year-level rules cannot run


def test_direct_construction_message_is_chinese_and_names_the_field() -> None:
    src = CalendarSource(title="t", doc_no="t", published=D(2026, 11, 1))
    with pytest.raises(
        ValidationError, match=r"makeup_workdays\[1\]：2027-02-03 不是周末，不能作为调休上班日"
    ):
        CalendarYear(year=2027, source=src, holidays=[], makeup_workdays=[D(2027, 2, 20), D(2027, 2, 3)])


@pytest.mark.parametrize("text", ["", "[]", "42", "year: [", "- 5"])
def test_garbage_files(tmp_path: Path, text: str) -> None:
    f = tmp_path / "x.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarDataError):
        load_calendar_file(f)


# -- properties --------------------------------------------------------------

covered_days = st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 11, 30))


@given(start=covered_days, n=st.integers(min_value=1, max_value=25))
def test_add_workdays_lands_on_the_nth_workday(start: date, n: int) -> None:
    due = CAL.add_workdays(start, n)
    assert due > start and CAL.is_workday(due)
    assert CAL.workdays_between(start + timedelta(days=1), due) == n


@given(start=covered_days.filter(lambda d: d > D(2004, 1, 1)), n=st.integers(min_value=1, max_value=25))
def test_notice_end_counts_the_start_day(start: date, n: int) -> None:
    end = CAL.notice_end(start, n)
    assert CAL.is_workday(end) and CAL.workdays_between(start, end) == n
    assert end == CAL.add_workdays(start - timedelta(days=1), n)
    if CAL.is_workday(start) and n == 1:
        assert end == start
