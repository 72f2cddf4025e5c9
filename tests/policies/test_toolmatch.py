"""The oracle's tool reading: the right tool for each intent under every preserving recipe."""

from __future__ import annotations

import pytest

from agentgym.perturb import EpisodePerturbation
from agentgym.policies.toolmatch import rank
from agentgym.rollout import load_recipe_by_name
from agentgym.tools import default_tools
from agentgym.types import ToolCall

TOOLS = [t.spec for t in default_tools()]


@pytest.mark.parametrize("recipe", ["light", "heavy", "scaffold-shift"])
def test_intents_resolve_to_the_real_tools(recipe: str) -> None:
    rec = load_recipe_by_name(recipe)
    for seed in range(60):
        ep = EpisodePerturbation.sample(rec, seed, tools=TOOLS, system="s", user="u")
        shown = ep.tools(TOOLS)
        shell = rank(shown, "shell")
        # the probe walks the shell candidates: one of the first three is the real bash
        real = []
        for b in shell[:3]:
            try:
                real.append(ep.map_call(ToolCall(name=b.tool, arguments=b.arguments("echo"))))
            except Exception:
                continue
        assert any(c.name == "bash" and c.arguments.get("command") == "echo" for c in real), (
            recipe,
            seed,
            [t.name for t in shown],
        )
        submit = rank(shown, "submit")[0]
        assert (
            ep.map_call(ToolCall(name=submit.tool, arguments=submit.arguments())).name == "submit"
        )


def test_default_tools() -> None:
    assert rank(TOOLS, "shell")[0].tool == "bash"
    assert rank(TOOLS, "shell")[0].arg == "command"
    assert rank(TOOLS, "submit")[0].tool == "submit"
