"""`steerco findings` and `steerco whatif`: plain functions the main CLI registers.

Register with ``app.command()(findings)`` and ``app.command()(whatif)``. Every failure a
user can cause ends in one line on stderr and a non-zero exit (`steerco.cli_common.fail`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from steerco.cli_common import as_of as _as_of
from steerco.cli_common import day_of, err, fail, namer, out
from steerco.cli_common import engine as _engine
from steerco.cli_common import resolve_workspace as _resolve_workspace
from steerco.kit.errors import SteercoError
from steerco.kit.numbers import number, percent

SEVERITY_STYLE = {1: "dim", 2: "yellow", 3: "bold red"}


def findings(
    kind: Annotated[str | None, typer.Option(help="Only this kind (e.g. broken_dependency).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Evaluate as of this date.")] = None,
) -> None:
    """List signals and hygiene findings, worst first, with who must act."""
    from sqlalchemy.orm import Session

    from steerco.findings.service import KINDS
    from steerco.findings.service import findings as run

    if kind is not None and kind not in KINDS:
        fail(f"--kind must be one of {', '.join(KINDS)}, got '{kind}'")
    day = _as_of(as_of)
    with Session(_engine()) as session:
        wid = _resolve_workspace(session, workspace)
        day = day_of(session, wid, day)
        try:
            rows = run(session, wid, day, kind)
        except SteercoError as e:
            fail(e.detail)
        name = namer(session, wid, [[r["subject"]["id"], r["person_id"]] for r in rows[:200]])
    if as_json:
        print(json.dumps(rows))
        return
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["kind"]] = counts.get(r["kind"], 0) + 1
    table = Table("severity", "kind", "subject", "acts", "why", title=f"findings as of {day}")
    for r in rows[:200]:
        sev = r["severity"]
        table.add_row(f"[{SEVERITY_STYLE[sev]}]{r['severity_name']}[/]", r["kind"],
                      name(r["subject"]["id"]), name(r["person_id"]), r["explanation"])
    out.print(table)
    if len(rows) > 200:
        err.print(f"… {len(rows) - 200:,} more (use --kind or --json)")
    out.print(", ".join(f"{k}: {v:,}" for k, v in counts.items()) or "no findings")


def whatif(
    slip: Annotated[list[str] | None, typer.Option(
        help="ID:DAYS or TITLE:DAYS, e.g. mil_5:14 or 'Supplier contract signed:14' "
             "(repeatable; negative pulls in).")] = None,
    stop: Annotated[list[str] | None, typer.Option(
        help="Initiative to stop, by id or title, e.g. ini_7 (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Evaluate as of this date.")] = None,
) -> None:
    """Show what a slip or a stop would change, without writing anything."""
    from sqlalchemy.orm import Session

    from steerco.findings.service import whatif as run

    day = _as_of(as_of)
    if not slip and not stop:
        fail("give at least one --slip ID:DAYS (or TITLE:DAYS) or --stop INITIATIVE")
    with Session(_engine()) as session:
        wid = _resolve_workspace(session, workspace)
        day = day_of(session, wid, day)
        try:
            result = run(session, wid, day, slip or [], stop or [])
        except SteercoError as e:
            fail(e.detail)
        if as_json:
            print(json.dumps(result))
            return
        name = namer(session, wid, result)
    _print(result, name)


def _print(r: dict[str, Any], name: Any) -> None:
    """The what-if in words: things by title or name (the ids are in --json)."""
    what = ", ".join([f"{name(s['id'])} slips {s['days']} days" for s in r["slips"]]
                     + [f"{name(i)} stops" for i in r["stopped"]])
    out.print(f"[bold]what if {what}[/] (as of {r['as_of']}; nothing written)")
    for i in r["ignored"]:
        members = f" (cycle: {', '.join(name(c) for c in i['cycle'])})" if i["cycle"] else ""
        out.print(f"[bold]ignored[/] {name(i['id'])}: {i['reason']}{members}")
    t = Table("item", "owner", "finish before", "finish after", "due", title="dates that move")
    for n in r["schedule"][:100]:
        t.add_row(name(n["id"]), name(n["owner_id"]), n["old_finish"] or "—",
                  n["new_finish"] or "—", n["due"] or "—")
    out.print(t)
    if len(r["schedule"]) > 100:
        out.print(f"… {len(r['schedule']) - 100:,} more moved (use --json)")
    if r["newly_broken"]:
        b = Table("dependency", "provider", "owner", "consumer", "owner", "needed",
                  title="newly broken dependencies")
        for d in r["newly_broken"]:
            b.add_row(name(d["id"]), name(d["provider"]), name(d["provider_owner_id"]),
                      name(d["consumer"]), name(d["consumer_owner_id"]),
                      d["need_date"] or "—")
        out.print(b)
    if r["metrics"]:
        m = Table("metric", "forecast", "P(hit)", "status", title="metrics whose outlook changes")
        for x in r["metrics"]:
            old, new = x["old_forecast"], x["new_forecast"]
            m.add_row(name(x["id"]), f"{number(old, new)} → {number(new, old)}",
                      f"{percent(x['old_p_hit'])} → {percent(x['new_p_hit'])}",
                      f"{x['old_status']} → {x['new_status']}")
        out.print(m)
    for o in r["objectives"]:
        out.print(f"objective {name(o['id'])}: {o['old_status']} → {o['new_status']}")
    if not (r["newly_broken"] or r["metrics"] or r["objectives"]):
        out.print("no dependency breaks and no outcome changes")
