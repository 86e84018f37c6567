"""The escalation ladder decides openings and climbs from days alone (no database)."""

from __future__ import annotations

from steerco.core.ladder import (
    SCOPE_UNIT,
    SCOPE_WORKSPACE,
    Breach,
    Climb,
    Rung,
    climb,
    climbs,
    openings,
    plan,
    precedence,
)

LADDER = [3, 7, 14]
M1 = ("metric", 1)
M2 = ("metric", 2)


def esc(key: int = 1, rung: int = 0, reached: int = 100, rule: int | None = 10,
        subject: tuple[str, int] = M1, resolved: int | None = None,
        signal: str = "off_track") -> Rung:
    return Rung(key, rule, subject, rung, reached, resolved, signal=signal)


def breach(rule: int = 10, subject: tuple[str, int] = M1, severity: int = 2,
           signal: str = "off_track") -> Breach:
    return Breach(rule, subject, 7, severity, "off track", signal)


def test_an_escalation_stays_put_until_its_rungs_grace_days_have_passed() -> None:
    assert climb(esc(), LADDER, 102) is None
    assert climb(esc(), LADDER, 103) == Climb(1, 0, 1, 103)


def test_a_higher_rung_waits_its_own_grace_days_from_when_it_was_reached() -> None:
    assert climb(esc(rung=1, reached=110), LADDER, 116) is None
    assert climb(esc(rung=1, reached=110), LADDER, 117) == Climb(1, 1, 2, 117)


def test_a_late_run_catches_up_every_rung_at_the_day_it_was_due() -> None:
    # 0 → 1 on day 103, 1 → 2 on day 110, 2 → 3 on day 124.
    assert climb(esc(), LADDER, 111) == Climb(1, 0, 2, 110)
    assert climb(esc(), LADDER, 500) == Climb(1, 0, 3, 124)


def test_the_top_rung_is_the_last_one() -> None:
    assert climb(esc(rung=3, reached=100), LADDER, 10_000) is None


def test_a_resolved_escalation_never_climbs() -> None:
    assert climb(esc(resolved=101), LADDER, 10_000) is None


def test_climbs_skip_escalations_whose_rule_is_off_or_gone() -> None:
    found = climbs([esc(1), esc(2, rule=None), esc(3, rule=99)], {10: LADDER}, 103)
    assert found == [Climb(1, 0, 1, 103)]


def test_a_breach_opens_one_escalation_with_the_worst_severity() -> None:
    opened = openings([breach(severity=1), breach(severity=3), breach(subject=M2)], [],
                      {10: LADDER}, 100)
    assert [(b.subject, b.severity) for b in opened] == [(M1, 3), (M2, 2)]


def test_an_unresolved_escalation_blocks_a_second_one_for_the_same_signal_and_subject() -> None:
    # Rule 11 watches the same signal: the open escalation of rule 10 blocks it too (no
    # duplicate later); a rule on another signal of the same subject still opens.
    opened = openings([breach(), breach(rule=11), breach(rule=12, signal="stale")], [esc()],
                      {10: LADDER, 11: LADDER, 12: LADDER}, 100)
    assert [(b.rule, b.subject, b.signal) for b in opened] == [(12, M1, "stale")]


def test_an_open_escalation_of_a_rule_switched_off_still_blocks_its_signal() -> None:
    assert openings([breach(rule=11)], [esc(rule=10)], {11: LADDER}, 100) == []


def test_several_rules_matching_one_signal_open_one_escalation_by_the_rule_that_applies(
        ) -> None:
    ladders = {10: LADDER, 11: [2, 4, 8], 12: [2, 4, 8], 13: LADDER}
    ranks = {10: precedence(10, SCOPE_WORKSPACE, 0, LADDER, 2),
             11: precedence(11, SCOPE_UNIT, 40, [2, 4, 8], 1),
             12: precedence(12, SCOPE_UNIT, 40, [2, 4, 8], 1),  # identical to 11
             13: precedence(13, SCOPE_UNIT, 5, LADDER, 1)}  # a smaller subtree
    both = [breach(10), breach(11), breach(12)]
    opened = openings(both, [], ladders, 100, ranks)
    # The org-unit rule beats the workspace-wide one; of two identical, the oldest.
    assert [(b.rule, b.subject) for b in opened] == [(11, M1)]
    opened = openings([*both, breach(13)], [], ladders, 100, ranks)
    assert [b.rule for b in opened] == [13]


def test_the_strictest_ladder_then_the_highest_minimum_severity_applies() -> None:
    ladders = {10: LADDER, 11: [2, 4, 8], 12: [2, 4, 8]}
    ranks = {10: precedence(10, SCOPE_WORKSPACE, 0, LADDER, 3),
             11: precedence(11, SCOPE_WORKSPACE, 0, [2, 4, 8], 1),
             12: precedence(12, SCOPE_WORKSPACE, 0, [2, 4, 8], 2)}
    opened = openings([breach(10), breach(11), breach(12, severity=3)], [], ladders, 100,
                      ranks)
    assert [(b.rule, b.severity) for b in opened] == [(12, 3)]


def test_a_decision_holds_for_the_rules_longest_grace_then_a_breach_reopens() -> None:
    resolved = [esc(resolved=200)]
    assert openings([breach()], resolved, {10: LADDER}, 213) == []
    assert len(openings([breach()], resolved, {10: LADDER}, 214)) == 1


def test_a_breach_of_an_inactive_rule_opens_nothing() -> None:
    assert openings([breach(rule=12)], [], {10: LADDER}, 100) == []


def test_plan_combines_openings_and_climbs() -> None:
    p = plan([breach(subject=M2)], [esc()], {10: LADDER}, 103)
    assert [b.subject for b in p.opens] == [M2]
    assert p.climbs == [Climb(1, 0, 1, 103)]


def snoozed(until: int, rung: int = 0, reached: int = 100) -> Rung:
    return Rung(1, 10, M1, rung, reached, None, until)


def test_a_snoozed_escalation_holds_its_rung_until_the_snooze_ends() -> None:
    # Without the snooze it would climb on day 103 (and reach the top by day 124).
    assert climb(snoozed(until=130), LADDER, 103) is None
    assert climb(snoozed(until=130), LADDER, 129) is None
    assert climbs([snoozed(until=130)], {10: LADDER}, 129) == []


def test_after_a_snooze_the_rungs_grace_days_count_from_the_day_it_ended() -> None:
    assert climb(snoozed(until=130), LADDER, 130) is None  # back in the inbox, not higher
    assert climb(snoozed(until=130), LADDER, 132) is None
    assert climb(snoozed(until=130), LADDER, 133) == Climb(1, 0, 1, 133)
    assert climb(snoozed(until=130), LADDER, 140) == Climb(1, 0, 2, 140)


def test_a_snooze_that_ended_before_the_rung_was_reached_changes_nothing() -> None:
    assert climb(snoozed(until=90), LADDER, 103) == Climb(1, 0, 1, 103)
