"""How big each demo company is."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    """Target row counts of one demo size (the generator lands close to them)."""

    name: str
    business_units: int
    departments: int
    org_units: int
    people: int
    objectives: int
    metrics: int
    initiatives: int
    milestones: int
    dependencies: int
    measurements: int


SIZES: dict[str, Size] = {
    "s": Size("s", business_units=3, departments=6, org_units=20, people=50, objectives=20,
              metrics=80, initiatives=30, milestones=120, dependencies=150,
              measurements=4_000),
    "m": Size("m", business_units=5, departments=30, org_units=150, people=1_000,
              objectives=400, metrics=2_000, initiatives=1_000, milestones=4_000,
              dependencies=6_000, measurements=200_000),
    "l": Size("l", business_units=6, departments=80, org_units=500, people=5_000,
              objectives=2_000, metrics=10_000, initiatives=5_000, milestones=20_000,
              dependencies=30_000, measurements=1_000_000),
    "xl": Size("xl", business_units=8, departments=250, org_units=2_000, people=50_000,
               objectives=20_000, metrics=100_000, initiatives=50_000, milestones=200_000,
               dependencies=300_000, measurements=10_000_000),
}


def get_size(name: str) -> Size:
    """Return the size called `name` (s, m, l, xl) or raise ValueError."""
    try:
        return SIZES[name]
    except KeyError:
        raise ValueError(f"unknown demo size {name!r}; choose one of {', '.join(SIZES)}") from None
