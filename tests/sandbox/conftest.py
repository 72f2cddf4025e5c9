from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from agentgym.sandbox import LocalSandbox, SandboxConfig, SandboxLimits
from agentgym.sandbox.base import Sandbox

BACKENDS = [
    pytest.param("docker", marks=pytest.mark.docker),
    pytest.param(
        "bwrap",
        marks=pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed"),
    ),
    "plain",
]


def open_sandbox(kind: str, **limits: object) -> Sandbox:
    config = SandboxConfig(type="local", limits=SandboxLimits(**limits))  # type: ignore[arg-type]
    if kind == "docker":
        from agentgym.sandbox.docker import DockerSandbox

        return DockerSandbox(config.model_copy(update={"type": "docker"}))
    if kind == "bwrap":
        return LocalSandbox(config, use_bwrap=True)
    return LocalSandbox(config, use_bwrap=False)


@pytest.fixture(params=BACKENDS)
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    if request.param == "docker":
        request.getfixturevalue("docker_ready")
    sb = open_sandbox(request.param, command_timeout_s=20)
    try:
        yield sb
    finally:
        sb.close()
