"""Scripted completions for the adapter tests: the oracle's turns and a no-op, as text in the
episode's chat format, and an engine that replays them token by token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentgym.chat import get_format
from agentgym.policies.oracle import solution_command
from agentgym.types import Message, ToolCall

BUGFIX = "agentgym/BugFix-v0"
TASK = "inflection-ordinal-teens"


def oracle_texts(task: Any, chat_format: str = "qwen3") -> list[str]:
    """The reference solution through the bash tool, then submit, as completion texts."""
    fmt = get_format(chat_format)
    solve = ToolCall(id="o1", name="bash", arguments={"command": solution_command(task)})
    submit = ToolCall(id="o2", name="submit", arguments={})
    return [
        fmt.render_completion(Message(role="assistant", tool_calls=[solve])),
        fmt.render_completion(Message(role="assistant", tool_calls=[submit])),
    ]


def noop_texts(chat_format: str = "qwen3") -> list[str]:
    """Submit straight away, changing nothing."""
    fmt = get_format(chat_format)
    submit = ToolCall(id="n1", name="submit", arguments={})
    return [fmt.render_completion(Message(role="assistant", tool_calls=[submit]))]


def bugfix_task(task_id: str = TASK) -> Any:
    import gymnasium as gym

    import agentgym.env  # noqa: F401

    env = gym.make(BUGFIX, backend="local").unwrapped
    try:
        return env.task_by_id[task_id]
    finally:
        env.close()


@dataclass
class Gen:
    token_ids: list[int]
    logprobs: list[float]
    finished: bool = True


class ScriptedEngine:
    """Answers turn ``k`` of every episode with ``texts[k]`` (encoded by ``tokenizer``)."""

    def __init__(self, tokenizer: Any, texts: list[str]) -> None:
        self.tokenizer, self.texts, self.turn, self.calls = tokenizer, texts, 0, 0

    def reset(self) -> None:
        self.turn = 0

    def generate(self, prompts: list[list[int]], **_: Any) -> list[Gen]:
        self.calls += 1
        text = self.texts[min(self.turn, len(self.texts) - 1)]
        self.turn += 1
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        return [Gen(list(ids), [-0.5] * len(ids)) for _ in prompts]
