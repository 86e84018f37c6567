"""Outbox delivery: 10,000 queued messages to a local webhook receiver with one worker.

The messages are written to the outbox of a fresh SQLite database (one workspace, one
webhook subscription to every event, 50 subjects), then one worker
(`steerco.jobs.delivery.deliver`, the same code a `steerco worker` runs every minute)
fans them out and POSTs each, signed, to a receiver on 127.0.0.1 (a threading HTTP/1.1
server in this process, keep-alive) that counts message ids. Measured: messages per
second from the first fan-out to the last mark (and per CPU second of the worker, which
is what a loaded machine still shows honestly), messages lost (queued, never received)
and duplicates (received more than once). `--quick`: 1,000 messages; `--concurrency N`:
webhook subjects sent at once (default 8, as a worker does; 1 sends one message at a
time, as before). Target: ≥ 500 messages/s, 0 lost, 0 duplicates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx

from bench._common import run
from steerco.jobs.delivery import Transport


class _Receiver(BaseHTTPRequestHandler):
    """Counts message ids; GET answers the counts as JSON."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[Counter[str]] = Counter()
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        mid = json.loads(body)["id"]
        with self.lock:
            self.seen[mid] += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        out = json.dumps(dict(self.seen)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(port_out: Any) -> None:
    """The receiver, in its own process (as a real one is: no shared interpreter lock)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    port_out.send(server.server_address[1])
    server.serve_forever()


def body(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import insert

    from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
    from steerco.db.migrate import upgrade
    from steerco.db.models import OutboxMessage, WebhookSubscription, Workspace
    from steerco.jobs.delivery import deliver
    from steerco.kit import clock

    n = 1_000 if args.quick else 10_000
    parent, child = mp.Pipe()
    receiver = mp.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{parent.recv()}/hook"
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'delivery.db'}")
        upgrade(engine)
        factory = make_sessionmaker(engine)
        now = clock.now()
        with unit_of_work(factory) as s:
            ws = Workspace(slug="bench", name="Bench")
            s.add(ws)
            s.flush()
            s.add(WebhookSubscription(workspace_id=ws.id, url=url, secret="bench", events=[]))
            s.execute(insert(OutboxMessage), [{
                "workspace_id": ws.id, "kind": "reminder", "recipient": "",
                "created_at": now - dt.timedelta(seconds=1), "payload": {
                    "event": "checkin.due", "subject": f"met_{i % 50 + 1}",
                    "title": f"Check-in {i} due", "path": f"/metrics/met_{i % 50 + 1}"}}
                for i in range(n)])
        transport = Transport(concurrency=args.concurrency)
        t0, c0 = time.perf_counter(), time.process_time()
        counts = deliver(factory, transport, clock.now, max_batches=10_000)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        engine.dispose()
    seen = Counter(httpx.get(url).json())
    receiver.terminate()
    return {"messages": n, "messages_per_second": round(n / elapsed, 1),
            "seconds": round(elapsed, 2),
            # The worker's own CPU time: what the rate would be with a core to itself.
            "worker_cpu_s": round(cpu, 2), "messages_per_cpu_second": round(n / cpu, 1),
            "load_average_1m": os.getloadavg()[0], "concurrency": args.concurrency,
            "lost": n - len(seen),
            "duplicates": sum(v - 1 for v in seen.values()), "counts": counts,
            "target": {"messages_per_second": 500, "lost": 0, "duplicates": 0}}


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--concurrency", type=int, default=Transport.concurrency,
                   help="webhook subjects sent at once (1: one message at a time)")


if __name__ == "__main__":
    run("delivery", body, __doc__.splitlines()[0] if __doc__ else "delivery", _args)
