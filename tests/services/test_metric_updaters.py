"""Delegated updaters: who may be one, adding twice, withdrawing, and reading them in bulk."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from steerco.db.models import MetricUpdater
from steerco.db.repository import entity_counts
from steerco.kit.errors import NotFound, ValidationFailed
from steerco.metrics.service import add_updater, remove_updater, updaters_of
from tests.factories import world


@pytest.fixture()
def w(session):
    return world(session)


def fields(err):
    return {e.field: e.message for e in err.errors}


def test_a_person_of_the_workspace_becomes_an_updater_once(w):
    m = w.metric()
    row, created = add_updater(w.session, w.wid, m.id, {"person_id": f"per_{w.bob.id}"})
    assert created and (row.metric_id, row.person_id) == (m.id, w.bob.id)
    again, created_again = add_updater(w.session, w.wid, f"met_{m.id}",
                                       {"person_id": w.bob.id})
    assert not created_again and again.id == row.id
    assert updaters_of(w.session, w.wid, [m.id]) == {m.id: [w.bob.id]}


def test_the_owner_cannot_be_made_an_updater_of_their_own_metric(w):
    m = w.metric()
    with pytest.raises(ValidationFailed) as info:
        add_updater(w.session, w.wid, m.id, {"person_id": f"per_{w.alice.id}"})
    assert "person_id" in fields(info.value)
    assert "owns" in fields(info.value)["person_id"]


def test_a_team_or_a_person_of_another_workspace_is_refused_naming_person_id(w, session):
    m = w.metric()
    other = world(session)
    session.flush()
    before = entity_counts(session)
    with pytest.raises(ValidationFailed) as info:
        add_updater(session, w.wid, m.id, {"person_id": f"per_{other.bob.id}"})
    assert fields(info.value) == {"person_id": f"no person per_{other.bob.id} in this "
                                               "workspace"}
    with pytest.raises(ValidationFailed) as info:
        add_updater(session, w.wid, m.id, {"person_id": f"org_{w.team.id}"})
    assert list(fields(info.value)) == ["person_id"]
    session.flush()
    assert entity_counts(session) == before


def test_withdrawing_a_delegation_removes_it_and_a_missing_one_is_not_found(w):
    m = w.metric()
    add_updater(w.session, w.wid, m.id, {"person_id": w.bob.id})
    remove_updater(w.session, w.wid, m.id, f"per_{w.bob.id}")
    assert updaters_of(w.session, w.wid, [m.id]) == {m.id: []}
    with pytest.raises(NotFound):
        remove_updater(w.session, w.wid, m.id, w.bob.id)


def test_updaters_of_many_metrics_come_back_per_metric_and_stay_in_their_workspace(w, session):
    a, b, c = w.metric("A"), w.metric("B"), w.metric("C")
    add_updater(session, w.wid, a.id, {"person_id": w.bob.id})
    add_updater(session, w.wid, c.id, {"person_id": w.bob.id})
    other = world(session)
    assert updaters_of(session, w.wid, [a.id, b.id, c.id]) == {
        a.id: [w.bob.id], b.id: [], c.id: [w.bob.id]}
    assert updaters_of(session, other.wid, [a.id]) == {a.id: []}


def test_deleting_the_person_deletes_their_delegations(w, session):
    m = w.metric()
    add_updater(session, w.wid, m.id, {"person_id": w.bob.id})
    session.flush()
    session.delete(w.bob)
    session.flush()
    session.expire_all()
    assert session.scalars(select(MetricUpdater).where(
        MetricUpdater.metric_id == m.id)).all() == []
