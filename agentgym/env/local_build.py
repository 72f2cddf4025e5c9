"""Run tasks without Docker: emulate a task's Dockerfile on the local (bubblewrap) backend.

Only the subset our task Dockerfiles use is understood — ``FROM agentgym/base…``,
``COPY`` (into the workdir or /tmp), ``RUN``, ``ENV``, ``WORKDIR`` — and the built
workspace is cached on disk by the build context's content hash, so each task is built
once. Anything else is a clear error that says to use Docker.

Python packages a Dockerfile installs with ``pip install`` do not go into the workspace:
they become requirements of the task's managed toolchain (``agentgym.sandbox.toolchain``),
which the sandbox mounts read-only, so the agent runs and the grader grades on the same
pristine interpreter environment.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import threading
from pathlib import Path

from agentgym.errors import TaskFormatError
from agentgym.sandbox import LocalSandbox, SandboxConfig, SandboxLimits
from agentgym.sandbox.toolchain import locked
from agentgym.types import Task

_lock = threading.Lock()


def cache_root() -> Path:
    from agentgym.sandbox.toolchain import cache_dir

    return cache_dir() / "local-tasks-v2"  # v2: build.json + toolchain requirements


_PIP = re.compile(r"^\s*(?:python3?(?:\.\d+)?\s+-m\s+)?pip3?\s+install\s+(?P<args>.*)$", re.S)
# pip options that take no value and change nothing about what is installed
_PIP_FLAGS = {
    "-q",
    "--quiet",
    "-U",
    "--upgrade",
    "--no-cache-dir",
    "--break-system-packages",
    "--user",
    "--disable-pip-version-check",
    "--no-input",
    "--root-user-action=ignore",
}


def split_pip_installs(run: str, task_id: str = "?") -> tuple[list[str], str]:
    """Take the ``pip install`` commands out of a RUN line: (requirements, the rest)."""
    requirements: list[str] = []
    rest: list[str] = []
    for part in re.split(r"\s*&&\s*", run.strip()):
        match = _PIP.match(part)
        if match is None:
            rest.append(part)
            continue
        for arg in shlex.split(match.group("args")):
            if arg in _PIP_FLAGS:
                continue
            if arg.startswith("-"):
                raise TaskFormatError(
                    f"task {task_id}: `pip install {arg}` is not understood by the local "
                    "backend (only requirement specifiers are); list the packages in the "
                    "Dockerfile or use the Docker backend"
                )
            requirements.append(arg)
    return requirements, " && ".join(rest)


def task_requirements(dockerfile: str, task_id: str = "?") -> list[str]:
    """Every requirement the Dockerfile's RUN lines ``pip install``."""
    out: list[str] = []
    for keyword, rest in _instructions(dockerfile):
        if keyword == "RUN":
            out += split_pip_installs(rest, task_id)[0]
    return out


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    buffer = ""
    for raw in dockerfile.splitlines():
        line = raw.rstrip()
        if not buffer and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        keyword, _, rest = buffer.strip().partition(" ")
        out.append((keyword.upper(), rest.strip()))
        buffer = ""
    return out


def materialize(task: Task) -> tuple[Path, dict[str, str], list[str]]:
    """Build the task's starting workspace on the host; return (folder, env vars,
    toolchain requirements)."""
    from agentgym.sandbox.images import context_hash
    from agentgym.tasks.build import build_context

    context = build_context(task)
    try:
        digest = context_hash(context)
        target = cache_root() / f"{task.id[:60]}-{digest}"
        meta = target / "build.json"
        if not meta.exists():
            # Threads and processes may build the same task at once: one builds (under a
            # file lock), into a fresh folder renamed into place, so a reader never sees a
            # half-built or vanishing workspace.
            with _lock, locked(target.with_name(f".{target.name}.lock")):
                if not meta.exists():
                    requirements = task_requirements((context / "Dockerfile").read_text(), task.id)
                    building = target.with_name(f".{target.name}.building-{os.getpid()}")
                    try:
                        env = _emulate(task, context, building, requirements)
                        (building / "build.json").write_text(
                            json.dumps({"env": env, "requirements": requirements})
                        )
                        shutil.rmtree(target, ignore_errors=True)
                        os.rename(building, target)
                    finally:
                        shutil.rmtree(building, ignore_errors=True)
        built = json.loads(meta.read_text())
        return target / "workspace", built["env"], built["requirements"]
    finally:
        shutil.rmtree(context, ignore_errors=True)


def _emulate(task: Task, context: Path, target: Path, requirements: list[str]) -> dict[str, str]:
    steps = _instructions((context / "Dockerfile").read_text())
    env: dict[str, str] = {}
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    config = SandboxConfig(type="local", workdir=task.workdir, python_requirements=requirements)
    with LocalSandbox(config) as sb:
        host_tmp = Path(sb._tmp) / "tmp"

        def host_path(inside: str) -> Path:
            inside = inside.rstrip("/") or "/"
            if inside == task.workdir or inside.startswith(task.workdir + "/"):
                return sb.host_workspace / inside[len(task.workdir) :].lstrip("/")
            if inside == "/tmp" or inside.startswith("/tmp/"):
                return host_tmp / inside[len("/tmp") :].lstrip("/")
            raise TaskFormatError(
                f"task {task.id}: the local backend can only COPY into {task.workdir} or /tmp, "
                f"not {inside}; use the Docker backend for this task"
            )

        for keyword, rest in steps:
            if keyword == "FROM":
                if not rest.startswith("agentgym/base"):
                    raise TaskFormatError(
                        f"task {task.id}: the local backend emulates only images FROM "
                        f"agentgym/base, not {rest!r}; use the Docker backend"
                    )
            elif keyword == "COPY":
                parts = shlex.split(rest)
                if any(p.startswith("--") for p in parts):
                    raise TaskFormatError(f"task {task.id}: COPY flags are not supported locally")
                *sources, dest = parts
                dest_host = host_path(dest if dest.startswith("/") else f"{task.workdir}/{dest}")
                for src in sources:
                    src_path = context / src
                    if src_path.is_dir():
                        shutil.copytree(src_path, dest_host, dirs_exist_ok=True, symlinks=True)
                    else:
                        into = dest_host / src_path.name if dest.endswith("/") else dest_host
                        into.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(src_path, into)
            elif keyword == "RUN":
                rest = split_pip_installs(rest, task.id)[1]
                if not rest:
                    continue  # only pip installs: they went into the toolchain
                prefix = " ".join(f"export {k}={shlex.quote(v)};" for k, v in env.items())
                result = sb.run(f"{prefix} {rest}", timeout=600)
                if result.exit_code != 0:
                    raise TaskFormatError(
                        f"task {task.id}: RUN {rest[:120]} failed locally "
                        f"(exit {result.exit_code}): {result.output[-800:]}"
                    )
            elif keyword == "ENV":
                if "=" in rest:
                    for item in shlex.split(rest):
                        key, _, value = item.partition("=")
                        env[key] = value
                else:
                    key, _, value = rest.partition(" ")
                    env[key] = value.strip()
            elif keyword in ("WORKDIR", "LABEL", "CMD", "ENTRYPOINT", "USER", "EXPOSE"):
                continue
            else:
                raise TaskFormatError(
                    f"task {task.id}: Dockerfile instruction {keyword} is not supported by the "
                    "local backend; use Docker"
                )
        shutil.copytree(sb.host_workspace, target / "workspace", symlinks=True)
    return env


def local_task_sandbox(task: Task, limits: SandboxLimits | None = None) -> LocalSandbox:
    """A fresh local sandbox holding the task's starting workspace."""
    workspace, env, requirements = materialize(task)
    config = SandboxConfig(
        type="local",
        workdir=task.workdir,
        env=env,
        limits=limits or SandboxLimits(),
        python_requirements=requirements,
    )
    return LocalSandbox(config, workspace=str(workspace))
