"""Signals that hold activity against outcomes: the green-dashboard paradox, cross-team
conflict.

- ``green_dashboard``: a lagging metric that is off track (status off_track or missed)
  and whose last ``paradox_periods`` measurements were each worse than plan beyond its
  tolerance (5 % of plan where it has none), while everything that is supposed to drive
  it and can be judged is green: its causal drivers (status on_track / achieved; drivers
  without data or stale are not judged) and the open initiatives linked to it (forecast
  finish on or before the due day, not stopped). At least one green driver or initiative
  is needed. Critical. Acts: the lagging metric's owner.
- ``cross_team_conflict``: a negative causal link whose two metrics are owned in
  different org units, where over the last ``trend_steps`` cadence steps one metric got
  better and the other worse (direction-aware). Acts: the head of the lowest org unit
  both belong to (else the driven owner's manager, else the driven owner).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from steerco.core.causal import CausalLinks
from steerco.core.evidence import Evaluation, actual_at
from steerco.core.finding import FindingBatch, batch
from steerco.core.orgtree import Org
from steerco.core.plan import ToleranceState, plan_values, tolerance_band, tolerance_state, variance
from steerco.core.signals import SignalSettings
from steerco.core.snapshot import Snapshot
from steerco.core.status import Status

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_GREEN = (int(Status.ON_TRACK), int(Status.ACHIEVED))
_UNJUDGED = (int(Status.NO_DATA), int(Status.STALE))
_RED = (int(Status.OFF_TRACK), int(Status.MISSED))
#: Tolerance used where a metric has none (the status rules' default).
DEFAULT_TOLERANCE = 0.05


@dataclass(frozen=True)
class InitiativeLinks:
    """Initiative → metric links (initiative row, snapshot metric row) and, per initiative
    row, whether it is green (open and on schedule) or red (open and late or stopped)."""

    initiative: IntArray
    metric: IntArray
    green: BoolArray
    red: BoolArray


def breach_streak(snap: Snapshot, rows: IntArray, as_of: int, periods: int) -> BoolArray:
    """Whether each row's last ``periods`` measurements (on or before ``as_of``) were all
    worse than plan beyond tolerance."""
    snap.compact()
    h = snap.history
    rows = np.asarray(rows, dtype=np.int64)
    lo, hi = h.offsets[rows], h.offsets[rows + 1]
    out = np.zeros(rows.shape[0], dtype=bool)
    if rows.size == 0 or periods <= 0:
        return out
    # End of each row's evidence on or before as_of (histories are sorted by day).
    end = hi.copy()
    late = np.flatnonzero((hi > lo) & (h.days[np.maximum(hi - 1, 0)] > as_of))
    for i in late.tolist():
        end[i] = lo[i] + int(np.searchsorted(h.days[lo[i]:hi[i]], as_of, side="right"))
    enough = end - lo >= periods
    sel = np.flatnonzero(enough)
    idx = (end[sel][:, None] - periods + np.arange(periods)[None, :]).ravel()
    r = np.repeat(rows[sel], periods)
    m = snap.metrics
    plan = plan_values(snap.plans, r, h.days[idx])
    band = tolerance_band(m.tolerance_kind[r], m.tolerance[r], plan, DEFAULT_TOLERANCE)
    var = variance(m.direction[r], plan, h.values[idx])
    state = tolerance_state(var.absolute, band)
    out[sel] = (state == ToleranceState.BREACH).reshape(-1, periods).all(axis=1)
    return out


def green_dashboard(snap: Snapshot, ev: Evaluation, leading: BoolArray, links: CausalLinks,
                    inits: InitiativeLinks, settings: SignalSettings = SignalSettings()
                    ) -> FindingBatch:
    """``green_dashboard`` findings (see the module docstring)."""
    n = snap.metrics.n
    status = ev.metrics.status.status.astype(np.int64)
    ok = (links.driver >= 0) & (links.driven >= 0)
    drv, dvn = links.driver[ok], links.driven[ok]
    d_status = status[drv]
    d_green = np.bincount(dvn, np.isin(d_status, _GREEN), minlength=n)
    d_judged = np.bincount(dvn, ~np.isin(d_status, _UNJUDGED), minlength=n)
    i_ok = (inits.metric >= 0) & (inits.initiative >= 0)
    im, ii = inits.metric[i_ok], inits.initiative[i_ok]
    i_green = np.bincount(im, inits.green[ii], minlength=n)
    i_judged = np.bincount(im, inits.green[ii] | inits.red[ii], minlength=n)
    green = d_green + i_green
    cand = (~leading & np.isin(status, _RED) & (green >= 1) & (green == d_judged + i_judged))
    rows = np.flatnonzero(cand)
    streak = breach_streak(snap, rows, ev.as_of, settings.paradox_periods)
    fire = np.zeros(n, dtype=bool)
    fire[rows[streak]] = True
    return batch("green_dashboard", "metric", fire, snap.metrics.ids, snap.metrics.owner, 3,
                 "Off track for the last {periods} periods while its {green_drivers} driver(s) "
                 "and {green_initiatives} initiative(s) all report green",
                 periods=np.full(n, settings.paradox_periods, dtype=np.int64),
                 green_drivers=d_green.astype(np.int64),
                 green_initiatives=i_green.astype(np.int64), p_hit=ev.metrics.p_hit)


def good_change(snap: Snapshot, rows: IntArray, as_of: int, steps: int) -> FloatArray:
    """Direction-aware change of each row over the last ``steps`` cadence steps
    (positive = better; NaN without evidence at both ends)."""
    m = snap.metrics
    rows = np.asarray(rows, dtype=np.int64)
    cad = np.maximum(m.cadence_days[rows], 1)
    span = steps * cad
    now = actual_at(snap, rows, np.full(rows.shape[0], as_of), span)
    before = actual_at(snap, rows, as_of - span, span)
    sign = np.where(np.isin(m.direction[rows], (0, 2)), 1.0, -1.0)
    out: FloatArray = (now - before) * sign
    return out


def cross_team_conflicts(snap: Snapshot, as_of: int, links: CausalLinks,
                         metric_unit: IntArray, org: Org,
                         settings: SignalSettings = SignalSettings()) -> FindingBatch:
    """``cross_team_conflict`` findings (see the module docstring)."""
    n = links.n
    ok = (links.driver >= 0) & (links.driven >= 0) & (links.sign < 0)
    du = np.where(ok, metric_unit[np.maximum(links.driver, 0)], -1)
    vu = np.where(ok, metric_unit[np.maximum(links.driven, 0)], -1)
    cand = np.flatnonzero(ok & (du >= 0) & (vu >= 0) & (du != vu))
    d_chg = np.full(n, np.nan)
    v_chg = np.full(n, np.nan)
    if cand.size:
        d_chg[cand] = good_change(snap, links.driver[cand], as_of, settings.trend_steps)
        v_chg[cand] = good_change(snap, links.driven[cand], as_of, settings.trend_steps)
    with np.errstate(invalid="ignore"):
        fire = np.isfinite(d_chg) & np.isfinite(v_chg) & (d_chg * v_chg < 0)
    common = np.full(n, -1, dtype=np.int64)
    sel = np.flatnonzero(fire)
    common[sel] = org.common_unit(du[sel], vu[sel])
    head = np.where(common >= 0, org.head_of(common), -1)
    dvn_owner = np.where(links.driven >= 0, snap.metrics.owner[np.maximum(links.driven, 0)], -1)
    mgr = org.manager_of(dvn_owner)
    person = np.where(head >= 0, head, np.where(mgr >= 0, mgr, dvn_owner))
    key = snap.metrics.ids
    return batch("cross_team_conflict", "causal_link", fire, links.ids, person, 2,
                 "Two teams pull against each other: one metric improves ({driver_change}) "
                 "while the one it drives negatively degrades ({driven_change})",
                 driver=np.where(links.driver >= 0, key[np.maximum(links.driver, 0)], -1),
                 driven=np.where(links.driven >= 0, key[np.maximum(links.driven, 0)], -1),
                 driver_unit=du, driven_unit=vu, common_unit=common, driver_change=d_chg,
                 driven_change=v_chg)
