"""The strategy map: objectives by balanced-scorecard perspective × level, as graph data.

At most `MAX_NODES` objectives are drawn. Levels are drawn top-down while they fit; the
deeper levels are aggregated into one node per (perspective, level) that counts its
objectives by status and links to the filtered list — a 10,000-objective company still
draws a map of about a hundred nodes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from steerco.core.snapshot import rows_of
from steerco.db.repository import table_generations
from steerco.evidence.service import (
    STATUS_NAMES,
    EngineState,
    measured_of,
    objective_labels,
    objective_view,
)
from steerco.kit.ids import format_id
from steerco.views import Session
from steerco.views import strategy_map as views
from steerco.web.pages.common import status_name

LEVELS = ["company", "business_unit", "department", "team"]
PERSPECTIVES = ["financial", "customer", "internal_process", "learning_growth"]
PERSPECTIVE_LABELS = {"financial": "Financial", "customer": "Customer",
                      "internal_process": "Internal process",
                      "learning_growth": "Learning & growth"}
MAX_NODES = 90
PER_ROW = 6
NODE_W, NODE_H, GAP_X, GAP_Y, BAND_PAD = 190, 58, 26, 24, 40
BAD = {"off_track", "missed"}
WARN = {"at_risk", "stale"}
#: Tables the map reads besides the engine's snapshot (whose edits make a new state).
MAP_TABLES = ("org_units", "causal_links")
#: Maps (whole company, units) kept per evaluation.
MAPS_KEPT = 32




def _value(x: Any) -> str:
    return str(getattr(x, "value", x))


def build(s: Session, ws: int, st: EngineState, unit: int | None = None) -> dict[str, Any]:
    """Nodes, edges and the accessible list of the map (of one unit's subtree, or all).

    Memoised per evaluation (`EngineState.memo`, emptied when a check-in is applied; a
    new state when objectives, metrics, their links or alignments change) and per
    generation of the other tables it reads (org units for the subtree, causal links):
    an edit shows on the next view, a view without one costs a dictionary look-up.
    """
    maps: dict[Any, dict[str, Any]] = st.memo.setdefault("strategy_maps", {})
    key = (unit, table_generations(s, ws, MAP_TABLES))
    hit = maps.get(key)
    if hit is None:
        hit = _build(s, ws, st, unit)
        if len(maps) >= MAPS_KEPT:  # one per unit viewed: a crawler must not grow it
            maps.clear()
        maps[key] = hit
    return hit


def _build(s: Session, ws: int, st: EngineState, unit: int | None) -> dict[str, Any]:
    objs = [(k, title, _value(lv), _value(persp))
            for k, title, lv, persp in views.objectives(s, ws, unit)]
    snap, g = st.snapshot, st.snapshot.graph
    keys = np.array([o[0] for o in objs], dtype=np.int64)
    orows = rows_of(snap.objective_ids, keys)
    o_status = st.evaluation.objectives.status
    names = [status_name(i) for i in range(len(STATUS_NAMES))]
    status = [names[int(o_status[r])] if r >= 0 else "no_data" for r in orows.tolist()]
    by_level = Counter(o[2] for o in objs)
    drawn_levels: list[str] = []
    total = 0
    for lv in LEVELS:
        if by_level.get(lv, 0) == 0:
            continue
        if total + by_level[lv] > MAX_NODES and drawn_levels:
            break
        if by_level[lv] > MAX_NODES:
            break
        drawn_levels.append(lv)
        total += by_level[lv]
    drawn = [i for i, o in enumerate(objs) if o[2] in drawn_levels]
    drawn_rows = {int(orows[i]): i for i in drawn if orows[i] >= 0}
    # The hover shows the objective's one explanation (the same as its page's).
    labels = objective_labels(s, ws, st, sorted(drawn_rows))

    nodes: list[dict[str, Any]] = []
    listing: dict[str, list[dict[str, Any]]] = {p: [] for p in PERSPECTIVES}
    placed: dict[str, list[dict[str, Any]]] = {p: [] for p in PERSPECTIVES}
    for i in drawn:
        key, title, level_, persp_ = objs[i]
        r = int(orows[i])
        k, n = measured_of(st, r) if r >= 0 else (0, 0)
        item: dict[str, Any] = {
                "measured": f"{k} of {n} metrics measured",
                "id": format_id("objective", key), "label": title, "status": status[i],
                "level": level_, "perspective": persp_,
                "reason": (objective_view(st, r, labels)["explanation"] if r >= 0
                           else "Not evaluated yet"),
                "href": f"/objectives/{format_id('objective', key)}", "kind": "objective"}
        placed[persp_].append(item)
        listing[persp_].append(item)
    aggregated: dict[tuple[str, str], Counter[str]] = {}
    for i, o in enumerate(objs):
        if o[2] not in drawn_levels:
            aggregated.setdefault((o[3], o[2]), Counter())[status[i]] += 1
    agg_of_level: dict[tuple[str, str], str] = {}
    for (persp, level), counts in sorted(aggregated.items(),
                                         key=lambda kv: LEVELS.index(kv[0][1])):
        n = sum(counts.values())
        bad = sum(counts[x] for x in BAD)
        warn = sum(counts[x] for x in WARN)
        colour = "off_track" if bad / n >= 0.25 else "at_risk" if (bad + warn) / n >= 0.25 \
            else "on_track"
        level_name = level.replace("_", " ")
        aid = f"agg_{persp}_{level}"
        agg_of_level[(persp, level)] = aid
        href = f"/objectives?level={level}&perspective={persp}" + (
            f"&unit={format_id('org_unit', unit)}" if unit is not None else "")
        item = {"id": aid, "label": f"{n:,} {level_name} objectives", "status": colour,
                "level": level, "perspective": persp, "count": n,
                "reason": f"{bad:,} off track or missed, {warn:,} at risk or stale, "
                          f"{counts['on_track'] + counts['achieved']:,} on track or achieved",
                "href": href, "kind": "aggregate", "counts": dict(counts)}
        placed[persp].append(item)
        listing[persp].append(item)

    # Preset positions: one band per perspective, objectives in rows, upper levels first.
    y = 0.0
    for persp in PERSPECTIVES:
        items = sorted(placed[persp], key=lambda it: (LEVELS.index(it["level"]),
                                                      it["kind"] == "aggregate"))
        if not items:
            continue
        nodes.append({"data": {"id": f"band_{persp}", "label": PERSPECTIVE_LABELS[persp],
                               "kind": "band"}, "classes": "band"})
        for j, it in enumerate(items):
            col, row_ = j % PER_ROW, j // PER_ROW
            width = PER_ROW * (NODE_W + GAP_X)
            offset = (width - min(len(items), PER_ROW) * (NODE_W + GAP_X)) / 2
            nodes.append({"data": {**it, "parent": f"band_{persp}"},
                          "position": {"x": offset + col * (NODE_W + GAP_X) + NODE_W / 2,
                                       "y": y + BAND_PAD + row_ * (NODE_H + GAP_Y)},
                          "classes": f"{it['kind']} st-{it['status']}"})
        rows_used = (len(items) + PER_ROW - 1) // PER_ROW
        y += BAND_PAD + rows_used * (NODE_H + GAP_Y) + 50

    # Alignment edges among what is drawn (an aggregated end stands for its group).
    where: dict[int, str] = {}
    for i, o in enumerate(objs):
        r = int(orows[i])
        if r < 0:
            continue
        lv = o[2]
        where[r] = (format_id("objective", o[0]) if lv in drawn_levels
                    else agg_of_level.get((o[3], lv), ""))
    edges: dict[tuple[str, str, str], int] = {}
    for r, src in where.items():
        for p in g.up_obj_parent[g.up_obj_ptr[r]:g.up_obj_ptr[r + 1]]:
            dst = where.get(int(p))
            if dst and src and dst != src and not (src.startswith("agg_")
                                                   and dst.startswith("agg_")):
                edges[(src, dst, "align")] = edges.get((src, dst, "align"), 0) + 1
    # Causal links between the metrics of two drawn objectives.
    metric_obj: dict[int, list[str]] = {}
    for r, i in drawn_rows.items():
        for m in g.in_met_metric[g.in_met_ptr[r]:g.in_met_ptr[r + 1]]:
            metric_obj.setdefault(int(snap.metrics.ids[int(m)]), []).append(
                format_id("objective", objs[i][0]))
    if metric_obj:
        for drv, dvn in views.causal_links(s, ws):
            for a in metric_obj.get(drv, []):
                for b in metric_obj.get(dvn, []):
                    if a != b:
                        edges[(a, b, "causal")] = 1
    edge_list = [{"data": {"id": f"e{i}", "source": a, "target": b, "kind": k, "n": n},
                  "classes": k} for i, ((a, b, k), n) in enumerate(edges.items())]
    return {"elements": nodes + edge_list, "listing": listing,
            "drawn_levels": drawn_levels, "total": len(objs),
            "aggregated": sum(sum(c.values()) for c in aggregated.values()),
            "labels": PERSPECTIVE_LABELS}
