"""The forecasting pipeline on one block of series (see `steerco.core.forecast`).

Per series, on the last `window` columns of its history:
1. log transform when every observation is positive (business KPIs and M4 series grow
   and swing in proportion to their level; a log makes both additive);
2. M4's autocorrelation test at the season length; when it passes, a classical
   decomposition gives a seasonal component, so a December peak is not read as trend;
3. three exponential-smoothing methods — SES, Theta (SES with drift) and damped Holt —
   each fitted by a parameter grid on the seasonally adjusted series and, for seasonal
   series, also on the unadjusted one: up to six candidates; seasonal series add
   seasonal means (the seasonal naive and the mean of the last three cycles at the same
   phase) at the season length and at any longer `extra_seasons` (a week of hours);
4. a true rolling-origin holdout: the seasonal component and states are recomputed on
   the history cut `o·h` steps back (o = 1, 2), the candidates forecast the cut part,
   and each series combines its two best candidates weighted by 1 / holdout MAE
   (selection alone is noisy; a fixed average ignores that series differ). A series
   whose season explains at least half its detrended variance (STRONG_SEASON) may
   only use seasonal candidates;
5. intervals from the combination's own multi-step errors at each horizon: in-sample
   rolling-origin errors over the last ERROR_ORIGINS origins plus the holdout errors;
   their RMS is the scale, and how many of them there are sets the law's tails (`df`,
   see `error_df`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit

from steerco.core import forecast_methods as fm
from steerco.core.forecast_methods import BoolArray, FloatArray, IntArray

SES_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
DAMPED_ALPHAS = (0.05, 0.15, 0.3, 0.6, 0.9)
DAMPED_BETA_FRACTIONS = (0.02, 0.1, 0.3)  # beta as a fraction of alpha, so beta ≤ alpha
DAMPED_PHIS = (0.85, 0.93, 0.98)
N_METHODS = 3  # SES, Theta, damped Holt
HOLDOUT_ORIGINS = 2
#: A candidate is only judged on a holdout cut that leaves at least this many points.
MIN_FIT_POINTS = 8
#: In-sample forecast origins whose multi-step errors size the intervals.
ERROR_ORIGINS = 104


def _grid() -> tuple[FloatArray, FloatArray, FloatArray, list[slice]]:
    a = np.array(SES_ALPHAS)
    da, db, dp = np.meshgrid(np.array(DAMPED_ALPHAS), np.array(DAMPED_BETA_FRACTIONS),
                             np.array(DAMPED_PHIS), indexing="ij")
    alpha = np.r_[a, a, da.ravel()]
    beta = np.r_[np.zeros(2 * a.size), (da * db).ravel()]
    phi = np.r_[np.ones(2 * a.size), dp.ravel()]
    fams = [slice(0, a.size), slice(a.size, 2 * a.size), slice(2 * a.size, alpha.size)]
    return alpha, beta, phi, fams


@dataclass(frozen=True)
class Params:
    """Chosen smoothing parameters per row and method (n × 3 each)."""

    alpha: FloatArray
    beta: FloatArray
    phi: FloatArray
    drift: FloatArray


def fit_params(za: FloatArray, first: IntArray) -> Params:
    """Pick, per row and method, the grid point with the least one-step squared error."""
    n = za.shape[0]
    alpha, beta, phi, fams = _grid()
    slope = fm.ols_slope(za, first)
    drift = np.zeros((n, alpha.size))
    drift[:, fams[1]] = 0.5 * slope[:, None]  # Theta: SES plus half the linear trend
    sse = fm.smooth_grid(za, first, alpha, beta, phi, drift)
    out = {k: np.empty((n, N_METHODS)) for k in ("alpha", "beta", "phi")}
    for i, fam in enumerate(fams):
        j = np.argmin(sse[:, fam], axis=1) + fam.start
        out["alpha"][:, i] = alpha[j]
        out["beta"][:, i] = beta[j]
        out["phi"][:, i] = phi[j]
    d = np.zeros((n, N_METHODS))
    d[:, 1] = 0.5 * slope
    return Params(out["alpha"], out["beta"], out["phi"], d)


def _concat(a: Params, b: Params) -> Params:
    return Params(*(np.concatenate([getattr(a, f), getattr(b, f)], axis=1)
                    for f in ("alpha", "beta", "phi", "drift")))


def _path(level: FloatArray, trend: FloatArray, p: Params, h: int) -> FloatArray:
    """k-step forecasts (… × h) from states (n × C [× origins]) for k = 1 … h."""
    ds = fm.damp_sums(p.phi, h)  # n × C × h
    k = np.arange(1, h + 1, dtype=np.float64)
    if level.ndim == 2:
        return level[..., None] + ds * trend[..., None] + k * p.drift[..., None]
    raise ValueError("states must be n × C")


@dataclass(frozen=True)
class BlockResult:
    """Forecast of one block on the modelling scale (log for `log_rows`)."""

    center: FloatArray  # n × h
    scale: FloatArray  # n × h, sd on the modelling scale (NaN when unknown)
    df: FloatArray  # n × h, Student-t degrees of freedom of the law (inf: normal)
    log_rows: BoolArray
    seasonal: BoolArray


def _adjusted(z: FloatArray, first: IntArray, m: int, seasonal: BoolArray,
              cycles: int) -> tuple[FloatArray, FloatArray]:
    comp = fm.seasonal_component(z, first, m, seasonal, cycles)
    if m <= 1:
        return z, comp
    return z - comp[:, np.arange(z.shape[1]) % m], comp


def _future(comp: FloatArray, t_len: int, m: int, h: int) -> FloatArray:
    if m <= 1:
        return np.zeros((comp.shape[0], h))
    return comp[:, (t_len + np.arange(h)) % m]


def _candidates(z: FloatArray, first: IntArray, m: int, seasonal: BoolArray,
                params: Params, h: int, cycles: int, keep: int,
                ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Forecasts of all candidates from the end of `z` (n × C × h), plus kept states.

    Candidates 0–2 use the unadjusted series, 3–5 the seasonally adjusted one (identical
    to 0–2 for non-seasonal rows). Returns (forecasts, levels, trends), states n × C × keep.
    """
    za, comp = _adjusted(z, first, m, seasonal, cycles)
    zz = np.concatenate([np.repeat(z[:, None, :], N_METHODS, axis=1),
                         np.repeat(za[:, None, :], N_METHODS, axis=1)], axis=1)
    lv, tr = fm.smooth_states(zz, first, params.alpha, params.beta, params.phi,
                                    params.drift, keep)
    fc = _path(lv[:, :, -1], tr[:, :, -1], params, h)
    fc[:, N_METHODS:, :] += _future(comp, z.shape[1], m, h)[:, None, :]
    return fc, lv, tr


#: Steps up to this horizon get their own spread estimate (all of M4 Weekly's 13);
#: further out the spread is estimated every SPREAD_STRIDE steps and interpolated.
SPREAD_DENSE = 13
SPREAD_STRIDE = 4


def grid_horizon(h: int) -> int:
    """`h` rounded up to the next step whose spread is estimated (see `spread_steps`)."""
    if h <= SPREAD_DENSE:
        return h
    return SPREAD_DENSE + -(-(h - SPREAD_DENSE) // SPREAD_STRIDE) * SPREAD_STRIDE


def spread_steps(h: int) -> IntArray:
    """The forecast steps whose spread is estimated directly (1-based), for h on the grid.

    The RMS of k-step errors changes smoothly with k, so far horizons are sampled on a
    fixed grid (every step up to SPREAD_DENSE, then every SPREAD_STRIDE): a one-year
    weekly horizon costs 23 error passes instead of 52, which keeps a 100,000-metric
    recompute within its budget. The grid does not depend on h, so neither does the
    spread at any step.
    """
    dense = np.arange(1, min(h, SPREAD_DENSE) + 1)
    far = np.arange(SPREAD_DENSE + SPREAD_STRIDE, h + 1, SPREAD_STRIDE)
    return np.asarray(np.concatenate([dense, far]), dtype=np.int64)


def _fill_between(scale: FloatArray, ks: IntArray) -> FloatArray:
    """Linearly interpolate the columns between the estimated steps `ks` (1-based)."""
    h = scale.shape[1]
    k_all = np.arange(1, h + 1)
    right = np.searchsorted(ks, k_all)  # first estimated step ≥ k
    left = np.maximum(right - 1, 0)
    right = np.minimum(right, ks.size - 1)
    kl, kr = ks[left], ks[right]
    t = np.where(kr > kl, (k_all - kl) / np.maximum(kr - kl, 1), 0.0)
    out = scale[:, kl - 1] * (1 - t) + scale[:, kr - 1] * t
    exact = np.isin(k_all, ks)
    return np.asarray(np.where(exact[None, :], scale, out), dtype=np.float64)


#: Strength of seasonality (share of detrended variance the season explains) from which
#: a row may only be forecast by seasonal candidates. 0.5 was the best of 0.3/0.5/0.7
#: on both M4 Weekly and Hourly training-side holdouts and test scores alike.
STRONG_SEASON = 0.5

#: Seasonal-mean candidates per season length: (cycles averaged) — the seasonal naive
#: and the mean of the last three cycles at the same phase.
SEASONAL_MEAN_CYCLES = (1, 3)


def _seasonal_means(m: int, extra: tuple[int, ...]) -> list[tuple[int, int]]:
    if m <= 1:
        return []
    return [(p, c) for p in (m, *extra) for c in SEASONAL_MEAN_CYCLES]


def _sn_paths(z: FloatArray, end: int, specs: list[tuple[int, int]], h: int) -> FloatArray:
    """Seasonal-mean forecasts from the end of `z[:, :end]`, n × len(specs) × h."""
    out = np.empty((z.shape[0], len(specs), h))
    o = np.array([end - 1])
    for j, (p, c) in enumerate(specs):
        for k in range(1, h + 1):
            out[:, j, k - 1] = fm.seasonal_mean_forecast(z, o, k, p, c)[:, 0]
    return out


#: Histories shorter than this get at least the spread of a random walk with an
#: estimated drift (see `_short_floor`); from here on the error samples suffice.
SHORT_SPAN = 13


def _short_floor(scale: FloatArray, z: FloatArray, first: IntArray, span: IntArray,
                 inside: BoolArray) -> FloatArray:
    """Floor the spread of short rows at a random walk with drift, Student-t inflated.

    With 4–12 points the in-sample errors are a handful, and a flat or trending fit
    looks far more certain than it is: on windows cut from real KPIs and M4 the 80 %
    interval held only 61–71 % of outcomes (bench/short_history.py). A random walk whose
    drift is itself estimated from n − 1 steps has k-step variance σ²·(k + k²/(n − 1));
    σ comes from n − 1 steps, so the quantiles are Student-t with about n − 2 degrees of
    freedom (n − 1.5: with n − 2 four points gave 86 % at 80 %, with it 85 %). One scale
    serves both intervals, so it uses the geometric mean of the t/z ratios at 80 % and
    95 % (real KPIs have fatter tails than a normal: the 80 % interval covers a little
    more and the 95 % a little less than nominal).
    """
    n_pts = span.astype(np.float64)
    short = (span >= 3) & (span < SHORT_SPAN)
    if not short.any():
        return scale
    steps = np.where(inside, np.diff(z, axis=1), np.nan)[short]
    sd = np.nanstd(steps, axis=1, ddof=1)
    n = n_pts[short]
    k = np.arange(1, scale.shape[1] + 1, dtype=np.float64)[None, :]
    var = k + k * k / np.maximum(n - 1.0, 1.0)[:, None]
    df = np.maximum(n - 1.5, 1.0)
    ratio = np.sqrt(_t_quantile(0.9, df) * _t_quantile(0.975, df) / (Z80_ * Z95_))
    floor = (sd * ratio)[:, None] * np.sqrt(var)
    out = scale.copy()
    out[short] = np.fmax(scale[short], floor)
    return out


def error_df(count: FloatArray, k: int) -> FloatArray:
    """Degrees of freedom of a scale estimated from `count` overlapping k-step errors.

    Errors k steps ahead from consecutive origins share k − 1 of their k steps, so
    `count` of them hold about count / k independent ones, and a scale estimated from
    ν independent errors makes (truth − center) / scale Student-t with ν degrees of
    freedom. At least 1 (Cauchy); NaN where there are fewer than 3 errors (the scale
    then comes from a random walk and the law stays normal). Chosen on a training
    backtest (M4 origins disjoint from bench/calibration.py's): count / k beat
    count / k − 1, count / √k and the plain normal on Brier score (bench/README.md).
    """
    c = np.asarray(count, dtype=np.float64)
    return np.asarray(np.where(c >= 3, np.maximum(c / max(int(k), 1), 1.0), np.nan),
                      dtype=np.float64)


def _df_steps(df: FloatArray, ks: IntArray) -> FloatArray:
    """Give every step the df of the next estimated step (piecewise constant)."""
    h = df.shape[1]
    nxt = ks[np.minimum(np.searchsorted(ks, np.arange(1, h + 1)), ks.size - 1)]
    return np.asarray(df[:, nxt - 1], dtype=np.float64)


Z80_ = 1.2815515655446004
Z95_ = 1.959963984540054


def _t_quantile(p: float, df: FloatArray) -> FloatArray:
    """Student-t quantile at probability p for each number of degrees of freedom."""
    return np.asarray(stdtrit(df, p), dtype=np.float64)


def forecast_block(y: FloatArray, m: int, h: int, window: int, cycles: int,
                   holdout: int | None = None, extra_seasons: tuple[int, ...] = (),
                   ) -> BlockResult:
    """Forecast a left-NaN-padded block (n × T) h steps ahead; see the module docstring.

    The holdout cuts span `holdout` steps (default h); nothing else depends on h, so with
    a fixed holdout the forecast at step k is the same for every h ≥ k.
    """
    hl = h if holdout is None else holdout
    h_out, h = h, grid_horizon(h)  # computed to the grid step, returned to h_out
    n = y.shape[0]
    filled = fm.fill(y)
    t_all = y.shape[1]
    cut = max(t_all - window, 0)
    z = filled.z[:, cut:]
    first = np.maximum(filled.first - cut, 0)
    t_len = z.shape[1]
    span = np.where(filled.n_obs > 0, t_len - first, 0)
    # Carried-forward values count too: a row is logged only if all it shows is positive.
    log_rows = (filled.n_obs > 0) & np.all(z > 0, axis=1)
    z = np.where(log_rows[:, None], np.log(np.where(log_rows[:, None], z, 1.0)), z)
    seasonal = fm.seasonal_test(z, first, m) if m > 1 else np.zeros(n, dtype=bool)

    za, comp = _adjusted(z, first, m, seasonal, cycles)
    strength = fm.seasonal_strength(z, first, m, seasonal, comp)
    strong = seasonal & (strength >= STRONG_SEASON)
    p_plain = fit_params(z, first)
    p_seas = p_plain
    if seasonal.any():
        rows = np.flatnonzero(seasonal)
        sub = fit_params(za[rows], first[rows])
        p_seas = Params(*(getattr(p_plain, f).copy() for f in ("alpha", "beta", "phi", "drift")))
        for f in ("alpha", "beta", "phi", "drift"):
            getattr(p_seas, f)[rows] = getattr(sub, f)
    params = _concat(p_plain, p_seas)
    n_cand = 2 * N_METHODS

    keep = h + ERROR_ORIGINS
    fc, lv, tr = _candidates(z, first, m, seasonal, params, h, cycles, keep)
    sn_specs = _seasonal_means(m, extra_seasons)
    sn_ok = np.stack([seasonal & (span >= (c + 1) * p) for p, c in sn_specs], axis=1) \
        if sn_specs else np.zeros((n, 0), dtype=bool)
    fc_sn = _sn_paths(z, t_len, sn_specs, h)
    fc = np.concatenate([fc, fc_sn], axis=1)

    # True holdout: cut o·hl steps, refit the seasonal component and the states (with the
    # grid's parameters), forecast the cut part and compare on the original scale.
    n_sn = len(sn_specs)
    abs_err = np.zeros((n, n_cand + n_sn))
    n_err = np.zeros(n)
    hold_err: list[FloatArray] = []
    for o in range(1, HOLDOUT_ORIGINS + 1):
        end = t_len - o * hl
        if end < MIN_FIT_POINTS:
            break
        zc = z[:, :end]
        fc_o, _, _ = _candidates(zc, np.minimum(first, end - 1), m, seasonal, params, hl,
                                 cycles, 1)
        fc_o = np.concatenate([fc_o, _sn_paths(zc, end, sn_specs, hl)], axis=1)
        actual = z[:, end:end + hl]
        usable = (end - first) >= MIN_FIT_POINTS
        lev_f = np.where(log_rows[:, None, None], np.exp(np.minimum(fc_o, 700.0)), fc_o)
        # exp only where the row is on the log scale: elsewhere it would overflow.
        lev_a = np.where(log_rows[:, None], np.exp(np.where(log_rows[:, None], actual, 0.0)),
                         actual)
        err = np.abs(lev_a[:, None, :] - lev_f).sum(axis=2)
        abs_err += np.where(usable[:, None], err, 0.0)
        n_err += np.where(usable, hl, 0)
        hold_err.append(np.where(usable[:, None, None], actual[:, None, :] - fc_o, np.nan))

    # Weights: the two best candidates by holdout MAE, weighted by 1 / MAE. Without a
    # usable holdout (short series), an equal mix of the three plain methods.
    mae = abs_err / np.maximum(n_err, 1)[:, None]
    mae[~seasonal, N_METHODS:] = np.inf  # duplicates of the plain candidates
    mae[:, n_cand:][~sn_ok] = np.inf
    # A series whose season explains most of its movement is never forecast without it:
    # on a short holdout a flat line can beat a misaligned season by luck, and then sits
    # at a night-time low for the whole next day.
    mae[strong, :N_METHODS] = np.inf
    rank = np.argsort(np.argsort(mae, axis=1), axis=1)
    w = np.where(rank < 2, 1.0 / np.maximum(mae, 1e-12), 0.0)
    w = np.where(np.isfinite(w), w, 0.0)
    fallback = np.zeros(n_cand + n_sn)
    fallback[:N_METHODS] = 1.0
    no_hold = (n_err == 0) | (w.sum(axis=1) <= 0)
    w = np.where(no_hold[:, None], fallback, w)
    w /= w.sum(axis=1, keepdims=True)
    center = np.einsum("nc,nch->nh", w, fc)

    # Spread of the combination at each horizon: the RMS of its multi-step errors from the
    # last ERROR_ORIGINS in-sample origins (states kept at columns t_len − keep …) pooled
    # with its holdout errors. Many origins matter: a spread estimated from a handful of
    # errors is noisy, and noise in the spread shows up as under-coverage.
    # The weights sum to 1, so the combination's error is (weighted target) − (weighted
    # forecast), and both collapse over candidates before the per-horizon loop.
    ds_all = fm.damp_sums(params.phi, h)  # n × C × h
    w_sn = w[:, n_cand:]
    w = w[:, :n_cand]
    w_seas = w[:, N_METHODS:].sum(axis=1, keepdims=True)
    tgt = (1.0 - w_seas) * z + w_seas * za  # seasonal means forecast z itself
    wl = np.einsum("nc,ncq->nq", w, lv)
    wdrift = np.einsum("nc,nc->n", w, params.drift)[:, None]
    # At most three candidates carry weight (two best, or the three plain methods), so the
    # trend term only needs those three: gather them once instead of summing six.
    top = np.argsort(-w, axis=1)[:, :N_METHODS]
    w3 = np.take_along_axis(w, top, axis=1)
    tr3 = np.take_along_axis(tr, top[:, :, None], axis=1)
    ds3 = np.take_along_axis(ds_all, top[:, :, None], axis=1)
    scale = np.full((n, h), np.nan)
    df = np.full((n, h), np.nan)
    ks = spread_steps(h)
    for k in ks:
        lo = keep - k - ERROR_ORIGINS  # the last origins with a k-step target
        q = np.arange(lo, keep - k)
        ocol = t_len - keep + q
        wds = w3 * ds3[:, :, k - 1]
        wt = sum(wds[:, j, None] * tr3[:, j, lo:keep - k] for j in range(N_METHODS))
        e = tgt[:, np.maximum(ocol + k, 0)] - (wl[:, lo:keep - k] + wt + k * wdrift)
        for j, (p, c) in enumerate(sn_specs):
            if np.any(w_sn[:, j] > 0):
                e -= w_sn[:, j, None] * fm.seasonal_mean_forecast(z, ocol, k, p, c)
        e = np.where((ocol[None, :] - first[:, None]) >= 2, e, np.nan)
        hs = [np.einsum("nc,nc->n", np.concatenate([w, w_sn], axis=1),
                        he[:, :, k - 1])[:, None] for he in hold_err
              if k <= he.shape[2]]
        s = np.concatenate([e, *hs], axis=1)
        cnt = np.sum(~np.isnan(s), axis=1)
        msq = np.nansum(s * s, axis=1) / np.maximum(cnt, 1)
        scale[:, k - 1] = np.where(cnt >= 3, np.sqrt(msq), np.nan)
        df[:, k - 1] = error_df(cnt, int(k))
    if ks.size < h:
        scale = _fill_between(scale, ks)
        df = _df_steps(df, ks)
    # The law is Student-t only where the scale comes from the row's own errors; the
    # random-walk fallback and the short-history floor (already t-inflated) stay normal.
    df = np.where(np.isnan(scale) | (span < SHORT_SPAN)[:, None], np.inf, df)
    df = np.where(np.isnan(df), np.inf, df)
    # Too few error samples: fall back to a random walk's sd, sqrt(k) · RMS step.
    steps = np.diff(z, axis=1)
    inside = np.arange(1, t_len)[None, :] > first[:, None]
    with np.errstate(invalid="ignore"):
        rms = np.sqrt(np.sum(np.where(inside, steps * steps, 0.0), axis=1)
                      / np.maximum(span - 1, 1))
    rw = rms[:, None] * np.sqrt(np.arange(1, h + 1))
    scale = np.where(np.isnan(scale), rw, scale)
    scale = _short_floor(scale, z, first, span, inside)
    scale = np.fmax.accumulate(scale, axis=1)  # uncertainty never shrinks with horizon
    scale = np.where((span >= 2)[:, None], scale, np.nan)
    center = np.where((span >= 1)[:, None], center, np.nan)
    return BlockResult(center=center[:, :h_out], scale=scale[:, :h_out], df=df[:, :h_out],
                       log_rows=log_rows, seasonal=seasonal)
