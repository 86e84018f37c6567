"""The forms added for issue 12's remaining actions: a budget line's planned spend per
period (typed rows or a block pasted from a spreadsheet), its details, planned benefits
changed and deleted, a metric unlinked from an initiative, an initiative stopped, and a
milestone completed with an evidence file. Each on the API's own services, with
in-place messages, the input kept, and a lost race refused with who changed what."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from steerco.checkins import files
from tests.web.test_pages_status import HTML, Demo, _client, _csrf
from tests.web.test_work_forms import _controller, _create, _names, _version


def _line(demo: Demo, code: str) -> tuple[Any, str]:
    """A controller's client and a new budget line (with a plan of two months)."""
    office = _client(demo, "strategy_office")
    _create(office, name=f"Funded {code}", stage="defined")
    c = _controller(demo)
    page = c.get("/finance", headers=HTML).text
    r = c.post("/finance/new", headers=HTML, data={
        "csrf_token": _csrf(page), "code": code, "name": "Licences", "kind": "opex",
        "initiative": f"Funded {code}", "unit": "", "controller": "",
        "plan": "2026-01 1000\n2026-02 500"})
    assert r.status_code == 303, r.text
    return c, r.headers["location"].split("/")[2].split("?")[0]


def _plan_data(page: str, bid: str, **extra: Any) -> dict[str, Any]:
    return {"csrf_token": _csrf(page), "version": _version(page, f"/finance/{bid}/plan"),
            "plan_was": re.search(r'name="plan_was" value="([^"]*)"',
                                  page).group(1).replace("&#9;", "\t"),  # type: ignore[union-attr]
            "paste": "", **extra}


def test_a_budget_plan_is_typed_per_month_and_a_bad_row_is_named_with_nothing_saved(
        demo: Demo) -> None:
    c, bid = _line(demo, "PLAN-1")
    page = c.get(f"/finance/{bid}/edit", headers=HTML)
    assert page.status_code == 200
    assert 'value="2026-01"' in page.text and 'value="1000"' in page.text
    data = _plan_data(page.text, bid, period=["2026-01", "2026-02", "2026-03"],
                      amount=["1000", "abc", "700"])
    r = c.post(f"/finance/{bid}/plan", headers=HTML, data=data)
    assert r.status_code == 422
    assert "Nothing was saved. row 2: “abc” is not a number" in r.text
    assert 'value="abc"' in r.text and 'value="700"' in r.text  # the rows as typed
    data["amount"] = ["1000", "800", "700"]
    r = c.post(f"/finance/{bid}/plan", headers=HTML, data=data)
    assert r.status_code == 303, r.text
    line = c.get(f"/finance/{bid}", headers=HTML).text
    assert "Mar 2026" in line and "€2,500" in line  # planned in total


def test_a_pasted_plan_replaces_the_table_and_a_second_tab_is_refused_with_what_changed(
        demo: Demo) -> None:
    c, bid = _line(demo, "PLAN-2")
    first = c.get(f"/finance/{bid}/edit", headers=HTML).text
    second = c.get(f"/finance/{bid}/edit", headers=HTML).text
    r = c.post(f"/finance/{bid}/plan", headers=HTML, data=_plan_data(
        first, bid, period=[], amount=[],
        paste="Month\tPlan\n2026-01\t1000\n2026-01-15\t900\n2026-03\tx"))
    assert r.status_code == 422  # every bad line named: the same month twice, a non-number
    assert "line 4: “x” is not a number" in r.text and "fall in the same month 2026-01" in r.text
    r = c.post(f"/finance/{bid}/plan", headers=HTML, data=_plan_data(
        first, bid, period=[], amount=[], paste="2026-01\t1000\n2026-02\t650\n"))
    assert r.status_code == 303, r.text
    r = c.post(f"/finance/{bid}/plan", headers=HTML, data=_plan_data(
        second, bid, period=["2026-02"], amount=["999"]))
    assert r.status_code == 409
    assert "changed by " in r.text and "Plan Feb 2026: “€500” → “€650”" in r.text
    assert 'value="999"' in r.text  # the loser's input kept


def test_a_budget_line_is_renamed_and_moved_to_another_initiative_by_names(
        demo: Demo) -> None:
    c, bid = _line(demo, "PLAN-3")
    page = c.get(f"/finance/{bid}/edit", headers=HTML).text
    data = {"csrf_token": _csrf(page), "version": _version(page, f"/finance/{bid}/edit"),
            "plan_was": "", "name": "Licences 2026", "kind": "capex",
            "initiative": "No Such Initiative", "unit": "", "controller": ""}
    r = c.post(f"/finance/{bid}/edit", headers=HTML, data=data)
    assert r.status_code == 422
    assert "No initiative is called “No Such Initiative”" in r.text
    assert 'value="Licences 2026"' in r.text
    r = c.post(f"/finance/{bid}/edit", headers=HTML, data=data | {"initiative": ""})
    assert r.status_code == 303, r.text
    r = c.post(f"/finance/{bid}/edit", headers=HTML, data=data | {"name": "Late"})
    assert r.status_code == 409 and "Name: “Licences” → “Licences 2026”" in r.text


def test_a_viewer_cannot_edit_a_budget_line(demo: Demo) -> None:
    _, bid = _line(demo, "PLAN-4")
    viewer = _client(demo, "viewer")
    assert viewer.get(f"/finance/{bid}/edit", headers=HTML).status_code == 403
    assert 'id="edit-line"' not in viewer.get(f"/finance/{bid}", headers=HTML).text


def _benefit(c: Any, demo: Demo, name: str) -> tuple[str, str]:
    iid = _create(c, name=name, stage="defined").headers["location"].split("/")[2]
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    r = c.post(f"/initiatives/{iid}/benefits", headers=HTML, data={
        "csrf_token": _csrf(page), "ben_kind": "metric_impact", "ben_amount": "5",
        "ben_due": "2026-09-30", "ben_metric": _names(demo)["metric"], "ben_line": ""})
    assert r.status_code == 303, r.text
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    return iid, re.search(r'/benefits/(ben_\d+)/edit', page).group(1)  # type: ignore[union-attr]


def test_a_planned_benefit_is_changed_refused_in_place_and_deleted(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    iid, ben = _benefit(c, demo, "Benefit edit")
    page = c.get(f"/benefits/{ben}/edit", headers=HTML)
    assert page.status_code == 200 and _names(demo)["metric"] in page.text
    data = {"csrf_token": _csrf(page.text), "amount": "lots", "due_date": "2026-10-31",
            "version": _version(page.text, f"/benefits/{ben}/edit")}
    r = c.post(f"/benefits/{ben}/edit", headers=HTML, data=data)
    assert r.status_code == 422 and "“lots” is not a number" in r.text
    assert 'value="2026-10-31"' in r.text
    r = c.post(f"/benefits/{ben}/edit", headers=HTML, data=data | {"amount": "7.5"})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/initiatives/{iid}")
    r = c.post(f"/benefits/{ben}/edit", headers=HTML, data=data | {"amount": "9"})
    assert r.status_code == 409 and "Amount: “5.0” → “7.5”" in r.text
    page = c.get(f"/benefits/{ben}/edit", headers=HTML).text
    r = c.post(f"/benefits/{ben}/delete", headers=HTML, data={
        "csrf_token": _csrf(page), "version": _version(page, f"/benefits/{ben}/delete")})
    assert r.status_code == 303
    assert c.get(f"/benefits/{ben}/edit", headers=HTML).status_code == 404
    assert ben not in c.get(f"/initiatives/{iid}/edit", headers=HTML).text


def test_a_metric_is_unlinked_but_a_decided_initiative_keeps_its_last_one(
        demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    n = _names(demo)
    iid = _create(c, name="Unlink", stage="defined", metric=n["metric"]).headers[
        "location"].split("/")[2]
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    met = re.search(r'/metrics/(met_\d+)/remove', page).group(1)  # type: ignore[union-attr]
    r = c.post(f"/initiatives/{iid}/metrics/{met}/remove", headers=HTML,
               data={"csrf_token": _csrf(page)})
    assert r.status_code == 303
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    assert f"/metrics/{met}/remove" not in page
    # a decided initiative (the demo has them) cannot lose its last metric
    from sqlalchemy import select

    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.db.enums import StageGate
    from steerco.db.models import Initiative, InitiativeMetric
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        s.info["actor"] = "test"
        row = s.execute(select(Initiative.id, Initiative.workspace_id,
                               InitiativeMetric.metric_id).join(
            InitiativeMetric, InitiativeMetric.initiative_id == Initiative.id).where(
            Initiative.stage == StageGate.DECIDED)).first()
        assert row is not None
        ini, _ws, metric = row
        others = s.scalars(select(InitiativeMetric).where(
            InitiativeMetric.initiative_id == ini, InitiativeMetric.metric_id != metric))
        for o in others:
            s.delete(o)
    page = c.get(f"/initiatives/ini_{ini}/edit", headers=HTML).text
    r = c.post(f"/initiatives/ini_{ini}/metrics/met_{metric}/remove", headers=HTML,
               data={"csrf_token": _csrf(page)})
    assert r.status_code == 422
    assert "is the only metric of an initiative at decided" in r.text
    assert 'id="unlink-error"' in r.text


def _milestone(c: Any, name: str) -> tuple[str, str, str]:
    iid = _create(c, name=name, stage="defined").headers["location"].split("/")[2]
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    c.post(f"/initiatives/{iid}/milestones", headers=HTML, data={
        "csrf_token": _csrf(page), "ms_name": "Signed", "ms_due": "2026-05-01",
        "ms_owner": ""})
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    mid = re.search(r'/milestones/(mil_\d+)/edit', page).group(1)  # type: ignore[union-attr]
    return iid, mid, c.get(f"/milestones/{mid}/edit", headers=HTML).text


def test_a_milestone_is_completed_with_an_evidence_file_served_to_the_workspace(
        demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEERCO_EVIDENCE_DIR", str(tmp_path))
    c = _client(demo, "strategy_office")
    iid, mid, edit = _milestone(c, "Evidence file")
    data = {"csrf_token": _csrf(edit), "completed_on": "2026-05-02", "evidence_url": "",
            "version": _version(edit, f"/milestones/{mid}/complete")}
    pdf = ("contract.pdf", b"%PDF-1.4 signed", "application/pdf")
    r = c.post(f"/milestones/{mid}/complete", headers=HTML, files={"evidence_file": pdf},
               data=data | {"evidence_url": "https://docs.example/x"})
    assert r.status_code == 422 and "not both" in r.text
    assert "choose the file again" in r.text
    monkeypatch.setattr(files, "MAX_UPLOAD", 8)
    r = c.post(f"/milestones/{mid}/complete", headers=HTML, files={"evidence_file": pdf},
               data=data)
    assert r.status_code == 422
    assert "“contract.pdf” is larger than 0.0 MB" in r.text and 'id="err-evidence_file"' in r.text
    monkeypatch.undo()
    monkeypatch.setenv("STEERCO_EVIDENCE_DIR", str(tmp_path))
    r = c.post(f"/milestones/{mid}/complete", headers=HTML, files={"evidence_file": pdf},
               data=data)
    assert r.status_code == 303, r.text
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    link = re.search(rf'href="http://testserver(/milestones/{mid}/evidence/[^"]+)"', page)
    assert link is not None, page
    got = c.get(link.group(1))
    assert got.status_code == 200 and got.content == b"%PDF-1.4 signed"
    assert "contract.pdf" in got.headers["content-disposition"]
    assert c.get(f"/milestones/{mid}/evidence/other.pdf").status_code == 404
    assert _client(demo, None).get(link.group(1)).status_code in (303, 401)


def test_a_milestone_is_deleted_and_an_initiative_stopped(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    iid, mid, edit = _milestone(c, "Delete me")
    r = c.post(f"/milestones/{mid}/delete", headers=HTML, data={
        "csrf_token": _csrf(edit), "version": _version(edit, f"/milestones/{mid}/delete")})
    assert r.status_code == 303
    assert c.get(f"/milestones/{mid}/edit", headers=HTML).status_code == 404
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    r = c.post(f"/initiatives/{iid}/stop", headers=HTML, data={
        "csrf_token": _csrf(page), "version": _version(page, f"/initiatives/{iid}/stop")})
    assert r.status_code == 303
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    assert "· stopped" in page and f"/initiatives/{iid}/stop" not in page


def test_declaring_a_causal_link_again_changes_its_sign_and_lag(demo: Demo) -> None:
    from sqlalchemy import select

    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.db.models import CausalLink, Metric
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        linked = {k for ln in s.scalars(select(CausalLink))
                  for k in (ln.driver_id, ln.driven_id)}
        a, b = [m for m in s.scalars(select(Metric).order_by(Metric.id.desc()))
                if m.id not in linked][:2]
        mid, other = f"met_{a.id}", b.name
    c = _client(demo, "strategy_office")
    page = c.get(f"/metrics/{mid}/edit", headers=HTML).text
    data = {"csrf_token": _csrf(page), "other": other, "direction": "drives", "sign": "1",
            "lag": "0"}
    assert c.post(f"/metrics/{mid}/links", headers=HTML, data=data).status_code == 303
    r = c.post(f"/metrics/{mid}/links", headers=HTML, data=data | {"sign": "-1", "lag": "30"})
    assert r.status_code == 303, r.text
    page = c.get(f"/metrics/{mid}/edit", headers=HTML).text
    assert f"drives “{other}”" in page and "opposite way after 30 days" in page
    assert page.count(f"drives “{other}”") == 1
