"""/api/v1/metrics/{id}/feed: set, read, run and remove a SQL feed; the URL's password is
never in an answer, a non-SELECT is refused naming the query."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.api.conftest import Tenant, metric_of

SECRET = "Sup3r-s3cret-pw"


def test_a_feed_through_the_api(client: Any, tenant: Tenant, tmp_path: Path) -> None:
    m = metric_of(client.app.state.engine, tenant, tenant.users["owner"])
    h, path = tenant.auth("strategy_office"), f"/api/v1/metrics/met_{m}/feed"
    assert client.get(path, headers=h).status_code == 404  # no feed yet
    bad = client.put(path, headers=h, json={"url": "sqlite:////tmp/x.db",
                                            "query": "UPDATE sales SET amount = 0"})
    assert bad.status_code == 422
    assert any(e["field"] == "query" and "starts with 'UPDATE'" in e["message"]
               for e in bad.json()["errors"]), bad.json()
    url = f"postgresql+psycopg://feeder:{SECRET}@127.0.0.1:1/sales"  # nothing listens
    put = client.put(path, headers=h, json={"url": url, "query": "SELECT day, amount FROM s"})
    assert put.status_code == 200, put.text
    assert put.json()["url"] == "postgresql+psycopg://feeder:***@127.0.0.1:1/sales"
    failed = client.post(f"{path}/run", headers=h)
    assert failed.status_code == 200 and failed.json()["error"]
    got = client.get(path, headers=h)
    assert got.json()["last_error"] == failed.json()["error"]
    for answer in (put, failed, got):
        assert SECRET not in answer.text
    # Pointed at a SQLite file, keeping the query: the rows come in as measurements.
    src = tmp_path / "s.db"
    con = sqlite3.connect(src)
    con.execute("CREATE TABLE s (day TEXT, amount REAL)")
    con.execute("INSERT INTO s VALUES ('2026-02-01', 110)")
    con.commit()
    con.close()
    assert client.put(path, headers=h, json={
        "url": f"sqlite:///{src}", "query": "SELECT day, amount FROM s"}).status_code == 200
    ok = client.post(f"{path}/run", headers=h).json()
    assert (ok["metric"], ok["read"], ok["stored"], ok["error"]) == ("Revenue", 1, 1, None)
    assert client.delete(path, headers=h).status_code == 204
    assert client.get(path, headers=h).status_code == 404
