"""The agent's tools: bash, editor, search, submit."""

from __future__ import annotations

from agentgym.tools.base import Tool, execute_call, specs, to_openai_tools
from agentgym.tools.bash import BashTool
from agentgym.tools.editor import EditorTool
from agentgym.tools.search import SearchTool
from agentgym.tools.submit import SubmitTool

TOOL_CLASSES: dict[str, type[Tool]] = {
    "bash": BashTool,
    "editor": EditorTool,
    "search": SearchTool,
    "submit": SubmitTool,
}


def default_tools() -> list[Tool]:
    """One fresh instance of each bundled tool, in the default order."""
    return [cls() for cls in TOOL_CLASSES.values()]


__all__ = [
    "TOOL_CLASSES",
    "BashTool",
    "EditorTool",
    "SearchTool",
    "SubmitTool",
    "Tool",
    "default_tools",
    "execute_call",
    "specs",
    "to_openai_tools",
]
