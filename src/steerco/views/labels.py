"""Labels of things named by public id (a finding's subject, an agenda line): the title
or name a reader knows them by, never the id. A dependency reads "provider → consumer",
a causal link "driver → driven", a milestone "name · initiative", a benefit by its
initiative."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.db.models import (
    BudgetLine,
    CausalLink,
    Dependency,
    Milestone,
    PlannedBenefit,
    Theme,
)
from steerco.kit.ids import format_id, parse_any
from steerco.views.names import (
    initiative_names,
    metric_names,
    objective_titles,
    person_names,
    unit_names,
)


def labels_of(s: Session, ws: int, public_ids: Iterable[str | None]) -> dict[str, str]:
    """Public id → label, for every id this knows how to name (others are left out)."""
    by: dict[str, set[int]] = {}
    for pid in public_ids:
        if not pid:
            continue
        try:
            kind, key = parse_any(pid, "id")
        except Exception:  # not a public id: nothing to name
            continue
        by.setdefault(kind, set()).add(key)
    out: dict[str, str] = {}

    def put(kind: str, names: dict[int, str]) -> None:
        out.update({format_id(kind, k): v for k, v in names.items()})

    # Milestones, dependencies, benefits and links are named by what they connect.
    ms_keys = set(by.get("milestone", set()))
    deps = list(s.execute(select(Dependency).where(
        Dependency.workspace_id == ws,
        Dependency.id.in_(sorted(by.get("dependency", set()))))).scalars()) \
        if by.get("dependency") else []
    for d in deps:
        ms_keys |= {k for k in (d.provider_milestone_id, d.consumer_milestone_id) if k}
    ms = {m.id: m for m in s.execute(select(Milestone).where(
        Milestone.workspace_id == ws, Milestone.id.in_(sorted(ms_keys)))).scalars()} \
        if ms_keys else {}
    benefits = list(s.execute(select(PlannedBenefit).where(
        PlannedBenefit.workspace_id == ws,
        PlannedBenefit.id.in_(sorted(by.get("benefit", set()))))).scalars()) \
        if by.get("benefit") else []
    links = list(s.execute(select(CausalLink).where(
        CausalLink.workspace_id == ws,
        CausalLink.id.in_(sorted(by.get("causal_link", set()))))).scalars()) \
        if by.get("causal_link") else []
    ini_keys = set(by.get("initiative", set())) | {m.initiative_id for m in ms.values()}
    ini_keys |= {k for d in deps for k in (d.provider_initiative_id, d.consumer_initiative_id)
                 if k}
    ini_keys |= {b.initiative_id for b in benefits}
    inis = initiative_names(s, ws, ini_keys)
    met_keys = set(by.get("metric", set())) | {k for ln in links
                                               for k in (ln.driver_id, ln.driven_id)}
    mets = metric_names(s, ws, met_keys)

    def milestone(k: int | None) -> str:
        m = ms.get(k or -1)
        return "?" if m is None else f"{m.name} · {inis.get(m.initiative_id, '?')}"

    def end(mk: int | None, ik: int | None) -> str:
        return milestone(mk) if mk else inis.get(ik or -1, "?")

    put("initiative", {k: inis[k] for k in by.get("initiative", set()) if k in inis})
    put("metric", {k: mets[k] for k in by.get("metric", set()) if k in mets})
    put("milestone", {k: milestone(k) for k in by.get("milestone", set()) if k in ms})
    put("dependency", {d.id: f"{end(d.provider_milestone_id, d.provider_initiative_id)} → "
                             f"{end(d.consumer_milestone_id, d.consumer_initiative_id)}"
                       for d in deps})
    put("benefit", {b.id: f"Benefit of {inis.get(b.initiative_id, '?')}" for b in benefits})
    put("causal_link", {ln.id: f"{mets.get(ln.driver_id, '?')} → "
                               f"{mets.get(ln.driven_id, '?')}" for ln in links})
    put("objective", objective_titles(s, ws, by.get("objective", set())))
    put("person", person_names(s, ws, by.get("person", set())))
    put("org_unit", unit_names(s, ws, by.get("org_unit", set())))
    if by.get("budget_line"):
        put("budget_line", dict(s.execute(select(BudgetLine.id, BudgetLine.name).where(
            BudgetLine.workspace_id == ws,
            BudgetLine.id.in_(sorted(by["budget_line"])))).all()))
    if by.get("theme"):
        put("theme", dict(s.execute(select(Theme.id, Theme.name).where(
            Theme.workspace_id == ws, Theme.id.in_(sorted(by["theme"])))).all()))
    return out


def titled_agenda(s: Session, ws: int, agenda: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of a stored agenda's items, each titled by what its subject is called today
    (an agenda stored before its items were labelled, or before a rename, kept the id or
    the old name): the one label every page and the pack show for an agenda line."""
    items = [dict(i) for i in agenda]
    names = labels_of(s, ws, [i.get("subject_id") or i.get("key") for i in items])
    for i in items:
        pid = i.get("subject_id") or i.get("key")
        i["title"] = names.get(pid or "", i.get("title") or pid or "")
    return items
