"""Do the causal links hold? A lagged correlation test of the driver and driven histories.

A causal link says "driver moves driven, with this sign, after this lag". We test it on
the evidence: both histories are resampled to one common grid (the coarser of the two
cadences, ``window_years`` back from ``as_of``, each step taking its last observation),
turned into step-to-step *changes* (levels of two trending series correlate whatever
drives them; changes do not), and the driver's change ``k`` steps earlier (``k`` = the
lag in steps, rounded) is correlated with the driven change now (Pearson r; the p-value
is two-sided, from Student's t with n − 2 degrees of freedom, `scipy.stats.t`).

A link is *judged* when at least ``min_points`` pairs overlap. It *holds* when r is
significant (p < ``alpha``) and has the link's sign. A judged link that does not hold is
a finding: ``wrong_sign`` when r is significant with the opposite sign (critical: the
driver tree is wrong), else ``not_significant`` (warning). Links with too little
evidence are not judged and raise nothing.

Everything is vectorised per (grid step, lag) group: a workspace has few cadences and
lags, so the groups are few and large.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from steerco.core.arrays import concat_ranges
from steerco.core.finding import FindingBatch, batch
from steerco.core.forecast_resample import resample_ragged
from steerco.core.snapshot import Snapshot

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CausalLinks:
    """Links by key, with their ends as snapshot metric rows (-1: unknown metric)."""

    ids: IntArray
    driver: IntArray
    driven: IntArray
    sign: IntArray  # +1 / -1
    lag_days: IntArray

    @property
    def n(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True, slots=True)
class CausalSettings:
    """``alpha``: significance level; ``min_points``: overlapping changes needed to judge;
    ``window_years``: history used."""

    alpha: float = 0.05
    min_points: int = 8
    window_years: float = 3.0


@dataclass(frozen=True)
class CausalTest:
    """Per link: Pearson r of the lagged changes, its p-value, pairs used, lag in steps,
    and whether it was judged and holds (r, p NaN when not judged)."""

    r: FloatArray
    p_value: FloatArray
    n: IntArray
    lag_steps: IntArray
    step_days: IntArray
    judged: BoolArray
    holds: BoolArray


def pearson_rows(x: FloatArray, y: FloatArray) -> tuple[FloatArray, IntArray]:
    """Row-wise Pearson r of two equally shaped 2-d arrays over the pairs both finite.

    Returns (r, n); r is NaN with fewer than 3 pairs or a constant row.
    """
    ok = np.isfinite(x) & np.isfinite(y)
    n = ok.sum(axis=1)
    xs = np.where(ok, x, 0.0)
    ys = np.where(ok, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = xs.sum(axis=1) / n
        my = ys.sum(axis=1) / n
        dx = np.where(ok, x - mx[:, None], 0.0)
        dy = np.where(ok, y - my[:, None], 0.0)
        sxy = (dx * dy).sum(axis=1)
        sxx = (dx * dx).sum(axis=1)
        syy = (dy * dy).sum(axis=1)
        r = sxy / np.sqrt(sxx * syy)
    r = np.where((n >= 3) & (sxx > 0) & (syy > 0), np.clip(r, -1.0, 1.0), np.nan)
    return r, n.astype(np.int64)


def p_values(r: FloatArray, n: IntArray) -> FloatArray:
    """Two-sided p-value of Pearson r with n pairs (Student's t, n − 2 dof)."""
    dof = np.maximum(n - 2, 1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt(dof / np.maximum(1.0 - r * r, 1e-300))
    p = 2.0 * stats.t.sf(np.abs(t), dof)
    return np.where(np.isfinite(r) & (n >= 3), p, np.nan)


def check_links(snap: Snapshot, links: CausalLinks, as_of: int,
               settings: CausalSettings = CausalSettings()) -> CausalTest:
    """Run the lagged correlation test of every link (see the module docstring).

    Contract: links with an unknown end, or whose ends are the same metric, are not
    judged. Evidence after ``as_of`` is ignored. Pure apart from folding the snapshot's
    check-in overlay into its arrays (`Snapshot.compact`).
    """
    snap.compact()
    n = links.n
    r = np.full(n, np.nan)
    pv = np.full(n, np.nan)
    cnt = np.zeros(n, dtype=np.int64)
    cad = snap.metrics.cadence_days
    ok = (links.driver >= 0) & (links.driven >= 0) & (links.driver != links.driven)
    step = np.where(ok, np.maximum(cad[np.maximum(links.driver, 0)],
                                   cad[np.maximum(links.driven, 0)]), 0)
    step = np.maximum(step, 1)
    lag = np.maximum(np.rint(np.maximum(links.lag_days, 0) / step), 0).astype(np.int64)
    h = snap.history
    for c in np.unique(step[ok]):
        c = int(c)
        steps = max(int(settings.window_years * 365 // c), settings.min_points + 2)
        in_c = ok & (step == c)
        for k in np.unique(lag[in_c]):
            k = int(k)
            sel = np.flatnonzero(in_c & (lag == k))
            if k >= steps - 2:
                continue
            rows = np.concatenate([links.driver[sel], links.driven[sel]])
            lo, hi = h.offsets[rows], h.offsets[rows + 1]
            off = np.concatenate([[0], np.cumsum(hi - lo)])
            idx = concat_ranges(lo, hi)
            grid = resample_ragged(h.values[idx], h.days[idx], off, c, as_of, steps)
            d = np.diff(grid, axis=1)
            dx, dy = d[: sel.size], d[sel.size:]
            x = dx[:, : d.shape[1] - k]
            y = dy[:, k:]
            rr, nn = pearson_rows(x, y)
            r[sel], cnt[sel] = rr, nn
            pv[sel] = p_values(rr, nn)
    judged = ok & (cnt >= settings.min_points) & np.isfinite(r)
    with np.errstate(invalid="ignore"):
        holds = judged & (pv < settings.alpha) & (np.sign(r) == np.sign(links.sign))
    return CausalTest(r=np.where(judged, r, np.nan), p_value=np.where(judged, pv, np.nan),
                      n=cnt, lag_steps=lag, step_days=step.astype(np.int64),
                      judged=judged, holds=holds)


def causal_findings(snap: Snapshot, links: CausalLinks, test: CausalTest,
                    settings: CausalSettings = CausalSettings()) -> FindingBatch:
    """``causal_link_not_holding``: a judged link whose lagged correlation is not
    significant (warning) or significant with the wrong sign (critical)."""
    with np.errstate(invalid="ignore"):
        wrong = test.judged & (test.p_value < settings.alpha) & (
            np.sign(test.r) != np.sign(links.sign))
    fire = test.judged & ~test.holds
    owner = np.where(links.driven >= 0, snap.metrics.owner[np.maximum(links.driven, 0)], -1)
    drv_key = np.where(links.driver >= 0, snap.metrics.ids[np.maximum(links.driver, 0)], -1)
    dvn_key = np.where(links.driven >= 0, snap.metrics.ids[np.maximum(links.driven, 0)], -1)
    verdict = np.where(wrong, "wrong_sign", "not_significant")
    return batch("causal_link_not_holding", "causal_link", fire, links.ids, owner,
                 np.where(wrong, 3, 2),
                 "The evidence does not support this driver ({verdict}): lagged "
                 "correlation r = {r} (p = {p_value}, {n} changes, expected sign "
                 "{sign:+d})", verdict=verdict, r=test.r, p_value=test.p_value, n=test.n,
                 sign=links.sign, lag_steps=test.lag_steps, step_days=test.step_days,
                 driver=drv_key, driven=dvn_key)
