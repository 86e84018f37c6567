"""Rules a newcomer met in the forms, held in the services so the API, the pages and the
imports agree: two metrics of one objective share no name, a key result is due within
its objective's period, naming what an initiative needs declares its dependencies, the
stage gate reads in lifecycle order, and a service names every bad field at once."""

from __future__ import annotations

import pytest

from steerco.db.enums import STAGE_ORDER
from steerco.dependencies.service import create_dependency
from steerco.initiatives.service import add_milestone, create_initiative
from steerco.kit.errors import ValidationFailed
from steerco.metrics.service import attach_objective, update_metric
from steerco.objectives.service import update_objective
from tests.factories import world


@pytest.fixture()
def w(session):
    return world(session)


def _kr(w, obj, name="Net revenue", **kw):
    return w.metric(name, objectives=[{"objective_id": f"obj_{obj.id}"}], **kw)


def test_two_metrics_of_one_objective_share_no_name_and_the_other_is_named(w):
    obj = w.objective()
    first = _kr(w, obj)
    with pytest.raises(ValidationFailed) as err:
        _kr(w, obj, " net REVENUE ")
    (e,) = err.value.errors
    assert e.field == "name"
    assert f"“Grow revenue” already has a metric called “Net revenue” (met_{first.id})" \
        in e.message
    other = w.objective("Cut costs")
    _kr(w, other)  # another objective: the same name is fine
    renamed = _kr(w, obj, "Gross margin")
    with pytest.raises(ValidationFailed) as err:  # renaming onto the twin, too
        update_metric(w.session, w.wid, renamed.id, {"name": "Net revenue"})
    assert err.value.errors[0].field == "name"
    loose = w.metric("Net revenue")
    with pytest.raises(ValidationFailed) as err:  # and linking the twin to it
        attach_objective(w.session, w.wid, loose.id, f"obj_{obj.id}")
    assert err.value.errors[0].field == "name"


def test_a_key_result_is_due_within_its_objectives_period(w):
    obj = w.objective()  # 2026
    with pytest.raises(ValidationFailed) as err:
        _kr(w, obj, target_date="2027-03-31")
    (e,) = err.value.errors
    assert e.field == "target_date" and e.value == "2027-03-31"
    assert "outside the period of the objective “Grow revenue” (2026-01-01 to 2026-12-31)" \
        in e.message
    kr = _kr(w, obj, target_date="2026-12-31")
    with pytest.raises(ValidationFailed) as err:
        update_metric(w.session, w.wid, kr.id, {"target_date": "2027-01-31"})
    assert err.value.errors[0].field == "target_date"
    # A KPI is not a key result: it may run past an objective's period.
    _kr(w, obj, "Uptime", kind="kpi", target_date="2027-06-30")


def test_a_new_metric_names_every_bad_field_at_once(w):
    obj = w.objective()
    _kr(w, obj)
    with pytest.raises(ValidationFailed) as err:
        _kr(w, obj, owner_id="per_999999", target_date="2027-03-31")
    assert {e.field for e in err.value.errors} == {"owner_id", "name", "target_date"}


def test_naming_what_an_initiative_needs_declares_its_dependencies(w):
    portal = create_initiative(w.session, w.wid, {"name": "Portal", "owner_id": w.alice.id})
    shop = create_initiative(w.session, w.wid, {"name": "Shop", "owner_id": w.alice.id})
    app = create_initiative(w.session, w.wid, {"name": "App", "owner_id": w.alice.id})
    gate = add_milestone(w.session, w.wid, {"initiative_id": app.id, "name": "Beta",
                                            "due_date": "2026-05-01"})
    assert not (portal.dependencies_declared or shop.dependencies_declared)
    create_dependency(w.session, w.wid, {"provider": f"ini_{portal.id}",
                                         "consumer": f"ini_{shop.id}"})
    assert shop.dependencies_declared and not portal.dependencies_declared
    create_dependency(w.session, w.wid, {"provider": f"ini_{portal.id}",
                                         "consumer": f"mil_{gate.id}"})
    assert app.dependencies_declared  # through its milestone


def test_a_dependency_with_two_bad_ends_names_both(w):
    with pytest.raises(ValidationFailed) as err:
        create_dependency(w.session, w.wid, {"provider": "ini_999998",
                                             "consumer": "mil_999999"})
    assert {e.field for e in err.value.errors} == {"provider", "consumer"}


def test_the_stage_gate_reads_in_lifecycle_order():
    assert [s.value for s in STAGE_ORDER] == [
        "identified", "defined", "detailed", "decided", "implemented", "closed"]


def test_an_objective_names_every_bad_reference_and_date_at_once(w):
    with pytest.raises(ValidationFailed) as err:
        w.objective(owner_id="per_999999", org_unit_id="org_999999", theme_id="thm_999999")
    assert {e.field for e in err.value.errors} == {"owner_id", "org_unit_id", "theme_id"}
    obj = w.objective()
    with pytest.raises(ValidationFailed) as err:
        update_objective(w.session, w.wid, obj.id, {"owner_id": "per_999999",
                                                    "period_end": "2025-01-01"})
    assert {e.field for e in err.value.errors} == {"owner_id", "period_end"}
    assert obj.period_end.isoformat() == "2026-12-31"  # nothing changed
