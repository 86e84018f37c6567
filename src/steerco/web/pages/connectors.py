"""Admin → Connectors: a workspace's Jira and Asana settings, "Sync now" and the last sync.

The token field is write-only: the page says whether one is stored, never shows it (not
even after a refused save), and a blank field keeps the stored one. A sync runs in the
request (a few thousand issues take seconds to minutes; the jobs queue, when merged,
is the place for big ones) and its result is shown on the page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from steerco.accounts.errors import Forbidden
from steerco.kit.errors import ValidationFailed
from steerco.transfer.connectors import service
from steerco.transfer.connectors.http import SyncFailed
from steerco.transfer.connectors.repository import ConnectorRepository
from steerco.transfer.connectors.sync import SyncResult, run_sync
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
KINDS = ("jira", "asana")


def _require_office(user: PageUser) -> None:
    if not user.models:
        raise Forbidden("connectors are set up by admins and the strategy office")


def _shown(user: PageUser) -> dict[str, dict[str, Any]]:
    with user.ctx.read() as s:
        repo = ConnectorRepository(s, user.ctx.ws)
        return {k: service.public(repo.get(k), k) for k in KINDS}


def _form(c: dict[str, Any]) -> dict[str, str]:
    """The settings as the form's text fields."""
    st = c["settings"]
    if c["kind"] == "jira":
        return {"base_url": c["base_url"], "login": c["login"],
                "projects": ", ".join(st["projects"]), "jql": st["jql"] or "",
                "initiative_types": ", ".join(st["initiative_types"]),
                "boards": ", ".join(map(str, st["boards"])),
                "link_types": "\n".join(f"{k} = {v}" for k, v in st["link_types"].items()),
                "done_statuses": ", ".join(st["done_statuses"]), "time_zone": st["time_zone"]}
    return {"base_url": c["base_url"] or service.DEFAULT_URLS["asana"], "login": "",
            "workspace": st["workspace"], "goals": ", ".join(st["goals"]),
            "portfolios": ", ".join(st["portfolios"]), "projects": ", ".join(st["projects"]),
            "milestones_only": "on" if st["milestones_only"] else "",
            "default_owner": st["default_owner"] or ""}


def _page(request: Request, user: PageUser, *, status_code: int = 200,
          forms: dict[str, dict[str, str]] | None = None,
          errors: dict[str, dict[str, str]] | None = None,
          result: SyncResult | None = None, failed: tuple[str, str] | None = None,
          saved: str | None = None) -> Response:
    shown = _shown(user)
    forms = {k: (forms or {}).get(k) or _form(shown[k]) for k in KINDS}
    if forms["jira"]["base_url"] == "":
        forms["jira"]["base_url"] = ""
    return render(request, "admin/connectors.html", status_code=status_code,
                  connectors=shown, forms=forms, errors=errors or {k: {} for k in KINDS},
                  result=result, failed=failed, saved=saved,
                  placeholder=service.DEFAULT_URLS)


@router.get("/admin/connectors")
def connectors(request: Request, user: User) -> Response:
    _require_office(user)
    return _page(request, user)


def _list(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]


def _body(kind: str, f: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's input from the form's fields; errors of fields the form parses."""
    errors: dict[str, str] = {}
    if kind == "jira":
        links: dict[str, str] = {}
        for n, line in enumerate(f["link_types"].splitlines(), start=1):
            if not line.strip():
                continue
            phrase, sep, role = line.partition("=")
            if not sep:
                errors["link_types"] = (f"line {n} ({line.strip()!r}): write it as "
                                        "“phrase = provider” or “phrase = consumer”")
                break
            links[phrase.strip()] = role.strip()
        boards: list[int] = []
        for b in _list(f["boards"]):
            if not b.isdigit():
                errors["boards"] = f"{b!r} is not a board number (e.g. 7)"
                break
            boards.append(int(b))
        settings: dict[str, Any] = {
            "projects": _list(f["projects"]), "jql": f["jql"].strip() or None,
            "initiative_types": _list(f["initiative_types"]) or ["Epic"], "boards": boards,
            "link_types": links, "done_statuses": _list(f["done_statuses"]),
            "time_zone": f["time_zone"].strip() or "UTC"}
        if not settings["projects"] and not settings["jql"]:
            errors["projects"] = "give project keys (e.g. EX, OPS) or a JQL query"
    else:
        settings = {"workspace": f["workspace"].strip(), "goals": _list(f["goals"]),
                    "portfolios": _list(f["portfolios"]), "projects": _list(f["projects"]),
                    "milestones_only": f.get("milestones_only") == "on",
                    "default_owner": f["default_owner"].strip() or None}
    return {"base_url": f["base_url"], "login": f.get("login") or None,
            "secret": f.get("secret") or None, "settings": settings}, errors


@router.post("/admin/connectors/{kind}")
def save(request: Request, kind: str, user: FormUser,
         base_url: Annotated[str, Form(max_length=500)] = "",
         login: Annotated[str, Form(max_length=200)] = "",
         secret: Annotated[str, Form(max_length=4000)] = "",
         projects: Annotated[str, Form(max_length=2000)] = "",
         jql: Annotated[str, Form(max_length=4000)] = "",
         initiative_types: Annotated[str, Form(max_length=500)] = "",
         boards: Annotated[str, Form(max_length=500)] = "",
         link_types: Annotated[str, Form(max_length=4000)] = "",
         done_statuses: Annotated[str, Form(max_length=1000)] = "",
         time_zone: Annotated[str, Form(max_length=64)] = "",
         workspace: Annotated[str, Form(max_length=100)] = "",
         goals: Annotated[str, Form(max_length=4000)] = "",
         portfolios: Annotated[str, Form(max_length=4000)] = "",
         milestones_only: Annotated[str, Form(max_length=10)] = "",
         default_owner: Annotated[str, Form(max_length=320)] = "") -> Response:
    _require_office(user)
    if kind not in KINDS:
        raise Forbidden(f"no connector of kind {kind!r}")
    fields = {"base_url": base_url, "login": login, "projects": projects, "jql": jql,
              "initiative_types": initiative_types, "boards": boards,
              "link_types": link_types, "done_statuses": done_statuses,
              "time_zone": time_zone, "workspace": workspace, "goals": goals,
              "portfolios": portfolios, "milestones_only": milestones_only,
              "default_owner": default_owner}
    body, errors = _body(kind, fields | {"secret": secret})
    if not errors:
        try:
            with user.ctx.write() as s:
                service.save(s, user.ctx.ws, kind, body)
        except ValidationFailed as exc:
            errors = {_field_of(e.field): f"{e.message}" + (
                f" (you entered {e.value!r})" if e.value not in (None, "", [], {}) and
                "secret" not in e.field else "") for e in exc.errors}
    if errors:
        # The token is never sent back, not even the one just typed.
        # 200, like the other forms: the refusal is shown in place (a 4xx page would
        # count as a failed resource load in the browser's console).
        return _page(request, user, forms={kind: fields},
                     errors={k: errors if k == kind else {} for k in KINDS})
    return _page(request, user, saved=kind)


def _field_of(path: str) -> str:
    """'settings.link_types.blocks' → 'link_types'; 'base_url' → 'base_url'."""
    parts = path.split(".")
    return parts[1] if parts[0] == "settings" and len(parts) > 1 else parts[0]


@router.post("/admin/connectors/{kind}/sync")
def sync_now(request: Request, kind: str, user: FormUser,
             dry_run: Annotated[str, Form(max_length=10)] = "") -> Response:
    _require_office(user)
    if kind not in KINDS:
        raise Forbidden(f"no connector of kind {kind!r}")
    engine = request.app.state.engine
    try:
        result = run_sync(engine, user.ctx.ws, kind, dry_run=dry_run == "1",
                          actor=user.principal.actor)
    except SyncFailed as exc:
        return _page(request, user, failed=(kind, str(exc)))
    return _page(request, user, result=result)
