"""Sandboxes: where agent commands run. Docker when a daemon answers, else bubblewrap.

>>> from agentgym.sandbox import make_sandbox
>>> with make_sandbox() as sb:
...     sb.run("echo hi").output
'hi\\n'
"""

from __future__ import annotations

from agentgym.sandbox._client import docker_available, docker_client
from agentgym.sandbox.base import Sandbox, SandboxConfig, SandboxLimits
from agentgym.sandbox.local import LocalSandbox
from agentgym.sandbox.memory import heap_stats, limit_malloc_arenas, trim_heap, trim_heap_every
from agentgym.sandbox.pool import (
    SandboxPool,
    WarmBudget,
    shared_pool_executor,
    shared_warm_budget,
)


def resolve_backend(config: SandboxConfig) -> str:
    """'docker' or 'local' for a config whose type may be 'auto'.

    auto = Docker when a daemon answers and has the image, else the embedded local backend.
    """
    if config.type != "auto":
        return config.type
    if not docker_available():
        return "local"
    import docker.errors

    try:
        docker_client().images.get(config.image)
    except docker.errors.ImageNotFound:
        return "local"
    return "docker"


def make_sandbox(config: SandboxConfig | None = None, **overrides: object) -> Sandbox:
    """Start a sandbox. ``type='auto'`` picks Docker when a daemon answers, else local."""
    config = config or SandboxConfig()
    if overrides:
        config = config.model_copy(update=overrides)
    if resolve_backend(config) == "docker":
        from agentgym.sandbox.docker import DockerSandbox

        return DockerSandbox(config)
    return LocalSandbox(config)


__all__ = [
    "LocalSandbox",
    "Sandbox",
    "SandboxConfig",
    "SandboxLimits",
    "SandboxPool",
    "WarmBudget",
    "docker_available",
    "docker_client",
    "heap_stats",
    "limit_malloc_arenas",
    "make_sandbox",
    "resolve_backend",
    "shared_pool_executor",
    "shared_warm_budget",
    "trim_heap",
    "trim_heap_every",
]
