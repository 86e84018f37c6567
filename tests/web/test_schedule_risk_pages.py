"""Schedule risk on the initiative page, in the API and in the explorer's what-if."""

from __future__ import annotations

import re

import numpy as np

from steerco.kit.dates import NO_DAY, from_day
from tests.web.test_pages_status import HTML, Demo, _client, _csrf, demo  # noqa: F401


def _open_initiative(c) -> tuple[str, dict]:
    for k in range(1, 40):
        r = c.get(f"/api/v1/initiatives/ini_{k}/schedule-risk")
        if r.status_code == 200:
            body = r.json()
            if body["p_on_time"] is not None and any(not m["done"] for m in body["milestones"]):
                return f"ini_{k}", body
    raise AssertionError("the demo has no open initiative with a due date")


def test_the_initiative_page_shows_the_chance_the_api_gives(demo: Demo) -> None:  # noqa: F811
    c = _client(demo, "strategy_office")
    iid, body = _open_initiative(c)
    assert 0.0 <= body["p_on_time"] <= 1.0
    assert body["p50"] <= body["p80"] <= body["p95"]
    assert body["law"]["samples"] == 500
    html = c.get(f"/initiatives/{iid}", headers=HTML).text
    assert "Chance of landing on time" in html
    shown = re.search(r'id="risk-p">([^<]+)<', html)
    assert shown is not None and shown.group(1).strip() != "—"
    # a big slip of its most critical open milestone cannot make it more likely on time
    open_ms = sorted((m for m in body["milestones"] if not m["done"]),
                     key=lambda m: -m["criticality"])
    r = c.post("/api/v1/schedule-risk/whatif",
               json={"milestone_id": open_ms[0]["id"], "days": 120},
               headers={"X-CSRF-Token": _csrf(html)})
    assert r.status_code == 200, r.text
    moved = {x["id"]: x for x in r.json()["initiatives"]}
    if iid in moved:
        assert moved[iid]["after"] <= moved[iid]["before"]
    assert any(x["after"] < x["before"] for x in r.json()["milestones"])


def test_an_unknown_milestone_in_a_what_if_is_refused_by_field(demo: Demo) -> None:  # noqa: F811
    c = _client(demo, "strategy_office")
    token = _csrf(c.get("/explorer", headers=HTML).text)
    r = c.post("/api/v1/schedule-risk/whatif", json={"milestone_id": "mil_999999", "days": 5},
               headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and "milestone_id" in r.text


def test_the_explorer_what_if_reports_how_the_slip_changes_the_chances(
        demo: Demo) -> None:  # noqa: F811
    c = _client(demo, "strategy_office")
    iid, body = _open_initiative(c)
    target = max((m for m in body["milestones"] if not m["done"]),
                 key=lambda m: m["criticality"])
    page = c.get("/explorer", headers=HTML)
    r = c.post("/explorer/whatif", headers=HTML,
               data={"csrf_token": _csrf(page.text), "milestone": target["id"],
                     "days": "120"})
    assert r.status_code == 200
    assert "Chance of landing on time" in r.text
    moved = re.findall(r'(\d+(?:\.\d+)?) % → (\d+(?:\.\d+)?) %', r.text)
    assert moved and all(float(b) <= float(a) for a, b in moved)
    listed = r.text.split('id="risk-whatif"')[1].split("</ul>")[0]
    assert "mil_" not in re.sub(r'(href|title)="[^"]*"', "", listed)  # names, not ids


def test_a_benefit_that_may_land_late_lowers_its_metrics_p_hit_by_the_blend(
        demo: Demo) -> None:  # noqa: F811
    c = _client(demo, "strategy_office")
    rows = []
    for k in range(1, 60):
        r = c.get(f"/api/v1/initiatives/ini_{k}/schedule-risk")
        if r.status_code == 200:
            rows += [(k, b) for b in r.json()["benefits"]]
    assert rows, "the demo has no benefit still to land on a metric"
    for _, b in rows:
        pa, pw, po = b["p_arrives"], b["p_hit"], b["p_hit_without"]
        assert 0.0 <= pa <= 1.0
        assert abs(b["p_hit_with_schedule_risk"] - (pa * pw + (1 - pa) * po)) < 0.002
        assert "met_" not in b["metric_name"]
    k, b = rows[0]
    html = c.get(f"/initiatives/ini_{k}", headers=HTML).text
    assert 'id="risk-benefits"' in html and b["metric_name"] in html


def test_the_explorer_lists_the_dependencies_least_likely_to_be_met_by_name(
        demo: Demo) -> None:  # noqa: F811
    c = _client(demo, "strategy_office")
    html = c.get("/explorer", headers=HTML).text
    assert 'id="dep-risk"' in html
    listed = html.split('id="dep-risk"')[1].split("</ul>")[0]
    shares = [float(x) for x in re.findall(r'class="num">(\d+(?:\.\d+)?) %<', listed)]
    assert shares and shares == sorted(shares)  # least likely first
    assert "mil_" not in listed and "dep_" not in listed


def test_a_large_workspace_page_never_waits_for_the_simulation(demo: Demo,  # noqa: F811
                                                               monkeypatch) -> None:
    import time

    from steerco.views import schedule_risk as view

    c = _client(demo, "strategy_office")
    iid, _ = _open_initiative(c)
    monkeypatch.setattr(view, "INLINE_LIMIT", 0)  # every workspace counts as large
    view._RUNS.clear()
    first = c.get(f"/initiatives/{iid}", headers=HTML)
    assert first.status_code == 200 and "Chance of landing on time" not in first.text
    for _ in range(600):  # the background run lands
        if view._RUNS and not view._BUSY:
            break
        time.sleep(0.1)
    assert "Chance of landing on time" in c.get(f"/initiatives/{iid}", headers=HTML).text


def test_a_reforecast_initiative_gets_the_new_runs_chance_before_that_run_lands(
        demo: Demo, monkeypatch) -> None:  # noqa: F811
    """Above the in-line limit a page shows the last run while the new one computes; an
    initiative re-forecast since then is updated from the last run's kept samples, and
    that equals the full rerun (same futures) for it and its milestones."""
    from sqlalchemy import select

    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.db.models import Workspace
    from steerco.initiatives.service import update_milestone
    from steerco.views import schedule_risk as view
    from steerco.views.work import WORK

    maker = make_sessionmaker(demo.app.state.engine)
    with unit_of_work(maker) as s:
        ws = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        last = view.workspace_risk(s, ws)
        assert last is not None
        wg = last.work.model.wg
        for irow in np.flatnonzero(last.group_deadline != NO_DAY):
            ms = np.flatnonzero((wg.initiative == irow) & (wg.kind == 0) & ~wg.done
                                & ~wg.stopped)
            if ms.size:
                break
        node = int(ms[0])
        key, ini_key = int(wg.key[node]), int(wg.initiatives.ids[irow])
        old_fc = wg.milestones.forecast_day[node]
        new_day = int(last.net.own_finish[node]) + 23
    try:
        with unit_of_work(maker) as s:
            s.info["actor"] = "test"
            update_milestone(s, ws, key, {"forecast_date": from_day(new_day).isoformat()})
        with unit_of_work(maker) as s:
            work = WORK.get(s, ws)
            assert work is not last.work
            g = view.incremental_group(last, work, int(irow))
            assert g is not None, "a re-forecast of its own milestone qualifies"
            full = view._run(work)  # what the background run computes
            assert g.p_on_time == full.risk.group_p_on_time[irow] or (
                np.isnan(g.p_on_time) and np.isnan(full.risk.group_p_on_time[irow]))
            assert g.finish_q.tolist() == full.risk.group_finish_q[irow].tolist()
            assert np.array_equal(g.member_p_on_time, full.risk.p_on_time[g.members],
                                  equal_nan=True)
            assert np.array_equal(g.member_finish_q, full.risk.finish_q[g.members])
            assert g.finish_q.tolist() != last.risk.group_finish_q[irow].tolist() or \
                g.member_finish_q.tolist() != last.risk.finish_q[g.members].tolist()
            # the page (not waiting) shows it while the last run is still the one kept
            monkeypatch.setattr(view, "INLINE_LIMIT", 0)
            view._RUNS[(str(s.get_bind().engine.url), ws)] = last
            view._BUSY.add((str(s.get_bind().engine.url), ws))  # the new run "computing"
            shown = view.initiative_risk(s, ws, ini_key, wait=False)
            view._BUSY.clear()
            assert shown is not None and shown["incremental"] is True
            assert shown["p_on_time"] == view._p(full.risk.group_p_on_time[irow])
            mine = next(m for m in shown["milestones"] if m["key"] == key)
            assert mine["p50"] == view._day(int(full.risk.finish_q[node, 0]))
    finally:
        with unit_of_work(maker) as s:
            s.info["actor"] = "test"
            update_milestone(s, ws, key, {"forecast_date": None if old_fc == NO_DAY
                                          else from_day(int(old_fc)).isoformat()})
        view._RUNS.clear()
