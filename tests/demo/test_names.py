"""Every metric, objective and initiative of a unit has a name of its own, in every size.

The `xl` company has ten million measurements: loading (or even generating) it in a test
is too slow, so the names are taken from the same generator steps `generate` runs before
the measurements (same seed, same random stream up to that point).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest

from steerco.demo.metrics import _define
from steerco.demo.org import build_org, build_strategy
from steerco.demo.sizes import get_size
from steerco.demo.tables import Ref, day
from steerco.demo.work import _initiatives

AS_OF = dt.date(2026, 11, 22)


def _names(size: str) -> dict[str, list[tuple[int, str]]]:
    spec = get_size(size)
    rng = np.random.default_rng([7, 0x57EE2C0])  # as generate() seeds it
    org, _ = build_org(spec, rng)
    strategy, tables = build_strategy(spec, rng, org, AS_OF)
    objectives = next(t for t in tables if t.name == "objectives")
    unit = objectives.columns["org_unit_id"]
    assert isinstance(unit, Ref)
    info, metric_tables = _define(spec, rng, org, strategy, AS_OF)
    metrics = metric_tables[0]
    work, initiatives, _, _ = _initiatives(spec, rng, org, day(AS_OF))
    ini_unit = initiatives.columns["org_unit_id"]
    assert isinstance(ini_unit, Ref)
    return {
        "objective": list(zip(unit.idx.tolist(), objectives.columns["title"], strict=True)),
        "metric": list(zip(info["unit"].tolist(), metrics.columns["name"], strict=True)),
        "initiative": list(zip(ini_unit.idx.tolist(), work.name, strict=True)),
    }


@pytest.mark.parametrize("size", ["s", "m", "l", "xl"])
def test_no_two_metrics_objectives_or_initiatives_of_one_unit_share_a_name(size: str) -> None:
    for kind, pairs in _names(size).items():
        repeated = [(u, n) for (u, n), c in Counter(pairs).items() if c > 1]
        assert not repeated, f"{size}: {kind} names repeat in a unit: {repeated[:3]}"
        # Meaningful: a name is a template's words (and its unit), never a bare number.
        assert all(any(ch.isalpha() for ch in n.split(" — ")[0]) for _, n in pairs)


@pytest.mark.parametrize("size", ["s", "m", "l", "xl"])
def test_every_key_result_is_due_within_the_period_of_each_objective_it_measures(
        size: str) -> None:
    # The services refuse any other (metrics.link_errors); the demo must not hold what a
    # user could not enter, or editing such a key result's name would be refused.
    spec = get_size(size)
    rng = np.random.default_rng([7, 0x57EE2C0])  # as generate() seeds it
    org, _ = build_org(spec, rng)
    strategy, _ = build_strategy(spec, rng, org, AS_OF)
    info, (_, links, _) = _define(spec, rng, org, strategy, AS_OF)
    metric, objective = links.columns["metric_id"], links.columns["objective_id"]
    assert isinstance(metric, Ref) and isinstance(objective, Ref)
    m, o = metric.idx, objective.idx
    kr = info["kr"][m]
    due = info["t_day"][m]
    outside = kr & ((due < strategy.obj_start[o]) | (due > strategy.obj_end[o]))
    assert kr.sum() > 0 and not outside.any(), f"{size}: {int(outside.sum())} key results"
