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
        "completion": 4,
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
    argv: bool = False  # the payload argument is an argv list (Codex's ["bash", "-lc", cmd])

    def arguments(self, payload: str | None = None) -> dict[str, Any]:
        args = dict(self.fixed)
        if self.arg is not None and payload is not None:
            args[self.arg] = ["bash", "-lc", payload] if self.argv else payload
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


def _argv_type(schema: Any) -> bool:
    """An array of strings: an argv list (Codex's shell ``command``)."""
    if not isinstance(schema, dict) or schema.get("type") != "array":
        return False
    items = schema.get("items")
    return isinstance(items, dict) and items.get("type") == "string"


def _score(v: _Virtual, intent: Intent) -> float:
    table = _KEYWORDS[intent]
    name_words = words(v.tool) + [w for val in v.fixed.values() for w in words(str(val))]
    desc_words = words(v.description)
    score = sum(2 * table.get(w, 0) for w in set(name_words))
    score += sum(table.get(w, 0) for w in set(desc_words))
    if intent == "shell":
        if not any(_string_type(s) or _argv_type(s) for s in v.props.values()):
            return -100.0
        if any(set(words(k)) & _SHELL_ARGS for k in v.props):
            score += 2
    else:
        if [r for r in v.required if r not in v.fixed]:
            score -= 4  # submitting needs nothing from us
    return score


def _payload_arg(v: _Virtual) -> str | None:
    strings = [k for k, s in v.props.items() if _string_type(s) and k not in v.fixed]
    argvs = [k for k, s in v.props.items() if _argv_type(s) and k not in v.fixed]
    if argvs and (not strings or set(words(argvs[0])) & _SHELL_ARGS):
        return argvs[0]
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
        fixed = {**_fill_required(v, skip=arg), **v.fixed}
        argv = arg is not None and _argv_type(v.props.get(arg))
        scored.append((-s, order, Binding(v.tool, arg, fixed, s, argv)))
    scored.sort(key=lambda x: (x[0], x[1]))
    return [b for _, _, b in scored]


def _fill_required(v: _Virtual, skip: str | None = None) -> dict[str, Any]:
    """Values for required arguments the intent does not set itself (a harness's
    ``security_risk`` enum, OpenCode's ``description``, Cline's ``requires_approval``): the
    first enum value, ``False``, ``0``, or a short note."""
    out: dict[str, Any] = {}
    for k in v.required:
        if k == skip or k in v.fixed:
            continue
        schema = v.props.get(k) or {}
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            out[k] = schema["enum"][0]
        elif schema.get("type") == "boolean":
            out[k] = False
        elif schema.get("type") in ("integer", "number"):
            out[k] = 0
        elif schema.get("type") == "array":
            out[k] = []
        else:
            out[k] = "oracle step"
    return out


# --- edits: which tool can apply a code change, and in which form ----------------------------

EditKind = Literal["v4a_patch", "str_replace", "marker_blocks"]
# argument names as ``_key`` writes them (lower case, no ``_`` or ``-``)
_OLD = ("oldstr", "oldstring", "old", "search")
_NEW = ("newstr", "newstring", "new", "replace")
_PATH = ("path", "filepath", "file", "filename")


@dataclass(frozen=True)
class EditBinding:
    """A tool that applies a code change: the form it takes and where each part goes."""

    tool: str
    kind: EditKind
    path_arg: str | None = None
    old_arg: str | None = None
    new_arg: str | None = None
    payload_arg: str | None = None  # the patch / diff argument
    fixed: dict[str, Any] = field(default_factory=dict)
    absolute: bool = False  # the tool wants absolute paths
    markers: tuple[str, str, str] = ("------- SEARCH", "=======", "+++++++ REPLACE")


def _key(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def edit_bindings(tools: list[ToolSpec | dict[str, Any]]) -> list[EditBinding]:
    """Tools that can apply a code change, best first: a V4A patch tool (its description shows
    the ``*** Begin Patch`` envelope), a SEARCH/REPLACE-blocks tool, an exact string-replace
    tool (``old``/``new`` arguments, or an editor's ``str_replace`` command)."""
    specs = [t if isinstance(t, ToolSpec) else ToolSpec.model_validate(t) for t in tools]
    out: list[tuple[int, EditBinding]] = []
    for t in specs:
        props = dict(t.parameters.get("properties") or {})
        keys = {_key(k): k for k in props}
        strings = [k for k, s in props.items() if _string_type(s)]
        path = next((keys[p] for p in _PATH if p in keys), None)
        absolute = bool(path) and "absolute" in str(props[path].get("description", "")).lower()
        fixed = _fill_required(
            _Virtual(t.name, t.description, props, list(t.parameters.get("required") or []), {}),
            skip=None,
        )
        if "*** Begin Patch" in t.description or _key(t.name) == "applypatch":
            payload = next((k for k in strings if k != path), None)
            if payload:
                out.append((0, EditBinding(t.name, "v4a_patch", payload_arg=payload)))
                continue
        diff = next((k for k in strings if _key(k) == "diff"), None)
        if diff and path and "SEARCH" in (t.description + str(props[diff].get("description", ""))):
            text = t.description + str(props[diff].get("description", ""))
            markers = (
                ("------- SEARCH", "=======", "+++++++ REPLACE")
                if "------- SEARCH" in text
                else ("<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE")
            )
            rest = {k: v for k, v in fixed.items() if k not in (path, diff)}
            out.append(
                (
                    1,
                    EditBinding(
                        t.name, "marker_blocks", path, None, None, diff, rest, absolute, markers
                    ),
                )
            )
            continue
        old = next((keys[o] for o in _OLD if o in keys), None)
        new = next((keys[n] for n in _NEW if n in keys), None)
        if old and new and path:
            command = {}
            for k, s in props.items():
                enum = s.get("enum") if isinstance(s, dict) else None
                if isinstance(enum, list) and "str_replace" in enum:
                    command = {k: "str_replace"}
            rest = {k: v for k, v in fixed.items() if k not in (path, old, new)}
            out.append(
                (
                    2,
                    EditBinding(
                        t.name, "str_replace", path, old, new, None, {**rest, **command}, absolute
                    ),
                )
            )
    out.sort(key=lambda x: x[0])
    return [b for _, b in out]


__all__ = ["Binding", "EditBinding", "Intent", "edit_bindings", "rank", "words"]
