"""The governance API: rules, escalations (acknowledge, assign), decisions and reviews."""

from __future__ import annotations

import datetime as dt
from typing import Any

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.governance.service import open_escalation
from tests.api.conftest import Tenant, metric_of, objective_in, seed_tenant

API = "/api/v1"


def escalate(engine: Any, t: Tenant, metric: int, assignee: int | None = None,
             opened_at: dt.datetime | None = None, subject_kind: str = "metric") -> str:
    """Open an escalation the way the engine's ladder does (clients cannot)."""
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "engine"
        esc = open_escalation(s, t.ws, signal_kind="stale_metric", subject_kind=subject_kind,
                              subject_id=metric, summary="No evidence for 3 weeks",
                              assignee_id=assignee, opened_at=opened_at)
        return f"esc_{esc.id}"


def problem_of(r: Any) -> dict[str, Any]:
    """The error body, after checking it has the one documented shape."""
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    body = r.json()
    assert set(body) >= {"type", "title", "detail", "errors"}, body
    for e in body["errors"]:
        assert set(e) == {"field", "message"} and e["message"], body
    return dict(body)


def test_a_strategy_office_user_adds_changes_and_archives_a_rule_with_etags(
        client: Any, tenant: Tenant) -> None:
    h = tenant.auth("strategy_office")
    met = metric_of(client.app.state.engine, tenant, tenant.users["owner"])
    r = client.post(f"{API}/rules", headers=h, json={
        "name": "Stale bookings", "signal_kind": "stale_metric", "metric_id": f"met_{met}",
        "org_unit_id": f"org_{tenant.own}", "ladder_days": [2, 5, 10], "min_severity": 1})
    assert r.status_code == 201, r.text
    rule = r.json()
    assert r.headers["ETag"] == '"1"'
    assert (rule["metric_id"], rule["org_unit_id"], rule["active"]) == (
        f"met_{met}", f"org_{tenant.own}", True)
    rid = rule["id"]
    assert rid.startswith("rul_")
    r = client.patch(f"{API}/rules/{rid}", json={"ladder_days": [1, 3]}, headers=h)
    assert r.status_code == 428
    r = client.patch(f"{API}/rules/{rid}", json={"ladder_days": [1, 3]},
                     headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["ladder_days"] == [1, 3] and r.headers["ETag"] == '"2"'
    r = client.patch(f"{API}/rules/{rid}", json={"name": "Late"},
                     headers={**h, "If-Match": '"1"'})
    assert r.status_code == 412 and r.json()["current_version"] == 2
    r = client.delete(f"{API}/rules/{rid}", headers={**h, "If-Match": '"2"'})
    assert r.status_code == 204
    r = client.get(f"{API}/rules/{rid}", headers=tenant.auth("viewer"))
    assert r.status_code == 200 and r.json()["active"] is False
    r = client.get(f"{API}/rules", params={"active": "false", "metric_id": f"met_{met}"},
                   headers=tenant.auth("viewer"))
    assert [x["id"] for x in r.json()["items"]] == [rid]
    r = client.get(f"{API}/audit/{rid}", headers=h)
    log = [(e["action"], sorted(e["changes"])) for e in r.json()["items"]]
    assert log[0][0] == "create"
    assert log[1:] == [("update", ["ladder_days"]), ("update", ["active"])]
    actors = {e["actor"] for e in r.json()["items"]}
    assert len(actors) == 1 and actors.pop().startswith("token:")


def test_rule_refusals_have_the_problem_shape_and_name_the_field(
        client: Any, tenant: Tenant) -> None:
    h = tenant.auth("ws_admin")
    r = client.post(f"{API}/rules", headers=h, json={"name": "R", "signal_kind": "gossip"})
    body = problem_of(r)
    assert r.status_code == 422 and body["type"] == "validationfailed"
    assert [e["field"] for e in body["errors"]] == ["body.signal_kind"]
    assert "stale_metric" in body["errors"][0]["message"]
    r = client.post(f"{API}/rules", headers=h, json={
        "name": "R", "signal_kind": "stale_metric", "ladder_days": [5, 3]})
    body = problem_of(r)
    assert r.status_code == 422
    assert [e["field"] for e in body["errors"]] == ["body.ladder_days"]
    assert "increase strictly" in body["errors"][0]["message"]
    eng = client.app.state.engine
    other = seed_tenant(eng)
    foreign = metric_of(eng, other, other.users["owner"])
    r = client.post(f"{API}/rules", headers=h, json={
        "name": "R", "signal_kind": "stale_metric", "metric_id": f"met_{foreign}"})
    body = problem_of(r)
    assert r.status_code == 422 and [e["field"] for e in body["errors"]] == ["metric_id"]
    obj = objective_in(eng, tenant, tenant.own, tenant.users["owner"])
    met = metric_of(eng, tenant, tenant.users["owner"])
    r = client.post(f"{API}/rules", headers=h, json={
        "name": "R", "signal_kind": "reality_gap", "metric_id": f"met_{met}",
        "objective_id": f"obj_{obj}"})
    body = problem_of(r)
    assert r.status_code == 422 and [e["field"] for e in body["errors"]] == ["objective_id"]


def test_the_assignee_acknowledges_and_a_steerer_reassigns_with_if_match(
        client: Any, tenant: Tenant) -> None:
    eng = client.app.state.engine
    met = metric_of(eng, tenant, tenant.users["owner"])
    esc = escalate(eng, tenant, met, assignee=tenant.users["controller"])
    h = tenant.auth("controller")  # allowed as the assignee, not by role
    r = client.get(f"{API}/escalations/{esc}", headers=h)
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    got = r.json()
    assert (got["state"], got["subject_kind"], got["subject_id"], got["assignee_id"]) == (
        "open", "metric", f"met_{met}", f"per_{tenant.users['controller']}")
    r = client.post(f"{API}/escalations/{esc}/acknowledge", headers=h)
    assert r.status_code == 428
    r = client.post(f"{API}/escalations/{esc}/acknowledge", headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "acknowledged" and r.json()["acknowledged_at"]
    assert r.headers["ETag"] == '"2"'
    r = client.post(f"{API}/escalations/{esc}/acknowledge", headers={**h, "If-Match": '"1"'})
    assert r.status_code == 412 and r.json()["current_version"] == 2

    boss = tenant.auth("executive")
    body = {"assignee_id": f"per_{tenant.users['owner']}"}
    r = client.post(f"{API}/escalations/{esc}/assign", json=body,
                    headers={**boss, "If-Match": '"1"'})
    assert r.status_code == 412 and r.json()["current_version"] == 2
    r = client.post(f"{API}/escalations/{esc}/assign", json={"assignee_id": f"org_{tenant.own}"},
                    headers={**boss, "If-Match": '"2"'})
    assert r.status_code == 422
    assert [e["field"] for e in problem_of(r)["errors"]] == ["assignee_id"]
    r = client.post(f"{API}/escalations/{esc}/assign", json=body,
                    headers={**boss, "If-Match": '"2"'})
    assert r.status_code == 200, r.text
    assert (r.json()["assignee_id"], r.json()["state"]) == (body["assignee_id"], "open")
    # The old assignee has no say any more; a viewer never had one.
    r = client.post(f"{API}/escalations/{esc}/acknowledge", headers={**h, "If-Match": '"3"'})
    assert r.status_code == 403
    r = client.get(f"{API}/escalations", headers=tenant.auth("viewer"),
                   params={"assignee_id": body["assignee_id"], "state": "open"})
    assert [e["id"] for e in r.json()["items"]] == [esc]
    assert client.post(f"{API}/escalations", json={}, headers=boss).status_code == 405
    assert client.delete(f"{API}/escalations/{esc}", headers=boss).status_code == 405


def test_a_decision_resolves_its_escalation_and_a_second_one_is_a_conflict(
        client: Any, tenant: Tenant) -> None:
    eng = client.app.state.engine
    met = metric_of(eng, tenant, tenant.users["owner"])
    esc = escalate(eng, tenant, met)
    h = tenant.auth("executive")
    r = client.post(f"{API}/reviews", headers=tenant.auth("admin"), json={
        "kind": "monthly_business", "title": "MBR", "scheduled_for": "2026-04-01",
        "org_unit_id": f"org_{tenant.own}"})
    review = r.json()["id"]
    r = client.post(f"{API}/decisions", headers=h, json={
        "escalation_id": esc, "review_id": review, "kind": "replan_target",
        "rationale": "The market shrank"})
    assert r.status_code == 201, r.text
    dec = r.json()
    assert dec["decided_by_id"] == f"per_{tenant.users['executive']}"
    assert dec["decided_on"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert (dec["subject_kind"], dec["subject_id"], dec["review_id"]) == (
        "metric", f"met_{met}", review)
    r = client.get(f"{API}/escalations/{esc}", headers=h)
    assert r.json()["state"] == "resolved" and r.json()["resolved_at"]
    assert r.headers["ETag"] == '"2"'
    r = client.post(f"{API}/decisions", headers=h, json={
        "escalation_id": esc, "kind": "stop", "rationale": "Changed my mind"})
    assert r.status_code == 409
    body = problem_of(r)
    assert esc in body["detail"] and body["errors"][0]["field"] == "escalation_id"
    r = client.get(f"{API}/decisions", headers=tenant.auth("viewer"),
                   params={"escalation_id": esc})
    assert [d["id"] for d in r.json()["items"]] == [dec["id"]]
    r = client.get(f"{API}/decisions/{dec['id']}", headers=tenant.auth("viewer"))
    assert r.status_code == 200 and r.json()["rationale"] == "The market shrank"
    for method in ("PATCH", "DELETE"):
        assert client.request(method, f"{API}/decisions/{dec['id']}", headers=h,
                              json={}).status_code == 405
    r = client.get(f"{API}/audit/{dec['id']}", headers=h)
    assert [(e["action"], e["actor"].startswith("token:")) for e in r.json()["items"]] == [
        ("create", True)]
    r = client.delete(f"{API}/reviews/{review}", headers={**tenant.auth("admin"),
                                                          "If-Match": '"1"'})
    assert r.status_code == 409 and review in problem_of(r)["detail"]


def test_a_review_is_scheduled_held_and_gets_its_subtrees_agenda(
        client: Any, tenant: Tenant) -> None:
    eng = client.app.state.engine
    h = tenant.auth("strategy_office")
    mine = escalate(eng, tenant, metric_of(eng, tenant, tenant.users["owner"]))
    escalate(eng, tenant, metric_of(eng, tenant, tenant.owner_of_other))  # another subtree
    r = client.post(f"{API}/reviews", headers=h, json={
        "kind": "weekly_ops", "title": "Sales weekly", "scheduled_for": "2026-03-02",
        "org_unit_id": f"org_{tenant.own}", "chair_id": f"per_{tenant.users['executive']}"})
    assert r.status_code == 201, r.text
    rev = r.json()["id"]
    assert r.json()["agenda"] is None
    r = client.post(f"{API}/reviews/{rev}/agenda", headers=h)
    assert r.status_code == 200, r.text
    agenda = r.json()["agenda"]
    assert [(i["type"], i["escalation_id"]) for i in agenda] == [("escalation", mine)]
    assert r.headers["ETag"] == '"2"'
    r = client.post(f"{API}/reviews/{rev}/agenda", headers={**h, "If-Match": '"1"'})
    assert r.status_code == 412
    r = client.post(f"{API}/reviews/{rev}/agenda", headers=tenant.auth("executive"))
    assert r.status_code == 403
    r = client.patch(f"{API}/reviews/{rev}", json={"held_on": "2026-03-02"},
                     headers={**h, "If-Match": '"1"'})
    assert r.status_code == 412
    r = client.patch(f"{API}/reviews/{rev}", json={"held_on": "2026-03-02"},
                     headers={**h, "If-Match": '"2"'})
    assert r.status_code == 200 and r.json()["held_on"] == "2026-03-02"
    r = client.delete(f"{API}/reviews/{rev}", headers={**h, "If-Match": '"3"'})
    assert r.status_code == 409
    assert rev in problem_of(r)["detail"]
    r = client.post(f"{API}/reviews/{rev}/close", headers=h)
    assert r.status_code == 200, r.text
    r = client.post(f"{API}/reviews/{rev}/agenda", headers=h)  # its agenda is its record
    assert r.status_code == 409, r.text
    assert rev in problem_of(r)["detail"] and "closed" in problem_of(r)["detail"]
    assert client.get(f"{API}/reviews/{rev}", headers=h).json()["agenda"] == agenda
    r = client.get(f"{API}/reviews", headers=tenant.auth("viewer"),
                   params={"from": "2026-03-01", "to": "2026-03-02", "kind": "weekly_ops"})
    assert [x["id"] for x in r.json()["items"]] == [rev]
    r = client.get(f"{API}/reviews", headers=tenant.auth("viewer"),
                   params={"from": "2026-03-03"})
    assert r.json()["items"] == []


def test_escalations_page_by_opening_time_in_either_order(client: Any, tenant: Tenant) -> None:
    eng = client.app.state.engine
    met = metric_of(eng, tenant, tenant.users["owner"])
    t0 = dt.datetime(2026, 2, 1, 9, tzinfo=dt.UTC)
    # Two share an opening time: the key breaks the tie, so no page repeats or skips one.
    times = [t0 + dt.timedelta(hours=h) for h in (5, 0, 3, 3, 1)]
    made = [escalate(eng, tenant, met, opened_at=t) for t in times]
    want = [e for _, _, e in sorted(zip(times, [int(m[4:]) for m in made], made,
                                        strict=True))]
    for sort, expected in (("opened_at", want), ("-opened_at", want[::-1])):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, "sort": sort, "signal_kind": "stale_metric"}
            if cursor:
                params["cursor"] = cursor
            r = client.get(f"{API}/escalations", params=params, headers=tenant.auth("viewer"))
            assert r.status_code == 200, r.text
            assert len(r.json()["items"]) <= 2
            seen += [e["id"] for e in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
        assert seen == expected
    r = client.get(f"{API}/escalations", params={"limit": 2, "sort": "id", "cursor": "nope"},
                   headers=tenant.auth("viewer"))
    assert r.status_code == 422
    assert [e["field"] for e in problem_of(r)["errors"]] == ["cursor"]


def test_a_rule_identical_to_an_existing_one_is_refused_naming_it(
        client: Any, tenant: Tenant) -> None:
    # Two identical rules opened duplicate escalations (and e-mails) for one breach.
    h = tenant.auth("ws_admin")
    body = {"name": "Late evidence", "signal_kind": "stale_metric", "min_severity": 2}
    assert client.post(f"{API}/rules", headers=h, json=body).status_code == 201
    r = client.post(f"{API}/rules", headers=h, json={**body, "name": "Late again"})
    problem = problem_of(r)
    assert r.status_code == 422 and [e["field"] for e in problem["errors"]] == ["signal_kind"]
    assert "“Late evidence”" in problem["errors"][0]["message"]
    # Another minimum severity (or scope) is another rule.
    r = client.post(f"{API}/rules", headers=h, json={**body, "name": "Very late",
                                                      "min_severity": 3})
    assert r.status_code == 201
    r = client.get(f"{API}/rules", headers=h)
    assert [x["name"] for x in r.json()["items"]].count("Late again") == 0
