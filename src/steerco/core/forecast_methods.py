"""Numpy kernels behind `steerco.core.forecast`: filling, seasonality, smoothing, errors.

Everything here works on a whole block of series at once (rows = series, columns = time,
latest value in the last column), because the engine forecasts every metric of a
workspace in one call. We write the smoothing recursions ourselves in numpy instead of
calling statsforecast: statsforecast fits one series at a time (~2 ms each, plus numba,
pandas and ~550 MB of dependencies), whereas one numpy recursion over a
(series × parameter-grid) array advances every series and every candidate parameter
set in the same vector operation, so 100,000 series cost a few seconds.

Internal module: shapes and invariants are checked by the public functions in
`forecast.py`, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: One-sided 90% normal quantile of M4's seasonality test (Theta/Naive2 benchmarks).
SEASONAL_TEST_Z = 1.645


@dataclass(frozen=True)
class Filled:
    """A history block with its gaps filled, ready for the recursions.

    `z` has no NaN: internal gaps are carried forward (a missing check-in means "no news",
    the last known value still stands) and the left padding holds the first observed
    value, which makes every smoothing recursion below a no-op until the series starts
    (level = first value, trend = 0, error = 0), so ragged starts need no masking.
    """

    z: FloatArray  # n × T, no NaN (all-NaN rows are 0)
    first: IntArray  # column of the first observation (T when none)
    n_obs: IntArray  # number of actual (non-NaN) observations
    span: IntArray  # T − first: length of the filled series


def fill(y: FloatArray) -> Filled:
    """Carry values forward over gaps and back over the left padding (see `Filled`)."""
    n, t_len = y.shape
    valid = ~np.isnan(y)
    n_obs = valid.sum(axis=1).astype(np.int64)
    cols = np.arange(t_len)
    last_idx = np.where(valid, cols, -1)
    np.maximum.accumulate(last_idx, axis=1, out=last_idx)
    first = np.where(n_obs > 0, np.argmax(valid, axis=1), t_len).astype(np.int64)
    rows = np.arange(n)[:, None]
    z = y[rows, np.maximum(last_idx, 0)]
    first_val = y[np.arange(n), np.minimum(first, t_len - 1)] if t_len else np.zeros(n)
    z = np.where(last_idx >= 0, z, first_val[:, None])
    z = np.where(np.isnan(z), 0.0, z)  # only all-NaN rows are still NaN here
    return Filled(z=z, first=first, n_obs=n_obs, span=(t_len - first).astype(np.int64))


def seasonal_test(z: FloatArray, first: IntArray, m: int) -> BoolArray:
    """M4's autocorrelation test for seasonality at lag m, at 90%, for every row.

    A row is seasonal when |r_m| > 1.645·sqrt((1 + 2·Σ_{k<m} r_k²)/n) (Bartlett's limit,
    as in the M4 Theta and Naive2 benchmarks). Rows with fewer than 3·m values, or m ≤ 1,
    are never seasonal: two cycles are too few to tell a season from noise.
    """
    n, t_len = z.shape
    span = t_len - first
    ok = span >= 3 * m
    if m <= 1 or not ok.any():
        return np.zeros(n, dtype=bool)
    inside = np.arange(t_len)[None, :] >= first[:, None]
    mean = np.sum(np.where(inside, z, 0.0), axis=1) / np.maximum(span, 1)
    xc = np.where(inside, z - mean[:, None], 0.0)
    denom = np.sum(xc * xc, axis=1)
    acf = np.empty((n, m))
    for k in range(1, m + 1):
        acf[:, k - 1] = np.einsum("ij,ij->i", xc[:, k:], xc[:, :-k])
    with np.errstate(invalid="ignore", divide="ignore"):
        acf /= denom[:, None]
        limit = SEASONAL_TEST_Z * np.sqrt((1.0 + 2.0 * np.sum(acf[:, :-1] ** 2, axis=1))
                                          / np.maximum(span, 1))
        seasonal: BoolArray = ok & (denom > 0) & (np.abs(acf[:, -1]) > limit)
    return seasonal


def seasonal_component(z: FloatArray, first: IntArray, m: int, seasonal: BoolArray,
                       max_cycles: int) -> FloatArray:
    """Additive seasonal component per phase (n × m; phase of column j is j mod m).

    Classical decomposition: the centred moving average (2×m for even m) is the trend,
    the seasonal effect of a phase is the mean detrended value at that phase over the
    last `max_cycles` cycles (recent cycles only, because business seasonality drifts),
    centred to sum to 0. Rows that are not `seasonal` get zeros. Applied to log values
    this is M4's multiplicative decomposition.
    """
    n, t_len = z.shape
    out = np.zeros((n, m))
    rows = np.flatnonzero(seasonal)
    if m <= 1 or rows.size == 0:
        return out
    zs = z[rows]
    fs = first[rows]
    csum = np.concatenate([np.zeros((rows.size, 1)), np.cumsum(zs, axis=1)], axis=1)
    # Moving average of order m starting at column j: (csum[j+m] − csum[j]) / m.
    ma = (csum[:, m:] - csum[:, :-m]) / m  # columns j = 0 … T−m
    if m % 2 == 0:
        cma = 0.5 * (ma[:, :-1] + ma[:, 1:])  # centred at j + m/2
        start_off = m // 2
    else:
        cma = ma
        start_off = (m - 1) // 2
    centre = np.arange(cma.shape[1]) + start_off  # column each CMA value is centred on
    window_start = centre - start_off
    inside = window_start[None, :] >= fs[:, None]
    recent = centre[None, :] >= (t_len - max_cycles * m - start_off)
    detr = np.where(inside & recent, zs[:, centre] - cma, np.nan)
    phase = centre % m
    sums = np.zeros((rows.size, m))
    counts = np.zeros((rows.size, m))
    good = ~np.isnan(detr)
    for p in range(m):
        sel = phase == p
        sums[:, p] = np.sum(np.where(good[:, sel], detr[:, sel], 0.0), axis=1)
        counts[:, p] = np.sum(good[:, sel], axis=1)
    with np.errstate(invalid="ignore"):
        comp = sums / counts
    comp = np.where(np.isnan(comp), 0.0, comp)
    comp -= comp.mean(axis=1, keepdims=True)
    out[rows] = comp
    return out


def ols_slope(z: FloatArray, first: IntArray) -> FloatArray:
    """Least-squares slope per time step of each row over its observed span."""
    t_len = z.shape[1]
    cols = np.arange(t_len, dtype=np.float64)[None, :]
    inside = cols >= first[:, None]
    cnt = np.maximum(inside.sum(axis=1), 1)
    tm = np.sum(np.where(inside, cols, 0.0), axis=1) / cnt
    zm = np.sum(np.where(inside, z, 0.0), axis=1) / cnt
    tc = np.where(inside, cols - tm[:, None], 0.0)
    sxx = np.sum(tc * tc, axis=1)
    sxy = np.sum(tc * (z - zm[:, None]), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)


def smooth_grid(z: FloatArray, first: IntArray, alpha: FloatArray, beta: FloatArray,
                phi: FloatArray, drift: FloatArray) -> FloatArray:
    """Sum of squared one-step errors for every row × candidate (n × G).

    One recursion covers SES (beta = 0, phi = 1), SES with drift = the Theta method
    (beta = 0, phi = 1, a fixed drift per row) and damped Holt (beta > 0, phi < 1), in
    error-correction form: f = l + phi·b + drift; e = y − f; l = f + alpha·e;
    b = phi·b + beta·e. `alpha`, `beta`, `phi` are per candidate (G,), `drift` is n × G.
    Drift only applies once a row has started, so the left fill stays a no-op.

    The search runs in float32 on rows standardised to mean 0, sd 1: the recursions are
    affine-equivariant, so the ranking of candidates is unchanged, and float32 halves the
    memory traffic of this, the engine's hottest loop.
    """
    n, t_len = z.shape
    g = alpha.size
    mu = z.mean(axis=1, keepdims=True)
    sd = z.std(axis=1, keepdims=True)
    sd = np.where(sd > 0, sd, 1.0)
    zs = ((z - mu) / sd).astype(np.float32)
    dr = (drift / sd).astype(np.float32)
    a32, b32, p32 = (x.astype(np.float32) for x in (alpha, beta, phi))
    level = np.repeat(zs[:, :1], g, axis=1)
    trend = np.zeros((n, g), dtype=np.float32)
    sse = np.zeros((n, g), dtype=np.float32)
    f = np.empty((n, g), dtype=np.float32)
    e = np.empty((n, g), dtype=np.float32)
    tmp = np.empty((n, g), dtype=np.float32)
    has_drift = bool(np.any(dr != 0))
    started = (first[None, :] < np.arange(t_len)[:, None]).astype(np.float32)  # T × n
    zt = np.ascontiguousarray(zs.T)
    for t in range(1, t_len):
        np.multiply(trend, p32, out=f)
        f += level
        if has_drift:
            np.multiply(dr, started[t][:, None], out=tmp)
            f += tmp
        np.subtract(zt[t][:, None], f, out=e)
        np.multiply(e, e, out=tmp)
        sse += tmp
        np.multiply(e, a32, out=tmp)
        np.add(f, tmp, out=level)
        trend *= p32
        np.multiply(e, b32, out=tmp)
        trend += tmp
    return sse.astype(np.float64)


def smooth_states(z: FloatArray, first: IntArray, alpha: FloatArray, beta: FloatArray,
                  phi: FloatArray, drift: FloatArray, keep: int,
                  ) -> tuple[FloatArray, FloatArray]:
    """Run the recursion with per-row, per-candidate parameters and keep the last states.

    `z` is n × C × T (each candidate may smooth a different series, e.g. seasonally
    adjusted or not); parameters are n × C. Returns (level, trend), each n × C × keep:
    the states after each of the last `keep` columns (the last one is the forecast
    origin); columns before the history starts hold the initial state.
    """
    n, c, t_len = z.shape
    zt = np.ascontiguousarray(np.moveaxis(z, 2, 0))  # T × n × C: each step is contiguous
    level = zt[0].copy()
    trend = np.zeros((n, c))
    lv = np.empty((keep, n, c))
    tr = np.empty((keep, n, c))
    keep_from = t_len - keep
    if keep_from < 1:
        lv[: 1 - keep_from] = level
        tr[: 1 - keep_from] = 0.0
    f = np.empty((n, c))
    e = np.empty((n, c))
    tmp = np.empty((n, c))
    started = (first[None, :] < np.arange(t_len)[:, None]).astype(np.float64)  # T × n
    has_drift = bool(np.any(drift != 0))
    for t in range(1, t_len):
        np.multiply(trend, phi, out=f)
        f += level
        if has_drift:
            np.multiply(drift, started[t][:, None], out=tmp)
            f += tmp
        np.subtract(zt[t], f, out=e)
        np.multiply(e, alpha, out=tmp)
        np.add(f, tmp, out=level)
        trend *= phi
        np.multiply(e, beta, out=tmp)
        trend += tmp
        if t >= keep_from:
            lv[t - keep_from] = level
            tr[t - keep_from] = trend
    return np.moveaxis(lv, 0, 2), np.moveaxis(tr, 0, 2)


def damp_sums(phi: FloatArray, h: int) -> FloatArray:
    """Σ_{i=1..k} phi^i for k = 1 … h, broadcast over phi's shape (… × h)."""
    powers = phi[..., None] ** np.arange(1, h + 1)
    return np.cumsum(powers, axis=-1)


def seasonal_strength(z: FloatArray, first: IntArray, m: int, seasonal: BoolArray,
                      comp: FloatArray) -> FloatArray:
    """Share of the detrended variance that the seasonal component explains (0 … 1).

    Hyndman's strength of seasonality, max(0, 1 − Var(remainder) / Var(detrended)), over
    each row's observed span, with the centred moving average of order m as the trend and
    `comp` (n × m, from `seasonal_component`) as the season. Rows that are not `seasonal`
    get 0. Near 1 the daily swing dwarfs everything else: a forecast without it is wrong
    by the whole swing at every step, whatever a short holdout says.
    """
    n, t_len = z.shape
    out = np.zeros(n)
    rows = np.flatnonzero(seasonal)
    if m <= 1 or rows.size == 0 or t_len <= m:
        return out
    zs = z[rows]
    csum = np.concatenate([np.zeros((rows.size, 1)), np.cumsum(zs, axis=1)], axis=1)
    ma = (csum[:, m:] - csum[:, :-m]) / m
    if m % 2 == 0:
        cma, off = 0.5 * (ma[:, :-1] + ma[:, 1:]), m // 2
    else:
        cma, off = ma, (m - 1) // 2
    centre = np.arange(cma.shape[1]) + off
    inside = (centre - off)[None, :] >= first[rows][:, None]
    detr = np.where(inside, zs[:, centre] - cma, np.nan)
    rem = detr - comp[rows][:, centre % m]
    with np.errstate(invalid="ignore", divide="ignore"):
        v_d = np.nanvar(detr, axis=1)
        v_r = np.nanvar(rem, axis=1)
        s = np.where(v_d > 0, 1.0 - v_r / np.where(v_d > 0, v_d, 1.0), 0.0)
    out[rows] = np.clip(np.nan_to_num(s), 0.0, 1.0)
    return out


def seasonal_mean_forecast(z: FloatArray, ocol: IntArray, k: int, period: int,
                           cycles: int) -> FloatArray:
    """k-step forecasts of the seasonal mean from origins `ocol` (n × len(ocol)).

    The forecast made after column o for column o + k is the mean of the values at the
    same phase in the last `cycles` complete cycles of `period` before o (cycles = 1 is
    the seasonal naive). On log values it is the geometric mean, which keeps a series
    that swings from 10 at night to 3,000 by day on both ends of its swing. Columns left
    of the series (short rows) clip to column 0, the filled first value; callers only
    use rows whose history covers `cycles` periods.
    """
    back = period * (-(-k // period))  # the same phase in the last complete cycle
    acc = np.zeros((z.shape[0], ocol.size))
    for j in range(cycles):
        acc += z[:, np.maximum(ocol + k - back - j * period, 0)]
    return acc / cycles
