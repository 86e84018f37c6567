"""Correcting a ledger actual appends a reversal and a replacement (the ledger is
append-only); the same entry is corrected once, and a reversal is never corrected."""

from __future__ import annotations

from typing import Any

import pytest

from steerco.finance.service import correct_ledger_entry, create_budget_line, post_ledger_entry
from steerco.kit.errors import Conflict, ValidationFailed
from steerco.views.finance import line_detail
from tests.factories import world


def _entry(session: Any) -> tuple[Any, Any, Any]:
    w = world(session)
    line = create_budget_line(session, w.wid, {
        "code": "IT-1", "name": "Cloud", "plan": [{"period": "2026-01-01", "amount": 100.0}]})
    wrong = post_ledger_entry(session, w.wid, {"budget_line_id": f"bud_{line.id}",
                                               "period": "2026-01-01", "amount": 900.0,
                                               "posted_on": "2026-02-02"})
    return w, line, wrong


def test_a_correction_reverses_the_wrong_actual_and_posts_the_right_one(session: Any) -> None:
    w, line, wrong = _entry(session)
    rev, new = correct_ledger_entry(session, w.wid, wrong.id, {
        "amount": 90.0, "posted_on": "2026-02-05", "reason": "a digit too many"})
    assert (rev.amount, rev.period) == (-900.0, wrong.period)
    assert rev.reference == f"reverses led_{wrong.id}: a digit too many"
    assert (new.amount, new.reference) == (90.0, f"corrects led_{wrong.id}: a digit too many")
    detail = line_detail(session, w.wid, line.id)
    assert detail is not None and detail.actual[wrong.period] == pytest.approx(90.0)


def test_an_entry_is_corrected_once_and_a_reversal_never(session: Any) -> None:
    w, _line, wrong = _entry(session)
    rev, _new = correct_ledger_entry(session, w.wid, wrong.id, {
        "amount": 90.0, "posted_on": "2026-02-05", "reason": "typo"})
    body = {"amount": 80.0, "posted_on": "2026-02-06", "reason": "again"}
    with pytest.raises(Conflict, match="already corrected"):
        correct_ledger_entry(session, w.wid, wrong.id, body)
    with pytest.raises(Conflict, match="is a reversal"):
        correct_ledger_entry(session, w.wid, rev.id, body)


def test_a_correction_needs_a_reason(session: Any) -> None:
    w, _line, wrong = _entry(session)
    with pytest.raises(ValidationFailed) as exc:
        correct_ledger_entry(session, w.wid, wrong.id, {
            "amount": 1.0, "posted_on": "2026-02-05", "reason": "   "})
    assert exc.value.errors[0].field == "reason"
