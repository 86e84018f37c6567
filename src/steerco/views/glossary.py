"""The one source of the words the pages use for steerco's terms: each term's label and a
short explanation, shown as the label's tooltip (`<abbr title>`) wherever it appears, and
the names of the finding kinds in plain words with what each one means.

Templates read it through the `term` global and the `kind_name`/`kind_help` filters
(steerco.web.pages.render); nothing else words these explanations.
"""

from __future__ import annotations

#: Term → (label, explanation).
TERMS: dict[str, tuple[str, str]] = {
    "spi": ("SPI", "Schedule performance index: earned value ÷ planned value. "
                   "Below 1 the work is behind schedule."),
    "cpi": ("CPI", "Cost performance index: earned value ÷ actual cost. "
                   "Below 1 the work done cost more than planned."),
    "p_hit": ("P(hit)", "The chance that the metric reaches its target by the target date, "
                        "from the spread of its forecast (0 % – 100 %)."),
    "reality_gap": ("Reality gap", "The owner's confidence is far above the chance the "
                                   "data gives the metric (P(hit))."),
    "green_dashboard": ("Green-dashboard paradox",
                        "The initiatives or leading indicators behind an outcome report on "
                        "track while the outcome itself has been off track for several "
                        "periods."),
    "escalation_level": ("Escalation level",
                         "Who holds the escalation now: it climbs owner → manager → unit "
                         "head → steering committee while nobody acts on it."),
    "noise_metric": ("Metric no rule watches",
                     "No active escalation rule acts on this metric, so its status never "
                     "reaches anyone."),
    "broken_dependency": ("Broken dependency", "The provider is forecast to finish after the "
                                               "date the consumer needs it."),
    "critical_path_slip": ("Critical-path slip", "A milestone on the critical path is "
                                                 "forecast late, which moves the end date."),
}

#: Finding kind → (name, explanation). Kinds not listed read as their humanized name.
KINDS: dict[str, tuple[str, str]] = {
    "stale_metric": ("Stale metric", "No check-in within its cadence and grace period."),
    "stale_milestone": ("Stale milestone", "No update within its cadence and grace period."),
    "stale_dependency": ("Stale dependency", "No update within its cadence and grace "
                                             "period."),
    "stale_initiative": ("Stale initiative", "No update within its cadence and grace "
                                             "period."),
    "reality_gap": TERMS["reality_gap"],
    "green_dashboard": TERMS["green_dashboard"],
    "cross_team_conflict": ("Cross-team conflict", "Two units' metrics pull against each "
                                                   "other: one improves while the other "
                                                   "degrades."),
    "causal_link_not_holding": ("Causal link not holding", "The driver's history does not "
                                                           "move the outcome it is meant "
                                                           "to drive."),
    "benefit_leakage": ("Benefit leakage", "Claimed savings do not show in the budget "
                                           "line's ledger actuals."),
    "earned_value": ("Earned value", "Behind schedule (SPI below 1) or over budget "
                                     "(CPI below 1) for the work done."),
    "broken_dependency": TERMS["broken_dependency"],
    "critical_path_slip": TERMS["critical_path_slip"],
    "dependency_cycle": ("Dependency cycle", "Dependencies wait on each other in a circle, "
                                             "so none can be scheduled."),
    "too_many_themes": ("Too many themes", "More strategic themes than a team can focus "
                                           "on (more than 5)."),
    "too_many_key_results": ("Too many key results", "An objective with more than 5 key "
                                                     "results."),
    "ownership": ("No single owner", "The item needs exactly one active owner."),
    "untrackable_initiative": ("Untrackable initiative", "A decided initiative misses an "
                                                         "owner, a date, a metric, a budget "
                                                         "line or its dependencies."),
    "initiative_moves_no_metric": ("Initiative moves no metric", "An open initiative plans "
                                                                 "no impact on any metric."),
    "metric_without_tolerance": ("Metric without tolerance", "No tolerance band: every "
                                                             "deviation from plan is a "
                                                             "breach."),
    "noise_metric": TERMS["noise_metric"],
    "objective_without_initiative": ("Objective without initiative", "No open initiative "
                                                                     "works on its metrics."),
    "target_not_beyond_baseline": ("Target not beyond baseline", "The target asks for no "
                                                                 "change from the "
                                                                 "baseline."),
}

#: What each rung of the escalation ladder is called (steerco.governance.ladder).
LEVELS = ("Owner", "Manager", "Unit head", "Steering committee")


def kind_name(kind: str | None) -> str:
    """A finding or signal kind in plain words."""
    k = str(kind or "")
    found = KINDS.get(k)
    return found[0] if found else k.replace("_", " ").capitalize()


def kind_help(kind: str | None) -> str:
    """What a finding or signal kind means, or "" when there is nothing to add."""
    found = KINDS.get(str(kind or ""))
    return found[1] if found else ""


def level_name(rung: int) -> str:
    """The escalation level of a rung (0 = the owner)."""
    return LEVELS[rung] if 0 <= rung < len(LEVELS) else f"Level {rung + 1}"
