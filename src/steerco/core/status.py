"""Metric status from evidence: P(hit), variance vs plan, freshness and the target date.

`metric_status` classifies every metric at once and returns, per metric, one `Status`,
a bitmask of `Reason` flags (every condition that holds, not only the deciding one) and
the single `Reason` that decided the status. `explain` turns one metric's numbers into
the one-line sentence shown beside the status.

Rules, applied in this precedence (the first that applies wins):

1. ``no_data``  — no usable evidence (no last value, NaN value, no evidence day) or no
   target value: nothing can be judged.
2. ``achieved`` / ``missed`` — ``as_of`` is after the target day: the last actual meets
   the target for the direction (achieved) or not (missed). Metrics without a target day
   (standing KPIs) never reach this rule.
3. ``stale``    — the last evidence is older than ``cadence * (1 + grace_fraction) +
   grace_days``. Metrics without a cadence (NaN or <= 0) are never stale.
4. ``off_track`` / ``at_risk`` / ``on_track`` — the worse of two judgements:
   - forecast: P(hit) >= ``on_track_p`` → on_track; >= ``off_track_p`` → at_risk;
     below → off_track; NaN → no judgement;
   - plan: the last actual vs the plan value on its day and the metric's tolerance band.
     At plan or within the band → on_track. A breach → off_track when there is no
     forecast, but only at_risk when there is one (being behind plan while the forecast
     still reaches the target is a risk, not a failure).
   With neither a forecast nor a plan the metric is ``at_risk`` (reason NO_BASIS): a
   metric that cannot be judged must never look green.

Owner confidence never changes the status; a gap of at least ``confidence_gap`` between
confidence and P(hit) only sets the CONFIDENCE_GAP reason.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, IntFlag

import numpy as np
import numpy.typing as npt

from steerco.core.directions import Direction
from steerco.core.plan import ToleranceState, meets_target, tolerance_state, variance
from steerco.kit.dates import NO_DAY, from_day
from steerco.kit.numbers import number, percent

FloatArray = npt.NDArray[np.float64]
Int8Array = npt.NDArray[np.int8]
UInt32Array = npt.NDArray[np.uint32]


class Status(IntEnum):
    """A metric's (or objective's) status. Codes are stable: stored in int8 arrays."""

    ON_TRACK = 0
    AT_RISK = 1
    OFF_TRACK = 2
    STALE = 3
    NO_DATA = 4
    ACHIEVED = 5
    MISSED = 6

    @property
    def wire_name(self) -> str:
        """Return the lower-case name used in the API (e.g. ``"off_track"``)."""
        return self.name.lower()


class Reason(IntFlag):
    """Machine-readable reasons; a metric's reasons are a bitmask of these flags."""

    NO_EVIDENCE = 1 << 0  #: no usable measurement
    NO_TARGET = 1 << 1  #: no target value
    TARGET_DATE_PASSED = 1 << 2  #: as_of is after the target day
    TARGET_MET = 1 << 3  #: the last actual meets the target
    TARGET_NOT_MET = 1 << 4  #: the target day passed and the last actual misses it
    STALE = 1 << 5  #: evidence older than cadence + grace
    P_HIT_HIGH = 1 << 6  #: P(hit) >= on_track_p
    P_HIT_MEDIUM = 1 << 7  #: off_track_p <= P(hit) < on_track_p
    P_HIT_LOW = 1 << 8  #: P(hit) < off_track_p
    NO_FORECAST = 1 << 9  #: P(hit) unknown
    ON_PLAN = 1 << 10  #: last actual at plan or better
    BEHIND_PLAN = 1 << 11  #: worse than plan, within tolerance
    TOLERANCE_BREACH = 1 << 12  #: worse than plan beyond tolerance
    NO_PLAN = 1 << 13  #: no plan value on the evidence day
    NO_BASIS = 1 << 14  #: neither forecast nor plan: cannot judge
    CONFIDENCE_GAP = 1 << 15  #: owner confidence far from P(hit)
    EVIDENCE_IN_FUTURE = 1 << 16  #: last evidence dated after as_of (treated as today)


def reason_names(mask: int) -> list[str]:
    """Return the lower-case names of the reasons in ``mask``, lowest bit first."""
    return [r.name.lower() for r in Reason if r.name is not None and int(mask) & r.value]


@dataclass(frozen=True, slots=True)
class StatusSettings:
    """Thresholds of the status rules (see the module docstring).

    ``on_track_p``/``off_track_p``: P(hit) cut-offs (on_track at or above 0.5, off_track
    below 0.2: on track means more likely than not to hit; a metric exactly on a plan
    that ends at the target is a coin flip by construction and must not read as a risk,
    while worse than 1-in-5 is a failure unless something changes).
    ``grace_fraction``/``grace_days``: evidence is stale after
    ``cadence * (1 + grace_fraction) + grace_days`` days (a weekly metric after 10.5 days).
    ``default_tolerance``: relative band used where a metric has none (NaN band).
    ``confidence_gap``: |confidence - P(hit)| at or above which CONFIDENCE_GAP is set.
    """

    on_track_p: float = 0.5
    off_track_p: float = 0.2
    grace_fraction: float = 0.5
    grace_days: float = 0.0
    default_tolerance: float = 0.05
    confidence_gap: float = 0.4


@dataclass(frozen=True, slots=True)
class StatusInputs:
    """Per-metric inputs of `metric_status`; every array has one entry per metric.

    - ``direction``: `Direction` codes (an unknown code counts as having no target).
    - ``target_value`` / ``target_day``: NaN / `NO_DAY` when missing.
    - ``last_value`` / ``last_day``: the latest measurement on or before as_of (NaN /
      `NO_DAY` when there is none).
    - ``cadence_days``: evidence is due every this many days (NaN or <= 0: no cadence).
    - ``p_hit``: probability the target is met, from the forecaster (NaN when unknown).
    - ``plan_value``: the plan on ``last_day`` (NaN when the metric has no plan).
    - ``band``: absolute tolerance half-width around the plan (NaN: use the default).
    - ``owner_confidence``: 0–1, NaN when not given. Never changes the status.
    - ``forecast_value``: point forecast at the target day, for the sentence only.
    """

    direction: npt.NDArray[np.integer]
    target_value: FloatArray
    target_day: npt.NDArray[np.integer]
    last_value: FloatArray
    last_day: npt.NDArray[np.integer]
    cadence_days: FloatArray
    p_hit: FloatArray
    plan_value: FloatArray
    band: FloatArray
    owner_confidence: FloatArray
    forecast_value: FloatArray

    @staticmethod
    def of(direction: npt.ArrayLike, target_value: npt.ArrayLike, *,
           target_day: npt.ArrayLike = NO_DAY, last_value: npt.ArrayLike = np.nan,
           last_day: npt.ArrayLike = NO_DAY, cadence_days: npt.ArrayLike = np.nan,
           p_hit: npt.ArrayLike = np.nan, plan_value: npt.ArrayLike = np.nan,
           band: npt.ArrayLike = np.nan, owner_confidence: npt.ArrayLike = np.nan,
           forecast_value: npt.ArrayLike = np.nan) -> StatusInputs:
        """Build inputs from arrays or scalars (broadcast to ``len(direction)``)."""
        dr = np.atleast_1d(np.asarray(direction, dtype=np.int64))
        n = int(dr.shape[0])
        return StatusInputs(
            direction=dr, target_value=_f(target_value, n), target_day=_i(target_day, n),
            last_value=_f(last_value, n), last_day=_i(last_day, n),
            cadence_days=_f(cadence_days, n), p_hit=_f(p_hit, n),
            plan_value=_f(plan_value, n), band=_f(band, n),
            owner_confidence=_f(owner_confidence, n), forecast_value=_f(forecast_value, n),
        )


@dataclass(frozen=True, slots=True)
class StatusResult:
    """Per-metric outputs of `metric_status`.

    ``status``: `Status` codes (int8). ``reasons``: bitmask of `Reason` (uint32).
    ``deciding``: the `Reason` value that decided the status (uint32). ``age_days``: days
    since the last evidence (NaN without evidence, 0 for future-dated evidence).
    ``variance_abs`` / ``variance_rel``: signed variance vs plan (positive = better).
    ``tolerance``: `ToleranceState` codes (int8).
    """

    status: Int8Array
    reasons: UInt32Array
    deciding: UInt32Array
    age_days: FloatArray
    variance_abs: FloatArray
    variance_rel: FloatArray
    tolerance: Int8Array


def _f(a: npt.ArrayLike, n: int) -> FloatArray:
    return np.asarray(np.broadcast_to(np.asarray(a, dtype=np.float64), (n,)), dtype=np.float64)


def _i(a: npt.ArrayLike, n: int) -> npt.NDArray[np.int64]:
    return np.asarray(np.broadcast_to(np.asarray(a, dtype=np.int64), (n,)), dtype=np.int64)


def metric_status(inputs: StatusInputs, as_of: int,
                  settings: StatusSettings = StatusSettings()) -> StatusResult:
    """Classify every metric at ``as_of`` (a day number); see the module docstring.

    Total: any NaN / missing input degrades to a documented status and reason.
    """
    n = int(np.asarray(inputs.direction).shape[0])
    direction = _i(inputs.direction, n)
    target = _f(inputs.target_value, n)
    target_day = _i(inputs.target_day, n)
    last_value = _f(inputs.last_value, n)
    last_day = _i(inputs.last_day, n)
    cadence = _f(inputs.cadence_days, n)
    p_hit = _f(inputs.p_hit, n)
    plan_v = _f(inputs.plan_value, n)
    band = _f(inputs.band, n)
    conf = _f(inputs.owner_confidence, n)
    known_dir = np.isin(direction, [int(d) for d in Direction])

    R = Reason
    reasons = np.zeros(n, dtype=np.uint32)

    def flag(mask: npt.NDArray[np.bool_], r: Reason) -> None:
        reasons[mask] |= np.uint32(r.value)

    has_evidence = np.isfinite(last_value) & (last_day != NO_DAY)
    has_target = np.isfinite(target) & known_dir
    flag(~has_evidence, R.NO_EVIDENCE)
    flag(~has_target, R.NO_TARGET)

    raw_age = np.where(has_evidence, float(as_of) - last_day.astype(np.float64), np.nan)
    with np.errstate(invalid="ignore"):
        future = raw_age < 0.0
        age = np.where(future, 0.0, raw_age)
        flag(future, R.EVIDENCE_IN_FUTURE)

        passed = (target_day != NO_DAY) & (np.int64(as_of) > target_day)
        met = meets_target(direction, target, last_value)
        flag(passed, R.TARGET_DATE_PASSED)
        flag(has_evidence & has_target & met, R.TARGET_MET)
        flag(has_evidence & has_target & passed & ~met, R.TARGET_NOT_MET)

        has_cadence = np.isfinite(cadence) & (cadence > 0.0)
        limit = cadence * (1.0 + settings.grace_fraction) + settings.grace_days
        stale = has_evidence & has_cadence & (age > np.where(has_cadence, limit, 0.0))
        flag(stale, R.STALE)

        has_p = np.isfinite(p_hit)
        p_high = has_p & (p_hit >= settings.on_track_p)
        p_low = has_p & (p_hit < settings.off_track_p)
        p_mid = has_p & ~p_high & ~p_low
        flag(p_high, R.P_HIT_HIGH)
        flag(p_mid, R.P_HIT_MEDIUM)
        flag(p_low, R.P_HIT_LOW)
        flag(~has_p, R.NO_FORECAST)

        var = variance(direction, plan_v, last_value)
        eff_band = np.where(np.isfinite(band) & (band >= 0.0), band,
                            settings.default_tolerance * np.abs(plan_v))
        tol = tolerance_state(var.absolute, eff_band)
        flag(has_evidence & (tol == ToleranceState.ON_PLAN), R.ON_PLAN)
        flag(has_evidence & (tol == ToleranceState.WITHIN), R.BEHIND_PLAN)
        flag(has_evidence & (tol == ToleranceState.BREACH), R.TOLERANCE_BREACH)
        has_plan = tol != ToleranceState.UNKNOWN
        flag(has_evidence & ~has_plan, R.NO_PLAN)
        no_basis = has_evidence & ~has_p & ~has_plan
        flag(no_basis, R.NO_BASIS)

        flag(np.isfinite(conf) & has_p & (np.abs(conf - p_hit) >= settings.confidence_gap),
             R.CONFIDENCE_GAP)

    # Forecast and plan judgements on the ON_TRACK < AT_RISK < OFF_TRACK scale (-1: none).
    on, risk, off = int(Status.ON_TRACK), int(Status.AT_RISK), int(Status.OFF_TRACK)
    by_p = np.where(p_high, on, np.where(p_mid, risk, np.where(p_low, off, -1)))
    breach = tol == ToleranceState.BREACH
    by_plan = np.where(~has_plan, -1, np.where(breach, np.where(has_p, risk, off), on))
    judged = np.maximum(by_p, by_plan)
    judged = np.where(judged < 0, risk, judged)  # NO_BASIS: never green
    # The reason that decided the judgement: the forecast if it is at least as bad.
    plan_reason = np.where(breach, R.TOLERANCE_BREACH.value,
                           np.where(tol == ToleranceState.WITHIN, R.BEHIND_PLAN.value,
                                    R.ON_PLAN.value))
    p_reason = np.where(p_high, R.P_HIT_HIGH.value,
                        np.where(p_mid, R.P_HIT_MEDIUM.value, R.P_HIT_LOW.value))
    judged_reason = np.where(no_basis, R.NO_BASIS.value,
                             np.where(by_p >= by_plan, p_reason, plan_reason))

    no_data = ~has_evidence | ~has_target
    final = passed & ~no_data
    status = np.select(
        [no_data, final & met, final, stale],
        [int(Status.NO_DATA), int(Status.ACHIEVED), int(Status.MISSED), int(Status.STALE)],
        default=judged,
    )
    deciding = np.select(
        [~has_evidence, ~has_target, final & met, final, stale],
        [R.NO_EVIDENCE.value, R.NO_TARGET.value, R.TARGET_MET.value,
         R.TARGET_NOT_MET.value, R.STALE.value],
        default=judged_reason,
    )
    return StatusResult(
        status=np.asarray(status, dtype=np.int8),
        reasons=reasons,
        deciding=np.asarray(deciding, dtype=np.uint32),
        age_days=np.asarray(age, dtype=np.float64),
        variance_abs=var.absolute,
        variance_rel=var.relative,
        tolerance=tol,
    )


# --- the human sentence ----------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(day: int) -> str:
    """Return a day number as ``"31 Dec 2026"`` (locale-independent); "no date" if missing."""
    if day == NO_DAY:
        return "no date"
    try:
        d: dt.date = from_day(day)
    except (OverflowError, ValueError):
        return "no date"
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def format_number(x: float, unit: str = "", near: Iterable[float] = ()) -> str:
    """Return ``x`` for a sentence: three significant digits with thousands separators,
    more when it would read as a value in ``near`` (its target: 9.96 vs 10, not "10").

    NaN gives "n/a". A unit follows after a space, except "%" which is attached.
    """
    return number(x, list(near), unit=unit, missing="n/a")


def _ago(age: float) -> str:
    if not math.isfinite(age):
        return "no evidence yet"
    days = round(age)
    if days <= 0:
        return "last evidence today"
    return f"last evidence {days} day{'s' if days != 1 else ''} ago"


def explain(status: int, *, target_value: float, target_day: int, last_value: float,
            age_days: float, p_hit: float = float("nan"),
            forecast_value: float = float("nan"), plan_value: float = float("nan"),
            cadence_days: float = float("nan"), deciding: int = 0, unit: str = "") -> str:
    """Return one human sentence explaining one metric's status from its numbers.

    Examples: "Forecast 812 by 31 Dec 2026 vs target 1,000 (P(hit) 0.12); last evidence 3
    days ago", "Achieved: 1,020 vs target 1,000 due 31 Dec 2026", "No evidence yet;
    target 1,000 by 31 Dec 2026". Missing numbers are left out rather than shown as NaN.
    """
    st = Status(status) if status in {int(s) for s in Status} else Status.NO_DATA
    near = [target_value]
    target = f"target {format_number(target_value, unit, [last_value, forecast_value])}"
    by = f" by {format_day(target_day)}" if target_day != NO_DAY else ""
    due = f" due {format_day(target_day)}" if target_day != NO_DAY else ""
    ago = _ago(age_days)
    if st == Status.NO_DATA:
        if not math.isfinite(target_value):
            lead = "No target set"
            if math.isfinite(last_value):
                lead += f"; last value {format_number(last_value, unit)}"
            return f"{lead}; {ago}"
        return f"No evidence yet; {target}{by}"
    if st in (Status.ACHIEVED, Status.MISSED):
        word = "Achieved" if st == Status.ACHIEVED else "Missed"
        return f"{word}: {format_number(last_value, unit, near)} vs {target}{due}; {ago}"
    if math.isfinite(forecast_value):
        head = f"Forecast {format_number(forecast_value, unit, near)}{by} vs {target}"
    else:
        head = f"Latest {format_number(last_value, unit, near)} vs {target}{by}"
    if math.isfinite(p_hit):
        head += f" (P(hit) {percent(p_hit)})"
    tail = ago
    if st == Status.STALE and math.isfinite(cadence_days):
        tail += f", due every {format_number(cadence_days)} days"
    plan_bad = deciding in (Reason.TOLERANCE_BREACH.value, Reason.BEHIND_PLAN.value)
    plan = format_number(plan_value, unit, [last_value])
    if deciding == Reason.TOLERANCE_BREACH.value and math.isfinite(plan_value):
        # Name the input that decided: the plan, not the forecast shown first.
        latest = (f"latest {format_number(last_value, unit, [plan_value])} is "
                  if math.isfinite(forecast_value) else "")
        head += f"; {latest}outside the tolerance of plan {plan}"
    elif math.isfinite(plan_value) and (plan_bad or not math.isfinite(forecast_value)):
        head += f"; plan {plan}"
    if deciding == Reason.NO_BASIS.value:
        head += "; no forecast or plan to judge it against"
    return f"{head}; {tail}"


def explain_metric(inputs: StatusInputs, result: StatusResult, i: int, unit: str = "") -> str:
    """Return the sentence for metric ``i`` of a `metric_status` call."""
    return explain(
        int(result.status[i]),
        target_value=float(inputs.target_value[i]),
        target_day=int(inputs.target_day[i]),
        last_value=float(inputs.last_value[i]),
        age_days=float(result.age_days[i]),
        p_hit=float(inputs.p_hit[i]),
        forecast_value=float(inputs.forecast_value[i]),
        plan_value=float(inputs.plan_value[i]),
        cadence_days=float(inputs.cadence_days[i]),
        deciding=int(result.deciding[i]),
        unit=unit,
    )
