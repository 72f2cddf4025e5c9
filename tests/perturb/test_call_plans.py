"""The per-episode cache of mapped-back calls (``EpisodePerturbation._plans``) gives exactly what
the chain of inverse mappings gives: the same call, error or canned answer."""

from __future__ import annotations

import functools
import random

import pytest

from agentgym.errors import ToolError
from agentgym.perturb import Compose, EpisodePerturbation, load_recipe, registry
from agentgym.perturb.recipe import recipes_dir
from agentgym.perturb.samples import SYSTEM, TOOLS, USER
from agentgym.types import ToolCall

TOOL_TRANSFORMS = sorted(n for n, c in registry.items() if c.target == "tools")


def _outcome(fn, call):
    try:
        return fn(call)
    except ToolError as exc:
        return ("error", type(exc), str(exc))


def _chain(ep: EpisodePerturbation, call: ToolCall):
    return ep._invert(call) if ep._plans is not None else ep._resolve(call)


def _recipes():
    out = [load_recipe(p) for p in sorted(recipes_dir().glob("*.yaml"))]
    rnd = random.Random(0)
    for _ in range(40):
        k = rnd.randint(1, 4)
        out.append(
            Compose(
                [
                    registry[rnd.choice(TOOL_TRANSFORMS)](p=1.0, severity=sev)
                    for sev in rnd.choices(["light", "medium", "heavy"], k=k)
                ]
            )
        )
    return out


@pytest.mark.parametrize("i", range(len(_recipes())))
def test_planned_calls_match_the_inverse_chain(i):
    recipe = _recipes()[i]
    rnd = random.Random(i)
    for seed in range(3):
        ep = EpisodePerturbation.sample(recipe, seed, tools=TOOLS, system=SYSTEM, user=USER)
        shown = ep.tools(TOOLS)
        calls = []
        for spec in shown:
            props = list(spec.parameters.get("properties") or {})
            for _ in range(4):
                keys = rnd.sample(props, rnd.randint(0, len(props)))
                if rnd.random() < 0.2:
                    keys.append("not_an_argument")
                args = {k: rnd.choice([1, "view", "a.py", [1, 2], None]) for k in keys}
                calls.append(ToolCall(id=f"c{len(calls)}", name=spec.name, arguments=args))
        for call in calls * 2:  # the second time from the cache
            planned = _outcome(ep._resolve, call)
            chained = _outcome(functools.partial(_chain, ep), call)
            if isinstance(chained, ToolCall):
                assert isinstance(planned, ToolCall)
                assert planned.__dict__ == chained.__dict__
                assert list(planned.arguments) == list(chained.arguments)
                assert planned.model_fields_set == chained.model_fields_set
                assert (planned is call) == (chained is call)
            else:
                assert planned == chained
