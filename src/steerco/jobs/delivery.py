"""Deliver the outbox: fan each message out, then send every delivery once it is due.

1. `fan_out` claims messages not yet fanned out and, in one transaction per batch,
   writes the person's inbox item, their e-mail delivery (now, after their quiet hours,
   or held for the daily digest) and one delivery per matching webhook subscription;
   then marks the message fanned out (`sent_at`). Unique keys make a re-run harmless.
2. `send_due` claims due deliveries (a lease, by conditional update), sends them outside
   any transaction and marks them sent. A worker that dies between send and mark leaves
   its lease to expire and the delivery is sent again with the same message id
   (`X-Steerco-Message-Id`, the e-mail's Message-ID) for the receiver to deduplicate.
   Webhooks keep order per subscription and subject: a delivery waits while an older one
   of its subject is pending. A failed send is retried with exponential backoff (30 s
   doubling, at most an hour apart) for a day, then marked failed (the admin page
   resends it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import html
import json
import logging
import smtplib
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from http.client import HTTPConnection, HTTPSConnection, RemoteDisconnected
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session, sessionmaker

from steerco.db.engine import unit_of_work
from steerco.db.models import Delivery, InboxItem, WebhookSubscription
from steerco.jobs import events
from steerco.jobs import repository as repo
from steerco.kit import clock
from steerco.kit.ids import format_id
from steerco.settings import Settings

log = logging.getLogger("steerco.jobs.delivery")
LEASE = dt.timedelta(seconds=60)
FIRST_RETRY = dt.timedelta(seconds=30)
MAX_RETRY = dt.timedelta(hours=1)
GIVE_UP_AFTER = dt.timedelta(days=1)
BATCH = 500
Clock = Callable[[], dt.datetime]


@dataclass
class SmtpConfig:
    """Where e-mail goes (from settings)."""

    host: str
    port: int = 587
    starttls: bool = True
    user: str = ""
    password: str = ""
    sender: str = "steerco@localhost"
    #: No SMTP host but a folder: each e-mail is written there as a .eml file (MailDir).
    directory: str = ""


@dataclass
class Transport:
    """How deliveries leave the building; tests replace parts of it."""

    base_url: str = "http://127.0.0.1:8000"
    smtp: SmtpConfig | None = None
    #: None: the standard library's keep-alive connections (a third of httpx's cost per
    #: request, measured by bench.delivery); tests pass an httpx client with a mock.
    http: httpx.Client | None = None
    #: Webhook subjects sent at once, each on its own keep-alive connection (a subject's
    #: deliveries stay in order: one thread sends them one after another). A receiver's
    #: round trip then no longer sets the pace: bench.delivery measured 273 messages/s
    #: one at a time at load ~14.
    concurrency: int = 8
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _executor: ThreadPoolExecutor | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def _pool(self) -> dict[tuple[str, str, int], HTTPConnection]:
        """This thread's keep-alive connections (an HTTPConnection serves one thread)."""
        pool: dict[tuple[str, str, int], HTTPConnection] | None = getattr(
            self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        return pool

    def executor(self) -> ThreadPoolExecutor:
        """The threads sending webhook subjects at once (kept: their connections stay
        open from one batch to the next)."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max(1, self.concurrency),
                                                    thread_name_prefix="steerco-send")
            return self._executor

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """POST `body` to `url`; (status code, the start of the answer)."""
        if self.http is not None:
            r = self.http.post(url, content=body, headers=headers)
            return r.status_code, r.text[:200]
        u = urlsplit(url)
        port = u.port or (443 if u.scheme == "https" else 80)
        key = (u.scheme, u.hostname or "", port)
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            conn = self._pool.get(key)
            if conn is None:
                cls = HTTPSConnection if u.scheme == "https" else HTTPConnection
                conn = cls(key[1], port, timeout=10)
                conn.connect()
                if conn.sock is not None:
                    # The body must not wait for the delayed ACK of the headers (40 ms).
                    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._pool[key] = conn
            try:
                conn.request("POST", path, body=body, headers=headers)
                resp = conn.getresponse()
                text = resp.read(200).decode(errors="replace")
                if resp.will_close:
                    conn.close()
                    self._pool.pop(key, None)
                else:
                    resp.read()
                return resp.status, text
            except (RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                self._pool.pop(key, None)
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")
    #: Test hook called after a send and before its mark (to simulate a crash there).
    after_send: Callable[[Delivery], None] | None = None

    @classmethod
    def from_settings(cls, st: Settings) -> Transport:
        smtp = SmtpConfig(st.smtp_host, st.smtp_port, st.smtp_starttls, st.smtp_user,
                          st.smtp_password, st.smtp_from) if st.smtp_host else (
            SmtpConfig("", sender=st.smtp_from, directory=st.mail_dir) if st.mail_dir
            else None)
        return cls(base_url=st.base_url, smtp=smtp)


def message_id(key: int) -> str:
    """The public id of an outbox message (receivers deduplicate by it)."""
    return f"msg_{key}"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Steerco-Signature` of a webhook: `v1=` + hex HMAC-SHA256 of
    `"{timestamp}." + body` keyed with the subscription's secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt (1-based)."""
    wait: dt.timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(wait, MAX_RETRY)


# --- 1. fan out ------------------------------------------------------------------------


def _quiet_until(now: dt.datetime, tz: str, start: int | None, end: int | None) -> dt.datetime:
    """`now`, or the end of the quiet hours [start, end) (workspace-local) around it."""
    if start is None or end is None or start == end:
        return now
    local = now.astimezone(clock.zone(tz))
    h = local.hour
    quiet = start <= h < end if start < end else (h >= start or h < end)
    if not quiet:
        return now
    until = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if until <= local:
        until += dt.timedelta(days=1)
    return until.astimezone(dt.UTC)


def fan_out(factory: sessionmaker[Session], now: dt.datetime, transport: Transport,
            limit: int = BATCH) -> int:
    """Fan out up to `limit` outbox messages; returns how many."""
    worker = uuid.uuid4().hex[:16]
    with unit_of_work(factory) as s:
        msgs = repo.claim_outbox(s, worker, now, LEASE, limit)
        if not msgs:
            return 0
        zones = {k: tz for k, _slug, tz in repo.workspaces(s)}
        by_ws: dict[int, list[Any]] = {}
        for m in msgs:
            by_ws.setdefault(int(m.workspace_id), []).append(m)
        for ws, group in by_ws.items():
            _fan_out_workspace(s, ws, zones.get(ws, clock.UTC), group, now, transport)
        repo.mark_fanned_out(s, [int(m.id) for m in msgs], now)
    return len(msgs)


def _fan_out_workspace(s: Session, ws: int, tz: str, msgs: list[Any],
                       now: dt.datetime, transport: Transport) -> None:
    """Write the inbox items and deliveries of `msgs` (claimed by this transaction, so
    none exists yet; the unique keys are the safety net), each kind in one statement."""
    inbox: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    people = repo.people_by_email(s, ws, [m.recipient for m in msgs if m.recipient])
    prefs = repo.prefs(s, ws, [p for p, _n in people.values()])
    subs = [(int(sub.id), set(sub.events or [])) for sub in repo.subscriptions(s, ws)]
    for m in msgs:
        ev = events.describe(m.kind, m.payload or {})
        private = m.kind in events.PRIVATE_KINDS or m.kind == "password_reset"
        person = people.get(m.recipient) if m.recipient else None
        pref = prefs.get(person[0]) if person else None
        muted = (not private and pref is not None and pref.events is not None
                 and ev.type not in pref.events)
        if person is not None and not private and not muted:
            inbox.append({"workspace_id": ws, "person_id": person[0], "message_id": m.id,
                          "event": ev.type, "title": ev.title[:500], "link": ev.path[:500],
                          "created_at": now})
        mode = "immediate" if private or pref is None else pref.email
        if transport.smtp is not None and m.recipient and not muted and mode != "off":
            due = now if private or pref is None else _quiet_until(
                now, tz, pref.quiet_start, pref.quiet_end)
            rows.append({"workspace_id": ws, "message_id": m.id,
                         "channel": "digest" if mode == "digest" else "email",
                         "target": f"email:{m.recipient}"[:400], "subscription_id": None,
                         "subject": ev.subject[:64], "next_attempt_at": due,
                         "created_at": now})
        if not private:
            for sub, wanted in subs:
                if wanted and not (ev.types & wanted):
                    continue
                rows.append({"workspace_id": ws, "message_id": m.id, "channel": "webhook",
                             "target": f"webhook:{sub}", "subscription_id": sub,
                             "subject": ev.subject[:64], "next_attempt_at": now,
                             "created_at": now})
    repo.insert_rows(s, InboxItem, inbox)
    repo.insert_rows(s, Delivery, rows)


# --- 2. send ---------------------------------------------------------------------------


def _eligible(head: list[Any], now: dt.datetime, limit: int) -> list[Any]:
    """Due, unclaimed deliveries whose webhook subject has nothing older pending."""
    blocked: set[tuple[str, str]] = set()
    out: list[Any] = []
    for d in head:
        group = (d.target, d.subject) if d.channel == "webhook" else (d.target, str(d.id))
        if group in blocked or d.channel == "digest":
            continue
        busy = d.claimed_until is not None and _aware(d.claimed_until) >= now
        if busy or _aware(d.next_attempt_at) > now:
            blocked.add(group)
            continue
        out.append(d)
        if len(out) >= limit:
            break
    return out


def _aware(t: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for timezone-aware columns: they are UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


@dataclass
class _Batch:
    deliveries: list[Any]  # rows of repo.claim_deliveries
    messages: dict[int, Any]  # rows of repo.message_rows
    subs: dict[int, WebhookSubscription]
    names: dict[str, str]


def _claim(factory: sessionmaker[Session], worker: str, now: dt.datetime,
           limit: int) -> _Batch | None:
    with unit_of_work(factory) as s:
        head = repo.pending_head(s, now, limit * 4)
        ids = [int(d.id) for d in _eligible(head, now, limit)]
        got = repo.claim_deliveries(s, ids, worker, now, LEASE)
        if not got:
            return None
        msgs = repo.message_rows(s, [int(d.message_id) for d in got])
        subs = repo.subscriptions_by_key(
            s, [int(d.subscription_id) for d in got if d.subscription_id is not None])
        names: dict[str, str] = {}
        for ws in {int(d.workspace_id) for d in got}:
            emails = [d.target[6:] for d in got if d.channel == "email"
                      and int(d.workspace_id) == ws]
            names.update({e: n for e, (_k, n) in repo.people_by_email(s, ws, emails).items()})
        s.expunge_all()
        return _Batch(got, msgs, subs, names)


def _webhook(transport: Transport, sub: WebhookSubscription, m: Any,
             now: dt.datetime) -> None:
    ev = events.describe(m.kind, m.payload or {})
    body = json.dumps({
        "id": message_id(m.id), "type": ev.type, "types": sorted(ev.types),
        "workspace": format_id("workspace", int(m.workspace_id)),
        "created_at": _aware(m.created_at).isoformat(), "subject": ev.subject,
        "title": ev.title, "url": transport.base_url.rstrip("/") + ev.path,
        "text": events.text(ev, transport.base_url), "data": m.payload,
    }, separators=(",", ":"), default=str).encode()
    ts = int(now.timestamp())
    status, answer = transport.post(sub.url, body, {
        "Content-Type": "application/json", "User-Agent": "steerco-webhooks",
        "X-Steerco-Message-Id": message_id(m.id), "X-Steerco-Event": ev.type,
        "X-Steerco-Timestamp": str(ts), "X-Steerco-Signature": sign(sub.secret, ts, body)})
    if not 200 <= status < 300:
        raise RuntimeError(f"HTTP {status}: {answer}")


def _email(smtp: smtplib.SMTP, cfg: SmtpConfig, transport: Transport, to: str, name: str,
           m: Any, sent_at: dt.datetime) -> None:
    ev = events.describe(m.kind, m.payload or {})
    subject, plain, body = events.email_bodies(ev, transport.base_url, name)
    lines = (m.payload or {}).get("lines")
    if lines:
        plain += "\n" + "\n".join(f"- {ln['title']}: {transport.base_url}{ln['path']}"
                                  for ln in lines)
        body += "<ul>" + "".join(
            f'<li><a href="{transport.base_url}{ln["path"]}">{_esc(ln["title"])}</a></li>'
            for ln in lines) + "</ul>"
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = cfg.sender, to, subject
    msg["Message-ID"] = f"<steerco-{message_id(m.id)}@{_host()}>"
    msg["Date"] = format_datetime(_aware(sent_at))
    msg.set_content(plain)
    msg.add_alternative(f"<!doctype html><html><body>{body}</body></html>", subtype="html")
    smtp.send_message(msg)


@functools.lru_cache(maxsize=1)
def _host() -> str:
    """This machine's name for Message-IDs (looked up once: getfqdn may ask DNS)."""
    return socket.gethostname() or "localhost"


def _esc(t: Any) -> str:
    return html.escape(str(t))


class MailDir(smtplib.SMTP):
    """Stands in for an SMTP connection when no server is configured: each message is
    written to a folder as `<Message-ID>.eml` (a re-send overwrites its own file), like
    Django's file-based e-mail backend. No library does just this for smtplib callers."""

    def __init__(self, directory: str) -> None:
        super().__init__()  # no host: nothing is connected
        self.directory = Path(directory)

    def send_message(self, msg: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.directory.mkdir(parents=True, exist_ok=True)
        # A mail program reading the folder expects what an SMTP server would add.
        if msg["Date"] is None:
            msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
        if msg["Message-ID"] is None:
            msg["Message-ID"] = make_msgid("steerco", _host())
        name = str(msg["Message-ID"]).strip("<>").split("@")[0]
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(bytes(msg))
        tmp.replace(self.directory / f"{name}.eml")
        return {}

    def quit(self) -> Any:
        return None


def _smtp(cfg: SmtpConfig) -> smtplib.SMTP:
    if not cfg.host and cfg.directory:
        return MailDir(cfg.directory)
    conn = smtplib.SMTP(cfg.host, cfg.port, timeout=15)
    if cfg.starttls:
        conn.starttls()
    if cfg.user:
        conn.login(cfg.user, cfg.password)
    return conn


@dataclass
class _Sent:
    """What sending one group of a batch gave."""

    ok: list[tuple[int, dt.datetime]] = field(default_factory=list)
    bad: list[tuple[Any, str]] = field(default_factory=list)
    unused: list[int] = field(default_factory=list)


def _send_webhooks(transport: Transport, batch: _Batch, group: list[Any],
                   now: Clock) -> _Sent:
    """Send one subject's webhook deliveries in order; after a failure the rest wait."""
    out = _Sent()
    for i, d in enumerate(group):
        try:
            sub = batch.subs.get(int(d.subscription_id or 0))
            if sub is None or not sub.active:
                raise RuntimeError("the subscription was removed or paused")
            _webhook(transport, sub, batch.messages[int(d.message_id)], now())
        except Exception as exc:  # any failure of a send is retried
            out.bad.append((d, f"{type(exc).__name__}: {exc}"))
            out.unused.extend(int(x.id) for x in group[i + 1:])
            break
        if transport.after_send is not None:
            transport.after_send(d)
        out.ok.append((int(d.id), now()))
    return out


def _send_emails(transport: Transport, batch: _Batch, group: list[Any], now: Clock) -> _Sent:
    """Send e-mail deliveries on one SMTP connection; a failure stops only its own."""
    out = _Sent()
    smtp: smtplib.SMTP | None = None
    try:
        for d in group:
            try:
                if transport.smtp is None:
                    raise RuntimeError("no SMTP server is configured (STEERCO_SMTP_HOST)")
                if smtp is None:
                    smtp = _smtp(transport.smtp)
                to = d.target[6:]
                _email(smtp, transport.smtp, transport, to, batch.names.get(to, to),
                       batch.messages[int(d.message_id)], now())
            except Exception as exc:  # any failure of a send is retried
                out.bad.append((d, f"{type(exc).__name__}: {exc}"))
                if isinstance(exc, smtplib.SMTPServerDisconnected):
                    smtp = None
                continue
            if transport.after_send is not None:
                transport.after_send(d)
            out.ok.append((int(d.id), now()))
    finally:
        if smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
    return out


def send_due(factory: sessionmaker[Session], transport: Transport, now: Clock,
             limit: int = BATCH) -> tuple[int, int]:
    """Send one batch of due deliveries; returns (sent, failed attempts).

    Webhook subjects go out at once on `transport.concurrency` threads, each subject's
    deliveries in order; e-mails one after another on one SMTP connection. A worker killed
    mid-batch marks nothing: its leases expire and what it sent unmarked is sent again,
    with the same message ids.
    """
    worker = uuid.uuid4().hex[:16]
    batch = _claim(factory, worker, now(), limit)
    if batch is None:
        return 0, 0
    groups: dict[tuple[str, str], list[Any]] = {}
    emails: list[Any] = []
    for d in batch.deliveries:
        if d.channel == "webhook":
            groups.setdefault((d.target, d.subject), []).append(d)
        else:
            emails.append(d)
    results: list[_Sent] = []
    if transport.concurrency > 1 and len(groups) > 1:
        pool = transport.executor()
        futures = [pool.submit(_send_webhooks, transport, batch, g, now)
                   for g in groups.values()]
        if emails:
            results.append(_send_emails(transport, batch, emails, now))
        results += [f.result() for f in futures]  # a send's BaseException ends the batch
    else:
        results += [_send_webhooks(transport, batch, g, now) for g in groups.values()]
        if emails:
            results.append(_send_emails(transport, batch, emails, now))
    ok = [x for r in results for x in r.ok]
    bad = [x for r in results for x in r.bad]
    _mark(factory, worker, ok, bad, [x for r in results for x in r.unused], now())
    return len(ok), len(bad)


def _mark(factory: sessionmaker[Session], worker: str, ok: list[tuple[int, dt.datetime]],
          bad: list[tuple[Any, str]], unused: list[int], now: dt.datetime) -> None:
    with unit_of_work(factory) as s:
        repo.mark_sent(s, [key for key, _at in ok], worker, now)
        for d, error in bad:
            attempts = int(d.attempts) + 1
            give_up = now - _aware(d.created_at) >= GIVE_UP_AFTER
            repo.mark_failed_attempt(s, int(d.id), worker, error, now + backoff(attempts),
                                     give_up)
            if give_up:
                log.warning("delivery %s to %s failed for a day; giving up: %s", d.id,
                            d.target, error)
        repo.release(s, unused, worker)


def deliver(factory: sessionmaker[Session], transport: Transport, now: Clock,
            max_batches: int = 1000) -> dict[str, int]:
    """Fan out and send everything due now; returns counts (fanned, sent, failed)."""
    fanned = sent = failed = 0
    for _ in range(max_batches):
        n = fan_out(factory, now(), transport)
        fanned += n
        if n < BATCH:
            break
    for _ in range(max_batches):
        ok, bad = send_due(factory, transport, now)
        sent, failed = sent + ok, failed + bad
        if ok + bad == 0:
            break
    return {"fanned_out": fanned, "sent": sent, "failed": failed}
