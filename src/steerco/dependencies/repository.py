"""Queries of dependencies."""

from __future__ import annotations

from sqlalchemy import or_, select

from steerco.db.models import Dependency, Milestone
from steerco.db.repository import Repository

Node = tuple[str, int]  # ("milestone" | "initiative", key)


class DependencyRepository(Repository[Dependency]):
    model = Dependency
    kind = "dependency"

    def successors(self, nodes: list[Node]) -> list[tuple[Node, Node]]:
        """(provider, consumer) edges leaving any of `nodes`: dependencies, and each
        milestone's link to its own initiative."""
        ms = [k for kind, k in nodes if kind == "milestone"]
        ini = [k for kind, k in nodes if kind == "initiative"]
        conds = []
        if ms:
            conds.append(Dependency.provider_milestone_id.in_(ms))
        if ini:
            conds.append(Dependency.provider_initiative_id.in_(ini))
        if not conds:
            return []
        q = select(Dependency.provider_milestone_id, Dependency.provider_initiative_id,
                   Dependency.consumer_milestone_id, Dependency.consumer_initiative_id).where(
            Dependency.workspace_id == self.workspace_id, or_(*conds))
        out: list[tuple[Node, Node]] = []
        if ms:
            # The built-in link: a milestone's finish feeds its initiative's (the schedule
            # has this edge for every milestone), so a path may run through it.
            link = select(Milestone.id, Milestone.initiative_id).where(
                Milestone.workspace_id == self.workspace_id, Milestone.id.in_(ms))
            out.extend((("milestone", m), ("initiative", i))
                       for m, i in self.session.execute(link))
        for pm, pi, cm, ci in self.session.execute(q):
            # The check constraints guarantee exactly one of each pair is set.
            prov: Node = ("milestone", pm) if pm is not None else ("initiative", pi or 0)
            cons: Node = ("milestone", cm) if cm is not None else ("initiative", ci or 0)
            out.append((prov, cons))
        return out
