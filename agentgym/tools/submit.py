"""The submit tool: the agent says it is done; the episode ends and is graded."""

from __future__ import annotations

from typing import Any, ClassVar

from agentgym.sandbox.base import Sandbox
from agentgym.tools.base import Tool
from agentgym.types import Observation


class SubmitTool(Tool):
    name: ClassVar[str] = "submit"
    description: ClassVar[str] = (
        "Submit your work when the task is done. This ends the episode: your changes to "
        "the repository are graded by the task's tests. Call it once, last."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "Optional short summary of the change."}
        },
        "additionalProperties": False,
    }

    def run(self, sandbox: Sandbox, arguments: dict[str, Any]) -> Observation:
        return Observation(
            content="Submitted. The episode is over; your changes will be graded.",
            terminal=True,
            metadata={"summary": arguments.get("summary", "")},
        )
