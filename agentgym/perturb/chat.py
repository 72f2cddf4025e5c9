"""Transforms of how the conversation is rendered: chat-format family and its options.

They only choose :class:`~agentgym.perturb.base.ChatOptions`; ``agentgym.chat`` renders them.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import field_validator

from agentgym.perturb.base import ChatTransform, PerturbRecord
from agentgym.perturb.registry import register

FAMILIES: tuple[str, ...] = (
    "qwen2.5",
    "qwen3",
    "qwen3-coder",
    "llama3.1",
    "llama3.2",
    "mistral",
    "minimax-m2",
    "glm-4.6",
    "gpt-oss",
    "hermes3",
    "kimi-k2",
    "deepseek-v3.1",
)
# Grouped by how far the tool-call syntax is from the common Hermes-style JSON-in-tags.
NEAR = ["qwen2.5", "qwen3", "hermes3"]
MIDDLE = [*NEAR, "llama3.1", "llama3.2", "mistral", "deepseek-v3.1"]


class SwitchFormatOptions(PerturbRecord):
    families: list[str] | None = None  # restrict the choice (e.g. to the formats a model knows)

    @field_validator("families")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            unknown = [f for f in value if not _is_format(f)]
            if unknown or not value:
                raise ValueError(
                    f"unknown chat formats {unknown}; known: {', '.join(FAMILIES)} "
                    "(or FAMILY@REVISION, e.g. kimi-k2@2025-07)"
                )
        return value


def _is_format(name: str) -> bool:
    """A family or a ``family@revision`` that ``agentgym.chat.get_format`` accepts."""
    from agentgym.chat import resolve_format
    from agentgym.errors import ChatFormatError

    try:
        resolve_format(name)
    except ChatFormatError:
        return False
    return name != "hf"


def _choose(rng, items):
    return items[int(rng.integers(len(items)))]


@register
class ChatSwitchFormat(ChatTransform):
    name = "chat_switch_format"
    doc = "Render the episode in another chat-format family."
    Options: ClassVar = SwitchFormatOptions
    levels: ClassVar = {
        "light": {"families": NEAR},
        "medium": {"families": MIDDLE},
        "heavy": {"families": list(FAMILIES)},
    }
    severity_doc: ClassVar = {
        "light": "a Hermes-style JSON family: " + ", ".join(NEAR),
        "medium": "also Llama 3.x, Mistral, DeepSeek-V3.1",
        "heavy": "any of the 12 families, incl. XML (qwen3-coder, minimax-m2, glm-4.6), harmony (gpt-oss), kimi-k2",
    }

    def sample_params(self, rng, context):
        families = self.options.families or self.knobs["families"]
        return {"set": {"format": _choose(rng, families)}}


@register
class ChatPastReasoning(ChatTransform):
    name = "chat_past_reasoning"
    doc = "Keep or drop the reasoning of past assistant turns."
    levels: ClassVar = {
        "light": {"choices": ["keep"]},
        "medium": {"choices": ["keep", "drop"]},
        "heavy": {"choices": ["drop"]},
    }
    severity_doc: ClassVar = {
        "light": "keep every past turn's reasoning (most templates drop it)",
        "medium": "keep all or drop all, at random",
        "heavy": "drop all past reasoning, even where the template keeps it",
    }

    def sample_params(self, rng, context):
        return {"set": {"past_reasoning": _choose(rng, self.knobs["choices"])}}


@register
class ChatToolResults(ChatTransform):
    name = "chat_tool_results"
    doc = "Change the role and placement of tool results (tool vs user role, merged messages)."
    levels: ClassVar = {
        "light": {"set": {"tool_result_placement": "merged"}},
        "medium": {"set": {"tool_result_role": "user"}},
        "heavy": {"set": {"tool_result_role": "user", "tool_result_placement": "merged"}},
    }
    severity_doc: ClassVar = {
        "light": "all results of one turn merged into one tool message",
        "medium": "results sent as user messages",
        "heavy": "results merged into one user message",
    }

    def sample_params(self, rng, context):
        return {"set": dict(self.knobs["set"])}


@register
class ChatSystemInUser(ChatTransform):
    name = "chat_system_in_user"
    doc = "Fold the system prompt (and tool list) into the first user message."
    levels: ClassVar = {
        "light": {"set": {"system_in_user": "plain"}},
        "medium": {"set": {"system_in_user": "tagged"}},
        "heavy": {"set": {"system_in_user": "tagged", "tools_placement": "user"}},
    }
    severity_doc: ClassVar = {
        "light": "system text prepended to the first user message",
        "medium": "prepended inside <system> tags",
        "heavy": "tagged, and the tool definitions move to the user message too",
    }

    def sample_params(self, rng, context):
        return {"set": dict(self.knobs["set"])}
