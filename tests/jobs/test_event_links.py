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
