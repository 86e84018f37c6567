"""The CLI's human output names things (titles, people's names); ids only in --json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.test_cli import steerco

RAW_ID = re.compile(r"\b[a-z]{3}_\d+\b")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("names") / "cli.db"
    steerco("demo", "--size", "s", "--as-of", "2026-11-22", db=db, check=True)
    return db


def test_findings_whatif_and_the_ladder_name_things_and_keep_ids_for_json(
        demo_db: Path) -> None:
    rows = json.loads(steerco("findings", "--json", "--as-of", "2026-11-22", db=demo_db,
                              check=True).stdout)
    assert rows and RAW_ID.search(json.dumps(rows))  # --json keeps the ids
    milestone = next(r["subject"]["id"] for r in rows if r["subject"]["id"]
                     and r["subject"]["id"].startswith("mil_"))
    for args in (["findings", "--as-of", "2026-11-22"],
                 ["whatif", "--slip", f"{milestone}:30", "--as-of", "2026-11-22"],
                 ["escalate", "--today", "2026-11-22", "--dry-run"],
                 ["status", "--as-of", "2026-11-22"]):
        proc = steerco(*args, db=demo_db, check=True)
        assert proc.stdout.strip(), args
        assert sorted(set(RAW_ID.findall(proc.stdout)))[:5] == [], args
    whatif = steerco("whatif", "--slip", f"{milestone}:30", "--as-of", "2026-11-22",
                     "--json", db=demo_db, check=True).stdout
    assert milestone in whatif


def test_outbox_messages_name_their_subject_and_person(demo_db: Path) -> None:
    from sqlalchemy import select

    from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
    from steerco.db.models import OutboxMessage

    engine = make_engine(f"sqlite:///{demo_db}")
    with unit_of_work(make_sessionmaker(engine)) as s:
        payloads = [(m.kind, m.payload) for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.kind != "password_reset"))]
    engine.dispose()
    assert payloads
    from steerco.jobs.events import describe

    for kind, p in payloads:
        if kind == "escalation":
            assert p["assignee_name"] and p["subject_name"], p
        ev = describe(kind, p)  # what an e-mail, the inbox and a webhook show
        shown = " ".join(str(x or "") for x in (ev.title, ev.action, p.get("summary"),
                                                p.get("subject_name"), p.get("assignee_name")))
        assert not RAW_ID.search(shown), (kind, p)


def test_refused_slips_name_the_milestone_and_bad_ids_give_an_example_of_their_kind(
        demo_db: Path) -> None:
    rows = json.loads(steerco("findings", "--json", "--as-of", "2026-11-22", db=demo_db,
                              check=True).stdout)
    milestone = next(r["subject"]["id"] for r in rows if r["subject"]["id"]
                     and r["subject"]["id"].startswith("mil_"))
    proc = steerco("whatif", "--slip", f"{milestone}:99999", "--as-of", "2026-11-22",
                   db=demo_db)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "would slip 99999 days" in out, out
    assert milestone not in out and "›" in out, out  # "Initiative › Milestone"
    proc = steerco("status", "--objective", "obj_012", db=demo_db)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "like 'obj_12'" in out and "per_12" not in out, out
