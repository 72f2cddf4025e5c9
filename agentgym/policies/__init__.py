"""Policies: anything that turns a conversation and its tools into the next assistant turn.

``make_policy("oracle" | "scripted" | "random" | "openai:MODEL" | "hf:PATH")`` builds one
from the spec strings the CLI takes.
"""

from __future__ import annotations

from typing import Any

from agentgym.errors import ConfigError
from agentgym.policies.base import BasePolicy, Policy, PolicyError, Usage
from agentgym.policies.oracle import OraclePolicy
from agentgym.policies.random_policy import RandomPolicy
from agentgym.policies.scripted import ScriptedPolicy

POLICY_KINDS = ("oracle", "scripted", "random", "openai:MODEL", "hf:PATH")


def make_policy(spec: str, **kwargs: Any) -> Policy:
    """A policy from its CLI spec; ``kwargs`` go to its constructor."""
    kind, _, arg = spec.partition(":")
    if kind == "oracle":
        return OraclePolicy(**kwargs)
    if kind == "scripted":
        return ScriptedPolicy(**kwargs)
    if kind == "random":
        return RandomPolicy(**kwargs)
    if kind == "openai":
        from agentgym.policies.openai import OpenAIPolicy

        return OpenAIPolicy(model=arg or None, **kwargs) if arg else OpenAIPolicy(**kwargs)
    if kind == "hf":
        if not arg:
            raise ConfigError("hf:PATH needs the folder of a saved transformers model")
        from agentgym.policies.hf import HFPolicy

        return HFPolicy.from_path(arg, **kwargs)
    raise ConfigError(f"unknown policy {spec!r}; use one of: {', '.join(POLICY_KINDS)}")


def __getattr__(name: str) -> Any:  # lazy: no HTTP or torch imports up front
    if name in ("OpenAIPolicy", "OpenAIConfig"):
        from agentgym.policies import openai

        return getattr(openai, name)
    if name == "HFPolicy":
        from agentgym.policies.hf import HFPolicy

        return HFPolicy
    raise AttributeError(name)


__all__ = [
    "POLICY_KINDS",
    "BasePolicy",
    "HFPolicy",
    "OpenAIConfig",
    "OpenAIPolicy",
    "OraclePolicy",
    "Policy",
    "PolicyError",
    "RandomPolicy",
    "ScriptedPolicy",
    "Usage",
    "make_policy",
]
