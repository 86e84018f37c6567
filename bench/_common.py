"""What every benchmark shares: finding ../shared/data, parsing flags, writing results.

Each benchmark is `python -m bench.<name> [--quick] [--json]`. It prints one JSON object
(with `--json`) or a short human summary, and always writes the object to
`bench/results/<name>[-quick].json` so `bench/README.md` can point at the latest figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_data() -> Path:
    """Return ../shared/data or exit with a clear message when it is missing."""
    if not SHARED_DATA.is_dir():
        sys.exit(f"benchmark needs {SHARED_DATA} (the project's shared data) and it is absent")
    return SHARED_DATA


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def parser(description: str) -> argparse.ArgumentParser:
    """Argument parser with the flags every benchmark takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="smaller run, under a minute")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def run(name: str, body: Callable[[argparse.Namespace], dict[str, Any]],
        description: str, extra_args: Callable[[argparse.ArgumentParser], None] | None = None,
        ) -> None:
    """Parse flags, run `body`, stamp the result and write it to bench/results/."""
    p = parser(description)
    if extra_args:
        extra_args(p)
    args = p.parse_args()
    t0 = time.perf_counter()
    result = body(args)
    result.setdefault("benchmark", name)
    result["quick"] = bool(args.quick)
    result["wall_s"] = round(time.perf_counter() - t0, 3)
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "platform": platform.platform()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        for k, v in result.items():
            if k != "machine":
                print(f"{k}: {v}")
        print(f"(written to {out.relative_to(ROOT)})")
