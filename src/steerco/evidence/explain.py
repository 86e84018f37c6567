"""The one sentence that explains an objective's computed status, for every surface.

The objective page, the strategy map's tooltip, the API (`/objectives/{id}/status`,
`/status/tree`) and `steerco status` all show `objective_explanation`, so they name the
same deciding inputs: the rule of the roll-up that decided the status, then the worst
metrics the roll-up carried up (from anywhere below the objective, not only its own key
results), each with its own metric explanation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from steerco.core.rollup import ObjectiveReason, RollupSettings, worst_reasons
from steerco.kit.numbers import number, percent

if TYPE_CHECKING:
    from steerco.evidence.service import EngineState

Labels = Mapping[int, tuple[str, str]]  # metric key → (name, unit)
#: How many carried metrics an explanation names.
NAMED = 3
_R = ObjectiveReason


def carried_metric_keys(st: EngineState, orows: Iterable[int]) -> list[int]:
    """The keys of the metrics the roll-up carried up to these objectives (to label)."""
    top = st.evaluation.objectives.top_metric
    ids = st.snapshot.metrics.ids
    return sorted({int(ids[m]) for r in orows for m in top[int(r)].tolist() if m >= 0})


def _rule(flags: int, severity: float, settings: RollupSettings) -> str:
    """The roll-up rule that decided the status, in words."""
    sev = number(severity, [settings.at_risk_severity, settings.off_track_severity])
    if flags & _R.CYCLE:
        return "Not evaluated: it is on or above a cycle of alignments"
    if flags & _R.NO_CHILDREN:
        return "Nothing measures it: no metric or objective contributes to it"
    if flags & _R.NO_EVIDENCE:
        return "No evidence: nothing below it has data"
    if flags & _R.ALL_ACHIEVED:
        lead = "Every measured input achieved its target"
    elif flags & _R.ALL_MISSED:
        lead = "Every measured input missed its target"
    elif flags & _R.ALL_STALE:
        lead = "Every measured input is stale"
    elif flags & _R.RED_SHARE:
        lead = (f"Inputs off track or missed hold {percent(settings.red_share)} or more "
                f"of its measured weight")
    elif flags & _R.HIGH_SEVERITY:
        lead = (f"Weighted severity {sev}, at or above "
                f"{number(settings.off_track_severity)} (off track)")
    elif flags & _R.MEDIUM_SEVERITY:
        lead = (f"Weighted severity {sev}, at or above "
                f"{number(settings.at_risk_severity)} (at risk)")
    else:
        lead = (f"Weighted severity {sev}, below {number(settings.at_risk_severity)} "
                f"(on track)")
    if flags & _R.LOW_COVERAGE:
        lead += (f"; less than {percent(settings.min_coverage)} of its weight is measured, "
                 f"so it cannot be green")
    return lead


def objective_explanation(st: EngineState, orow: int, labels: Labels) -> str:
    """Why objective row `orow` has its status: the rule, then the worst metrics below."""
    from steerco.evidence.service import STATUS_NAMES, metric_view

    o = st.evaluation.objectives
    text = _rule(int(o.reasons[orow]), float(o.severity[orow]), o.settings)
    parts: list[str] = []
    for _name, m in worst_reasons(o, orow)[:NAMED]:
        key = int(st.snapshot.metrics.ids[m])
        name, unit = labels.get(key, (f"metric met_{key}", ""))
        status = STATUS_NAMES[int(st.evaluation.metrics.status.status[m])].replace("_", " ")
        parts.append(f"{name} ({status}): {metric_view(st, m, unit)['explanation']}")
    if parts:
        text += ". Worst below: " + "; ".join(parts)
    return text
