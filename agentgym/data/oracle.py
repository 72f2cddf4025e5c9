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
        self._actions: list[ToolCall | str] | None = None
        self._xml = False
        if info.get("scaffold"):  # a real harness (agentgym.scaffolds): its actions instead
            # the script runs in its own bash: its `set -e` must not end the harness's shell
            script = self._plan[0].arguments["command"].rstrip()
            command = f"bash <<'AGENTGYM_ORACLE_EOF'\n{script}\nAGENTGYM_ORACLE_EOF"
            self._actions, self._xml = scaffold_actions(
                str(info["scaffold"]), command, task.workdir
            )

    def act(self, *args: Any) -> str | dict[str, Any]:
        """The next action (``act(info)`` or ``act(messages, tools, info)``); the last call
        again if the env reported a transient error."""
        info = args[-1] if args else None
        events = (info or {}).get("perturbation_events", [])
        retry = any(e.get("kind") == "transient_error" for e in events)
        if self._actions is not None:
            return self._act_in_scaffold(retry)
        if self._last is not None and retry:
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

    def _act_in_scaffold(self, retry: bool) -> str | dict[str, Any]:
        assert self._actions is not None
        if not (retry and self._last_action is not None):
            if not self._actions:
                raise ConfigError("the oracle has no more actions (the episode should be over)")
            action = self._actions.pop(0)
            if isinstance(action, ToolCall):  # renamed tools on top of the harness's
                action = self.ep.forward_call(action).model_copy(
                    update={"id": call_id_for(self.family, action.id, action.name, self._n)}
                )
            self._last_action = action
        action = self._last_action
        self._n += 1
        if isinstance(action, str):
            message = Message(role="assistant", content=action)
        elif self._xml:
            body = "\n".join(
                f"<{k}>{str(v).lower() if isinstance(v, bool) else v}</{k}>"
                for k, v in action.arguments.items()
            )
            message = Message(
                role="assistant", content=f"<{action.name}>\n{body}\n</{action.name}>"
            )
        else:
            message = Message(role="assistant", content=None, tool_calls=[action])
        if not self.text:
            return message.to_openai()
        return chat_format(self.family).render_completion(message)

    _last_action: ToolCall | str | None = None


def scaffold_actions(profile: str, command: str, workdir: str) -> tuple[list[ToolCall | str], bool]:
    """The oracle's plan in a harness: run ``command`` with its shell action, then finish its
    way. Items are tool calls (native or XML, in the profile's names) or reply texts; the flag
    says whether calls are written as XML."""
    import base64

    from agentgym.scaffolds import load_profile

    p = load_profile(profile)
    shell = p.tool("shell")
    assert shell is not None
    ta = p.text_actions

    def call(tool: Any, values: dict[str, Any], k: int) -> ToolCall:
        props = tool.parameters.get("properties") or {}
        args = {tool.args.get(a, a): v for a, v in values.items()}
        for key in tool.parameters.get("required") or []:
            if key not in args:
                schema = props.get(key) or {}
                args[key] = (
                    schema["enum"][0]
                    if schema.get("enum")
                    else False
                    if schema.get("type") == "boolean"
                    else "The task is done."
                )
        return ToolCall(id=f"oracle_{k}", name=tool.name, arguments=args)

    def run(cmd: str, k: int) -> ToolCall | str:
        if ta is None or ta.style == "xml":
            argv = (shell.parameters.get("properties") or {}).get(
                shell.args.get("command", "command"), {}
            )
            value: Any = ["bash", "-lc", cmd] if argv.get("type") == "array" else cmd
            return call(shell, {"command": value}, k)
        if ta.style == "fenced":
            return f"```{ta.fence}\n{cmd}\n```"
        if "\n" in cmd:  # Aider runs each line on its own: one line that runs the script
            cmd = f"echo {base64.b64encode(cmd.encode()).decode()} | base64 -d | bash"
        return f"```{ta.shell_fence or 'bash'}\n{cmd}\n```"

    actions: list[ToolCall | str] = [run(command, 0)]
    if p.finish.style == "marker":
        actions.append(run(f"echo {p.finish.marker}", 1))
    elif p.finish.style == "no_tool_call":
        actions.append("The task is done.")
    else:
        submit = p.tool("submit")
        assert submit is not None
        actions.append(call(submit, {}, 1))
        if submit.options.get("review"):  # SWE-agent: the first submit shows the diff
            actions.append(call(submit, {}, 2))
    return actions, ta is not None and ta.style == "xml"


__all__ = ["ScriptedOracle", "scaffold_actions", "solution_calls"]
