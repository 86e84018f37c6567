"""The accounts domain as the HTTP foundation's credential directory.

steerco.http.auth knows no domain: it asks the directory the app factory installs
(`steerco.http.auth.install_directory`) who a credential names, where org units sit and
which grants a person holds. This is that directory, on the accounts service and its
per-process credential cache (steerco.accounts.cache).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from steerco.accounts import service as accounts
from steerco.accounts.cache import CACHE
from steerco.db.models.accounts import Role


class AccountsDirectory:
    """Credentials, org-unit parents and grants from the accounts domain."""

    def resolve(self, session: Session, bearer: str | None, cookie: str | None,
                now: float) -> accounts.Resolved | None:
        """The credential's resolution, from the per-process cache when it can be
        trusted (see steerco.accounts.cache), else from the database. When its use is
        due to be recorded (`touch_due`), the cache moves the next due time on."""
        engine = session.get_bind().engine
        key = accounts.digest(bearer if bearer is not None else f"cookie:{cookie}")
        cached = CACHE.enabled(engine)
        found = CACHE.get(engine, key, now) if cached else None
        if found is None:
            generation = CACHE.generation
            found = accounts.resolve_credential(session, bearer, cookie)
            if found is None:
                return None
            if cached:
                CACHE.put(engine, key, found, found.valid_until, generation)
        if now >= found.touch_due and cached:
            CACHE.update(engine, key,
                         touch_due=now + accounts.TOUCH_EVERY.total_seconds())
        return found

    def record_use(self, session: Session, token_id: int | None,
                   session_key: str | None) -> None:
        if token_id is not None:
            accounts.touch_token(session, token_id)
        if session_key is not None:
            accounts.touch_session(session, session_key)

    def unit_parents(self, session: Session, workspace_id: int) -> dict[int, int | None]:
        return accounts.unit_parents(session, workspace_id)

    def grants_of(self, session: Session, workspace_id: int,
                  person_id: int) -> list[tuple[Role, int | None]]:
        return [(g.role, g.org_unit_id)
                for g in accounts.grants_of(session, workspace_id, person_id)]


DIRECTORY = AccountsDirectory()
