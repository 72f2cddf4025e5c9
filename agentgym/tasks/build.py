"""What a task needs to run: its image (built from environment/ plus the library as repo/,
or Harbor's prebuilt ``docker_image``), its working directory and its sandbox settings."""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentgym.errors import ConfigError, ImageBuildError, TaskFormatError, TaskFormatWarning
from agentgym.types import Task

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".git")


def build_context(task: Task, dest: str | Path | None = None) -> Path:
    """A Docker build context for ``task`` in a new temp folder (or ``dest``); caller removes it.

    Holds environment/ (Dockerfile and patches) and, where the task has a source, the
    pristine library as ``repo/``.
    """
    context = Path(dest) if dest is not None else Path(tempfile.mkdtemp(prefix="agentgym-ctx-"))
    context.mkdir(parents=True, exist_ok=True)
    if task.dockerfile is None:
        raise TaskFormatError(f"task {task.id}: no environment/Dockerfile")
    (context / "Dockerfile").write_text(task.dockerfile, encoding="utf-8")
    for rel, text in task.files.items():
        if rel.startswith("environment/"):
            target = context / rel.removeprefix("environment/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if task.path is not None and task.source is None:
        # A plain Harbor task: its environment/ folder may hold binary files too.
        env_dir = Path(task.path) / "environment"
        if env_dir.is_dir():
            shutil.copytree(env_dir, context, dirs_exist_ok=True, ignore=_IGNORED)
    if task.workspace is not None:
        workspace = Path(task.workspace)
        if workspace.is_dir():
            shutil.copytree(workspace, context / "repo", ignore=_IGNORED, symlinks=True)
        elif workspace.is_file():
            from agentgym.tasks.swebench import extract_repo

            extract_repo(workspace, context / "repo")
            # The image makes its own one-commit history; the tarball's must not leak in.
            shutil.rmtree(context / "repo" / ".git", ignore_errors=True)
        else:
            raise TaskFormatError(f"task {task.id}: workspace {workspace} does not exist")
        # The library's provenance file stays on the host; it is no part of the repo.
        (context / "repo" / "SOURCE.toml").unlink(missing_ok=True)
    return context


def task_image(task: Task) -> str:
    """The image of ``task``: its ``docker_image`` (which must be present locally or
    pullable), else its Dockerfile built (or reused, by content hash); return the tag."""
    from agentgym.sandbox.images import build_task_image

    if task.image:
        return ensure_image(task.image, task)
    context = build_context(task)
    try:
        return build_task_image(context, name=task.id, timeout=task.limits.build_timeout_s)
    finally:
        shutil.rmtree(context, ignore_errors=True)


def ensure_image(image: str, task: Task | None = None) -> str:
    """``image`` if Docker has it or can pull it; else an ImageBuildError that says how to
    get it offline (``docker load``, or a build of the task's environment/)."""
    import docker.errors

    from agentgym.sandbox._client import docker_client

    client = docker_client()
    try:
        client.images.get(image)
        return image
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.pull(image)
        return image
    except docker.errors.APIError as exc:
        env_dir = Path(task.path) / "environment" if task and task.path else None
        build = (
            f" or build it from the task: `docker build -t {image} {env_dir}`"
            if env_dir is not None and (env_dir / "Dockerfile").exists()
            else ""
        )
        where = f"task {task.id}: " if task else ""
        raise ImageBuildError(
            f"{where}docker_image {image!r} is not present locally and could not be pulled "
            f"({str(exc)[:200]}); load it with `docker load -i <file.tar>`{build}"
        ) from exc


def image_workdir(image: str) -> str | None:
    """The WORKDIR an image was built with (``Config.WorkingDir``), or None."""
    from agentgym.sandbox._client import docker_client

    attrs = docker_client().images.get(image).attrs or {}
    return (attrs.get("Config") or {}).get("WorkingDir") or None


def prepare_task(task: Task) -> Task:
    """``task`` with its image built (or found) and, where neither task.toml nor a
    Dockerfile says where to work, the image's own WORKDIR."""
    image = task_image(task)
    update: dict[str, Any] = {"image": image}
    if task.workdir == "/":
        update["workdir"] = image_workdir(image) or "/"
    return task.model_copy(update=update)


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


def resolve_env(env: Mapping[str, str], host: Mapping[str, str] | None = None) -> dict[str, str]:
    """Harbor's env tables: ``${VAR}`` and ``${VAR:-default}`` taken from the host
    environment. A ``${VAR}`` the host does not set is a ConfigError naming it."""
    host = os.environ if host is None else host
    out: dict[str, str] = {}
    for key, value in env.items():

        def sub(match: re.Match[str], key: str = key) -> str:
            name, default = match.group(1), match.group(2)
            if name in host:
                return host[name]
            if default is not None:
                return default
            raise ConfigError(
                f"{key} = {match.group(0)!r}: the host environment does not set {name}"
            )

        out[key] = _VAR.sub(sub, str(value))
    return out


@functools.cache
def storage_limit_supported() -> bool:
    """Whether this Docker daemon can cap a container's disk (``--storage-opt size``):
    overlay2 on xfs with project quotas, btrfs, zfs, devicemapper."""
    from agentgym.sandbox._client import docker_client

    try:
        info = docker_client().info()
    except Exception:
        return False
    driver = str(info.get("Driver", ""))
    if driver in ("btrfs", "zfs", "devicemapper", "windowsfilter"):
        return True
    status = dict(info.get("DriverStatus") or [])
    return driver == "overlay2" and status.get("Backing Filesystem") == "xfs"


_storage_warned: list[str] = []


def task_sandbox_config(
    task: Task,
    image: str,
    *,
    allow_internet: bool = False,
    limits: Any = None,
    labels: dict[str, str] | None = None,
) -> Any:
    """The Docker sandbox config a task asks for: its WORKDIR, cpus / memory / storage /
    gpus, ``[environment.env]``, and network only if the task wants it *and* the user
    allows it (``allow_internet``)."""
    from agentgym.sandbox import SandboxConfig, SandboxLimits

    lim = task.limits
    if limits is None:
        disk = None
        if lim.storage_mb is not None:
            if storage_limit_supported():
                disk = lim.storage_mb
            elif not _storage_warned:
                _storage_warned.append(task.id)  # once per process, not once per task
                warnings.warn(
                    TaskFormatWarning(
                        f"storage_mb (task {task.id}: {lim.storage_mb}) is not enforced: this "
                        "Docker storage driver cannot cap a container's disk (overlay2 needs "
                        "xfs with project quotas)"
                    ),
                    stacklevel=2,
                )
        limits = SandboxLimits(
            memory_mb=lim.memory_mb,
            cpus=lim.cpus,
            pids=lim.pids,
            command_timeout_s=lim.command_timeout_s,
            disk_mb=disk,
            gpus=lim.gpus,
        )
    network = bool(task.internet and allow_internet)
    if network != limits.network:
        limits = limits.model_copy(update={"network": network})
    return SandboxConfig(
        type="docker",
        image=image,
        workdir=task.workdir,
        limits=limits,
        env=resolve_env(task.env.environment),
        labels=labels or {},
    )


def warn_internet(tasks: list[Task], allow_internet: bool) -> None:
    """Say which tasks asked for network access they do not get (allow_internet=False)."""
    wanted = [t.id for t in tasks if t.internet]
    if wanted and not allow_internet:
        shown = ", ".join(wanted[:10]) + (
            f" and {len(wanted) - 10} more" if len(wanted) > 10 else ""
        )
        warnings.warn(
            TaskFormatWarning(
                f"{len(wanted)} task(s) ask for internet access (allow_internet / network_mode) "
                f"and run without it: {shown}. Pass allow_internet=True to give it to them."
            ),
            stacklevel=3,
        )
