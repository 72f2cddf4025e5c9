"""Tool use written into the assistant's text, parsed the way each harness parses it.

* :func:`parse_fenced`: mini-swe-agent's action regex, ``r"```bash\\s*\\n(.*?)\\n```"``
  (the fence's language tag is the profile's), ``re.DOTALL``.
* :func:`parse_xml_tools`: Cline's XML tool use, ``<tool><param>value</param></tool>`` with the
  tool and parameter names it was shown; ``content`` / ``diff`` values run to their *last*
  closing tag (they may contain tags themselves) and lose one leading and trailing newline.
* :func:`parse_edit_blocks`: Aider's *SEARCH/REPLACE* blocks (file path on the line before the
  opening fence, ``<<<<<<< SEARCH`` / ``=======`` / ``>>>>>>> REPLACE``) and the shell commands
  it suggests in ```bash blocks (one command per line, as Aider runs them).

Malformed text raises :class:`TextActionError`; the env shows it to the agent in the harness's
format-error wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentgym.errors import ParseError


class TextActionError(ParseError):
    """The reply breaks the harness's text format. ``count`` is how many actions were found."""

    def __init__(self, message: str, *, count: int = 0, raw: str | None = None) -> None:
        super().__init__(message, raw=raw)
        self.count = count


def parse_fenced(text: str, fence: str = "bash") -> list[str]:
    """The bodies of the ```<fence> blocks, in order."""
    pattern = re.compile(rf"```{re.escape(fence)}\s*\n(.*?)\n```", re.DOTALL)
    return [m.group(1) for m in pattern.finditer(text or "")]


_MULTILINE_PARAMS = frozenset({"content", "diff", "file_text", "result", "patch", "input"})


def parse_xml_tools(
    text: str, tools: dict[str, list[str]], *, first_only: bool = True
) -> list[tuple[str, dict[str, str]]]:
    """(tool, {param: value}) for each XML tool use of a known tool, in order of appearance
    (only the first one when ``first_only``, as Cline runs one tool per message). A tool use
    whose closing tag is missing raises :class:`TextActionError`."""
    text = text or ""
    found: list[tuple[int, str]] = []
    for name in tools:
        for m in re.finditer(rf"<{re.escape(name)}>", text):
            found.append((m.start(), name))
    found.sort()
    out: list[tuple[str, dict[str, str]]] = []
    cursor = 0
    for start, name in found:
        if start < cursor:
            continue  # inside an earlier tool use (e.g. in a file's content)
        open_tag, close_tag = f"<{name}>", f"</{name}>"
        body_start = start + len(open_tag)
        has_multiline = any(p in _MULTILINE_PARAMS for p in tools[name])
        stop = text.rfind(close_tag) if has_multiline else text.find(close_tag, body_start)
        if stop < body_start:
            raise TextActionError(
                f"the <{name}> tool use is not closed: end it with {close_tag}", count=len(out)
            )
        body = text[body_start:stop]
        params: dict[str, str] = {}
        for p in tools[name]:
            p_open, p_close = f"<{p}>", f"</{p}>"
            a = body.find(p_open)
            if a < 0:
                continue
            b = body.rfind(p_close) if p in _MULTILINE_PARAMS else body.find(p_close, a)
            if b < a:
                raise TextActionError(
                    f"the <{p}> parameter of <{name}> is not closed: end it with {p_close}",
                    count=len(out),
                )
            value = body[a + len(p_open) : b]
            if p in _MULTILINE_PARAMS:
                value = value.removeprefix("\n").removesuffix("\n")
            else:
                value = value.strip()
            params[p] = value
        out.append((name, params))
        cursor = stop + len(close_tag)
        if first_only:
            break
    return out


@dataclass(frozen=True)
class EditBlock:
    path: str
    search: str
    replace: str


_HEAD = re.compile(r"^<{5,9} SEARCH>?\s*$")
_DIVIDER = re.compile(r"^={5,9}\s*$")
_UPDATED = re.compile(r"^>{5,9} REPLACE\s*$")
_FENCE = re.compile(r"^(`{3,}|~{3,})(\S*)\s*$")


def parse_edit_blocks(text: str, shell_fence: str = "bash") -> tuple[list[EditBlock], list[str]]:
    """Aider's edit blocks and the shell commands of its ```bash blocks (one per line)."""
    lines = (text or "").split("\n")
    blocks: list[EditBlock] = []
    commands: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line.strip())
        if (
            fence
            and fence.group(2) in (shell_fence, "sh", "shell")
            and not _block_follows(lines, i)
        ):
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence.group(1)):
                cmd = lines[i].strip()
                if cmd and not cmd.startswith("#"):
                    commands.append(cmd)
                i += 1
            i += 1
            continue
        if _HEAD.match(line.strip()):
            path = _block_path(lines, i)
            if path is None:
                raise TextActionError(
                    "\n".join(lines[: i + 1])
                    + "\n^^^ Bad/missing filename. The filename must be alone on the line before "
                    "the opening fence",
                    count=len(blocks),
                )
            search: list[str] = []
            i += 1
            while i < len(lines) and not _DIVIDER.match(lines[i].strip()):
                if _HEAD.match(lines[i].strip()) or _UPDATED.match(lines[i].strip()):
                    raise TextActionError(
                        "\n".join(lines[: i + 1]) + "\n^^^ Expected `=======`", count=len(blocks)
                    )
                search.append(lines[i])
                i += 1
            if i >= len(lines):
                raise TextActionError(
                    "\n".join(lines) + "\n^^^ Expected `=======`", count=len(blocks)
                )
            replace: list[str] = []
            i += 1
            while i < len(lines) and not _UPDATED.match(lines[i].strip()):
                if _HEAD.match(lines[i].strip()) or _DIVIDER.match(lines[i].strip()):
                    raise TextActionError(
                        "\n".join(lines[: i + 1]) + "\n^^^ Expected `>>>>>>> REPLACE` or `=======`",
                        count=len(blocks),
                    )
                replace.append(lines[i])
                i += 1
            if i >= len(lines):
                raise TextActionError(
                    "\n".join(lines) + "\n^^^ Expected `>>>>>>> REPLACE` or `=======`",
                    count=len(blocks),
                )
            blocks.append(
                EditBlock(
                    path,
                    "\n".join(search) + ("\n" if search else ""),
                    "\n".join(replace) + ("\n" if replace else ""),
                )
            )
        i += 1
    return blocks, commands


def _block_follows(lines: list[str], i: int) -> bool:
    """Whether the fence opened on line ``i`` holds a SEARCH/REPLACE block."""
    return any(_HEAD.match(line.strip()) for line in lines[i + 1 : i + 3])


def _block_path(lines: list[str], head: int) -> str | None:
    """The file path of the block whose ``<<<<<<< SEARCH`` is on line ``head``: the nearest
    non-fence line above it, cleaned as Aider cleans it."""
    for k in range(head - 1, max(head - 4, -1), -1):
        raw = lines[k].strip()
        if not raw or _FENCE.match(raw):
            continue
        path = raw.strip("`*#").rstrip(":").strip()
        return path or None
    return None


__all__ = [
    "EditBlock",
    "TextActionError",
    "parse_edit_blocks",
    "parse_fenced",
    "parse_xml_tools",
]
