"""The evidence engine on stored data: snapshot, statuses, check-ins and forecast history."""

from __future__ import annotations

import datetime as dt

import numpy as np

from steerco.checkins.service import check_in
from steerco.evidence.history import (
    accuracy_report,
    changes_since_last_review,
    record_forecasts,
)
from steerco.evidence.service import EngineCache, load_snapshot, status_tree
from tests.factories import world

AS_OF = dt.date(2026, 6, 30)


def weekly(w, metric, start: dt.date, values, **kw):
    for i, v in enumerate(values):
        check_in(w.session, w.wid, {"metric_id": metric.id, "value": float(v),
                                    "as_of": (start + dt.timedelta(days=7 * i)).isoformat(),
                                    **kw}, today=AS_OF)


def build(session):
    w = world(session)
    top = w.objective("Grow the business")
    obj = w.objective("Win in retail", level="business_unit",
                      parents=[{"objective_id": top.id}])
    good = w.metric("Orders", cadence="weekly", baseline_value=100, target_value=200,
                    baseline_date="2026-01-01", target_date="2026-12-31",
                    objectives=[{"objective_id": obj.id}])
    bad = w.metric("Margin", cadence="weekly", baseline_value=100, target_value=200,
                   baseline_date="2026-01-01", target_date="2026-12-31",
                   objectives=[{"objective_id": obj.id}])
    empty = w.metric("NPS", cadence="monthly", objectives=[{"objective_id": top.id}])
    weeks = 26
    weekly(w, good, dt.date(2026, 1, 1), np.linspace(196, 210, weeks))
    weekly(w, bad, dt.date(2026, 1, 1), np.linspace(100, 102, weeks))
    session.flush()
    return w, top, obj, good, bad, empty


def test_the_snapshot_holds_every_metric_its_evidence_and_the_objective_graph(session):
    w, top, obj, good, bad, empty = build(session)
    snap = load_snapshot(session, w.wid)
    assert list(snap.metrics.ids) == sorted([good.id, bad.id, empty.id])
    assert np.diff(snap.history.offsets).tolist() == [26, 26, 0]
    assert sorted(snap.objective_ids.tolist()) == sorted([top.id, obj.id])


def test_statuses_are_computed_from_evidence_and_roll_up_with_reasons(session):
    w, top, obj, good, bad, empty = build(session)
    st = EngineCache().state(session, w.wid, AS_OF)
    tree = status_tree(session, w.wid, st)
    assert [n["title"] for n in tree] == ["Grow the business"]
    by_name = {m["name"]: m for n in tree for c in n["children"] for m in c["metrics"]}
    assert by_name["Orders"]["status"] == "on_track"
    assert by_name["Margin"]["status"] == "off_track"
    assert by_name["Margin"]["p_hit"] < 0.05
    assert "Forecast" in by_name["Margin"]["explanation"]
    assert "target 200" in by_name["Margin"]["explanation"]
    nps = tree[0]["metrics"][0]
    assert nps["name"] == "NPS" and nps["status"] == "no_data"
    retail = tree[0]["children"][0]
    assert retail["status"] in ("at_risk", "off_track")
    # The worst metric below travels up with the reason that decided its status.
    assert retail["worst"][0] == {"reason": "p_hit_low", "metric_id": f"met_{bad.id}",
                                  "status": "off_track"}


def test_a_check_in_updates_its_metric_and_ancestors_on_the_next_read(session):
    w, top, obj, good, bad, empty = build(session)
    cache = EngineCache()
    st = cache.state(session, w.wid, AS_OF)
    before = status_tree(session, w.wid, st)
    assert before[0]["metrics"][0]["status"] == "no_data"
    check_in(session, w.wid, {"metric_id": empty.id, "value": 150.0,
                              "as_of": "2026-06-29"}, today=AS_OF)
    session.flush()
    st2 = cache.state(session, w.wid, AS_OF)
    assert st2 is st  # patched in place, not rebuilt
    after = status_tree(session, w.wid, st2)
    nps = after[0]["metrics"][0]
    assert nps["status"] != "no_data" and nps["last_value"] == 150.0
    full = EngineCache().state(session, w.wid, AS_OF)
    assert np.array_equal(full.evaluation.objectives.status, st2.evaluation.objectives.status)
    np.testing.assert_allclose(full.evaluation.metrics.p_hit, st2.evaluation.metrics.p_hit,
                               equal_nan=True)


def test_another_day_reuses_a_cached_snapshot_and_equals_a_fresh_read(session, monkeypatch):
    """An `as_of` read of a new day copies a cached state's snapshot (model unchanged)
    instead of reading the workspace again; with a check-in and a correction in between
    it still equals a fresh read, and the state it copied from is left as it was."""
    import steerco.evidence.service as es

    w, top, obj, good, bad, empty = build(session)
    cache = EngineCache()
    a = cache.state(session, w.wid, AS_OF - dt.timedelta(days=30))
    first = check_in(session, w.wid, {"metric_id": empty.id, "value": 10.0,
                                      "as_of": "2026-06-20"}, today=AS_OF)
    session.flush()
    check_in(session, w.wid, {"metric_id": empty.id, "value": 140.0, "as_of": "2026-06-20",
                              "supersedes_id": first.id}, today=AS_OF)
    session.flush()
    reads = []
    real = es.load_snapshot
    monkeypatch.setattr(es, "load_snapshot", lambda *a: reads.append(a) or real(*a))
    b = cache.state(session, w.wid, AS_OF)
    assert reads == []  # copied, not read
    assert b.snapshot is not a.snapshot
    fresh = EngineCache().state(session, w.wid, AS_OF)
    assert len(reads) == 1
    row = int(np.flatnonzero(b.snapshot.metrics.ids == empty.id)[0])
    assert b.evaluation.metrics.last_value[row] == 140.0
    for name in ("p_hit", "last_value", "progress"):
        np.testing.assert_allclose(getattr(b.evaluation.metrics, name),
                                   getattr(fresh.evaluation.metrics, name), equal_nan=True)
    assert np.array_equal(b.evaluation.metrics.status.status,
                          fresh.evaluation.metrics.status.status)
    assert np.array_equal(b.evaluation.objectives.status, fresh.evaluation.objectives.status)
    assert [list(x) for x in b.snapshot.history_of(row)[:2]] == [
        list(x) for x in fresh.snapshot.history_of(row)[:2]]


def test_a_correction_replaces_the_value_it_supersedes(session):
    w, top, obj, good, bad, empty = build(session)
    first = check_in(session, w.wid, {"metric_id": empty.id, "value": 10.0,
                                      "as_of": "2026-06-29"}, today=AS_OF)
    session.flush()
    cache = EngineCache()
    st = cache.state(session, w.wid, AS_OF)
    row = int(np.flatnonzero(st.snapshot.metrics.ids == empty.id)[0])
    assert st.evaluation.metrics.last_value[row] == 10.0
    check_in(session, w.wid, {"metric_id": empty.id, "value": 99.0, "as_of": "2026-06-29",
                              "supersedes_id": first.id}, today=AS_OF)
    session.flush()
    st = cache.state(session, w.wid, AS_OF)
    assert st.evaluation.metrics.last_value[row] == 99.0
    d, v, _ = st.snapshot.history_of(row)
    assert v.tolist() == [99.0]


def test_recorded_forecasts_are_judged_by_horizon_once_actuals_arrive(session):
    w, top, obj, good, bad, empty = build(session)
    # Forecasts issued on 30 June for targets on 31 December, judged with December data.
    st = EngineCache().state(session, w.wid, AS_OF)
    assert record_forecasts(session, w.wid, st) == 3
    assert record_forecasts(session, w.wid, st) == 3  # idempotent per issue date
    later = dt.date(2027, 1, 5)
    check_in(session, w.wid, {"metric_id": good.id, "value": 190.0, "as_of": "2026-12-30"},
             today=later)
    check_in(session, w.wid, {"metric_id": bad.id, "value": 105.0, "as_of": "2026-12-30"},
             today=later)
    session.flush()
    st_late = EngineCache().state(session, w.wid, later)
    report = accuracy_report(session, w.wid, st_late, later)
    assert report["forecasts_judged"] == 2
    assert [r["horizon_months"] for r in report["overall"]] == [6]
    assert report["overall"][0]["n"] == 2
    per_metric = {r["metric_id"]: r for r in report["per_metric"]}
    fc = st.evaluation.metrics.forecast
    row_bad = int(np.flatnonzero(st.snapshot.metrics.ids == bad.id)[0])
    assert per_metric[f"met_{bad.id}"]["mean_error"] == round(float(fc[row_bad]) - 105.0, 4)


def test_what_changed_since_the_last_review_lists_moved_statuses_worst_first(session):
    w, top, obj, good, bad, empty = build(session)
    review_day = dt.date(2026, 6, 1)
    st_then = EngineCache().state(session, w.wid, review_day)
    record_forecasts(session, w.wid, st_then)
    # After the review the good metric collapses: its status must show as worsened.
    weekly(w, good, dt.date(2026, 6, 4), [150, 120, 100, 90])
    session.flush()
    st_now = EngineCache().state(session, w.wid, AS_OF)
    report = changes_since_last_review(session, w.wid, st_now)
    assert report["since"] == "2026-06-01"
    first = report["changes"][0]
    assert first["metric_id"] == f"met_{good.id}" and first["worse"] is True
    assert first["status_now"] in ("off_track", "at_risk")
    assert first["forecast_now"] < first["forecast_before"]
    untouched = [c for c in report["changes"] if c["metric_id"] == f"met_{empty.id}"]
    assert untouched == []


def test_without_a_recorded_review_nothing_is_reported_as_changed(session):
    w, *_ = build(session)
    st = EngineCache().state(session, w.wid, AS_OF)
    assert changes_since_last_review(session, w.wid, st) == {"since": None, "changes": []}


def test_an_owner_who_was_ninety_percent_sure_of_a_target_that_missed_shows_over_confident(
        session):
    w, top, obj, good, bad, empty = build(session)
    later = dt.date(2027, 1, 5)
    # Alice owns both: 90 % sure of each; at year end one target is met, one is not.
    for metric, value in ((good, 205.0), (bad, 105.0)):
        for day in ("2026-11-02", "2026-12-01"):
            check_in(session, w.wid, {"metric_id": metric.id, "value": 150.0, "as_of": day,
                                      "confidence": 0.9}, today=later)
        check_in(session, w.wid, {"metric_id": metric.id, "value": value,
                                  "as_of": "2026-12-30"}, today=later)
    session.flush()
    report = accuracy_report(session, w.wid, EngineCache().state(session, w.wid, later), later)
    (row,) = report["owner_calibration"]
    assert row["owner_id"] == f"per_{w.alice.id}" and row["checkins"] == 4
    assert row["hit_rate"] == 0.5 and row["mean_confidence"] == 0.9
    assert row["bias"] == 0.4 and row["verdict"] == "over-confident"
    assert row["brier"] == round((2 * 0.01 + 2 * 0.81) / 4, 4)
