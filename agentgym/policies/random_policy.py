"""RandomPolicy: calls a random tool with arguments drawn from its schema (a floor baseline)."""

from __future__ import annotations

from typing import Any

import numpy as np

from agentgym.policies.base import BasePolicy
from agentgym.types import Message, ToolCall, ToolSpec

_STRINGS = ["ls", ".", "README.md", "echo hello", "pytest -q", "x", "def ", "TODO"]


def random_value(schema: dict[str, Any], rng: np.random.Generator) -> Any:
    """A value that usually satisfies a JSON Schema property (enums, ints, strings, arrays)."""
    if "enum" in schema:
        return schema["enum"][int(rng.integers(len(schema["enum"])))]
    t = schema.get("type", "string")
    t = t[0] if isinstance(t, list) and t else t
    if t == "integer":
        return int(rng.integers(0, 20))
    if t == "number":
        return float(rng.integers(1, 20))
    if t == "boolean":
        return bool(rng.integers(2))
    if t == "array":
        n = int(schema.get("minItems", 2))
        return [random_value(schema.get("items", {"type": "integer"}), rng) for _ in range(n)]
    return _STRINGS[int(rng.integers(len(_STRINGS)))]


class RandomPolicy(BasePolicy):
    """Each turn: a random tool (required arguments always, optional ones by coin flip)."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self.base_seed = seed
        self.rng = np.random.default_rng(seed)

    def reset(self, info: dict[str, Any]) -> None:
        super().reset(info)
        self.rng = np.random.default_rng([self.base_seed, int(info.get("seed") or 0)])

    def act(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: dict[str, Any]
    ) -> Message:
        if not tools:
            return Message(role="assistant", content="nothing to do")
        spec = ToolSpec.model_validate(tools[int(self.rng.integers(len(tools)))])
        props = spec.parameters.get("properties") or {}
        required = set(spec.parameters.get("required") or [])
        args = {
            k: random_value(v if isinstance(v, dict) else {}, self.rng)
            for k, v in props.items()
            if k in required or self.rng.random() < 0.3
        }
        return Message(
            role="assistant", tool_calls=[ToolCall(id="r", name=spec.name, arguments=args)]
        )


__all__ = ["RandomPolicy", "random_value"]
