"""Issue 14's "done when", end to end in the served app with nothing typed by hand after
`make run`: the demo is written as `make run` writes it, `steerco serve` runs with its
in-process job scheduler (huey, SQLite storage) and SMTP pointing at a local aiosmtpd
server; the clock moves to the morning an escalation reaches the executive (found by
asking the ladder, rolled back), the scheduler runs the ladder and delivers the e-mail by
itself; the executive opens the link from the e-mail, logs in, decides in the browser,
and the next review of the series that covers the subject — scheduled by the cadence job,
not by hand — shows the decision in its page and pack (HTML, and PDF read back with
pdftotext)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import DESKTOP, ROOT, axe_violations, shot
from tests.servers import MailSink, free_port, mail_parts

#: The served app's scheduler ticks every second here (STEERCO_JOBS_TICK_SECONDS; a
#: minute by default), so the day's jobs follow the moved clock within seconds; this
#: is how long the test waits for the e-mail (the day's jobs run first, on a busy box).
TICK_WAIT_S = 60


def _first_day_reaching(url: str, person: int, today: dt.date) -> tuple[dt.date, int]:
    """The first coming day on which the ladder hands an escalation to `person`, and
    that escalation (each day tried in a transaction rolled back)."""
    from steerco.db.engine import make_engine, make_sessionmaker
    from steerco.evidence.service import CACHE
    from steerco.findings import service as fs
    from steerco.governance.ladder import run_ladder

    engine = make_engine(url)
    try:
        for k in range(1, 15):
            with make_sessionmaker(engine)() as s:
                s.info["actor"] = "probe"
                day = today + dt.timedelta(days=k)
                r = run_ladder(s, 1, day)
                hit = [e for e in r.opened + r.climbed if e["assignee_id"] == f"per_{person}"]
                s.rollback()
            if hit:
                return day, int(hit[0]["escalation_id"].split("_")[1])
    finally:
        CACHE.clear()
        fs.clear()
        engine.dispose()
    pytest.fail("the ladder hands the executive nothing in the coming two weeks")


def _pdf_text(data: bytes, tmp: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    (tmp / "pack.pdf").write_bytes(data)
    out = subprocess.run([exe, str(tmp / "pack.pdf"), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def test_an_executive_is_mailed_decides_in_the_browser_and_the_next_pack_shows_it(
        chromium: Any, smtp: tuple[MailSink, int], tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from steerco.accounts.demo import DEMO_PASSWORD, demo_logins
    from steerco.db.engine import make_engine, make_sessionmaker
    from steerco.db.models import Escalation, Person, Review, Workspace
    from steerco.governance.agenda import in_scope
    from steerco.governance.service import subject_ref
    from steerco.kit import clock as kclock
    from steerco.views.labels import labels_of

    sink, smtp_port = smtp
    url = f"sqlite:///{tmp_path / 'steerco.db'}"
    clock_file = tmp_path / "clock-days"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STEERCO_DATABASE_URL": url,
           "STEERCO_EVIDENCE_DIR": str(tmp_path / "evidence"),
           "STEERCO_TEST_CLOCK_FILE": str(clock_file), "STEERCO_JOBS_TICK_SECONDS": "1"}
    for k in ("STEERCO_JOBS", "STEERCO_JOBS_URL", "STEERCO_MAIL_DIR"):
        env.pop(k, None)
    # `make run`, first line: the demo, as a newcomer gets it.
    subprocess.run([sys.executable, "-m", "steerco", "demo", "--size", "s", "--if-missing"],
                   env=env, cwd=tmp_path, check=True, capture_output=True)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        ws = s.scalars(select(Workspace)).one()
        execs = [lg for lg, _n, role in demo_logins(s, ws.id) if role == "executive"]
        me = s.scalars(select(Person).where(Person.email == execs[0])).one()
        exec_id, exec_name, exec_email = me.id, me.name, me.email
        today = kclock.today_in(ws.time_zone)
        reviews_before = int(s.scalar(select(func.max(Review.id))) or 0)
        tz = ws.time_zone
    day, esc = _first_day_reaching(url, exec_id, today)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 (the server's lifetime)
    # `make run`, second line: `steerco serve`, with SMTP pointing at the local server.
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.browser.serve_clocked", "serve", "--port", str(port)],
        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, env={
            **env, "STEERCO_SMTP_HOST": "127.0.0.1", "STEERCO_SMTP_PORT": str(smtp_port),
            "STEERCO_SMTP_STARTTLS": "false", "STEERCO_BASE_URL": base,
            "STEERCO_SMTP_FROM": "steerco@fabrikam.example"})
    ctx = None
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "server.log").read_text()
            time.sleep(0.3)
        # The morning the ladder hands the escalation to the executive (07:00 local).
        morning = dt.datetime.combine(day, dt.time(7, 0), tzinfo=kclock.zone(tz))
        shift = (morning - dt.datetime.now(dt.UTC)).total_seconds() / 86400
        clock_file.write_text(f"{shift:.6f}")
        deadline = time.monotonic() + TICK_WAIT_S
        mine: list[Message] = []
        while not mine:
            mine = [m for m in sink.messages if m["To"] == exec_email
                    and f"esc_{esc}" in mail_parts(m).get("text/plain", "")]
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, (
                f"no e-mail to {exec_email} about esc_{esc} within {TICK_WAIT_S} s; got "
                f"{[(m['To'], m['Subject']) for m in sink.messages]}\n"
                + (tmp_path / "server.log").read_text())
            time.sleep(1)
        with make_sessionmaker(engine)() as s:
            e = s.get(Escalation, esc)
            assert e is not None and e.assignee_id == exec_id
            subject = subject_ref(e.subject_kind, e.subject_id)
            title = labels_of(s, ws.id, [subject])[subject]
        # The e-mail names the thing and the person, says what to do, links to the page.
        msg = mine[0]
        parts = mail_parts(msg)
        link = f"{base}/escalations/esc_{esc}"
        assert title in msg["Subject"]
        plain, html = parts["text/plain"], parts["text/html"]
        assert f"Hello {exec_name}" in plain and title in plain and link in plain
        assert "decide" in plain.lower()
        assert f'href="{link}"' in html and title in html
        assert not re.search(r"\b(met|per|esc|obj|ini)_\d+\b",
                             msg["Subject"] + plain.replace(link, ""))
        # Open the link: log in, land on the escalation, decide.
        ctx = chromium.new_context(viewport=DESKTOP)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
        page.goto(link)
        page.wait_for_url(re.compile(r"/login\?next="))
        page.fill("#login", exec_email)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(link)
        assert title in page.inner_text("main")
        rationale = "The board accepts the gap until the new ledger feed lands"
        page.select_option("#d-kind", "accept_risk")
        page.fill("#d-rationale", rationale)
        page.click("#decide-form button[type=submit]")
        page.wait_for_url("**?done=decided")
        assert page.inner_text("#state").strip() == "Resolved"
        shot(page, "done-when-decided")
        # The next review of the series covering the subject, scheduled by the cadence.
        with make_sessionmaker(engine)() as s:
            made = list(s.scalars(select(Review).where(Review.id > reviews_before)))
            assert made, "the cadence job scheduled no review"
            covering = [r for r in made if in_scope(s, ws.id, r, [subject])]
            assert covering, [(r.title, r.org_unit_id) for r in made]
            nxt = min(covering, key=lambda r: r.scheduled_for)
            rid, rtitle = f"rev_{nxt.id}", nxt.title
            assert nxt.scheduled_for >= day
        page.goto(f"{base}/reviews/{rid}")
        since = page.inner_text("#since-decisions")
        assert rationale in since and title in since and exec_name in since
        assert axe_violations(page) == []
        shot(page, "done-when-next-review")
        page.goto(f"{base}/reviews/{rid}/pack")
        pack = page.inner_text("#since-last-review")
        assert rationale in pack and title in pack and exec_name in pack
        pdf = page.request.get(f"{base}/reviews/{rid}/pack.pdf")
        assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
        text = _pdf_text(pdf.body(), tmp_path)
        for words in (rtitle, "Since the last review", title, exec_name,
                      "The board accepts the gap"):
            assert words in text, (words, text[:2000])
        assert errors == []
    finally:
        if ctx is not None:
            ctx.close()
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        engine.dispose()
