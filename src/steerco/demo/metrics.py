"""Metrics, their plans, ten million measurements (vectorised) and causal links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from steerco.demo import behaviours as bh
from steerco.demo import names
from steerco.demo.behaviours import NO_DATA, ON_PLAN, STALE
from steerco.demo.org import PERSPECTIVES, Org, Strategy, entity_cols
from steerco.demo.sizes import Size
from steerco.demo.tables import (
    NULL,
    WORKSPACE,
    Cat,
    Const,
    Day,
    FloatArray,
    IntArray,
    Ref,
    Stamp,
    Table,
    day,
)

DIRECTIONS = ["increase_to", "decrease_to", "stay_at_or_above", "stay_at_or_below"]
CADENCES = ["weekly", "monthly", "quarterly"]
SOURCES = ["manual", "import", "connector", "sql", "webhook"]


@dataclass
class Metrics:
    """What the initiative generator needs to know about metrics."""

    owner: IntArray
    unit_of: IntArray  # org unit of the metric's objective
    baseline: FloatArray
    target: FloatArray
    target_day: IntArray
    #: For the demo's stories (steerco.demo.stories): behaviour, kind and cadence per
    #: metric, and the metrics some causal link drives.
    behaviour: IntArray
    lagging: npt.NDArray[np.bool_]
    key_result: npt.NDArray[np.bool_]
    weekly: npt.NDArray[np.bool_]
    driven: IntArray


def _month_ends(first_month: int, n: int) -> IntArray:
    """Return day numbers of the last day of n months from month index `first_month`."""
    m = np.arange(first_month, first_month + n + 1).astype("datetime64[M]")
    return (m[1:].astype("datetime64[D]") - 1).astype(np.int64)


def _define(size: Size, rng: np.random.Generator, org: Org, st: Strategy, as_of: dt.date
            ) -> tuple[dict[str, np.ndarray], list[Table]]:
    """Generate the metrics' definitions, objective links and plan points."""
    n_obj = len(st.obj_unit)
    n = size.metrics
    obj = np.sort(np.concatenate([np.arange(n_obj), rng.integers(0, n_obj, n - n_obj)]))
    persp = st.obj_perspective[obj]
    level = st.obj_level[obj]
    unit = st.obj_unit[obj]
    tpl_persp = np.array([PERSPECTIVES.index(t[6]) for t in names.METRICS])
    same = [np.flatnonzero(tpl_persp == p) for p in range(4)]
    pick = rng.integers(0, 1000, n)
    tpl = np.array([same[p][k % len(same[p])] for p, k in zip(persp.tolist(), pick.tolist(),
                                                               strict=True)])
    tpl = np.where(rng.random(n) < 0.15, rng.integers(0, len(names.METRICS), n), tpl)
    t_unit = [names.METRICS[k][1] for k in tpl.tolist()]
    direction = np.array([DIRECTIONS.index(names.METRICS[k][2]) for k in tpl.tolist()])
    base0 = np.array([names.METRICS[k][3] for k in tpl.tolist()])
    change = np.array([names.METRICS[k][4] for k in tpl.tolist()])
    relative = np.array([u in ("EUR", "count") for u in t_unit])
    scale = np.array([10.0, 3.0, 1.0, 0.3])[level] * rng.lognormal(0, 0.4, n)
    baseline = np.where(relative, base0 * scale, base0 * rng.uniform(0.9, 1.1, n))
    jitter = rng.uniform(0.6, 1.4, n)
    target = np.where(relative, baseline * (1 + change * jitter), baseline + change * jitter)
    pct = np.array([u == "%" for u in t_unit])
    baseline = np.where(pct, np.clip(baseline, 0.5, 99.9), baseline)
    target = np.where(pct, np.clip(target, 0.5, 99.99), target)
    baseline = np.round(baseline, 2).astype(np.float64)
    target = np.round(target, 2).astype(np.float64)
    # The target lies beyond the baseline in the metric's own direction (validation
    # refuses anything else): after rounding and clipping, nudge any that does not.
    good = np.where(direction % 2 == 0, 1.0, -1.0)
    short = (target - baseline) * good <= 0
    step = np.maximum(0.01, np.round(0.05 * np.abs(baseline), 2))
    baseline = np.where(short & pct, np.where(good > 0, np.minimum(baseline, 99.0),
                                              np.maximum(baseline, 1.0)), baseline)
    target = np.where(short, np.round(baseline + good * np.where(pct, 0.5, step), 2), target)
    kr = np.where(level <= 1, rng.random(n) < 0.3, rng.random(n) < 0.65)
    y0, y1 = day(dt.date(as_of.year, 1, 1)), day(dt.date(as_of.year, 12, 31))
    q0d = dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    q0 = day(q0d)
    q1 = day(dt.date(q0d.year + (q0d.month == 10), (q0d.month + 2) % 12 + 1, 1)) - 1
    pq0 = day(dt.date(q0d.year - (q0d.month == 1), (q0d.month - 4) % 12 + 1, 1))
    r = rng.random(n)
    kpi_b = np.where(r < 0.2, day(dt.date(as_of.year - 1, 1, 1)), y0)
    kpi_t = np.where(rng.random(n) < 0.15, day(dt.date(as_of.year + 1, 12, 31)), y1)
    kr_b = np.where(r < 0.5, q0, np.where(r < 0.9, y0, pq0))
    kr_t = np.where(r < 0.5, q1, np.where(r < 0.9, y1, q0 - 1))
    b_day = np.where(kr, kr_b, kpi_b).astype(np.int64)
    t_day = np.where(kr, kr_t, kpi_t).astype(np.int64)
    # A key result is due within its objective's period (the services refuse any other):
    # one drawn outside it is due at the period's end, from the period's start if need be.
    s0, s1 = st.obj_start[obj], st.obj_end[obj]
    out = kr & ((t_day < s0) | (t_day > s1))
    t_day = np.where(out, s1, t_day)
    b_day = np.where(out & (b_day >= t_day), s0, b_day)
    tol = np.where(pct, rng.choice([0.5, 1.0, 2.0], n), np.round(rng.uniform(0.03, 0.15, n), 3))
    tol = np.where(rng.random(n) < 0.15, np.nan, tol)
    cadence = rng.choice(3, n, p=[0.7, 0.25, 0.05])
    # Key results are checked in weekly or monthly: a quarterly check-in of a quarterly
    # key result would leave its period without evidence (and its forecast without basis).
    cadence = np.where(kr & (cadence == 2), 1, cadence)
    owner = np.where(rng.random(n) < 0.3, unit, org.member(rng, unit))
    source = rng.choice(5, n, p=[0.6, 0.2, 0.1, 0.07, 0.03])
    indicator = np.array([names.METRICS[k][5] == "leading" for k in tpl.tolist()])
    m_names = names.distinct([names.METRICS[k][0] for k in tpl.tolist()],
                             ["" if lv == 0 else f" — {org.unit_name[u]}"
                              for lv, u in zip(level.tolist(), unit.tolist(), strict=True)],
                             unit.tolist())
    metrics = Table("metrics", n, {
        **entity_cols(), "name": m_names, "kind": Cat(kr.astype(np.int8), ["kpi", "key_result"]),
        "unit": t_unit, "direction": Cat(direction.astype(np.int8), DIRECTIONS),
        "baseline_value": baseline, "baseline_date": Day(b_day), "target_value": target,
        "target_date": Day(t_day), "tolerance": tol,
        "tolerance_mode": Cat(pct.astype(np.int8), ["relative", "absolute"]),
        "indicator": Cat((~indicator).astype(np.int8), ["leading", "lagging"]),
        "cadence": Cat(cadence.astype(np.int8), CADENCES),
        "owner_id": Ref("people", owner), "source": Cat(source.astype(np.int8), SOURCES),
        "description": Const(None)})
    # Each metric measures its objective; one in ten also counts towards the objective's
    # parent-level neighbour (many-to-many with weights).
    extra = np.flatnonzero(rng.random(n) < 0.1)
    other = rng.integers(0, n_obj, len(extra))
    # ...and counts towards another objective only when due within that one's period too.
    keep = (other != obj[extra]) & ~(kr[extra] & ((t_day[extra] < st.obj_start[other])
                                                  | (t_day[extra] > st.obj_end[other])))
    mo_m = np.concatenate([np.arange(n), extra[keep]])
    mo_o = np.concatenate([obj, other[keep]])
    weight = np.concatenate([np.round(rng.choice([1.0, 1.0, 2.0, 0.5], n), 2),
                             np.full(int(keep.sum()), 0.5)])
    metric_objectives = Table("metric_objectives", len(mo_m), {
        "workspace_id": WORKSPACE, "metric_id": Ref("metrics", mo_m),
        "objective_id": Ref("objectives", mo_o), "weight": weight}, keyed=False)
    plan_points, phased = _plan_points(rng, direction, b_day, t_day, baseline, target)
    info = {"owner": owner, "unit": unit, "baseline": baseline, "target": target,
            "b_day": b_day, "t_day": t_day, "cadence": cadence, "source": source,
            "indicator": indicator, "relative": relative, "direction": direction,
            "tol": tol, "pct": pct, "phased": phased, "kr": kr}
    return info, [metrics, metric_objectives, plan_points]


def _plan_points(rng: np.random.Generator, direction: IntArray, b_day: IntArray,
                 t_day: IntArray, baseline: FloatArray, target: FloatArray
                 ) -> tuple[Table, npt.NDArray[np.bool_]]:
    """Monthly phasing for some metrics: first of each month after baseline, then target.

    Returns the plan points and which metrics are phased (the others follow the default
    linear plan from baseline to target)."""
    is_phased = (direction <= 1) & (rng.random(len(direction)) < 0.15)
    phased = np.flatnonzero(is_phased)
    m_out: list[int] = []
    d_out: list[int] = []
    v_out: list[float] = []
    for m in phased.tolist():
        b, t = int(b_day[m]), int(t_day[m])
        months = np.arange(np.datetime64(b, "D").astype("datetime64[M]") + 1,
                           np.datetime64(t, "D").astype("datetime64[M]") + 1)
        days = months.astype("datetime64[D]").astype(np.int64)
        days = np.unique(np.append(days[days < t], t))
        frac = (days - b) / (t - b)
        # Back-loaded phasing: most of the improvement is planned for later in the period.
        v = baseline[m] + (target[m] - baseline[m]) * frac ** 1.5
        m_out += [m] * len(days)
        d_out += days.tolist()
        v_out += np.round(v, 2).tolist()
    return Table("plan_points", len(m_out), {
        "workspace_id": WORKSPACE, "metric_id": Ref("metrics", np.array(m_out, np.int64)),
        "on": Day(np.array(d_out, np.int64)), "value": np.array(v_out)},
        keyed=False), is_phased


def _links(rng: np.random.Generator, org: Org, info: dict[str, np.ndarray],
           behaviour: IntArray) -> tuple[IntArray, IntArray, IntArray, IntArray, int]:
    """Pick causal links leading → lagging; the first `n_hold` will hold in the data."""
    n = len(behaviour)
    usable = (behaviour != NO_DATA) & (behaviour != STALE)
    lead = np.flatnonzero(info["indicator"] & usable & (info["cadence"] == 0))
    # Driven metrics are made to follow their drivers on plan: pick them among the green.
    lag = np.flatnonzero(~info["indicator"] & np.isin(behaviour, bh.GREEN))
    n_links = max(6, n // 20)
    n_hold = min(int(n_links * 0.6), len(lead), len(lag))
    drv = rng.choice(lead, n_hold, replace=False)
    dvn = rng.choice(lag, n_hold, replace=False)
    all_lead = np.flatnonzero(info["indicator"])
    all_lag = np.flatnonzero(~info["indicator"])
    n_free = n_links - n_hold
    drv = np.concatenate([drv, rng.choice(all_lead, n_free)])
    dvn = np.concatenate([dvn, rng.choice(all_lag, n_free)])
    pairs = drv * n + dvn
    _, first = np.unique(pairs, return_index=True)
    keep = np.sort(first)
    n_hold = int((keep < n_hold).sum())
    drv, dvn = drv[keep], dvn[keep]
    sign = np.where(rng.random(len(drv)) < 0.75, 1, -1)
    # A couple of negative links across org units: the cross-team conflict signal needs them.
    unit_of_owner = org.person_unit[info["owner"]]
    cross = np.flatnonzero(unit_of_owner[drv[:n_hold]] != unit_of_owner[dvn[:n_hold]])
    sign[cross[:2]] = -1
    lag_weeks = rng.integers(1, 7, len(drv))
    return drv, dvn, sign, lag_weeks, n_hold


def _grid(size: Size, rng: np.random.Generator, cadence: IntArray, behaviour: IntArray,
          a: int, am: int) -> tuple[IntArray, IntArray]:
    """Return each metric's last evidence (a day if weekly, else a month index) and count."""
    n = len(cadence)
    last_me = int(_month_ends(am, 1)[0])
    end_month = am if last_me <= a else am - 1
    q_month = end_month - (end_month + 1) % 3  # months 2, 5, 8, 11 (0-based) end quarters
    stale = behaviour == STALE
    back_days = rng.integers(90, 280, n)
    end = np.choose(cadence, [a - rng.integers(0, 7, n), np.full(n, end_month),
                              np.full(n, q_month)]).astype(np.int64)
    end -= np.where(stale, np.where(cadence == 0, back_days, 3 * (back_days // 91)), 0)
    hist = rng.uniform(365, 1095, n)
    per = np.array([7.0, 30.44, 91.3])[cadence]
    goal = size.measurements / 1.004  # the rest are corrections

    def counts(f: float) -> IntArray:
        c: IntArray = np.floor(np.clip(hist * f, 365, 1095) / per).astype(np.int64) + 1
        c[behaviour == NO_DATA] = 0
        return c

    lo, hi = 0.1, 10.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if counts(mid).sum() < goal else (lo, mid)
    return end, counts((lo + hi) / 2)


def build_measurements(size: Size, rng: np.random.Generator, org: Org,
                       info: dict[str, np.ndarray], metrics: Table, as_of: dt.date
                       ) -> list[Table]:
    """Generate the measurement history of every metric, corrections and causal links."""
    n = len(info["owner"])
    a = day(as_of)
    am = (as_of.year - 1970) * 12 + as_of.month - 1
    behaviour = bh.assign(rng, n, info["t_day"] < a)
    drv, dvn, sign, lag_w, n_hold = _links(rng, org, info, behaviour)
    hd, hv = drv[:n_hold], dvn[:n_hold]
    cadence = info["cadence"].copy()
    cadence[hv] = 0
    behaviour[hv] = ON_PLAN
    metrics.columns["cadence"] = Cat(cadence.astype(np.int8), CADENCES)
    info["behaviour"], info["cadence"], info["driven"] = behaviour, cadence, dvn
    end, count = _grid(size, rng, cadence, behaviour, a, am)
    # A driven metric shares its driver's weekly grid so the lagged driver value exists.
    end[hv], count[hv] = end[hd], count[hd]
    total = int(count.sum())
    starts = np.concatenate([[0], np.cumsum(count)])
    midx = np.repeat(np.arange(n), count)
    k = np.arange(total) - starts[midx]
    rev = count[midx] - 1 - k
    months = _month_ends(am - 84, 85)
    cad = cadence[midx]
    step = np.where(cad == 1, 1, 3)
    month_i = np.clip(end[midx] - step * rev - (am - 84), 0, 84)
    d = np.where(cad == 0, end[midx] - 7 * rev, months[month_i])
    del month_i, step
    z = rng.standard_normal(total)
    is_driven = np.zeros(n, bool)
    is_driven[hv] = True
    # A driven metric's own noise is small: most of its wiggle is its driver's, below.
    z_own = np.where(is_driven[midx], 0.3 * z, z)
    value = bh.values(rng, info, behaviour, midx, d, z_own, a)
    del z_own
    band_m = bh.band_of(np.where(info["direction"] >= 2, info["target"],
                                 (info["baseline"] + info["target"]) / 2),
                        info["tol"], info["pct"])
    # Driven series follow the driver's deviations from its path, lag weeks later.
    for drv_m, dvn_m, sg, lw in zip(hd.tolist(), hv.tolist(), sign[:n_hold].tolist(),
                                    lag_w[:n_hold].tolist(), strict=True):
        c = int(count[dvn_m])
        if c <= lw:
            continue
        src = z[starts[drv_m]:starts[drv_m] + c - lw]
        value[starts[dvn_m] + lw:starts[dvn_m] + c] += sg * 0.1 * band_m[dvn_m] * src
    pct = np.array([u == "%" for u in metrics.columns["unit"]])  # type: ignore[union-attr]
    value = np.where(pct[midx], np.clip(value, 0.0, 100.0), value)
    value = np.round(value, 2)
    links = Table("causal_links", len(drv), {
        **entity_cols(), "driver_id": Ref("metrics", drv), "driven_id": Ref("metrics", dvn),
        "sign": sign.astype(np.int64), "lag_days": (7 * lag_w).astype(np.int64),
        "note": Cat((np.arange(len(drv)) >= n_hold).astype(np.int8),
                    ["Validated by the analytics team", "Hypothesis from the strategy offsite"])})
    return [_measurement_table(rng, info, midx, rev, d, value, a), links]


def _measurement_table(rng: np.random.Generator, info: dict[str, np.ndarray], midx: IntArray,
                       rev: IntArray, d: IntArray, value: FloatArray, a: int) -> Table:
    """Add evidence, confidence, submitters and corrections to the generated values."""
    n, total = len(info["owner"]), len(midx)
    has_conf = rng.random(n) < 0.35
    # Owners stay confident whatever the data says: the gap is the reality-gap signal.
    conf_base = rng.uniform(0.65, 0.95, n)
    conf = np.where(has_conf[midx] & (rev < 6),
                    np.clip(np.round(conf_base[midx] + rng.normal(0, 0.04, total), 2), 0, 1),
                    np.nan)
    sub_day = np.minimum(d + rng.integers(0, 4, total), a)
    minutes = rng.integers(7 * 60, 19 * 60, total)
    # Corrections: a later row for the same metric and date that supersedes the original.
    n_corr = max(3, int(total * 0.004))
    orig = np.sort(rng.choice(total, n_corr, replace=False)) if total else np.zeros(0, np.int64)
    cm = midx[orig]
    midx = np.concatenate([midx, cm])
    d = np.concatenate([d, d[orig]])
    value = np.concatenate([value, np.round(value[orig] * rng.normal(1.0, 0.03, n_corr), 2)])
    conf = np.concatenate([conf, np.full(n_corr, np.nan)])
    sub_day = np.concatenate([sub_day, np.minimum(sub_day[orig] + rng.integers(2, 20, n_corr),
                                                  max(a, 0))])
    sub_day = np.maximum(sub_day, d)
    minutes = np.concatenate([minutes, rng.integers(7 * 60, 19 * 60, n_corr)])
    supersedes = np.concatenate([np.full(total, NULL), orig]).astype(np.int64)
    total += n_corr
    note_code = np.where(rng.random(total) < 0.02,
                         rng.integers(1, len(names.MEASUREMENT_NOTES) + 1, total), 0)
    note_code[-n_corr:] = len(names.MEASUREMENT_NOTES) + 1
    notes = [None, *names.MEASUREMENT_NOTES, "Correction: restated after source fix"]
    url = np.full(total, None, dtype=object)
    with_url = np.flatnonzero(rng.random(total) < 0.05)
    iso = d[with_url].astype("datetime64[D]").astype(str).tolist()
    url[with_url] = [f"https://bi.example.com/metrics/{m + 1}?as_of={s}"
                     for m, s in zip(midx[with_url].tolist(), iso, strict=True)]
    return Table("measurements", total, {
        "workspace_id": WORKSPACE, "metric_id": Ref("metrics", midx), "value": value,
        "as_of": Day(d), "evidence_url": url, "evidence_file": Const(None),
        "note": Cat(note_code.astype(np.int8), notes),
        "source": Cat(info["source"][midx].astype(np.int8), SOURCES),
        "submitted_by_id": Ref("people", info["owner"][midx]),
        "submitted_at": Stamp(sub_day, minutes), "confidence": conf,
        "supersedes_id": Ref("measurements", supersedes)})


def build_metrics(size: Size, rng: np.random.Generator, org: Org, st: Strategy,
                  as_of: dt.date) -> tuple[Metrics, list[Table]]:
    """Generate metrics, objective links, plan points, measurements and causal links."""
    info, tables = _define(size, rng, org, st, as_of)
    tables += build_measurements(size, rng, org, info, tables[0], as_of)
    m = Metrics(info["owner"], info["unit"], info["baseline"], info["target"], info["t_day"],
                info["behaviour"], ~info["indicator"], info["kr"], info["cadence"] == 0,
                info["driven"])
    return m, tables
