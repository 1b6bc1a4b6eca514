"""Thai/English date and time parsing and formatting.

Thai users write Buddhist-Era (BE) years: BE = CE + 543 (พ.ศ. 2569 = 2026).
Everything here is pure: "today" is always passed in by the caller, and errors
carry a machine-readable ``code`` (no user-facing text) that handlers translate.
Month and weekday names come from Babel's CLDR data where it has them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final, Literal

from babel.dates import get_day_names, get_month_names

from bot.academic import BE_OFFSET, DEFAULT_CALENDAR

__all__ = [
    "BE_OFFSET",
    "MAX_YEAR",
    "MIN_YEAR",
    "DateErrorCode",
    "DateInputError",
    "format_date",
    "format_date_long",
    "format_date_range",
    "format_datetime",
    "format_time",
    "from_thai_digits",
    "parse_date",
    "parse_datetime",
    "parse_period",
    "parse_time",
    "to_thai_digits",
]

DateErrorCode = Literal[
    "empty",
    "ambiguous_year",
    "impossible",
    "unrecognised",
    "year_out_of_range",
    "missing_time",
    "reversed",  # a range whose end comes before its start
]


class DateInputError(ValueError):
    """User-typed date/time text could not be understood; ``code`` says why."""

    def __init__(self, code: DateErrorCode) -> None:
        super().__init__(code)
        self.code: DateErrorCode = code


MIN_YEAR: Final = 1950  # Gregorian, inclusive
MAX_YEAR: Final = 2200  # Gregorian, inclusive

_ONE_DAY: Final = dt.timedelta(days=1)
# Longer inputs are never dates; the cap keeps range splitting cheap on junk.
_MAX_INPUT_LEN: Final = 200

# --------------------------------------------------------------------------- digits

_THAI_DIGITS: Final = "๐๑๒๓๔๕๖๗๘๙"
_TO_THAI: Final = str.maketrans("0123456789", _THAI_DIGITS)
_FROM_THAI: Final = str.maketrans(_THAI_DIGITS, "0123456789")
_ZERO_WIDTH: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def to_thai_digits(text: str) -> str:
    """Replace ASCII digits 0-9 with Thai digits ๐-๙."""
    return text.translate(_TO_THAI)


def from_thai_digits(text: str) -> str:
    """Replace Thai digits ๐-๙ with ASCII digits 0-9."""
    return text.translate(_FROM_THAI)


def _clean(text: str) -> str:
    """ASCII digits, no zero-width characters, lower case, single spaces.

    Raises ``empty`` for blank input and ``unrecognised`` for over-long input.
    """
    text = " ".join(from_thai_digits(text).translate(_ZERO_WIDTH).lower().split())
    if not text:
        raise DateInputError("empty")
    if len(text) > _MAX_INPUT_LEN:
        raise DateInputError("unrecognised")
    return text


def supported_language(lang: str) -> Literal["th", "en"]:
    """``th`` or ``en`` from a language tag such as ``th-TH`` or ``en_US``; ValueError otherwise."""
    base = lang.strip().lower().replace("_", "-").split("-")[0]
    if base == "th":
        return "th"
    if base == "en":
        return "en"
    raise ValueError(f"unsupported language: {lang!r}")


_lang = supported_language


# --------------------------------------------------------------------------- names


def _months(width: Literal["abbreviated", "wide"], locale: str) -> dict[int, str]:
    names = get_month_names(width, context="format", locale=locale)
    return {int(k): str(v) for k, v in names.items()}


def _days(width: Literal["abbreviated", "wide"], locale: str) -> dict[int, str]:
    names = get_day_names(width, context="format", locale=locale)
    return {int(k): str(v) for k, v in names.items()}  # 0 = Monday


_TH_MONTH_ABBR: Final = _months("abbreviated", "th")  # ม.ค. ... ธ.ค.
_TH_MONTH_WIDE: Final = _months("wide", "th")  # มกราคม ... ธันวาคม
_EN_MONTH_ABBR: Final = _months("abbreviated", "en")  # Jan ... Dec
_EN_MONTH_WIDE: Final = _months("wide", "en")  # January ... December
_TH_DAY_WIDE: Final = _days("wide", "th")  # วันจันทร์ ... วันอาทิตย์
_EN_DAY_WIDE: Final = _days("wide", "en")  # Monday ... Sunday
_EN_DAY_ABBR: Final = _days("abbreviated", "en")  # Mon ... Sun

# Spoken/colloquial forms Babel does not have ("20 พฤศจิกา 69").
_TH_MONTH_COLLOQUIAL: Final = {
    1: "มกรา", 2: "กุมภา", 3: "มีนา", 4: "เมษา", 5: "พฤษภา", 6: "มิถุนา",
    7: "กรกฎา", 8: "สิงหา", 9: "กันยา", 10: "ตุลา", 11: "พฤศจิกา", 12: "ธันวา",
}  # fmt: skip


def _month_key(token: str) -> str:
    return re.sub(r"[\s.]", "", token.lower())


def _build_month_lookup() -> dict[str, tuple[int, bool]]:
    """Normalised month token -> (month number, is a Thai name)."""
    lookup: dict[str, tuple[int, bool]] = {}
    for table in (_TH_MONTH_ABBR, _TH_MONTH_WIDE, _TH_MONTH_COLLOQUIAL):
        for month, name in table.items():
            lookup[_month_key(name)] = (month, True)
    for table in (_EN_MONTH_ABBR, _EN_MONTH_WIDE):
        for month, name in table.items():
            lookup[_month_key(name)] = (month, False)
    lookup["sept"] = (9, False)
    return lookup


_MONTH_LOOKUP: Final = _build_month_lookup()


def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


_TH_WEEKDAYS: Final = {name.removeprefix("วัน"): i for i, name in _TH_DAY_WIDE.items()}
_TH_WEEKDAYS["พฤหัส"] = 3
_EN_WEEKDAYS: Final = {
    **{n.lower(): i for i, n in _EN_DAY_WIDE.items()},
    **{n.lower(): i for i, n in _EN_DAY_ABBR.items()},
    "tues": 1, "thur": 3, "thurs": 3,
}  # fmt: skip
_TH_WEEKDAY_RE: Final = re.compile(
    rf"^วัน(?:(?P<wd>{_alternation(list(_TH_WEEKDAYS))})\s*(?:ที่)?|ที่)\s*"
)
_EN_WEEKDAY_RE: Final = re.compile(rf"^(?P<wd>{_alternation(list(_EN_WEEKDAYS))})\b\.?,?\s*")

# --------------------------------------------------------------------------- dates

_RELATIVE: Final = {
    "today": 0, "วันนี้": 0,
    "tomorrow": 1, "พรุ่งนี้": 1,
    "day after tomorrow": 2, "the day after tomorrow": 2, "มะรืน": 2, "มะรืนนี้": 2,
    "yesterday": -1, "เมื่อวาน": -1, "เมื่อวานนี้": -1,
}  # fmt: skip

_ERA: Final = r"(?P<era>พ\.?\s?ศ\.?|ค\.?\s?ศ\.?|b\.?\s?e\.?|a\.?\s?d\.?|c\.?\s?e\.?)"
_ISO_RE: Final = re.compile(r"^(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})$")
_DMY_RE: Final = re.compile(r"^(?P<d>\d{1,2})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<y>\d+)$")
_DM_RE: Final = re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})$")
_DAY_MONTH_RE: Final = re.compile(
    r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?\s*(?:of\s+)?(?P<month>[^\d\s][^\d]*?)\s*(?P<y>\d+)?$"
)
_MONTH_DAY_RE: Final = re.compile(
    rf"^(?P<month>[^\d\s][^\d]*?)\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"(?:(?:\s*,\s*|\s+){_ERA}?\s*(?P<y>\d+))?$"
)
_MONTH_ERA_RE: Final = re.compile(rf"^(?P<month>.+?)[\s,]*{_ERA}?[\s,]*$")


def _era_kind(era: str | None) -> Literal["be", "ce"] | None:
    if not era:
        return None
    return "be" if _month_key(era) in ("พศ", "be") else "ce"


def _check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DateInputError("year_out_of_range")
    return year


def _resolve_year(raw: str, era: Literal["be", "ce"] | None, thai_month: bool) -> int:
    """Turn a typed year into a Gregorian year (see parse_date for the rules)."""
    n = int(raw)
    if len(raw) == 4:
        if era == "be":
            year = n - BE_OFFSET
        elif era == "ce":
            year = n
        elif n >= 2400:
            year = n - BE_OFFSET
        elif n >= 1900:
            year = n
        else:
            raise DateInputError("year_out_of_range")
    elif len(raw) == 2:
        if era == "be" or (era is None and thai_month):
            year = 2500 + n - BE_OFFSET
        elif era == "ce":
            year = 2000 + n
        else:
            raise DateInputError("ambiguous_year")
    else:
        raise DateInputError("year_out_of_range")
    return _check_year(year)


def _make_date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateInputError("impossible") from None


def _split_month(part: str) -> tuple[int, bool, Literal["be", "ce"] | None] | None:
    """'พ.ย. พ.ศ.' -> (11, True, 'be'); None if the month name is unknown."""
    m = _MONTH_ERA_RE.match(part)
    if m is None:
        return None
    found = _MONTH_LOOKUP.get(_month_key(m["month"]).strip(","))
    if found is None:
        return None
    return found[0], found[1], _era_kind(m["era"])


def _parse_plain_date(s: str, today: dt.date) -> dt.date:
    """Parse a cleaned date without weekday prefix or relative words."""
    if m := _ISO_RE.match(s):
        year = _resolve_year(m["y"], None, False)
        return _make_date(year, int(m["m"]), int(m["d"]))
    if m := _DMY_RE.match(s):
        year = _resolve_year(m["y"], None, False)
        return _make_date(year, int(m["m"]), int(m["d"]))
    if m := _DM_RE.match(s):
        return _make_date(today.year, int(m["m"]), int(m["d"]))
    if m := _DAY_MONTH_RE.match(s):
        month_info = _split_month(m["month"])
        if month_info is not None:
            month, thai, era = month_info
            year = _resolve_year(m["y"], era, thai) if m["y"] else today.year
            return _make_date(year, month, int(m["d"]))
    if m := _MONTH_DAY_RE.match(s):
        found = _MONTH_LOOKUP.get(_month_key(m["month"]))
        if found is not None:
            month, thai = found
            era = _era_kind(m["era"])
            year = _resolve_year(m["y"], era, thai) if m["y"] else today.year
            return _make_date(year, month, int(m["d"]))
    raise DateInputError("unrecognised")


def parse_date(text: str, today: dt.date) -> dt.date:
    """Parse a user-typed date (Thai or English, BE or CE years).

    Accepted: relative words (วันนี้/today, พรุ่งนี้/tomorrow, มะรืน/day after
    tomorrow, เมื่อวาน/yesterday); ISO ``2026-11-20`` / ``2569-11-20``;
    day-first ``d/m/yyyy``, ``d-m-yyyy``, ``d.m.yyyy``; ``d/m`` (today's year);
    day + Thai or English month name with optional era marker and year
    (``20 พ.ย. 2569``, ``20 พย 69``, ``20 Nov 2026``, ``November 20, 2026``);
    an optional leading weekday (``วันเสาร์ที่ 21 ...``, ``วันที่ 21 ...``,
    ``Saturday 21 ...``), which must match the date.

    Years: 4 digits >= 2400 are BE, 1900-2399 CE; 2 digits are BE 25xx after a
    Thai month name or ``พ.ศ.``, 20xx after ``ค.ศ.``, otherwise
    ``ambiguous_year``. The Gregorian year must be within 1950..2200.
    """
    s = _clean(text)
    if s in _RELATIVE:
        return _check_date(today + dt.timedelta(days=_RELATIVE[s]))
    weekday: int | None = None
    if m := _TH_WEEKDAY_RE.match(s):
        weekday = _TH_WEEKDAYS[m["wd"]] if m["wd"] else None
        s = s[m.end() :]
    elif m := _EN_WEEKDAY_RE.match(s):
        weekday = _EN_WEEKDAYS[m["wd"]]
        s = s[m.end() :]
    if not s:
        raise DateInputError("unrecognised")
    result = _parse_plain_date(s, today)
    if weekday is not None and result.weekday() != weekday:
        raise DateInputError("impossible")
    return result


def _check_date(d: dt.date) -> dt.date:
    _check_year(d.year)
    return d


# --------------------------------------------------------------------------- times

_TH_TIME_SUFFIX: Final = r"(?:นาฬิกา|น\.?)"
_AMPM: Final = r"(?:a\.?\s?m\.?|p\.?\s?m\.?)"
_TIME_24_RE: Final = re.compile(
    rf"^(?P<h>\d{{1,2}})[:.](?P<m>\d{{2}})(?::(?P<s>\d{{2}}))?(?:\s*{_TH_TIME_SUFFIX})?$"
)
_TIME_TH_HOUR_RE: Final = re.compile(rf"^(?P<h>\d{{1,2}})\s*{_TH_TIME_SUFFIX}$")
_TIME_12_RE: Final = re.compile(rf"^(?P<h>\d{{1,2}})(?:[:.](?P<m>\d{{2}}))?\s*(?P<ampm>{_AMPM})$")
_TIME_PREFIX_RE: Final = re.compile(r"^(?:เวลา|at|@)\s*")


def _make_time(hour: int, minute: int, second: int = 0) -> dt.time:
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        raise DateInputError("impossible") from None


def parse_time(text: str) -> dt.time:
    """Parse a time of day: ``14:30``, ``14.30``, ``14:30 น.``, ``14 น.``, ``2pm``, ``2:30 pm``.

    A bare number (``14``) is not accepted: it needs ``:``/``.`` minutes, ``น.``
    or am/pm. An optional leading ``เวลา``/``at`` is ignored.
    """
    s = _clean(text)
    s = _TIME_PREFIX_RE.sub("", s, count=1)
    if m := _TIME_24_RE.match(s):
        return _make_time(int(m["h"]), int(m["m"]), int(m["s"] or 0))
    if m := _TIME_TH_HOUR_RE.match(s):
        return _make_time(int(m["h"]), 0)
    if m := _TIME_12_RE.match(s):
        hour, minute = int(m["h"]), int(m["m"] or 0)
        if not 1 <= hour <= 12:
            raise DateInputError("impossible")
        hour %= 12
        if m["ampm"].startswith("p"):
            hour += 12
        return _make_time(hour, minute)
    raise DateInputError("unrecognised")


_TIME_BODY: Final = (
    rf"\d{{1,2}}[:.]\d{{2}}(?::\d{{2}})?(?:\s*(?:{_TH_TIME_SUFFIX}|{_AMPM}))?"
    rf"|\d{{1,2}}\s*(?:{_TH_TIME_SUFFIX}|{_AMPM})"
)
_DATETIME_RE: Final = re.compile(
    rf"^(?P<date>.*?)[\s,]*(?:(?:เวลา|at|@)\s*)?(?<!\d)(?P<time>{_TIME_BODY})$"
)
_ISO_T_RE: Final = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})t(?=\d)")


def parse_datetime(text: str, today: dt.date) -> dt.datetime:
    """Parse a date followed by a time into a naive local datetime.

    ``20/11/2569 14:30``, ``20 พ.ย. 2569 เวลา 14.30 น.``, ``2026-11-20 09:00``,
    ``พรุ่งนี้ 9 น.``. A date without a time raises ``missing_time``; date and
    time errors propagate with their own codes.
    """
    s = _clean(text)
    s = _ISO_T_RE.sub(r"\1 ", s)
    m = _DATETIME_RE.match(s)
    if m is not None and m["date"].strip(" ,"):
        day = parse_date(m["date"], today)
        return dt.datetime.combine(day, parse_time(m["time"]))
    if m is not None:
        # Only a time-looking string. "20.11" is also a date: ask for the time.
        try:
            parse_date(s, today)
        except DateInputError:
            raise DateInputError("unrecognised") from None
        raise DateInputError("missing_time")
    parse_date(s, today)  # raises with the specific code if not a date
    raise DateInputError("missing_time")


# --------------------------------------------------------------------------- periods

_PERIOD_KEYWORDS: Final = {
    "this_week": ("week", "this week", "สัปดาห์นี้", "อาทิตย์นี้"),
    "last_week": ("last week", "สัปดาห์ที่แล้ว", "สัปดาห์ก่อน", "อาทิตย์ที่แล้ว", "อาทิตย์ก่อน"),
    "this_month": ("month", "this month", "เดือนนี้"),
    "last_month": ("last month", "เดือนที่แล้ว", "เดือนก่อน"),
    "this_year": ("year", "this year", "ปีนี้"),
    "last_year": ("last year", "ปีที่แล้ว", "ปีก่อน"),
    "this_term": ("term", "this term", "ภาคเรียนนี้", "เทอมนี้"),
    "last_term": ("last term", "ภาคเรียนที่แล้ว", "เทอมที่แล้ว", "เทอมก่อน"),
    "all": ("all", "all time", "ทั้งหมด"),
}
_PERIOD_LOOKUP: Final = {word: kind for kind, words in _PERIOD_KEYWORDS.items() for word in words}
_ALL_PERIOD: Final = (dt.date(MIN_YEAR, 1, 1), dt.date(MAX_YEAR + 1, 1, 1))

_LAST_N_DAYS_RE: Final = re.compile(
    r"^(?:(?:last|past)\s*|ย้อนหลัง\s*)?(?P<n>\d+)\s*(?:d|days?|วัน)"
    r"(?:\s*(?:ล่าสุด|ที่ผ่านมา|ย้อนหลัง))?$"
)
_YEAR_ONLY_RE: Final = re.compile(rf"^(?:(?:ปี|year)\s*)?(?:{_ERA}\s*)?(?P<y>\d{{4}})$")
_MONTH_YEAR_RE: Final = re.compile(r"^(?P<month>[^\d]+?)\s*(?P<y>\d+)?$")
_NUMERIC_MONTH_YEAR_RE: Final = re.compile(
    r"^(?:(?P<m1>\d{1,2})[-/.](?P<y1>\d{4})|(?P<y2>\d{4})-(?P<m2>\d{1,2}))$"
)
_RANGE_SEPARATORS: Final = ("ถึง", " to ", "..", "–", "—", "~")
_RANGE_PREFIX_RE: Final = re.compile(r"^(?:from|ตั้งแต่)\s*")


def _month_period(year: int, month: int) -> tuple[dt.date, dt.date]:
    if not 1 <= month <= 12:
        raise DateInputError("impossible")
    start = dt.date(_check_year(year), month, 1)
    end = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return start, end


def _term_containing(today: dt.date) -> tuple[dt.date, dt.date]:
    """The default academic calendar's term on ``today``; breaks map to the term just ended."""
    span = DEFAULT_CALENDAR.term_on(today).span
    return span.start, span.end


def _keyword_period(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    if kind in ("this_week", "last_week"):
        start = today - dt.timedelta(days=today.weekday())
        if kind == "last_week":
            start -= dt.timedelta(days=7)
        return start, start + dt.timedelta(days=7)
    if kind == "this_month":
        return _month_period(today.year, today.month)
    if kind == "last_month":
        first = today.replace(day=1) - _ONE_DAY
        return _month_period(first.year, first.month)
    if kind in ("this_year", "last_year"):
        year = today.year - 1 if kind == "last_year" else today.year
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    if kind == "this_term":
        return _term_containing(today)
    if kind == "last_term":
        return _term_containing(_term_containing(today)[0] - _ONE_DAY)
    return _ALL_PERIOD


def _try_range(
    s: str, today: dt.date
) -> tuple[tuple[dt.date, dt.date] | None, DateInputError | None]:
    """Find a split of ``s`` into two dates; also return the first specific error seen."""
    s = _RANGE_PREFIX_RE.sub("", s, count=1)
    candidates: list[tuple[str, str]] = []
    for sep in _RANGE_SEPARATORS:
        left, found, right = s.partition(sep)
        if found:
            candidates.append((left, right))
    candidates += [(s[:i], s[i + 1 :]) for i, ch in enumerate(s) if ch == "-"]
    first_error: DateInputError | None = None
    for left, right in candidates:
        left, right = left.strip(), right.strip()
        if not left or not right:
            continue
        try:
            start, last = parse_date(left, today), parse_date(right, today)
        except DateInputError as exc:
            if exc.code != "unrecognised" and first_error is None:
                first_error = exc
            continue
        if last < start:
            raise DateInputError("reversed")
        return (start, last + _ONE_DAY), None
    return None, first_error


def parse_period(text: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """Parse a report period into ``(start, end)``, start inclusive, end exclusive.

    Accepted: ``week``/``this week``/``สัปดาห์นี้`` (Monday-start), ``last week``/
    ``สัปดาห์ที่แล้ว``, ``month``/``เดือนนี้``, ``last month``/``เดือนที่แล้ว``,
    ``year``/``ปีนี้``, ``last year``/``ปีที่แล้ว``, ``term``/``ภาคเรียนนี้``,
    ``last term``/``ภาคเรียนที่แล้ว``, ``all``/``ทั้งหมด`` (1950-01-01..2201-01-01),
    ``7d``/``30 วัน`` (the last N days including today), a year (``2569``),
    a month (``พ.ย. 2569``, ``Nov 2026``, ``11/2569``, ``พ.ย.`` = today's year),
    a date range ``1/11/2569-30/11/2569`` (end day included) and a single date.
    """
    s = _clean(text)
    if s in _PERIOD_LOOKUP:
        return _keyword_period(_PERIOD_LOOKUP[s], today)
    if m := _LAST_N_DAYS_RE.match(s):
        n = int(m["n"])
        if n < 1:
            raise DateInputError("impossible")
        if n > (MAX_YEAR - MIN_YEAR + 1) * 366:
            raise DateInputError("year_out_of_range")
        start = today - dt.timedelta(days=n - 1)
        return _check_date(start), today + _ONE_DAY
    if m := _YEAR_ONLY_RE.match(s):
        year = _resolve_year(m["y"], _era_kind(m["era"]), False)
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    if m := _NUMERIC_MONTH_YEAR_RE.match(s):
        year = _resolve_year(m["y1"] or m["y2"], None, False)
        return _month_period(year, int(m["m1"] or m["m2"]))
    if m := _MONTH_YEAR_RE.match(s):
        month_info = _split_month(m["month"])
        if month_info is not None:
            month, thai, era = month_info
            year = _resolve_year(m["y"], era, thai) if m["y"] else today.year
            return _month_period(year, month)
    found, error = _try_range(s, today)
    if found is not None:
        return found
    try:
        day = parse_date(s, today)
    except DateInputError as exc:
        if exc.code != "unrecognised":
            raise
    else:
        return day, day + _ONE_DAY
    raise error or DateInputError("unrecognised")


# --------------------------------------------------------------------------- formatting


def format_date(d: dt.date, lang: str) -> str:
    """``21 พ.ย. 2569`` (th, BE year) or ``21 Nov 2026`` (en)."""
    if _lang(lang) == "th":
        return f"{d.day} {_TH_MONTH_ABBR[d.month]} {d.year + BE_OFFSET}"
    return f"{d.day} {_EN_MONTH_ABBR[d.month]} {d.year}"


def format_date_range(first: dt.date, last: dt.date, lang: str) -> str:
    """Both ends included, what they share said once: ``16–22 พ.ย. 2569``, ``28 ต.ค. – 3 พ.ย. 2569``,
    ``1 ม.ค. – 31 ธ.ค. 2569``; a single day is that date."""
    if first == last:
        return format_date(first, lang)
    thai = _lang(lang) == "th"
    months = _TH_MONTH_ABBR if thai else _EN_MONTH_ABBR
    year = (last.year + BE_OFFSET) if thai else last.year
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {months[last.month]} {year}"
    if first.year == last.year:
        return f"{first.day} {months[first.month]} – {last.day} {months[last.month]} {year}"
    return f"{format_date(first, lang)} – {format_date(last, lang)}"


def format_date_long(d: dt.date, lang: str) -> str:
    """``วันเสาร์ที่ 21 พฤศจิกายน พ.ศ. 2569`` (th) or ``Saturday 21 November 2026`` (en)."""
    if _lang(lang) == "th":
        return (
            f"{_TH_DAY_WIDE[d.weekday()]}ที่ {d.day} {_TH_MONTH_WIDE[d.month]}"
            f" พ.ศ. {d.year + BE_OFFSET}"
        )
    return f"{_EN_DAY_WIDE[d.weekday()]} {d.day} {_EN_MONTH_WIDE[d.month]} {d.year}"


def format_time(t: dt.time, lang: str) -> str:
    """``14:30 น.`` (th) or ``14:30`` (en); seconds are dropped."""
    text = f"{t.hour:02d}:{t.minute:02d}"
    return f"{text} น." if _lang(lang) == "th" else text


def format_datetime(dt_local: dt.datetime, lang: str) -> str:
    """``21 พ.ย. 2569 14:30 น.`` / ``21 Nov 2026 14:30`` (wall-clock fields, no tz conversion)."""
    return f"{format_date(dt_local.date(), lang)} {format_time(dt_local.time(), lang)}"
