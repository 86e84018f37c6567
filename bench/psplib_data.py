"""PSPLIB single-mode (.sm) instances and the published J30 optima, parsed.

Format (Kolisch & Sprecher 1996): a header whose PROJECT INFORMATION row ends with the
critical-path length (MPM-Time), a PRECEDENCE RELATIONS block (job, modes, successor
count, successors), a REQUESTS/DURATIONS block (job, mode, duration, one demand per
resource) and the RESOURCEAVAILABILITIES row. Jobs are numbered from 1; we use 0-based
ids. Job 1 and the last job are the dummy source and sink (duration 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Instance:
    """One RCPSP instance: jobs, durations, FS edges, demands and capacities."""

    name: str  # e.g. "j301_1"
    jobs: int
    duration: IntArray  # per job
    src: IntArray  # FS precedence edges, 0-based
    dst: IntArray
    demand: IntArray  # jobs × resources
    capacity: IntArray  # per resource
    mpm_time: int  # critical-path length printed in the header


def _section(lines: list[str], title: str) -> int:
    for i, line in enumerate(lines):
        if line.startswith(title):
            return i
    raise ValueError(f"section {title!r} not found")


def parse_sm(path: Path) -> Instance:
    """Parse one PSPLIB .sm file."""
    lines = path.read_text().splitlines()
    info = _section(lines, "PROJECT INFORMATION")
    mpm = int(lines[info + 2].split()[-1])
    jobs = int(next(ln for ln in lines if ln.startswith("jobs")).split(":")[1])
    prec = _section(lines, "PRECEDENCE RELATIONS") + 2
    src: list[int] = []
    dst: list[int] = []
    for line in lines[prec:prec + jobs]:
        parts = [int(x) for x in line.split()]
        job, count = parts[0], parts[2]
        for succ in parts[3:3 + count]:
            src.append(job - 1)
            dst.append(succ - 1)
    req = _section(lines, "REQUESTS/DURATIONS") + 3
    duration = np.zeros(jobs, dtype=np.int64)
    rows: list[list[int]] = []
    for line in lines[req:req + jobs]:
        parts = [int(x) for x in line.split()]
        duration[parts[0] - 1] = parts[2]
        rows.append(parts[3:])
    avail = _section(lines, "RESOURCEAVAILABILITIES") + 2
    capacity = np.array([int(x) for x in lines[avail].split()], dtype=np.int64)
    return Instance(name=path.stem, jobs=jobs, duration=duration,
                    src=np.array(src, dtype=np.int64), dst=np.array(dst, dtype=np.int64),
                    demand=np.array(rows, dtype=np.int64), capacity=capacity, mpm_time=mpm)


def load_j30(data: Path) -> list[Instance]:
    """Load all J30 instances under ``data/psplib/j30``, in (parameter, instance) order."""
    def key(p: Path) -> tuple[int, int]:
        m = re.fullmatch(r"j30(\d+)_(\d+)", p.stem)
        return (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    return [parse_sm(p) for p in sorted((data / "psplib" / "j30").glob("*.sm"), key=key)]


def load_j30_optima(data: Path) -> dict[str, int]:
    """Published optimal makespans of J30, keyed by instance name ("j301_1")."""
    lines = (data / "psplib" / "j30opt.sm").read_text().splitlines()[22:]
    out: dict[str, int] = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 3 and parts[0].isdigit():
            out[f"j30{parts[0]}_{parts[1]}"] = int(parts[2])
    return out
