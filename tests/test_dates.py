"""Tests for bot.dates: Thai/English date and time parsing and formatting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from babel.dates import get_month_names

from bot.dates import (
    DateInputError,
    format_date,
    format_date_long,
    format_datetime,
    format_time,
    from_thai_digits,
    parse_date,
    parse_datetime,
    parse_period,
    parse_time,
    to_thai_digits,
)

TODAY = dt.date(2026, 11, 18)  # a Wednesday; BE 2569
D = dt.date


def _code(exc_info: pytest.ExceptionInfo[DateInputError]) -> str:
    return exc_info.value.code


# --------------------------------------------------------------------------- digits


@pytest.mark.parametrize(
    ("ascii_text", "thai_text"),
    [
        ("0123456789", "๐๑๒๓๔๕๖๗๘๙"),
        ("20/11/2569", "๒๐/๑๑/๒๕๖๙"),
        ("14:30 น.", "๑๔:๓๐ น."),
        ("no digits", "no digits"),
        ("", ""),
    ],
)
def test_thai_digit_round_trip(ascii_text: str, thai_text: str) -> None:
    assert to_thai_digits(ascii_text) == thai_text
    assert from_thai_digits(thai_text) == ascii_text


def test_from_thai_digits_leaves_ascii_and_mixed_text() -> None:
    assert from_thai_digits("พ.ศ. ๒๕๖9 abc") == "พ.ศ. 2569 abc"


# --------------------------------------------------------------------------- parse_date: accepted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO, CE and BE
        ("2026-11-20", D(2026, 11, 20)),
        ("2569-11-20", D(2026, 11, 20)),
        ("2026-1-5", D(2026, 1, 5)),
        ("2026/11/20", D(2026, 11, 20)),
        # numeric, day first
        ("20/11/2569", D(2026, 11, 20)),
        ("20-11-2569", D(2026, 11, 20)),
        ("20.11.2569", D(2026, 11, 20)),
        ("20/11/2026", D(2026, 11, 20)),
        ("1/2/2569", D(2026, 2, 1)),
        ("01/02/2026", D(2026, 2, 1)),
        ("5/12/2026", D(2026, 12, 5)),  # day first, never US order
        # no year -> today's year
        ("20/11", D(2026, 11, 20)),
        ("1.2", D(2026, 2, 1)),
        ("3-4", D(2026, 4, 3)),
        # Thai digits
        ("๒๐/๑๑/๒๕๖๙", D(2026, 11, 20)),
        ("๒๕๖๙-๑๑-๒๐", D(2026, 11, 20)),
        ("๒๐ พ.ย. ๒๕๖๙", D(2026, 11, 20)),
        ("2๐/11/๒569", D(2026, 11, 20)),
        # Thai month names
        ("20 พ.ย. 2569", D(2026, 11, 20)),
        ("20 พย 2569", D(2026, 11, 20)),
        ("20 พ.ย 2569", D(2026, 11, 20)),
        ("20พ.ย.2569", D(2026, 11, 20)),
        ("20 พฤศจิกายน 2569", D(2026, 11, 20)),
        ("20 พฤศจิกา 2569", D(2026, 11, 20)),
        ("20 พ.ย. พ.ศ. 2569", D(2026, 11, 20)),
        ("20 พฤศจิกายน พ.ศ.2569", D(2026, 11, 20)),
        ("20 พ.ย. พศ 2569", D(2026, 11, 20)),
        ("20 พ.ย. ค.ศ. 2026", D(2026, 11, 20)),
        ("20 พ.ย. 2026", D(2026, 11, 20)),
        ("20 พย 69", D(2026, 11, 20)),  # 2-digit after Thai month = BE 25xx
        ("20 พ.ย. 69", D(2026, 11, 20)),
        ("20 พ.ย. พ.ศ. 69", D(2026, 11, 20)),
        ("20 พ.ย. ค.ศ. 26", D(2026, 11, 20)),
        ("20 พ.ย.", D(2026, 11, 20)),
        ("20 พฤศจิกายน", D(2026, 11, 20)),
        ("1 ม.ค. 2570", D(2027, 1, 1)),
        ("14 ก.พ. 2569", D(2026, 2, 14)),
        ("31 มี.ค. 2569", D(2026, 3, 31)),
        ("13 เม.ย. 2569", D(2026, 4, 13)),
        ("1 พ.ค. 2569", D(2026, 5, 1)),
        ("30 มิ.ย. 2569", D(2026, 6, 30)),
        ("1 ก.ค. 2569", D(2026, 7, 1)),
        ("12 ส.ค. 2569", D(2026, 8, 12)),
        ("1 ก.ย. 2569", D(2026, 9, 1)),
        ("23 ต.ค. 2569", D(2026, 10, 23)),
        ("5 ธ.ค. 2569", D(2026, 12, 5)),
        ("5 ธันวาคม 2569", D(2026, 12, 5)),
        ("5 ธันวา 69", D(2026, 12, 5)),
        ("1 มกราคม 2570", D(2027, 1, 1)),
        ("14 กุมภาพันธ์ 2569", D(2026, 2, 14)),
        ("วันที่ 20 พ.ย. 2569", D(2026, 11, 20)),
        ("วันศุกร์ที่ 20 พ.ย. 2569", D(2026, 11, 20)),
        ("วันเสาร์ที่ 21 พฤศจิกายน พ.ศ. 2569", D(2026, 11, 21)),
        ("วันพฤหัสที่ 19 พ.ย. 2569", D(2026, 11, 19)),
        # English month names
        ("20 Nov 2026", D(2026, 11, 20)),
        ("20 nov 2026", D(2026, 11, 20)),
        ("20 NOV 2026", D(2026, 11, 20)),
        ("20 Nov. 2026", D(2026, 11, 20)),
        ("20 November 2026", D(2026, 11, 20)),
        ("20 November", D(2026, 11, 20)),
        ("20th November 2026", D(2026, 11, 20)),
        ("20th of November 2026", D(2026, 11, 20)),
        ("November 20, 2026", D(2026, 11, 20)),
        ("November 20 2026", D(2026, 11, 20)),
        ("Nov 20, 2026", D(2026, 11, 20)),
        ("Nov. 20th, 2026", D(2026, 11, 20)),
        ("November 20", D(2026, 11, 20)),
        ("1 Sept 2026", D(2026, 9, 1)),
        ("1 Sep 2026", D(2026, 9, 1)),
        ("Saturday 21 November 2026", D(2026, 11, 21)),
        ("Sat, 21 Nov 2026", D(2026, 11, 21)),
        ("20 Nov 2569", D(2026, 11, 20)),  # 4-digit BE year is fine anywhere
        ("20 Nov B.E. 2569", D(2026, 11, 20)),
        # relative words
        ("today", TODAY),
        ("วันนี้", TODAY),
        ("tomorrow", D(2026, 11, 19)),
        ("พรุ่งนี้", D(2026, 11, 19)),
        ("มะรืน", D(2026, 11, 20)),
        ("มะรืนนี้", D(2026, 11, 20)),
        ("day after tomorrow", D(2026, 11, 20)),
        ("the day after tomorrow", D(2026, 11, 20)),
        ("yesterday", D(2026, 11, 17)),
        ("เมื่อวาน", D(2026, 11, 17)),
        ("เมื่อวานนี้", D(2026, 11, 17)),
        # whitespace and case
        ("  20/11/2569  ", D(2026, 11, 20)),
        ("  Tomorrow ", D(2026, 11, 19)),
        ("DAY  AFTER\tTOMORROW", D(2026, 11, 20)),
        ("20\u00a0พ.ย.\u200b 2569", D(2026, 11, 20)),
    ],
)
def test_parse_date_accepts(text: str, expected: dt.date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("29/02/2567", D(2024, 2, 29)),  # BE 2567 = 2024, a leap year
        ("29/02/2024", D(2024, 2, 29)),
        ("2567-02-29", D(2024, 2, 29)),
        ("29 ก.พ. 2567", D(2024, 2, 29)),
        ("29 ก.พ. 67", D(2024, 2, 29)),
        ("29 Feb 2024", D(2024, 2, 29)),
        ("29/02/2543", D(2000, 2, 29)),  # 2000 is a leap year (divisible by 400)
    ],
)
def test_parse_date_leap_days(text: str, expected: dt.date) -> None:
    assert parse_date(text, TODAY) == expected


def test_parse_date_without_year_uses_todays_year_even_in_the_past() -> None:
    assert parse_date("1/1", TODAY) == D(2026, 1, 1)
    assert parse_date("1 ม.ค.", TODAY) == D(2026, 1, 1)


def test_parse_date_without_year_leap_day_depends_on_today() -> None:
    assert parse_date("29/2", D(2024, 6, 1)) == D(2024, 2, 29)
    with pytest.raises(DateInputError) as exc_info:
        parse_date("29/2", TODAY)
    assert _code(exc_info) == "impossible"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/1/1950", D(1950, 1, 1)),
        ("1/1/2493", D(1950, 1, 1)),  # BE 2493
        ("31/12/2200", D(2200, 12, 31)),
        ("31/12/2743", D(2200, 12, 31)),  # BE 2743
        ("2493-01-01", D(1950, 1, 1)),
        ("1 Jan 1950", D(1950, 1, 1)),
        ("1 ม.ค. 00", D(1957, 1, 1)),  # 2-digit BE is always 25xx: BE 2500
        ("1 ม.ค. 93", D(2050, 1, 1)),  # BE 2593, not 2493
        ("31 ธ.ค. 99", D(2056, 12, 31)),  # BE 2599
    ],
)
def test_parse_date_year_bounds(text: str, expected: dt.date) -> None:
    assert parse_date(text, TODAY) == expected


def test_parse_date_relative_is_relative_to_today() -> None:
    assert parse_date("tomorrow", D(2026, 12, 31)) == D(2027, 1, 1)
    assert parse_date("เมื่อวาน", D(2026, 3, 1)) == D(2026, 2, 28)


# --------------------------------------------------------------------------- parse_date: errors


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\u200b", "empty"),
        # 2-digit year without a Thai month name
        ("1/2/69", "ambiguous_year"),
        ("20/11/69", "ambiguous_year"),
        ("๑/๒/๖๙", "ambiguous_year"),
        ("20-11-26", "ambiguous_year"),
        ("20 Nov 26", "ambiguous_year"),
        ("Nov 20, 26", "ambiguous_year"),
        # impossible dates
        ("31/02/2569", "impossible"),
        ("29/02/2569", "impossible"),  # 2026 is not a leap year
        ("29 ก.พ. 2569", "impossible"),
        ("2569-02-29", "impossible"),
        ("29/02/2100", "impossible"),  # century, not divisible by 400
        ("1/13/2569", "impossible"),
        ("13/13/2569", "impossible"),
        ("0/1/2569", "impossible"),
        ("1/0/2569", "impossible"),
        ("32/1/2569", "impossible"),
        ("31/4/2569", "impossible"),
        ("31 เม.ย. 2569", "impossible"),
        ("2026-13-01", "impossible"),
        ("12/31/2026", "impossible"),  # US order: month 31
        ("31/2", "impossible"),
        ("วันศุกร์ที่ 21 พ.ย. 2569", "impossible"),  # 21 Nov 2026 is a Saturday
        ("Friday 21 November 2026", "impossible"),
        # year out of range
        ("1/1/1949", "year_out_of_range"),
        ("31/12/2492", "year_out_of_range"),  # BE 2492 = 1949
        ("1/1/2201", "year_out_of_range"),
        ("1/1/2744", "year_out_of_range"),  # BE 2744 = 2201
        ("1/1/2399", "year_out_of_range"),  # read as CE 2399
        ("1/1/1800", "year_out_of_range"),
        ("1/1/256", "year_out_of_range"),
        ("1/1/25690", "year_out_of_range"),
        ("1/1/9", "year_out_of_range"),
        ("1800-01-01", "year_out_of_range"),
        ("20 พ.ย. พ.ศ. 2026", "year_out_of_range"),  # BE 2026 = 1483 CE
        ("20 พ.ย. ค.ศ. 2569", "year_out_of_range"),
        ("20 Nov 1066", "year_out_of_range"),
        # unrecognised
        ("abc", "unrecognised"),
        ("20", "unrecognised"),
        ("20 foo 2569", "unrecognised"),
        ("20/11/2569/1", "unrecognised"),
        ("20/11-2569", "unrecognised"),  # mixed separators
        ("next week", "unrecognised"),
        ("Nov 2026", "unrecognised"),  # a month, not a date
        ("วันที่", "unrecognised"),
        ("2026-11-20 09:00", "unrecognised"),
    ],
)
def test_parse_date_errors(text: str, code: str) -> None:
    with pytest.raises(DateInputError) as exc_info:
        parse_date(text, TODAY)
    assert _code(exc_info) == code


def test_date_input_error_is_value_error_with_code() -> None:
    err = DateInputError("impossible")
    assert isinstance(err, ValueError)
    assert err.code == "impossible"
    assert str(err) == "impossible"


def test_relative_date_out_of_range() -> None:
    with pytest.raises(DateInputError) as exc_info:
        parse_date("tomorrow", D(2200, 12, 31))
    assert _code(exc_info) == "year_out_of_range"


# --------------------------------------------------------------------------- parse_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:30", dt.time(14, 30)),
        ("14.30", dt.time(14, 30)),
        ("14:30 น.", dt.time(14, 30)),
        ("14.30 น.", dt.time(14, 30)),
        ("14.30น.", dt.time(14, 30)),
        ("14.30 น", dt.time(14, 30)),
        ("14 น.", dt.time(14, 0)),
        ("14น.", dt.time(14, 0)),
        ("9 นาฬิกา", dt.time(9, 0)),
        ("9:05", dt.time(9, 5)),
        ("09:05", dt.time(9, 5)),
        ("0:00", dt.time(0, 0)),
        ("23:59", dt.time(23, 59)),
        ("14:30:15", dt.time(14, 30, 15)),
        ("2pm", dt.time(14, 0)),
        ("2 pm", dt.time(14, 0)),
        ("2PM", dt.time(14, 0)),
        ("2 p.m.", dt.time(14, 0)),
        ("2:30 pm", dt.time(14, 30)),
        ("2.30pm", dt.time(14, 30)),
        ("9am", dt.time(9, 0)),
        ("9:15 a.m.", dt.time(9, 15)),
        ("12am", dt.time(0, 0)),
        ("12:30 am", dt.time(0, 30)),
        ("12pm", dt.time(12, 0)),
        ("12:45 pm", dt.time(12, 45)),
        ("๑๔:๓๐", dt.time(14, 30)),
        ("๙.๐๕ น.", dt.time(9, 5)),
        ("เวลา 14.30 น.", dt.time(14, 30)),
        ("at 2pm", dt.time(14, 0)),
        ("  14:30  ", dt.time(14, 30)),
    ],
)
def test_parse_time_accepts(text: str, expected: dt.time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("24:00", "impossible"),
        ("25:00", "impossible"),
        ("12:60", "impossible"),
        ("14:30:60", "impossible"),
        ("25 น.", "impossible"),
        ("13pm", "impossible"),
        ("0am", "impossible"),
        ("14:30 pm", "impossible"),
        ("๒๕:๐๐", "impossible"),
        ("14", "unrecognised"),  # bare number: needs minutes, น. or am/pm
        ("9:5", "unrecognised"),
        ("noon", "unrecognised"),
        ("บ่ายสอง", "unrecognised"),
        ("14:30:", "unrecognised"),
        ("123:00", "unrecognised"),
    ],
)
def test_parse_time_errors(text: str, code: str) -> None:
    with pytest.raises(DateInputError) as exc_info:
        parse_time(text)
    assert _code(exc_info) == code


# --------------------------------------------------------------------------- parse_datetime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20/11/2569 14:30", dt.datetime(2026, 11, 20, 14, 30)),
        ("20/11/2569 14.30 น.", dt.datetime(2026, 11, 20, 14, 30)),
        ("20 พ.ย. 2569 เวลา 14.30 น.", dt.datetime(2026, 11, 20, 14, 30)),
        ("20 พ.ย. 2569 14 น.", dt.datetime(2026, 11, 20, 14, 0)),
        ("20 พย 69 9.00", dt.datetime(2026, 11, 20, 9, 0)),
        ("20 พ.ย. 14.30", dt.datetime(2026, 11, 20, 14, 30)),
        ("2026-11-20 09:00", dt.datetime(2026, 11, 20, 9, 0)),
        ("2026-11-20T09:00", dt.datetime(2026, 11, 20, 9, 0)),
        ("2026-11-20 09:00:30", dt.datetime(2026, 11, 20, 9, 0, 30)),
        ("2569-11-20 09:00", dt.datetime(2026, 11, 20, 9, 0)),
        ("20 Nov 2026 14:30", dt.datetime(2026, 11, 20, 14, 30)),
        ("20 Nov 2026 at 2pm", dt.datetime(2026, 11, 20, 14, 0)),
        ("November 20, 2026, 2:30 pm", dt.datetime(2026, 11, 20, 14, 30)),
        ("20/11 9:05", dt.datetime(2026, 11, 20, 9, 5)),
        ("พรุ่งนี้ 9 น.", dt.datetime(2026, 11, 19, 9, 0)),
        ("พรุ่งนี้ เวลา 13.00 น.", dt.datetime(2026, 11, 19, 13, 0)),
        ("tomorrow 2pm", dt.datetime(2026, 11, 19, 14, 0)),
        ("วันนี้ 18:00", dt.datetime(2026, 11, 18, 18, 0)),
        ("๒๐/๑๑/๒๕๖๙ ๑๔:๓๐", dt.datetime(2026, 11, 20, 14, 30)),
        ("29/02/2567 08:00", dt.datetime(2024, 2, 29, 8, 0)),
        ("วันเสาร์ที่ 21 พฤศจิกายน พ.ศ. 2569 14:30 น.", dt.datetime(2026, 11, 21, 14, 30)),
        ("  20/11/2569   14:30  ", dt.datetime(2026, 11, 20, 14, 30)),
    ],
)
def test_parse_datetime_accepts(text: str, expected: dt.datetime) -> None:
    result = parse_datetime(text, TODAY)
    assert result == expected
    assert result.tzinfo is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("20/11/2569", "missing_time"),
        ("20 พ.ย. 2569", "missing_time"),
        ("พรุ่งนี้", "missing_time"),
        ("2026-11-20", "missing_time"),
        ("20.11", "missing_time"),  # also a valid time, but read as a date
        ("14:30", "unrecognised"),  # a time with no date
        ("14.30 น.", "unrecognised"),
        ("20/11/2569 14", "unrecognised"),  # bare 14 is not a time
        ("hello 14:30", "unrecognised"),
        ("hello", "unrecognised"),
        ("1/2/69 14:30", "ambiguous_year"),
        ("1/2/69", "ambiguous_year"),
        ("31/02/2569 10:00", "impossible"),
        ("29/02/2569 10:00", "impossible"),
        ("31/02/2569", "impossible"),
        ("20/11/2569 25:00", "impossible"),
        ("20/11/2569 13pm", "impossible"),
        ("1/1/2201 10:00", "year_out_of_range"),
    ],
)
def test_parse_datetime_errors(text: str, code: str) -> None:
    with pytest.raises(DateInputError) as exc_info:
        parse_datetime(text, TODAY)
    assert _code(exc_info) == code


# --------------------------------------------------------------------------- parse_period


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # weeks start on Monday; TODAY is Wednesday 18 Nov 2026
        ("week", (D(2026, 11, 16), D(2026, 11, 23))),
        ("this week", (D(2026, 11, 16), D(2026, 11, 23))),
        ("สัปดาห์นี้", (D(2026, 11, 16), D(2026, 11, 23))),
        ("last week", (D(2026, 11, 9), D(2026, 11, 16))),
        ("สัปดาห์ที่แล้ว", (D(2026, 11, 9), D(2026, 11, 16))),
        ("month", (D(2026, 11, 1), D(2026, 12, 1))),
        ("this month", (D(2026, 11, 1), D(2026, 12, 1))),
        ("เดือนนี้", (D(2026, 11, 1), D(2026, 12, 1))),
        ("last month", (D(2026, 10, 1), D(2026, 11, 1))),
        ("เดือนที่แล้ว", (D(2026, 10, 1), D(2026, 11, 1))),
        ("year", (D(2026, 1, 1), D(2027, 1, 1))),
        ("ปีนี้", (D(2026, 1, 1), D(2027, 1, 1))),
        ("last year", (D(2025, 1, 1), D(2026, 1, 1))),
        ("ปีที่แล้ว", (D(2025, 1, 1), D(2026, 1, 1))),
        ("term", (D(2026, 11, 1), D(2027, 4, 1))),
        ("ภาคเรียนนี้", (D(2026, 11, 1), D(2027, 4, 1))),
        ("เทอมนี้", (D(2026, 11, 1), D(2027, 4, 1))),
        ("last term", (D(2026, 5, 16), D(2026, 10, 16))),
        ("ภาคเรียนที่แล้ว", (D(2026, 5, 16), D(2026, 10, 16))),
        ("all", (D(1950, 1, 1), D(2201, 1, 1))),
        ("ทั้งหมด", (D(1950, 1, 1), D(2201, 1, 1))),
        ("  This   Week ", (D(2026, 11, 16), D(2026, 11, 23))),
        # months
        ("พ.ย. 2569", (D(2026, 11, 1), D(2026, 12, 1))),
        ("พย 2569", (D(2026, 11, 1), D(2026, 12, 1))),
        ("พ.ย. 69", (D(2026, 11, 1), D(2026, 12, 1))),
        ("พฤศจิกายน 2569", (D(2026, 11, 1), D(2026, 12, 1))),
        ("พฤศจิกายน พ.ศ. 2569", (D(2026, 11, 1), D(2026, 12, 1))),
        ("ธ.ค. 2569", (D(2026, 12, 1), D(2027, 1, 1))),
        ("ก.พ. 2567", (D(2024, 2, 1), D(2024, 3, 1))),
        ("Nov 2026", (D(2026, 11, 1), D(2026, 12, 1))),
        ("November 2026", (D(2026, 11, 1), D(2026, 12, 1))),
        ("nov, 2026", (D(2026, 11, 1), D(2026, 12, 1))),
        ("๑๑/๒๕๖๙", (D(2026, 11, 1), D(2026, 12, 1))),
        ("11/2569", (D(2026, 11, 1), D(2026, 12, 1))),
        ("2026-11", (D(2026, 11, 1), D(2026, 12, 1))),
        ("พ.ย.", (D(2026, 11, 1), D(2026, 12, 1))),
        ("march", (D(2026, 3, 1), D(2026, 4, 1))),
        # years
        ("2569", (D(2026, 1, 1), D(2027, 1, 1))),
        ("2026", (D(2026, 1, 1), D(2027, 1, 1))),
        ("พ.ศ. 2569", (D(2026, 1, 1), D(2027, 1, 1))),
        ("ปี 2569", (D(2026, 1, 1), D(2027, 1, 1))),
        # date ranges, end day included
        ("1/11/2569-30/11/2569", (D(2026, 11, 1), D(2026, 12, 1))),
        ("1/11/2569 - 30/11/2569", (D(2026, 11, 1), D(2026, 12, 1))),
        ("1/11/2569–30/11/2569", (D(2026, 11, 1), D(2026, 12, 1))),
        ("1/11/2569 ถึง 30/11/2569", (D(2026, 11, 1), D(2026, 12, 1))),
        ("ตั้งแต่ 1/11/2569 ถึง 30/11/2569", (D(2026, 11, 1), D(2026, 12, 1))),
        ("1 Nov 2026 to 30 Nov 2026", (D(2026, 11, 1), D(2026, 12, 1))),
        ("from 1 Nov 2026 to 30 Nov 2026", (D(2026, 11, 1), D(2026, 12, 1))),
        ("2026-11-01-2026-11-30", (D(2026, 11, 1), D(2026, 12, 1))),
        ("1-11-2569-30-11-2569", (D(2026, 11, 1), D(2026, 12, 1))),
        ("1 พ.ย. 2569 - 15 ธ.ค. 2569", (D(2026, 11, 1), D(2026, 12, 16))),
        ("๑/๑๑/๒๕๖๙-๓๐/๑๑/๒๕๖๙", (D(2026, 11, 1), D(2026, 12, 1))),
        ("20/11/2569-20/11/2569", (D(2026, 11, 20), D(2026, 11, 21))),
        ("1/11-30/11", (D(2026, 11, 1), D(2026, 12, 1))),
        ("1/2/2567-29/2/2567", (D(2024, 2, 1), D(2024, 3, 1))),
        ("25/12/2569-5/1/2570", (D(2026, 12, 25), D(2027, 1, 6))),
        # last N days, including today
        ("7d", (D(2026, 11, 12), D(2026, 11, 19))),
        ("7D", (D(2026, 11, 12), D(2026, 11, 19))),
        ("30d", (D(2026, 10, 20), D(2026, 11, 19))),
        ("7 วัน", (D(2026, 11, 12), D(2026, 11, 19))),
        ("๗ วัน", (D(2026, 11, 12), D(2026, 11, 19))),
        ("7 days", (D(2026, 11, 12), D(2026, 11, 19))),
        ("last 7 days", (D(2026, 11, 12), D(2026, 11, 19))),
        ("7 วันที่ผ่านมา", (D(2026, 11, 12), D(2026, 11, 19))),
        ("ย้อนหลัง 30 วัน", (D(2026, 10, 20), D(2026, 11, 19))),
        ("1d", (D(2026, 11, 18), D(2026, 11, 19))),
        # single days
        ("20/11/2569", (D(2026, 11, 20), D(2026, 11, 21))),
        ("today", (D(2026, 11, 18), D(2026, 11, 19))),
        ("เมื่อวาน", (D(2026, 11, 17), D(2026, 11, 18))),
    ],
)
def test_parse_period_accepts(text: str, expected: tuple[dt.date, dt.date]) -> None:
    assert parse_period(text, TODAY) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 1, 5), (D(2025, 11, 1), D(2026, 4, 1))),  # term 2, second half
        (D(2026, 3, 31), (D(2025, 11, 1), D(2026, 4, 1))),  # last day of term 2
        (D(2026, 4, 1), (D(2025, 11, 1), D(2026, 4, 1))),  # gap -> term just ended
        (D(2026, 5, 15), (D(2025, 11, 1), D(2026, 4, 1))),  # last gap day
        (D(2026, 5, 16), (D(2026, 5, 16), D(2026, 10, 16))),  # term 1 starts
        (D(2026, 10, 15), (D(2026, 5, 16), D(2026, 10, 16))),  # last day of term 1
        (D(2026, 10, 16), (D(2026, 5, 16), D(2026, 10, 16))),  # gap -> term 1
        (D(2026, 10, 31), (D(2026, 5, 16), D(2026, 10, 16))),
        (D(2026, 11, 1), (D(2026, 11, 1), D(2027, 4, 1))),  # term 2 starts
        (D(2026, 12, 31), (D(2026, 11, 1), D(2027, 4, 1))),
    ],
)
def test_parse_period_term(today: dt.date, expected: tuple[dt.date, dt.date]) -> None:
    assert parse_period("term", today) == expected
    assert expected[0] <= today  # never a future term


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 7, 1), (D(2025, 11, 1), D(2026, 4, 1))),
        (D(2026, 12, 1), (D(2026, 5, 16), D(2026, 10, 16))),
        (D(2026, 2, 1), (D(2025, 5, 16), D(2025, 10, 16))),
        (D(2026, 4, 20), (D(2025, 5, 16), D(2025, 10, 16))),  # gap: current = term 2
    ],
)
def test_parse_period_last_term(today: dt.date, expected: tuple[dt.date, dt.date]) -> None:
    assert parse_period("last term", today) == expected


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (D(2026, 11, 16), "week", (D(2026, 11, 16), D(2026, 11, 23))),  # Monday
        (D(2026, 11, 22), "week", (D(2026, 11, 16), D(2026, 11, 23))),  # Sunday
        (D(2027, 1, 1), "last week", (D(2026, 12, 21), D(2026, 12, 28))),
        (D(2026, 1, 15), "last month", (D(2025, 12, 1), D(2026, 1, 1))),
        (D(2026, 3, 31), "last month", (D(2026, 2, 1), D(2026, 3, 1))),
        (D(2026, 12, 31), "month", (D(2026, 12, 1), D(2027, 1, 1))),
        (D(2026, 3, 1), "7d", (D(2026, 2, 23), D(2026, 3, 2))),
    ],
)
def test_parse_period_calendar_edges(
    today: dt.date, text: str, expected: tuple[dt.date, dt.date]
) -> None:
    assert parse_period(text, today) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("next week", "unrecognised"),
        ("blah", "unrecognised"),
        ("foo 2569", "unrecognised"),
        ("1/11/2569-", "unrecognised"),
        ("1/11/2569-blah", "unrecognised"),
        ("nov 26", "ambiguous_year"),
        ("1/11/69-30/11/69", "ambiguous_year"),
        ("1/11/2569-31/11/2569", "impossible"),  # November has 30 days
        ("30/11/2569-1/11/2569", "reversed"),  # end before start
        ("13/2569", "impossible"),
        ("0d", "impossible"),
        ("0 วัน", "impossible"),
        ("1800", "year_out_of_range"),
        ("2201", "year_out_of_range"),
        ("พ.ย. 1800", "year_out_of_range"),
        ("Nov 2201", "year_out_of_range"),
        ("1/1/1900-1/1/2000", "year_out_of_range"),
        ("999999d", "year_out_of_range"),
        ("40000d", "year_out_of_range"),
    ],
)
def test_parse_period_errors(text: str, code: str) -> None:
    with pytest.raises(DateInputError) as exc_info:
        parse_period(text, TODAY)
    assert _code(exc_info) == code


@pytest.mark.parametrize(
    "parse",
    [
        lambda text: parse_date(text, TODAY),
        lambda text: parse_datetime(text, TODAY),
        lambda text: parse_period(text, TODAY),
        parse_time,
    ],
)
@pytest.mark.parametrize("text", ["-" * 5000, "1/11/2569 " * 100, "a" * 201])
def test_overlong_input_is_unrecognised(parse: Callable[[str], object], text: str) -> None:
    with pytest.raises(DateInputError) as exc_info:
        parse(text)
    assert _code(exc_info) == "unrecognised"


def test_parse_period_all_covers_every_parseable_date() -> None:
    start, end = parse_period("all", TODAY)
    assert start <= parse_date("1/1/1950", TODAY) < end
    assert start <= parse_date("31/12/2200", TODAY) < end


# --------------------------------------------------------------------------- formatting


def test_babel_thai_month_abbreviations_are_the_usual_ones() -> None:
    names = get_month_names("abbreviated", locale="th")
    assert [names[i] for i in range(1, 13)] == [
        "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
        "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "th", "en"),
    [
        (D(2026, 11, 21), "21 พ.ย. 2569", "21 Nov 2026"),
        (D(2026, 1, 1), "1 ม.ค. 2569", "1 Jan 2026"),
        (D(2024, 2, 29), "29 ก.พ. 2567", "29 Feb 2024"),
        (D(2027, 12, 31), "31 ธ.ค. 2570", "31 Dec 2027"),
        (D(1950, 5, 9), "9 พ.ค. 2493", "9 May 1950"),
    ],
)
def test_format_date(value: dt.date, th: str, en: str) -> None:
    assert format_date(value, "th") == th
    assert format_date(value, "en") == en


@pytest.mark.parametrize(
    ("value", "th", "en"),
    [
        (D(2026, 11, 21), "วันเสาร์ที่ 21 พฤศจิกายน พ.ศ. 2569", "Saturday 21 November 2026"),
        (D(2026, 11, 16), "วันจันทร์ที่ 16 พฤศจิกายน พ.ศ. 2569", "Monday 16 November 2026"),
        (D(2026, 11, 19), "วันพฤหัสบดีที่ 19 พฤศจิกายน พ.ศ. 2569", "Thursday 19 November 2026"),
        (D(2024, 2, 29), "วันพฤหัสบดีที่ 29 กุมภาพันธ์ พ.ศ. 2567", "Thursday 29 February 2024"),
        (D(2026, 11, 22), "วันอาทิตย์ที่ 22 พฤศจิกายน พ.ศ. 2569", "Sunday 22 November 2026"),
    ],
)
def test_format_date_long(value: dt.date, th: str, en: str) -> None:
    assert format_date_long(value, "th") == th
    assert format_date_long(value, "en") == en


@pytest.mark.parametrize(
    ("value", "th", "en"),
    [
        (dt.time(14, 30), "14:30 น.", "14:30"),
        (dt.time(9, 5), "09:05 น.", "09:05"),
        (dt.time(0, 0), "00:00 น.", "00:00"),
        (dt.time(23, 59, 59), "23:59 น.", "23:59"),
    ],
)
def test_format_time(value: dt.time, th: str, en: str) -> None:
    assert format_time(value, "th") == th
    assert format_time(value, "en") == en


def test_format_datetime() -> None:
    value = dt.datetime(2026, 11, 21, 14, 30)
    assert format_datetime(value, "th") == "21 พ.ย. 2569 14:30 น."
    assert format_datetime(value, "en") == "21 Nov 2026 14:30"


def test_format_datetime_uses_wall_clock_of_aware_datetimes() -> None:
    value = dt.datetime(2026, 11, 21, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert format_datetime(value, "en") == "21 Nov 2026 14:30"


@pytest.mark.parametrize("lang", ["th-TH", "th_TH", "TH"])
def test_format_accepts_language_tags(lang: str) -> None:
    assert format_date(D(2026, 11, 21), lang) == "21 พ.ย. 2569"


@pytest.mark.parametrize("lang", ["fr", "", "zh-TW"])
def test_format_rejects_unknown_language(lang: str) -> None:
    with pytest.raises(ValueError):
        format_date(D(2026, 11, 21), lang)
    with pytest.raises(ValueError):
        format_time(dt.time(1, 2), lang)


@pytest.mark.parametrize(
    "value", [D(2026, 11, 21), D(2024, 2, 29), D(2026, 1, 1), D(1950, 1, 1), D(2200, 12, 31)]
)
@pytest.mark.parametrize("lang", ["th", "en"])
def test_format_then_parse_round_trips(value: dt.date, lang: str) -> None:
    assert parse_date(format_date(value, lang), TODAY) == value
    assert parse_date(format_date_long(value, lang), TODAY) == value
    assert parse_date(to_thai_digits(format_date(value, lang)), TODAY) == value


@pytest.mark.parametrize("lang", ["th", "en"])
def test_format_datetime_then_parse_round_trips(lang: str) -> None:
    value = dt.datetime(2026, 11, 21, 9, 5)
    assert parse_datetime(format_datetime(value, lang), TODAY) == value
