"""How a scripted policy acts through whatever interface it is shown.

* :class:`NativeTools`: tools declared to the model (function calling); acts with tool calls.
* :class:`XmlTools`: tools documented in the system prompt as XML usage blocks (Cline style:
  ``## name`` / ``Description:`` / ``Parameters:`` / ``Usage:``); acts by writing
  ``<tool><param>value</param></tool>`` into its reply.
* :class:`FencedShell`: one shell command per reply in a fenced block (mini-swe-agent); the
  fence's language tag and the submission command (``echo <MARKER>``) are read off the prompt.
* :class:`EditBlocks`: Aider-style replies: *SEARCH/REPLACE* blocks for edits and one-line
  shell commands in ```bash blocks; a reply with neither ends the session.

:func:`interface_for` reads the tools and the opening messages and picks one. Everything is
read from what the policy is shown; nothing assumes a harness by name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from agentgym.policies.toolmatch import Binding, EditBinding, edit_bindings, rank
from agentgym.types import Message, ToolCall, ToolSpec


@dataclass
class FileEdit:
    """One hunk of a fix: the file, its old and new lines, and the tagged lines in order."""

    path: str
    old: list[str]
    new: list[str]
    lines: list[str] = field(default_factory=list)  # " ctx" / "-old" / "+new"
    new_file: bool = False


def hunks_of(patch: str) -> list[FileEdit]:
    """The hunks of a unified diff, in order (``+++ b/path`` names the file)."""
    out: list[FileEdit] = []
    path: str | None = None
    new_file = False
    cur: FileEdit | None = None
    for line in patch.split("\n"):
        if line.startswith("diff --git "):
            cur, path, new_file = None, None, False
        elif line.startswith("--- "):
            new_file = line[4:].strip() == "/dev/null"
            cur = None
        elif line.startswith("+++ "):
            raw = line[4:].split("\t")[0].strip()
            path = raw[2:] if raw.startswith("b/") else raw
            cur = None
        elif line.startswith("@@") and path is not None:
            cur = FileEdit(path, [], [], [], new_file)
            out.append(cur)
        elif cur is not None and line[:1] in (" ", "-", "+"):
            tag, body = line[:1], line[1:]
            cur.lines.append(line)
            if tag in (" ", "-"):
                cur.old.append(body)
            if tag in (" ", "+"):
                cur.new.append(body)
        elif cur is not None and line == "":
            continue
    return out


class Interface:
    """What a policy can do here: run shell commands, apply hunks, submit."""

    def shell_candidates(self) -> list[Binding]:
        return []

    def shell(self, binding: Binding, command: str, turn: int) -> Message:
        raise NotImplementedError

    def can_edit(self) -> bool:
        return False

    def edit_messages(self, edits: list[FileEdit], workdir: str, turn: int) -> list[Message]:
        return []

    def submit(self, turn: int) -> Message:
        return Message(role="assistant", content="I have completed the task.")


def _call(turn: int, name: str, arguments: dict[str, Any], k: int = 0) -> Message:
    call = ToolCall(id=f"oracle_{turn}_{k}", name=name, arguments=arguments)
    return Message(role="assistant", content=None, tool_calls=[call])


def _path(edit: FileEdit, eb: EditBinding, workdir: str) -> str:
    return f"{workdir.rstrip('/')}/{edit.path}" if eb.absolute else edit.path


def v4a_patch(edits: list[FileEdit]) -> str:
    """Codex's ``apply_patch`` envelope for the hunks (updates; new files as Add File)."""
    out = ["*** Begin Patch"]
    current = None
    for e in edits:
        if e.new_file:
            out.append(f"*** Add File: {e.path}")
            out += [f"+{line}" for line in e.new]
            current = None
            continue
        if e.path != current:
            out.append(f"*** Update File: {e.path}")
            current = e.path
        out.append("@@")
        out += e.lines
    out.append("*** End Patch")
    return "\n".join(out) + "\n"


class NativeTools(Interface):
    """Declared tools, called natively."""

    def __init__(self, tools: list[ToolSpec]) -> None:
        self.tools = tools
        self.edits = edit_bindings(tools)

    def shell_candidates(self) -> list[Binding]:
        return rank(self.tools, "shell")

    def shell(self, binding: Binding, command: str, turn: int) -> Message:
        return self._emit(turn, binding.tool, binding.arguments(command))

    def _emit(self, turn: int, name: str, args: dict[str, Any]) -> Message:
        return _call(turn, name, args)

    def can_edit(self) -> bool:
        return bool(self.edits)

    def edit_messages(self, edits: list[FileEdit], workdir: str, turn: int) -> list[Message]:
        eb = self.edits[0]
        if eb.kind == "v4a_patch":
            assert eb.payload_arg is not None
            return [self._emit(turn, eb.tool, {**eb.fixed, eb.payload_arg: v4a_patch(edits)})]
        out = []
        if eb.kind == "marker_blocks":
            assert eb.path_arg and eb.payload_arg
            start, mid, end = eb.markers
            for path in dict.fromkeys(e.path for e in edits):
                blocks = [
                    f"{start}\n"
                    + "".join(f"{x}\n" for x in e.old)
                    + f"{mid}\n"
                    + "".join(f"{x}\n" for x in e.new)
                    + end
                    for e in edits
                    if e.path == path
                ]
                first = next(e for e in edits if e.path == path)
                args = {
                    **eb.fixed,
                    eb.path_arg: _path(first, eb, workdir),
                    eb.payload_arg: "\n".join(blocks),
                }
                out.append(self._emit(turn + len(out), eb.tool, args))
            return out
        assert eb.path_arg and eb.old_arg and eb.new_arg
        for e in edits:
            args = {
                **eb.fixed,
                eb.path_arg: _path(e, eb, workdir),
                eb.old_arg: "\n".join(e.old),
                eb.new_arg: "\n".join(e.new),
            }
            out.append(self._emit(turn + len(out), eb.tool, args))
        return out

    def submit(self, turn: int) -> Message:
        ranked = rank(self.tools, "submit")
        if not ranked:
            return super().submit(turn)
        return self._emit(turn, ranked[0].tool, ranked[0].arguments())


_XML_TOOL = re.compile(
    r"^## (\S+)\nDescription: (.*?)\n(?:Parameters:(.*?)\n)?Usage:\n", re.DOTALL | re.MULTILINE
)
_XML_PARAM = re.compile(r"^- (\w+): \((required|optional)\) ?(.*)$", re.MULTILINE)


def xml_tools(prompt: str) -> list[ToolSpec]:
    """Tools documented as XML usage blocks in a prompt."""
    specs = []
    for m in _XML_TOOL.finditer(prompt):
        name, desc, params = m.group(1), m.group(2), m.group(3) or ""
        props: dict[str, Any] = {}
        required = []
        for p in _XML_PARAM.finditer(params):
            text = p.group(3)
            kind = "boolean" if re.search(r"\bboolean\b|true or false", text, re.I) else "string"
            props[p.group(1)] = {"type": kind, "description": text}
            if p.group(2) == "required":
                required.append(p.group(1))
        if f"<{name}>" not in prompt[m.end() : m.end() + 2000]:
            continue
        specs.append(
            ToolSpec(
                name=name,
                description=desc,
                parameters={"type": "object", "properties": props, "required": required},
            )
        )
    return specs


class XmlTools(NativeTools):
    """Tools documented in the prompt, used by writing XML into the reply."""

    def _emit(self, turn: int, name: str, args: dict[str, Any]) -> Message:
        parts = []
        for k, v in args.items():
            value = str(v).lower() if isinstance(v, bool) else str(v)
            sep = "\n" if "\n" in value else ""
            parts.append(f"<{k}>{sep}{value}{sep}</{k}>")
        body = "\n".join(parts)
        return Message(role="assistant", content=f"<{name}>\n{body}\n</{name}>")

    def submit(self, turn: int) -> Message:
        ranked = rank(self.tools, "submit")
        if not ranked:
            return super().submit(turn)
        spec = next(t for t in self.tools if t.name == ranked[0].tool)
        args = dict(ranked[0].arguments())
        for k in spec.parameters.get("required") or []:
            args.setdefault(k, "The fix is applied and the failing tests pass.")
        if "result" in args and args["result"] == "oracle step":
            args["result"] = "The fix is applied and the failing tests pass."
        return self._emit(turn, spec.name, args)


class FencedShell(Interface):
    """One command per reply in a ```<fence> block; submit with ``echo <marker>``."""

    def __init__(self, fence: str, marker: str | None) -> None:
        self.fence = fence
        self.marker = marker

    def shell_candidates(self) -> list[Binding]:
        return [Binding(tool=f"```{self.fence}", arg="command")]

    def shell(self, binding: Binding, command: str, turn: int) -> Message:
        return Message(
            role="assistant",
            content=f"THOUGHT: the next step of the plan.\n\n```{self.fence}\n{command}\n```",
        )

    def submit(self, turn: int) -> Message:
        if self.marker is None:
            return super().submit(turn)
        return self.shell(Binding("fenced"), f"echo {self.marker}", turn)


class EditBlocks(Interface):
    """*SEARCH/REPLACE* blocks and one-line ```bash commands in the reply."""

    def __init__(self, fence: str = "bash") -> None:
        self.fence = fence

    def shell_candidates(self) -> list[Binding]:
        return [Binding(tool=f"```{self.fence}", arg="command")]

    def shell(self, binding: Binding, command: str, turn: int) -> Message:
        return Message(role="assistant", content=f"Run:\n\n```{self.fence}\n{command}\n```")

    def can_edit(self) -> bool:
        return True

    def edit_messages(self, edits: list[FileEdit], workdir: str, turn: int) -> list[Message]:
        blocks = []
        for e in edits:
            search = "" if e.new_file else "".join(f"{x}\n" for x in e.old)
            replace = "".join(f"{x}\n" for x in e.new)
            blocks.append(
                f"{e.path}\n```\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n```"
            )
        return [Message(role="assistant", content="Here are the edits:\n\n" + "\n\n".join(blocks))]

    def submit(self, turn: int) -> Message:
        return Message(role="assistant", content="The change is complete.")


_FENCE_LANG = re.compile(r"```([A-Za-z_][\w-]*)\n")
_MARKER = re.compile(r"\becho ([A-Z][A-Z0-9_]{7,})\b")


def interface_for(
    tools: list[dict[str, Any]] | list[ToolSpec], messages: list[dict[str, Any]]
) -> Interface | None:
    """The interface the policy is shown: declared tools, else the one the prompt describes."""
    specs = [t if isinstance(t, ToolSpec) else ToolSpec.model_validate(t) for t in tools]
    if specs:
        return NativeTools(specs)
    prompt = "\n".join(
        str(m.get("content") or "") for m in messages[:2] if m.get("role") in ("system", "user")
    )
    if "<<<<<<< SEARCH" in prompt:
        return EditBlocks()
    found = xml_tools(prompt)
    if found:
        return XmlTools(found)
    langs = Counter(m.group(1) for m in _FENCE_LANG.finditer(prompt))
    langs.pop("python", None)
    if langs:
        fence = langs.most_common(1)[0][0]
        marker = _MARKER.search(prompt)
        return FencedShell(fence, marker.group(1) if marker else None)
    return None


__all__ = [
    "EditBlocks",
    "FencedShell",
    "FileEdit",
    "Interface",
    "NativeTools",
    "XmlTools",
    "hunks_of",
    "interface_for",
    "v4a_patch",
    "xml_tools",
]
