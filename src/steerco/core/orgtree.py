"""The org tree and people as arrays: who heads what, who manages whom, common ancestors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from steerco.core.snapshot import rows_of

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Deepest org tree walked (company → business unit → department → team is 4).
MAX_DEPTH = 16


@dataclass(frozen=True)
class Org:
    """Org units (sorted by ``unit_ids``) and people (sorted by ``person_ids``); keys, -1
    when missing."""

    unit_ids: IntArray
    unit_parent: IntArray
    unit_head: IntArray
    person_ids: IntArray
    person_unit: IntArray
    person_manager: IntArray
    person_active: BoolArray

    @staticmethod
    def empty() -> Org:
        e = np.zeros(0, dtype=np.int64)
        return Org(e, e, e, e, e, e, np.zeros(0, dtype=bool))

    def unit_of(self, people: npt.ArrayLike) -> IntArray:
        """Org unit key of each person key (-1 when unknown)."""
        r = rows_of(self.person_ids, people)
        return np.where(r >= 0, self.person_unit[np.maximum(r, 0)], -1).astype(np.int64)

    def manager_of(self, people: npt.ArrayLike) -> IntArray:
        """Manager key of each person key (-1 when none)."""
        r = rows_of(self.person_ids, people)
        return np.where(r >= 0, self.person_manager[np.maximum(r, 0)], -1).astype(np.int64)

    def is_active(self, people: npt.ArrayLike) -> BoolArray:
        """Whether each person key is a known, active person."""
        r = rows_of(self.person_ids, people)
        out: BoolArray = (r >= 0) & self.person_active[np.maximum(r, 0)] if r.size else (
            np.zeros(0, dtype=bool))
        return out

    def head_of(self, units: npt.ArrayLike) -> IntArray:
        """Head (person key) of each org unit key (-1 when none)."""
        r = rows_of(self.unit_ids, units)
        return np.where(r >= 0, self.unit_head[np.maximum(r, 0)], -1).astype(np.int64)

    def ancestors(self) -> IntArray:
        """(n_units, MAX_DEPTH) matrix of unit keys: self, parent, grandparent, … (-1)."""
        n = self.unit_ids.shape[0]
        out = np.full((n, MAX_DEPTH), -1, dtype=np.int64)
        cur = self.unit_ids.copy()
        for k in range(MAX_DEPTH):
            out[:, k] = cur
            r = rows_of(self.unit_ids, cur)
            cur = np.where((cur >= 0) & (r >= 0), self.unit_parent[np.maximum(r, 0)], -1)
            if not (cur >= 0).any():
                break
        return out

    def common_unit(self, a: npt.ArrayLike, b: npt.ArrayLike) -> IntArray:
        """Lowest common org unit of each pair of unit keys (-1 when none or unknown)."""
        anc = self.ancestors()
        ra, rb = rows_of(self.unit_ids, a), rows_of(self.unit_ids, b)
        ok = (ra >= 0) & (rb >= 0)
        pa, pb = anc[np.maximum(ra, 0)], anc[np.maximum(rb, 0)]
        hit = (pa[:, :, None] == pb[:, None, :]).any(axis=2) & (pa >= 0)
        first = np.argmax(hit, axis=1)
        found = hit[np.arange(hit.shape[0]), first] & ok
        return np.where(found, pa[np.arange(pa.shape[0]), first], -1).astype(np.int64)

    def roots(self) -> IntArray:
        """Keys of the units without a parent."""
        out: IntArray = self.unit_ids[self.unit_parent < 0]
        return out
