"""Shared fixtures. Docker tests skip without a daemon, except under CI=true where they fail."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _docker_problem() -> str | None:
    from agentgym.sandbox import docker_available, docker_client

    if not docker_available():
        return "no Docker daemon answers"
    import docker.errors

    try:
        docker_client().images.get("agentgym/base:latest")
    except docker.errors.ImageNotFound:
        return "the base image is missing: run `agentgym image bootstrap`"
    return None


@pytest.fixture(scope="session")
def docker_ready() -> None:
    """Use in every Docker test (the `docker` marker adds it automatically)."""
    problem = _docker_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but Docker is not usable: {problem}", pytrace=False)
        pytest.skip(problem)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("docker") and "docker_ready" not in getattr(
            item, "fixturenames", []
        ):
            item.fixturenames.insert(0, "docker_ready")  # type: ignore[attr-defined]


# Task fixtures hold their own tests (Harbor's tests/test_outputs.py, ...): data, not ours.
collect_ignore_glob = ["*/fixtures/*"]


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """host:port of a local 2-node Ray cluster (head + a second `ray start`), for the session."""
    pytest.importorskip("ray", reason="needs agentgym[ray]")
    from tests.ray_cluster import local_cluster

    with local_cluster() as address:
        yield address
