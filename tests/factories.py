"""Small builders for service tests: a workspace with people, objectives and metrics."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from steerco.db.models import Metric, Objective, OrgUnit, Person, Workspace
from steerco.metrics.service import create_metric
from steerco.objectives.service import create_objective
from steerco.org.service import create_org_unit, create_person, create_workspace

_seq = itertools.count(1)


@dataclass
class World:
    session: Session
    ws: Workspace
    team: OrgUnit
    alice: Person
    bob: Person

    @property
    def wid(self) -> int:
        return self.ws.id

    def objective(self, title: str = "Grow revenue", **kw: Any) -> Objective:
        data = {"title": title, "period_start": "2026-01-01", "period_end": "2026-12-31",
                "level": "company", "perspective": "financial",
                "owner_id": f"per_{self.alice.id}", **kw}
        return create_objective(self.session, self.wid, data)

    def metric(self, name: str = "Net revenue", **kw: Any) -> Metric:
        data = {"name": name, "unit": "EUR", "direction": "increase_to",
                "baseline_value": 100.0, "baseline_date": "2026-01-01",
                "target_value": 200.0, "target_date": "2026-12-31",
                "owner_id": f"per_{self.alice.id}", **kw}
        return create_metric(self.session, self.wid, data)


def world(session: Session, slug: str | None = None) -> World:
    """A fresh workspace with one team and two people."""
    n = next(_seq)
    ws = create_workspace(session, {"slug": slug or f"ws-{n}", "name": f"Workspace {n}"})
    team = create_org_unit(session, ws.id, {"name": "Pricing Team", "kind": "team"})
    alice = create_person(session, ws.id, {"name": "Alice Archer", "email": "alice@x.example",
                                           "org_unit_id": f"org_{team.id}"})
    bob = create_person(session, ws.id, {"name": "Bob Baker", "email": "bob@x.example",
                                         "manager_id": f"per_{alice.id}"})
    session.flush()
    return World(session, ws, team, alice, bob)


TODAY = dt.date(2026, 11, 22)
