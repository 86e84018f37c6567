"""Builders of fresh target entities for the authorization matrix (committed, via services)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from steerco.accounts import service as accounts
from steerco.checkins.service import check_in
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.dependencies.service import create_dependency
from steerco.finance.service import create_budget_line, post_ledger_entry
from steerco.governance.service import (
    add_action,
    create_review,
    create_rule,
    open_escalation,
    record_decision,
)
from steerco.initiatives.service import (
    add_benefit,
    add_milestone,
    create_initiative,
    link_metric,
)
from steerco.metrics.repository import MetricRepository
from steerco.metrics.service import add_causal_link, add_updater, create_metric
from steerco.objectives.service import align, create_objective, create_theme
from steerco.org.service import create_org_unit, create_person
from steerco.transfer.feeds import service as feeds
from tests.api.conftest import Tenant

_n = iter(range(1, 10**9))


def _metric(s: Any, ws: int, owner: int) -> int:
    return create_metric(s, ws, {
        "name": "Revenue", "unit": "EUR", "direction": "increase_to", "baseline_value": 1.0,
        "baseline_date": "2026-01-01", "target_value": 2.0, "target_date": "2026-12-31",
        "owner_id": owner}).id


def _objective(s: Any, ws: int, unit: int, owner: int) -> int:
    return create_objective(s, ws, {
        "title": "Grow", "period_start": "2026-01-01", "period_end": "2026-12-31",
        "level": "company", "perspective": "financial", "owner_id": owner,
        "org_unit_id": unit}).id


def _initiative(s: Any, ws: int, unit: int, owner: int) -> int:
    return create_initiative(s, ws, {"name": "Do", "org_unit_id": unit, "owner_id": owner,
                                     "start_date": "2026-01-01",
                                     "due_date": "2026-12-31"}).id


def build(engine: Engine, t: Tenant, kind: str, unit: int, owner: int) -> dict[str, Any]:
    """Create what a request of `kind` acts on, in `unit` and owned by `owner`."""
    ids: dict[str, Any] = {"unit": f"org_{unit}", "owner": f"per_{owner}", "n": next(_n)}
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        ws = t.ws
        if kind == "objective":
            ids["id"] = f"obj_{_objective(s, ws, unit, owner)}"
            ids["other"] = f"obj_{_objective(s, ws, unit, owner)}"
        elif kind == "alignment":
            child, parent = _objective(s, ws, unit, owner), _objective(s, ws, unit, owner)
            align(s, ws, child, parent)
            ids["id"], ids["parent"] = f"obj_{child}", f"obj_{parent}"
        elif kind == "metric":
            ids["id"] = f"met_{_metric(s, ws, owner)}"
        elif kind == "metric_feed":
            # A metric with a SQL feed on a file that is not there (a run fails, quickly).
            m = _metric(s, ws, owner)
            feeds.save(s, ws, MetricRepository(s, ws).get(m), {
                "url": "sqlite:////nonexistent/steerco-feed.db", "query": "SELECT 1, 2"})
            ids["id"] = f"met_{m}"
        elif kind in ("metric_delegate", "metric_updater"):
            # a metric and a person who is not its owner (delegated to, for metric_updater)
            m = _metric(s, ws, owner)
            p = create_person(s, ws, {"name": "Deputy", "email": f"d{ids['n']}@x.example",
                                      "org_unit_id": unit})
            ids["id"], ids["person_id"] = f"met_{m}", f"per_{p.id}"
            if kind == "metric_updater":
                add_updater(s, ws, m, {"person_id": p.id})
        elif kind == "causal_link":
            a, b = _metric(s, ws, owner), _metric(s, ws, owner)
            link = add_causal_link(s, ws, {"driver_id": a, "driven_id": b, "sign": 1})
            ids["id"] = f"cau_{link.id}"
            ids["driver"], ids["driven"] = f"met_{a}", f"met_{b}"
            ids["third"] = f"met_{_metric(s, ws, owner)}"  # b → third closes no loop
        elif kind == "measurement":
            m = _metric(s, ws, owner)
            ids["metric"] = f"met_{m}"
            mea = check_in(s, ws, {"metric_id": m, "value": 1.5, "as_of": "2026-02-01"})
            ids["id"] = f"mea_{mea.id}"
        elif kind == "initiative":
            ids["id"] = f"ini_{_initiative(s, ws, unit, owner)}"
            ids["metric"] = f"met_{_metric(s, ws, owner)}"
        elif kind == "initiative_metric":  # an initiative and a metric linked to it
            ini, m = _initiative(s, ws, unit, owner), _metric(s, ws, owner)
            link_metric(s, ws, ini, m)
            ids["id"], ids["metric_id"] = f"ini_{ini}", f"met_{m}"
        elif kind == "milestone":
            ini = _initiative(s, ws, unit, owner)
            ids["initiative"] = f"ini_{ini}"
            ms = add_milestone(s, ws, {"initiative_id": ini, "name": "M",
                                       "due_date": "2026-06-01", "owner_id": owner})
            ids["id"] = f"mil_{ms.id}"
        elif kind == "benefit":
            ini = _initiative(s, ws, unit, owner)
            m = _metric(s, ws, owner)
            ids["initiative"], ids["metric"] = f"ini_{ini}", f"met_{m}"
            ben = add_benefit(s, ws, {"initiative_id": ini, "kind": "metric_impact",
                                      "amount": 5.0, "due_date": "2026-09-01", "metric_id": m})
            ids["id"] = f"ben_{ben.id}"
        elif kind == "dependency":
            a, b = _initiative(s, ws, unit, owner), _initiative(s, ws, unit, owner)
            ids["provider"], ids["consumer"] = f"ini_{a}", f"ini_{b}"
            dep = create_dependency(s, ws, {"provider": f"ini_{a}", "consumer": f"ini_{b}"})
            ids["id"] = f"dep_{dep.id}"
        elif kind == "budget_line":
            line = create_budget_line(s, ws, {"code": f"B{ids['n']}", "name": "Line",
                                              "org_unit_id": unit})
            ids["id"] = f"bud_{line.id}"
        elif kind == "ledger_entry":
            line = create_budget_line(s, ws, {"code": f"L{ids['n']}", "name": "Line",
                                              "org_unit_id": unit})
            ids["line"] = f"bud_{line.id}"
            led = post_ledger_entry(s, ws, {"budget_line_id": line.id, "period": "2026-01-01",
                                            "amount": 3.0, "posted_on": "2026-01-05"})
            ids["id"] = f"led_{led.id}"
        elif kind == "org_unit":
            team = create_org_unit(s, ws, {"name": "Team", "kind": "team", "parent_id": unit})
            ids["id"] = f"org_{team.id}"
        elif kind == "person":
            p = create_person(s, ws, {"name": "New Person", "email": f"p{ids['n']}@x.example",
                                      "org_unit_id": unit})
            ids["id"] = f"per_{p.id}"
        elif kind == "theme":
            ids["id"] = f"thm_{create_theme(s, ws, {'name': 'Theme'}).id}"
        elif kind == "grant":
            p = create_person(s, ws, {"name": "Granted", "email": f"g{ids['n']}@x.example",
                                      "org_unit_id": unit})
            ids["person"] = f"per_{p.id}"
            g = accounts.add_grant(s, ws, {"person_id": p.id, "role": "viewer",
                                           "org_unit_id": unit})
            ids["id"] = f"grt_{g.id}"
        elif kind == "token":
            _, tok = accounts.create_token(s, ws, owner, {"name": "x", "scopes": ["read"]})
            ids["id"] = f"tok_{tok.id}"
        elif kind == "new_person":
            p = create_person(s, ws, {"name": "Granted", "email": f"n{ids['n']}@x.example",
                                      "org_unit_id": unit})
            ids["person"] = f"per_{p.id}"
        elif kind == "rule":
            # Switched off: one is made per role and place, and an active rule identical
            # to another is refused.
            rule = create_rule(s, ws, {"name": "Rule", "signal_kind": "stale_metric",
                                       "org_unit_id": unit, "active": False})
            ids["id"] = f"rul_{rule.id}"
        elif kind in ("escalation", "decision"):
            # The subject is someone else's metric in `unit`: `owner` acts as the assignee.
            p = create_person(s, ws, {"name": "Subject Owner",
                                      "email": f"e{ids['n']}@x.example", "org_unit_id": unit})
            m = _metric(s, ws, p.id)
            ids["metric"] = f"met_{m}"
            esc = open_escalation(s, ws, signal_kind="stale_metric", subject_kind="metric",
                                  subject_id=m, summary="No evidence", assignee_id=owner)
            ids["id"] = f"esc_{esc.id}"
            if kind == "decision":
                dec = record_decision(s, ws, {"escalation_id": esc.id, "kind": "accept_risk",
                                              "rationale": "Known"}, decided_by=owner)
                ids["escalation"], ids["id"] = ids["id"], f"dec_{dec.id}"
        elif kind == "finding":
            # A finding about a metric `owner` owns in `unit`, by its stable key.
            ids["id"] = f"stale_metric:met_{_metric(s, ws, owner)}"
        elif kind == "import_upload":  # a file uploaded to the workspace, its check queued
            from steerco.transfer import upload

            ids["id"] = upload.store(s, ws, "themes.csv", b"name\nGrowth\n")
        elif kind == "import_mapping":  # a header of the workspace's objectives files
            from steerco.transfer import mapping

            ids["sheet"], ids["header"] = "objectives", f"verantwortlich_{ids['n']}"
            mapping.save(s, ws, ids["sheet"], ids["header"], "owner")
        elif kind == "review":
            rev = create_review(s, ws, {"kind": "weekly_ops", "title": "Weekly",
                                        "scheduled_for": "2026-03-02", "org_unit_id": unit,
                                        "chair_id": owner})
            ids["id"] = f"rev_{rev.id}"
        elif kind == "review_action":  # an action of a review in `unit`, `owner`'s
            rev = create_review(s, ws, {"kind": "weekly_ops", "title": "Weekly",
                                        "scheduled_for": "2026-03-02", "org_unit_id": unit})
            act = add_action(s, ws, rev.id, {"title": "Call", "owner_id": owner,
                                             "due_on": "2026-03-09"})
            ids["id"] = f"act_{act.id}"
        elif kind == "review_agenda":  # a review with one agenda item (meeting mode)
            rev = create_review(s, ws, {"kind": "weekly_ops", "title": "Weekly",
                                        "scheduled_for": "2026-03-02", "org_unit_id": unit,
                                        "chair_id": owner})
            ids["id"], ids["item"] = f"rev_{rev.id}", f"met_{_metric(s, ws, owner)}"
            rev.agenda = [{"key": ids["item"], "type": "change", "title": "Revenue"}]
        elif kind == "none":
            pass
        else:  # pragma: no cover - a typo in the table
            raise AssertionError(kind)
    return ids
