"""The lagged correlation test of causal links, on series built to hold or not."""

from __future__ import annotations

import numpy as np
from scipy import stats

from steerco.core.causal import CausalLinks, causal_findings, check_links, p_values, pearson_rows
from tests.core.test_impact import T0, metrics, snapshot, weekly


def _world(sign: int, lag_weeks: int = 2, follow: bool = True, weeks: int = 60):
    rng = np.random.default_rng(3)
    z = rng.standard_normal(weeks)
    driver = 100 + np.cumsum(z)
    own = 0.3 * rng.standard_normal(weeks)
    dz = np.concatenate([np.zeros(lag_weeks), z[:-lag_weeks]]) if follow else \
        rng.standard_normal(weeks)
    driven = 50 + np.cumsum(dz + own)
    snap = snapshot(metrics(2), {1: weekly(T0 - 7 * (weeks - 1), list(driver)),
                                 2: weekly(T0 - 7 * (weeks - 1), list(driven))})
    links = CausalLinks(np.array([9]), np.array([0]), np.array([1]), np.array([sign]),
                        np.array([7 * lag_weeks]))
    return snap, links


def test_pearson_rows_agrees_with_scipy_and_skips_missing_pairs() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(30), rng.standard_normal(30)
    y2 = y.copy()
    y2[3] = np.nan
    r, n = pearson_rows(np.stack([x, x]), np.stack([y, y2]))
    want = stats.pearsonr(x, y)
    assert np.isclose(r[0], want.statistic) and n.tolist() == [30, 29]
    assert np.isclose(p_values(r[:1], n[:1])[0], want.pvalue)


def test_a_driver_that_the_driven_follows_after_the_lag_holds() -> None:
    snap, links = _world(+1)
    t = check_links(snap, links, T0)
    assert t.judged[0] and t.holds[0] and t.r[0] > 0.5 and t.lag_steps[0] == 2
    assert len(causal_findings(snap, links, t)) == 0


def test_a_link_whose_evidence_shows_the_opposite_sign_is_critical() -> None:
    snap, links = _world(-1)
    t = check_links(snap, links, T0)
    f = causal_findings(snap, links, t)
    assert f.subject.tolist() == [9] and f.severity.tolist() == [3]
    assert f.evidence["verdict"].tolist() == ["wrong_sign"]
    assert f.person.tolist() == [101]  # the owner of the driven metric


def test_a_link_without_correlation_is_not_significant() -> None:
    snap, links = _world(+1, follow=False)
    f = causal_findings(snap, links, check_links(snap, links, T0))
    assert f.evidence["verdict"].tolist() == ["not_significant"]
    assert f.severity.tolist() == [2]


def test_a_link_with_too_little_history_is_not_judged() -> None:
    snap, links = _world(+1, weeks=6)
    t = check_links(snap, links, T0)
    assert not t.judged[0] and len(causal_findings(snap, links, t)) == 0
