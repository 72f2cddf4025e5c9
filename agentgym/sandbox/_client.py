"""The Docker client, created once per process."""

from __future__ import annotations

import threading
from typing import Any

from agentgym.errors import DockerUnavailableError

_lock = threading.Lock()
_client: Any = None


def docker_client() -> Any:
    """A connected ``docker.DockerClient``; raises DockerUnavailableError with what to do."""
    global _client
    with _lock:
        if _client is not None:
            return _client
        try:
            import docker

            client = docker.from_env(timeout=120)
            client.ping()
        except Exception as exc:
            raise DockerUnavailableError(
                f"no Docker daemon answers ({exc.__class__.__name__}: {exc}). Start one "
                "(`dockerd &` as root, or `systemctl start docker`) or use backend='local'."
            ) from exc
        _client = client
        return client


def docker_available() -> bool:
    try:
        docker_client()
        return True
    except DockerUnavailableError:
        return False
