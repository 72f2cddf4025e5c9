"""``agentgym doctor``: check what agentgym needs, and say what to do for each missing part.

Each check is a small function returning a :class:`Check`. ``run_checks`` runs them all;
the CLI prints a table, and ``agentgym demo`` prints the advice of the failed ones.
A machine is usable when at least one backend is: Docker with the base image, or
bubblewrap with the managed Python toolchain.
"""

from __future__ import annotations

import importlib.util
import shutil
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["ok", "warn", "missing"]
MIN_FREE_GB = 2.0


class Check(BaseModel):
    """One thing agentgym needs, whether it is there, and what to do if not."""

    model_config = ConfigDict(extra="forbid")

    name: str
    status: Status
    detail: str
    advice: str = ""


def check_docker() -> Check:
    from agentgym.errors import DockerUnavailableError
    from agentgym.sandbox._client import docker_client

    try:
        client = docker_client()
        version = client.version().get("Version", "?")
    except DockerUnavailableError as exc:
        return Check(
            name="docker daemon",
            status="missing",
            detail=str(exc).split(". Start")[0],
            advice="optional (the embedded backend runs without it). To use Docker: "
            "`apt-get install docker.io` then `dockerd &` as root (or `systemctl start docker`), "
            "or set DOCKER_HOST.",
        )
    return Check(name="docker daemon", status="ok", detail=f"Docker {version} answers")


def check_base_image() -> Check:
    from agentgym.sandbox import docker_available, docker_client

    if not docker_available():
        return Check(
            name="base image",
            status="missing",
            detail="no Docker daemon to hold it",
            advice="after starting Docker: `agentgym image bootstrap` (offline, needs debootstrap)",
        )
    import docker.errors

    try:
        image = docker_client().images.get("agentgym/base:latest")
    except docker.errors.ImageNotFound:
        return Check(
            name="base image",
            status="missing",
            detail="agentgym/base:latest is not in the local Docker",
            advice="`apt-get install debootstrap && agentgym image bootstrap` "
            "(builds it offline from this machine's Debian mirror, ~1 minute)",
        )
    size = (image.attrs.get("Size") or 0) / 1e6
    return Check(name="base image", status="ok", detail=f"agentgym/base:latest ({size:.0f} MB)")


def check_bwrap() -> Check:
    from agentgym.sandbox.local import _bwrap_works

    if shutil.which("bwrap") is None:
        return Check(
            name="bubblewrap",
            status="missing",
            detail="bwrap is not installed",
            advice="`apt-get install bubblewrap` (without it the embedded backend is NOT "
            "isolated from this machine)",
        )
    if not _bwrap_works():
        return Check(
            name="bubblewrap",
            status="missing",
            detail="bwrap is installed but cannot create user namespaces",
            advice="allow unprivileged user namespaces: `sysctl -w "
            "kernel.unprivileged_userns_clone=1` (Debian) or `sysctl -w "
            "kernel.apparmor_restrict_unprivileged_userns=0` (Ubuntu 24.04+); in a container, "
            "run it with --privileged or use Docker on the host",
        )
    return Check(name="bubblewrap", status="ok", detail="bwrap works (user namespaces)")


def check_toolchain() -> Check:
    from agentgym.errors import AgentGymError
    from agentgym.sandbox.toolchain import ensure_toolchain, toolchain_key, toolchains_dir

    root = toolchains_dir() / toolchain_key()
    existed = root.exists()
    started = time.perf_counter()
    try:
        chain = ensure_toolchain()
    except AgentGymError as exc:
        return Check(
            name="python toolchain",
            status="missing",
            detail=f"the embedded backend's managed Python could not be built: {exc}"[:400],
            advice="connect to the package index once (it is cached), or set PIP_FIND_LINKS "
            "to a wheelhouse with pytest, or use Docker",
        )
    how = "cached" if existed else f"built now in {time.perf_counter() - started:.0f}s"
    offline = " (copied from agentgym's environment: offline)" if chain.source == "host" else ""
    return Check(
        name="python toolchain",
        status="ok",
        detail=f"Python {chain.python_version} + pytest {chain.packages.get('pytest', '?')}, "
        f"{how}{offline}: {chain.root}",
    )


def _free_gb(path: str) -> float:
    import os

    os.makedirs(path, exist_ok=True)
    usage = shutil.disk_usage(path)
    return usage.free / 1e9


def check_disk() -> Check:
    from agentgym.sandbox import docker_available, docker_client
    from agentgym.sandbox.toolchain import cache_dir

    places = {"cache " + str(cache_dir()): str(cache_dir())}
    if docker_available():
        root = docker_client().info().get("DockerRootDir")
        if root and shutil.os.path.isdir(root):  # type: ignore[attr-defined]
            places["docker " + root] = root
    low = []
    parts = []
    for label, path in places.items():
        free = _free_gb(path)
        parts.append(f"{label}: {free:.1f} GB free")
        if free < MIN_FREE_GB:
            low.append(label)
    if low:
        return Check(
            name="free disk",
            status="warn",
            detail="; ".join(parts),
            advice=f"under {MIN_FREE_GB:.0f} GB free in {', '.join(low)}: `agentgym sandbox gc`, "
            "`agentgym toolchain gc`, `docker image prune`, or set AGENTGYM_CACHE elsewhere",
        )
    return Check(name="free disk", status="ok", detail="; ".join(parts))


def check_train_extra() -> Check:
    missing = [m for m in ("torch", "transformers", "tokenizers") if not _has(m)]
    if missing:
        return Check(
            name="train extra",
            status="warn",
            detail=f"not installed: {', '.join(missing)} (needed by `agentgym train` only)",
            advice="`pip install 'agentgym[train]'` (torch CPU wheel: `pip install torch==2.13.0`)",
        )
    import torch

    cuda = "CUDA available" if torch.cuda.is_available() else "CPU only"
    return Check(name="train extra", status="ok", detail=f"torch {torch.__version__}, {cuda}")


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


CHECKS: list[Callable[[], Check]] = [
    check_docker,
    check_base_image,
    check_bwrap,
    check_toolchain,
    check_disk,
    check_train_extra,
]


def run_checks(checks: list[Callable[[], Check]] | None = None) -> list[Check]:
    out = []
    for fn in checks or CHECKS:
        try:
            out.append(fn())
        except Exception as exc:  # a check must never take the doctor down
            name = fn.__name__.removeprefix("check_").replace("_", " ")
            out.append(Check(name=name, status="warn", detail=f"{type(exc).__name__}: {exc}"[:300]))
    return out


def usable_backends(checks: list[Check]) -> list[str]:
    """Backends this machine can run: docker (daemon + image), local (bwrap + toolchain)."""
    ok = {c.name for c in checks if c.status == "ok"}
    out = []
    if {"docker daemon", "base image"} <= ok:
        out.append("docker")
    if "python toolchain" in ok:
        out.append("local" if "bubblewrap" in ok else "local (not isolated)")
    return out
