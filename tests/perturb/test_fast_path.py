"""``PerturbedEnv.run_args`` (the per-call fast path) gives what the general protocol
(``run_call`` -> ``EpisodePerturbation.run_parts``) gives, call for call: the same observations,
events and episode state, over every recipe and random mixes of tool and response transforms."""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import pytest

from agentgym.perturb import Compose, EpisodePerturbation, load_recipe, registry
from agentgym.perturb.env import PerturbedEnv
from agentgym.perturb.recipe import recipes_dir
from agentgym.perturb.samples import OUTPUTS, SYSTEM, TOOLS, USER
from agentgym.types import Observation

TOOL_TRANSFORMS = sorted(n for n, c in registry.items() if c.target == "tools")
RESPONSE_TRANSFORMS = sorted(n for n, c in registry.items() if c.target == "tool_response")


class Echo:
    """A real tool without a sandbox: answers with a sample output chosen by its arguments."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.runs: list[dict[str, Any]] = []

    def execute(self, sandbox: Any, arguments: dict[str, Any]) -> Observation:
        self.runs.append(arguments)
        key = json.dumps([self.name, arguments], sort_keys=True, default=str)
        k = sum(key.encode()) % (len(OUTPUTS) + 1)
        if k == len(OUTPUTS):
            return Observation(content="bad input", is_error=True)
        return Observation(content=OUTPUTS[k], metadata={"ran": self.name})


def layer(ep: EpisodePerturbation) -> PerturbedEnv:
    env = object.__new__(PerturbedEnv)  # only the per-call state: no env below
    env.ep, env.episode, env._events = ep, 0, []
    env._below = {t.name: Echo(t.name) for t in TOOLS}
    return env


def _recipes() -> list[Any]:
    out: list[Any] = [load_recipe(p) for p in sorted(recipes_dir().glob("*.yaml"))]
    rnd = random.Random(1)
    for _ in range(30):
        names = rnd.sample(TOOL_TRANSFORMS, rnd.randint(0, 2))
        names += rnd.sample(RESPONSE_TRANSFORMS, rnd.randint(0, 4))
        sev = ["light", "medium", "heavy"]
        out.append(Compose([registry[n](p=1.0, severity=rnd.choice(sev)) for n in names]))
    return out


RECIPES = _recipes()


@pytest.mark.parametrize("i", range(len(RECIPES)))
def test_fast_path_matches_the_general_protocol(i: int) -> None:
    rnd = random.Random(i)
    for seed in range(3):
        eps = [
            EpisodePerturbation.sample(RECIPES[i], seed, tools=TOOLS, system=SYSTEM, user=USER)
            for _ in range(2)
        ]
        fast, general = layer(eps[0]), layer(eps[1])
        shown = eps[0].tools(TOOLS)
        assert eps[1].tools(TOOLS) == shown  # what the env does at reset
        calls = []
        for spec in [*shown, *shown]:
            props = list(spec.parameters.get("properties") or {})
            keys = rnd.sample(props, rnd.randint(0, len(props)))
            if rnd.random() < 0.15:
                keys.append("not_an_argument")
            calls.append((spec.name, {k: f"v{rnd.randint(0, 3)}" for k in keys}))
        calls.append(("not_a_tool", {}))
        sequence = [c for c in calls for _ in range(rnd.randint(1, 3))]
        rnd.shuffle(sequence)
        for name, args in sequence * 2:
            a = fast.run_args(name, dict(args), None)
            b = general.run_call(_call(name, dict(args)), None)
            assert type(a) is type(b)
            assert a.model_dump() == b.model_dump()
            assert a.model_fields_set == b.model_fields_set
        assert fast._events == general._events
        assert [t.runs for t in fast._below.values()] == [t.runs for t in general._below.values()]
        a_ep, b_ep = eps
        assert (a_ep._calls, a_ep._failures, a_ep._failed) == (
            b_ep._calls,
            b_ep._failures,
            b_ep._failed,
        )


def _call(name: str, arguments: dict[str, Any]) -> Any:
    from agentgym.types import ToolCall

    return ToolCall.model_construct(id="agent", name=name, arguments=arguments)


def test_the_fast_path_is_taken() -> None:
    """A repeated call of a renamed tool runs without the general protocol."""
    recipe = Compose([registry["tool_rename_synonyms"](p=1.0, severity="heavy")])
    ep = EpisodePerturbation.sample(recipe, 0, tools=TOOLS, system=SYSTEM, user=USER)
    env = layer(ep)
    name = ep.tools(TOOLS)[0].name
    first = env.run_args(name, {"command": "ls"}, None)
    env.run_call = None  # type: ignore[assignment]  # the general path would fail now
    again = env.run_args(name, {"command": "ls"}, None)
    assert again.model_dump() == first.model_dump()
    assert again.metadata["real_call"] == {"name": "bash", "arguments": {"command": "ls"}}


@pytest.mark.parametrize("name", RESPONSE_TRANSFORMS)
@pytest.mark.parametrize("severity", ["light", "medium", "heavy"])
def test_text_functions_match_apply(name: str, severity: str) -> None:
    """Where a response transform offers ``text_fn``, it gives ``apply``'s text."""
    from agentgym.perturb import PerturbContext, ToolResponse

    t = registry[name](p=1.0, severity=severity)
    rng = np.random.default_rng(0)
    for _ in range(5):
        (rec,) = t.sample(rng, PerturbContext(tools=TOOLS, system=SYSTEM, user=USER))
        fn = t.text_fn(rec.params)
        if fn is None:
            continue
        for i, text in enumerate([*OUTPUTS, "", "\n", '{"a": [1, 2]}', "x\n" * 50]):
            obj = ToolResponse(text=text, tool_name="bash", call_index=i)
            assert fn(text) == t.apply(obj, rec.params).text


def test_an_observation_the_tool_keeps_is_copied_not_changed() -> None:
    """The fast path updates the real tool's observation in place only when nothing else
    holds it."""

    class Keeper(Echo):
        def execute(self, sandbox: Any, arguments: dict[str, Any]) -> Observation:
            self.last = Observation(content="kept\n1 2 3")
            return self.last

    recipe = Compose(
        [registry[n](p=1.0, severity="heavy") for n in ("tool_rename_synonyms", "response_wrapper")]
    )
    ep = EpisodePerturbation.sample(recipe, 0, tools=TOOLS, system=SYSTEM, user=USER)
    env = layer(ep)
    env._below["bash"] = keeper = Keeper("bash")
    name = ep.tools(TOOLS)[0].name
    for _ in range(3):
        shown = env.run_args(name, {"command": "ls"}, None)
        assert shown is not keeper.last
        assert keeper.last.content == "kept\n1 2 3" and keeper.last.metadata == {}
        assert shown.metadata["real_call"]["name"] == "bash" and shown.content != "kept\n1 2 3"
    fresh = env._below["bash"] = Echo("bash")
    shown = env.run_args(name, {"command": "ls"}, None)
    assert shown.model_fields_set == {"content", "metadata"} and fresh.runs == [{"command": "ls"}]
