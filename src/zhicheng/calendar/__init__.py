"""工作日历：法定节假日与调休，用于公示期和 “N个工作日内” 期限的计算。

Leaf package: imports nothing else from `zhicheng`. See docs/calendar.md.
"""

from .files import (
    CalendarDataError,
    dump_calendar_file,
    from_dict,
    load_calendar_file,
    parse_calendar_data,
    to_dict,
)
from .model import CalendarSource, CalendarYear, HolidayRange
from .workdays import BuiltinSource, CalendarCoverageError, WorkdayCalendar

__all__ = [
    "BuiltinSource",
    "CalendarCoverageError",
    "CalendarDataError",
    "CalendarSource",
    "CalendarYear",
    "HolidayRange",
    "WorkdayCalendar",
    "dump_calendar_file",
    "from_dict",
    "load_calendar_file",
    "parse_calendar_data",
    "to_dict",
]
