"""The review meeting over the API, and its pack as HTML and as PDF (the PDF's text read
back with pdftotext: the names, figures and decisions are in it)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from typing import Any

import pytest

from steerco.checkins.service import check_in
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.reports import pack
from tests.api.conftest import Tenant, metric_of, objective_in
from tests.api.test_governance_api import escalate

API = "/api/v1"


def pdf_text(data: bytes, tmp_path: Any) -> str:
    """The text of a PDF, by pdftotext (poppler-utils; .ci/run installs it)."""
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    path = tmp_path / "pack.pdf"
    path.write_bytes(data)
    out = subprocess.run([exe, str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def meeting(client: Any, t: Tenant) -> tuple[str, str, dict[str, str]]:
    """A scheduled review of Sales with an escalated metric on its agenda, a decision and
    an action recorded in the meeting; returns (review id, metric id, headers)."""
    engine = client.app.state.engine
    h = t.auth("strategy_office")
    owner = t.users["owner"]
    obj = objective_in(engine, t, t.own, owner)
    met = metric_of(engine, t, owner, obj)
    with unit_of_work(make_sessionmaker(engine)) as s:
        for i, v in enumerate((110.0, 118.0, 121.0, 125.0)):
            check_in(s, t.ws, {"metric_id": met, "value": v,
                               "as_of": (dt.date(2026, 2, 1) + dt.timedelta(days=14 * i))
                               .isoformat()}, today=dt.date(2026, 3, 20))
    esc = escalate(engine, t, met)
    r = client.post(f"{API}/reviews", headers=h, json={
        "kind": "weekly_ops", "title": "Sales weekly 14", "scheduled_for": "2026-04-06",
        "org_unit_id": f"org_{t.own}", "chair_id": f"per_{t.users['executive']}",
        "attendee_ids": [f"per_{owner}"]})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["attendee_ids"] == [f"per_{owner}"]
    r = client.post(f"{API}/reviews/{rid}/agenda", headers=h)
    assert r.status_code == 200, r.text
    [item] = r.json()["agenda"]
    assert (item["key"], item["title"], item["link"]) == (
        f"met_{met}", "Revenue", f"/metrics/met_{met}")
    r = client.post(f"{API}/decisions", headers=h, json={
        "escalation_id": esc, "review_id": rid, "kind": "replan_date",
        "rationale": "Move the launch to May with two more sellers"})
    assert r.status_code == 201, r.text
    r = client.post(f"{API}/reviews/{rid}/actions", headers=h, json={
        "title": "Hire two sellers", "owner_id": f"per_{owner}", "due_on": "2026-04-20",
        "item": f"met_{met}"})
    assert r.status_code == 201, r.text
    assert r.json()["owner_id"] == f"per_{owner}"
    r = client.post(f"{API}/reviews/{rid}/discussed", headers=h, json={"item": f"met_{met}"})
    assert r.status_code == 200 and r.json()["discussed"] == [f"met_{met}"]
    return rid, f"met_{met}", h


def test_the_pack_is_html_and_pdf_with_names_figures_and_decisions(
        client: Any, tenant: Tenant, tmp_path: Any) -> None:
    rid, _met, _h = meeting(client, tenant)
    viewer = tenant.auth("viewer")
    r = client.get(f"{API}/reviews/{rid}/pack", headers=viewer)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    for text in ("Sales weekly 14", "Revenue", "Grow", "Executive Person",
                 "Move the launch to May with two more sellers", "Hire two sellers",
                 "<svg"):
        assert text in html, text

    r = client.get(f"{API}/reviews/{rid}/pack", params={"format": "pdf"}, headers=viewer)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = pdf_text(r.content, tmp_path)
    for words in ("Sales weekly 14", "Weekly operations review", "Executive Person",
                  "Revenue", "Grow", "target 200", "Move the launch to May with two more",
                  "Hire two sellers", "Owner Person", "2026-04-20", "Re-plan the date"):
        assert words in text, (words, text)

    r = client.get(f"{API}/reviews/{rid}/pack", params={"format": "doc"}, headers=viewer)
    assert r.status_code == 422


def test_closing_over_the_api_keeps_the_meeting_and_refuses_more(client: Any,
                                                                  tenant: Tenant) -> None:
    rid, met, h = meeting(client, tenant)
    r = client.post(f"{API}/reviews/{rid}/close", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["closed_at"] is not None and r.json()["held_on"] is not None
    r = client.post(f"{API}/reviews/{rid}/close", headers=h)
    assert r.status_code == 409
    r = client.post(f"{API}/reviews/{rid}/actions", headers=h, json={
        "title": "Late", "owner_id": f"per_{tenant.users['owner']}", "due_on": "2026-04-20"})
    assert r.status_code == 409
    r = client.get(f"{API}/reviews/{rid}/actions", headers=tenant.auth("viewer"))
    assert [a["title"] for a in r.json()] == ["Hire two sellers"]


def test_without_pango_the_pdf_answer_says_what_to_install_and_html_still_works(
        client: Any, tenant: Tenant, monkeypatch: Any) -> None:
    rid, _met, _h = meeting(client, tenant)

    def no_pango(html: str, base_url: str | None = None) -> bytes:
        raise pack.PdfUnavailable(pack.PANGO_HINT + " (WeasyPrint said: cannot load "
                                                    "library 'libpango-1.0-0')")

    monkeypatch.setattr("steerco.reports.api.pack_pdf", no_pango)
    viewer = tenant.auth("viewer")
    r = client.get(f"{API}/reviews/{rid}/pack", params={"format": "pdf"}, headers=viewer)
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "apt-get install libpango-1.0-0" in r.json()["detail"]
    r = client.get(f"{API}/reviews/{rid}/pack", headers=viewer)
    assert r.status_code == 200 and "Sales weekly 14" in r.text


def test_actions_are_marked_done_by_their_owner_and_the_next_review_follows_them_up(
        client: Any, tenant: Tenant, tmp_path: Any) -> None:
    rid, met, h = meeting(client, tenant)
    owner = tenant.auth("owner")
    [action] = client.get(f"{API}/reviews/{rid}/actions", headers=h).json()
    aid = action["id"]
    assert (action["done"], action["overdue"]) == (False, True)  # due 2026-04-20
    # the owner sees it in their own list, flagged overdue
    mine = client.get(f"{API}/me/review-actions", headers=owner).json()
    assert [(a["id"], a["title"], a["overdue"]) for a in mine] == [
        (aid, "Hire two sellers", True)]
    # a viewer who does not own it is refused, as a problem
    r = client.post(f"{API}/review-actions/{aid}/done", headers=tenant.auth("viewer"))
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "owner" in r.json()["detail"]
    assert client.post(f"{API}/review-actions/act_999999/done",
                       headers=owner).status_code == 404
    r = client.post(f"{API}/review-actions/{aid}/done", headers=owner)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["done"] is True and body["overdue"] is False
    assert body["done_by_id"] == f"per_{tenant.users['owner']}" and body["done_on"]
    assert client.get(f"{API}/me/review-actions", headers=owner).json() == []
    r = client.post(f"{API}/review-actions/{aid}/reopen", headers=h)
    assert r.status_code == 200 and r.json()["done"] is False
    assert r.json()["done_on"] is None
    r = client.post(f"{API}/review-actions/{aid}/done", headers=owner)
    assert r.status_code == 200
    # the next review of the series: the action done since, and a decision taken since
    r = client.post(f"{API}/decisions", headers=h, json={
        "subject_id": met, "kind": "accept_risk",
        "rationale": "Live with the slower ramp until the hires start"})
    assert r.status_code == 201, r.text
    today = dt.date.fromisoformat(r.json()["decided_on"])
    r = client.post(f"{API}/reviews", headers=h, json={
        "kind": "weekly_ops", "title": "Sales weekly 15",
        "scheduled_for": (today + dt.timedelta(days=7)).isoformat(),
        "org_unit_id": f"org_{tenant.own}"})
    nxt = r.json()["id"]
    r = client.get(f"{API}/reviews/{nxt}/since-last-review", headers=tenant.auth("viewer"))
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["previous_review_id"] == rid and f["since"] == "2026-04-06"
    assert [(a["title"], a["done"]) for a in f["actions"]] == [("Hire two sellers", True)]
    assert [d["rationale"] for d in f["decisions"]] == [
        "Live with the slower ramp until the hires start"]
    html = client.get(f"{API}/reviews/{nxt}/pack", headers=h).text
    for text in ("Since the last review", "Live with the slower ramp until the hires start",
                 "Accept the risk", "Hire two sellers", "Done on", "Owner Person"):
        assert text in html, text


def test_a_series_is_ended_over_the_api_at_its_latest_review_and_resumed(
        client: Any, tenant: Tenant) -> None:
    h = tenant.auth("strategy_office")
    ids = []
    for day in ("2026-05-04", "2026-05-11"):
        r = client.post(f"{API}/reviews", headers=h, json={
            "kind": "weekly_ops", "title": f"Series end {day}", "scheduled_for": day,
            "org_unit_id": f"org_{tenant.own}"})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = client.post(f"{API}/reviews/{ids[0]}/series/end", headers=tenant.auth("viewer"))
    assert r.status_code == 403 and r.headers["content-type"].startswith(
        "application/problem+json")
    r = client.post(f"{API}/reviews/{ids[0]}/series/end", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    # ended at the series' latest review, whichever of its reviews was named
    assert body["review_id"] == ids[1] and body["ended"] is True
    assert body["ended_by_id"] == f"per_{tenant.users['strategy_office']}"
    assert body["ended_on"]
    engine = client.app.state.engine
    from steerco.governance.followup import continue_series

    def made(day: dt.date) -> list[str]:
        with make_sessionmaker(engine)() as s:
            s.info["actor"] = "test"
            out = [r.title for r in continue_series(s, tenant.ws, day)
                   if r.org_unit_id == tenant.own]
            s.rollback()
            return out

    assert made(dt.date(2026, 5, 12)) == []
    r = client.post(f"{API}/reviews/{ids[1]}/series/resume", headers=h)
    assert r.status_code == 200 and r.json()["ended"] is False
    assert r.json()["ended_on"] is None
    assert made(dt.date(2026, 5, 12)) == ["Series end 2026-05-11"]
    assert client.post(f"{API}/reviews/rev_999999/series/end",
                       headers=h).status_code == 404
