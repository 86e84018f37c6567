"""The review pack: seconds to build the largest review's pack as HTML and as PDF.

    python -m bench.review_pack [--quick] [--json] [--size s|m|l]

On the demo of `--size` (default l; --quick: s), every review gets its agenda generated
from the engine's state and the workspace's findings (in a transaction that is rolled
back: the benchmark database is left as it was); the review with the most agenda items
is the largest. Its pack is then built three times: `html_s` is the best time from the
database to the HTML document (gathering names, charts as SVG, the strategy map),
`pdf_s` the best time from the database to the PDF bytes (HTML + WeasyPrint), with
`pdf_cpu_s` its CPU time (what it costs on an idle machine when others load this one) and
`load_average` the machine's one-minute load when it ended; `full_charts_pdf_s` (and its
CPU) the same pack with its chart section full (MAX_CHARTS metric charts), the worst case
when the largest agenda names few metrics. Goal:
`pdf_s` ≤ 3 s for the largest review of the `l` demo. Computing the engine's state and
the findings (the agenda's inputs, cached by the app) is reported apart (`setup_s`).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench._common import run
from bench.demo_db import AS_OF, sqlite_demo
from steerco.db.models import Review
from steerco.evidence.service import EngineCache
from steerco.findings import service as fs
from steerco.governance.service import generate_agenda
from steerco.reports.pack import MAX_CHARTS, _charts, pack_data, pack_document, pack_html

REPEAT = 3


def body(args: argparse.Namespace) -> dict[str, Any]:
    size = "s" if args.quick else args.size
    engine, ws, wrote = sqlite_demo(size)
    with Session(engine) as s:
        s.info["actor"] = "bench"
        t0 = time.perf_counter()
        st = EngineCache().state(s, ws, AS_OF)
        found = fs.findings(s, ws, AS_OF)
        setup = time.perf_counter() - t0
        sizes: dict[int, int] = {}
        t0 = time.perf_counter()
        for key in s.scalars(select(Review.id).where(Review.workspace_id == ws)):
            sizes[int(key)] = len(generate_agenda(s, ws, int(key), st, found).agenda or [])
        agenda_s = (time.perf_counter() - t0) / max(1, len(sizes))
        largest = max(sizes, key=lambda k: (sizes[k], -k))
        html_s, pdf_s, cpu_s, pdf, html = float("inf"), float("inf"), float("inf"), b"", ""
        pages = 0
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            data = pack_data(s, ws, largest, st)
            html = pack_html(data)
            html_s = min(html_s, time.perf_counter() - t0)
            t0, c0 = time.perf_counter(), time.process_time()
            data = pack_data(s, ws, largest, st)
            pdf, pages = pack_document(pack_html(data))
            pdf_s = min(pdf_s, time.perf_counter() - t0)
            cpu_s = min(cpu_s, time.process_time() - c0)
        # The largest agenda may name few metrics (on `l` its items are findings about
        # work and benefits: no chart): the same pack with its chart section full
        # (MAX_CHARTS plan/actual/forecast-cone charts of off-track metrics) is measured
        # too, as the worst a pack of this review could cost.
        charts, map_shown = len(data["charts"]), data["map"]["shown"]
        worst = _off_track(st)
        full_s, full_cpu, full_pages, full_charts = float("inf"), float("inf"), 0, 0
        for _ in range(REPEAT):
            t0, c0 = time.perf_counter(), time.process_time()
            data = pack_data(s, ws, largest, st)
            data["charts"] = _charts(s, ws, st, [{"metric_id": m} for m in worst])
            _pdf, full_pages = pack_document(pack_html(data))
            full_s = min(full_s, time.perf_counter() - t0)
            full_cpu = min(full_cpu, time.process_time() - c0)
            full_charts = len(data["charts"])
        s.rollback()
    engine.dispose()
    return {"size": size, "reviews": len(sizes), "largest_agenda_items": sizes[largest],
            "charts": charts, "map_objectives": map_shown,
            "findings": len(found), "pdf_pages": pages, "pdf_kb": round(len(pdf) / 1024, 1),
            "html_kb": round(len(html) / 1024, 1), "setup_s": round(setup, 3),
            "agenda_s": round(agenda_s, 3), "html_s": round(html_s, 3),
            "pdf_s": round(pdf_s, 3), "pdf_cpu_s": round(cpu_s, 3), "goal_pdf_s": 3.0,
            "full_charts": full_charts, "full_charts_pages": full_pages,
            "full_charts_pdf_s": round(full_s, 3), "full_charts_pdf_cpu_s": round(full_cpu, 3),
            "load_average": os.getloadavg()[0], "demo_written_s": wrote}


def _off_track(st: Any) -> list[str]:
    """Public ids of the first MAX_CHARTS off-track metrics (the charts a pack shows)."""
    from steerco.core.status import Status
    from steerco.kit.ids import format_id

    status = st.evaluation.metrics.status.status
    ids = st.snapshot.metrics.ids
    rows = [r for r in range(len(ids)) if int(status[r]) == int(Status.OFF_TRACK)]
    return [format_id("metric", int(ids[r])) for r in rows[:MAX_CHARTS]]


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", default="l", choices=["s", "m", "l", "xl"],
                   help="demo size (--quick: s)")


if __name__ == "__main__":
    run("review_pack", body, __doc__ or "", _args)
