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
from agentgym.policies.interfaces import Interface, hunks_of, interface_for
from agentgym.policies.toolmatch import Binding
from agentgym.types import Message, Task

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PROBE_TRIES = 2  # a transient error fails only the first attempt of a call
# What a sandbox says when a command met the process limit that processes left by earlier
# commands filled (a fork bomb in the background): the command may not have run completely.
RERUN_ASKED = "run it again"
RERUNS = 2  # at most this many reruns per episode


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
    """Applies the reference solution with whatever shell tool it finds, tests, submits.

    In a real harness's scaffold (``info["scaffold"]``, see ``agentgym.scaffolds``) it applies
    the fix with the harness's own edit tool when it recognises one (a V4A patch tool,
    SEARCH/REPLACE blocks, an exact string-replace tool), so every profile's edit semantics
    are exercised end to end; tools written into the text are used by writing them.
    """

    name = "oracle"

    def __init__(self, run_tests: bool = True, edit_in_scaffolds: bool = True) -> None:
        super().__init__()
        self.run_tests = run_tests
        self.edit_in_scaffolds = edit_in_scaffolds
        self.reset({})

    def reset(self, info: dict[str, Any]) -> None:
        super().reset(info)
        self.task: Task | None = info.get("task")
        self.nonce = f"agentgym-probe-{info.get('seed') or 0}"
        self.in_scaffold = bool(info.get("scaffold"))
        self.iface: Interface | None = None
        self.shell: Binding | None = None
        self.candidates: list[Binding] | None = None
        self.tries = 0
        self.plan: list[str | Message] = []
        self.last_step: str | None = None
        self.reruns = 0
        self.turn = 0
        self.route = "shell"  # or "edit": how the fix was applied (for tests and reports)

    # -- decisions --------------------------------------------------------------------
    def act(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: dict[str, Any]
    ) -> Message:
        self.turn += 1
        if self.task is None and info.get("task") is not None:
            self.task = info["task"]
        if self.iface is None:
            self.iface = interface_for(tools, messages) or Interface()
        iface = self.iface
        if self.candidates is None:
            self.candidates = iface.shell_candidates()
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
                return iface.submit(self.turn)  # nothing runs commands: give up honestly
            self.tries += 1
            return iface.shell(self.candidates[0], f"echo {self.nonce}", self.turn)
        previous = self.last_step
        # as an agent does when the sandbox says its last command was cut short
        if (
            previous
            and self.reruns < RERUNS
            and RERUN_ASKED in _ANSI.sub("", _last_tool_output(messages))
        ):
            self.reruns += 1
            self.plan.insert(0, previous)
        self.last_step = None
        if self.plan:
            step = self.plan.pop(0)
            if isinstance(step, Message):
                return step
            self.last_step = step
            return iface.shell(self.shell, step, self.turn)
        return iface.submit(self.turn)

    def _plan(self) -> list[str | Message]:
        if self.task is None:
            return []
        steps: list[str | Message] = []
        edits = hunks_of(self.task.solution_patch or "")
        assert self.iface is not None
        if self.in_scaffold and self.edit_in_scaffolds and edits and self.iface.can_edit():
            steps += self.iface.edit_messages(edits, self.task.workdir, self.turn)
            self.route = "edit"
        else:
            solve = solution_command(self.task)
            if solve:
                steps.append(solve)
        if self.run_tests:
            steps.append(test_command(self.task))
        return steps


def _last_tool_output(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") in ("tool", "user"):
            return str(m.get("content") or "")
        if m.get("role") == "assistant":
            break
    return ""


__all__ = ["OraclePolicy", "solution_command", "test_command"]
