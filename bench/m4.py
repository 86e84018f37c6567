"""M4 data loading and the competition's own scorer (sMAPE, MASE, OWA), as published.

The scorer follows the M4 organisers' R evaluation code (Mcompetitions/M4-methods):
- sMAPE per series = mean over the horizon of 200·|y − f| / (|y| + |f|);
- MASE per series = mean |y − f| over the horizon divided by the in-sample mean absolute
  seasonal difference mean(|x_t − x_{t−m}|), with m the competition's frequency for the
  subset (1 for Weekly, 4 Quarterly, 12 Monthly, 24 Hourly, 1 Yearly and Daily);
- both are averaged over series (no weighting), then rounded to 3 decimals in the tables.

Naive2 is the naive forecast of the seasonally adjusted series, where the seasonal
adjustment is a classical multiplicative decomposition applied only when the series
passes the 90% autocorrelation test at lag m. With m = 1 (Weekly) there is no
seasonality, so Naive2 = Naive = the last value repeated, which reproduces the published
9.161 / 2.777 exactly.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: The frequency M4 uses for MASE scaling and its seasonality test, per subset.
M4_FREQUENCY = {"Yearly": 1, "Quarterly": 4, "Monthly": 12, "Weekly": 1, "Daily": 1,
                "Hourly": 24}
M4_HORIZON = {"Yearly": 6, "Quarterly": 8, "Monthly": 18, "Weekly": 13, "Daily": 14,
              "Hourly": 48}


@dataclass(frozen=True)
class M4Subset:
    """One M4 subset: left-NaN-padded training matrix, test matrix and its settings."""

    ids: list[str]
    train: FloatArray  # n × T, NaN-padded on the left (latest value in the last column)
    test: FloatArray  # n × h
    frequency: int
    horizon: int


def _read_rows(path: Path) -> tuple[list[str], list[list[float]]]:
    ids: list[str] = []
    rows: list[list[float]] = []
    with path.open(newline="") as f:
        reader = csv.reader(f)
        next(reader)  # header V1, V2, …
        for rec in reader:
            ids.append(rec[0])
            rows.append([float(v) for v in rec[1:] if v not in ("", "NA")])
    return ids, rows


def left_padded(rows: list[list[float]]) -> FloatArray:
    """Stack ragged rows into an n × max_len matrix, NaN-padded on the left."""
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        if r:
            out[i, width - len(r):] = r
    return out


def load(m4_dir: Path, subset: str = "Weekly") -> M4Subset:
    """Load `<subset>-train.csv` and `<subset>-test.csv` from the M4 folder."""
    ids, train_rows = _read_rows(m4_dir / f"{subset}-train.csv")
    test_ids, test_rows = _read_rows(m4_dir / f"{subset}-test.csv")
    if ids != test_ids:
        raise ValueError("train and test files list different series")
    return M4Subset(ids=ids, train=left_padded(train_rows), test=np.array(test_rows),
                    frequency=M4_FREQUENCY[subset], horizon=M4_HORIZON[subset])


def smape_per_series(actual: FloatArray, forecast: FloatArray) -> FloatArray:
    """M4 sMAPE of each series (percent), averaged over the horizon."""
    return np.mean(200.0 * np.abs(actual - forecast) / (np.abs(actual) + np.abs(forecast)),
                   axis=1)


def mase_scale(train: FloatArray, m: int) -> FloatArray:
    """In-sample mean absolute m-step difference of each (left-NaN-padded) series."""
    diffs = np.abs(train[:, m:] - train[:, :-m])
    return np.nanmean(diffs, axis=1)


def mase_per_series(train: FloatArray, actual: FloatArray, forecast: FloatArray,
                    m: int) -> FloatArray:
    """M4 MASE of each series: out-of-sample MAE over the in-sample seasonal-naive MAE."""
    return np.mean(np.abs(actual - forecast), axis=1) / mase_scale(train, m)


def score(data: M4Subset, forecast: FloatArray) -> dict[str, float]:
    """Mean sMAPE and MASE over all series, as in the published tables (unrounded)."""
    return {
        "smape": float(np.mean(smape_per_series(data.test, forecast))),
        "mase": float(np.mean(mase_per_series(data.train, data.test, forecast,
                                              data.frequency))),
    }


def coverage(actual: FloatArray, lower: FloatArray, upper: FloatArray) -> float:
    """Share of test points inside [lower, upper]."""
    return float(np.mean((actual >= lower) & (actual <= upper)))


def _classical_seasonal_index(x: FloatArray, m: int) -> FloatArray:
    """Multiplicative seasonal indices of one series (classical decomposition, as M4)."""
    n = x.size
    # Centred moving average of order m (2×m for even m), as R's decompose().
    w = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(x, w, mode="valid")
    off = (w.size - 1) // 2
    ratio = np.full(n, np.nan)
    ratio[off:off + trend.size] = x[off:off + trend.size] / trend
    idx = np.array([np.nanmean(ratio[k::m]) for k in range(m)])
    return idx / idx.mean()  # the index of position t is idx[t mod m]


def seasonality_test(x: FloatArray, m: int) -> bool:
    """M4's 90% test: |acf(m)| > 1.645·sqrt((1 + 2·Σ_{k<m} acf(k)²)/n)."""
    n = x.size
    if m <= 1 or n < 3 * m:
        return False
    xc = x - x.mean()
    denom = float(np.sum(xc * xc))
    if denom == 0.0:
        return False
    acf = np.array([np.sum(xc[k:] * xc[:n - k]) / denom for k in range(1, m + 1)])
    limit = 1.645 * np.sqrt((1.0 + 2.0 * np.sum(acf[:-1] ** 2)) / n)
    return bool(abs(acf[-1]) > limit)


def naive2(train: FloatArray, h: int, m: int) -> FloatArray:
    """M4's Naive2 benchmark: naive on the seasonally adjusted series, reseasonalised."""
    out = np.empty((train.shape[0], h))
    for i, row in enumerate(train):
        x = row[~np.isnan(row)]
        if seasonality_test(x, m):
            idx = _classical_seasonal_index(x, m)
            n = x.size
            out[i] = x[-1] / idx[(n - 1) % m] * idx[(n + np.arange(h)) % m]
        else:
            out[i] = x[-1]
    return out
