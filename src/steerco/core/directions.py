"""Metric directions: which way a metric must move (or stay) to count as good.

The integer codes are stable: snapshots store them in int8 arrays, so never renumber.
"""

from __future__ import annotations

from enum import IntEnum


class Direction(IntEnum):
    """The direction of a metric, coded as a small int for numpy arrays."""

    INCREASE_TO = 0
    DECREASE_TO = 1
    STAY_AT_OR_ABOVE = 2
    STAY_AT_OR_BELOW = 3

    @property
    def is_ranged(self) -> bool:
        """Return True for the directions that move from a baseline to a target."""
        return self in (Direction.INCREASE_TO, Direction.DECREASE_TO)

    @property
    def higher_is_better(self) -> bool:
        """Return True when a larger value is better (increase_to, stay_at_or_above)."""
        return self in (Direction.INCREASE_TO, Direction.STAY_AT_OR_ABOVE)

    @classmethod
    def from_name(cls, name: str) -> Direction:
        """Return the direction named `name` (e.g. ``"increase_to"``); ValueError if unknown."""
        key = name.strip().upper()
        try:
            return cls[key]
        except KeyError:
            raise ValueError(f"unknown direction {name!r}") from None

    @property
    def wire_name(self) -> str:
        """Return the lower-case name used in the API and database (e.g. ``"decrease_to"``)."""
        return self.name.lower()
