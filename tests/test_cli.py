"""The CLI as a user types it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def agentgym(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250"}  # wide enough that rich does not wrap the table
    return subprocess.run(
        [sys.executable, "-m", "agentgym.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_tour_runs_on_the_embedded_backend() -> None:
    res = agentgym("tour", "--backend", "local")
    assert res.returncode == 0, res.stderr
    assert "backend: local" in res.stdout
    assert "1 failed" in res.stdout and "1 passed" in res.stdout
    assert "alive after the timeout" in res.stdout and "outside the workspace" in res.stdout


@pytest.mark.docker
def test_tour_runs_in_docker_and_leaves_nothing() -> None:
    from agentgym.sandbox import docker_client
    from agentgym.sandbox.docker import LABEL

    env = {**os.environ, "COLUMNS": "250"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentgym.cli", "tour", "--backend", "docker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out
    assert "backend: docker" in out and "1 passed" in out
    left = docker_client().containers.list(
        all=True, filters={"label": [LABEL, f"agentgym.owner_pid={proc.pid}"]}
    )
    assert left == []


@pytest.mark.docker
def test_image_list_and_gc() -> None:
    assert "agentgym/base" in agentgym("image", "list").stdout
    res = agentgym("sandbox", "gc")
    assert res.returncode == 0 and "removed" in res.stdout


def test_bad_backend_is_a_clear_error() -> None:
    res = agentgym("tour", "--backend", "nope")
    assert res.returncode != 0
    assert "backend" in (res.stdout + res.stderr).lower()
