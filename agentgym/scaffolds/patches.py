"""Patch and block formats real harnesses edit with, parsed and applied in pure Python.

* :func:`parse_v4a` / :func:`apply_v4a`: Codex CLI's ``apply_patch`` envelope
  (``*** Begin Patch`` / ``*** Add File:`` / ``*** Update File:`` / ``*** Move to:`` /
  ``*** Delete File:`` / ``@@`` hunks / ``*** End of File`` / ``*** End Patch``), following
  the grammar in ``codex-rs/apply-patch/apply_patch_tool_instructions.md``.
* :func:`parse_unified` / :func:`apply_unified`: ``diff -u`` / ``git diff`` hunks.
* :func:`replace_once`: one exact SEARCH/REPLACE (Aider's blocks, Cline's ``replace_in_file``).
* :func:`parse_marker_blocks`: Cline's ``------- SEARCH`` / ``=======`` / ``+++++++ REPLACE``
  blocks (the older ``<<<<<<< SEARCH`` / ``>>>>>>> REPLACE`` markers too).

Everything works on a :class:`Files` store (the sandbox in the env, a dict in tests); a patch is
checked whole before anything is written, so a bad patch changes nothing. Malformed input
raises :class:`PatchError` with a message written for the agent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from agentgym.errors import ToolError


class PatchError(ToolError):
    """A patch or edit block that cannot be parsed or applied; the message is for the agent."""


class Files(Protocol):
    """Where patches read and write (paths as the agent wrote them)."""

    def read(self, path: str) -> str | None: ...  # None: no such file

    def write(self, path: str, text: str) -> None: ...

    def delete(self, path: str) -> None: ...


@dataclass
class DictFiles:
    """An in-memory :class:`Files` (tests, dry runs)."""

    files: dict[str, str] = field(default_factory=dict)

    def read(self, path: str) -> str | None:
        return self.files.get(path)

    def write(self, path: str, text: str) -> None:
        self.files[path] = text

    def delete(self, path: str) -> None:
        self.files.pop(path, None)


# --- Codex V4A -------------------------------------------------------------------------------

BEGIN, END = "*** Begin Patch", "*** End Patch"
ADD, DELETE, UPDATE, MOVE = (
    "*** Add File: ",
    "*** Delete File: ",
    "*** Update File: ",
    "*** Move to: ",
)
EOF_MARK = "*** End of File"


@dataclass
class Chunk:
    """One ``@@`` hunk: context headers to seek, then old and new lines."""

    headers: list[str] = field(default_factory=list)
    old: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    end_of_file: bool = False


@dataclass
class FileOp:
    kind: str  # add | delete | update
    path: str
    move_to: str | None = None
    content: str = ""  # add
    chunks: list[Chunk] = field(default_factory=list)  # update


def parse_v4a(text: str) -> list[FileOp]:
    """The file operations of a V4A patch; :class:`PatchError` says what is malformed."""
    lines = text.strip().split("\n")
    lines = [line.rstrip("\r") for line in lines]
    if not lines or lines[0].strip() != BEGIN:
        raise PatchError(f"Invalid patch: The first line of the patch must be '{BEGIN}'")
    if lines[-1].strip() != END:
        raise PatchError(f"Invalid patch: The last line of the patch must be '{END}'")
    ops: list[FileOp] = []
    i, last = 1, len(lines) - 1
    while i < last:
        line = lines[i]
        if line.startswith(ADD):
            op = FileOp("add", _path(line[len(ADD) :], i))
            body: list[str] = []
            i += 1
            while i < last and lines[i].startswith("+"):
                body.append(lines[i][1:])
                i += 1
            op.content = "\n".join(body) + ("\n" if body else "")
            ops.append(op)
        elif line.startswith(DELETE):
            ops.append(FileOp("delete", _path(line[len(DELETE) :], i)))
            i += 1
        elif line.startswith(UPDATE):
            op = FileOp("update", _path(line[len(UPDATE) :], i))
            i += 1
            if i < last and lines[i].startswith(MOVE):
                op.move_to = _path(lines[i][len(MOVE) :], i)
                i += 1
            i = _parse_chunks(lines, i, last, op)
            if not op.chunks:
                raise PatchError(
                    f"Invalid patch hunk on line {i + 1}: Update file hunk for path '{op.path}' is empty"
                )
            ops.append(op)
        elif not line.strip():
            i += 1
        else:
            raise PatchError(
                f"Invalid patch hunk on line {i + 1}: '{line}' is not a valid hunk header. Valid "
                f"hunk headers: '{ADD}{{path}}', '{DELETE}{{path}}', '{UPDATE}{{path}}'"
            )
    if not ops:
        raise PatchError("Invalid patch: no file operations between the Begin and End lines")
    return ops


def _path(raw: str, i: int) -> str:
    path = raw.strip()
    if not path:
        raise PatchError(f"Invalid patch hunk on line {i + 1}: the file path is empty")
    if path.startswith("/"):
        raise PatchError(
            f"Invalid patch hunk on line {i + 1}: '{path}' is absolute; file references can "
            "only be relative"
        )
    return path


def _parse_chunks(lines: list[str], i: int, last: int, op: FileOp) -> int:
    chunk: Chunk | None = None
    while i < last:
        line = lines[i]
        if line.startswith("*** ") and line.strip() != EOF_MARK:
            break  # the next file operation
        if line.strip() == EOF_MARK:
            if chunk is None:
                raise PatchError(
                    f"Invalid patch hunk on line {i + 1}: '{EOF_MARK}' before any hunk"
                )
            chunk.end_of_file = True
            i += 1
            continue
        if line.startswith("@@"):
            header = line[2:].strip()
            if chunk is None or chunk.old or chunk.new:
                chunk = Chunk()
                op.chunks.append(chunk)
            if header:
                chunk.headers.append(header)
        else:
            if chunk is None:  # the first hunk may omit its @@ line
                chunk = Chunk()
                op.chunks.append(chunk)
            tag, body = (line[:1], line[1:]) if line else (" ", "")
            if tag == " ":
                chunk.old.append(body)
                chunk.new.append(body)
            elif tag == "-":
                chunk.old.append(body)
            elif tag == "+":
                chunk.new.append(body)
            else:
                raise PatchError(
                    f"Invalid patch hunk on line {i + 1}: Unexpected line found in update hunk: "
                    f"'{line}'. Every line should start with ' ' (context line), '+' (added "
                    "line), or '-' (removed line)"
                )
        i += 1
    return i


def _seek(lines: list[str], pattern: list[str], start: int, eof: bool = False) -> int | None:
    """Index of ``pattern`` in ``lines`` from ``start``: exact, then ignoring trailing, then all
    surrounding whitespace (as Codex does); at the end first when ``eof``."""
    if not pattern:
        return len(lines) if eof else start
    n = len(pattern)
    norms: list[Callable[[str], str]] = [lambda s: s, str.rstrip, str.strip]
    for norm in norms:
        want = [norm(p) for p in pattern]
        candidates = range(start, len(lines) - n + 1)
        if eof:
            candidates = [len(lines) - n, *candidates]  # type: ignore[assignment]
        for k in candidates:
            if k >= 0 and [norm(x) for x in lines[k : k + n]] == want:
                return k
    return None


def _update(path: str, text: str, chunks: list[Chunk]) -> str:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    cursor = 0
    edits: list[tuple[int, int, list[str]]] = []
    for chunk in chunks:
        for header in chunk.headers:
            at = _seek(lines, [header], cursor)
            if at is None:
                raise PatchError(f"Failed to find context '{header}' in {path}")
            cursor = at + 1
        at = _seek(lines, chunk.old, cursor, chunk.end_of_file)
        if at is None:
            raise PatchError(f"Failed to find expected lines in {path}:\n" + "\n".join(chunk.old))
        edits.append((at, at + len(chunk.old), chunk.new))
        cursor = at + len(chunk.old)
    for start, stop, new in reversed(edits):
        lines[start:stop] = new
    return "\n".join(lines) + "\n"


def apply_v4a(text: str, files: Files) -> list[str]:
    """Apply a V4A patch; returns Codex's summary lines (``A path``, ``M path``, ``D path``)."""
    ops = parse_v4a(text)
    writes: list[tuple[str, str | None]] = []  # (path, new text or None to delete)
    summary: list[str] = []
    pending: dict[str, str | None] = {}

    def current(path: str) -> str | None:
        return pending[path] if path in pending else files.read(path)

    for op in ops:
        if op.kind == "add":
            writes.append((op.path, op.content))
            pending[op.path] = op.content
            summary.append(f"A {op.path}")
        elif op.kind == "delete":
            if current(op.path) is None:
                raise PatchError(f"Failed to delete file {op.path}: No such file or directory")
            writes.append((op.path, None))
            pending[op.path] = None
            summary.append(f"D {op.path}")
        else:
            old = current(op.path)
            if old is None:
                raise PatchError(
                    f"Failed to read file to update {op.path}: No such file or directory"
                )
            new = _update(op.path, old, op.chunks)
            if op.move_to:
                writes += [(op.move_to, new), (op.path, None)]
                pending[op.move_to], pending[op.path] = new, None
                summary.append(f"M {op.move_to}")
            else:
                writes.append((op.path, new))
                pending[op.path] = new
                summary.append(f"M {op.path}")
    for path, new in writes:
        if new is None:
            files.delete(path)
        else:
            files.write(path, new)
    return summary


# --- unified diff ----------------------------------------------------------------------------

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class UnifiedFile:
    old_path: str | None  # None: /dev/null (a new file)
    new_path: str | None  # None: /dev/null (a deleted file)
    hunks: list[tuple[int, list[str], list[str]]] = field(default_factory=list)


def parse_unified(text: str) -> list[UnifiedFile]:
    """The files and hunks of a unified diff (``---``/``+++`` headers, ``@@`` hunks)."""
    lines = text.split("\n")
    out: list[UnifiedFile] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            cur = UnifiedFile(_diff_path(line[4:]), _diff_path(lines[i + 1][4:]))
            out.append(cur)
            i += 2
            while i < len(lines) and lines[i].startswith("@@"):
                m = _HUNK.match(lines[i])
                if m is None:
                    raise PatchError(f"malformed hunk header on line {i + 1}: {lines[i]!r}")
                old_n = int(m.group(2) or 1)
                new_n = int(m.group(4) or 1)
                start = int(m.group(1))
                old: list[str] = []
                new: list[str] = []
                i += 1
                while i < len(lines) and (len(old) < old_n or len(new) < new_n):
                    h = lines[i]
                    if h.startswith("\\"):  # "\ No newline at end of file"
                        i += 1
                        continue
                    tag, body = (h[:1], h[1:]) if h else (" ", "")
                    if tag == " ":
                        old.append(body)
                        new.append(body)
                    elif tag == "-":
                        old.append(body)
                    elif tag == "+":
                        new.append(body)
                    else:
                        raise PatchError(
                            f"malformed hunk line {i + 1}: {h!r} (hunk lines start with ' ', "
                            "'-' or '+'; the hunk header's line counts must match its body)"
                        )
                    i += 1
                if len(old) != old_n or len(new) != new_n:
                    raise PatchError(
                        f"truncated hunk at line {i}: expected {old_n} old and {new_n} new lines, "
                        f"got {len(old)} and {len(new)}"
                    )
                cur.hunks.append((start, old, new))
            continue
        i += 1
    if not out:
        raise PatchError(
            "no file headers found: a unified diff starts with '--- a/FILE' and '+++ b/FILE'"
        )
    return out


def _diff_path(raw: str) -> str | None:
    path = raw.split("\t")[0].strip()
    if path == "/dev/null":
        return None
    if path.startswith(("a/", "b/")):
        path = path[2:]
    if not path:
        raise PatchError("a diff header names no file")
    return path


def apply_unified(text: str, files: Files) -> list[str]:
    """Apply a unified diff (each hunk found at its line number, else anywhere exactly once)."""
    writes: list[tuple[str, str | None]] = []
    summary: list[str] = []
    for f in parse_unified(text):
        if f.old_path is None:
            assert f.new_path is not None
            body = [line for _, _, new in f.hunks for line in new]
            writes.append((f.new_path, "\n".join(body) + "\n" if body else ""))
            summary.append(f"A {f.new_path}")
            continue
        old = files.read(f.old_path)
        if old is None:
            raise PatchError(f"can't find file to patch: {f.old_path}")
        if f.new_path is None:
            writes.append((f.old_path, None))
            summary.append(f"D {f.old_path}")
            continue
        lines = old.split("\n")
        trailing = bool(lines) and lines[-1] == ""
        if trailing:
            lines.pop()
        shift = 0  # lines added minus lines removed by the hunks before this one
        for n, (start, before, after) in enumerate(f.hunks, 1):
            if not before:  # a pure insertion after old line ``start``
                at = min(start + shift, len(lines))
                lines[at:at] = after
            else:
                at = start - 1 + shift
                if lines[at : at + len(before)] != before:
                    found = [
                        k
                        for k in range(len(lines) - len(before) + 1)
                        if lines[k : k + len(before)] == before
                    ]
                    if len(found) != 1:
                        why = "does not match" if not found else "matches more than one place"
                        raise PatchError(
                            f"hunk #{n} of {f.old_path} {why} the file; FAILED at line {start}"
                        )
                    at = found[0]
                lines[at : at + len(before)] = after
            shift += len(after) - len(before)
        writes.append((f.new_path, "\n".join(lines) + ("\n" if trailing or lines else "")))
        summary.append(f"M {f.new_path}")
        if f.new_path != f.old_path:
            writes.append((f.old_path, None))
    for path, new in writes:
        if new is None:
            files.delete(path)
        else:
            files.write(path, new)
    return summary


# --- SEARCH/REPLACE --------------------------------------------------------------------------


def replace_once(content: str, search: str, replace: str, *, path: str = "") -> str:
    """Replace the first exact occurrence of ``search``; if it is absent, try matching whole
    lines with their trailing whitespace ignored (both harnesses are this lenient). An empty
    ``search`` appends (Aider: a new file's contents)."""
    if search == "":
        return content + replace
    at = content.find(search)
    if at >= 0:
        return content[:at] + replace + content[at + len(search) :]
    lines = content.split("\n")
    want = [s.rstrip() for s in search.rstrip("\n").split("\n")]
    for k in range(len(lines) - len(want) + 1):
        if [x.rstrip() for x in lines[k : k + len(want)]] == want:
            new = replace.rstrip("\n").split("\n") if replace.strip("\n") else []
            return "\n".join(lines[:k] + new + lines[k + len(want) :])
    raise PatchError(f"the SEARCH text was not found in {path or 'the file'}")


_CLINE_SEARCH = re.compile(r"^[-]{3,} SEARCH>?$|^<{3,} SEARCH>?$")
_CLINE_SEP = re.compile(r"^={3,}$")
_CLINE_REPLACE = re.compile(r"^[+]{3,} REPLACE>?$|^>{3,} REPLACE>?$")


def parse_marker_blocks(diff: str) -> list[tuple[str, str]]:
    """(search, replace) pairs of Cline's ``replace_in_file`` diff argument."""
    blocks: list[tuple[str, str]] = []
    state = "idle"
    search: list[str] = []
    replace: list[str] = []
    for n, line in enumerate(diff.split("\n"), 1):
        if _CLINE_SEARCH.match(line.strip()) and state in ("idle",):
            state, search, replace = "search", [], []
        elif _CLINE_SEP.match(line.strip()) and state == "search":
            state = "replace"
        elif _CLINE_REPLACE.match(line.strip()) and state == "replace":
            blocks.append(
                (
                    "\n".join(search) + ("\n" if search else ""),
                    "\n".join(replace) + ("\n" if replace else ""),
                )
            )
            state = "idle"
        elif state == "search":
            search.append(line)
        elif state == "replace":
            replace.append(line)
        elif line.strip():
            raise PatchError(f"line {n} of the diff is outside a SEARCH/REPLACE block: {line!r}")
    if state != "idle":
        missing = "=======" if state == "search" else "+++++++ REPLACE"
        raise PatchError(
            f"the last SEARCH/REPLACE block is not closed: missing the {missing} marker"
        )
    if not blocks:
        raise PatchError("no SEARCH/REPLACE blocks found in the diff")
    return blocks


__all__ = [
    "Chunk",
    "DictFiles",
    "FileOp",
    "Files",
    "PatchError",
    "UnifiedFile",
    "apply_unified",
    "apply_v4a",
    "parse_marker_blocks",
    "parse_unified",
    "parse_v4a",
    "replace_once",
]
