"""Issue 11, classes 2–4 on the services: direction, corrections, dates, bounds, outliers.

Every refusal is checked to write nothing (as in test_refusals) and to name the field
and the numbers that decided it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from steerco.checkins.service import check_in
from steerco.metrics.service import update_metric
from steerco.org.service import update_workspace, workspace_today
from tests.factories import world
from tests.services.test_refusals import fields, refused

DAY = dt.date(2026, 3, 10)


@pytest.fixture()
def w(session):
    return world(session)


def checkin(w, m, value, as_of="2026-03-01", today=DAY, **kw):
    return check_in(w.session, w.wid, {"metric_id": m.id, "value": value, "as_of": as_of,
                                       **kw}, today=today)


# --- class 2: direction -----------------------------------------------------------------


@pytest.mark.parametrize(("direction", "baseline", "target", "way"), [
    ("increase_to", 10.0, 5.0, "below"), ("increase_to", 10.0, 10.0, "equal to"),
    ("decrease_to", 60.0, 80.0, "above"), ("decrease_to", 60.0, 60.0, "equal to")])
def test_a_target_not_beyond_the_baseline_in_its_direction_is_refused_at_creation(
        w, direction, baseline, target, way):
    err = refused(w.session, lambda: w.metric(direction=direction, baseline_value=baseline,
                                              target_value=target))
    msg = fields(err)["target_value"]
    assert f"{direction}" in msg and f"{target:g}" in msg and f"{baseline:g}" in msg
    assert way in msg


def test_a_threshold_metric_is_accepted_with_target_equal_to_baseline(w):
    m = w.metric(direction="stay_at_or_above", baseline_value=38.0, target_value=38.0)
    assert m.target_value == 38.0


@pytest.mark.parametrize("change", [{"target_value": 50.0}, {"baseline_value": 250.0},
                                    {"direction": "decrease_to"}])
def test_patching_one_field_so_the_target_points_the_wrong_way_is_refused(w, change):
    m = w.metric()  # increase_to 100 → 200
    err = refused(w.session, lambda: update_metric(w.session, w.wid, m.id, change))
    assert "target_value" in fields(err)
    w.session.refresh(m)
    assert (m.baseline_value, m.target_value) == (100.0, 200.0)


def test_patching_both_numbers_consistently_is_accepted(w):
    m = w.metric()
    update_metric(w.session, w.wid, m.id, {"direction": "decrease_to", "baseline_value": 300,
                                          "target_value": 150})
    assert (m.direction, m.baseline_value, m.target_value) == ("decrease_to", 300, 150)


# --- class 2: non-finite numbers ----------------------------------------------------------


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_tolerance_is_refused_on_create_and_update(w, bad):
    err = refused(w.session, lambda: w.metric(tolerance=bad))
    assert "tolerance" in fields(err)
    m = w.metric()
    err = refused(w.session, lambda: update_metric(w.session, w.wid, m.id, {"tolerance": bad}))
    assert "tolerance" in fields(err)


# --- class 2: corrections ---------------------------------------------------------------


def test_a_second_correction_of_a_row_is_refused_naming_the_newest_row_of_its_chain(w):
    m = w.metric()
    first = checkin(w, m, 40)
    fix = checkin(w, m, 41, supersedes_id=first.id)
    err = refused(w.session, lambda: checkin(w, m, 42, supersedes_id=first.id))
    assert f"mea_{fix.id}" in fields(err)["supersedes_id"]
    fix2 = checkin(w, m, 42, supersedes_id=fix.id)  # correcting the newest is fine
    assert fix2.supersedes_id == fix.id


# --- class 3: dates and time zones -----------------------------------------------------


def test_the_workspace_time_zone_decides_today(w):
    assert w.ws.time_zone == "UTC"
    late_utc = dt.datetime(2026, 3, 10, 22, 30, tzinfo=dt.UTC)
    assert workspace_today(w.session, w.wid, now=late_utc) == dt.date(2026, 3, 10)
    update_workspace(w.session, w.wid, {"time_zone": "Asia/Tokyo"})
    assert workspace_today(w.session, w.wid, now=late_utc) == dt.date(2026, 3, 11)


def test_an_unknown_time_zone_is_refused(w):
    err = refused(w.session, lambda: update_workspace(w.session, w.wid,
                                                      {"time_zone": "Mars/Olympus"}))
    assert "Mars/Olympus" in fields(err)["time_zone"]


def test_a_check_in_after_today_in_the_workspace_zone_is_refused(w):
    m = w.metric()
    err = refused(w.session, lambda: checkin(w, m, 120, as_of="2026-03-11", today=DAY))
    assert "2026-03-11" in fields(err)["as_of"] and "2026-03-10" in fields(err)["as_of"]


def test_a_check_in_before_the_baseline_date_needs_load_history(w):
    m = w.metric()  # baseline 2026-01-01
    err = refused(w.session, lambda: checkin(w, m, 120, as_of="1999-01-01"))
    msg = fields(err)["as_of"]
    assert "1999-01-01" in msg and "2026-01-01" in msg and "load_history" in msg
    row = checkin(w, m, 90, as_of="2025-06-30", load_history=True)
    assert row.as_of == dt.date(2025, 6, 30)


def test_a_history_row_before_the_baseline_can_be_corrected_on_its_own_date(w):
    # A wrong value in loaded history must be fixable by its owner: the correction keeps
    # (or moves later) the date of the row it corrects; an earlier date still needs
    # load_history, so a 1999 typo cannot slip in through a correction.
    m = w.metric()  # baseline 2026-01-01
    old = checkin(w, m, 90, as_of="2025-06-30", load_history=True)
    fixed = checkin(w, m, 91, as_of="2025-06-30", supersedes_id=f"mea_{old.id}")
    assert fixed.supersedes_id == old.id and fixed.as_of == dt.date(2025, 6, 30)
    err = refused(w.session, lambda: checkin(w, m, 92, as_of="1999-06-30",
                                             supersedes_id=f"mea_{fixed.id}"))
    assert "load_history" in fields(err)["as_of"]


# --- class 4: bounds and outliers ------------------------------------------------------


def test_a_unit_that_cannot_be_negative_refuses_a_negative_value(w):
    m = w.metric(unit="days", direction="decrease_to", baseline_value=21, target_value=12)
    err = refused(w.session, lambda: checkin(w, m, -5))
    msg = fields(err)["value"]
    assert "-5" in msg and "0" in msg and "days" in msg


def test_explicit_bounds_refuse_values_outside_them_naming_the_bound(w):
    m = w.metric(unit="score", baseline_value=4.2, target_value=4.5, min_value=1,
                 max_value=5, direction="increase_to")
    assert "max_value 5" in fields(refused(w.session, lambda: checkin(w, m, 6)))["value"]
    assert "min_value 1" in fields(refused(w.session, lambda: checkin(w, m, 0.5)))["value"]
    assert checkin(w, m, 5).value == 5


def test_bounds_that_exclude_the_baseline_or_target_are_refused(w):
    err = refused(w.session, lambda: w.metric(max_value=150))
    assert "target_value" in fields(err)
    err = refused(w.session, lambda: w.metric(min_value=10, max_value=5))
    assert "max_value" in fields(err)


@pytest.mark.parametrize("value", [1e20, 1e308, -1e12])
def test_a_value_far_outside_the_history_needs_a_confirmation_and_is_marked(w, value):
    m = w.metric()  # 100 → 200 EUR
    checkin(w, m, 110, as_of="2026-02-01")
    err = refused(w.session, lambda: checkin(w, m, value))
    assert "confirm_outlier" in fields(err)
    row = checkin(w, m, value, confirm_outlier=True)
    assert row.outlier is True
    assert checkin(w, m, 150, as_of="2026-03-02").outlier is False


def test_a_history_of_zeros_still_has_a_scale_for_outliers(w):
    m = w.metric(unit="count", direction="stay_at_or_below", baseline_value=0, target_value=0)
    for d in ("2026-01-05", "2026-01-12", "2026-01-19"):
        checkin(w, m, 0, as_of=d)
    assert checkin(w, m, 3).outlier is False
    assert "confirm_outlier" in fields(refused(w.session, lambda: checkin(w, m, 5000)))


def test_the_workspace_outlier_factor_is_used(w):
    m = w.metric()
    update_workspace(w.session, w.wid, {"outlier_factor": 2})
    assert "confirm_outlier" in fields(refused(w.session, lambda: checkin(w, m, 1000)))
