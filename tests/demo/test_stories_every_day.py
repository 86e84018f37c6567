"""The supplier story — the milestone the README's what-if example names — is in the demo
whatever day it is generated on. It was missing all of December: the metric stories need
targets more than a month away, calendar-year objectives have none in their last month,
and the whole cast was dropped with them."""

from __future__ import annotations

import datetime as dt

import pytest

from steerco.demo.generate import generate
from steerco.demo.stories import SUPPLIER_MILESTONE

#: Month and year ends, December, and ordinary days across a year.
DAYS = [dt.date(2026, 11, 30), dt.date(2026, 12, 1), dt.date(2026, 12, 17),
        dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2027, 3, 31), dt.date(2027, 7, 15)]


@pytest.mark.parametrize("day", DAYS)
def test_the_supplier_milestone_is_open_and_due_in_a_week_on_any_day(day: dt.date) -> None:
    tables = generate("s", 7, day).tables
    names = tables["milestones"].columns["name"]
    assert isinstance(names, list) and names.count(SUPPLIER_MILESTONE) == 1, day
    k = names.index(SUPPLIER_MILESTONE)
    today = (day - dt.date(1970, 1, 1)).days
    assert tables["milestones"].columns["completed_on"].days[k] < -10**9  # open
    assert tables["milestones"].columns["due_date"].days[k] == today + 7
