"""Owner calibration as the accuracy page, the API and `steerco accuracy` show it."""

from __future__ import annotations

import datetime as dt

from steerco.checkins.service import check_in
from steerco.views.accuracy import owner_accuracy
from tests.evidence.test_evidence_service import build

LATER = dt.date(2027, 1, 5)


def _alice_ninety_percent_sure_of_two_targets_one_met(session):
    w, top, obj, good, bad, empty = build(session)
    for metric, value in ((good, 205.0), (bad, 105.0)):
        for day in ("2026-11-02", "2026-12-01"):
            check_in(session, w.wid, {"metric_id": metric.id, "value": 150.0, "as_of": day,
                                      "confidence": 0.9}, today=LATER)
        check_in(session, w.wid, {"metric_id": metric.id, "value": value,
                                  "as_of": "2026-12-30"}, today=LATER)
    session.flush()
    return w


def test_the_report_names_the_owner_and_judges_her_over_confident(session):
    w = _alice_ninety_percent_sure_of_two_targets_one_met(session)
    report = owner_accuracy(session, w.wid, LATER)
    (row,) = report["owners"]
    assert row["name"] == "Alice Archer" and row["owner_id"] == f"per_{w.alice.id}"
    assert row["verdict"] == "over-confident" and row["bias"] == 0.4
    # all four confidences said 90 %: one decile, half of the targets met
    assert report["overall"]["table"] == [{"bin": "0.9-1.0", "n": 4, "mean_confidence": 0.9,
                                           "share_hit": 0.5}]
    assert report["overall"]["ece"] == 0.4 and report["up_to"] == "2027-01-05"


def test_before_any_target_date_has_passed_nothing_is_judged(session):
    w = _alice_ninety_percent_sure_of_two_targets_one_met(session)
    report = owner_accuracy(session, w.wid, dt.date(2026, 12, 1))
    assert report["owners"] == [] and report["overall"] == {"n": 0, "brier": None,
                                                            "ece": None, "table": []}
