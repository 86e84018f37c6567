"""Findings and what-ifs on stored data, built through the domain services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from steerco.checkins.service import check_in
from steerco.dependencies.service import create_dependency
from steerco.evidence.service import CACHE
from steerco.finance.service import create_budget_line, post_ledger_entry
from steerco.findings import service as fs
from steerco.findings.cli import findings as findings_cmd
from steerco.findings.cli import whatif as whatif_cmd
from steerco.initiatives.service import add_benefit, add_milestone, create_initiative
from steerco.kit.errors import ValidationFailed
from tests.factories import world

TODAY = dt.date(2026, 11, 22)


def day(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


@pytest.fixture(autouse=True)
def _fresh_caches() -> Any:
    CACHE.clear()
    fs.clear()
    yield
    CACHE.clear()
    fs.clear()


def chain(session: Any) -> dict[str, Any]:
    """Alice's milestone A feeds Bob's milestone B (needed in 20 days); Bob's initiative
    promises +80 on a metric that is flat at 150 and must reach 200 in 70 days."""
    w = world(session)
    obj = w.objective("Win the holiday season", period_end="2027-03-31")
    metric = w.metric("Orders", cadence="weekly", baseline_value=150, target_value=200,
                      baseline_date="2025-11-01", target_date=day(70), tolerance=0.05,
                      objectives=[{"objective_id": f"obj_{obj.id}"}],
                      plan=[{"on": "2025-11-01", "value": 150}, {"on": day(39), "value": 150},
                            {"on": day(41), "value": 200}, {"on": day(70), "value": 200}])
    rng = np.random.default_rng(2)
    for i in range(40):
        check_in(session, w.wid, {"metric_id": f"met_{metric.id}",
                                  "value": float(150 + 0.5 * rng.standard_normal()),
                                  "as_of": day(-7 * (39 - i))}, today=TODAY)
    ia = create_initiative(session, w.wid, {"name": "Platform", "owner_id": f"per_{w.alice.id}",
                                            "start_date": day(-30), "due_date": day(10)})
    ib = create_initiative(session, w.wid, {"name": "Checkout", "owner_id": f"per_{w.bob.id}",
                                            "start_date": day(-30), "due_date": day(30),
                                            "metric_ids": [f"met_{metric.id}"]})
    ma = add_milestone(session, w.wid, {"initiative_id": f"ini_{ia.id}", "name": "API",
                                        "due_date": day(10), "duration_days": 5})
    mb = add_milestone(session, w.wid, {"initiative_id": f"ini_{ib.id}", "name": "Launch",
                                        "due_date": day(30), "duration_days": 5})
    dep = create_dependency(session, w.wid, {"provider": f"mil_{ma.id}",
                                             "consumer": f"mil_{mb.id}", "need_date": day(20)})
    add_benefit(session, w.wid, {"initiative_id": f"ini_{ib.id}", "kind": "metric_impact",
                                 "amount": 80.0, "due_date": day(40),
                                 "metric_id": f"met_{metric.id}"})
    session.flush()
    return {"w": w, "obj": obj, "metric": metric, "ia": ia, "ib": ib, "ma": ma, "mb": mb,
            "dep": dep}


def test_a_slip_ripples_through_the_dependency_and_the_benefit_to_the_objective(
        session: Any) -> None:
    c = chain(session)
    w = c["w"]
    before = fs.findings(session, w.wid, TODAY, "broken_dependency")
    assert before == []
    r = fs.whatif(session, w.wid, TODAY, [f"mil_{c['ma'].id}:60"])
    assert r["newly_broken"] == [{
        "id": f"dep_{c['dep'].id}", "provider": f"mil_{c['ma'].id}",
        "consumer": f"mil_{c['mb'].id}", "provider_owner_id": f"per_{w.alice.id}",
        "consumer_owner_id": f"per_{w.bob.id}", "need_date": day(20)}]
    moved = {n["id"]: n for n in r["schedule"]}
    assert moved[f"mil_{c['ma'].id}"]["new_finish"] == day(70)
    assert f"ini_{c['ib'].id}" in moved
    assert [b["metric_id"] for b in r["benefits"]] == [f"met_{c['metric'].id}"]
    [m] = r["metrics"]
    assert (m["old_status"], m["new_status"]) == ("on_track", "off_track")
    assert m["new_p_hit"] < m["old_p_hit"]
    assert r["objectives"] == [{"id": f"obj_{c['obj'].id}", "old_status": "on_track",
                                "new_status": "off_track"}]
    # nothing was written: the real schedule still has no broken dependency
    assert fs.findings(session, w.wid, TODAY, "broken_dependency") == []


def test_stopping_the_provider_breaks_the_dependency_with_a_never(session: Any) -> None:
    c = chain(session)
    r = fs.whatif(session, c["w"].wid, TODAY, [], [f"ini_{c['ia'].id}"])
    assert [d["id"] for d in r["newly_broken"]] == [f"dep_{c['dep'].id}"]
    assert r["benefits"][0]["new_date"] == "never"


def test_a_what_if_refuses_unknown_and_malformed_references_in_one_line(session: Any) -> None:
    c = chain(session)
    for bad in (["mil_999999:3"], ["mil_1"], ["obj_1:3"], ["mil_1:x"]):
        with pytest.raises(ValidationFailed):
            fs.whatif(session, c["w"].wid, TODAY, bad)
    with pytest.raises(ValidationFailed):
        fs.whatif(session, c["w"].wid, TODAY, [], ["mil_1"])


def test_a_what_if_takes_titles_and_refuses_unknown_or_shared_ones_by_name(
        session: Any) -> None:
    """Names, not ids: `--slip 'API:14'` and `--stop Platform` answer as the ids do; a title
    nobody has, or one two items share, is refused naming the candidates."""
    c = chain(session)
    wid = c["w"].wid
    by_id = fs.whatif(session, wid, TODAY, [f"mil_{c['ma'].id}:14"], [f"ini_{c['ib'].id}"])
    by_name = fs.whatif(session, wid, TODAY, ["api:14"], ["Checkout"])
    assert by_name == by_id
    with pytest.raises(ValidationFailed, match="no milestone or initiative is called"):
        fs.whatif(session, wid, TODAY, ["Nothing like it:3"])
    add_milestone(session, wid, {"initiative_id": f"ini_{c['ib'].id}", "name": "API",
                                 "due_date": "2026-12-20"})
    with pytest.raises(ValidationFailed, match=r"names 2 items.*Platform › API.*Checkout › API"):
        fs.whatif(session, wid, TODAY, ["API:3"])


def test_findings_name_the_person_who_must_act_and_stay_in_their_workspace(
        session: Any) -> None:
    c = chain(session)
    w = c["w"]
    other = world(session)
    create_initiative(session, other.wid, {"name": "Elsewhere"})
    # the provider misses the need date: a broken dependency, Alice must act
    add_milestone(session, w.wid, {"initiative_id": f"ini_{c['ia'].id}", "name": "Late",
                                   "due_date": day(15), "forecast_date": day(25)})
    line = create_budget_line(session, w.wid, {
        "code": "BL-1", "name": "Checkout", "kind": "opex", "initiative_id": f"ini_{c['ib'].id}",
        "plan": [{"period": "2026-08-01", "amount": 1000.0},
                 {"period": "2026-09-01", "amount": 1000.0},
                 {"period": "2026-10-01", "amount": 1000.0}]})
    for p in ("2026-08-01", "2026-09-01", "2026-10-01"):
        post_ledger_entry(session, w.wid, {"budget_line_id": f"bud_{line.id}", "period": p,
                                           "amount": 1000.0, "posted_on": "2026-11-05"})
    add_benefit(session, w.wid, {"initiative_id": f"ini_{c['ib'].id}", "kind": "savings",
                                 "amount": 900.0, "due_date": "2026-08-01",
                                 "budget_line_id": f"bud_{line.id}"})
    session.flush()
    rows = fs.findings(session, w.wid, TODAY)
    kinds = {f["kind"] for f in rows}
    assert {"benefit_leakage", "untrackable_initiative", "noise_metric",
            "stale_milestone"} <= kinds
    leak = next(f for f in rows if f["kind"] == "benefit_leakage")
    assert leak["evidence"]["budget_line"] == f"bud_{line.id}"
    assert leak["evidence"]["claimed"] == 900.0 and leak["evidence"]["visible"] == 0.0
    late = next(f for f in rows if f["kind"] == "stale_milestone")
    assert late["person_id"] == f"per_{w.alice.id}"
    subjects = {f["subject"]["id"] for f in rows}
    assert not any(s and s.startswith("ini_") and int(s[4:]) not in (c["ia"].id, c["ib"].id)
                   for s in subjects)
    assert [f["severity"] for f in rows] == sorted((f["severity"] for f in rows), reverse=True)


def test_an_unknown_kind_is_refused(session: Any) -> None:
    w = world(session)
    with pytest.raises(ValidationFailed):
        fs.findings(session, w.wid, TODAY, "nonsense")


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(findings_cmd)
    app.command()(whatif_cmd)
    return app


def test_the_whatif_command_without_a_slip_or_stop_fails_in_one_line() -> None:
    res = CliRunner().invoke(_app(), ["whatif"])
    assert res.exit_code == 1
    assert "give at least one" in res.output


def test_the_findings_command_refuses_an_unknown_kind() -> None:
    res = CliRunner().invoke(_app(), ["findings", "--kind", "nope"])
    assert res.exit_code == 1 and "--kind must be one of" in res.output


def test_a_what_if_refuses_to_slip_work_that_is_already_done(session: Any) -> None:
    c = chain(session)
    done = add_milestone(session, c["w"].wid, {"initiative_id": f"ini_{c['ia'].id}",
                                               "name": "Kick-off", "due_date": day(-20)})
    done.completed_on = dt.date.fromisoformat(day(-21))
    session.flush()
    fs.clear()
    with pytest.raises(ValidationFailed) as info:
        fs.whatif(session, c["w"].wid, TODAY, [f"mil_{done.id}:10"])
    ini = c["ia"].name
    assert str(info.value) == f"slip: “{ini} › Kick-off” is already done; only open work can slip"


def test_a_what_if_on_a_cycle_member_lists_it_as_ignored_with_the_reason(
        session: Any) -> None:
    from steerco.db.models import Dependency

    c = chain(session)
    # Stored before cycles through the initiative–milestone link were refused: the
    # initiative waits for its own milestone.
    session.add(Dependency(workspace_id=c["w"].wid, provider_initiative_id=c["ia"].id,
                           consumer_milestone_id=c["ma"].id, dep_type="FS", lag_days=0))
    session.flush()
    r = fs.whatif(session, c["w"].wid, TODAY, [f"mil_{c['ma'].id}:14"])
    assert [i["id"] for i in r["ignored"]] == [f"mil_{c['ma'].id}"]
    assert "dependency cycle" in r["ignored"][0]["reason"]
    assert set(r["ignored"][0]["cycle"]) == {f"mil_{c['ma'].id}", f"ini_{c['ia'].id}"}


@pytest.mark.parametrize("days", [-366, 3651, 9999])
def test_a_what_if_refuses_slips_outside_a_year_earlier_to_ten_years_later(
        session: Any, days: int) -> None:
    c = chain(session)
    with pytest.raises(ValidationFailed) as info:
        fs.whatif(session, c["w"].wid, TODAY, [f"mil_{c['mb'].id}:{days}"])
    assert "between -365 and 3,650 days" in str(info.value)


def test_a_what_if_refuses_to_put_an_open_items_finish_in_the_past(session: Any) -> None:
    c = chain(session)
    with pytest.raises(ValidationFailed) as info:
        fs.whatif(session, c["w"].wid, TODAY, [f"mil_{c['ma'].id}:-30"])
    assert "before 2026-11-22" in str(info.value) and "cannot finish in the past" in str(
        info.value)
    # Pulling in to today is fine.
    fs.whatif(session, c["w"].wid, TODAY, [f"mil_{c['ma'].id}:-10"])

