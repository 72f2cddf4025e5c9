"""The Sandbox protocol, its configuration, and the limits every backend enforces."""

from __future__ import annotations

import posixpath
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from agentgym.types import ExecResult

# Environment every sandbox starts with (SandboxConfig.env overrides). No .pyc files: an
# edit that keeps a file's size within the same second would otherwise run stale bytecode.
BASE_ENV: dict[str, str] = {"LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}


class SandboxLimits(BaseModel):
    """Resource limits, on by default. ``None`` turns one off where that makes sense."""

    model_config = ConfigDict(extra="forbid")

    memory_mb: int = Field(2048, ge=16, description="RAM (and swap) cap for the whole sandbox")
    cpus: float = Field(1.0, gt=0, description="CPU share (docker nano_cpus)")
    pids: int = Field(512, ge=8, description="max processes/threads (contains fork bombs)")
    disk_mb: int | None = Field(
        None, ge=64, description="root filesystem size, where the storage driver allows it"
    )
    file_size_mb: int = Field(1024, ge=1, description="largest file one process may write")
    tmpfs_mb: int = Field(
        256, ge=1, description="size of the in-memory /tmp (counts against memory_mb)"
    )
    nofile: int = Field(4096, ge=64, description="open files per process")
    command_timeout_s: float = Field(120.0, gt=0, description="default per-command timeout")
    output_cap_bytes: int = Field(
        32_000, ge=256, description="output kept per command (head + tail)"
    )
    output_kill_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="output past which a command is killed"
    )
    network: bool = Field(False, description="network access (off: network_mode=none)")
    gpus: int = Field(0, ge=0, description="GPUs requested from Docker (docker run --gpus N)")


class SandboxConfig(BaseModel):
    """Which backend, which image and which limits. Chosen by ``type``."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["docker", "local", "auto"] = "auto"
    image: str = "agentgym/base:latest"
    workdir: str = "/workspace"
    limits: SandboxLimits = Field(default_factory=SandboxLimits)
    env: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    # Host paths mounted read-only into the sandbox: {host_path: sandbox_path}.
    readonly_mounts: dict[str, str] = Field(default_factory=dict)
    # Local backend only: the managed Python toolchain holds pinned pytest plus these
    # requirements (agentgym.sandbox.toolchain); None gives no managed Python at all.
    python_requirements: list[str] | None = Field(default_factory=list)


@runtime_checkable
class Sandbox(Protocol):
    """What every backend offers. Use as a context manager; ``close()`` is idempotent."""

    workdir: str
    state: dict[str, Any]  # per-episode scratch space for tools (e.g. the editor's undo stack)

    def run(self, command: str, timeout: float | None = None) -> ExecResult: ...

    def read_file(self, path: str, max_bytes: int | None = None) -> bytes: ...

    def write_file(self, path: str, data: bytes | str, mode: int | None = None) -> None: ...

    def upload(self, host_path: str, sandbox_path: str) -> None: ...

    def download(self, sandbox_path: str, host_path: str) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Sandbox: ...

    def __exit__(self, *exc: object) -> None: ...


def resolve_path(workdir: str, path: str) -> str:
    """Absolute, normalised sandbox path of ``path`` (relative paths are under workdir)."""
    if not path:
        path = "."
    joined = path if path.startswith("/") else posixpath.join(workdir, path)
    return posixpath.normpath(joined).replace("//", "/")


def is_within(root: str, path: str) -> bool:
    root = posixpath.normpath(root)
    path = posixpath.normpath(path)
    return path == root or path.startswith(root.rstrip("/") + "/")


def shell_quote(text: str) -> str:
    """Single-quote ``text`` for bash."""
    return "'" + text.replace("'", "'\\''") + "'"
