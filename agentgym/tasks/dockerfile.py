"""What agentgym reads from a task's Dockerfile without building it: the final WORKDIR and
the base images (``FROM``), and a ``FROM`` rewrite for offline builds."""

from __future__ import annotations

import json
import posixpath
import re

_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$", re.S)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if pending and line.lstrip().startswith("#"):
            continue  # comment lines inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        match = _INSTRUCTION.match(pending)
        if match:
            out.append((match.group(1).upper(), match.group(2).strip()))
        pending = ""
    if pending:
        match = _INSTRUCTION.match(pending)
        if match:
            out.append((match.group(1).upper(), match.group(2).strip()))
    return out


def _argument(value: str) -> str:
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, list) and parsed:
            return str(parsed[0])
    return value.split()[0] if value.split() else value


def final_workdir(text: str) -> str | None:
    """The WORKDIR the final stage ends with (relative WORKDIRs resolved, stages followed),
    or None where the Dockerfile sets none (the base image decides)."""
    stage_dirs: dict[str, str | None] = {}
    current: str | None = None
    alias: str | None = None
    for instruction, args in instructions(text):
        if instruction == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            current = stage_dirs.get(words[0].lower()) if words else None
            alias = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        elif instruction == "WORKDIR":
            path = _argument(args)
            current = posixpath.normpath(
                path if path.startswith("/") else posixpath.join(current or "/", path)
            )
        else:
            continue
        if alias:
            stage_dirs[alias] = current
    return current


def base_images(text: str) -> list[str]:
    """The images the ``FROM`` lines name (stage aliases left out)."""
    aliases: set[str] = set()
    out = []
    for instruction, args in instructions(text):
        if instruction != "FROM":
            continue
        words = [w for w in args.split() if not w.startswith("--")]
        if not words:
            continue
        if words[0].lower() not in aliases:
            out.append(words[0])
        if len(words) >= 3 and words[1].lower() == "as":
            aliases.add(words[2].lower())
    return out


def rewrite_from(text: str, image: str) -> str:
    """``text`` with every external ``FROM`` image replaced by ``image`` (stage aliases and
    ``--platform`` flags kept): how fixtures written for a registry build offline."""
    aliases: set[str] = set()
    lines = []
    for line in text.splitlines(keepends=True):
        match = re.match(r"^(\s*FROM\s+)((?:--\S+\s+)*)(\S+)(.*)$", line, re.I | re.S)
        if match:
            rest = match.group(4)
            alias = re.match(r"\s+AS\s+(\S+)", rest, re.I)
            if match.group(3).lower() not in aliases:
                line = match.group(1) + match.group(2) + image + rest
            if alias:
                aliases.add(alias.group(1).lower())
        lines.append(line)
    return "".join(lines)
