"""Tool semantics of real harnesses, mapped onto the sandbox exactly.

:class:`ScaffoldTool` is an agentgym :class:`~agentgym.tools.Tool` built from a profile's
:class:`~agentgym.scaffolds.models.ToolDef`: the harness's name, description and schema, and a
handler per ``semantics`` that does what the harness's tool does (a patch tool applies
patches, a whole-file write writes the file, a think tool changes nothing) and answers in the
harness's framing. Every misuse (bad arguments, a path outside the workspace, a SEARCH block
that does not match, a malformed patch) is an error observation in the harness's error style;
nothing the agent writes raises out of :meth:`ScaffoldTool.execute`.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import shlex
from collections.abc import Callable
from typing import Any

from agentgym.errors import AgentGymError, ToolError
from agentgym.sandbox.base import Sandbox, shell_quote
from agentgym.scaffolds.models import ScaffoldProfile, ToolDef
from agentgym.scaffolds.patches import (
    PatchError,
    apply_unified,
    apply_v4a,
    parse_marker_blocks,
    replace_once,
)
from agentgym.tools.base import Tool
from agentgym.tools.files import confine, read_text, write_text
from agentgym.types import ExecResult, Observation

HISTORY_KEY = "scaffold_editor_history"
SNIPPET_LINES = 4


class SandboxFiles:
    """:class:`~agentgym.scaffolds.patches.Files` on the sandbox, confined to the workspace."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def read(self, path: str) -> str | None:
        real, kind = confine(self.sandbox, path)
        if kind == "missing":
            return None
        return read_text(self.sandbox, real)

    def write(self, path: str, text: str) -> None:
        real, kind = confine(self.sandbox, path)
        if kind == "dir":
            raise ToolError(f"{path} is a directory")
        parent = posixpath.dirname(real)
        self.sandbox.run(f"mkdir -p {shell_quote(parent)}", timeout=30)
        write_text(self.sandbox, real, text)

    def delete(self, path: str) -> None:
        real, kind = confine(self.sandbox, path, must_exist=True)
        if kind != "file":
            raise ToolError(f"{path} is not a regular file")
        self.sandbox.run(f"rm -f -- {shell_quote(real)}", timeout=30)


class Call:
    """One call's view: the profile, the tool definition, the arguments by adapter name."""

    def __init__(self, tool: ScaffoldTool, sandbox: Sandbox, arguments: dict[str, Any]) -> None:
        self.tool = tool
        self.tdef = tool.tdef
        self.profile = tool.profile
        self.sandbox = sandbox
        self.arguments = arguments
        self.opts = tool.tdef.options

    def get(self, name: str, default: Any = None) -> Any:
        param = self.tdef.args.get(name, name)
        return self.arguments.get(param, default)

    def need(self, name: str) -> Any:
        value = self.get(name)
        if value is None:
            param = self.tdef.args.get(name, name)
            raise ToolError(
                self.opts.get("missing_param", "Missing required parameter '{param}'.").format(
                    param=param, tool=self.tdef.name
                )
            )
        return value

    def path(self, name: str = "path") -> str:
        path = str(self.need(name))
        if self.opts.get("absolute_paths") and not path.startswith("/"):
            raise ToolError(
                f"The path {path} is not an absolute path, it should start with `/`. Maybe you "
                f"meant {posixpath.join(self.sandbox.workdir, path)}?"
            )
        return path


class ScaffoldTool(Tool):
    """A harness's tool: its spec as the harness shows it, its semantics on the sandbox."""

    def __init__(self, tdef: ToolDef, profile: ScaffoldProfile) -> None:
        self.tdef = tdef
        self.profile = profile
        self.name = tdef.name  # type: ignore[misc]
        self.description = tdef.description  # type: ignore[misc]
        self.parameters = tdef.parameters  # type: ignore[misc]
        super().__init__()
        self._handler: Callable[[Call], Observation] = HANDLERS[tdef.semantics]

    def validate(self, arguments: dict[str, Any]) -> str | None:
        problem = super().validate(arguments)
        if problem is None:
            return None
        missing = [
            p for p in self.parameters.get("required", []) if p not in arguments
        ]  # the common case, said the harness's way
        if missing and "missing_param" in self.tdef.options:
            return self.tdef.options["missing_param"].format(param=missing[0], tool=self.name)
        return problem

    def execute(self, sandbox: Sandbox, arguments: dict[str, Any]) -> Observation:
        if not isinstance(arguments, dict):
            return self._error(f"Invalid arguments for {self.name}: expected a JSON object")
        problem = self.validate(arguments)
        if problem:
            return self._error(problem)
        try:
            obs = self._handler(Call(self, sandbox, arguments))
        except ToolError as exc:
            return self._error(str(exc), arguments)
        except AgentGymError as exc:
            return Observation(
                content=f"Error: the sandbox failed while running '{self.name}': {exc}",
                is_error=True,
                metadata={"infrastructure_error": True},
            )
        except (OSError, UnicodeError, ValueError) as exc:
            return self._error(str(exc), arguments)
        canonical = self._canonical(arguments)
        if canonical is not None and "real_call" not in obs.metadata:
            # what the monitor judges: the call in agentgym's own tool names
            obs = obs.model_copy(update={"metadata": {**obs.metadata, "real_call": canonical}})
        return self._frame(obs, arguments)

    def _canonical(self, arguments: dict[str, Any]) -> dict[str, Any] | None:
        """This call as agentgym's ``bash`` / ``editor`` call, for the monitor's rules."""
        get = lambda name: arguments.get(self.tdef.args.get(name, name))  # noqa: E731
        sem = self.tdef.semantics
        if sem == "shell" and get("command") is not None:
            return {"name": "bash", "arguments": {"command": shell_script(get("command"))}}
        if sem == "editor" and get("path") is not None:
            args = {
                "command": "create" if get("command") == "write" else get("command"),
                "path": get("path"),
            }
            for key, name in (("file_text", "file_text"), ("old", "old_str"), ("new", "new_str")):
                if get(key) is not None:
                    args[name] = get(key)
            return {"name": "editor", "arguments": args}
        if sem in ("write_file", "edit_file", "replace_blocks", "search_replace") and get("path"):
            text = get("content") or get("new") or get("diff") or get("replace") or ""
            return {
                "name": "editor",
                "arguments": {"command": "create", "path": get("path"), "file_text": text},
            }
        if sem == "read_file" and get("path"):
            return {"name": "editor", "arguments": {"command": "view", "path": get("path")}}
        if sem == "submit":
            return {"name": "submit", "arguments": {}}
        return None

    def run(self, sandbox: Sandbox, arguments: dict[str, Any]) -> Observation:  # pragma: no cover
        return self.execute(sandbox, arguments)

    def _error(self, message: str, arguments: dict[str, Any] | None = None) -> Observation:
        text = self.profile.responses.error.format(message=message, tool=self.name)
        return self._frame(Observation(content=text, is_error=True), arguments or {})

    def _frame(self, obs: Observation, arguments: dict[str, Any]) -> Observation:
        header = self.profile.responses.result_header
        if not header:
            return obs
        main = next((str(v) for v in arguments.values() if isinstance(v, str)), "")
        top = header.format(tool=self.name, arg=main.split("\n")[0][:200])
        return obs.model_copy(update={"content": f"{top}\n{obs.content}"})


# --- shell -------------------------------------------------------------------------------


def _clip(text: str, call: Call) -> tuple[str, bool]:
    r = call.profile.responses
    if len(text) <= r.max_output_chars:
        return text, False
    if r.truncation == "head":
        head = text[: r.max_output_chars]
        return head + r.truncation_notice.format(
            elided=len(text) - len(head), limit=r.max_output_chars
        ), True
    half = r.max_output_chars // 2
    notice = r.truncation_notice.format(elided=len(text) - 2 * half, limit=r.max_output_chars)
    return f"{text[:half]}\n{notice}\n{text[-half:]}", True


def shell_script(command: Any) -> str:
    """A shell tool's command as one script: a string as is; an argv list (Codex) unwrapped
    from ``["bash", "-lc", script]`` or joined with shell quoting."""
    if isinstance(command, str):
        return command
    argv = [str(a) for a in command]
    if (
        len(argv) == 3
        and argv[0] in ("bash", "sh", "/bin/bash", "/bin/sh", "zsh")
        and argv[1] in ("-lc", "-c")
    ):
        return argv[2]
    return shlex.join(argv)


def _run_shell(call: Call, script: str, timeout: float | None) -> ExecResult:
    if call.profile.responses.shell_in_subshell:
        # Each command in a fresh subshell from the workspace: cd and variables do not persist.
        script = f"cd {shell_quote(call.sandbox.workdir)} && (\n{script}\n)"
    return call.sandbox.run(script, timeout=timeout)


def shell(call: Call) -> Observation:
    command = call.need("command")
    if isinstance(command, list) and command and command[0] == "apply_patch":
        # Codex: ``shell {"command": ["apply_patch", "*** Begin Patch ..."]}``
        if len(command) != 2:
            raise ToolError("apply_patch takes exactly one argument: the patch")
        return _patch_result(call, lambda files: apply_v4a(str(command[1]), files))
    script = shell_script(command)
    if not script.strip():
        raise ToolError(call.opts.get("empty_command", "The command is empty."))
    workdir = call.get("workdir")
    if workdir:
        script = f"cd {shell_quote(str(workdir))} && {script}"
    timeout = call.get("timeout")
    if timeout is not None:
        timeout = float(timeout) / (1000.0 if call.opts.get("timeout_unit") == "ms" else 1.0)
        timeout = max(timeout, 1.0)
    result = _run_shell(call, script, timeout)
    r = call.profile.responses
    output = result.output
    finish = call.profile.finish
    if (
        finish.style == "marker"
        and output.lstrip().split("\n", 1)[0].strip() == finish.marker
        and (result.exit_code == 0 or not finish.marker_needs_success)
    ):
        return Observation(
            content=output,
            terminal=True,
            metadata={"exit_code": result.exit_code, "submitted_by": "marker"},
        )
    meta = {"exit_code": result.exit_code, "timed_out": result.timed_out}
    if r.shell_format == "codex_json":
        body, _ = _clip(output, call)
        text = json.dumps(
            {
                "output": body if not result.timed_out else f"command timed out\n{body}",
                "metadata": {
                    "exit_code": result.exit_code if result.exit_code is not None else -1,
                    "duration_seconds": round(result.duration_s, 1),
                },
            }
        )
        return Observation(content=text, is_error=result.timed_out, metadata=meta)
    if result.timed_out:
        body, _ = _clip(output, call)
        text = r.shell_timeout.format(output=body, command=script, cwd=call.sandbox.workdir)
        return Observation(content=text, is_error=True, metadata=meta)
    if not output.strip() and r.empty_output is not None:
        return Observation(content=r.empty_output.format(exit_code=result.exit_code), metadata=meta)
    body, clipped = _clip(output, call)
    long = call.opts.get("long_output")
    if clipped and long:
        half = r.max_output_chars // 2
        text = long.format(
            exit_code=result.exit_code,
            head=output[:half],
            tail=output[-half:],
            elided=len(output) - 2 * half,
        )
    else:
        text = r.shell.format(
            output=body,
            exit_code=result.exit_code,
            cwd=call.sandbox.workdir,
            duration=round(result.duration_s, 1),
            command=script,
        )
    return Observation(content=text, metadata=meta)


# --- the str_replace editor family (Anthropic's editor, OpenHands, SWE-agent, Goose) ---------


def _numbered(text: str, start: int = 1) -> str:
    lines = text.split("\n")
    if lines and lines[-1] == "" and text.endswith("\n"):
        lines.pop()
    return "\n".join(f"{i:6}\t{line}" for i, line in enumerate(lines, start))


def _snippet(text: str, first: int, last: int) -> str:
    lines = text.split("\n")
    lo = max(1, first - SNIPPET_LINES)
    hi = min(len(lines), last + SNIPPET_LINES)
    return _numbered("\n".join(lines[lo - 1 : hi]), lo)


def _history(call: Call, real: str) -> list[str]:
    store = call.sandbox.state.setdefault(HISTORY_KEY, {})
    return store.setdefault(real, [])


def editor(call: Call) -> Observation:
    command = call.need("command")
    path = call.path()
    real, kind = confine(call.sandbox, path)
    if command == "view":
        if kind == "dir":
            listing = call.sandbox.run(
                f"cd {shell_quote(real)} && find . -maxdepth 2 -not -path '*/.*' | sort | "
                f"sed 's|^\\./||' | grep -v '^\\.$' | head -400",
                timeout=30,
            )
            return Observation(
                content=f"Here's the files and directories up to 2 levels deep in {path}, "
                f"excluding hidden items:\n{listing.output}"
            )
        if kind == "missing":
            raise ToolError(f"The path {path} does not exist. Please provide a valid path.")
        text = read_text(call.sandbox, real)
        view_range = call.get("view_range")
        start = 1
        if view_range:
            lines = text.split("\n")
            if len(view_range) != 2 or not all(isinstance(v, int) for v in view_range):
                raise ToolError("Invalid `view_range`. It should be a list of two integers.")
            lo, hi = view_range
            if lo < 1 or lo > len(lines):
                raise ToolError(
                    f"Invalid `view_range`: {view_range}. Its first element `{lo}` should be "
                    f"within the range of lines of the file: [1, {len(lines)}]"
                )
            if hi != -1 and hi < lo:
                raise ToolError(
                    f"Invalid `view_range`: {view_range}. Its second element `{hi}` should be "
                    f"larger or equal than its first `{lo}`"
                )
            text = "\n".join(lines[lo - 1 :] if hi == -1 else lines[lo - 1 : hi])
            start = lo
        body, _ = _clip(_numbered(text, start), call)
        return Observation(content=f"Here's the result of running `cat -n` on {path}:\n{body}\n")
    if command in ("create", "write"):
        file_text = call.need("file_text")
        if command == "create" and kind == "file":
            raise ToolError(
                f"File already exists at: {path}. Cannot overwrite files using command `create`."
            )
        if kind == "dir":
            raise ToolError(f"{path} is a directory")
        if kind == "file":
            _history(call, real).append(read_text(call.sandbox, real))
        SandboxFiles(call.sandbox).write(real, file_text)
        verb = "created" if command == "create" else "written"
        return Observation(content=f"File {verb} successfully at: {path}")
    if kind != "file":
        raise ToolError(f"The path {path} does not exist. Please provide a valid path.")
    text = read_text(call.sandbox, real)
    if command == "str_replace":
        old = call.need("old")
        new = call.get("new", "") or ""
        count = text.count(old)
        if count == 0:
            raise ToolError(
                f"No replacement was performed, old_str `{old}` did not appear verbatim in {path}."
            )
        if count > 1:
            lines = [i + 1 for i, line in enumerate(text.split("\n")) if old.split("\n")[0] in line]
            raise ToolError(
                f"No replacement was performed. Multiple occurrences of old_str `{old}` in lines "
                f"{lines}. Please ensure it is unique."
            )
        if old == new:
            raise ToolError(
                "No replacement was performed, `new_str` and `old_str` must be different."
            )
        at = text.find(old)
        updated = text[:at] + new + text[at + len(old) :]
        _history(call, real).append(text)
        write_text(call.sandbox, real, updated)
        first = text[:at].count("\n") + 1
        snippet = _snippet(updated, first, first + new.count("\n"))
        return Observation(
            content=f"The file {path} has been edited. Here's the result of running `cat -n` on "
            f"a snippet of {path}:\n{snippet}\nReview the changes and make sure they are as "
            "expected. Edit the file again if necessary."
        )
    if command == "insert":
        line = call.need("insert_line")
        new = call.need("new")
        lines = text.split("\n")
        n = len(lines) - (1 if text.endswith("\n") else 0)
        if not isinstance(line, int) or line < 0 or line > n:
            raise ToolError(
                f"Invalid `insert_line` parameter: {line}. It should be within the range of "
                f"lines of the file: [0, {n}]"
            )
        new_lines = new.split("\n")
        if new.endswith("\n"):
            new_lines.pop()
        updated = "\n".join(lines[:line] + new_lines + lines[line:])
        _history(call, real).append(text)
        write_text(call.sandbox, real, updated)
        snippet = _snippet(updated, line + 1, line + len(new_lines))
        return Observation(
            content=f"The file {path} has been edited. Here's the result of running `cat -n` on "
            f"a snippet of the edited file:\n{snippet}\nReview the changes and make sure they "
            "are as expected (correct indentation, no duplicate lines, etc). Edit the file again "
            "if necessary."
        )
    if command == "undo_edit":
        history = _history(call, real)
        if not history:
            raise ToolError(f"No edit history found for {path}.")
        previous = history.pop()
        write_text(call.sandbox, real, previous)
        return Observation(
            content=f"Last edit to {path} undone successfully. Here's the result of running "
            f"`cat -n` on {path}:\n{_numbered(previous)}\n"
        )
    raise ToolError(
        f"Unrecognized command {command}. The allowed commands for the {call.tdef.name} tool "
        f"are: {', '.join(call.tdef.parameters['properties']['command'].get('enum', []))}"
    )


# --- patches and whole-file / exact-string edits -----------------------------------------


def _patch_result(call: Call, apply: Callable[[SandboxFiles], list[str]]) -> Observation:
    try:
        summary = apply(SandboxFiles(call.sandbox))
        text, ok = "Success. Updated the following files:\n" + "\n".join(summary) + "\n", True
    except PatchError as exc:
        text, ok = str(exc), False
    if call.profile.responses.shell_format == "codex_json":
        text = json.dumps(
            {"output": text, "metadata": {"exit_code": 0 if ok else 1, "duration_seconds": 0.0}}
        )
    return Observation(content=text, is_error=not ok)


def apply_patch(call: Call) -> Observation:
    patch = str(call.need("patch"))
    return _patch_result(call, lambda files: apply_v4a(patch, files))


def unified_diff(call: Call) -> Observation:
    patch = str(call.need("patch"))
    return _patch_result(call, lambda files: apply_unified(patch, files))


def write_file(call: Call) -> Observation:
    path = call.path()
    content = call.need("content")
    SandboxFiles(call.sandbox).write(path, content)
    return Observation(
        content=call.opts.get("ok", "Wrote {path}.").format(path=path, content=content)
    )


def read_file(call: Call) -> Observation:
    path = call.path()
    real, kind = confine(call.sandbox, path)
    if kind == "missing":
        raise ToolError(call.opts.get("missing", "File not found: {path}").format(path=path))
    if kind == "dir":
        raise ToolError(f"{path} is a directory, not a file")
    text = read_text(call.sandbox, real)
    style = call.opts.get("style", "numbered")
    if style == "raw":
        body, _ = _clip(text, call)
        return Observation(content=body)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    offset = int(call.get("offset", 0) or 0)
    limit = int(call.get("limit", 2000) or 2000)
    if offset < 0 or limit <= 0:
        raise ToolError("offset must be >= 0 and limit must be > 0")
    part = lines[offset : offset + limit]
    if style == "opencode":
        body = "\n".join(f"{i:05d}| {line}" for i, line in enumerate(part, offset + 1))
        last = offset + len(part)
        tail = (
            f"(File has more lines. Use 'offset' parameter to read beyond line {last})"
            if last < len(lines)
            else f"(End of file - total {len(lines)} lines)"
        )
        return Observation(content=f"<file>\n{body}\n\n{tail}\n</file>")
    return Observation(content=_numbered("\n".join(part), offset + 1))


def edit_file(call: Call) -> Observation:
    path = call.path()
    old = call.need("old")
    new = call.need("new")
    replace_all = bool(call.get("replace_all", False))
    if old == new:
        raise ToolError("oldString and newString must be different")
    files = SandboxFiles(call.sandbox)
    text = files.read(path)
    if text is None:
        if old == "":
            files.write(path, new)
            return Observation(content=call.opts.get("ok", "Edit applied successfully."))
        raise ToolError(f"File {path} not found")
    count = text.count(old) if old else 0
    if count == 0:
        raise ToolError("oldString not found in content")
    if count > 1 and not replace_all:
        raise ToolError(
            "Found multiple matches for oldString. Provide more surrounding lines in oldString "
            "to identify the correct match."
        )
    files.write(path, text.replace(old, new) if replace_all else text.replace(old, new, 1))
    return Observation(content=call.opts.get("ok", "Edit applied successfully."))


def _final_content(call: Call, path: str, text: str) -> str:
    template = call.opts.get("ok", "The content was successfully saved to {path}.")
    return template.format(path=path, content=text)


def replace_blocks(call: Call) -> Observation:
    path = call.path()
    diff = str(call.need("diff"))
    files = SandboxFiles(call.sandbox)
    original = files.read(path)
    if original is None:
        raise ToolError(f"File does not exist at path: {path}")
    text = original
    try:
        for search, replace in parse_marker_blocks(diff):
            text = replace_once(text, search, replace, path=path)
    except PatchError as exc:
        raise ToolError(
            call.opts.get("failed", "{error}").format(error=exc, path=path, content=original)
        ) from None
    files.write(path, text)
    return Observation(content=_final_content(call, path, text))


def search_replace(call: Call) -> Observation:
    """One Aider block: an empty SEARCH creates (or appends to) the file."""
    path = call.path()
    search = str(call.get("search", "") or "")
    replace = str(call.get("replace", "") or "")
    files = SandboxFiles(call.sandbox)
    text = files.read(path)
    if text is None and search.strip():
        text = None
    try:
        if text is None:
            if search.strip():
                raise PatchError(f"{path} does not exist")
            updated = replace
        else:
            updated = replace_once(text, search, replace, path=path)
    except PatchError:
        raise ToolError(
            call.opts.get("failed", "SEARCH/REPLACE block failed to match in {path}").format(
                path=path, search=search, replace=replace
            )
        ) from None
    files.write(path, updated)
    return Observation(content=call.opts.get("ok", "Applied edit to {path}").format(path=path))


# --- search tools ------------------------------------------------------------------------


def grep(call: Call) -> Observation:
    pattern = str(call.need("pattern"))
    path = str(call.get("path") or ".")
    real, _kind = confine(call.sandbox, path, must_exist=True)
    include = call.get("include")
    inc = f"--include={shell_quote(str(include))} " if include else ""
    limit = int(call.opts.get("max_matches", 100))
    res = call.sandbox.run(
        f"grep -rnIE --exclude-dir=.git {inc}-e {shell_quote(pattern)} -- {shell_quote(real)} "
        f"2>&1 | head -{limit + 1}",
        timeout=60,
    )
    lines = [ln for ln in res.output.split("\n") if ln]
    if res.exit_code not in (0, None) and not lines:
        return Observation(content=call.opts.get("none", "No files found"))
    prefix = call.sandbox.workdir.rstrip("/") + "/"
    lines = [ln.removeprefix(prefix) for ln in lines]
    if not lines:
        return Observation(content=call.opts.get("none", "No files found"))
    more = len(lines) > limit
    header = call.opts.get("header", "Found {count} matches").format(
        count=f"{limit}+" if more else len(lines)
    )
    return Observation(content=header + "\n" + "\n".join(lines[:limit]))


def _files_under(call: Call, real: str) -> list[str]:
    res = call.sandbox.run(
        f"cd {shell_quote(real)} && find . -type f -not -path '*/.git/*' | sed 's|^\\./||' | "
        "sort | head -5000",
        timeout=60,
    )
    return [ln for ln in res.output.split("\n") if ln]


def glob(call: Call) -> Observation:
    pattern = str(call.need("pattern"))
    path = str(call.get("path") or ".")
    real, kind = confine(call.sandbox, path, must_exist=True)
    if kind != "dir":
        raise ToolError(f"{path} is not a directory")
    flat = pattern.removeprefix("**/")
    hits = [
        f
        for f in _files_under(call, real)
        if fnmatch.fnmatch(f, pattern) or fnmatch.fnmatch(posixpath.basename(f), flat)
    ]
    if not hits:
        return Observation(content=call.opts.get("none", "No files found"))
    limit = int(call.opts.get("max_files", 100))
    return Observation(
        content="\n".join(posixpath.join(path, h) if path != "." else h for h in hits[:limit])
    )


def list_dir(call: Call) -> Observation:
    path = str(call.get("path") or ".")
    real, kind = confine(call.sandbox, path, must_exist=True)
    if kind != "dir":
        raise ToolError(f"{path} is not a directory")
    recursive = str(call.get("recursive", "false")).lower() in ("true", "1", "yes")
    depth = "" if recursive else "-maxdepth 1 "
    res = call.sandbox.run(
        f"cd {shell_quote(real)} && find . {depth}-mindepth 1 -not -path '*/.git*' "
        "\\( -type d -printf '%P/\\n' -o -printf '%P\\n' \\) | sort | head -500",
        timeout=60,
    )
    return Observation(content=res.output.strip() or "No files found.")


# --- no side effects ---------------------------------------------------------------------


def todo(call: Call) -> Observation:
    reply = call.opts.get("reply", "Plan updated")
    if reply == "{json}":
        items = next(iter(call.arguments.values()), [])
        return Observation(content=json.dumps(items, indent=2))
    return Observation(content=reply)


def think(call: Call) -> Observation:
    return Observation(content=call.opts.get("reply", "Your thought has been logged."))


def submit(call: Call) -> Observation:
    review = call.opts.get("review")
    if review:
        seen = call.sandbox.state.setdefault("scaffold_submit_reviews", 0)
        if not seen:
            call.sandbox.state["scaffold_submit_reviews"] = 1
            diff = call.sandbox.run("git --no-pager diff HEAD 2>&1", timeout=60)
            return Observation(content=review.format(diff=diff.output.strip()))
    reply = call.opts.get("reply", "Submitted.")
    return Observation(content=reply, terminal=True, metadata={"submitted_by": call.tdef.name})


HANDLERS: dict[str, Callable[[Call], Observation]] = {
    "shell": shell,
    "editor": editor,
    "apply_patch": apply_patch,
    "unified_diff": unified_diff,
    "write_file": write_file,
    "read_file": read_file,
    "edit_file": edit_file,
    "replace_blocks": replace_blocks,
    "search_replace": search_replace,
    "grep": grep,
    "glob": glob,
    "list_dir": list_dir,
    "todo": todo,
    "think": think,
    "submit": submit,
}


def build_tools(profile: ScaffoldProfile) -> list[ScaffoldTool]:
    """One fresh tool per profile tool definition, in the profile's order."""
    return [ScaffoldTool(t, profile) for t in profile.tools]


__all__ = ["HANDLERS", "SandboxFiles", "ScaffoldTool", "build_tools", "shell_script"]
