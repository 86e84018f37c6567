"""Every change is in the audit log; the boundary commits or rolls back as a whole."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import AuditEntry, Objective, Workspace
from steerco.kit.errors import ValidationFailed
from steerco.org.service import create_workspace
from tests.factories import world


def test_creating_and_updating_an_objective_is_audited_with_before_and_after(session):
    w = world(session)
    session.info["actor"] = "per_1"
    obj = w.objective("Grow revenue")
    obj.title = "Grow recurring revenue"
    session.flush()
    rows = session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "objectives", AuditEntry.entity_id == obj.id)
        .order_by(AuditEntry.id)).all()
    assert [r.action.value for r in rows] == ["create", "update"]
    assert rows[0].changes["title"] == "Grow revenue"
    assert rows[1].changes == {"title": ["Grow revenue", "Grow recurring revenue"]}
    assert {r.actor for r in rows} == {"per_1"}
    assert rows[0].workspace_id == w.wid


def test_a_stale_write_is_refused_by_the_version(engine):
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as s:
        w = world(s)
        obj_id = w.objective("Versioned").id
        ws_id = w.wid
    try:
        # The realistic race: a client reads (version 1), someone else writes and
        # commits, then the client writes what it read. The UPDATE carries the version
        # it read, matches no row, and is refused instead of overwriting.
        with factory() as slow:
            stale = slow.get(Objective, obj_id)
            slow.commit()
            with factory() as fast:
                fast.get(Objective, obj_id).title = "first writer"
                fast.commit()
            stale.title = "second writer, stale"
            with pytest.raises(StaleDataError):
                slow.commit()
        with factory() as check:
            assert check.get(Objective, obj_id).title == "first writer"
            assert check.get(Objective, obj_id).version == 2
    finally:
        with unit_of_work(factory) as s:
            s.delete(s.get(Workspace, ws_id))


def test_the_unit_of_work_rolls_back_everything_when_a_step_is_refused(engine):
    factory = make_sessionmaker(engine)
    with pytest.raises(ValidationFailed), unit_of_work(factory) as s:
        create_workspace(s, {"slug": "half-done", "name": "Half"})
        create_workspace(s, {"slug": "half-done", "name": "Twice"})
    with Session(engine) as s:
        assert s.scalar(select(Workspace).where(Workspace.slug == "half-done")) is None
