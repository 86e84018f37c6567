"""An e-mail links to the page where its reader acts: an escalation to its decision page
(/escalations/{id}), a review pack to the review's page; never the generic My work."""

from __future__ import annotations

from steerco.jobs.events import describe, email_bodies


def test_an_escalation_mail_links_to_the_page_where_it_is_decided() -> None:
    ev = describe("escalation", {"escalation_id": "esc_7", "rung": 1, "summary": "Cost"})
    assert ev.path == "/escalations/esc_7"
    _subject, plain, html = email_bodies(ev, "https://s.example", "Ann")
    assert "https://s.example/escalations/esc_7" in plain
    assert "https://s.example/escalations/esc_7" in html


def test_a_review_pack_mail_links_to_the_review_page() -> None:
    ev = describe("review_pack", {"review_id": "rev_3", "title": "MBR",
                                  "subject": "MBR on 01 Dec 2026: the pack",
                                  "page": "/reviews/rev_3"})
    assert ev.path == "/reviews/rev_3"
    assert ev.title == "MBR on 01 Dec 2026: the pack"
    assert "pack" in ev.action


def test_an_escalation_mail_names_its_subject_the_rung_it_reached_and_what_to_do() -> None:
    # A summary that does not name its subject (a reality gap, a dependency) and a rung
    # number mean nothing to a reader: the subject's title and the rung's role do.
    ev = describe("escalation", {
        "escalation_id": "esc_7", "rung": 3, "signal_kind": "reality_gap",
        "subject_id": "met_4", "subject_name": "Net revenue",
        "summary": "Owner confidence 66 % but the data gives P(hit) 0.14 %"})
    assert ev.title == ("Escalation on Net revenue reached you for the steering committee: "
                        "reality gap")
    subject, plain, html = email_bodies(ev, "https://s.example", "Ann Example")
    assert subject == ev.title
    assert "Owner confidence 66 % but the data gives P(hit) 0.14 %" in plain
    assert "steering committee" in plain and "rung" not in plain
    assert "accept the risk" in plain and "Decide" in plain
    assert "Owner confidence 66 %" in html
    assert '>Open the escalation on Net revenue</a>' in html
    opened = describe("escalation", {
        "escalation_id": "esc_8", "rung": 0, "signal_kind": "off_track",
        "subject_id": "met_4", "subject_name": "Net revenue",
        "summary": "Net revenue is off track as of 2026-12-07"})
    assert opened.title == "Escalation opened on Net revenue for you as its owner: off track"
    _s, plain, _h = email_bodies(opened, "https://s.example", "Ann Example")
    assert "the manager" in plain  # where it goes next without a decision
