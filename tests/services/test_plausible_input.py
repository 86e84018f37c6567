"""Nothing implausible is silently accepted: amounts and metric numbers beyond the
absolute cap, actuals for periods far from their budget line's plan, review actions due
before their review — each refused naming the field, in user words, writing nothing."""

from __future__ import annotations

from typing import Any

import pytest

from steerco.finance.service import correct_ledger_entry, create_budget_line, post_ledger_entry
from steerco.governance.service import add_action, create_review, record_decision
from steerco.kit.errors import ValidationFailed
from steerco.kit.validation import parse
from steerco.metrics.service import update_metric
from steerco.objectives.schemas import ObjectiveCreate
from tests.factories import world
from tests.services.test_refusals import fields, refused


def _line(session: Any) -> tuple[Any, Any]:
    w = world(session)
    line = create_budget_line(session, w.wid, {
        "code": "IT-1", "name": "Cloud", "plan": [
            {"period": "2026-04-01", "amount": 100.0},
            {"period": "2027-03-01", "amount": 100.0}]})
    return w, line


def _post(w: Any, line: Any, **kw: Any) -> Any:
    return post_ledger_entry(w.session, w.wid, {"budget_line_id": f"bud_{line.id}",
                                                "period": "2026-05-01", "amount": 90.0,
                                                "posted_on": "2026-05-20", **kw})


def test_an_absurd_actual_is_refused_naming_the_amount(session: Any) -> None:
    w, line = _line(session)
    err = refused(session, lambda: _post(w, line, amount=1e20))
    assert "amount" in fields(err)
    assert "1e+20" in fields(err)["amount"] and "at most" in fields(err)["amount"]
    err = refused(session, lambda: _post(w, line, amount=-1e20))
    assert "amount" in fields(err)
    assert _post(w, line, amount=-5000.0).amount == -5000.0  # a large refund is fine


def test_an_absurd_planned_amount_or_correction_is_refused(session: Any) -> None:
    w, line = _line(session)
    err = refused(session, lambda: create_budget_line(session, w.wid, {
        "code": "IT-2", "name": "x", "plan": [{"period": "2026-04-01", "amount": 1e20}]}))
    assert "plan.0.amount" in fields(err)
    wrong = _post(w, line)
    err = refused(session, lambda: correct_ledger_entry(session, w.wid, wrong.id, {
        "amount": 1e20, "posted_on": "2026-05-21", "reason": "typo"}))
    assert "amount" in fields(err)


def test_an_actual_far_outside_the_planned_periods_is_refused(session: Any) -> None:
    w, line = _line(session)
    err = refused(session, lambda: _post(w, line, period="1999-01-01"))
    assert fields(err) == {"period": (
        "Jan 1999 is far outside this budget line's plan (Apr 2026 to Mar 2027): "
        "an actual may be posted from Apr 2025 to Mar 2028")}
    refused(session, lambda: _post(w, line, period="2028-04-01"))
    assert _post(w, line, period="2025-04-01").period.year == 2025
    assert _post(w, line, period="2028-03-01").period.year == 2028


def test_a_metric_number_beyond_the_cap_is_refused_naming_it(session: Any) -> None:
    w = world(session)
    for name in ("target_value", "baseline_value", "tolerance", "max_value"):
        err = refused(session, lambda name=name: w.metric(**{name: 1e20}))
        assert name in fields(err), name
        assert "at most" in fields(err)[name]
    m = w.metric()
    err = refused(session, lambda: update_metric(session, w.wid, m.id, {"target_value": 1e20}))
    assert "target_value" in fields(err)


def test_a_replan_to_an_absurd_target_is_refused_on_the_decision_field(session: Any) -> None:
    w = world(session)
    m = w.metric()
    err = refused(session, lambda: record_decision(
        session, w.wid, {"kind": "replan_target", "rationale": "x", "subject_id": f"met_{m.id}",
                         "new_target_value": 1e20}, decided_by=w.alice.id))
    assert "new_target_value" in fields(err)
    assert m.target_value == 200.0


def test_an_action_due_before_its_review_is_refused(session: Any) -> None:
    w = world(session)
    review = create_review(session, w.wid, {"kind": "weekly_ops", "title": "Weekly",
                                            "scheduled_for": "2026-07-01"})
    err = refused(session, lambda: add_action(session, w.wid, review.id, {
        "title": "Call", "owner_id": f"per_{w.alice.id}", "due_on": "1999-01-01"}))
    assert fields(err) == {"due_on": "the due date 1 Jan 1999 is before the review "
                                     "(1 Jul 2026): an action is due on or after it"}
    ok = add_action(session, w.wid, review.id, {
        "title": "Call", "owner_id": f"per_{w.alice.id}", "due_on": "2026-07-01"})
    assert ok.due_on.isoformat() == "2026-07-01"


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"title": None}, "title", "a title is required"),
    ({"period_end": "1999-01-01"}, "period_end",
     "the end date 1 Jan 1999 is before the start date 1 Jan 2026"),
])
def test_form_messages_are_in_user_words(data: dict[str, Any], field: str,
                                         message: str) -> None:
    body = {"title": "Grow", "period_start": "2026-01-01", "period_end": "2026-12-31",
            "level": "company", "perspective": "financial", "owner_id": "per_1", **data}
    with pytest.raises(ValidationFailed) as err:
        parse(ObjectiveCreate, body)
    assert fields(err.value)[field] == message


def test_a_weight_above_its_bound_reads_in_words(session: Any) -> None:
    w = world(session)
    o = w.objective()
    err = refused(session, lambda: w.metric(objectives=[
        {"objective_id": f"obj_{o.id}", "weight": 5000}]))
    assert fields(err) == {"objectives.0.weight": "the weight must be at most 1,000"}
