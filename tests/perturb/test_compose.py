"""Combinators: probabilities of Compose / OneOf / SomeOf / Sequential, and their determinism."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from agentgym.errors import PerturbationError
from agentgym.perturb import Compose, OneOf, PerturbContext, Sequential, SomeOf, registry
from tests.perturb.fixtures import SYSTEM, TOOLS, USER

N = 4000


def leaf(name: str, p: float = 1.0):
    return registry[name](p=p, severity="light")


def fired(transform, seed: int) -> list[str]:
    ctx = PerturbContext(tools=list(TOOLS), system=SYSTEM, user=USER)
    return [r.transform for r in transform.sample(np.random.default_rng(seed), ctx)]


def frequencies(transform) -> Counter:
    rng = np.random.default_rng(123)
    counts: Counter = Counter()
    for _ in range(N):
        ctx = PerturbContext(system="x", user="y")
        counts.update(r.transform for r in transform.sample(rng, ctx))
    return counts


def close(count: int, p: float) -> bool:
    sd = (N * p * (1 - p)) ** 0.5
    return abs(count - N * p) <= 5 * sd + 1


def test_leaf_probability():
    counts = frequencies(leaf("system_boilerplate", 0.3))
    assert close(counts["system_boilerplate"], 0.3)


def test_compose_applies_each_child_with_its_own_p():
    t = Compose([leaf("system_boilerplate", 0.2), leaf("user_noise", 0.7)], p=1.0)
    counts = frequencies(t)
    assert close(counts["system_boilerplate"], 0.2)
    assert close(counts["user_noise"], 0.7)


def test_compose_p_gates_the_whole_group():
    t = Compose([leaf("system_boilerplate"), leaf("user_noise")], p=0.4)
    counts = frequencies(t)
    assert close(counts["system_boilerplate"], 0.4)
    assert counts["system_boilerplate"] == counts["user_noise"]


def test_one_of_picks_exactly_one_in_proportion_to_p():
    t = OneOf([leaf("system_boilerplate", 1.0), leaf("user_noise", 3.0 / 3.0 * 0.5)], p=1.0)
    rng = np.random.default_rng(5)
    sizes = Counter()
    counts: Counter = Counter()
    for _ in range(N):
        recs = t.sample(rng, PerturbContext(system="x", user="y"))
        sizes[len(recs)] += 1
        counts.update(r.transform for r in recs)
    assert sizes == {1: N}
    assert close(counts["system_boilerplate"], 2 / 3)
    assert close(counts["user_noise"], 1 / 3)


def test_one_of_p_and_nested_group():
    t = OneOf(
        [leaf("system_boilerplate"), Sequential([leaf("user_noise"), leaf("user_casing")])], p=0.5
    )
    counts = frequencies(t)
    assert close(counts["system_boilerplate"], 0.25)
    assert close(counts["user_noise"], 0.25)
    assert counts["user_noise"] == counts["user_casing"]


def test_some_of_picks_n_distinct_each_with_own_p():
    children = [leaf("system_boilerplate"), leaf("user_noise"), leaf("user_casing", 0.5)]
    t = SomeOf(children, n=2)
    counts = frequencies(t)
    assert close(counts["system_boilerplate"], 2 / 3)
    assert close(counts["user_noise"], 2 / 3)
    assert close(counts["user_casing"], 2 / 3 * 0.5)
    rng = np.random.default_rng(0)
    for _ in range(200):
        names = [r.transform for r in t.sample(rng, PerturbContext(system="x", user="y"))]
        assert len(names) == len(set(names)) <= 2
        order = ["system_boilerplate", "user_noise", "user_casing"]
        assert names == sorted(names, key=order.index)  # listed order is kept


def test_some_of_validates_n():
    with pytest.raises(PerturbationError, match="larger than"):
        SomeOf([leaf("user_noise")], n=2)
    with pytest.raises(PerturbationError, match="non-negative"):
        SomeOf([leaf("user_noise")], n=-1)
    assert SomeOf([leaf("user_noise")], n=3, replace=True).n == 3


def test_p_and_severity_are_validated():
    with pytest.raises(PerturbationError, match=r"\[0, 1\]"):
        registry["user_noise"](p=1.5)
    with pytest.raises(PerturbationError, match="severity"):
        registry["user_noise"](severity="extreme")
    with pytest.raises(PerturbationError, match="bad options"):
        registry["user_noise"](colour="red")


def test_combinators_are_deterministic_and_seed_sensitive():
    t = Compose(
        [
            OneOf([leaf("tool_rename_synonyms"), leaf("tool_name_case"), leaf("tool_name_prefix")]),
            SomeOf([leaf("user_noise"), leaf("user_typos"), leaf("user_casing")], n=2),
            leaf("chat_switch_format", 0.5),
        ]
    )
    runs = {tuple(fired(t, s)) for s in range(30)}
    assert len(runs) > 3
    assert all(fired(t, s) == fired(t, s) for s in range(10))


def test_transform_call_shortcut():
    t = registry["user_casing"](severity="heavy")
    out, rec = t("fix the parser please", np.random.default_rng(0))
    assert out == "FIX THE PARSER PLEASE"
    assert rec is not None and rec.transform == "user_casing"
    skipped, none = registry["user_casing"](p=0.0)("abc", np.random.default_rng(0))
    assert skipped == "abc" and none is None
