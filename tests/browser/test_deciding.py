"""Deciding in the browser: an executive takes a re-plan decision from My work, and the
strategy office triages a finding whose snooze returns on its day (simulated clock)."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import TABLET, Session, World, axe_violations, login, shot

SEVERITY_RANK = {"Critical": 3, "Warning": 2, "Info": 1}


def _escalate(world: World) -> dict[str, Any]:
    """Open an escalation of an off-track metric, assigned to the demo's executive (the
    browser world does not replay the ladder); return what the journey needs."""
    from sqlalchemy import select

    from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
    from steerco.db.models import Metric, Person
    from steerco.evidence.service import CACHE
    from steerco.governance.service import open_escalation

    login_ = next(lg for lg, role in world.demo if role == "executive")
    engine = make_engine(world.database)
    try:
        with unit_of_work(make_sessionmaker(engine)) as s:
            s.info["actor"] = "test"
            exec_id = int(s.scalar(select(Person.id).where(
                Person.workspace_id == world.ws, Person.email == login_)) or 0)
            st = CACHE.state(s, world.ws, dt.datetime.now(dt.UTC).date())
            mr, ids = st.evaluation.metrics, st.snapshot.metrics.ids.tolist()
            statuses = mr.status.status.tolist()
            chosen = None
            for r, key in enumerate(ids):
                m = s.get(Metric, key)
                fc = float(mr.forecast[r])
                if statuses[r] == 2 and m is not None \
                        and math.isfinite(fc) and m.direction.value == "increase_to" \
                        and fc > m.baseline_value * 1.02 and fc < m.target_value:
                    chosen = (m, fc, r)
                    break
            assert chosen is not None, "the demo has an off-track metric to re-plan"
            m, fc, r = chosen
            esc = open_escalation(s, world.ws, signal_kind="off_track", subject_kind="metric",
                                  subject_id=m.id,
                                  summary=f"met_{m.id} is off track as of today",
                                  assignee_id=exec_id)
            # a target the forecast reaches: the status must recompute to on track
            new_target = round(m.baseline_value + 0.5 * (fc - m.baseline_value), 2)
            out = {"login": login_, "esc": esc.id, "metric": m.id, "name": m.name,
                   "old_target": m.target_value, "new_target": new_target,
                   "status_before": statuses[r]}
    finally:
        CACHE.clear()
        engine.dispose()
    return out


def test_an_executive_takes_a_replan_decision_from_my_work(world: World, browser: Any) -> None:
    from steerco.accounts.demo import DEMO_PASSWORD

    x = _escalate(world)
    sess = login(browser, world, "executive", as_login=x["login"], password=DEMO_PASSWORD)
    try:
        page = sess.page()
        page.goto("/my-work")
        item = page.locator(f"#my-escalations [data-escalation='esc_{x['esc']}']")
        assert x["name"] in item.inner_text()  # named, never met_N
        assert f"met_{x['metric']}" not in item.inner_text()
        assert axe_violations(page) == []
        shot(page, "deciding-my-work")
        page.goto("/cockpit")
        cockpit_before = page.inner_text(".kpis")
        page.goto(f"/metrics/met_{x['metric']}")
        status_before = page.inner_text("#metric-status").strip()
        assert "Off track" in status_before
        page.goto("/my-work")
        item.locator("a").click()
        page.wait_for_url(f"**/escalations/esc_{x['esc']}")
        assert axe_violations(page) == []
        shot(page, "deciding-escalation")
        # a target behind the baseline is refused on the field, the input kept
        page.select_option("#d-kind", "replan_target")
        page.fill("#d-target", "-1")
        page.fill("#d-rationale", "Demand fell; re-plan to what the evidence supports")
        page.click("#decide-form button[type=submit]")
        page.wait_for_selector("#err-new_target_value")
        assert "-1" in page.inner_text("#err-new_target_value")
        assert page.input_value("#d-rationale").startswith("Demand fell")
        assert axe_violations(page) == []
        shot(page, "deciding-escalation-refused")
        page.fill("#d-target", str(x["new_target"]))
        page.click("#decide-form button[type=submit]")
        page.wait_for_url("**?done=decided")
        assert "resolved" in page.inner_text("#done")
        assert page.inner_text("#state").strip() == "Resolved"
        assert "target value" in page.inner_text("#effect")
        audit = page.inner_text("#effect-audit")
        # the metric's audit entry is read back by the decision it names (its actor is
        # "… by decision dec_N"; tests/services/test_deciding.py checks the actor itself)
        assert "audit trail" in audit and "by this decision" in audit
        assert "target value" in audit and f"{x['new_target']:g}" in audit
        shot(page, "deciding-escalation-decided")
        # the metric shows its new target and a recomputed status
        page.goto(f"/metrics/met_{x['metric']}")
        assert page.inner_text("#metric-status").strip() != status_before
        # the decision log names the decision, its signal, who and the change
        page.goto("/decisions")
        row = page.locator("#decision-log tbody tr").first
        text = row.inner_text()
        assert x["name"] in text and "Off track" in text and "Re-plan the target" in text
        assert "target value" in text and "Demand fell" in text
        assert f"met_{x['metric']}" not in text
        assert axe_violations(page) == []
        shot(page, "deciding-decision-log")
        # the cockpit recomputed
        page.goto("/cockpit")
        assert page.inner_text(".kpis") != cockpit_before
        assert sess.errors == []
        tablet = login(browser, world, "executive", TABLET, as_login=x["login"],
                       password=DEMO_PASSWORD)
        try:
            tp = tablet.page()
            for path, name in ((f"/escalations/esc_{x['esc']}", "deciding-escalation-decided"),
                               ("/decisions", "deciding-decision-log"),
                               ("/escalations?who=all", "deciding-inbox")):
                tp.goto(path)
                assert axe_violations(tp) == []
                shot(tp, name)
            assert tablet.errors == []
        finally:
            tablet.context.close()
    finally:
        sess.context.close()


def _row(page: Any, key: str) -> Any:
    return page.locator(f"#finding-list tr[data-finding='{key}']")


def test_triage_acknowledge_assign_snooze_and_the_snooze_returns_on_its_day(
        world: World, browser: Any, office: Session, office_tablet: Session) -> None:
    page = office.page()
    page.goto("/findings")
    rows = page.locator("#finding-list tbody tr")
    assert 0 < rows.count() <= 15  # one screen of what is new or worse
    badges = [b.split()[-1] for b in page.locator("#finding-list tbody tr td:first-child .badge")
              .all_inner_texts()]
    ranks = [SEVERITY_RANK[b] for b in badges]
    assert ranks == sorted(ranks, reverse=True)  # most at stake first
    reasons = page.locator(".severity-reason").all_inner_texts()
    assert all(re.match(r"^(critical|warning|info)( \(hygiene\))?: ", r) for r in reasons)
    assert axe_violations(page) == []
    shot(page, "findings-new-or-worse")
    # a finding that does not depend on the day: a hygiene finding about a metric
    page.goto("/findings?view=all&kind=metric_without_tolerance")
    first = page.locator("#finding-list tbody tr").first
    key = first.get_attribute("data-finding")
    assert key
    row = _row(page, key)
    row.locator("summary").click()
    with page.expect_navigation():
        row.locator("button:has-text('Acknowledge')").click()
    row = _row(page, key)
    assert "Acknowledged" in row.locator(".triage-state").inner_text()
    # assign by name; a name nobody has is refused on the field
    row.locator("summary").click()
    row.locator("input[name=assignee]").fill("Nobody Called This")
    row.locator("button:has-text('Assign')").click()
    page.wait_for_selector(f"#finding-list tr[data-finding='{key}'] .field-error")
    row = _row(page, key)
    assert "Nobody Called This" in row.locator(".field-error").inner_text()
    assert axe_violations(page) == []
    who = page.eval_on_selector_all("#people-names option", "os => os.map(o => o.value)")[0]
    row.locator("input[name=assignee]").fill(who)
    with page.expect_navigation():
        row.locator("button:has-text('Assign')").click()
    row = _row(page, key)
    assert f"Assigned to {who}" in row.inner_text()
    # snooze until the day after tomorrow, with a reason
    today = dt.datetime.now(dt.UTC).date()
    until = today + dt.timedelta(days=2)
    row.locator("summary").click()
    row.locator("input[name=until]").fill(until.isoformat())
    row.locator("input[name=reason]").first.fill("Tolerances come with the new price list")
    with page.expect_navigation():
        row.locator("button:has-text('Snooze')").click()
    row = _row(page, key)
    assert "snoozed until" in row.locator(".triage-state").inner_text()
    shot(page, "findings-triaged")
    page.goto("/findings?view=snoozed")
    assert _row(page, key).count() == 1
    page.goto("/findings?kind=metric_without_tolerance")
    assert _row(page, key).count() == 0  # out of the default view while snoozed
    clock = Path(world.clock_file)
    try:
        clock.write_text("1")  # tomorrow: still snoozed (a new log-in: sessions expire)
        later = login(browser, world, "strategy_office")
        pg = later.page()
        pg.goto("/findings?kind=metric_without_tolerance")
        assert pg.inner_text("h1") == "Findings" and _row(pg, key).count() == 0
        later.context.close()
        clock.write_text("2")  # its day: back, marked so
        later = login(browser, world, "strategy_office")
        pg = later.page()
        pg.goto("/findings?kind=metric_without_tolerance")
        back = _row(pg, key)
        assert back.count() == 1 and "Back from snooze" in back.inner_text()
        assert axe_violations(pg) == []
        shot(pg, "findings-back-from-snooze")
        assert later.errors == []
        later.context.close()
    finally:
        clock.unlink(missing_ok=True)
    tp = office_tablet.page()
    tp.goto("/findings")
    assert axe_violations(tp) == []
    shot(tp, "findings-new-or-worse")
    tp.goto("/findings?view=all&group=subject")
    shot(tp, "findings-triaged")
    assert office.errors == [] and office_tablet.errors == []
