"""How each demo metric behaves, and so which status the engine should give it.

The demo must look like a company that mostly delivers: a newcomer judging steerco on a
demo where everything is red concludes that the engine marks everything red. So the mix
is written here, as explicit behaviours with exact quotas, and each behaviour is drawn
in units of the metric's own tolerance band (the quantity the status rule compares), not
of its baseline-to-target spread — a deviation of "8 % of the spread" is a rounding error
on one metric and a breach on another.

Intended mix (engine statuses, tested on `s` and `m` in tests/demo/test_mix.py):

| behaviour  | share  | the history                                    | intended status  |
|------------|--------|------------------------------------------------|------------------|
| on plan    | 59 %   | the plan, 0.2–0.7 band ahead, noise 0.12 band  | on track         |
| seasonal   |  4 %   | on plan with a December peak the good way      | on track         |
| noisy      |  3 %   | on plan, noise 0.8 band                        | mostly on track  |
| slowing    | 17 %   | ahead, flat for 4 weeks: at plan, forecast low | at risk          |
| stalled    |  4.5 % | progress stopped at 10–45 % of the way         | off track        |
| drifting   |  4.5 % | progress slowing to 20–60 % by the target      | off track        |
| stale      |  5 %   | on plan, but the check-ins stopped months ago  | stale            |
| no data    |  3 %   | never checked in                               | no data          |

Measured with the engine (seed 7): `s` 60 % on track (+4 % achieved), 16 % at risk, 12 %
off track, 5 % stale, 2 % no data; `m` 60 % (+6 %), 16 %, 9 %, 5 %, 3 %. Not every
behaviour lands on its intended status (a noisy week, a forecaster that damps a short
trend): the test checks the engine's shares, not the behaviours.
Metrics whose target day has passed (last quarter's key results) are on plan: their
status is achieved (or, rarely, missed by noise).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ON_PLAN, DRIFTING, STALLED, NOISY, SEASONAL, STALE, NO_DATA, SLOWING = range(8)
#: Share of each behaviour (indexed by the constants above).
MIX = {ON_PLAN: 0.59, SEASONAL: 0.04, NOISY: 0.03, SLOWING: 0.17, STALLED: 0.045,
       DRIFTING: 0.045, STALE: 0.05, NO_DATA: 0.03}
#: Behaviours meant to end on track (used where a history must be judgeable and green).
GREEN = (ON_PLAN, SEASONAL)
#: The default tolerance of the status rule where a metric has none (5 % of plan).
DEFAULT_TOLERANCE = 0.05


def assign(rng: np.random.Generator, n: int, target_passed: npt.NDArray[np.bool_]) -> IntArray:
    """Return one behaviour per metric with exact quotas (rounded), shuffled.

    Metrics whose target day has passed are on plan (their status is final anyway); the
    quotas of the other behaviours are filled from the rest.
    """
    counts = {b: round(share * n) for b, share in MIX.items() if b != ON_PLAN}
    pool = np.concatenate([np.full(c, b, np.int64) for b, c in counts.items()])
    out = np.full(n, ON_PLAN, np.int64)
    free = rng.permutation(np.flatnonzero(~target_passed))
    k = min(len(pool), len(free))
    out[free[:k]] = rng.permutation(pool)[:k]
    return out


def band_of(plan: FloatArray, tol: FloatArray, absolute: npt.NDArray[np.bool_]) -> FloatArray:
    """The tolerance half-width around `plan`, as the status rule computes it."""
    rel = np.where(np.isfinite(tol), tol, DEFAULT_TOLERANCE)
    return np.where(absolute & np.isfinite(tol), tol, rel * np.abs(plan))


def values(rng: np.random.Generator, info: dict[str, np.ndarray], behaviour: IntArray,
           midx: IntArray, d: IntArray, z: FloatArray, a: int) -> FloatArray:
    """Every measurement's value (before the causal links add their part).

    ``midx``/``d``: metric and day of each measurement; ``z``: standard normal noise per
    measurement; ``a``: the demo's today.
    """
    n = len(behaviour)
    direction = info["direction"][midx]
    good = np.where(direction % 2 == 0, 1.0, -1.0)
    stay = direction >= 2
    base, goal = info["baseline"][midx], info["target"][midx]
    b, t = info["b_day"][midx], info["t_day"][midx]
    frac = np.clip((d - b) / np.maximum(t - b, 1), 0.0, 1.0)
    pf = np.where(info["phased"][midx], frac ** 1.5, frac)
    # The plan the engine will hold the metric to: linear (or phased) from baseline to
    # target; flat at the target for the stay-at-or-… directions.
    plan = np.where(stay, goal, base + pf * (goal - base))
    band = band_of(plan, info["tol"][midx], info["pct"][midx])
    beh = behaviour[midx]
    ahead_m = rng.uniform(0.2, 0.7, n)
    ahead = ahead_m[midx]
    # A stay-at-or-… metric was at its baseline before its period and moved past the
    # target within four weeks of it: its level is measured from there.
    settle = np.clip((d - b) / 28.0, 0.0, 1.0)
    lead = np.where(stay, base + settle * (goal + good * ahead * band - base),
                    plan + good * ahead * band)
    # Slowing: well ahead of plan until four weeks ago, flat since; today still at or a
    # little ahead of plan, while a forecast of the flat recent weeks falls short: plan
    # and forecast disagree, which the status rule calls at risk.
    held = np.minimum(d, a - 28)
    frac_h = np.clip((held - b) / np.maximum(t - b, 1), 0.0, 1.0)
    pf_h = np.where(info["phased"][midx], frac_h ** 1.5, frac_h)
    frac_a = np.clip((a - b) / np.maximum(t - b, 1), 0.0, 1.0)
    pf_a = np.where(info["phased"][midx], frac_a ** 1.5, frac_a)
    lead_by = (pf_a - pf_h) * np.abs(goal - base) + rng.uniform(0.0, 0.3, n)[midx] * band
    slowing = np.where(stay, base + settle * (goal - base),
                       base + pf_h * (goal - base) + good * lead_by)
    stall = rng.uniform(0.1, 0.45, n)[midx]
    drift = rng.uniform(0.4, 0.8, n)[midx]
    stalled = np.where(stay, goal - good * rng.uniform(1.5, 3.0, n)[midx] * band * settle,
                       base + np.minimum(pf, stall) * (goal - base))
    drifting = np.where(stay, goal + good * (0.5 - 3.0 * frac) * band * settle,
                        base + pf * (1 - drift * pf) * (goal - base))
    doy = (d.astype("datetime64[D]") - d.astype("datetime64[D]").astype("datetime64[Y]")
           ).astype(np.int64)
    peak = np.exp(-0.5 * ((doy - 348) / 14.0) ** 2)  # December peak
    value = np.select(
        [beh == SLOWING, beh == STALLED, beh == DRIFTING, beh == SEASONAL],
        [slowing, stalled, drifting, lead + good * 0.8 * band * peak], lead)
    noise = np.where(beh == NOISY, 0.8, 0.12) * band
    return np.asarray(value + noise * z, dtype=np.float64)
