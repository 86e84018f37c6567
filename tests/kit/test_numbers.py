"""Figures read as they are: never as their target, a neighbour, 0 % or 100 %."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steerco.kit.numbers import count, money, number, percent


def test_a_value_next_to_its_target_never_reads_as_the_target() -> None:
    assert number(9.96, 10) == "9.96"
    assert number(9.996, 10) == "9.996"
    assert number(10.0, 10) == "10"
    assert number(1_000_050.0, 1_000_000.0) != number(1_000_000.0)


def test_neighbours_that_differ_read_differently() -> None:
    texts = [number(x) for x in (3.94, 3.89, 3.91)]
    assert texts == ["3.94", "3.89", "3.91"]


def test_progress_is_never_rounded_up_to_100_or_down_to_0_percent() -> None:
    assert percent(0.996) == "99.6 %"
    assert percent(0.9995) == "99.95 %"
    assert percent(0.99999) == "> 99.99 %"
    assert percent(0.004) == "0.4 %"
    assert percent(0.00012) == "0.012 %"
    assert percent(0.0000056) == "< 0.01 %"
    assert percent(1.0) == "100 %"
    assert percent(0.0) == "0 %"
    assert percent(0.456) == "46 %"


@given(st.floats(min_value=-1, max_value=2, allow_nan=False))
def test_no_fraction_other_than_0_or_1_reads_as_0_or_100_percent(x: float) -> None:
    text = percent(x)
    if x != 0 and abs(x) > 1e-12:
        assert text not in ("0 %", "-0 %")
    if x != 1:
        assert text != "100 %"


@given(st.floats(min_value=-1e14, max_value=1e14, allow_nan=False),
       st.floats(min_value=-1e14, max_value=1e14, allow_nan=False))
def test_two_different_values_read_differently_when_shown_together(a: float,
                                                                    b: float) -> None:
    if a != b and abs(a - b) > 1e-9 * max(abs(a), abs(b), 1.0):
        assert number(a, b) != number(b, a)


def test_money_has_the_currency_thousands_separators_and_sensible_precision() -> None:
    assert money(1_234_567.5) == "€1,234,568"
    assert money(12.5, "USD") == "$12.50"
    assert money(40.0, "GBP") == "£40"
    assert money(3.2e9) == "€3.2B"
    assert money(None) == "—"


def test_large_and_missing_values_stay_readable() -> None:
    assert number(1234567.89) == "1.23 M"
    assert number(12_345.678) == "12,346"
    assert number(1e20) == "1.00e20"
    assert number(1e308) == "1.00e308"
    assert number(math.nan) == "—"
    assert number(math.inf) == "—"
    assert number(None) == "—"
    assert count(12345) == "12,345"


@pytest.mark.parametrize("x", [0.0, -0.0, 5.0, -5.0, 0.5])
def test_zero_and_whole_numbers_have_no_trailing_decimals(x: float) -> None:
    assert "." not in number(x) or x == 0.5
    assert number(-0.0) == "0"
