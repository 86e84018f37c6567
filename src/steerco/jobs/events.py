"""What an outbox message means to the outside: its event type, subject, title, link,
what to do about it, and the text of its e-mail and webhook.

Shapes: an outbox message has a `kind` (`escalation`, `decision`, `reminder`,
`password_reset`, `digest`, `feed_failed`), a `recipient` e-mail ('' for a workspace
event with no person) and a JSON `payload`; causes that know names put `title`, `path`
and `action` in the payload, so a message names things as they were when it was written.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

#: Event types a webhook may subscribe to (and a person may mute).
EVENT_TYPES = (
    "escalation.opened", "escalation.climbed", "escalation.resolved", "decision.recorded",
    "status.changed", "checkin.due", "checkin.overdue", "milestone.approaching",
    "decision.awaiting", "import.finished", "feed.failed",
)
#: Kinds that carry a secret or are only ever e-mail: never a webhook, never the inbox.
PRIVATE_KINDS = frozenset({"password_reset", "digest"})


@dataclass(frozen=True)
class Event:
    """One message as the outside sees it."""

    type: str
    #: Every type it counts as for a subscription (a decision on an escalation is also
    #: `escalation.resolved`).
    types: frozenset[str]
    subject: str
    title: str
    path: str
    action: str


def describe(kind: str, payload: dict[str, Any]) -> Event:
    """The event of an outbox message of `kind` with `payload`."""
    p = payload
    if kind == "escalation":
        typ = "escalation.opened" if int(p.get("rung") or 0) == 0 else "escalation.climbed"
        verb = "Escalation opened" if typ == "escalation.opened" else \
            f"Escalation climbed to rung {int(p.get('rung') or 0) + 1}"
        return Event(typ, frozenset({typ}), str(p.get("escalation_id") or ""),
                     f"{verb}: {p.get('summary') or p.get('subject_id') or ''}",
                     # The page where the assignee decides, not the list it sits in.
                     str(p.get("path") or (f"/escalations/{p['escalation_id']}"
                                           if p.get("escalation_id") else "/my-work")),
                     "Open it and record a decision (Decide on the escalation's page).")
    if kind == "decision":
        types = {"decision.recorded"} | ({"escalation.resolved"} if p.get("escalation_id")
                                         else set())
        return Event("decision.recorded", frozenset(types),
                     str(p.get("escalation_id") or p.get("subject_id") or ""),
                     str(p.get("title") or "Decision recorded"),
                     str(p.get("path") or "/my-work"), "Nothing: this is for your record.")
    if kind == "password_reset":
        return Event("password.reset", frozenset(), "", "Reset your steerco password",
                     f"/reset-password?token={p.get('token', '')}",
                     "Open the link within an hour to choose a new password; ignore this "
                     "e-mail if you did not ask for it.")
    if kind == "review_pack":
        # governance.service.schedule_mail: the review's page links its pack.
        return Event(kind, frozenset({kind}), str(p.get("review_id") or ""),
                     str(p.get("subject") or p.get("title") or "Review pack"),
                     str(p.get("page") or p.get("path") or "/reviews"),
                     "Read the pack before the meeting (linked from the review's page).")
    typ = str(p.get("event") or kind)
    return Event(typ, frozenset({typ}), str(p.get("subject") or ""),
                 str(p.get("title") or typ), str(p.get("path") or "/my-work"),
                 str(p.get("action") or ""))


def text(ev: Event, base_url: str) -> str:
    """The one-paragraph text of an event (Slack-compatible `text` of a webhook)."""
    link = base_url.rstrip("/") + ev.path
    return f"{ev.title} — {ev.action} <{link}>" if ev.action else f"{ev.title} <{link}>"


def email_bodies(ev: Event, base_url: str, name: str) -> tuple[str, str, str]:
    """(subject line, plain text, HTML) of the e-mail of an event to a person `name`."""
    link = base_url.rstrip("/") + ev.path
    plain = (f"Hello {name},\n\n{ev.title}\n\n"
             + (f"What to do: {ev.action}\n\n" if ev.action else "")
             + f"Open it: {link}\n\n-- steerco\n")
    e = html.escape
    body = (f"<p>Hello {e(name)},</p><p><strong>{e(ev.title)}</strong></p>"
            + (f"<p>What to do: {e(ev.action)}</p>" if ev.action else "")
            + f'<p><a href="{e(link)}">Open it in steerco</a></p>')
    return ev.title[:200], plain, body
