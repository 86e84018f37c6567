"""Refusals of accounts and access, each with the HTTP status the API answers with.

They are domain-free (the HTTP foundation maps them to statuses), so they live in
steerco.kit.errors; this module keeps the names the accounts domain raises them under.
"""

from __future__ import annotations

from steerco.kit.errors import (
    Forbidden,
    IdempotencyMismatch,
    PreconditionFailed,
    PreconditionRequired,
    Throttled,
    TooLarge,
    Unauthenticated,
)

__all__ = ["Forbidden", "IdempotencyMismatch", "PreconditionFailed", "PreconditionRequired",
           "Throttled", "TooLarge", "Unauthenticated"]
