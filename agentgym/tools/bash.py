"""The bash tool: run a command in the episode's persistent shell."""

from __future__ import annotations

from typing import Any, ClassVar

from agentgym.sandbox.base import Sandbox
from agentgym.tools.base import Tool, cap_text
from agentgym.types import ExecResult, Observation


def format_exec(result: ExecResult) -> str:
    """How a command's result reads to the agent: output, then status and notes."""
    parts = [result.output if result.output else "(no output)"]
    if not parts[0].endswith("\n"):
        parts.append("\n")
    status = "timed out" if result.timed_out else f"exit code: {result.exit_code}"
    parts.append(f"[{status}]")
    if result.note:
        parts.append(f"\n[{result.note}]")
    return "".join(parts)


class BashTool(Tool):
    name: ClassVar[str] = "bash"
    description: ClassVar[str] = (
        "Run a bash command in the repository's shell and return its output (stdout and "
        "stderr together) and exit code. The shell persists between calls: `cd` and "
        "exported variables stay. Commands have no stdin and a timeout; long output is cut "
        "to its beginning and end, so redirect big outputs to a file and inspect parts."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The bash command to run."},
            "timeout": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 3600,
                "description": "Seconds before the command is killed (default: the sandbox's).",
            },
        },
        "required": ["command"],
        "additionalProperties": False,
    }

    def __init__(self, max_timeout: float | None = None) -> None:
        super().__init__()
        self.max_timeout = max_timeout

    def run(self, sandbox: Sandbox, arguments: dict[str, Any]) -> Observation:
        command = arguments["command"]
        if not command.strip():
            return Observation(content="Error: the command is empty.", is_error=True)
        timeout = arguments.get("timeout")
        if timeout is not None and self.max_timeout is not None:
            timeout = min(float(timeout), self.max_timeout)
        result = sandbox.run(command, timeout=timeout)
        return Observation(
            content=cap_text(format_exec(result)),
            is_error=result.timed_out or result.exit_code is None,
            metadata={
                "exit_code": result.exit_code,
                "timed_out": result.timed_out,
                "truncated": result.truncated,
                "duration_s": round(result.duration_s, 6),
                "shell_restarted": result.shell_restarted,
            },
        )
