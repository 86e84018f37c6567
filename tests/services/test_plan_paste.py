"""Pasting a plan from a spreadsheet: every bad line named by number, value and reason."""

from __future__ import annotations

import datetime as dt

from steerco.metrics.plan_paste import parse_plan_block


def test_a_tab_separated_block_with_a_header_reads_in_date_order():
    points, errors = parse_plan_block("Date\tPlan\n2026-06-30\t150\n2026-03-31\t120.5\n\n")
    assert errors == []
    assert points == [(dt.date(2026, 3, 31), 120.5), (dt.date(2026, 6, 30), 150.0)]


def test_semicolons_and_a_decimal_comma_only_where_the_locale_writes_one():
    points, errors = parse_plan_block("31.03.2026;1.234,5\n30.06.2026;2,5", "de")
    assert errors == []
    assert points == [(dt.date(2026, 3, 31), 1234.5), (dt.date(2026, 6, 30), 2.5)]
    points, errors = parse_plan_block("2026-03-31;2,5", "en")
    assert points == [] and len(errors) == 1
    assert errors[0].line == 1 and errors[0].value == "2,5"
    assert "decimal comma" in errors[0].reason


def test_every_bad_line_is_reported_by_number_value_and_reason():
    block = ("date\tvalue\n2026-01-31\t10\n2026-02-30\t11\n2026-03-31\tlots\n"
             "2026-04-30\n2026-01-31\t12\n2026-05-31\t13\t99\n")
    points, errors = parse_plan_block(block)
    got = [(e.line, e.value) for e in errors]
    assert got == [(3, "2026-02-30"), (4, "lots"), (5, "2026-04-30"), (6, "2026-01-31"),
                   (7, "2026-05-31\t13\t99")]
    assert "not a date" in errors[0].reason
    assert "not a number" in errors[1].reason
    assert "two cells" in errors[2].reason
    assert "twice (also on line 2)" in errors[3].reason
    assert str(errors[1]) == "line 4: “lots” is not a number"


def test_trailing_empty_cells_of_a_spreadsheet_are_ignored():
    points, errors = parse_plan_block("2026-01-31\t10\t\t\n")
    assert errors == [] and points == [(dt.date(2026, 1, 31), 10.0)]


def test_a_bad_first_line_that_is_not_a_header_is_reported():
    _, errors = parse_plan_block("2026-01-31\tten\n")
    assert [(e.line, e.value) for e in errors] == [(1, "ten")]
