"""What an outbox message means to the outside: its event type, subject, title, link,
what to do about it, and the text of its e-mail and webhook.

Shapes: an outbox message has a `kind` (`escalation`, `decision`, `reminder`,
`password_reset`, `digest`, `feed_failed`), a `recipient` e-mail ('' for a workspace
event with no person) and a JSON `payload`; causes that know names put `title`, `path`
and `action` in the payload, so a message names things as they were when it was written.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass
from typing import Any

#: Event types a webhook may subscribe to (and a person may mute).
EVENT_TYPES = (
    "escalation.opened", "escalation.climbed", "escalation.resolved", "decision.recorded",
    "status.changed", "checkin.due", "checkin.overdue", "milestone.approaching",
    "decision.awaiting", "import.finished", "feed.failed", "review_action.due",
    "review_action.overdue",
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
    #: A paragraph more for the e-mail (what the signal says, where it stands).
    detail: str = ""
    #: The words of the e-mail's link (default "Open it in steerco").
    link_text: str = ""
    #: The e-mail's subject line when the title is too long for one (default: the title,
    #: shortened to `SUBJECT_CHARS`).
    subject_line: str = ""


#: How long an e-mail subject may grow before it is cut with an ellipsis.
SUBJECT_CHARS = 100


def shorten(text: str, limit: int = SUBJECT_CHARS) -> str:
    """`text` cut at a word boundary with an ellipsis so it fits `limit` characters."""
    if len(text) <= limit:
        return text
    # textwrap cuts at whole words; a single over-long word is cut mid-word instead.
    return textwrap.shorten(text, limit, placeholder="…") if " " in text[:limit] else (
        text[:limit - 1] + "…")


#: Who holds an escalation at each rung of the ladder (governance.ladder).
RUNG_ROLES = ("owner", "manager", "unit head", "steering committee")
ESCALATION_ACTION = ("Decide on its page: accept the risk, re-plan the target or the date, "
                     "reallocate or stop — or hand it on, or snooze it with a reason.")


def _escalation(p: dict[str, Any]) -> Event:
    rung = int(p.get("rung") or 0)
    typ = "escalation.opened" if rung == 0 else "escalation.climbed"
    role = RUNG_ROLES[min(rung, len(RUNG_ROLES) - 1)]
    as_ = "for" if role == "steering committee" else "as"  # one holds it for a committee
    summary = str(p.get("summary") or "")
    name = str(p.get("subject_name") or "")
    signal = str(p.get("signal_kind") or "").replace("_", " ").replace("cross team",
                                                                       "cross-team")
    on = f" on {name}" if name else ""

    def titled(on: str) -> str:
        if rung == 0:
            title = f"Escalation opened{on} for you as its owner"
        else:
            title = f"Escalation{on} reached you {as_} the {role}"
        return title + (f": {signal}" if signal else (f": {summary}" if summary else ""))

    title = titled(on)
    # A long subject name (a dependency names both ends) is cut in the subject line, so
    # the line still says what happened and to whom.
    line = ""
    if len(title) > SUBJECT_CHARS and name:
        room = SUBJECT_CHARS - (len(title) - len(name))
        line = (titled(f" on {shorten(name, room)}") if room >= 20 else shorten(title))
    nxt = (f"Until someone decides, it goes to the {RUNG_ROLES[rung + 1]} when its grace "
           "days run out." if rung + 1 < len(RUNG_ROLES) else
           "It has reached the top of the ladder: the decision is yours.")
    detail = (f"{summary}." if summary and not summary.endswith(".") else summary)
    detail = f"{detail} You hold it {as_} the {role}. {nxt}".strip()
    eid = p.get("escalation_id")
    return Event(typ, frozenset({typ}), str(eid or ""), title,
                 # The page where the assignee decides, not the list it sits in.
                 str(p.get("path") or (f"/escalations/{eid}" if eid else "/my-work")),
                 ESCALATION_ACTION, detail,
                 f"Open the escalation{on}", line)


def describe(kind: str, payload: dict[str, Any]) -> Event:
    """The event of an outbox message of `kind` with `payload`."""
    p = payload
    if kind == "escalation":
        return _escalation(p)
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
                 str(p.get("action") or ""), str(p.get("detail") or ""))


def text(ev: Event, base_url: str) -> str:
    """The one-paragraph text of an event (Slack-compatible `text` of a webhook)."""
    link = base_url.rstrip("/") + ev.path
    return f"{ev.title} — {ev.action} <{link}>" if ev.action else f"{ev.title} <{link}>"


def email_bodies(ev: Event, base_url: str, name: str) -> tuple[str, str, str]:
    """(subject line, plain text, HTML) of the e-mail of an event to a person `name`."""
    link = base_url.rstrip("/") + ev.path
    plain = (f"Hello {name},\n\n{ev.title}\n\n"
             + (f"{ev.detail}\n\n" if ev.detail else "")
             + (f"What to do: {ev.action}\n\n" if ev.action else "")
             + f"{ev.link_text or 'Open it'}: {link}\n\n-- steerco\n")
    e = html.escape
    body = (f"<p>Hello {e(name)},</p><p><strong>{e(ev.title)}</strong></p>"
            + (f"<p>{e(ev.detail)}</p>" if ev.detail else "")
            + (f"<p>What to do: {e(ev.action)}</p>" if ev.action else "")
            + f'<p><a href="{e(link)}">{e(ev.link_text or "Open it in steerco")}</a></p>')
    return ev.subject_line or shorten(ev.title), plain, body
