"""The typed action, observation and state agentgym speaks over OpenEnv's protocol.

They subclass openenv-core's own ``Action`` / ``Observation`` / ``State`` (so the schema the
server publishes at ``/schema`` is exactly what its ``deserialize_action`` validates), and
need the ``agentgym[serve]`` extra.
"""

from __future__ import annotations

from typing import Any

from openenv.core.env_server.types import Action, Observation, State
from pydantic import Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from agentgym.types import Message

MAX_COMPLETION_CHARS = 1_000_000


class AgentGymAction(Action):
    """One assistant turn: the raw completion text (parsed with the episode's chat format)
    or an assistant message in the OpenAI shape (``content`` and ``tool_calls``)."""

    completion: str | None = Field(
        default=None,
        max_length=MAX_COMPLETION_CHARS,
        description="The model's raw completion text; the env parses its tool calls.",
    )
    message: dict[str, Any] | None = Field(
        default=None,
        description='An assistant message, e.g. {"role": "assistant", "content": "...", '
        '"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "bash", '
        '"arguments": "{\\"command\\": \\"ls\\"}"}}]}',
    )

    @model_validator(mode="after")
    def _one_of(self) -> AgentGymAction:
        # PydanticCustomError, not ValueError: openenv-core sends errors() as JSON, and a
        # ValueError object in the error's ctx would not serialize (the session would end).
        if (self.completion is None) == (self.message is None):
            raise PydanticCustomError(
                "agentgym_action", "give exactly one of 'completion' (text) or 'message' (dict)"
            )
        if self.message is not None:
            role = self.message.get("role", "assistant")
            if role != "assistant":
                raise PydanticCustomError(
                    "agentgym_action",
                    "message.role must be 'assistant', not {role}",
                    {"role": str(role)},
                )
            try:
                Message.model_validate({**self.message, "role": "assistant"})
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'message'}: {e['msg']}" for e in exc.errors()
                )
                raise PydanticCustomError(
                    "agentgym_message",
                    "not an assistant message: {problems}",
                    {"problems": problems},
                ) from None
        return self

    def to_env_action(self) -> str | Message:
        """What ``CodingEnv.step`` takes."""
        if self.completion is not None:
            return self.completion
        assert self.message is not None
        return Message.model_validate({**self.message, "role": "assistant"})


class AgentGymObservation(Observation):
    """What one reset or step returns (``reward`` and ``done`` are OpenEnv's own fields)."""

    messages: list[dict[str, Any]] = Field(
        default_factory=list,
        description="New messages (OpenAI shape): the opening on reset, tool results after.",
    )
    tools: list[dict[str, Any]] = Field(
        default_factory=list, description="On reset: the tools as the agent sees them."
    )
    task_id: str | None = None
    turn: int = 0
    terminated: bool = False
    truncated: bool = False
    infrastructure_error: bool = Field(
        default=False,
        description="The episode failed for reasons outside the agent's reach: mask it.",
    )
    reward_breakdown: dict[str, Any] = Field(default_factory=dict)
    monitor_flags: list[dict[str, Any]] = Field(default_factory=list)
    info: dict[str, Any] = Field(
        default_factory=dict,
        description="The env's info (JSON-safe): chat_format, parse_error, truncated_by, grade, "
        "timings, perturbations, ...",
    )


class AgentGymState(State):
    """The session's episode: which env and task, how far along."""

    env_id: str = ""
    recipe: str | None = None
    task_id: str | None = None
    seed: int | None = None
    done: bool = False


__all__ = ["AgentGymAction", "AgentGymObservation", "AgentGymState"]
