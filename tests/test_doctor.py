"""`agentgym doctor` and the demo's first-run story, run as a user types them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentgym.doctor import Check, run_checks, usable_backends

HIDDEN = {"DOCKER_HOST": "unix:///nonexistent/agentgym-docker.sock"}


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentgym.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "80", "TERM": "dumb", **(env or {})},
    )


def test_checks_say_what_to_do_when_something_is_missing() -> None:
    def broken() -> Check:
        raise RuntimeError("boom")

    checks = run_checks([broken])
    assert checks[0].status == "warn" and "boom" in checks[0].detail
    assert usable_backends([Check(name="python toolchain", status="ok", detail="")]) == [
        "local (not isolated)"
    ]
    assert usable_backends(
        [Check(name=n, status="ok", detail="") for n in ("docker daemon", "base image")]
    ) == ["docker"]


def test_doctor_without_docker_points_at_the_embedded_backend() -> None:
    result = cli("doctor", env=HIDDEN)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "docker daemon" in out and "missing" in out and "dockerd" in out
    assert "python toolchain" in out and "pytest" in out
    assert "usable backends: local" in out


@pytest.mark.docker
def test_doctor_with_docker_lists_both_backends() -> None:
    result = cli("doctor")
    assert result.returncode == 0, result.stdout
    assert "usable backends: docker, local" in result.stdout.replace("\n", " ") or (
        shutil.which("bwrap") is None and "usable backends: docker" in result.stdout
    )


@pytest.mark.slow
@pytest.mark.parametrize("docker", [pytest.param(True, marks=pytest.mark.docker), False])
def test_the_demo_fits_80_columns_and_the_oracle_solves_every_episode(
    tmp_path: Path, docker: bool
) -> None:
    out = tmp_path / "demo"
    result = cli("demo", "--no-progress", "--out", str(out), env=None if docker else HIDDEN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ("backend docker" if docker else "backend local") in result.stdout
    long = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert not long, long
    rows = [
        ln for ln in result.stdout.splitlines() if ln.lstrip().startswith(("oracle", "scripted"))
    ]
    assert len(rows) == 8, result.stdout  # one line per (policy, condition): nothing wraps
    results = json.loads((out / "results.json").read_text())
    oracle = [e for e in results["episodes"] if e["spec"]["policy"] == "oracle"]
    assert len(oracle) == 12 and all(e["success"] for e in oracle), [
        (e["status"], e["error"]) for e in oracle if not e["success"]
    ]
    assert all(e["status"] == "ok" for e in results["episodes"])
