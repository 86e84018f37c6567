"""Are stated probabilities honest? Brier score, calibration error, reliability, per owner.

A probability is calibrated when, of all the times it said 70 %, about 70 % came true.
`reliability` scores any set of (probability, outcome) pairs — the engine's P(hit) in
bench/calibration.py, or the confidences owners type at check-in — and
`owner_calibration` groups them per person, so a strategy office can see who is
reliably optimistic. Pure numpy, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from steerco.core.graph import as_index

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Equal-width probability bins of the reliability table (deciles).
BINS = 10


@dataclass(frozen=True)
class Reliability:
    """Brier score, expected calibration error and the table behind it.

    ``table`` rows: (bin low, bin high, count, mean probability, share that came true);
    empty bins are left out. ECE = Σ count/N · |mean probability − share true|.
    """

    n: int
    brier: float
    ece: float
    table: list[tuple[float, float, int, float, float]]


def reliability(p: npt.ArrayLike, outcome: npt.ArrayLike, bins: int = BINS) -> Reliability:
    """Score probabilities `p` against 0/1 `outcome`; NaN pairs are ignored."""
    pp = np.asarray(p, dtype=np.float64).ravel()
    oo = np.asarray(outcome, dtype=np.float64).ravel()
    ok = ~np.isnan(pp) & ~np.isnan(oo)
    pp, oo = np.clip(pp[ok], 0.0, 1.0), oo[ok]
    if pp.size == 0:
        return Reliability(0, float("nan"), float("nan"), [])
    edges = np.linspace(0.0, 1.0, bins + 1)
    b = np.clip(np.digitize(pp, edges) - 1, 0, bins - 1)
    cnt = np.bincount(b, minlength=bins)
    sp = np.bincount(b, weights=pp, minlength=bins)
    so = np.bincount(b, weights=oo, minlength=bins)
    table = []
    ece = 0.0
    for i in np.flatnonzero(cnt):
        mp, mo = sp[i] / cnt[i], so[i] / cnt[i]
        ece += cnt[i] / pp.size * abs(mp - mo)
        table.append((float(edges[i]), float(edges[i + 1]), int(cnt[i]), float(mp), float(mo)))
    return Reliability(int(pp.size), float(np.mean((pp - oo) ** 2)), float(ece), table)


@dataclass(frozen=True)
class OwnerCalibration:
    """Per owner (index = owner id 0 … k−1): how their stated confidences fared.

    ``bias`` = mean confidence − share hit: above 0 the owner is over-confident
    (optimistic), below 0 under-confident. ``brier_base`` is the Brier score of always
    saying the owner's own hit rate — a Brier score above it means the confidences
    carry less information than no opinion at all. NaN for owners without pairs.
    """

    count: IntArray
    brier: FloatArray
    brier_base: FloatArray
    mean_confidence: FloatArray
    hit_rate: FloatArray
    bias: FloatArray


def owner_calibration(owner: npt.ArrayLike, confidence: npt.ArrayLike,
                      hit: npt.ArrayLike, n_owners: int = 0) -> OwnerCalibration:
    """Group (owner, confidence, hit) triples per owner; NaN confidence/hit are skipped."""
    o = as_index(owner).ravel()
    c = np.asarray(confidence, dtype=np.float64).ravel()
    h = np.asarray(hit, dtype=np.float64).ravel()
    ok = (o >= 0) & ~np.isnan(c) & ~np.isnan(h)
    o, c, h = o[ok], np.clip(c[ok], 0.0, 1.0), h[ok]
    k = max(int(n_owners), int(o.max()) + 1 if o.size else 0)
    cnt = np.bincount(o, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.where(cnt > 0, cnt, np.nan)
        mean_c = np.bincount(o, weights=c, minlength=k) / n
        rate = np.bincount(o, weights=h, minlength=k) / n
        brier = np.bincount(o, weights=(c - h) ** 2, minlength=k) / n
        base = np.bincount(o, weights=(rate[o] - h) ** 2, minlength=k) / n
    return OwnerCalibration(count=cnt.astype(np.int64), brier=brier, brier_base=base,
                            mean_confidence=mean_c, hit_rate=rate, bias=mean_c - rate)
