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


def test_a_removal_the_daemon_refuses_is_retried_in_the_background(
    docker_ready: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load the daemon can answer a forced removal with "could not kill running
    container" (a fork bomb slow to die); the container exits a moment later and must still
    go, while this process runs, not at the next gc after it ends."""
    import docker.errors

    import agentgym.sandbox.docker as dk

    real = docker_client().api.remove_container
    refusals = []

    def remove(cid: str) -> None:
        if len(refusals) < 2:  # the daemon's answer when the kill outlasts its 10 s
            refusals.append(cid)
            raise docker.errors.APIError("could not kill running container, cannot remove")
        real(cid, force=True)

    remover = dk._Remover(remove=remove)
    remover.PAUSES = (0.2, 0.2)  # type: ignore[misc]
    monkeypatch.setattr(dk, "_remover", remover)
    sb = dk.DockerSandbox()
    cid = sb.container.id
    sb.close()
    assert refusals == [cid]
    assert remover.pending() == [cid]
    deadline = time.monotonic() + 30
    while remover.pending() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert remover.pending() == []
    assert len(refusals) == 2
    with pytest.raises(docker.errors.NotFound):
        docker_client().api.inspect_container(cid)


def test_the_remover_gives_up_and_leaves_the_rest_to_gc(docker_ready: None) -> None:
    import agentgym.sandbox.docker as dk

    calls = []

    def remove(cid: str) -> None:
        calls.append(cid)
        raise OSError("daemon gone")

    remover = dk._Remover(remove=remove, give_up_s=0.0)
    remover.retry_later("deadbeef")
    remover.flush()
    assert remover.pending() == []
    assert calls and set(calls) == {"deadbeef"}
