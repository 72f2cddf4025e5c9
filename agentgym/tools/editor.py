"""The editor tool: view, create, str_replace, insert and undo, confined to the workspace.

Edits keep an undo stack per file in ``sandbox.state`` (one episode = one sandbox), so
``undo_edit`` restores exactly the text before the last edit of that file.
"""

from __future__ import annotations

from typing import Any, ClassVar

from agentgym.errors import ToolError
from agentgym.sandbox.base import Sandbox, shell_quote
from agentgym.tools.base import Tool, cap_text
from agentgym.tools.files import confine, read_text, write_text
from agentgym.types import Observation

HISTORY_KEY = "editor_history"
SNIPPET_CONTEXT = 4


def number_lines(text: str, start: int = 1) -> str:
    """``cat -n`` style: right-aligned line numbers, a tab, the line."""
    lines = text.split("\n")
    if lines and lines[-1] == "" and text.endswith("\n"):
        lines = lines[:-1]
    return "\n".join(f"{i:6d}\t{line}" for i, line in enumerate(lines, start))


class EditorTool(Tool):
    name: ClassVar[str] = "editor"
    description: ClassVar[str] = (
        "View and edit files in the repository.\n"
        "- view: show a file with line numbers (optionally view_range [start, end], end -1 "
        "= to the end), or list a directory two levels deep.\n"
        "- create: write a new file with file_text (fails if it exists).\n"
        "- str_replace: replace old_str, which must occur exactly once, with new_str.\n"
        "- insert: insert new_str after line insert_line (0 = at the top).\n"
        "- undo_edit: revert the last edit made to path.\n"
        "Paths are relative to the repository root (or absolute inside it)."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "command": {
                "type": "string",
                "enum": ["view", "create", "str_replace", "insert", "undo_edit"],
                "description": "The operation.",
            },
            "path": {"type": "string", "description": "File or directory path."},
            "file_text": {"type": "string", "description": "Content for create."},
            "old_str": {"type": "string", "description": "Exact text to replace (str_replace)."},
            "new_str": {"type": "string", "description": "Replacement or inserted text."},
            "insert_line": {
                "type": "integer",
                "minimum": 0,
                "description": "Insert after this line (insert).",
            },
            "view_range": {
                "type": "array",
                "items": {"type": "integer"},
                "minItems": 2,
                "maxItems": 2,
                "description": "[start, end] lines for view; end -1 means to the end.",
            },
        },
        "required": ["command", "path"],
        "additionalProperties": False,
    }

    def run(self, sandbox: Sandbox, arguments: dict[str, Any]) -> Observation:
        command = arguments["command"]
        path = arguments["path"]
        handler = {
            "view": self._view,
            "create": self._create,
            "str_replace": self._str_replace,
            "insert": self._insert,
            "undo_edit": self._undo,
        }[command]
        return Observation(content=cap_text(handler(sandbox, path, arguments)))

    # -- operations -----------------------------------------------------------

    def _view(self, sandbox: Sandbox, path: str, args: dict[str, Any]) -> str:
        real, kind = confine(sandbox, path, must_exist=True)
        if kind == "dir":
            if args.get("view_range") is not None:
                raise ToolError("view_range only applies to files, not directories")
            q = shell_quote(real)
            listing = sandbox.run(
                f"find {q} -maxdepth 2 -not -path '*/.*' | sort | head -n 500", timeout=30
            )
            root = sandbox.workdir.rstrip("/") + "/"
            entries = [
                ln[len(root) :] if ln.startswith(root) else ln for ln in listing.output.splitlines()
            ]
            return f"Files and directories in {path} (2 levels, hidden ones left out):\n" + (
                "\n".join(entries)
            )
        text = read_text(sandbox, real)
        lines = text.split("\n")
        if text.endswith("\n"):
            lines = lines[:-1]
        view_range = args.get("view_range")
        if view_range is None:
            return f"{path}:\n" + number_lines(text)
        start, end = view_range
        n = len(lines)
        if start < 1 or start > max(n, 1):
            raise ToolError(f"view_range start {start} is out of range: {path} has {n} lines")
        if end == -1:
            end = n
        if end < start or end > n:
            raise ToolError(
                f"view_range end {end} is invalid: it must be -1 or between {start} and {n}"
            )
        chunk = "\n".join(lines[start - 1 : end])
        return f"{path} (lines {start}-{end} of {n}):\n" + number_lines(chunk, start)

    def _create(self, sandbox: Sandbox, path: str, args: dict[str, Any]) -> str:
        if "file_text" not in args:
            raise ToolError("create needs file_text (the content of the new file)")
        real, kind = confine(sandbox, path)
        if kind != "missing":
            raise ToolError(
                f"{path} already exists; use str_replace or insert to change it "
                "(or remove it with bash first)"
            )
        write_text(sandbox, real, args["file_text"])
        self._push(sandbox, real, None)
        return f"Created {path} ({len(args['file_text'].splitlines())} lines)."

    def _str_replace(self, sandbox: Sandbox, path: str, args: dict[str, Any]) -> str:
        if "old_str" not in args:
            raise ToolError("str_replace needs old_str (the exact text to replace)")
        old, new = args["old_str"], args.get("new_str", "")
        if old == "":
            raise ToolError("old_str is empty; to add text use insert")
        real, _ = confine(sandbox, path, must_exist=True)
        text = read_text(sandbox, real)
        count = text.count(old)
        if count == 0:
            hint = ""
            if old.strip() and old.strip() in text:
                hint = " (it matches if leading/trailing whitespace is ignored: copy it exactly)"
            raise ToolError(
                f"old_str was not found in {path}{hint}. View the file and copy the exact "
                "text, including indentation and line breaks."
            )
        if count > 1:
            at = []
            pos = text.find(old)
            while pos != -1 and len(at) < 10:
                at.append(text.count("\n", 0, pos) + 1)
                pos = text.find(old, pos + 1)
            raise ToolError(
                f"old_str occurs {count} times in {path} (lines {', '.join(map(str, at))}); "
                "include more surrounding lines so it matches exactly once"
            )
        index = text.index(old)
        updated = text[:index] + new + text[index + len(old) :]
        write_text(sandbox, real, updated)
        self._push(sandbox, real, text)
        first = text.count("\n", 0, index) + 1
        return f"Edited {path}. " + self._snippet(updated, first, new.count("\n") + 1)

    def _insert(self, sandbox: Sandbox, path: str, args: dict[str, Any]) -> str:
        if "insert_line" not in args or "new_str" not in args:
            raise ToolError("insert needs insert_line and new_str")
        real, _ = confine(sandbox, path, must_exist=True)
        text = read_text(sandbox, real)
        lines = text.split("\n") if text else []
        trailing = text.endswith("\n")
        if trailing:
            lines = lines[:-1]
        line = args["insert_line"]
        if line > len(lines):
            raise ToolError(f"insert_line {line} is past the end: {path} has {len(lines)} lines")
        new_lines = args["new_str"].split("\n")
        if args["new_str"].endswith("\n"):
            new_lines = new_lines[:-1]
        merged = lines[:line] + new_lines + lines[line:]
        updated = "\n".join(merged) + ("\n" if trailing or not text else "")
        write_text(sandbox, real, updated)
        self._push(sandbox, real, text)
        return f"Inserted into {path}. " + self._snippet(updated, line + 1, len(new_lines))

    def _undo(self, sandbox: Sandbox, path: str, args: dict[str, Any]) -> str:
        real, _ = confine(sandbox, path)
        stack = sandbox.state.setdefault(HISTORY_KEY, {}).get(real)
        if not stack:
            raise ToolError(f"there is no edit of {path} to undo")
        previous = stack.pop()
        if previous is None:
            sandbox.run(f"rm -f -- {shell_quote(real)}", timeout=30)
            return f"Undid the creation of {path}: the file is removed."
        write_text(sandbox, real, previous)
        return f"Undid the last edit of {path}."

    # -- helpers ----------------------------------------------------------------

    @staticmethod
    def _push(sandbox: Sandbox, real: str, previous: str | None) -> None:
        sandbox.state.setdefault(HISTORY_KEY, {}).setdefault(real, []).append(previous)

    @staticmethod
    def _snippet(text: str, first_line: int, count: int) -> str:
        lines = text.split("\n")
        lo = max(1, first_line - SNIPPET_CONTEXT)
        hi = min(len(lines), first_line + count - 1 + SNIPPET_CONTEXT)
        body = number_lines("\n".join(lines[lo - 1 : hi]), lo)
        return f"Lines {lo}-{hi} now read:\n{body}\nCheck the change is what you meant."
