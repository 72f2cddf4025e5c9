"""One wrapper per surface, in the Gymnasium spirit of "each wrapper changes one thing".

Each is a :class:`~agentgym.perturb.env.PerturbedEnv` that accepts only transforms of its
surface(s); they stack in any order on any agentgym coding env::

    env = ToolResponsePerturbation(ToolsPerturbation(CodingEnv(...), [ToolRenameSynonyms()], seed=1),
                                   [ResponseAnsiColors()], seed=2)
"""

from __future__ import annotations

from typing import ClassVar

from agentgym.perturb.env import PerturbedEnv


class ToolsPerturbation(PerturbedEnv):
    """Perturb the tool specs (names, arguments, descriptions, order, distractors, split/merge)."""

    surfaces: ClassVar[frozenset[str] | None] = frozenset({"tools"})


class PromptPerturbation(PerturbedEnv):
    """Perturb the system prompt and the user's task statement."""

    surfaces: ClassVar[frozenset[str] | None] = frozenset({"system", "user"})


class ChatFormatPerturbation(PerturbedEnv):
    """Switch the episode's chat-format family and its rendering options."""

    surfaces: ClassVar[frozenset[str] | None] = frozenset({"chat_format"})


class ToolResponsePerturbation(PerturbedEnv):
    """Perturb what tools answer (formatting, noise, truncation, transient errors)."""

    surfaces: ClassVar[frozenset[str] | None] = frozenset({"tool_response"})


__all__ = [
    "ChatFormatPerturbation",
    "PerturbedEnv",
    "PromptPerturbation",
    "ToolResponsePerturbation",
    "ToolsPerturbation",
]
