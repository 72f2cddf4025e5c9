"""Gymnasium coding environments; ``import agentgym.env`` registers the ids."""

from __future__ import annotations

from agentgym.env.coding import DEFAULT_SYSTEM_PROMPT, CodingEnv
from agentgym.env.registry import ENV_IDS, envs_root, register_envs
from agentgym.env.spaces import CompletionSpace, ConversationSpace

register_envs()

__all__ = [
    "DEFAULT_SYSTEM_PROMPT",
    "ENV_IDS",
    "CodingEnv",
    "CompletionSpace",
    "ConversationSpace",
    "envs_root",
    "register_envs",
]
