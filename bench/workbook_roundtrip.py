"""A whole demo company exported to one workbook and imported again (dry run and apply).

`python -m bench.workbook_roundtrip [--quick] [--json] [--size l]`

The `l` demo (bench/demo_db.py: 5,000 people, 2,000 objectives, 10,000 metrics, 5,000
initiatives, 20,000 milestones, 30,000 dependencies, ~1M measurements, budget and
ledger; --quick: the `s` demo) is exported with `steerco.transfer.export` (collect +
xlsxwriter, the `steerco export` path) and the file goes through `steerco import` into an
empty workspace of a fresh SQLite database: first as a dry run (every row checked by the
services, nothing written; target ≤ 60 s on `l`), then for real. The peer, in the same
run: python-calamine reading every sheet of the same workbook into Python rows (what the
import's reader does before a single check), so `dry_run_vs_raw_read` is what the checks
cost on top of reading the file. Wall and CPU seconds (this process) are reported for
each step, with the load average: on a shared machine the wall time says more about the
neighbours than about the code.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bench._common import peak_rss_mb, run
from bench.demo_db import AS_OF, sqlite_demo
from bench.demo_load import Scratch
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.org.service import create_workspace
from steerco.transfer.export import collect, write_xlsx
from steerco.transfer.run import import_file


def _extra(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", default=None, help="demo size (default l; --quick: s)")


class Clock:
    """Wall and CPU seconds of one step."""

    def __enter__(self) -> Clock:
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = round(time.perf_counter() - self.w, 3)
        self.cpu = round(time.process_time() - self.c, 3)


def _raw_read(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return sum(len(wb.get_sheet_by_name(n).to_python(skip_empty_area=False))
               for n in wb.sheet_names)


def body(args: argparse.Namespace) -> dict[str, Any]:
    size = args.size or ("s" if args.quick else "l")
    out: dict[str, Any] = {"size": size,
                           "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    engine, ws, _ = sqlite_demo(size)
    with tempfile.TemporaryDirectory(prefix="steerco-bench-") as tmp:
        path = Path(tmp) / f"demo_{size}.xlsx"
        with Clock() as c:
            with Session(engine) as s:
                rows = collect(s, ws)
            write_xlsx(rows, path)
        out["export_s"], out["export_cpu_s"] = c.wall, c.cpu
        out["rows"] = {k: len(v) for k, v in rows.items() if v}
        out["file_mb"] = round(path.stat().st_size / 1e6, 1)
        with Clock() as c:
            out["raw_read_rows"] = _raw_read(path)
        out["raw_read_s"], out["raw_read_cpu_s"] = c.wall, c.cpu
        scratch = Scratch("sqlite", "workbook_roundtrip")
        try:
            with unit_of_work(make_sessionmaker(scratch.engine)) as s:
                target = create_workspace(s, {"slug": "roundtrip", "name": "Roundtrip"}).id
            with Clock() as c:
                dry = import_file(scratch.engine, target, path, dry_run=True, today=AS_OF,
                                  max_bytes=1 << 31)
            out["dry_run_s"], out["dry_run_cpu_s"] = c.wall, c.cpu
            # The demo holds dependency cycles on purpose (what real imported graphs
            # contain); the dry run names each closing row, and only those are refused.
            assert all("cycle" in p.reason for p in dry.problems), dry.problems[:5]
            out["dry_run_refused"] = [f"{p.sheet} row {p.row}: {p.reason}"
                                      for p in dry.problems]
            if dry.problems:
                drop = {p.row for p in dry.problems}
                rows["dependencies"] = [r for i, r in enumerate(rows["dependencies"], start=2)
                                        if i not in drop]
                write_xlsx(rows, path)
            del rows
            with Clock() as c:
                done = import_file(scratch.engine, target, path, today=AS_OF,
                                   max_bytes=1 << 31)
            assert done.written, done.problems[:5]
            out["apply_s"], out["apply_cpu_s"] = c.wall, c.cpu
            out["created"] = sum(v["create"] for v in done.counts().values())
        finally:
            scratch.close()
    out["dry_run_vs_raw_read"] = round(out["dry_run_s"] / out["raw_read_s"], 1)
    out["dry_run_cpu_vs_raw_read_cpu"] = round(out["dry_run_cpu_s"] / out["raw_read_cpu_s"], 1)
    out["dry_run_target_s"] = 60.0
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


if __name__ == "__main__":
    run("workbook_roundtrip", body, __doc__ or "", _extra)
