"""OraclePolicy: solve a task with its reference solution, through real tool calls.

It reads the tools it is shown (``toolmatch.rank``), confirms which one runs shell commands
by probing candidates with a harmless ``echo`` of a nonce (a distractor, a transient error or
a wrong guess just moves it to the next candidate), then runs the task's solution script,
runs the failing tests, and submits. It never relies on the default tool names, so it
follows renamed, re-described, split and merged tools.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import Any

from agentgym.policies.base import BasePolicy
from agentgym.policies.toolmatch import Binding, rank
from agentgym.types import Message, Task, ToolCall

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PROBE_TRIES = 2  # a transient error fails only the first attempt of a call


def solution_command(task: Task) -> str | None:
    """The reference solution as one shell command (the script runs in its own bash).

    A Harbor solution with other files beside solve.sh, or a ``[solution.env]``, is written
    to /solution and run there with that environment, as Harbor's oracle agent runs it."""
    extra = {k: v for k, v in task.files.items() if k.startswith("solution/")}
    if task.solution_script and (extra or task.env.solution):
        from agentgym.tasks.build import resolve_env

        files = {**extra, "solution/solve.sh": task.solution_script}
        writes = [
            f"mkdir -p {shlex.quote(posixpath.dirname('/' + rel))} && cat > "
            f"{shlex.quote('/' + rel)} <<'AGENTGYM_ORACLE_EOF'\n{text.rstrip()}\n"
            "AGENTGYM_ORACLE_EOF"
            for rel, text in files.items()
        ]
        env = " ".join(shlex.quote(f"{k}={v}") for k, v in resolve_env(task.env.solution).items())
        run = f"cd {shlex.quote(task.workdir)} && " + (f"env {env} " if env else "")
        return "\n".join(writes) + f"\n{run}bash /solution/solve.sh"
    if task.solution_script:
        return f"bash <<'AGENTGYM_ORACLE_EOF'\n{task.solution_script.rstrip()}\nAGENTGYM_ORACLE_EOF"
    if task.solution_patch:
        return (
            f"cd {shlex.quote(task.workdir)} && git apply --whitespace=nowarn "
            f"<<'AGENTGYM_ORACLE_EOF'\n{task.solution_patch.rstrip()}\nAGENTGYM_ORACLE_EOF"
        )
    return None


def test_command(task: Task, limit: int = 5) -> str:
    """Run (some of) the task's failing tests, as an agent checking its fix would."""
    if task.fail_to_pass:
        ids = " ".join(shlex.quote(t) for t in task.fail_to_pass[:limit])
        return f"cd {shlex.quote(task.workdir)} && python -m pytest -q -x {ids} 2>&1 | tail -3"
    if task.test_command and "/tests/" not in task.test_command:
        return f"{task.test_command} 2>&1 | tail -3"
    if task.test_script is not None:
        return "ls"  # a Harbor task: its verifier (/tests) arrives only after the agent is done
    return "git status --short"


class OraclePolicy(BasePolicy):
    """Applies the reference solution with whatever shell tool it finds, tests, submits."""

    name = "oracle"

    def __init__(self, run_tests: bool = True) -> None:
        super().__init__()
        self.run_tests = run_tests
        self.reset({})

    def reset(self, info: dict[str, Any]) -> None:
        super().reset(info)
        self.task: Task | None = info.get("task")
        self.nonce = f"agentgym-probe-{info.get('seed') or 0}"
        self.shell: Binding | None = None
        self.candidates: list[Binding] | None = None
        self.tries = 0
        self.plan: list[str] = []
        self.turn = 0

    # -- decisions --------------------------------------------------------------------
    def act(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: dict[str, Any]
    ) -> Message:
        self.turn += 1
        if self.task is None and info.get("task") is not None:
            self.task = info["task"]
        if self.candidates is None:
            self.candidates = rank(tools, "shell")
        if self.shell is None and self.tries:
            last = _last_tool_output(messages)
            if self.nonce in _ANSI.sub("", last):
                self.shell = self.candidates[0]
                self.plan = self._plan()
            elif self.tries >= PROBE_TRIES:
                self.candidates.pop(0)
                self.tries = 0
        if self.shell is None:
            if not self.candidates:
                return self._submit(tools)  # nothing runs commands: give up honestly
            self.tries += 1
            return self._call(self.candidates[0], f"echo {self.nonce}")
        if self.plan:
            return self._call(self.shell, self.plan.pop(0))
        return self._submit(tools)

    def _plan(self) -> list[str]:
        if self.task is None:
            return []
        steps = []
        solve = solution_command(self.task)
        if solve:
            steps.append(solve)
        if self.run_tests:
            steps.append(test_command(self.task))
        return steps

    def _call(self, binding: Binding, payload: str | None) -> Message:
        call = ToolCall(
            id=f"oracle_{self.turn}", name=binding.tool, arguments=binding.arguments(payload)
        )
        return Message(role="assistant", content=None, tool_calls=[call])

    def _submit(self, tools: list[dict[str, Any]]) -> Message:
        ranked = rank(tools, "submit")
        if not ranked:
            return Message(role="assistant", content="I am done.")
        return self._call(ranked[0], None)


def _last_tool_output(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") in ("tool", "user"):
            return str(m.get("content") or "")
        if m.get("role") == "assistant":
            break
    return ""


__all__ = ["OraclePolicy", "solution_command", "test_command"]
