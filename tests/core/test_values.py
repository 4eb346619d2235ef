"""The one family of number readings: what is a number, and the number in a value from JSON, text or storage."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from fluxdesk.core.values import MAX_NUMBER_CHARS, as_bool, as_decimal, as_float, as_int, is_int, is_number


def test_a_bool_is_never_a_number_and_a_number_is_finite() -> None:
    assert is_int(3) and not is_int(True) and not is_int(3.0)
    assert is_number(3) and is_number(2.5) and not is_number(False)
    assert not is_number(math.nan) and not is_number(math.inf) and not is_number("3")


@pytest.mark.parametrize(("value", "expected"), [
    (12, 12), (-3, -3), (5.0, 5), (5.5, None), (True, None), (False, None), (math.nan, None), (math.inf, None),
    (Decimal(5), None), ("12", None), (None, None),
])
def test_as_int_reads_ints_and_whole_floats(value: object, expected: int | None) -> None:
    assert as_int(value) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("12", 12), (" 12 ", 12), ("-12", -12), ("0", 0), ("9" * MAX_NUMBER_CHARS, int("9" * MAX_NUMBER_CHARS)),
    ("9" * (MAX_NUMBER_CHARS + 1), None), ("+12", None), ("1e3", None), ("12.0", None), ("--1", None), ("-", None),
    ("", None), ("١٢", None), ("²", None), ("twelve", None),
])
def test_as_int_reads_decimal_digits_only_when_told_text_is_allowed(text: str, expected: int | None) -> None:
    assert as_int(text, text=True) == expected
    assert as_int(text) is None


def test_as_int_keeps_within_bounds() -> None:
    assert as_int(0, minimum=0, maximum=10) == 0 and as_int(10, minimum=0, maximum=10) == 10
    assert as_int(-1, minimum=0) is None and as_int(11, maximum=10) is None
    assert as_int(2**63, maximum=2**63 - 1) is None and as_int(-(2**63), minimum=-(2**63)) == -(2**63)
    assert as_int("7", text=True, minimum=0, maximum=5) is None


@pytest.mark.parametrize(("value", "expected"), [
    (2, 2.0), (2.5, 2.5), (Decimal("4.5"), 4.5), (True, None), (math.nan, None), (-math.inf, None),
    (Decimal("NaN"), None), (Decimal("1e400"), None), (10**400, None), ("2.5", None), (None, None), ([], None),
])
def test_as_float_reads_finite_numbers(value: object, expected: float | None) -> None:
    result = as_float(value)
    assert result == expected and (result is None or type(result) is float)


@pytest.mark.parametrize(("text", "expected"), [
    ("2.5", 2.5), (" 3 ", 3.0), ("1e3", 1000.0), ("-0.5", -0.5), ("nan", None), ("inf", None), ("abc", None),
    ("", None), ("1" + "0" * MAX_NUMBER_CHARS, None), ("1" + "0" * (MAX_NUMBER_CHARS - 1), 1e23),
])
def test_as_float_reads_text_only_when_told_text_is_allowed(text: str, expected: float | None) -> None:
    assert as_float(text, text=True) == expected
    assert as_float(text) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("4.5", Decimal("4.5")), (4.5, Decimal("4.5")), (3, Decimal(3)), (Decimal("0.1"), Decimal("0.1")),
    (0.1, Decimal("0.1")), (" 2.50 ", Decimal("2.50")), ("1e2", Decimal("1e2")), (None, None), (True, None),
    ("-1", None), (-0.5, None), ("NaN", None), ("inf", None), (math.inf, None), (Decimal("Infinity"), None),
    ([], None), ("abc", None), ("", None),
])
def test_as_decimal_reads_an_amount_of_at_least_zero_from_its_text(value: object, expected: Decimal | None) -> None:
    result = as_decimal(value)
    assert result == expected and (result is None or str(result) == str(expected))


def test_as_decimal_reads_a_negative_amount_when_told_to() -> None:
    assert as_decimal("-1", negative=True) == Decimal(-1)
    assert as_decimal(-0.5, negative=True) == Decimal("-0.5")
    assert as_decimal("-inf", negative=True) is None and as_decimal(False, negative=True) is None


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (False, False), ("true", True), (" FALSE ", False), ("True", True), (1, None), (0, None),
    ("yes", None), ("", None), (None, None),
])
def test_as_bool_reads_flags_not_numbers(value: object, expected: bool | None) -> None:
    assert as_bool(value) is expected
