"""The Policy contract: given the conversation and the tools it sees, return the next turn.

A policy returns either the raw completion text (the env parses it with the episode's chat
format) or a ``Message`` (already structured: tool calls by name). ``reset`` is called once
per episode with the env's reset ``info`` (task, tools, chat format) before the first ``act``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from agentgym.errors import AgentGymError
from agentgym.types import Message


class PolicyError(AgentGymError):
    """A policy could not produce a turn (endpoint down after retries, model failed to load)."""


class Usage(BaseModel):
    """Token and request accounting for one episode (or a whole run when summed)."""

    model_config = ConfigDict(extra="forbid")

    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0

    def add(self, other: Usage) -> Usage:
        return Usage(**{k: getattr(self, k) + getattr(other, k) for k in Usage.model_fields})


@runtime_checkable
class Policy(Protocol):
    """Anything with ``reset(info)`` and ``act(messages, tools, info) -> str | Message``."""

    name: str
    usage: Usage

    def reset(self, info: dict[str, Any]) -> None: ...

    def act(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: dict[str, Any]
    ) -> str | Message: ...


class BasePolicy:
    """Convenience base: keeps the name and a fresh ``Usage`` per episode."""

    name = "policy"

    def __init__(self) -> None:
        self.usage = Usage()

    def reset(self, info: dict[str, Any]) -> None:
        self.usage = Usage()

    def act(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: dict[str, Any]
    ) -> str | Message:  # pragma: no cover - abstract
        raise NotImplementedError

    async def aact(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: dict[str, Any]
    ) -> str | Message:
        """Async variant: runs ``act`` in a worker thread."""
        import asyncio

        return await asyncio.to_thread(self.act, messages, tools, info)

    def close(self) -> None:
        """Release clients or models (default: nothing)."""


__all__ = ["BasePolicy", "Policy", "PolicyError", "Usage"]
