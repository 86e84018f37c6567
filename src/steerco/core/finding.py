"""One shape for every signal and hygiene finding, built in columnar batches.

The engine finds thousands of problems in a large workspace, so each rule returns one
`FindingBatch`: parallel arrays (subject key, the person who must act, severity) plus
evidence columns and an explanation template. `FindingBatch.rows` turns a batch into
plain `Finding` objects only when someone reads them (an API page, a CLI listing).

Severity is 1 (info), 2 (warning) or 3 (critical) — the scale `Rule.min_severity` uses.
Subjects are (kind, database key), e.g. ("metric", 42); the person is a person key, or -1
when nobody can be named (the finding then says so). Evidence columns whose name ends in
``_day`` hold day numbers and are shown as ISO dates (None when missing).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from steerco.kit import numbers
from steerco.kit.dates import NO_DAY, from_day

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Severity(IntEnum):
    """How urgent a finding is; the codes match `Rule.min_severity`."""

    INFO = 1
    WARNING = 2
    CRITICAL = 3


@dataclass(frozen=True, slots=True)
class Finding:
    """One signal or hygiene finding (see the module docstring)."""

    kind: str
    severity: int
    subject_kind: str
    subject: int
    person: int
    explanation: str
    evidence: Mapping[str, Any]

    @property
    def severity_name(self) -> str:
        """``info``, ``warning`` or ``critical``."""
        return Severity(self.severity).name.lower()


@dataclass(frozen=True)
class FindingBatch:
    """Findings of one kind as parallel arrays (one entry per finding).

    ``template`` is a `str.format` string over the evidence columns (days already turned
    into dates like "31 Dec 2026", floats as given so the template picks the format).
    """

    kind: str
    subject_kind: str
    subject: IntArray
    person: IntArray
    severity: npt.NDArray[np.int8]
    template: str
    evidence: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    #: per-finding subject kinds when they differ (e.g. milestone / initiative nodes)
    subject_kinds: npt.NDArray[Any] | None = None

    def __len__(self) -> int:
        return int(self.subject.shape[0])

    def rows(self) -> Iterator[Finding]:
        """Yield the batch as `Finding` objects, in batch order."""
        cols = {k: v.tolist() for k, v in self.evidence.items()}
        subj = self.subject.tolist()
        pers = self.person.tolist()
        sev = self.severity.tolist()
        kinds = (self.subject_kinds.tolist() if self.subject_kinds is not None
                 else [self.subject_kind] * len(subj))
        for i in range(len(subj)):
            ev = {k: _plain(k, c[i]) for k, c in cols.items()}
            shown = {k: _shown(k, c[i]) for k, c in cols.items()}
            yield Finding(self.kind, int(sev[i]), str(kinds[i]), int(subj[i]),
                          int(pers[i]), self.template.format(**shown), ev)


def _plain(name: str, v: Any) -> Any:
    if name.endswith("_day"):
        return None if v == NO_DAY or v is None else from_day(int(v)).isoformat()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


#: Evidence that is a probability or confidence (shown as a percentage), and ratios read
#: against 1 (an SPI of 0.996 must not read as "1.00").
_PERCENT = {"p_hit", "confidence"}
_RATIO = {"spi", "cpi"}


def _shown(name: str, v: Any) -> Any:
    """An evidence value as the explanation shows it (see steerco.kit.numbers)."""
    if name.endswith("_day"):
        from steerco.core.status import format_day

        return format_day(int(v)) if v is not None else "no date"
    if isinstance(v, int) and not isinstance(v, bool) and name.endswith("_days"):
        return numbers.count(v)
    if not isinstance(v, float):
        return v  # keys, counts, flags and text as they are
    if name.endswith("_days"):
        return numbers.count(v)
    if name in _PERCENT:
        return numbers.percent(v)
    text = numbers.number(v, [1.0] if name in _RATIO else None)
    return "+" + text if name.endswith("_change") and v > 0 else text


def batch(kind: str, subject_kind: str | npt.NDArray[Any], mask: npt.ArrayLike,
          subject: npt.ArrayLike, person: npt.ArrayLike, severity: npt.ArrayLike,
          template: str, **evidence: npt.ArrayLike) -> FindingBatch:
    """Select the rows of ``mask`` from per-item arrays into a `FindingBatch`.

    Contract: every array has one entry per item (scalars broadcast); ``severity`` is
    clipped to 1–3. ``subject_kind`` is one kind, or an array of kinds per item.
    """
    sel = np.flatnonzero(np.asarray(mask, dtype=bool))
    n = np.asarray(mask).shape[0] if np.ndim(mask) else 1

    def pick(a: npt.ArrayLike) -> npt.NDArray[Any]:
        arr = np.asarray(a)
        if arr.ndim == 0:
            return np.full(sel.shape[0], arr.item(), dtype=arr.dtype)
        return np.broadcast_to(arr, (n,))[sel]

    kinds = None if isinstance(subject_kind, str) else pick(subject_kind).astype(object)
    return FindingBatch(
        kind=kind, subject_kind=subject_kind if isinstance(subject_kind, str) else "mixed",
        subject=pick(subject).astype(np.int64), subject_kinds=kinds,
        person=pick(person).astype(np.int64),
        severity=np.clip(pick(severity), 1, 3).astype(np.int8), template=template,
        evidence={k: pick(v) for k, v in evidence.items()})


def empty(kind: str, subject_kind: str) -> FindingBatch:
    """A batch with no findings."""
    return batch(kind, subject_kind, np.zeros(0, dtype=bool), [], [], [], "")


def count(batches: Iterable[FindingBatch]) -> dict[str, int]:
    """Number of findings per kind."""
    out: dict[str, int] = {}
    for b in batches:
        out[b.kind] = out.get(b.kind, 0) + len(b)
    return out
