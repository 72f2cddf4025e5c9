"""ScriptedPolicy: a fixed playbook written against the default scaffold.

It always emits completion text in the default chat format (qwen3 Hermes-style
``<tool_call>`` JSON) calling the default tool names (``bash``, ``submit``) with the default
argument names. It solves every task under the default scaffold and fails when the scaffold
shifts: the baseline that shows what overfitting to one scaffold costs.
"""

from __future__ import annotations

from typing import Any

from agentgym.chat import get_format
from agentgym.policies.base import BasePolicy
from agentgym.policies.oracle import solution_command, test_command
from agentgym.types import Message, Task, ToolCall


class ScriptedPolicy(BasePolicy):
    """Playbook: bash(solution) → bash(tests) → submit, as qwen3 text, whatever it is shown."""

    name = "scripted"

    def __init__(self, chat_format: str = "qwen3") -> None:
        super().__init__()
        self.fmt = get_format(chat_format)
        self.reset({})

    def reset(self, info: dict[str, Any]) -> None:
        super().reset(info)
        task: Task | None = info.get("task")
        steps: list[ToolCall] = []
        if task is not None:
            solve = solution_command(task)
            if solve:
                steps.append(ToolCall(id="s1", name="bash", arguments={"command": solve}))
            steps.append(ToolCall(id="s2", name="bash", arguments={"command": test_command(task)}))
        steps.append(ToolCall(id="s3", name="submit", arguments={}))
        self.playbook = steps
        self.turn = 0

    def act(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: dict[str, Any]
    ) -> str:
        call = self.playbook[min(self.turn, len(self.playbook) - 1)]
        self.turn += 1
        return self.fmt.render_completion(Message(role="assistant", tool_calls=[call]))


__all__ = ["ScriptedPolicy"]
