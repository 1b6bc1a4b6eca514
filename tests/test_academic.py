"""Academic years and terms: BE years starting 16 May, 2569/1 notation, per-network calendars, elapsed share."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.academic import (
    DEFAULT_CALENDAR,
    AcademicCalendar,
    AcademicInputError,
    Span,
    TermSpec,
    calendar_text,
    parse_calendar,
    parse_term,
    parse_year,
)

D = dt.date


@pytest.mark.parametrize(("day", "year"), [
    (D(2026, 5, 16), 2569), (D(2026, 5, 15), 2568), (D(2026, 12, 31), 2569), (D(2027, 1, 1), 2569),
    (D(2027, 5, 15), 2569), (D(2027, 5, 16), 2570),
])
def test_the_academic_year_starts_on_16_may_and_is_named_in_the_buddhist_era(day: dt.date, year: int) -> None:
    assert DEFAULT_CALENDAR.year_of(day) == year
    assert day in DEFAULT_CALENDAR.year(year)


def test_a_year_and_its_default_terms() -> None:
    assert DEFAULT_CALENDAR.year(2569) == Span(D(2026, 5, 16), D(2027, 5, 16))
    one, two = DEFAULT_CALENDAR.terms_of(2569)
    assert (one.label, one.span) == ("2569/1", Span(D(2026, 5, 16), D(2026, 10, 16)))
    assert (two.label, two.span) == ("2569/2", Span(D(2026, 11, 1), D(2027, 4, 1)))
    assert DEFAULT_CALENDAR.previous(one).label == "2568/2"
    assert DEFAULT_CALENDAR.previous(two) == one


@pytest.mark.parametrize(("day", "label"), [
    (D(2026, 5, 16), "2569/1"), (D(2026, 10, 15), "2569/1"),
    (D(2026, 10, 20), "2569/1"),  # the October break belongs to the term just ended
    (D(2026, 11, 1), "2569/2"), (D(2027, 3, 31), "2569/2"),
    (D(2027, 4, 20), "2569/2"),  # so does the long break before the next year
    (D(2027, 5, 16), "2570/1"),
])
def test_the_term_on_a_date(day: dt.date, label: str) -> None:
    assert DEFAULT_CALENDAR.term_on(day).label == label


@pytest.mark.parametrize("text", ["2569/1", "1/2569", "ภาคเรียนที่ 1/2569", "เทอม 1 ปีการศึกษา 2569", "๒๕๖๙/๑",
                                  " term 1/2569 "])
def test_terms_are_read_in_the_ways_people_write_them(text: str) -> None:
    assert parse_term(text).label == "2569/1"


@pytest.mark.parametrize(("text", "code"), [
    ("2569/3", "no_such_term"), ("2026/1", "unrecognised"), ("2569", "unrecognised"), ("term one", "unrecognised"),
])
def test_bad_terms_say_why(text: str, code: str) -> None:
    with pytest.raises(AcademicInputError) as caught:
        parse_term(text)
    assert caught.value.code == code


def test_years_are_buddhist_era() -> None:
    assert parse_year("ปีการศึกษา 2569") == parse_year("๒๕๖๙") == parse_year("2569") == 2569
    with pytest.raises(AcademicInputError):
        parse_year("2026")


def test_a_network_moves_the_term_boundaries() -> None:
    settings = {"academic_terms": [["05-16", "10-31"], ["11-01", "03-31"]]}
    calendar = AcademicCalendar.from_settings(settings)
    assert calendar.to_settings() == settings
    assert calendar.term(2569, 1).span == Span(D(2026, 5, 16), D(2026, 11, 1))
    assert calendar.term_on(D(2026, 10, 20)).label == "2569/1"
    assert AcademicCalendar.from_settings({}) is DEFAULT_CALENDAR
    # A calendar that starts on 1 June with three terms.
    three = AcademicCalendar((TermSpec((6, 1), (8, 31)), TermSpec((9, 1), (12, 20)), TermSpec((1, 5), (4, 30))))
    assert three.year(2569) == Span(D(2026, 6, 1), D(2027, 6, 1))
    assert three.year_of(D(2026, 5, 31)) == 2568
    assert three.term_on(D(2027, 2, 1)).label == "2569/3"
    assert three.term(2569, 3).span == Span(D(2027, 1, 5), D(2027, 5, 1))


@pytest.mark.parametrize("terms", [
    [["05-16", "10-15"], ["10-10", "03-31"]],  # overlapping
    [["05-16", "10-15"], ["10-15", "03-31"]],  # one shared day
    [["05-16", "10-15"], ["11-01", "06-30"]],  # term 2 runs past the start of the next year
    [["05-16", "02-29"]],  # not a day of every year
    [["13-01", "03-31"]],
    [["05-16"]],
    "05-16",
])
def test_impossible_calendars_are_refused(terms: object) -> None:
    with pytest.raises(AcademicInputError) as caught:
        AcademicCalendar.from_settings({"academic_terms": terms})
    assert caught.value.code == "bad_calendar"


def test_the_share_of_a_span_elapsed() -> None:
    year = DEFAULT_CALENDAR.year(2569)  # 365 days
    assert year.elapsed_share(D(2026, 5, 1)) == 0.0
    assert year.elapsed_share(D(2026, 5, 16)) == pytest.approx(1 / 365)
    assert year.elapsed_share(D(2026, 11, 14)) == pytest.approx(183 / 365)
    assert year.elapsed_share(D(2027, 5, 15)) == 1.0
    assert year.elapsed_share(D(2030, 1, 1)) == 1.0
    term = DEFAULT_CALENDAR.term(2569, 2)  # 151 days
    assert term.span.elapsed_share(D(2026, 11, 30)) == pytest.approx(30 / 151)


def test_terms_written_day_slash_month_make_a_calendar_and_read_back_the_same() -> None:
    assert parse_calendar("16/5-15/10 1/11-31/3") == DEFAULT_CALENDAR
    own = parse_calendar("๑/๖ - ๓๐/๙  1/11–15/3")  # Thai digits, spaces and an en dash
    assert own.terms == (TermSpec((6, 1), (9, 30)), TermSpec((11, 1), (3, 15)))
    assert calendar_text(own) == "1/6–30/9, 1/11–15/3" and parse_calendar(calendar_text(own).replace(",", "")) == own
    assert own.year(2569) == Span(D(2026, 6, 1), D(2027, 6, 1))
    assert AcademicCalendar.from_settings(own.to_settings()) == own


@pytest.mark.parametrize("text", ["", "16/5", "16/5-15/10 x", "30/2-15/10", "16/5-15/10 1/10-31/3",
                                  "1/1-1/2 1/3-1/4 1/5-1/6 1/7-1/8 1/9-1/10"])
def test_terms_that_make_no_calendar_are_refused(text: str) -> None:
    with pytest.raises(AcademicInputError) as caught:
        parse_calendar(text)
    assert caught.value.code == "bad_calendar"
