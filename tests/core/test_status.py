"""Metric status, reasons, precedence and the one-line explanation."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from steerco.core.directions import Direction
from steerco.core.status import (
    Reason,
    Status,
    StatusInputs,
    StatusResult,
    StatusSettings,
    explain,
    explain_metric,
    format_day,
    format_number,
    metric_status,
    reason_names,
)
from steerco.kit.dates import NO_DAY, to_day

nan = math.nan
TARGET_DAY = to_day(dt.date(2026, 12, 31))
AS_OF = TARGET_DAY - 100


def one(**kw: object) -> tuple[StatusInputs, StatusResult]:
    """Classify a single fresh weekly increase_to metric, overriding any field."""
    args: dict[str, object] = dict(target_day=TARGET_DAY, last_value=500.0, last_day=AS_OF - 3,
                                   cadence_days=7.0, p_hit=0.9, plan_value=500.0, band=nan)
    args.update(kw)
    direction = args.pop("direction", Direction.INCREASE_TO)
    target = args.pop("target_value", 1000.0)
    as_of = int(args.pop("as_of", AS_OF))  # type: ignore[call-overload]
    inputs = StatusInputs.of([direction], target, **args)  # type: ignore[arg-type]
    return inputs, metric_status(inputs, as_of)


def status_of(**kw: object) -> Status:
    return Status(int(one(**kw)[1].status[0]))


def reasons_of(**kw: object) -> Reason:
    return Reason(int(one(**kw)[1].reasons[0]))


def deciding_of(**kw: object) -> Reason:
    return Reason(int(one(**kw)[1].deciding[0]))


def test_status_codes_are_stable():
    assert [s.wire_name for s in Status] == ["on_track", "at_risk", "off_track", "stale",
                                             "no_data", "achieved", "missed"]
    assert [int(s) for s in Status] == list(range(7))


def test_a_fresh_metric_with_a_high_p_hit_on_plan_is_on_track():
    assert status_of() is Status.ON_TRACK
    assert reasons_of() == Reason.P_HIT_HIGH | Reason.ON_PLAN
    assert deciding_of() is Reason.P_HIT_HIGH


def test_a_middling_p_hit_is_at_risk_and_a_low_one_is_off_track():
    assert status_of(p_hit=0.35) is Status.AT_RISK
    assert deciding_of(p_hit=0.35) is Reason.P_HIT_MEDIUM
    assert status_of(p_hit=0.19) is Status.OFF_TRACK
    assert deciding_of(p_hit=0.19) is Reason.P_HIT_LOW


def test_the_p_hit_thresholds_are_inclusive_at_the_bottom_of_each_band():
    assert status_of(p_hit=0.5) is Status.ON_TRACK
    assert status_of(p_hit=0.2) is Status.AT_RISK


def test_a_metric_without_a_measurement_is_no_data():
    assert status_of(last_value=nan) is Status.NO_DATA
    assert status_of(last_day=NO_DAY) is Status.NO_DATA
    assert deciding_of(last_value=nan) is Reason.NO_EVIDENCE


def test_a_metric_without_a_target_is_no_data():
    assert status_of(target_value=nan) is Status.NO_DATA
    assert deciding_of(target_value=nan) is Reason.NO_TARGET
    assert status_of(direction=9) is Status.NO_DATA


def test_after_the_target_date_a_met_target_is_achieved_and_an_unmet_one_missed():
    after = TARGET_DAY + 1
    assert status_of(as_of=after, last_value=1000.0, last_day=after) is Status.ACHIEVED
    assert status_of(as_of=after, last_value=999.0, last_day=after) is Status.MISSED
    assert deciding_of(as_of=after, last_value=999.0, last_day=after) is Reason.TARGET_NOT_MET
    # On the target day itself the metric is still judged by its forecast.
    assert status_of(as_of=TARGET_DAY, last_value=1000.0, last_day=TARGET_DAY) is Status.ON_TRACK


def test_achieved_and_missed_follow_the_direction():
    after = TARGET_DAY + 1
    kw = dict(as_of=after, last_day=after, target_value=10.0)
    assert status_of(direction=Direction.DECREASE_TO, last_value=9.0, **kw) is Status.ACHIEVED
    assert status_of(direction=Direction.DECREASE_TO, last_value=11.0, **kw) is Status.MISSED
    assert status_of(direction=Direction.STAY_AT_OR_ABOVE, last_value=10.0,
                     **kw) is Status.ACHIEVED
    assert status_of(direction=Direction.STAY_AT_OR_BELOW, last_value=10.5,
                     **kw) is Status.MISSED


def test_a_standing_kpi_without_a_target_date_is_never_achieved_or_missed():
    assert status_of(target_day=NO_DAY, as_of=TARGET_DAY + 500,
                     last_day=TARGET_DAY + 499) is Status.ON_TRACK


def test_a_stale_metric_is_not_on_track():
    # Weekly cadence, grace 50 %: stale after 10.5 days.
    assert status_of(last_day=AS_OF - 10) is Status.ON_TRACK
    assert status_of(last_day=AS_OF - 11) is Status.STALE
    assert deciding_of(last_day=AS_OF - 11) is Reason.STALE


def test_grace_can_be_set_in_days_and_as_a_fraction_of_the_cadence():
    inputs, _ = one(last_day=AS_OF - 9)
    strict = StatusSettings(grace_fraction=0.0, grace_days=1.0)
    assert metric_status(inputs, AS_OF, strict).status[0] == Status.STALE
    lenient = StatusSettings(grace_fraction=1.0)
    assert metric_status(inputs, AS_OF, lenient).status[0] == Status.ON_TRACK


def test_a_metric_without_a_cadence_is_never_stale():
    assert status_of(cadence_days=nan, last_day=AS_OF - 400) is Status.ON_TRACK
    assert status_of(cadence_days=0.0, last_day=AS_OF - 400) is Status.ON_TRACK


def test_evidence_dated_after_as_of_counts_as_fresh_and_is_flagged():
    _, result = one(last_day=AS_OF + 5)
    assert result.status[0] == Status.ON_TRACK
    assert result.age_days[0] == 0.0
    assert Reason.EVIDENCE_IN_FUTURE in Reason(int(result.reasons[0]))


def test_without_a_forecast_a_tolerance_breach_is_off_track():
    kw = dict(p_hit=nan, plan_value=600.0, band=50.0)
    assert status_of(**kw) is Status.OFF_TRACK
    assert deciding_of(**kw) is Reason.TOLERANCE_BREACH
    assert reasons_of(**kw) == Reason.NO_FORECAST | Reason.TOLERANCE_BREACH


def test_without_a_forecast_being_behind_plan_within_tolerance_is_on_track():
    assert status_of(p_hit=nan, plan_value=540.0, band=50.0) is Status.ON_TRACK
    assert Reason.BEHIND_PLAN in reasons_of(p_hit=nan, plan_value=540.0, band=50.0)


def test_with_a_confident_forecast_a_tolerance_breach_is_only_at_risk():
    assert status_of(p_hit=0.9, plan_value=600.0, band=50.0) is Status.AT_RISK
    assert deciding_of(p_hit=0.9, plan_value=600.0, band=50.0) is Reason.TOLERANCE_BREACH


def test_a_low_forecast_is_off_track_even_when_the_metric_is_on_plan():
    assert status_of(p_hit=0.1, plan_value=400.0) is Status.OFF_TRACK
    assert deciding_of(p_hit=0.1, plan_value=400.0) is Reason.P_HIT_LOW


def test_a_missing_band_uses_the_default_relative_tolerance():
    # Default 5 %: 500 vs plan 520 is within 26, vs plan 530 beyond 26.5.
    assert status_of(p_hit=nan, plan_value=520.0) is Status.ON_TRACK
    assert status_of(p_hit=nan, plan_value=530.0) is Status.OFF_TRACK


def test_a_metric_with_evidence_but_no_forecast_and_no_plan_is_at_risk_never_green():
    assert status_of(p_hit=nan, plan_value=nan) is Status.AT_RISK
    assert deciding_of(p_hit=nan, plan_value=nan) is Reason.NO_BASIS


def test_the_plan_check_follows_each_direction():
    band = dict(p_hit=nan, band=1.0, target_value=50.0)
    assert status_of(direction=Direction.DECREASE_TO, last_value=12.0, plan_value=10.0,
                     **band) is Status.OFF_TRACK
    assert status_of(direction=Direction.DECREASE_TO, last_value=8.0, plan_value=10.0,
                     **band) is Status.ON_TRACK
    assert status_of(direction=Direction.STAY_AT_OR_ABOVE, last_value=48.0, plan_value=50.0,
                     **band) is Status.OFF_TRACK
    assert status_of(direction=Direction.STAY_AT_OR_BELOW, last_value=50.5, plan_value=50.0,
                     **band) is Status.ON_TRACK


def test_owner_confidence_never_changes_the_status_but_a_gap_is_a_reason():
    assert status_of(owner_confidence=0.1) is status_of()
    assert Reason.CONFIDENCE_GAP in reasons_of(owner_confidence=0.1)
    assert Reason.CONFIDENCE_GAP not in reasons_of(owner_confidence=0.8)
    assert status_of(p_hit=0.1, owner_confidence=1.0) is Status.OFF_TRACK


def test_precedence_is_no_data_then_achieved_or_missed_then_stale_then_off_track():
    after = TARGET_DAY + 30
    # Missing evidence beats everything.
    assert status_of(last_value=nan, as_of=after, p_hit=0.0) is Status.NO_DATA
    # A passed target date beats staleness and a low forecast.
    assert status_of(as_of=after, last_day=TARGET_DAY - 60, p_hit=0.0) is Status.MISSED
    assert status_of(as_of=after, last_day=TARGET_DAY - 60, last_value=2000.0,
                     p_hit=0.0) is Status.ACHIEVED
    # Staleness beats a low forecast and a breach.
    assert status_of(last_day=AS_OF - 60, p_hit=0.0, plan_value=900.0) is Status.STALE
    # Stale reasons are still recorded under achieved / missed.
    assert Reason.STALE in reasons_of(as_of=after, last_day=TARGET_DAY - 60)


def test_status_is_vectorised_over_many_metrics_with_irregular_missing_data():
    n = 10_000
    rng = np.random.default_rng(7)
    last = rng.normal(500, 100, n)
    last[rng.random(n) < 0.1] = nan
    inputs = StatusInputs.of(rng.integers(0, 4, n), rng.normal(1000, 50, n),
                             target_day=np.where(rng.random(n) < 0.2, NO_DAY, TARGET_DAY),
                             last_value=last, last_day=AS_OF - rng.integers(0, 60, n),
                             cadence_days=rng.choice([7.0, 30.0, nan], n),
                             p_hit=np.where(rng.random(n) < 0.3, nan, rng.random(n)),
                             plan_value=rng.normal(500, 100, n))
    result = metric_status(inputs, AS_OF)
    assert result.status.shape == (n,)
    assert set(np.unique(result.status).tolist()) <= {int(s) for s in Status}
    assert (result.status[np.isnan(last)] == Status.NO_DATA).all()


@settings(max_examples=150, deadline=None)
@given(p=st.one_of(st.just(nan), st.floats(0, 1)), age=st.integers(-5, 100),
       plan=st.one_of(st.just(nan), st.floats(0, 2000)), passed=st.booleans())
def test_a_metric_with_evidence_is_green_only_with_a_basis_and_fresh_evidence(p, age, plan,
                                                                              passed):
    as_of = TARGET_DAY + 1 if passed else AS_OF
    _, result = one(p_hit=p, plan_value=plan, last_day=as_of - age, as_of=as_of)
    s = Status(int(result.status[0]))
    if s is Status.ON_TRACK:
        assert age <= 10 and not passed
        assert not (math.isnan(p) and math.isnan(plan))


def test_reason_names_list_the_set_flags_in_lower_case():
    assert reason_names(int(Reason.STALE | Reason.P_HIT_LOW)) == ["stale", "p_hit_low"]
    assert reason_names(0) == []


def test_numbers_get_thousands_separators_and_three_significant_digits():
    assert format_number(1000.0) == "1,000"
    assert format_number(1234567.89) == "1.23 M"
    assert format_number(812.4) == "812"
    assert format_number(12.34) == "12.3"
    assert format_number(0.125) == "0.125"
    assert format_number(3.5) == "3.5"
    assert format_number(-0.001) == "-0.001"
    assert format_number(nan) == "n/a"
    assert format_number(98.5, "%") == "98.5%"
    assert format_number(2500.0, "EUR") == "2,500 EUR"


def test_days_are_written_like_31_dec_2026():
    assert format_day(TARGET_DAY) == "31 Dec 2026"
    assert format_day(to_day(dt.date(2025, 3, 1))) == "1 Mar 2025"
    assert format_day(NO_DAY) == "no date"


def test_the_sentence_states_forecast_target_date_p_hit_and_evidence_age():
    inputs, result = one(p_hit=0.12, forecast_value=812.0)
    assert explain_metric(inputs, result, 0) == (
        "Forecast 812 by 31 Dec 2026 vs target 1,000 (P(hit) 12 %); last evidence 3 days ago")


def test_the_sentence_for_missing_evidence_says_so():
    inputs, result = one(last_value=nan)
    assert explain_metric(inputs, result, 0) == "No evidence yet; target 1,000 by 31 Dec 2026"


def test_the_sentence_for_a_stale_metric_names_the_cadence():
    inputs, result = one(last_day=AS_OF - 46, cadence_days=30.0, forecast_value=900.0)
    assert result.status[0] == Status.STALE
    assert explain_metric(inputs, result, 0).endswith("last evidence 46 days ago, "
                                                      "due every 30 days")


def test_the_sentence_for_an_achieved_target_gives_the_final_value():
    after = TARGET_DAY + 2
    inputs, result = one(as_of=after, last_day=after - 1, last_value=1020.0)
    assert explain_metric(inputs, result, 0) == (
        "Achieved: 1,020 vs target 1,000 due 31 Dec 2026; last evidence 1 day ago")


def test_the_sentence_mentions_the_plan_when_a_breach_decided_the_status():
    inputs, result = one(p_hit=nan, plan_value=600.0, band=10.0)
    assert explain_metric(inputs, result, 0) == (
        "Latest 500 vs target 1,000 by 31 Dec 2026; outside the tolerance of plan 600; "
        "last evidence 3 days ago")


def test_the_sentence_never_fails_on_garbage():
    text = explain(99, target_value=nan, target_day=NO_DAY, last_value=nan, age_days=nan)
    assert text == "No target set; no evidence yet"
    assert "n/a" not in explain(int(Status.AT_RISK), target_value=5.0, target_day=NO_DAY,
                                last_value=4.0, age_days=0.0, deciding=int(Reason.NO_BASIS))
