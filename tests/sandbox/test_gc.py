"""Zero containers survive a SIGKILL of their owner once gc has run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from agentgym.sandbox import docker_client
from agentgym.sandbox.docker import LABEL, gc

pytestmark = pytest.mark.docker

CHILD = textwrap.dedent(
    """
    import sys, time
    from agentgym.sandbox import SandboxPool, SandboxConfig
    from agentgym.sandbox.docker import DockerSandbox
    boxes = [DockerSandbox() for _ in range(2)]
    pool = SandboxPool(SandboxConfig(type="docker"), size=2)
    pool.wait_ready(timeout=60)
    print("READY", flush=True)
    time.sleep(600)
    """
)


def _sigint_default() -> None:
    # A shell that started these tests in the background (`cmd &`) leaves SIGINT ignored, and
    # an ignored SIGINT stays ignored in Python: the child must get the default back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _owned_by(pid: int) -> list:
    return docker_client().containers.list(
        all=True, filters={"label": [LABEL, f"agentgym.owner_pid={pid}"]}
    )


def test_sigkill_then_gc_leaves_no_container() -> None:
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.strip() == "READY"
        assert len(_owned_by(proc.pid)) == 4
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert len(_owned_by(proc.pid)) == 4  # SIGKILL ran no cleanup
        removed = gc()
        assert len(removed) >= 4
        assert _owned_by(proc.pid) == []
    finally:
        if proc.poll() is None:
            proc.kill()


def test_gc_spares_live_owners() -> None:
    from agentgym.sandbox.docker import DockerSandbox

    with DockerSandbox() as sb:
        gc()
        assert sb.run("echo alive").output == "alive\n"


def test_interrupt_closes_sandboxes() -> None:
    code = CHILD.replace("time.sleep(600)", "time.sleep(600)")
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, preexec_fn=_sigint_default
    )
    line = proc.stdout.readline() if proc.stdout else ""
    assert line.strip() == "READY"
    proc.send_signal(signal.SIGINT)  # KeyboardInterrupt → atexit closes live sandboxes
    proc.wait(90)  # the closes wait at most 60 s for a busy daemon
    deadline = time.time() + 30
    while time.time() < deadline and _owned_by(proc.pid):
        time.sleep(0.5)
    assert _owned_by(proc.pid) == []
