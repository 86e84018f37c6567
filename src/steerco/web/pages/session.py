"""Who is looking at a page: the same server-side session and roles as the JSON API.

Pages authenticate with the session cookie the API's log-in sets (`steerco.http.auth`),
resolve the same `Principal` and `Ctx`, and check the same actions (`Principal.can`).
Only the CSRF transport differs: a page's form carries the session's CSRF token in a
hidden `csrf_token` field (htmx requests may send the `X-CSRF-Token` header instead),
and it is compared in constant time against the session's token exactly as the API does.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from steerco.accounts import service as accounts
from steerco.accounts.errors import Forbidden, Unauthenticated
from steerco.db.engine import unit_of_work
from steerco.db.models.accounts import Role
from steerco.http.auth import CSRF_HEADER, SESSION_COOKIE, Ctx, Principal, makers
from steerco.org.repository import PersonRepository
from steerco.views import Session

#: Roles that see the whole strategy (the cockpit is their home page).
STEERING = {Role.ADMIN, Role.STRATEGY_OFFICE, Role.EXECUTIVE}


@dataclass
class PageUser:
    """The person behind a page request, with what the layout needs to know."""

    ctx: Ctx
    name: str
    csrf_token: str

    @property
    def principal(self) -> Principal:
        return self.ctx.principal

    @property
    def person_id(self) -> int:
        return self.ctx.principal.person_id

    @property
    def role_names(self) -> list[str]:
        return sorted(r.value for r in self.ctx.principal.roles)

    @property
    def steers(self) -> bool:
        return bool(self.ctx.principal.roles & STEERING)

    @property
    def is_admin(self) -> bool:
        return any(r is Role.ADMIN and root is None for r, root in self.principal.grants)

    @property
    def models(self) -> bool:
        """May change the strategy model workspace-wide (strategy office, admin)."""
        return any(r in (Role.ADMIN, Role.STRATEGY_OFFICE) and root is None
                   for r, root in self.principal.grants)

    @property
    def administers(self) -> bool:
        """Holds an admin grant anywhere (workspace-wide or on an org-unit subtree): may
        open the administration pages, which then check where."""
        return any(r is Role.ADMIN for r, _ in self.principal.grants)

    def can(self, session: Session, action: str, unit: int | None = None,
            owners: list[int | None] | None = None, owner: int | None = None) -> bool:
        return self.principal.can(session, action, unit, owners or [], owner)


def _resolve(request: Request) -> PageUser:
    write, read = makers(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthenticated("log in to continue")
    with unit_of_work(read) as s:
        found = accounts.resolve_credential(s, None, cookie)
        if found is None:
            raise Unauthenticated("the session has ended; log in again")
        person = PersonRepository(s, found.workspace_id).find(found.person_id)
        name = person.name if person is not None else "?"
    if found.session_key is not None and time.time() >= found.touch_due:
        with unit_of_work(write) as s:
            accounts.touch_session(s, found.session_key)
    if not found.grants:
        raise Forbidden("you hold no role in this workspace")
    csrf = found.csrf_token
    assert csrf is not None  # a web session always carries one
    principal = Principal(found.workspace_id, found.person_id, None, found.scopes,
                          found.grants, csrf)
    user = PageUser(Ctx.resolved(principal, write, read), name, csrf)
    request.state.page_user = user
    return user


def page_user(request: Request) -> PageUser:
    """The logged-in person of a page (GET); raises Unauthenticated otherwise."""
    return _resolve(request)


async def form_user(request: Request) -> PageUser:
    """The logged-in person of a form post, after checking the session's CSRF token."""
    user = _resolve(request)
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(user.csrf_token.encode(), sent.encode()):
        raise Forbidden("this form has expired (CSRF check failed); reload the page and "
                        "try again")
    return user


def optional_user(request: Request) -> PageUser | None:
    """The logged-in person, or None (the log-in page)."""
    try:
        return _resolve(request)
    except (Unauthenticated, Forbidden):
        return None


User = Annotated[PageUser, Depends(page_user)]
FormUser = Annotated[PageUser, Depends(form_user)]
