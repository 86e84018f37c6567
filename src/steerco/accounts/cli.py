"""`steerco admin create`: the first admin of a workspace (the lead wires it into cli.py).

    steerco admin create --workspace demo --email ada@example.com --name "Ada Admin"
                         [--password …]   (prompted when omitted; min. 10 characters)
"""

from __future__ import annotations

from sqlalchemy import Engine

from steerco.accounts.service import create_admin
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.kit.errors import FieldError, ValidationFailed
from steerco.org.repository import WorkspaceRepository
from steerco.org.service import create_workspace


def admin_create(engine: Engine, workspace: str, email: str, name: str, password: str,
                 create_missing_workspace: bool = False) -> str:
    """Create (or promote) a workspace-wide admin with a login; return their person id.

    The person is found by e-mail in the workspace or created; the login is the e-mail;
    an existing login's password is replaced. With `create_missing_workspace` an absent
    workspace is created (slug = `workspace`), otherwise its absence is refused.
    """
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
        person = create_admin(s, ws.id, email, name, password)
        return f"per_{person.id}"
