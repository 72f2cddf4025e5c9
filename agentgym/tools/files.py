"""File access for tools: paths confined to the workspace, text reads and writes."""

from __future__ import annotations

from agentgym.errors import ToolError
from agentgym.sandbox.base import Sandbox, is_within, resolve_path, shell_quote

MAX_FILE_BYTES = 2 * 1024 * 1024


def confine(sandbox: Sandbox, path: str, *, must_exist: bool = False) -> tuple[str, str]:
    """Resolve ``path`` (following symlinks) and refuse anything outside the workspace.

    Returns (absolute path, kind) where kind is 'file', 'dir', 'missing' or 'other'.
    """
    if not isinstance(path, str) or not path.strip():
        raise ToolError("the path is empty; give a file path relative to the repository root")
    if "\0" in path or "\n" in path:
        raise ToolError("the path contains a NUL byte or a newline")
    lexical = resolve_path(sandbox.workdir, path.strip())
    if not is_within(sandbox.workdir, lexical):
        raise ToolError(
            f"{path} is outside the workspace {sandbox.workdir}; only files under it can "
            "be viewed or edited"
        )
    q = shell_quote(lexical)
    probe = sandbox.run(
        f"r=$(realpath -m -- {q}); printf '%s\\n' \"$r\"; "
        f"if [ -f {q} ]; then echo file; elif [ -d {q} ]; then echo dir; "
        f"elif [ -e {q} ]; then echo other; else echo missing; fi",
        timeout=30,
    )
    lines = probe.output.strip().splitlines()
    if probe.exit_code != 0 or len(lines) < 2:
        raise ToolError(f"could not inspect {path}: {probe.output.strip()[:300]}")
    real, kind = lines[-2], lines[-1]
    if not is_within(sandbox.workdir, real):
        raise ToolError(f"{path} is a link to {real}, which is outside the workspace")
    if must_exist and kind == "missing":
        raise ToolError(f"{path} does not exist. Check the path with `ls` or the search tool.")
    return real, kind


def read_text(sandbox: Sandbox, path: str) -> str:
    """The UTF-8 text of a workspace file; clear errors for binary, huge or missing files."""
    real, kind = confine(sandbox, path, must_exist=True)
    if kind == "dir":
        raise ToolError(f"{path} is a directory, not a file")
    if kind != "file":
        raise ToolError(f"{path} is not a regular file")
    data = sandbox.read_file(real, max_bytes=MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ToolError(
            f"{path} is larger than {MAX_FILE_BYTES // 1024} KiB; look at parts of it with "
            "bash (`sed -n 100,200p FILE`, `grep -n PATTERN FILE`)"
        )
    if b"\0" in data[:8192]:
        raise ToolError(f"{path} is a binary file; inspect it with bash (`xxd FILE | head`)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ToolError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def write_text(sandbox: Sandbox, real_path: str, text: str) -> None:
    sandbox.write_file(real_path, text.encode("utf-8"))
