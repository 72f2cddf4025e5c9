"""A minimal scripted oracle: replays a task's reference solution through real tool calls.

It follows the episode's perturbation (tool names, arguments, chat format) from the records in
``info["perturbations"]``, writes its calls as completion text in the episode's chat format,
and retries a call the env answered with a transient error. ``agentgym.policies.OraclePolicy``
is the full policy; this one exists so data generation and the env tests need nothing else.
"""

from __future__ import annotations

from typing import Any

from agentgym.data.formats import call_id_for
from agentgym.errors import ConfigError
from agentgym.perturb.env import chat_format
from agentgym.perturb.episode import EpisodePerturbation
from agentgym.types import Message, PerturbationRecord, Task, ToolCall

PATCH_SCRIPT = "cd {workdir} && git apply --whitespace=nowarn <<'AGENTGYM_ORACLE_PATCH'\n{patch}\nAGENTGYM_ORACLE_PATCH"


def solution_calls(task: Task) -> list[ToolCall]:
    """The real tool calls that solve ``task``: run its solution, then submit."""
    if task.solution_script:
        command = task.solution_script
    elif task.solution_patch:
        command = PATCH_SCRIPT.format(workdir=task.workdir, patch=task.solution_patch.rstrip("\n"))
    else:
        raise ConfigError(f"task {task.id} has no solution script or patch; the oracle needs one")
    return [
        ToolCall(id="oracle_0", name="bash", arguments={"command": command}),
        ToolCall(id="oracle_1", name="submit", arguments={}),
    ]


class ScriptedOracle:
    """``begin(task, info)`` at reset, then ``act(info)`` gives each completion text.

    Also speaks the ``agentgym.policies`` protocol: ``reset(info)`` with ``info["task"]``,
    ``act(messages, tools, info)``.
    """

    name = "oracle"

    def __init__(self, text: bool = True) -> None:
        self.text = text  # completion text in the episode's format (else a Message dict)
        self._plan: list[ToolCall] = []
        self._last: ToolCall | None = None

    def reset(self, info: dict[str, Any]) -> None:
        self.begin(info["task"], info)

    def begin(self, task: Task, info: dict[str, Any]) -> None:
        records = [PerturbationRecord(**r) for r in info.get("perturbations", [])]
        self.ep = EpisodePerturbation(records)
        self.shown = [t["function"]["name"] for t in info.get("tools", [])]
        self.family = info.get("chat_format") or "qwen3"
        self._plan = solution_calls(task)
        self._last = None
        self._n = 0

    def act(self, *args: Any) -> str | dict[str, Any]:
        """The next action (``act(info)`` or ``act(messages, tools, info)``); the last call
        again if the env reported a transient error."""
        info = args[-1] if args else None
        events = (info or {}).get("perturbation_events", [])
        if self._last is not None and any(e.get("kind") == "transient_error" for e in events):
            call = self._last
        else:
            if not self._plan:
                raise ConfigError("the oracle has no more actions (the episode should be over)")
            real = self._plan.pop(0)
            call = self.ep.forward_call(real)
            if self.shown and call.name not in self.shown:
                raise ConfigError(
                    f"the oracle's call {real.name} maps to {call.name!r}, which the agent "
                    f"was not shown ({', '.join(self.shown)})"
                )
        self._last = call
        call = call.model_copy(update={"id": call_id_for(self.family, call.id, call.name, self._n)})
        self._n += 1
        message = Message(role="assistant", content=None, tool_calls=[call])
        if not self.text:
            return message.to_openai()
        return chat_format(self.family).render_completion(message)


__all__ = ["ScriptedOracle", "solution_calls"]
