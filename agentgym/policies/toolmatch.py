"""Map a policy's intents (run a shell command, submit) to whatever tools it is shown.

Tools are read, not assumed: a tool is scored by the words of its name, description and
parameters, so renamed tools, renamed arguments, paraphrased descriptions, schemas written
differently, and tools merged behind an ``operation`` enum (``- member: description
Arguments: ...`` lines) are all understood. Candidates are ranked; the caller confirms a
shell candidate by probing it (see ``OraclePolicy``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from agentgym.types import ToolSpec

Intent = Literal["shell", "submit"]

_WORD = re.compile(r"[a-z]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

_KEYWORDS: dict[str, dict[str, float]] = {
    "shell": {
        "bash": 4,
        "shell": 4,
        "terminal": 3,
        "command": 2,
        "commands": 2,
        "cmd": 2,
        "exec": 2,
        "execute": 2,
        "run": 1,
        "stdout": 2,
        "stderr": 2,
        "exit": 1,
        "script": 1,
        "commandline": 3,
        # things a shell tool is not
        "email": -6,
        "weather": -6,
        "calendar": -6,
        "translate": -6,
        "image": -6,
        "sql": -4,
        "http": -4,
        "web": -4,
        "python": -2,
        "replace": -2,
        "grep": -1,
        "glob": -1,
    },
    "submit": {
        "submit": 5,
        "finish": 4,
        "done": 3,
        "complete": 3,
        "end": 2,
        "ends": 2,
        "episode": 2,
        "graded": 3,
        "mark": 1,
        "task": 1,
        "last": 1,
        "solution": 1,
        "email": -6,
        "weather": -6,
        "calendar": -6,
        "translate": -6,
        "image": -6,
        "sql": -4,
        "http": -4,
        "web": -4,
        "bash": -3,
        "shell": -3,
        "edit": -2,
        "search": -2,
    },
}
_SHELL_ARGS = {"command", "cmd", "script", "shell", "commandline", "input", "bash", "line"}


def words(text: str) -> list[str]:
    """Lower-case words of a name or sentence (snake, kebab and camel case split)."""
    return _WORD.findall(_CAMEL.sub(" ", text).lower())


@dataclass(frozen=True)
class Binding:
    """How to express an intent with the given tools: tool name, fixed args, main argument."""

    tool: str
    arg: str | None = None  # where the payload goes (the shell command)
    fixed: dict[str, Any] = field(default_factory=dict)  # e.g. {"operation": "bash"}
    score: float = 0.0

    def arguments(self, payload: str | None = None) -> dict[str, Any]:
        args = dict(self.fixed)
        if self.arg is not None and payload is not None:
            args[self.arg] = payload
        return args


@dataclass
class _Virtual:
    """One callable operation: a plain tool, or one member of a merged tool."""

    tool: str
    description: str
    props: dict[str, Any]
    required: list[str]
    fixed: dict[str, Any]


_PAREN = re.compile(r"\s*\([^)]*\)")


def _member_blocks(description: str, values: list[str]) -> dict[str, str]:
    """``- value: ...`` blocks of a merged tool's description, each up to the next one."""
    starts = []
    for value in values:
        m = re.search(rf"(?m)^- {re.escape(value)}: ", description)
        if m:
            starts.append((m.start(), m.end(), value))
    starts.sort()
    blocks = {}
    for i, (_, body_start, value) in enumerate(starts):
        stop = starts[i + 1][0] if i + 1 < len(starts) else len(description)
        blocks[value] = description[body_start:stop]
    return blocks


def _string_type(schema: Any) -> bool:
    t = schema.get("type") if isinstance(schema, dict) else None
    return t == "string" or (isinstance(t, list) and "string" in t) or t is None


def _virtuals(tools: list[ToolSpec]) -> list[_Virtual]:
    out: list[_Virtual] = []
    for t in tools:
        props = dict(t.parameters.get("properties") or {})
        required = list(t.parameters.get("required") or [])
        members: list[_Virtual] = []
        # A merged tool: an enum argument whose values are described one block each, each
        # block ending in "Arguments: a (required), b."
        for key in required:
            schema = props.get(key)
            enum = schema.get("enum") if isinstance(schema, dict) else None
            if not isinstance(enum, list) or not all(isinstance(e, str) for e in enum):
                continue
            blocks = {
                k: b for k, b in _member_blocks(t.description, enum).items() if "Arguments: " in b
            }
            if not blocks:
                # Members not described (shortened description): offer every value with
                # every other argument; the caller's probe tells which one works.
                rest = {k: v for k, v in props.items() if k != key}
                members += [_Virtual(t.name, value, rest, [], {key: value}) for value in enum]
            for value, block in blocks.items():
                m = re.search(r"Arguments: (.*?)\.(?:\s|$)", block)
                if m is None:
                    continue
                items = [a.strip() for a in m.group(1).split(",")]
                args = [_PAREN.sub("", a).strip() for a in items if a and a != "none"]
                req = [_PAREN.sub("", a).strip() for a in items if _PAREN.search(a)]
                sub = {a: props[a] for a in args if a in props}
                members.append(
                    _Virtual(t.name, f"{value} {block[: m.start()]}", sub, req, {key: value})
                )
            if members:
                break
        # A merged tool is only callable through its members (the enum argument is required).
        out.extend(members or [_Virtual(t.name, t.description, props, required, {})])
    return out


def _score(v: _Virtual, intent: Intent) -> float:
    table = _KEYWORDS[intent]
    name_words = words(v.tool) + [w for val in v.fixed.values() for w in words(str(val))]
    desc_words = words(v.description)
    score = sum(2 * table.get(w, 0) for w in set(name_words))
    score += sum(table.get(w, 0) for w in set(desc_words))
    if intent == "shell":
        if not any(_string_type(s) for s in v.props.values()):
            return -100.0
        if any(set(words(k)) & _SHELL_ARGS for k in v.props):
            score += 2
    else:
        if [r for r in v.required if r not in v.fixed]:
            score -= 4  # submitting needs nothing from us
    return score


def _payload_arg(v: _Virtual) -> str | None:
    strings = [k for k, s in v.props.items() if _string_type(s) and k not in v.fixed]
    if not strings:
        return None
    ranked = sorted(
        strings,
        key=lambda k: (
            -len(set(words(k)) & _SHELL_ARGS),
            -(k in v.required),
            -len(set(words(str(v.props[k].get("description", "")))) & _SHELL_ARGS),
        ),
    )
    return ranked[0]


def rank(tools: list[ToolSpec | dict[str, Any]], intent: Intent) -> list[Binding]:
    """Candidate bindings for an intent, best first (only plausible ones: score > 0)."""
    specs = [t if isinstance(t, ToolSpec) else ToolSpec.model_validate(t) for t in tools]
    scored = []
    for order, v in enumerate(_virtuals(specs)):
        s = _score(v, intent)
        if s <= 0:
            continue
        arg = _payload_arg(v) if intent == "shell" else None
        if intent == "shell" and arg is None:
            continue
        scored.append((-s, order, Binding(v.tool, arg, v.fixed, s)))
    scored.sort(key=lambda x: (x[0], x[1]))
    return [b for _, _, b in scored]


__all__ = ["Binding", "Intent", "rank", "words"]
