"""Named demo users, one per role, so a fresh `make run` can be tried from every seat."""

from __future__ import annotations

from sqlalchemy.orm import Session

from steerco.accounts.repository import DemoCastRepository
from steerco.accounts.service import add_grant, set_credential
from steerco.db.models import Person
from steerco.db.models.accounts import Role

#: Every demo login has this password: it is a demo, and the README says so.
DEMO_PASSWORD = "steerco-demo"


def create_demo_users(session: Session, workspace_id: int) -> list[tuple[str, str, str]]:
    """Give six people of the demo company a login and a role; return (login, name, role).

    The executive is the company head, the controller signs off the first budget line,
    the owner owns the most metrics; admin, strategy office and viewer are other people.
    """
    cast = DemoCastRepository(session, workspace_id)
    chosen: dict[Role, int] = {}
    head = cast.company_head()
    if head is not None:
        chosen[Role.EXECUTIVE] = head
    controller = cast.first_controller()
    if controller is not None and controller not in chosen.values():
        chosen[Role.CONTROLLER] = controller
    owner = cast.busiest_metric_owner(set(chosen.values()))
    if owner is not None:
        chosen[Role.OWNER] = owner
    rest = [r for r in (Role.ADMIN, Role.STRATEGY_OFFICE, Role.EXECUTIVE, Role.CONTROLLER,
                        Role.OWNER, Role.VIEWER) if r not in chosen]
    for role, key in zip(rest, cast.people(set(chosen.values()), len(rest)), strict=False):
        chosen[role] = key
    out = []
    for role, person_id in chosen.items():
        person = session.get(Person, person_id)
        assert person is not None
        cred = set_credential(session, workspace_id, person.id,
                              {"login": person.email, "password": DEMO_PASSWORD})
        cred.demo = True
        add_grant(session, workspace_id, {"person_id": person.id, "role": role.value})
        out.append((person.email, person.name, role.value))
    return sorted(out, key=lambda r: r[2])


def demo_logins(session: Session, workspace_id: int) -> list[tuple[str, str, str]]:
    """The logins the demo made in the workspace: (login, name, role); none in a
    workspace the demo did not make."""
    return DemoCastRepository(session, workspace_id).logins()
