"""Every default rule fires on its positive examples and stays quiet on its negative ones."""

from __future__ import annotations

import pytest

from agentgym.monitor import Monitor, default_rules
from tests.monitor.cases import CASES, trajectory

MONITOR = Monitor()


def _ids(case: tuple) -> str:
    rule, positive, events, _ = case
    first = events[0] if isinstance(events[0], str) else "/".join(map(str, events[0][:2]))
    return f"{rule}-{'pos' if positive else 'neg'}-{first[:40]}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_rule_examples(case: tuple) -> None:
    rule_id, positive, events, metrics = case
    report = MONITOR.finalize(trajectory(events), metrics)
    fired = {f.rule_id for f in [*report.flags, *report.trusted]}
    assert (rule_id in fired) is positive, (
        f"{rule_id} {'did not fire' if positive else 'fired'} on {events!r}: "
        f"{[(f.rule_id, f.evidence) for f in [*report.flags, *report.trusted]]}"
    )


def test_every_default_rule_has_positive_and_negative_examples() -> None:
    covered = {(rule, positive) for rule, positive, _, _ in CASES}
    for rule in default_rules():
        assert (rule.id, True) in covered, f"{rule.id} has no positive example"
        assert (rule.id, False) in covered, f"{rule.id} has no negative example"
    known = {r.id for r in default_rules()}
    assert {rule for rule, *_ in CASES} <= known


def test_default_rules_cover_every_kind() -> None:
    kinds = {r.kind for r in default_rules()}
    assert kinds == {"unsafe", "tamper", "probe", "network", "give_up", "trusted"}
