"""Every refusal names the field, the value and why — and writes nothing.

Each test counts every table before the refused call and again after a flush of the same
session, so a service that staged a row before refusing would fail here even without a
rollback.
"""

from __future__ import annotations

import pytest

from steerco.checkins.service import check_in
from steerco.db.repository import entity_counts
from steerco.dependencies.service import create_dependency
from steerco.finance.service import create_budget_line
from steerco.initiatives.service import add_milestone, create_initiative, move_stage
from steerco.kit.errors import CycleRefused, ValidationFailed
from steerco.metrics.service import set_plan
from steerco.objectives.service import align
from steerco.org.service import create_workspace
from tests.factories import TODAY, world


@pytest.fixture()
def w(session):
    return world(session)


def refused(session, call, exc=ValidationFailed):
    """Run a call that must be refused; return the error after proving nothing was written."""
    session.flush()
    before = entity_counts(session)
    with pytest.raises(exc) as info:
        call()
    session.flush()
    assert entity_counts(session) == before, "a refused call wrote something"
    return info.value


def fields(err):
    return {e.field: e.message for e in err.errors}


def test_an_owner_that_is_a_team_is_refused_with_its_id(w):
    err = refused(w.session, lambda: w.metric(owner_id=f"org_{w.team.id}"))
    assert fields(err) == {"owner_id": f"must be a person, got an org unit (org_{w.team.id})"}


def test_an_owner_from_another_workspace_is_refused(w, session):
    other = world(session)
    err = refused(session, lambda: w.metric(owner_id=f"per_{other.alice.id}"))
    assert fields(err) == {"owner_id": f"no person per_{other.alice.id} in this workspace"}


def test_a_target_date_before_the_baseline_date_is_refused(w):
    err = refused(w.session, lambda: w.metric(baseline_date="2026-06-01",
                                              target_date="2026-01-31"))
    assert fields(err) == {"target_date": "the target date 31 Jan 2026 must be after the "
                                          "baseline date 1 Jun 2026"}


def test_plan_points_out_of_order_are_refused_at_creation(w):
    plan = [{"on": "2026-03-01", "value": 120}, {"on": "2026-02-01", "value": 110}]
    err = refused(w.session, lambda: w.metric(plan=plan))
    assert "plan.1.on 2026-02-01 is not after plan.0.on 2026-03-01" in err.detail


def test_plan_points_out_of_order_are_refused_when_replacing_the_plan(w):
    m = w.metric()
    plan = [{"on": "2026-03-01", "value": 1}, {"on": "2026-03-01", "value": 2}]
    err = refused(w.session, lambda: set_plan(w.session, w.wid, f"met_{m.id}", plan))
    assert "plan.1.on 2026-03-01 is not after plan.0.on 2026-03-01" in err.detail


def test_a_plan_point_with_a_bad_value_names_its_position(w):
    m = w.metric()
    err = refused(w.session, lambda: set_plan(w.session, w.wid, m.id,
                                              [{"on": "2026-03-01", "value": "lots"}]))
    assert list(fields(err)) == ["plan.0.value"]


def test_an_alignment_that_closes_a_cycle_is_refused_with_the_cycle(w):
    top = w.objective("Top")
    mid = w.objective("Mid", parents=[{"objective_id": f"obj_{top.id}"}])
    low = w.objective("Low", parents=[{"objective_id": f"obj_{mid.id}"}])
    err = refused(w.session, lambda: align(w.session, w.wid, top.id, low.id), CycleRefused)
    assert err.path == [f"obj_{top.id}", f"obj_{low.id}", f"obj_{mid.id}", f"obj_{top.id}"]
    assert f"obj_{top.id} → obj_{low.id} → obj_{mid.id} → obj_{top.id}" in err.detail


def test_an_objective_cannot_align_to_itself(w):
    top = w.objective("Top")
    refused(w.session, lambda: align(w.session, w.wid, top.id, top.id), CycleRefused)


def test_a_dependency_that_closes_a_cycle_is_refused_with_the_cycle(w):
    ini = create_initiative(w.session, w.wid, {"name": "Portal", "owner_id": w.alice.id})
    a, b, c = (add_milestone(w.session, w.wid, {"initiative_id": ini.id, "name": n,
                                                "due_date": "2026-05-01"}) for n in "abc")
    create_dependency(w.session, w.wid, {"provider": f"mil_{a.id}", "consumer": f"mil_{b.id}"})
    create_dependency(w.session, w.wid, {"provider": f"mil_{b.id}", "consumer": f"mil_{c.id}"})
    err = refused(w.session, lambda: create_dependency(
        w.session, w.wid, {"provider": f"mil_{c.id}", "consumer": f"mil_{a.id}"}),
        CycleRefused)
    assert err.path == [f"mil_{c.id}", f"mil_{a.id}", f"mil_{b.id}", f"mil_{c.id}"]


def test_a_dependency_between_an_initiative_and_its_own_milestone_is_a_cycle(w):
    ini = create_initiative(w.session, w.wid, {"name": "Portal", "owner_id": w.alice.id})
    other = create_initiative(w.session, w.wid, {"name": "Shop", "owner_id": w.alice.id})
    a = add_milestone(w.session, w.wid, {"initiative_id": ini.id, "name": "a",
                                         "due_date": "2026-05-01"})
    b = add_milestone(w.session, w.wid, {"initiative_id": other.id, "name": "b",
                                         "due_date": "2026-06-01"})
    # Initiative → its own milestone: closes the built-in milestone → initiative link.
    err = refused(w.session, lambda: create_dependency(
        w.session, w.wid, {"provider": f"ini_{ini.id}", "consumer": f"mil_{a.id}"}),
        CycleRefused)
    assert err.path == [f"ini_{ini.id}", f"mil_{a.id}", f"ini_{ini.id}"]
    # And the reverse: an initiative cannot wait for its own milestone.
    err = refused(w.session, lambda: create_dependency(
        w.session, w.wid, {"provider": f"mil_{a.id}", "consumer": f"ini_{ini.id}"}),
        CycleRefused)
    assert err.path == [f"mil_{a.id}", f"ini_{ini.id}", f"mil_{a.id}"]
    # Through another team: Portal → b, b's initiative Shop → a (a is Portal's).
    create_dependency(w.session, w.wid, {"provider": f"ini_{other.id}",
                                         "consumer": f"mil_{a.id}"})
    err = refused(w.session, lambda: create_dependency(
        w.session, w.wid, {"provider": f"ini_{ini.id}", "consumer": f"mil_{b.id}"}),
        CycleRefused)
    assert err.path == [f"ini_{ini.id}", f"mil_{b.id}", f"ini_{other.id}", f"mil_{a.id}",
                        f"ini_{ini.id}"]
    # A milestone of one initiative feeding another initiative is ordinary.
    create_dependency(w.session, w.wid, {"provider": f"mil_{b.id}", "consumer": f"ini_{ini.id}"})


def test_a_dependency_on_an_objective_is_refused(w):
    ini = create_initiative(w.session, w.wid, {"name": "Portal"})
    obj = w.objective()
    err = refused(w.session, lambda: create_dependency(
        w.session, w.wid, {"provider": f"obj_{obj.id}", "consumer": f"ini_{ini.id}"}))
    assert fields(err) == {"provider": f"must be a milestone or an initiative, got an "
                                       f"objective (obj_{obj.id})"}


def test_a_measurement_for_a_metric_in_another_workspace_is_refused(w, session):
    other = world(session)
    foreign = other.metric()
    err = refused(session, lambda: check_in(session, w.wid, {
        "metric_id": f"met_{foreign.id}", "value": 1, "as_of": "2026-11-01"}, today=TODAY))
    assert fields(err) == {"metric_id": f"no metric met_{foreign.id} in this workspace"}


def test_a_measurement_dated_in_the_future_is_refused(w):
    m = w.metric()
    err = refused(w.session, lambda: check_in(w.session, w.wid, {
        "metric_id": m.id, "value": 1, "as_of": "2027-01-01"}, today=TODAY))
    assert fields(err) == {"as_of": "2027-01-01 is after today (2026-11-22 in UTC, the "
                                    "workspace's time zone)"}


def test_a_measurement_with_an_unknown_field_names_it(w):
    m = w.metric()
    err = refused(w.session, lambda: check_in(w.session, w.wid, {
        "metric_id": m.id, "value": 1, "as_of": "2026-11-01", "valeu": 3}, today=TODAY))
    assert list(fields(err)) == ["valeu"]


def test_a_correction_must_supersede_a_measurement_of_the_same_metric(w):
    m1, m2 = w.metric("A"), w.metric("B")
    first = check_in(w.session, w.wid, {"metric_id": m1.id, "value": 1,
                                        "as_of": "2026-11-01"}, today=TODAY)
    err = refused(w.session, lambda: check_in(w.session, w.wid, {
        "metric_id": m2.id, "value": 2, "as_of": "2026-11-01",
        "supersedes_id": f"mea_{first.id}"}, today=TODAY))
    assert f"mea_{first.id} belongs to met_{m1.id}, not met_{m2.id}" in err.detail


def test_deciding_an_initiative_without_owner_date_metric_or_budget_names_each_gap(w):
    ini = create_initiative(w.session, w.wid, {"name": "Consolidate warehouses",
                                               "stage": "detailed"})
    err = refused(w.session, lambda: move_stage(w.session, w.wid, ini.id, "decided"))
    assert set(fields(err)) == {"owner_id", "due_date", "metric_ids", "budget_lines"}
    assert ini.stage.value == "detailed"


def test_deciding_a_complete_initiative_passes_the_gate(w):
    m = w.metric()
    ini = create_initiative(w.session, w.wid, {
        "name": "Consolidate warehouses", "stage": "detailed", "owner_id": w.alice.id,
        "due_date": "2026-12-31", "metric_ids": [f"met_{m.id}"]})
    create_budget_line(w.session, w.wid, {"code": "CC-100", "name": "Warehouses",
                                          "initiative_id": ini.id})
    assert move_stage(w.session, w.wid, ini.id, "decided").stage.value == "decided"


def test_the_stage_gate_cannot_be_skipped(w):
    ini = create_initiative(w.session, w.wid, {"name": "Portal"})
    err = refused(w.session, lambda: move_stage(w.session, w.wid, ini.id, "decided"))
    assert "cannot skip from defined to decided; next is detailed" in err.detail


def test_a_duplicate_workspace_slug_is_refused(session):
    create_workspace(session, {"slug": "acme", "name": "Acme"})
    err = refused(session, lambda: create_workspace(session, {"slug": "acme", "name": "Other"}))
    assert fields(err) == {"slug": "workspace 'acme' already exists"}
