"""Tools: a ToolSpec (OpenAI function schema) plus ``execute(sandbox, arguments)``.

Every failure a tool can meet (bad arguments, unknown tool, missing file, timeout, a
sandbox that broke) becomes an error :class:`Observation` the agent can read and act on;
nothing a model writes can raise out of :func:`execute_call`.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar

import jsonschema

from agentgym.errors import AgentGymError, ToolError
from agentgym.sandbox.base import Sandbox
from agentgym.sandbox.faults import infrastructure_cause, sandbox_unusable
from agentgym.types import Observation, ToolCall, ToolSpec

# Output shown to the agent is capped here too (sandbox caps are per command).
DEFAULT_OBSERVATION_CAP = 30_000


def cap_text(text: str, cap: int = DEFAULT_OBSERVATION_CAP) -> str:
    """Keep the head and tail of ``text`` with a notice of what was cut."""
    if len(text) <= cap:
        return text
    head, tail = text[: cap // 2], text[-(cap // 2) :]
    cut = len(text) - len(head) - len(tail)
    return f"{head}\n[... {cut} characters cut ...]\n{tail}"


def sandbox_failure(tool: str, sandbox: Sandbox, exc: Exception) -> Observation:
    """The observation for a sandbox failure, classified by who caused it.

    ``metadata["infrastructure_error"]`` (with ``infrastructure_cause``) only for faults
    outside the agent's reach; ``metadata["sandbox_unusable"]`` when the agent's own actions
    left a sandbox that every repair failed to bring back (the episode ends as the agent's
    failure); anything else is an ordinary error the agent can act on.
    """
    cause = infrastructure_cause(sandbox, exc)
    if cause is not None:
        return Observation(
            content=f"Error: the sandbox failed while running '{tool}' (not your doing): {cause}",
            is_error=True,
            metadata={"infrastructure_error": True, "infrastructure_cause": cause},
        )
    if sandbox_unusable(exc):
        return Observation(
            content=(
                f"Error: '{tool}' could not run: {exc}. Earlier commands left the sandbox "
                "broken beyond repair; the episode ends here and is graded on the workspace "
                "as it is."
            ),
            is_error=True,
            metadata={"sandbox_unusable": str(exc)},
        )
    return Observation(content=f"Error: '{tool}' failed: {exc}", is_error=True)


# Control characters other than newline and tab (C0, DEL, C1) and lone surrogates: shown
# as visible escapes (NUL -> \x00, ESC -> \x1b, CR -> \r) so an observation is always
# printable, valid UTF-8 text that tokenizers and JSON writers take as is.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_NAMED = {"\r": "\\r", "\x0b": "\\v", "\x0c": "\\f", "\x08": "\\b"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: str) -> str:
    """``text`` with control characters (except newline and tab) escaped visibly."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


class Tool(ABC):
    """Base class: subclasses set ``name``, ``description``, ``parameters``; write ``run``."""

    name: ClassVar[str]
    description: ClassVar[str]
    parameters: ClassVar[dict[str, Any]]

    def __init__(self) -> None:
        jsonschema.Draft202012Validator.check_schema(self.parameters)
        self._validator = jsonschema.Draft202012Validator(self.parameters)

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(name=self.name, description=self.description, parameters=self.parameters)

    def validate(self, arguments: dict[str, Any]) -> str | None:
        """None when ``arguments`` fit the schema, else a message for the agent."""
        errors = sorted(self._validator.iter_errors(arguments), key=lambda e: list(e.path))
        if not errors:
            return None
        lines = []
        for err in errors[:5]:
            where = ".".join(str(p) for p in err.path) or "arguments"
            lines.append(f"- {where}: {err.message}")
        props = self.parameters.get("properties", {})
        required = self.parameters.get("required", [])
        usage = ", ".join(
            f"{k}{'' if k in required else '?'}: {v.get('type', 'any')}" for k, v in props.items()
        )
        return (
            f"Invalid arguments for tool '{self.name}':\n"
            + "\n".join(lines)
            + f"\nExpected arguments: {{{usage}}} (? = optional)."
        )

    def execute(self, sandbox: Sandbox, arguments: dict[str, Any]) -> Observation:
        """Validate then run; every failure becomes an error observation."""
        if not isinstance(arguments, dict):
            return Observation(
                content=f"Invalid arguments for tool '{self.name}': expected a JSON object, "
                f"got {type(arguments).__name__}.",
                is_error=True,
            )
        problem = self.validate(arguments)
        if problem:
            return Observation(content=problem, is_error=True)
        try:
            obs = self.run(sandbox, arguments)
        except ToolError as exc:
            return Observation(content=safe_text(f"Error: {exc}"), is_error=True)
        except AgentGymError as exc:
            return sandbox_failure(self.name, sandbox, exc)
        except (OSError, UnicodeError, ValueError) as exc:
            return Observation(content=safe_text(f"Error: {exc}"), is_error=True)
        if _UNSAFE.search(obs.content) is not None:
            text = safe_text(obs.content)
            if len(text) > DEFAULT_OBSERVATION_CAP >= len(obs.content):
                text = cap_text(text)  # escapes made it longer than a capped output may be
            obs = obs.model_copy(update={"content": text})
        return obs

    @abstractmethod
    def run(self, sandbox: Sandbox, arguments: dict[str, Any]) -> Observation:
        """Do the work. Raise ToolError with an agent-facing message for expected failures."""


def execute_call(
    tools: Iterable[Tool] | dict[str, Tool], sandbox: Sandbox, call: ToolCall | dict[str, Any]
) -> Observation:
    """Run one tool call by name. Unknown tools and malformed calls become error observations."""
    by_name = tools if isinstance(tools, dict) else {t.name: t for t in tools}
    if isinstance(call, dict):
        try:
            call = ToolCall.model_validate(call)
        except Exception as exc:
            return Observation(content=f"Malformed tool call: {exc}", is_error=True)
    tool = by_name.get(call.name)
    if tool is None:
        return Observation(
            content=f"Unknown tool '{call.name}'. Available tools: {', '.join(sorted(by_name))}.",
            is_error=True,
        )
    return tool.execute(sandbox, call.arguments)


def specs(tools: Iterable[Tool]) -> list[ToolSpec]:
    return [t.spec for t in tools]


def to_openai_tools(tools: Iterable[Tool]) -> list[dict[str, Any]]:
    return [t.spec.to_openai() for t in tools]


def dumps_arguments(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, ensure_ascii=False)
