"""The ``scaffold`` transform: run the episode inside a real agent harness.

It picks one profile of ``agentgym.scaffolds`` (OpenHands, SWE-agent, mini-swe-agent, Codex
CLI, Cline, Aider, goose, OpenCode, ...) and swaps the whole scaffold: the tool set and what
each tool does, the system prompt and task framing, the tool-output framing and the chat
placement (native function calling or tools written into the text). It is its own surface
(``scaffold``) and is installed first: every other transform of the recipe then perturbs the
harness's surfaces (its tools renamed, its prompts rewritten, its outputs noised).

The record is ``{"profile": name, "version": harness version}``; replaying it needs only the
name. Answer-preserving: every profile can solve every task (the oracle proves it per profile).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import field_validator

from agentgym.perturb.base import PerturbContext, PerturbRecord, ScaffoldChoice, Target, Transform
from agentgym.perturb.registry import register

# Pools per severity: how far from agentgym's own scaffold (native calls, bash + editor).
NEAR = ["goose", "openhands", "swe-agent"]  # native calls, shell + str_replace editor
NATIVE = [*NEAR, "codex-cli", "opencode"]  # + patch envelope / split read-grep-glob tools
ALL = [*NATIVE, "aider", "cline", "mini-swe-agent", "mini-swe-agent-v1"]  # + tools in text


class ScaffoldOptions(PerturbRecord):
    """``profiles``: the pool to draw from (default: the severity's pool)."""

    profiles: list[str] | None = None

    @field_validator("profiles")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("profiles must name at least one profile (or be left out)")
        from agentgym.scaffolds import load_profile

        for name in value:
            load_profile(name)  # ConfigError names the bundled profiles
        return list(value)


@register
class ScaffoldSwap(Transform):
    name: ClassVar[str] = "scaffold"
    target: ClassVar[Target] = "scaffold"
    semantics = "preserving"
    levels: ClassVar[dict[str, dict[str, Any]]] = {
        "light": {"pool": NEAR},
        "medium": {"pool": NATIVE},
        "heavy": {"pool": ALL},
    }
    severity_doc: ClassVar[dict[str, str]] = {
        "light": "a native-function-calling harness with shell + str_replace editor (goose, OpenHands, SWE-agent)",
        "medium": "any native-function-calling harness (adds Codex CLI's apply_patch, OpenCode's split tools)",
        "heavy": "any harness, including tools written in the text (mini-swe-agent, Cline XML, Aider SEARCH/REPLACE)",
    }
    doc: ClassVar[str] = (
        "Swaps the whole scaffold for a real harness's profile: its tools and their semantics, "
        "prompts, output framing and chat placement."
    )
    Options = ScaffoldOptions

    def sample_params(self, rng: np.random.Generator, context: PerturbContext) -> dict[str, Any]:
        from agentgym.scaffolds import load_profile

        pool = self.options.profiles or self.levels[self.severity]["pool"]
        name = pool[int(rng.integers(len(pool)))]
        return {"profile": name, "version": load_profile(name).version}

    def apply(self, obj: ScaffoldChoice, params: dict[str, Any]) -> ScaffoldChoice:
        return ScaffoldChoice(profile=params["profile"])

    def after_apply(self, context: PerturbContext, params: dict[str, Any]) -> None:
        """The harness's surfaces, so later transforms of the recipe are sampled on them."""
        from agentgym.scaffolds import load_profile
        from agentgym.scaffolds.runtime import ScaffoldRuntime

        rt = ScaffoldRuntime(load_profile(params["profile"]))
        context.tools = list(rt.shown)
        context.system = rt.system_prompt()
        context.user = rt.user_message(context.user)


__all__ = ["ALL", "NATIVE", "NEAR", "ScaffoldSwap"]
