"""Tests for bot.numbers: amounts and quantities."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.numbers import (
    AmountInputError,
    format_amount,
    parse_amount,
    parse_quantity_with_unit,
)

D = Decimal


# --------------------------------------------------------------------------- parse_amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # plain numbers and separators
        ("500", D("500")),
        ("12500", D("12500")),
        ("12,500", D("12500")),
        ("1,000,000", D("1000000")),
        ("1,234.56", D("1234.56")),
        ("0.5", D("0.5")),
        (".5", D("0.5")),
        ("5.", D("5")),
        ("0.01", D("0.01")),
        ("12.50", D("12.5")),
        ("12.500", D("12.5")),  # trailing zeros are not extra precision
        ("007", D("7")),
        ("+500", D("500")),
        ("  500  ", D("500")),
        ("1\u200b000", D("1000")),
        # Thai digits
        ("๕๐๐", D("500")),
        ("๑๒,๕๐๐", D("12500")),
        ("๑๒,๕๐๐.๕๐ บาท", D("12500.5")),
        ("1๒,5๐0", D("12500")),
        # currency marks
        ("฿500", D("500")),
        ("฿ 500", D("500")),
        ("500฿", D("500")),
        ("500 บาท", D("500")),
        ("500บาท", D("500")),
        ("12,500 บาท", D("12500")),
        ("500 บ.", D("500")),
        ("THB 500", D("500")),
        ("thb500", D("500")),
        ("500 THB", D("500")),
        ("500 thb", D("500")),
        ("500 baht", D("500")),
        ("500 Baht", D("500")),
        ("500 BAHT", D("500")),
        ("฿1,500.50", D("1500.5")),
        # shorthand multipliers
        ("5k", D("5000")),
        ("5K", D("5000")),
        ("2.5k", D("2500")),
        ("1.5m", D("1500000")),
        ("1.5M", D("1500000")),
        ("1,500k", D("1500000")),
        ("฿5k", D("5000")),
        ("5k บาท", D("5000")),
        ("5kบาท", D("5000")),
        ("1.2345k", D("1234.5")),  # precision is checked on the result
        ("1.23456k", D("1234.56")),
        ("0.001k", D("1")),
        ("5 พัน", D("5000")),
        ("5พัน", D("5000")),
        ("2 หมื่น", D("20000")),
        ("2.5 หมื่น", D("25000")),
        ("3 แสน", D("300000")),
        ("1 ล้าน", D("1000000")),
        ("1.5 ล้าน", D("1500000")),
        ("1.5 ล้านบาท", D("1500000")),
        ("๑.๕ ล้าน บาท", D("1500000")),
        ("5 พัน บาท", D("5000")),
        # limits (max_value is inclusive)
        ("1,000,000,000,000", D("1e12")),
        ("1000000 ล้าน", D("1e12")),
        ("999,999,999,999.99", D("999999999999.99")),
    ],
)
def test_parse_amount_accepts(text: str, expected: Decimal) -> None:
    result = parse_amount(text)
    assert result == expected
    assert isinstance(result, Decimal)


@pytest.mark.parametrize(
    ("text", "expected_str"),
    [
        ("5k", "5000"),
        ("1.5 ล้าน", "1500000"),
        ("12.50", "12.5"),
        ("12,500.00", "12500"),
        ("0.10", "0.1"),
    ],
)
def test_parse_amount_canonical_form(text: str, expected_str: str) -> None:
    """No exponent notation and no trailing zeros, so str() is safe to show/store."""
    assert str(parse_amount(text)) == expected_str


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\u200b", "empty"),
        # not a number
        ("abc", "not_a_number"),
        ("five", "not_a_number"),
        ("ห้าร้อย", "not_a_number"),
        ("บาท", "not_a_number"),
        ("฿", "not_a_number"),
        ("nan", "not_a_number"),
        ("NaN", "not_a_number"),
        ("inf", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("-inf", "not_a_number"),
        ("1e5", "not_a_number"),
        ("2e12", "not_a_number"),
        ("1,2,3", "not_a_number"),
        ("1,5", "not_a_number"),
        ("12,50", "not_a_number"),
        ("1,000,00", "not_a_number"),
        ("1000,000", "not_a_number"),
        ("12 500", "not_a_number"),  # only commas group thousands
        ("1.2.3", "not_a_number"),
        ("1,000.5.0", "not_a_number"),
        ("5 k", "not_a_number"),  # English shorthand must be attached
        ("5kk", "not_a_number"),
        ("5 ล้าน ล้าน", "not_a_number"),
        ("2 หมื่น 5 พัน", "not_a_number"),
        ("--5", "not_a_number"),
        ("-฿-5", "not_a_number"),
        ("5 people", "not_a_number"),
        ("500 USD", "not_a_number"),
        ("$500", "not_a_number"),
        (".", "not_a_number"),
        # not positive
        ("0", "not_positive"),
        ("0.00", "not_positive"),
        ("0k", "not_positive"),
        ("-5", "not_positive"),
        ("-0", "not_positive"),
        ("\u22125", "not_positive"),  # Unicode minus sign
        ("-฿500", "not_positive"),
        ("฿-500", "not_positive"),
        ("-1,000 บาท", "not_positive"),
        ("-0.001", "not_positive"),
        ("-5k", "not_positive"),
        # too large (default max 1e12)
        ("1,000,000,000,001", "too_large"),
        ("1000000000000.01", "too_large"),
        ("1000001 ล้าน", "too_large"),
        ("999999999999999999999999999999999999", "too_large"),
        # too precise (default 2 decimals)
        ("1.234", "too_precise"),
        ("0.001", "too_precise"),
        ("12,500.505", "too_precise"),
        ("1.234567k", "too_precise"),  # = 1234.567
        ("1.0000000000000000000000000000001k", "too_precise"),  # beyond 28 digits
    ],
)
def test_parse_amount_errors(text: str, code: str) -> None:
    with pytest.raises(AmountInputError) as exc_info:
        parse_amount(text)
    assert exc_info.value.code == code


@pytest.mark.parametrize(
    ("text", "max_value", "max_decimals", "expected"),
    [
        ("100", D("100"), 2, D("100")),  # max_value is inclusive
        ("5k", D("5000"), 2, D("5000")),
        ("1.5", D("1e12"), 1, D("1.5")),
        ("1.50", D("1e12"), 1, D("1.5")),
        ("12", D("1e12"), 0, D("12")),
        ("1.5k", D("1e12"), 0, D("1500")),
        ("1.2345", D("1e12"), 4, D("1.2345")),
        ("5,000,000,000,000", D("1e13"), 2, D("5e12")),
    ],
)
def test_parse_amount_options_accept(
    text: str, max_value: Decimal, max_decimals: int, expected: Decimal
) -> None:
    assert parse_amount(text, max_value=max_value, max_decimals=max_decimals) == expected


@pytest.mark.parametrize(
    ("text", "max_value", "max_decimals", "code"),
    [
        ("101", D("100"), 2, "too_large"),
        ("100.01", D("100"), 2, "too_large"),
        ("1k", D("999"), 2, "too_large"),
        ("1.5", D("1e12"), 0, "too_precise"),
        ("1.25", D("1e12"), 1, "too_precise"),
        ("1.23456", D("1e12"), 4, "too_precise"),
        ("0", D("100"), 2, "not_positive"),
        ("-500", D("100"), 2, "not_positive"),  # sign is checked before size
        ("-0.001", D("1e12"), 2, "not_positive"),
        ("1000.001", D("100"), 2, "too_large"),  # size is checked before precision
    ],
)
def test_parse_amount_options_reject(
    text: str, max_value: Decimal, max_decimals: int, code: str
) -> None:
    with pytest.raises(AmountInputError) as exc_info:
        parse_amount(text, max_value=max_value, max_decimals=max_decimals)
    assert exc_info.value.code == code


def test_amount_input_error_is_value_error_with_code() -> None:
    err = AmountInputError("too_large")
    assert isinstance(err, ValueError)
    assert err.code == "too_large"
    assert str(err) == "too_large"


# ---------------------------------------------------------------- parse_quantity_with_unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("40", (D("40"), None)),
        ("๔๐", (D("40"), None)),
        ("1.5", (D("1.5"), None)),
        ("35 people", (D("35"), "people")),
        ("35 People", (D("35"), "People")),  # other units are kept as typed
        ("35people", (D("35"), "people")),
        ("20 เครื่อง", (D("20"), "เครื่อง")),
        ("20เครื่อง", (D("20"), "เครื่อง")),
        ("๒๐ เครื่อง", (D("20"), "เครื่อง")),
        ("12 คน", (D("12"), "คน")),
        ("5 พันธมิตร", (D("5"), "พันธมิตร")),  # "พัน" here is not a multiplier
        ("3 พันธุ์", (D("3"), "พันธุ์")),
        ("5 km", (D("5"), "km")),
        ("5km", (D("5"), "km")),
        ("5kg", (D("5"), "kg")),
        ("30 min", (D("30"), "min")),
        ("20%", (D("20"), "%")),
        ("2 student  groups", (D("2"), "student groups")),
        # currency -> THB
        ("12,500 บาท", (D("12500"), "THB")),
        ("12,500บาท", (D("12500"), "THB")),
        ("500 baht", (D("500"), "THB")),
        ("500 Baht", (D("500"), "THB")),
        ("500 THB", (D("500"), "THB")),
        ("500 thb", (D("500"), "THB")),
        ("500 ฿", (D("500"), "THB")),
        ("500 บ.", (D("500"), "THB")),
        ("฿500", (D("500"), "THB")),
        ("฿ 1,500.50", (D("1500.5"), "THB")),
        ("THB 500", (D("500"), "THB")),
        ("฿500 บาท", (D("500"), "THB")),
        ("5k บาท", (D("5000"), "THB")),
        ("1.5 ล้านบาท", (D("1500000"), "THB")),
        ("2 หมื่น บาท", (D("20000"), "THB")),
        # multipliers without a unit
        ("5k", (D("5000"), None)),
        ("3 แสน", (D("300000"), None)),
        # hours
        ("3h", (D("3"), "hours")),
        ("3 h", (D("3"), "hours")),
        ("3H", (D("3"), "hours")),
        ("3hr", (D("3"), "hours")),
        ("3 hrs", (D("3"), "hours")),
        ("1 hour", (D("1"), "hours")),
        ("3 hours", (D("3"), "hours")),
        ("3 Hours", (D("3"), "hours")),
        ("1.5 hours", (D("1.5"), "hours")),
        ("3 ชม.", (D("3"), "hours")),
        ("3ชม.", (D("3"), "hours")),
        ("3 ชม", (D("3"), "hours")),
        ("3 ชั่วโมง", (D("3"), "hours")),
        ("๓ ชั่วโมง", (D("3"), "hours")),
        ("3 ช.ม.", (D("3"), "hours")),
    ],
)
def test_parse_quantity_accepts(text: str, expected: tuple[Decimal, str | None]) -> None:
    assert parse_quantity_with_unit(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("people", "not_a_number"),
        ("x people", "not_a_number"),
        ("nan", "not_a_number"),
        ("inf hours", "not_a_number"),
        ("12 500", "not_a_number"),
        ("12 500 บาท", "not_a_number"),
        ("1,2,3", "not_a_number"),
        ("1,2,3 people", "not_a_number"),
        ("5-6 people", "not_a_number"),
        ("1.2.3 kg", "not_a_number"),
        ("3 x 4 m", "not_a_number"),
        ("฿500 people", "not_a_number"),  # two different units
        ("0", "not_positive"),
        ("0 people", "not_positive"),
        ("-5 people", "not_positive"),
        ("-500 บาท", "not_positive"),
        ("1,000,000,000,001 บาท", "too_large"),
        ("2000000 ล้าน", "too_large"),
        ("1.234 hours", "too_precise"),
        ("0.001 บาท", "too_precise"),
    ],
)
def test_parse_quantity_errors(text: str, code: str) -> None:
    with pytest.raises(AmountInputError) as exc_info:
        parse_quantity_with_unit(text)
    assert exc_info.value.code == code


# --------------------------------------------------------------------------- format_amount


@pytest.mark.parametrize(
    ("value", "unit", "th", "en"),
    [
        (D("12500"), None, "12,500", "12,500"),
        (D("12500.00"), None, "12,500", "12,500"),
        (D("12500.5"), None, "12,500.50", "12,500.50"),
        (D("12500.55"), None, "12,500.55", "12,500.55"),
        (D("0.5"), None, "0.50", "0.50"),
        (D("7"), None, "7", "7"),
        (D("999"), None, "999", "999"),
        (D("1000"), None, "1,000", "1,000"),
        (D("1234567.891"), None, "1,234,567.89", "1,234,567.89"),
        (D("12.994"), None, "12.99", "12.99"),
        (D("12.995"), None, "13", "13"),  # half-up, then whole -> no .00
        (D("0.005"), None, "0.01", "0.01"),
        (D("1E+3"), None, "1,000", "1,000"),
        (D("1e12"), None, "1,000,000,000,000", "1,000,000,000,000"),
        (D("-1500"), None, "-1,500", "-1,500"),
        (D("12500"), "THB", "12,500 บาท", "12,500 THB"),
        (D("12500.5"), "THB", "12,500.50 บาท", "12,500.50 THB"),
        (D("1500000"), "THB", "1,500,000 บาท", "1,500,000 THB"),
        (D("3"), "hours", "3 ชั่วโมง", "3 hours"),
        (D("1"), "hours", "1 ชั่วโมง", "1 hour"),
        (D("1.5"), "hours", "1.50 ชั่วโมง", "1.50 hours"),
        (D("35"), "people", "35 people", "35 people"),
        (D("20"), "เครื่อง", "20 เครื่อง", "20 เครื่อง"),
        (D("2500"), "km", "2,500 km", "2,500 km"),
    ],
)
def test_format_amount(value: Decimal, unit: str | None, th: str, en: str) -> None:
    assert format_amount(value, "th", unit) == th
    assert format_amount(value, "en", unit) == en


def test_format_amount_unit_defaults_to_none() -> None:
    assert format_amount(D("12500"), "th") == "12,500"


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), D("-Infinity")])
def test_format_amount_rejects_non_finite(value: Decimal) -> None:
    with pytest.raises(ValueError):
        format_amount(value, "en")


@pytest.mark.parametrize("lang", ["fr", "", "ja-JP"])
def test_format_amount_rejects_unknown_language(lang: str) -> None:
    with pytest.raises(ValueError):
        format_amount(D("1"), lang)


@pytest.mark.parametrize("lang", ["th-TH", "en_US", "EN"])
def test_format_amount_accepts_language_tags(lang: str) -> None:
    assert format_amount(D("1000"), lang) == "1,000"


@pytest.mark.parametrize("text", ["12,500 บาท", "1.5 ล้านบาท", "3 ชม.", "35 people", "40", "฿0.50"])
@pytest.mark.parametrize("lang", ["th", "en"])
def test_quantity_format_then_parse_round_trips(text: str, lang: str) -> None:
    value, unit = parse_quantity_with_unit(text)
    assert parse_quantity_with_unit(format_amount(value, lang, unit)) == (value, unit)
