"""Run every benchmark, one process each, and summarise them.

    python -m bench.run_all [--quick] [--only NAME ...]

Each benchmark writes its own bench/results/<name>[-quick].json; this prints one line per
benchmark with its headline figures and exits non-zero if any benchmark failed to run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time

from bench._common import RESULTS, ROOT

#: In the order a reader of bench/README.md meets them.
BENCHMARKS = ["demo_load", "forecast_m4", "short_history", "calibration", "engine_scale",
              "psplib", "issuelinks", "schedule_risk", "ripple_graph", "ripple", "api_load",
              "pages", "import_measurements", "workbook_roundtrip", "review_pack"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", nargs="*", default=None)
    args = p.parse_args()
    names = [b for b in BENCHMARKS if importlib.util.find_spec(f"bench.{b}") is not None]
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(names)}")
            return 2
        names = [n for n in names if n in args.only]
    failed = []
    for name in names:
        cmd = [sys.executable, "-m", f"bench.{name}", "--json"] + (["--quick"] if args.quick
                                                                    else [])
        t0 = time.perf_counter()
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        proc = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True)
        took = time.perf_counter() - t0
        if proc.returncode != 0:
            failed.append(name)
            print(f"   FAILED after {took:.0f} s:\n{proc.stderr[-2000:]}")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        headline = {k: v for k, v in result.items()
                    if not isinstance(v, dict | list) and k not in ("benchmark", "quick")}
        print(f"   ok in {took:.0f} s: {json.dumps(headline)[:400]}")
    summary = RESULTS / f"summary{'-quick' if args.quick else ''}.json"
    summary.write_text(json.dumps({"ran": names, "failed": failed}, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
