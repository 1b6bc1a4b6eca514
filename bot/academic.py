"""Academic years (ปีการศึกษา) and terms (ภาคเรียน), pure.

A Thai academic year is named by its Buddhist-Era year (ปีการศึกษา 2569 starts 16 May 2026)
and has terms, written ``2569/1``, ``2569/2``. A network may move the boundaries: the
calendar is a list of terms, each a first and last day given as (month, day); the year
starts on the first term's first day and ends the day before that date a year later. The
default is the one ``parse_period("term")`` has always used: term 1 = 16 May–15 Oct,
term 2 = 1 Nov–31 Mar. Days between terms belong to the year but to no term; "the term on
a date" is then the term just ended (a report made in the break is about that term).

Spans are half-open ``[start, end)`` date ranges, like every period in :mod:`bot.dates`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = [
    "BE_OFFSET",
    "DEFAULT_CALENDAR",
    "AcademicCalendar",
    "AcademicInputError",
    "Span",
    "Term",
    "TermSpec",
    "calendar_text",
    "parse_calendar",
    "parse_term",
    "parse_year",
]

BE_OFFSET: Final = 543  # พ.ศ. = ค.ศ. + 543

MonthDay = tuple[int, int]
AcademicErrorCode = Literal["unrecognised", "no_such_term", "bad_calendar"]


class AcademicInputError(ValueError):
    """A term, year or calendar setting could not be understood; ``code`` says why."""

    def __init__(self, code: AcademicErrorCode) -> None:
        super().__init__(code)
        self.code: AcademicErrorCode = code


@dataclass(frozen=True)
class Span:
    """The dates ``start <= d < end``."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day < self.end

    def elapsed_share(self, on: dt.date) -> float:
        """How much of the span is over by the end of ``on``: 0.0 before it starts, 1.0 from its last day."""
        if on < self.start:
            return 0.0
        return min(1.0, ((on - self.start).days + 1) / self.days)


@dataclass(frozen=True)
class TermSpec:
    """One term of the calendar: first and last day as (month, day)."""

    first: MonthDay
    last: MonthDay


@dataclass(frozen=True)
class Term:
    year: int  # Buddhist Era
    number: int  # 1, 2, …
    span: Span

    @property
    def label(self) -> str:
        """``2569/1``."""
        return f"{self.year}/{self.number}"


def _check_month_day(md: Sequence[int]) -> MonthDay:
    month, day = int(md[0]), int(md[1])
    if (month, day) == (2, 29):  # would not exist in most years
        raise AcademicInputError("bad_calendar")
    try:
        dt.date(2001, month, day)
    except ValueError:
        raise AcademicInputError("bad_calendar") from None
    return month, day


_MD_RE: Final = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def _md_from_text(text: str) -> MonthDay:
    m = _MD_RE.match(str(text).strip())
    if m is None:
        raise AcademicInputError("bad_calendar")
    return _check_month_day((int(m[1]), int(m[2])))


@dataclass(frozen=True)
class AcademicCalendar:
    terms: tuple[TermSpec, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.terms) <= 4:
            raise AcademicInputError("bad_calendar")
        for spec in self.terms:
            _check_month_day(spec.first)
            _check_month_day(spec.last)
        # Days in year order: those before the year's first day belong to the next calendar year.
        order = [self._key(md) for spec in self.terms for md in (spec.first, spec.last)]
        if any(b < a for a, b in zip(order, order[1:])) or any(
                order[i] == order[i + 1] for i in range(1, len(order) - 1, 2)):
            raise AcademicInputError("bad_calendar")

    @property
    def start(self) -> MonthDay:
        return self.terms[0].first

    def _key(self, md: MonthDay) -> tuple[bool, MonthDay]:
        return (md < self.terms[0].first, md)

    def _on(self, be_year: int, md: MonthDay) -> dt.date:
        """The date of ``md`` within academic year ``be_year``."""
        ce = be_year - BE_OFFSET
        return dt.date(ce + 1 if md < self.start else ce, *md)

    # ------------------------------------------------------------ years

    def year_of(self, day: dt.date) -> int:
        """The academic year (BE) ``day`` falls in."""
        ce = day.year if (day.month, day.day) >= self.start else day.year - 1
        return ce + BE_OFFSET

    def year(self, be_year: int) -> Span:
        start = self._on(be_year, self.start)
        return Span(start, start.replace(year=start.year + 1))

    # ------------------------------------------------------------ terms

    def term(self, be_year: int, number: int) -> Term:
        if not 1 <= number <= len(self.terms):
            raise AcademicInputError("no_such_term")
        spec = self.terms[number - 1]
        return Term(be_year, number, Span(self._on(be_year, spec.first),
                                          self._on(be_year, spec.last) + dt.timedelta(days=1)))

    def terms_of(self, be_year: int) -> list[Term]:
        return [self.term(be_year, n) for n in range(1, len(self.terms) + 1)]

    def term_on(self, day: dt.date) -> Term:
        """The term ``day`` falls in, or in a break the term just ended."""
        year = self.year_of(day)
        started = [t for t in self.terms_of(year) if t.span.start <= day]
        return started[-1]  # the year starts with term 1, so one has always started

    def previous(self, term: Term) -> Term:
        if term.number > 1:
            return self.term(term.year, term.number - 1)
        return self.term(term.year - 1, len(self.terms))

    # ------------------------------------------------------------ network settings

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> AcademicCalendar:
        """The calendar in a network's settings (``{"terms": [["05-16", "10-15"], …]}``), else the default."""
        raw = (settings or {}).get("academic_terms")
        if not raw:
            return DEFAULT_CALENDAR
        try:
            return cls(tuple(TermSpec(_md_from_text(first), _md_from_text(last)) for first, last in raw))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, AcademicInputError):
                raise
            raise AcademicInputError("bad_calendar") from None

    def to_settings(self) -> dict[str, Any]:
        return {"academic_terms": [[f"{s.first[0]:02d}-{s.first[1]:02d}", f"{s.last[0]:02d}-{s.last[1]:02d}"]
                                   for s in self.terms]}


DEFAULT_CALENDAR: Final = AcademicCalendar((TermSpec((5, 16), (10, 15)), TermSpec((11, 1), (3, 31))))

# ------------------------------------------------------------ parsing

_THAI_DIGITS: Final = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_YEAR_WORDS: Final = re.compile(r"^(?:ปีการศึกษา|ปี|academic year|year|พ\.?\s?ศ\.?)\s*")
_TERM_WORDS: Final = re.compile(r"^(?:ภาคเรียนที่|ภาคเรียน|เทอม|term)\s*")
_YEAR_TERM_RE: Final = re.compile(r"^(?P<y>\d{4})\s*/\s*(?P<t>\d)$")
_TERM_YEAR_RE: Final = re.compile(r"^(?P<t>\d)\s*/\s*(?P<y>\d{4})$")
_TERM_OF_YEAR_RE: Final = re.compile(r"^(?P<t>\d)\s+(?:ปีการศึกษา|of|ปี)?\s*(?P<y>\d{4})$")


def _clean(text: str) -> str:
    return " ".join(text.translate(_THAI_DIGITS).lower().split())


def _be(year: int) -> int:
    if not 2400 <= year <= 2800:  # a BE year; a CE year typed here would be off by 543
        raise AcademicInputError("unrecognised")
    return year


def parse_year(text: str) -> int:
    """``2569``, ``ปีการศึกษา 2569``, ``๒๕๖๙`` -> 2569 (Buddhist Era only)."""
    s = _YEAR_WORDS.sub("", _clean(text), count=1)
    if not re.fullmatch(r"\d{4}", s):
        raise AcademicInputError("unrecognised")
    return _be(int(s))


def parse_term(text: str, calendar: AcademicCalendar = DEFAULT_CALENDAR) -> Term:
    """``2569/1`` (the bot's notation), ``1/2569`` (as schools write it), ``ภาคเรียนที่ 1/2569``,
    ``เทอม 2 ปีการศึกษา 2569``, Thai digits too."""
    s = _TERM_WORDS.sub("", _clean(text), count=1)
    m = _YEAR_TERM_RE.match(s) or _TERM_YEAR_RE.match(s) or _TERM_OF_YEAR_RE.match(s)
    if m is None:
        raise AcademicInputError("unrecognised")
    return calendar.term(_be(int(m["y"])), int(m["t"]))


_TERM_RANGE_RE: Final = re.compile(r"^(\d{1,2})/(\d{1,2})\s*[-–]\s*(\d{1,2})/(\d{1,2})$")


def parse_calendar(text: str) -> AcademicCalendar:
    """A network's terms as a coordinator writes them, day/month: ``16/5-15/10 1/11-31/3`` (Thai digits too);
    the year starts on the first term's first day. Raises AcademicInputError("bad_calendar")."""
    specs = []
    for word in _clean(text).replace(" - ", "-").replace(" – ", "-").split():
        m = _TERM_RANGE_RE.match(word)
        if m is None:
            raise AcademicInputError("bad_calendar")
        specs.append(TermSpec(_check_month_day((int(m[2]), int(m[1]))), _check_month_day((int(m[4]), int(m[3])))))
    return AcademicCalendar(tuple(specs))


def calendar_text(calendar: AcademicCalendar) -> str:
    """``16/5–15/10, 1/11–31/3``: the terms, day/month, as :func:`parse_calendar` reads them."""
    return ", ".join(f"{s.first[1]}/{s.first[0]}–{s.last[1]}/{s.last[0]}" for s in calendar.terms)
