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
from scipy.special import betainc, betaincinv, ndtr, ndtri, stdtr, stdtrit

from steerco.core.directions import Direction
from steerco.core.forecast_engine import BlockResult, forecast_block
from steerco.core.forecast_methods import BoolArray, FloatArray, IntArray
from steerco.core.forecast_resample import resample_ragged, resample_to_cadence

__all__ = [
    "Direction",
    "Forecast",
    "add_contributions",
    "forecast",
    "law_cdf",
    "law_ppf",
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
#: Recalibration of the law of rows whose spread comes from their own errors: the
#: Beta(a, b) CDF applied to the Student-t CDF (probabilistic recalibration: on a
#: calibrated forecaster the PIT values u = F(truth) are uniform; B is the law of the
#: PIT values the engine actually produced). Fitted by maximum likelihood on a TRAINING
#: backtest only — the PIT values at every forecast step of M4 Weekly and Hourly origins
#: 3–5 horizons before the end of the data and of M4 Weekly a year ahead inside the
#: training part, none of them an origin that bench/calibration.py scores (refit:
#: `python -m bench.calibration --fit`). a > b: outcomes land above the model's median a
#: little more often than below (55 % vs 45 %: series grow faster than damped trends
#: assume); b < 1: the upper tail is a little heavier still. bench/README.md has the
#: held-out figures (later origins of the same M4 series, and the KPI series).
CALIBRATION_BETA = (1.116, 0.976)


@dataclass(frozen=True)
class Forecast:
    """Forecasts of n series for steps 1 … h after the last column of their history.

    `mean` is the point forecast (for log-modelled rows the median, exp of the log-scale
    mean). `lower80/upper80/lower95/upper95` are the central prediction intervals.
    `sd` is a normal spread matched to the 80% interval ((upper80 − lower80) / 2·z80), for
    callers that want one number; `center`, `scale`, `df` and `log_rows` give the exact
    model law (see `law_cdf`; on the log scale for `log_rows`, else on the value scale),
    which `p_hit_at` and the intervals use. Rows without data are NaN; rows with one point
    have a mean but NaN spread (one value says nothing about how much a series moves).
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
    df: FloatArray

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
        return Forecast(e, e, e, e, e, e, e, e, none, none, np.full((n, h), np.inf))
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
    df = np.concatenate([b.df for b in blocks])
    return _assemble(center, scale, df, log_rows, seasonal)


def law_cdf(z: npt.ArrayLike, df: npt.ArrayLike) -> FloatArray:
    """P(X ≤ center + z·scale) under the model law, elementwise.

    Contract: where `df` is infinite the law is the normal, Φ(z) (short histories, whose
    floor is already t-inflated, the random-walk fallback and shifted forecasts); where
    it is finite (the spread came from the row's own k-step errors) it is the Student-t
    with `df` degrees of freedom, recalibrated: B(T_df(z)) with B the Beta CDF of
    `CALIBRATION_BETA`. NaN in, NaN out; z = ±inf gives 0 or 1.
    """
    zz, d = np.broadcast_arrays(np.asarray(z, dtype=np.float64),
                                np.asarray(df, dtype=np.float64))
    fin = np.isfinite(d)
    a, b = CALIBRATION_BETA
    with np.errstate(invalid="ignore"):
        u = np.where(fin, stdtr(np.where(fin, d, 1.0), zz), ndtr(zz))
        out = np.where(fin, betainc(a, b, np.clip(u, 0.0, 1.0)), u)
    return np.asarray(np.where(np.isnan(zz) | np.isnan(d), np.nan, out), dtype=np.float64)


def law_ppf(p: float, df: npt.ArrayLike) -> FloatArray:
    """The z with `law_cdf(z, df) == p`, elementwise over `df` (the inverse of `law_cdf`).

    Each distinct df is computed once: t quantiles are iterative, and a block's df values
    are counts over steps, so they repeat across rows.
    """
    d = np.asarray(df, dtype=np.float64)
    out = np.full(d.shape, float(ndtri(p)))
    fin = np.isfinite(d)
    if fin.any():
        vals, inv = np.unique(d[fin], return_inverse=True)
        q = float(betaincinv(*CALIBRATION_BETA, p))
        out[fin] = np.asarray(stdtrit(vals, q), dtype=np.float64)[inv.ravel()]
    out[np.isnan(d)] = np.nan
    return out


def _ppf_rows(df: FloatArray, ps: Sequence[float]) -> list[FloatArray]:
    """`law_ppf` at each of `ps` over a whole df matrix, each distinct row computed once.

    A row's df depends only on how many errors each step had, i.e. on its history length,
    so 100,000 rows hold a few hundred distinct df rows; sorting all n × h values to find
    the distinct ones would cost seconds. Rows are grouped by a dot product with fixed
    weights and the grouping is verified exactly (a collision is recomputed on its own).
    """
    n, h = df.shape
    if n == 0 or h == 0:
        return [np.full((n, h), np.nan) for _ in ps]
    key = np.where(np.isfinite(df), df, np.where(np.isnan(df), -2.0, -1.0))
    weights = 1.0 + np.sqrt(np.arange(2, h + 2, dtype=np.float64)) % 1.0
    _, first, inv = np.unique(key @ weights, return_index=True, return_inverse=True)
    inv = inv.ravel()
    same = np.all(key[first][inv] == key, axis=1)
    out = []
    for p in ps:
        v = law_ppf(p, df[first])[inv]
        if not same.all():
            v[~same] = law_ppf(p, df[~same])
        out.append(v)
    return out


def _assemble(center: FloatArray, scale: FloatArray, df: FloatArray, log_rows: BoolArray,
              seasonal: BoolArray) -> Forecast:
    lg = log_rows[:, None]

    def back(v: FloatArray) -> FloatArray:
        # exp only where the row was logged; clip so an absurd log path cannot overflow.
        return np.where(lg, np.exp(np.clip(np.where(lg, v, 0.0), -700.0, 700.0)), v)

    z10, z90, z025, z975 = _ppf_rows(df, (0.1, 0.9, 0.025, 0.975))

    def at(zq: FloatArray) -> FloatArray:
        return back(center + zq * scale)

    lo80, hi80 = at(z10), at(z90)
    sd = (hi80 - lo80) / (2.0 * Z80)
    return Forecast(mean=back(center), lower80=lo80, upper80=hi80,
                    lower95=at(z025), upper95=at(z975), sd=sd, center=center,
                    scale=scale, log_rows=log_rows, seasonal=seasonal, df=df)


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
    The law is `law_cdf` (recalibrated Student-t where `fc.df` is finite, else normal),
    so P(hit) at `upper80` is exactly 0.10 and the two agree.
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
    d = np.asarray(direction)
    d = np.broadcast_to(d, (n,))
    up = (d == Direction.INCREASE_TO) | (d == Direction.STAY_AT_OR_ABOVE)
    down = (d == Direction.DECREASE_TO) | (d == Direction.STAY_AT_OR_BELOW)
    with np.errstate(divide="ignore", invalid="ignore"):
        below = law_cdf((t_model - c) / s, fc.df[rows, idx])  # P(value ≤ target)
    # P(value ≥ target) = 1 − P(value < target); the law is continuous.
    p = np.where(s > 0, np.where(up, 1.0 - below, below), np.nan)
    out = np.where(s > 0, np.where(up | down, p, np.nan), p_hit(c, s, t_model, d))
    bad = np.isnan(c) | np.isnan(s) | np.isnan(t_model) | ~(up | down)
    return np.asarray(np.where(bad, np.nan, out), dtype=np.float64)


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
    Contributions with NaN amounts or out-of-range rows are skipped. A row that gets a
    contribution switches to the normal law N(mean + amount, sd²) on the value scale
    (`sd` matches its 80 % interval), the same one `steerco.core.impact` uses for a
    what-if, so `p_hit_at` stays consistent with it.
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
    # A row that gets a contribution switches to the normal approximation on the value
    # scale (mean, sd): a shift of a lognormal is no longer lognormal, and a what-if
    # (steerco.core.impact) only keeps each row's forecast and 80 % interval.
    t = touched[:, None]
    center = np.where(t, fc.mean + add, fc.center)
    scale = np.where(t, fc.sd, fc.scale)
    return Forecast(mean=fc.mean + add, lower80=fc.lower80 + add, upper80=fc.upper80 + add,
                    lower95=fc.lower95 + add, upper95=fc.upper95 + add, sd=fc.sd,
                    center=center, scale=scale, log_rows=fc.log_rows & ~touched,
                    seasonal=fc.seasonal, df=np.where(t, np.inf, fc.df))
