"""`steerco webhooks add` goes through the same service as the admin page: a bad URL or
an unknown event type is refused naming it; no --events means every event type."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.cli.test_cli import steerco


def test_webhooks_add_refuses_a_bad_url_and_stores_a_good_one(tmp_path: Path) -> None:
    from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
    from steerco.db.models import WebhookSubscription
    from steerco.org.service import create_workspace

    path = tmp_path / "cli.db"
    steerco("db", "upgrade", db=path, check=True)
    engine = make_engine(f"sqlite:///{path}")
    with unit_of_work(make_sessionmaker(engine)) as s:
        create_workspace(s, {"slug": "acme", "name": "Acme"})
    bad = steerco("webhooks", "add", "--url", "ftp://x", "--workspace", "acme", db=path)
    assert bad.returncode != 0 and "'ftp://x' is not a web address" in bad.stderr + bad.stdout
    bad = steerco("webhooks", "add", "--url", "https://h.example/x", "--events", "lunch",
                  "--workspace", "acme", db=path)
    assert bad.returncode != 0 and "'lunch' is not an event type" in bad.stderr + bad.stdout
    ok = steerco("webhooks", "add", "--url", "https://h.example/x", "--workspace", "acme",
                 db=path, check=True)
    assert "every event" in ok.stdout and "secret:" in ok.stdout
    with unit_of_work(make_sessionmaker(engine)) as s:
        (sub,) = s.scalars(select(WebhookSubscription))
        assert (sub.url, sub.events) == ("https://h.example/x", [])
    engine.dispose()
