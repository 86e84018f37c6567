"""The demo company's org tree, people, themes, objectives and their alignment."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import numpy as np

from steerco.demo import names
from steerco.demo.sizes import Size
from steerco.demo.tables import NOW, NULL, WORKSPACE, Cat, Const, Day, IntArray, Ref, Table, day

PERSPECTIVES = ["financial", "customer", "internal_process", "learning_growth"]
LEVELS = ["company", "business_unit", "department", "team"]


def entity_cols() -> dict[str, Const]:
    """Columns every Entity row carries besides its own (workspace, timestamps, version)."""
    return {"workspace_id": WORKSPACE, "created_at": NOW, "updated_at": NOW,
            "version": Const(1)}


@dataclass
class Org:
    """What later generators need to know about the org and the people."""

    company: str
    domain: str
    parent: IntArray  # per unit, NULL for the company
    level: IntArray  # per unit: 0 company … 3 team
    unit_name: list[str]
    person_unit: IntArray  # primary unit of each person
    members_start: IntArray  # people sorted by unit: CSR offsets per unit
    members: IntArray
    controllers: IntArray  # people who can act as controllers

    def member(self, rng: np.random.Generator, units: IntArray) -> IntArray:
        """Return one random member (the head included) of each given unit."""
        start = self.members_start[units]
        count = self.members_start[units + 1] - start
        return self.members[start + (rng.random(len(units)) * count).astype(np.int64)]


def _org_units(size: Size, rng: np.random.Generator, company: str
               ) -> tuple[list[str], list[str], IntArray, IntArray]:
    """Return names, codes, parents and levels of the org tree, parents before children."""
    bu_names = list(names.BUSINESS_UNITS)
    bu_pick = [bu_names[i] for i in sorted(rng.choice(len(bu_names), size.business_units,
                                                      replace=False))]
    unit_names, codes, parent, level = [company], ["HQ"], [NULL], [0]
    for b, bu in enumerate(bu_pick):
        unit_names.append(bu)
        codes.append(f"BU{b + 1:02d}")
        parent.append(0)
        level.append(1)
    dept_base: list[str] = []
    for k in range(size.departments):
        b = k % size.business_units
        bases = names.BUSINESS_UNITS[bu_pick[b]]
        j = k // size.business_units
        base = bases[j % len(bases)]
        rnd = j // len(bases)
        unit_names.append(base if rnd == 0 else f"{base} {names.REGIONS[(rnd - 1) % 16]}")
        dept_base.append(base)
        codes.append(f"BU{b + 1:02d}-D{j + 1:03d}")
        parent.append(1 + b)
        level.append(2)
    n_teams = size.org_units - 1 - size.business_units - size.departments
    first_dept = 1 + size.business_units
    per_dept: Counter[int] = Counter()
    owner_dept = rng.permutation(np.arange(n_teams) % size.departments)
    for d in owner_dept.tolist():
        k = per_dept[d]
        per_dept[d] += 1
        team = names.TEAMS[k % len(names.TEAMS)]
        suffix = "" if k < len(names.TEAMS) else f" {k // len(names.TEAMS) + 1}"
        unit_names.append(f"{unit_names[first_dept + d]} – {team}{suffix}")
        codes.append(f"{codes[first_dept + d]}-T{k + 1:03d}")
        parent.append(first_dept + d)
        level.append(3)
    return unit_names, codes, np.array(parent, np.int64), np.array(level, np.int64)


def _people(size: Size, rng: np.random.Generator, parent: IntArray, level: IntArray,
            unit_names: list[str], domain: str) -> tuple[Table, IntArray, IntArray]:
    """Return the people table, each person's unit and the controllers' indices."""
    n_units, n = len(parent), size.people
    weights = np.array([0.5, 1.0, 2.0, 4.0])[level]
    staff_unit = rng.choice(n_units, n - n_units, p=weights / weights.sum())
    unit = np.concatenate([np.arange(n_units), np.sort(staff_unit)]).astype(np.int64)
    # Heads are persons 0..n_units-1 (head of unit i is person i): their manager is the
    # head of the parent unit; everyone else reports to the head of their own unit.
    manager = np.concatenate([parent, unit[n_units:]])
    first = rng.integers(0, len(names.FIRST_NAMES), n)
    last = rng.integers(0, len(names.LAST_NAMES), n)
    full, emails = [], []
    seen: Counter[str] = Counter()
    for f, la in zip(first.tolist(), last.tolist(), strict=True):
        fn, ln = names.FIRST_NAMES[f], names.LAST_NAMES[la]
        full.append(f"{fn} {ln}")
        local = f"{fn}.{ln}".lower()
        seen[local] += 1
        k = seen[local]
        emails.append(f"{local}@{domain}" if k == 1 else f"{local}{k}@{domain}")
    staff_title = rng.integers(0, len(names.STAFF_TITLES), n)
    titles: list[str] = []
    for i in range(n):
        u = int(unit[i])
        short = unit_names[u].split(" – ")[-1]
        if i < n_units:
            titles.append(["Chief Executive Officer", f"Managing Director, {short}",
                           f"Head of {short}", f"Team Lead, {short}"][level[u]])
        else:
            titles.append(f"{names.STAFF_TITLES[staff_title[i]]}, {short}")
    controllers = np.flatnonzero(np.isin(staff_title, [11, 13]) & (np.arange(n) >= n_units))
    if len(controllers) == 0:
        controllers = np.arange(n, dtype=np.int64)
    active = rng.random(n) > 0.01
    active[:n_units] = True
    table = Table("people", n, {
        **entity_cols(), "name": full, "email": emails, "title": titles,
        "manager_id": Ref("people", manager), "org_unit_id": Ref("org_units", unit),
        "active": active})
    return table, unit, controllers.astype(np.int64)


def build_org(size: Size, rng: np.random.Generator) -> tuple[Org, list[Table]]:
    """Generate org units, people and memberships."""
    company = names.COMPANIES[int(rng.integers(0, len(names.COMPANIES)))]
    domain = company.split()[0].lower() + ".example"
    unit_names, codes, parent, level = _org_units(size, rng, company)
    n_units = len(parent)
    people, person_unit, controllers = _people(size, rng, parent, level, unit_names, domain)
    units = Table("org_units", n_units, {
        **entity_cols(), "name": unit_names, "code": codes,
        "kind": Cat(level.astype(np.int8), LEVELS),
        "parent_id": Ref("org_units", parent), "head_id": Ref("people", np.arange(n_units))},
        deferred=("head_id",))
    # Heads of departments sit on their business unit's leadership team, heads of business
    # units on the executive committee.
    mem = np.flatnonzero((level == 1) | (level == 2))
    memberships = Table("memberships", len(mem), {
        "workspace_id": WORKSPACE, "person_id": Ref("people", mem),
        "org_unit_id": Ref("org_units", parent[mem]),
        "role": Cat((level[mem] - 1).astype(np.int8),
                    ["Executive committee", "Leadership team"])}, keyed=False)
    order = np.argsort(person_unit, kind="stable")
    starts = np.searchsorted(person_unit[order], np.arange(n_units + 1))
    org = Org(company, domain, parent, level, unit_names, person_unit,
              starts.astype(np.int64), order.astype(np.int64), controllers)
    return org, [units, people, memberships]


def _spread(total: int, bins: int, rng: np.random.Generator) -> IntArray:
    """Split `total` into `bins` near-equal integer counts, the remainder at random."""
    out = np.full(bins, total // bins, np.int64)
    out[rng.choice(bins, total % bins, replace=False)] += 1
    return out


@dataclass
class Strategy:
    """What metric and initiative generators need to know about objectives."""

    n_themes: int
    obj_unit: IntArray
    obj_level: IntArray
    obj_perspective: IntArray
    #: Each objective's period as day numbers (a key result is due within it).
    obj_start: IntArray
    obj_end: IntArray


def build_strategy(size: Size, rng: np.random.Generator, org: Org, as_of: dt.date
                   ) -> tuple[Strategy, list[Table]]:
    """Generate themes, objectives over four levels and their weighted alignment DAG."""
    n_themes = int(rng.integers(4, 6))
    themes = Table("themes", n_themes, {
        **entity_cols(), "name": [t[0] for t in names.THEMES[:n_themes]],
        "description": [t[1] for t in names.THEMES[:n_themes]],
        "owner_id": Ref("people", rng.choice(np.flatnonzero(org.level <= 1), n_themes)),
        "active": np.ones(n_themes, bool)})
    lv = org.level
    units_at = [np.flatnonzero(lv == k) for k in range(4)]
    n0 = min(8, max(3, round(0.15 * size.objectives)))
    n1 = len(units_at[1]) * min(6, max(1, round(0.08 * size.objectives / len(units_at[1]))))
    n2 = len(units_at[2]) * min(8, max(1, round(0.25 * size.objectives / len(units_at[2]))))
    n3 = max(0, size.objectives - n0 - n1 - n2)
    obj_unit = np.concatenate([
        np.zeros(n0, np.int64), np.repeat(units_at[1], n1 // len(units_at[1])),
        np.repeat(units_at[2], n2 // len(units_at[2])),
        np.repeat(units_at[3], _spread(n3, len(units_at[3]), rng))]).astype(np.int64)
    n = len(obj_unit)
    obj_level = lv[obj_unit]
    by_unit: dict[int, list[int]] = {}
    for i, u in enumerate(obj_unit.tolist()):
        by_unit.setdefault(u, []).append(i)
    persp = np.zeros(n, np.int64)
    parents: list[tuple[int, int, float]] = []
    r_inherit, r_second, r_pick = rng.random(n), rng.random(n), rng.random((n, 2))
    random_persp = rng.choice(4, n, p=[0.3, 0.25, 0.3, 0.15])
    for i in range(n):
        if obj_level[i] == 0:
            persp[i] = i % 4
            continue
        # Parents come only from ancestor units, which sit at strictly higher levels: the
        # alignment graph is a DAG by construction.
        u = int(org.parent[obj_unit[i]])
        cands: list[int] = []
        above: list[int] = []
        while u != NULL:
            if not cands:
                cands = by_unit.get(u, [])
            else:
                above += by_unit.get(u, [])
            u = int(org.parent[u])
        if not cands:
            persp[i] = random_persp[i]
            continue
        p1 = cands[int(r_pick[i, 0] * len(cands))]
        persp[i] = persp[p1] if r_inherit[i] < 0.7 else random_persp[i]
        more = cands + above
        if r_second[i] < 0.25 and len(more) > 1:
            p2 = more[int(r_pick[i, 1] * len(more))]
            if p2 != p1:
                parents += [(i, p1, 0.7), (i, p2, 0.3)]
                continue
        parents.append((i, p1, 1.0))
    year0 = dt.date(as_of.year, 1, 1)
    q0 = dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    q1 = dt.date(q0.year + (q0.month == 10), (q0.month + 3 - 1) % 12 + 1, 1)
    prev_q = dt.date(q0.year - (q0.month == 1), (q0.month - 4) % 12 + 1, 1)
    kind = np.where(obj_level == 3, rng.choice(3, n, p=[0.5, 0.42, 0.08]), 0)
    start = np.choose(kind, [day(year0), day(q0), day(prev_q)])
    end = np.choose(kind, [day(dt.date(as_of.year, 12, 31)), day(q1) - 1, day(q0) - 1])
    heads_or_member = np.where(rng.random(n) < 0.6, obj_unit, org.member(rng, obj_unit))
    top = np.flatnonzero(lv <= 1)
    owner = np.where(obj_level == 0, top[rng.integers(0, len(top), n)], heads_or_member)
    tmpl = rng.integers(0, 100, n)
    bases, suffixes = [], []
    for i in range(n):
        pool = names.OBJECTIVES[PERSPECTIVES[persp[i]]]
        bases.append(pool[tmpl[i] % len(pool)])
        suffixes.append("" if obj_level[i] == 0 else f" — {org.unit_name[obj_unit[i]]}")
    titles = names.distinct(bases, suffixes, obj_unit.tolist())
    theme = np.minimum(persp, n_themes - 1)
    digital = (rng.random(n) < 0.2) & (n_themes == 5) & ((persp == 1) | (persp == 2))
    theme = np.where(digital, 4, theme)
    theme = np.where(rng.random(n) < 0.08, NULL, theme)
    objectives = Table("objectives", n, {
        **entity_cols(), "title": titles, "description": Const(None),
        "period_start": Day(start), "period_end": Day(end),
        "level": Cat(obj_level.astype(np.int8), LEVELS),
        "perspective": Cat(persp.astype(np.int8), PERSPECTIVES),
        "org_unit_id": Ref("org_units", obj_unit), "owner_id": Ref("people", owner),
        "theme_id": Ref("themes", theme), "archived": (kind == 2) & (rng.random(n) < 0.5)})
    pa = np.array(parents, dtype=np.float64).reshape(-1, 3)
    alignments = Table("alignments", len(pa), {
        "workspace_id": WORKSPACE, "child_id": Ref("objectives", pa[:, 0].astype(np.int64)),
        "parent_id": Ref("objectives", pa[:, 1].astype(np.int64)), "weight": pa[:, 2]},
        keyed=False)
    strategy = Strategy(n_themes, obj_unit, obj_level, persp, start, end)
    return strategy, [themes, objectives, alignments]
