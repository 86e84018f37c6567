"""`steerco admin create`: the first admin of a workspace (the lead wires it into cli.py).

    steerco admin create --workspace demo --email ada@example.com --name "Ada Admin"
                         [--password …]   (prompted when omitted; min. 10 characters)
"""

from __future__ import annotations

from sqlalchemy import Engine

from steerco.accounts.service import create_admin
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.kit.errors import FieldError, ValidationFailed
from steerco.kit.validation import parse
from steerco.org.repository import PersonRepository, WorkspaceRepository
from steerco.org.schemas import PersonCreate
from steerco.org.service import create_workspace


def admin_create(engine: Engine, workspace: str, email: str, name: str, password: str,
                 create_missing_workspace: bool = False, reset_password: bool = False) -> str:
    """Create a workspace-wide admin with a login; return their person id.

    The login is the e-mail. A person who already has that e-mail in the workspace is
    refused unless `reset_password` (then they are made admin and their password is
    replaced): silently resetting someone's password is a takeover, not a set-up step.
    With `create_missing_workspace` an absent workspace is created (slug = `workspace`),
    otherwise its absence is refused.
    """
    parse(PersonCreate, {"name": name or "-", "email": email})  # the e-mail, in words
    if len(password) < 10:
        raise ValidationFailed(FieldError("password", "must be at least 10 characters"))
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "cli:admin-create"
        ws = WorkspaceRepository(s).by_slug(workspace)
        if ws is None:
            if not create_missing_workspace:
                raise ValidationFailed(FieldError(
                    "workspace", f"no workspace '{workspace}' (load the demo, or pass "
                                 "--create-workspace)", workspace))
            ws = create_workspace(s, {"slug": workspace, "name": workspace})
        existing = PersonRepository(s, ws.id).by_email(email)
        if existing is not None and not reset_password:
            raise ValidationFailed(FieldError(
                "email", f"{email} is already {existing.name} (per_{existing.id}) in "
                         f"workspace '{workspace}'; pass --reset-password to make them an "
                         "admin and replace their password", email))
        person = create_admin(s, ws.id, email, name, password)
        return f"per_{person.id}"
