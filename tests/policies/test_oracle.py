"""OraclePolicy reruns a command the sandbox says was cut short by earlier processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentgym.policies import OraclePolicy
from agentgym.policies import oracle as oracle_mod
from agentgym.policies.oracle import RERUNS, solution_command
from agentgym.tasks import load_tasks
from agentgym.tools import default_tools
from agentgym.tools.base import to_openai_tools

ROOT = Path(__file__).resolve().parents[2]
CUT_SHORT = (
    "[exit code: 254]\n[note: the shell exited (exit code 254); the next command starts a new "
    "one; 60 processes left running by earlier commands were already in the sandbox when this "
    "command started (a fork bomb or jobs started in the background), so this command may not "
    "have run completely: check its output and run it again]"
)


def _command(turn: Any) -> str:
    (call,) = turn.tool_calls
    return str(call.arguments.get("command"))


def _episode(outputs: list[str]) -> list[str]:
    """The commands the oracle runs when the tool answers with ``outputs`` in turn (the
    probe's answer, and the ok answers after the list, are filled in)."""
    task = next(t for t in load_tasks(ROOT / "envs" / "bugfix"))
    oracle = OraclePolicy()
    oracle.reset({"task": task, "seed": 7})
    tools = to_openai_tools(default_tools())
    messages: list[dict[str, Any]] = [{"role": "user", "content": task.instruction}]
    commands: list[str] = []
    answers = iter(["agentgym-probe-7", *outputs])
    for _ in range(12):
        turn = oracle.act(messages, tools, {"task": task})
        (call,) = turn.tool_calls
        if call.name == "submit":
            return commands
        commands.append(_command(turn))
        messages += [
            turn.to_openai(),
            {"role": "tool", "tool_call_id": call.id, "content": next(answers, "ok")},
        ]
    raise AssertionError(f"no submit: {commands}")


def test_a_command_cut_short_by_earlier_processes_is_run_again() -> None:
    task = next(t for t in load_tasks(ROOT / "envs" / "bugfix"))
    solve, check = solution_command(task), oracle_mod.test_command(task)
    assert _episode(["ok", "ok"])[1:] == [solve, check]
    assert _episode([CUT_SHORT, "ok", "ok"])[1:] == [solve, solve, check]
    assert _episode(["ok", CUT_SHORT, "ok"])[1:] == [solve, check, check]


def test_reruns_are_bounded() -> None:
    task = next(t for t in load_tasks(ROOT / "envs" / "bugfix"))
    solve = solution_command(task)
    commands = _episode([CUT_SHORT] * 10)[1:]
    assert commands[: RERUNS + 1] == [solve] * (RERUNS + 1)
    assert len(commands) == RERUNS + 2  # the reruns, then the test command once
