"""Forecasts of every metric at once: point, intervals, spread and P(hit).

The engine holds each metric's measurement history as a row of a 2-D array on the
metric's cadence (see `steerco.core.forecast_resample` to build it from irregular
check-ins). `forecast` predicts every row in one vectorised pass; `p_hit` turns a
forecast into the probability that the target is met; `add_contributions` layers the
planned benefits of initiatives still to come on top of the statistical forecast.

Why numpy and not statsforecast: statsforecast fits one series at a time (~2 ms each
for AutoETS, and it drags numba, pandas and ~550 MB into the runtime), while the
smoothing recursions here advance every series and every candidate parameter set in the
same array operation: 100,000 series of 104 points take a few seconds. The methods are
the classic robust ones (SES, Theta, damped Holt on seasonally adjusted data, combined
per series by a rolling-origin holdout); on M4 Weekly they beat the published Damped
benchmark and statsforecast's AutoETS (see bench/forecast_m4.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from steerco.core.directions import Direction
from steerco.core.forecast_engine import BlockResult, forecast_block
from steerco.core.forecast_methods import BoolArray, FloatArray, IntArray
from steerco.core.forecast_resample import resample_ragged, resample_to_cadence

__all__ = [
    "Direction",
    "Forecast",
    "add_contributions",
    "forecast",
    "p_hit",
    "p_hit_at",
    "resample_ragged",
    "resample_to_cadence",
    "steps_until",
    "value_at",
]

#: Normal quantiles of the central 80% and 95% intervals.
Z80 = 1.2815515655446004
Z95 = 1.959963984540054
#: Rows per block: a block's working arrays (rows × ~60 grid candidates) stay in cache.
BLOCK_ROWS = 2048


@dataclass(frozen=True)
class Forecast:
    """Forecasts of n series for steps 1 … h after the last column of their history.

    `mean` is the point forecast (for log-modelled rows the median, exp of the log-scale
    mean). `lower80/upper80/lower95/upper95` are the central prediction intervals.
    `sd` is a normal spread matched to the 80% interval ((upper80 − lower80) / 2·z80), for
    callers that want one number; `center`, `scale` and `log_rows` give the exact model
    distribution (normal on the log scale for `log_rows`, else on the value scale), which
    `p_hit_at` uses. Rows without data are NaN; rows with one point have a mean but NaN
    spread (one value says nothing about how much a series moves).
    """

    mean: FloatArray
    lower80: FloatArray
    upper80: FloatArray
    lower95: FloatArray
    upper95: FloatArray
    sd: FloatArray
    center: FloatArray
    scale: FloatArray
    log_rows: BoolArray
    seasonal: BoolArray

    @property
    def horizon(self) -> int:
        """Number of forecast steps."""
        return int(self.mean.shape[1])


def _default_window(season_length: int) -> int:
    # Ten seasonal cycles (and at least 120 points): older history mostly describes a
    # business that no longer exists, and a shorter fit window tracks changes in level,
    # trend and seasonal shape. On M4 Weekly fitting the last 520 weeks rather than all
    # of up to 2,597 improved both sMAPE and MASE on a holdout cut from the training data.
    return max(10 * season_length, 120)


def forecast(history: npt.ArrayLike, season_length: int = 1, horizon: int = 1, *,
             window: int | None = None, seasonal_cycles: int = 3,
             workers: int = 1, holdout: int | None = None,
             extra_seasons: Sequence[int] = ()) -> Forecast:
    """Forecast every row of `history` `horizon` steps past its last column.

    Contract:
    - `history` is n × T floats on a regular cadence, NaN-padded on the LEFT so each
      row's latest value sits in the last column; rows may start at different columns
      and have NaN gaps (carried forward: a missing check-in leaves the last value).
    - `season_length` m is the number of steps per seasonal cycle (12 monthly, 4
      quarterly, 52 weekly; 1 = none). Seasonality is modelled only for rows with ≥ 3·m
      points that pass M4's 90% autocorrelation test at lag m.
    - Only the last `window` columns are fitted (default: 10 cycles, ≥ 120 points);
      seasonal shapes use the last `seasonal_cycles` cycles.
    - Edge cases never raise: all-NaN rows give NaN everywhere; a single point gives a
      flat forecast with NaN spread; constant rows give zero-width intervals; n = 0 or
      horizon = 0 give empty arrays. `workers` > 1 runs blocks of rows in threads (numpy
      releases the GIL, so blocks run in parallel); results do not depend on it.
    - `holdout` is how many steps each of the holdout cuts that choose a row's method
      combination spans (default: `horizon`, as in M4). Give it explicitly and the
      forecast at step k no longer depends on `horizon` ≥ k, nor on which other rows
      share the call — what a service needs when one metric is re-forecast alone.
    - `extra_seasons`: longer cycles on top of `season_length` (168 hours = a week for
      hourly data); rows that are seasonal at `season_length` also try seasonal-mean
      forecasts at these periods, and the default window grows to four of the longest.
    """
    y = np.asarray(history, dtype=np.float64)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2:
        raise ValueError("history must be 1-D or 2-D (series × time)")
    m = max(int(season_length), 1)
    h = max(int(horizon), 0)
    n = y.shape[0]
    if h == 0 or n == 0 or y.shape[1] == 0:
        e = np.full((n, h), np.nan)
        none = np.zeros(n, dtype=bool)
        return Forecast(e, e, e, e, e, e, e, e, none, none)
    extra = tuple(int(p) for p in extra_seasons if int(p) > m)
    win = max(_default_window(m), 4 * max(extra, default=0)) if window is None \
        else max(int(window), 2)
    hold = h if holdout is None else max(int(holdout), 1)

    def run(lo: int) -> BlockResult:
        return forecast_block(y[lo:lo + BLOCK_ROWS], m, h, win, seasonal_cycles, hold,
                              extra)

    starts = range(0, n, BLOCK_ROWS)
    if workers > 1 and n > BLOCK_ROWS:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            blocks = list(pool.map(run, starts))
    else:
        blocks = [run(lo) for lo in starts]
    center = np.concatenate([b.center for b in blocks])
    scale = np.concatenate([b.scale for b in blocks])
    log_rows = np.concatenate([b.log_rows for b in blocks])
    seasonal = np.concatenate([b.seasonal for b in blocks])
    return _assemble(center, scale, log_rows, seasonal)


def _assemble(center: FloatArray, scale: FloatArray, log_rows: BoolArray,
              seasonal: BoolArray) -> Forecast:
    lg = log_rows[:, None]

    def back(v: FloatArray) -> FloatArray:
        # exp only where the row was logged; clip so an absurd log path cannot overflow.
        return np.where(lg, np.exp(np.clip(np.where(lg, v, 0.0), -700.0, 700.0)), v)

    lo80, hi80 = back(center - Z80 * scale), back(center + Z80 * scale)
    sd = (hi80 - lo80) / (2.0 * Z80)
    return Forecast(mean=back(center), lower80=lo80, upper80=hi80,
                    lower95=back(center - Z95 * scale), upper95=back(center + Z95 * scale),
                    sd=sd, center=center, scale=scale, log_rows=log_rows, seasonal=seasonal)


def p_hit(mean: npt.ArrayLike, sd: npt.ArrayLike, target: npt.ArrayLike,
          direction: npt.ArrayLike) -> FloatArray:
    """Return P(target met) under a normal forecast N(mean, sd²), elementwise.

    Contract: all inputs broadcast together; `direction` holds `Direction` codes.
    INCREASE_TO and STAY_AT_OR_ABOVE give P(value ≥ target); DECREASE_TO and
    STAY_AT_OR_BELOW give P(value ≤ target). sd = 0 is a certain forecast (1 when the mean
    meets the target, else 0); NaN mean, sd or target, a negative sd, or an unknown
    direction code give NaN (unknown, not "0% chance").
    """
    mu = np.asarray(mean, dtype=np.float64)
    s = np.asarray(sd, dtype=np.float64)
    tg = np.asarray(target, dtype=np.float64)
    d = np.asarray(direction)
    mu, s, tg, d = np.broadcast_arrays(mu, s, tg, d)
    up = (d == Direction.INCREASE_TO) | (d == Direction.STAY_AT_OR_ABOVE)
    down = (d == Direction.DECREASE_TO) | (d == Direction.STAY_AT_OR_BELOW)
    with np.errstate(divide="ignore", invalid="ignore"):
        zscore = (mu - tg) / s  # how many sd the mean sits above the target
        p_up = np.where(s > 0, ndtr(zscore), np.where(mu >= tg, 1.0, 0.0))
        p_down = np.where(s > 0, ndtr(-zscore), np.where(mu <= tg, 1.0, 0.0))
    out = np.where(up, p_up, np.where(down, p_down, np.nan))
    bad = np.isnan(mu) | np.isnan(s) | np.isnan(tg) | (s < 0)
    return np.asarray(np.where(bad, np.nan, out), dtype=np.float64)


def p_hit_at(fc: Forecast, step: npt.ArrayLike, target: npt.ArrayLike,
             direction: npt.ArrayLike) -> FloatArray:
    """Return each row's P(target met) at its own forecast step, from the model's law.

    Contract: `step` (n,) is 1-based (1 = the next period; see `steps_until`); steps
    beyond the horizon use the last step and steps < 1 the first. For log-modelled rows
    the test is done on the log scale (exact for the model); a target ≤ 0 on such a row
    is met surely by "≥" directions and never by "≤" ones. NaN where the forecast is NaN.
    """
    n = fc.center.shape[0]
    if fc.horizon == 0:
        return np.full(n, np.nan)
    idx = np.clip(np.broadcast_to(np.asarray(step, dtype=np.int64), (n,)), 1, fc.horizon) - 1
    rows = np.arange(n)
    c = fc.center[rows, idx]
    s = fc.scale[rows, idx]
    tg = np.broadcast_to(np.asarray(target, dtype=np.float64), (n,))
    lg = fc.log_rows
    with np.errstate(divide="ignore", invalid="ignore"):
        # log(target ≤ 0) = −inf: every positive value is above it, none below.
        t_model = np.where(lg, np.log(np.where(lg & (tg > 0), tg, 0.0)), tg)
    t_model = np.where(np.isnan(tg), np.nan, t_model)
    return p_hit(c, s, t_model, direction)


def value_at(values: FloatArray, step: npt.ArrayLike) -> FloatArray:
    """Pick each row's value at its own 1-based step (clipped to 1 … h), e.g. `fc.mean`."""
    n, h = values.shape
    if h == 0:
        return np.full(n, np.nan)
    idx = np.clip(np.broadcast_to(np.asarray(step, dtype=np.int64), (n,)), 1, h) - 1
    return np.asarray(values[np.arange(n), idx], dtype=np.float64)


def steps_until(last_day: npt.ArrayLike, target_day: npt.ArrayLike,
                cadence_days: npt.ArrayLike) -> IntArray:
    """Return how many cadence steps after `last_day` the `target_day` falls (≥ 0).

    Contract: day numbers as in `steerco.kit.dates`; a target inside a step rounds up
    (the value due by the target date is the one of the step that covers it); a target
    on or before the last day gives 0 (already past: compare with the actual value).
    Non-positive cadences are treated as 1 day.
    """
    last = np.asarray(last_day, dtype=np.int64)
    tgt = np.asarray(target_day, dtype=np.int64)
    cad = np.maximum(np.asarray(cadence_days, dtype=np.int64), 1)
    return np.asarray(np.maximum(-((last - tgt) // cad), 0), dtype=np.int64)


def add_contributions(fc: Forecast, series: npt.ArrayLike, step: npt.ArrayLike,
                      amount: npt.ArrayLike) -> Forecast:
    """Return `fc` with planned initiative benefits added from their arrival step on.

    Contract: `series`, `step` and `amount` are parallel 1-D arrays, one entry per planned
    contribution (several may hit the same series): `amount` is added to the point
    forecast and the interval bounds of row `series` at every step ≥ `step` (1-based; a
    step ≤ 1 counts from the first step, steps past the horizon are ignored). The spread is
    unchanged: a plan shifts the outcome but the statistical uncertainty stays.
    Contributions with NaN amounts or out-of-range rows are skipped. The exact model law
    (`center`, `scale`) of a log-modelled row is moved to the value scale so `p_hit_at`
    stays consistent.
    """
    n, h = fc.mean.shape
    rows = np.asarray(series, dtype=np.int64).ravel()
    steps = np.clip(np.asarray(step, dtype=np.int64).ravel(), 1, h + 1)
    amt = np.asarray(amount, dtype=np.float64).ravel()
    ok = (rows >= 0) & (rows < n) & ~np.isnan(amt) & (steps <= h)
    shift = np.zeros((n, h + 1))
    np.add.at(shift, (rows[ok], steps[ok] - 1), amt[ok])
    add = np.cumsum(shift[:, :h], axis=1)
    touched = np.zeros(n, dtype=bool)
    touched[rows[ok]] = True
    # A log-modelled row that gets a contribution switches to the normal approximation
    # on the value scale (mean, sd): a shift of a lognormal is no longer lognormal.
    relog = fc.log_rows & touched
    center = np.where(relog[:, None], fc.mean, fc.center) + add
    scale = np.where(relog[:, None], fc.sd, fc.scale)
    return Forecast(mean=fc.mean + add, lower80=fc.lower80 + add, upper80=fc.upper80 + add,
                    lower95=fc.lower95 + add, upper95=fc.upper95 + add, sd=fc.sd,
                    center=center, scale=scale, log_rows=fc.log_rows & ~touched,
                    seasonal=fc.seasonal)
