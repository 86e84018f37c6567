"""50 concurrent writers on PostgreSQL: check-ins on the same metrics and updates of the
same objectives. No measurement is lost, retried idempotent requests create nothing, and
every stale write is refused with 412 (so the final version counts every accepted one)."""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Measurement, Objective
from tests.api.conftest import PG_ENV, metric_of, objective_in, seed_tenant

WRITERS = 50
ROUNDS = 4

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV),
                                reason=f"needs PostgreSQL ({PG_ENV})")


def test_fifty_concurrent_writers_lose_nothing_and_duplicate_nothing(
        app: Any, api_engine: Any) -> None:
    t = seed_tenant(api_engine, subtree_roles=False)
    owner = t.users["owner"]
    objectives = [objective_in(api_engine, t, t.own, owner) for _ in range(3)]
    metrics = [metric_of(api_engine, t, owner, objectives[0], name=f"Revenue {i}")
               for i in range(5)]
    headers = t.auth("ws_admin")
    accepted_checkins: set[str] = set()
    patched = {o: 0 for o in objectives}
    refused = {o: 0 for o in objectives}
    errors: list[str] = []

    async def writer(w: int, client: httpx.AsyncClient) -> None:
        rnd = random.Random(w)
        for i in range(ROUNDS):
            key = f"w{w}-r{i}"
            body = {"items": [{"metric_id": f"met_{rnd.choice(metrics)}",
                               "value": float(w * 100 + i), "as_of": "2026-03-01"}]}
            h = {**headers, "Idempotency-Key": key}
            # the same request twice at once, then a retry after both answered
            first = await asyncio.gather(
                client.post("/api/v1/checkins", json=body, headers=h),
                client.post("/api/v1/checkins", json=body, headers=h))
            again = await client.post("/api/v1/checkins", json=body, headers=h)
            codes = sorted(r.status_code for r in (*first, again))
            if not all(c in (200, 201) for c in codes):
                errors.append(f"check-in {key}: {codes} {again.text[:200]}")
                continue
            ids = {r.json()["items"][0]["id"] for r in (*first, again)}
            if len(ids) != 1:
                errors.append(f"check-in {key} answered with different rows {ids}")
            accepted_checkins.add(key)
            obj = objectives[(w + i) % len(objectives)]
            got = await client.get(f"/api/v1/objectives/obj_{obj}", headers=headers)
            r = await client.patch(f"/api/v1/objectives/obj_{obj}",
                                   json={"title": f"by {w} in {i}"},
                                   headers={**headers, "If-Match": got.headers["ETag"]})
            if r.status_code == 200:
                patched[obj] += 1
            elif r.status_code == 412:
                refused[obj] += 1
                assert r.json()["current_version"] is not None
            else:
                errors.append(f"patch {obj}: {r.status_code} {r.text[:200]}")

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                     timeout=120) as client:
            await asyncio.gather(*(writer(w, client) for w in range(WRITERS)))

    asyncio.run(main())
    assert not errors, "\n".join(errors[:20])
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        stored = s.scalar(select(func.count()).select_from(Measurement).where(
            Measurement.workspace_id == t.ws, Measurement.metric_id.in_(metrics)))
        versions = dict(s.execute(select(Objective.id, Objective.version).where(
            Objective.id.in_(objectives))).all())
    assert len(accepted_checkins) == WRITERS * ROUNDS
    assert stored == WRITERS * ROUNDS  # nothing lost, nothing duplicated
    for o in objectives:
        assert versions[o] == 1 + patched[o], (o, versions[o], patched[o], refused[o])
    assert sum(refused.values()) > 0  # the race really happened
