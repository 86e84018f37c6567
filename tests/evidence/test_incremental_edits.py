"""A model edit is patched into the cached evaluation, and the patch equals a fresh build.

Each kind of edit the forms make (metric definition, plan, objective, alignment, metric
link, archive, planned benefit) is applied, committed, and read through a cache that was
warmed before it: the answer must come without reading the workspace again and be exactly
what a cache that never saw the workspace computes (every metric's and objective's view:
status, P(hit), reasons, explanation). A seeded random sequence of such edits does the
same one after another. Runs on SQLite and, with STEERCO_TEST_POSTGRES_URL, PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import steerco.evidence.service as es
from steerco.checkins.service import check_in
from steerco.evidence.service import EngineCache, EngineState, metric_view, objective_view
from steerco.initiatives.service import add_benefit, create_initiative, update_benefit
from steerco.metrics.service import attach_objective, detach_objective, set_plan, update_metric
from steerco.objectives.service import align, archive_objective, unalign, update_objective
from tests.factories import world

TODAY = dt.date(2026, 6, 30)


def weekly(w: Any, metric: Any, values: Any) -> None:
    start = TODAY - dt.timedelta(days=7 * len(values))
    for i, v in enumerate(values):
        check_in(w.session, w.wid, {"metric_id": metric.id, "value": float(v),
                                    "as_of": (start + dt.timedelta(days=7 * i)).isoformat(),
                                    "load_history": True},
                 today=TODAY)


class Demo:
    """A small company: three objectives in a tree, five metrics with evidence, one
    initiative promising an impact on one of them."""

    def __init__(self, session: Any) -> None:
        w = self.w = world(session)
        self.top = w.objective("Grow the business")
        self.retail = w.objective("Win in retail", level="business_unit",
                                  parents=[{"objective_id": self.top.id}])
        self.online = w.objective("Win online", level="business_unit",
                                  parents=[{"objective_id": self.top.id}])
        kw = {"cadence": "weekly", "baseline_date": "2026-01-01",
              "target_date": "2026-12-31"}
        self.orders = w.metric("Orders", objectives=[{"objective_id": self.retail.id}], **kw)
        self.margin = w.metric("Margin", objectives=[{"objective_id": self.retail.id}], **kw)
        self.visits = w.metric("Visits", objectives=[{"objective_id": self.online.id}], **kw)
        self.churn = w.metric("Churn", direction="decrease_to", baseline_value=10.0,
                              target_value=5.0, objectives=[{"objective_id": self.online.id}],
                              **kw)
        self.nps = w.metric("NPS", cadence="monthly",
                            objectives=[{"objective_id": self.top.id}])
        self.metrics = [self.orders, self.margin, self.visits, self.churn, self.nps]
        self.objectives = [self.top, self.retail, self.online]
        weekly(w, self.orders, np.linspace(100, 160, 26))
        weekly(w, self.margin, np.linspace(100, 102, 26))
        weekly(w, self.visits, 150 + 10 * np.sin(np.arange(26)))
        weekly(w, self.churn, np.linspace(10, 7, 26))
        self.ini = create_initiative(session, w.wid, {
            "name": "New shop", "owner_id": f"per_{w.alice.id}",
            "start_date": "2026-01-01", "due_date": "2026-12-31"})
        self.benefit = add_benefit(session, w.wid, {
            "initiative_id": f"ini_{self.ini.id}", "kind": "metric_impact",
            "metric_id": f"met_{self.margin.id}", "amount": 20.0,
            "due_date": "2026-09-30"})
        session.commit()


@pytest.fixture()
def demo(session: Any, monkeypatch: pytest.MonkeyPatch) -> Demo:
    monkeypatch.setattr(es, "workspace_today", lambda *_a: TODAY)
    return Demo(session)


@pytest.fixture()
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every full read of a workspace (a rebuild) is noted here."""
    found: list[int] = []
    real = es.load_snapshot
    monkeypatch.setattr(es, "load_snapshot", lambda s, ws: found.append(ws) or real(s, ws))
    return found


def views(st: EngineState) -> dict[str, Any]:
    """Everything the pages show of the evaluation, keyed by database id."""
    snap = st.snapshot
    mets = {int(k): metric_view(st, r) for r, k in enumerate(snap.metrics.ids)}
    objs = {int(k): objective_view(st, r) for r, k in enumerate(snap.objective_ids)}
    o = st.evaluation.objectives
    tops = [[int(snap.metrics.ids[m]) if m >= 0 else -1 for m in row]
            for row in o.top_metric]
    return {"metrics": mets, "objectives": objs, "top": tops,
            "severity": np.round(o.severity, 12).tolist(),
            "status_m": st.evaluation.metrics.status.reasons.tolist()}


def assert_patched_equals_fresh(demo: Demo, cache: EngineCache, reads: list[int],
                                edit: Callable[[], Any]) -> EngineState:
    s = demo.w.session
    before = cache.state(s, demo.w.wid)
    edit()
    s.commit()
    reads.clear()
    after = cache.state(s, demo.w.wid)
    assert reads == [], "the edit rebuilt the workspace instead of patching it"
    assert after.generations != before.generations
    fresh = EngineCache().state(s, demo.w.wid)
    assert views(after) == views(fresh)
    return after


def edits(d: Demo) -> dict[str, Callable[[], Any]]:
    s, ws = d.w.session, d.w.wid
    return {
        "metric target": lambda: update_metric(s, ws, d.orders.id, {"target_value": 140.0}),
        "metric baseline": lambda: update_metric(s, ws, d.margin.id, {"baseline_value": 90.0}),
        "metric dates": lambda: update_metric(s, ws, d.visits.id, {
            "baseline_date": "2026-03-01", "target_date": "2026-08-31"}),
        "metric direction": lambda: update_metric(s, ws, d.visits.id, {
            "direction": "stay_at_or_above", "target_value": 145.0}),
        "metric tolerance": lambda: update_metric(s, ws, d.margin.id, {
            "tolerance_mode": "relative", "tolerance": 0.6}),
        "metric cadence": lambda: update_metric(s, ws, d.churn.id, {"cadence": "monthly"}),
        "metric name and unit": lambda: update_metric(s, ws, d.orders.id, {
            "name": "Orders placed", "unit": "orders"}),
        "metric owner": lambda: update_metric(s, ws, d.nps.id, {
            "owner_id": f"per_{d.w.bob.id}"}),
        "plan save": lambda: set_plan(s, ws, d.orders.id, [
            {"on": "2026-04-01", "value": 150.0}, {"on": "2026-12-31", "value": 200.0}]),
        "plan cleared": lambda: set_plan(s, ws, d.orders.id, []),
        "objective title": lambda: update_objective(s, ws, d.retail.id, {
            "title": "Win big in retail"}),
        "objective owner and period": lambda: update_objective(s, ws, d.online.id, {
            "owner_id": f"per_{d.w.bob.id}", "period_end": "2026-11-30"}),
        "alignment re-weight": lambda: align(s, ws, d.retail.id, d.top.id, 3.0),
        "alignment removed": lambda: unalign(s, ws, d.online.id, d.top.id),
        "alignment added": lambda: align(s, ws, d.online.id, d.retail.id, 2.0),
        "metric link re-weight": lambda: attach_objective(s, ws, d.margin.id, d.retail.id,
                                                          4.0),
        "metric link added": lambda: attach_objective(s, ws, d.churn.id, d.top.id, 1.0),
        "metric link removed": lambda: detach_objective(s, ws, d.visits.id, d.online.id),
        "objective archived": lambda: archive_objective(s, ws, d.online.id),
        "benefit edit": lambda: update_benefit(s, ws, d.benefit.id, {
            "amount": 60.0, "due_date": "2026-08-15"}),
        "benefit added": lambda: add_benefit(s, ws, {
            "initiative_id": f"ini_{d.ini.id}", "kind": "metric_impact",
            "metric_id": f"met_{d.visits.id}", "amount": -15.0,
            "due_date": "2026-10-31"}),
    }


KINDS = ["metric target", "metric baseline", "metric dates", "metric direction",
         "metric tolerance", "metric cadence", "metric name and unit", "metric owner",
         "plan save", "plan cleared", "objective title", "objective owner and period",
         "alignment re-weight", "alignment removed", "alignment added",
         "metric link re-weight", "metric link added", "metric link removed",
         "objective archived", "benefit edit", "benefit added"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_edit_is_patched_and_equals_a_fresh_build(demo: Demo, reads: list[int],
                                                               kind: str) -> None:
    cache = EngineCache()
    assert_patched_equals_fresh(demo, cache, reads, edits(demo)[kind])


def test_an_edit_that_changes_an_evaluation_shows_in_the_patched_state(
        demo: Demo, reads: list[int]) -> None:
    cache = EngineCache()
    st = cache.state(demo.w.session, demo.w.wid)
    row = int(np.flatnonzero(st.snapshot.metrics.ids == demo.orders.id)[0])
    before = metric_view(st, row)
    after = assert_patched_equals_fresh(demo, cache, reads, lambda: update_metric(
        demo.w.session, demo.w.wid, demo.orders.id, {"target_value": 500.0}))
    assert metric_view(after, row)["target_value"] == 500.0
    assert metric_view(after, row)["p_hit"] != before["p_hit"]
    assert metric_view(st, row) == before  # the old state is left as it was


def test_a_random_sequence_of_edits_stays_equal_to_a_fresh_build(
        demo: Demo, reads: list[int]) -> None:
    cache = EngineCache()
    rnd = random.Random(12)
    s, ws = demo.w.session, demo.w.wid
    order = [k for k in KINDS if k not in ("objective archived", "alignment removed")]
    rnd.shuffle(order)
    for step, kind in enumerate(order):
        assert_patched_equals_fresh(demo, cache, reads, edits(demo)[kind])
        if step % 4 == 1:
            # A check-in in between: caught up in place, then the next edit patches it.
            metric = rnd.choice(demo.metrics)
            check_in(s, ws, {"metric_id": metric.id, "value": rnd.uniform(50, 250),
                             "as_of": (TODAY - dt.timedelta(days=rnd.randint(0, 20))
                                       ).isoformat()}, today=TODAY)
            s.commit()
        # Random re-targets too, so statuses move across the sequence.
        metric, low, high = rnd.choice([(demo.orders, 110, 260), (demo.margin, 110, 260),
                                        (demo.churn, 2, 9)])
        target = round(rnd.uniform(low, high), 1)
        assert_patched_equals_fresh(demo, cache, reads, lambda m=metric, t=target:
                                    update_metric(s, ws, m.id, {"target_value": t}))


def test_a_new_metric_rebuilds_and_equals_a_fresh_build(demo: Demo, reads: list[int]) -> None:
    cache = EngineCache()
    s = demo.w.session
    cache.state(s, demo.w.wid)
    demo.w.metric("Basket size", objectives=[{"objective_id": demo.retail.id}])
    s.commit()
    reads.clear()
    st = cache.state(s, demo.w.wid)
    assert reads == [demo.w.wid]
    assert views(st) == views(EngineCache().state(s, demo.w.wid))


def test_an_other_day_read_is_patched_too(demo: Demo, reads: list[int]) -> None:
    cache = EngineCache()
    s, ws = demo.w.session, demo.w.wid
    day = TODAY - dt.timedelta(days=30)
    cache.state(s, ws, day)
    update_metric(s, ws, demo.churn.id, {"target_value": 6.0})
    s.commit()
    reads.clear()
    st = cache.state(s, ws, day)
    assert reads == []
    assert views(st) == views(EngineCache().state(s, ws, day))
