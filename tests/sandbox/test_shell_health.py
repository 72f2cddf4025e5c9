"""What a command breaks in its sandbox is noticed after that command, repaired, and said.

Each case runs a real hostile command in a real sandbox (Docker, and bubblewrap for the
embedded backend), then checks that the result's note says what was repaired and that the
next command works with the workspace intact. Not on the unisolated "plain" backend:
there /dev and / are the host's.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest

from agentgym.sandbox.base import Sandbox
from agentgym.sandbox.shell import HEALTH_INIT, PIDS_PROBE, PROTOCOL

from .conftest import open_sandbox

ISOLATED = [
    pytest.param("docker", marks=pytest.mark.docker),
    pytest.param(
        "bwrap",
        marks=pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed"),
    ),
]


@pytest.fixture(params=ISOLATED)
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    if request.param == "docker":
        request.getfixturevalue("docker_ready")
    box = open_sandbox(request.param, command_timeout_s=5, memory_mb=256, pids=64)
    box.run("echo kept > kept.txt")
    try:
        yield box
    finally:
        box.close()


def works(sb: Sandbox, kept: bool = True) -> None:
    res = sb.run("echo alive; cat kept.txt; [ -c /dev/null ] && echo devnull; ulimit -n")
    assert res.exit_code == 0, res
    lines = res.output.split()
    assert lines[0] == "alive" and "devnull" in lines and int(lines[-1]) >= 64, res
    assert ("kept" in lines) == kept, res


def test_protocol_uses_builtins_only() -> None:
    # No command substitution, pipe or subshell: the checks must run when no process can.
    for text in (PROTOCOL.decode(), PIDS_PROBE, HEALTH_INIT):
        assert "$(" not in text and "`" not in text and " | " not in text


def test_ulimit_n_4_restarts_the_shell_with_a_note(sb: Sandbox) -> None:
    res = sb.run("ulimit -n 4")
    assert res.shell_restarted and "open-file limit" in (res.note or ""), res
    works(sb)


def test_lowered_soft_fd_limit_is_noticed(sb: Sandbox) -> None:
    res = sb.run("ulimit -Sn 12; echo set")
    assert "set" in res.output and "open-file limit had been lowered to 12" in (res.note or "")
    works(sb)


def test_deleted_working_directory(sb: Sandbox) -> None:
    res = sb.run("mkdir -p /tmp/gone && cd /tmp/gone && rmdir /tmp/gone")
    assert "working directory no longer exists" in (res.note or "")
    assert sb.run("pwd").output.strip() == sb.workdir


def test_clobbered_path(sb: Sandbox) -> None:
    res = sb.run("export PATH=/nowhere")
    assert "PATH" in (res.note or "")
    assert sb.run("ls kept.txt").output.strip() == "kept.txt"


@pytest.mark.docker
def test_deleted_dev_null_is_repaired_by_a_container_restart(docker_ready: None) -> None:
    box = open_sandbox("docker", command_timeout_s=5)
    try:
        box.run("echo kept > kept.txt")
        started = time.monotonic()
        res = box.run("rm -f /dev/null /dev/zero; echo removed")
        repair_s = time.monotonic() - started
        assert "removed" in res.output and res.shell_restarted
        assert "/dev/null" in (res.note or "") and "restarted" in (res.note or ""), res
        assert repair_s < 15
        works(box)
    finally:
        box.close()


def test_rm_rf_root_leaves_a_working_sandbox(sb: Sandbox) -> None:
    res = sb.run("rm -rf --no-preserve-root / 2>/dev/null; echo done", timeout=60)
    assert "done" in res.output, res
    # Docker repairs what was deleted; bubblewrap's system mounts are read-only, so only the
    # workspace and /tmp could go and there is nothing to repair.
    read_only_system = getattr(sb, "isolated", False)
    assert (res.shell_restarted and res.note) or read_only_system, res
    # The workspace was deleted by the agent itself: it stays deleted; the system works.
    works(sb, kept=False)
    assert sb.run("git --version").exit_code == 0


@pytest.mark.parametrize(
    "bomb",
    [
        ":(){ :|:& };:",
        "python3 -c 'import os\nwhile True:\n  try: os.fork()\n  except OSError: pass'",
        "(:(){ :|:& };:) & echo started",
    ],
    ids=["bash", "python", "background"],
)
def test_fork_bombs_are_cleaned_up_with_a_note(sb: Sandbox, bomb: str) -> None:
    started = time.monotonic()
    first = sb.run(bomb)
    notes = f"{first.note}"
    for _ in range(5):  # a bomb left in the background takes a moment to grow
        time.sleep(0.5)
        second = sb.run("echo after")
        notes += f" {second.note}"
        if "process" in notes or "killed" in notes:
            break
    assert "process" in notes or "killed" in notes, (first, second)
    works(sb)
    # Docker: ~1-7 s. bwrap has no pids cgroup: the bomb runs until the command's timeout
    # (5 s here), then everything is killed (~10 s; more on a loaded machine).
    assert time.monotonic() - started < 60


def test_process_limit_reached_then_freed_is_still_said(sb: Sandbox) -> None:
    """Forks refused during a command whose processes are gone by its end (a burst of jobs,
    a bomb that died out): the sandbox is usable, and the agent is told the limit was hit."""
    res = sb.run("for i in $(seq 90); do sleep 0.5 & done 2>/dev/null; wait; echo done")
    assert "done" in res.output, res
    assert "process limit" in (res.note or ""), res
    works(sb)


# The next command needs more processes than the 64-process limit leaves after 40 sleeps.
FILL = "for i in $(seq 40); do sleep 300 & done; echo started"


@pytest.mark.parametrize(
    "victim",
    [
        # the shell's own forks are refused: bash exits, and the host starts a new shell
        "for i in $(seq 40); do sleep 300 & done 2>/dev/null; echo ran",
        # a child's forks are refused: the shell survives (the sandbox at its limit, or the
        # child's processes gone and only the earlier ones left)
        "(for i in $(seq 40); do sleep 300 & done) 2>/dev/null; echo ran",
    ],
    ids=["shell-exits", "shell-survives"],
)
def test_processes_left_by_an_earlier_command_are_named_as_the_cause(
    sb: Sandbox, victim: str
) -> None:
    """A fork bomb started in the background fills the sandbox while the agent's next
    commands run: the command that meets the limit is told whose processes filled it, and
    either to run it again (everything was killed; the rerun works) or to stop them first."""
    assert sb.run(FILL).output.endswith("started\n")
    res = sb.run(victim)
    note = res.note or ""
    assert "left running by earlier commands" in note, res
    assert int(note.split(" processes left running")[0].rsplit(" ", 1)[-1]) >= 40, note
    if "run it again" in note:  # at the limit (or the shell gone): everything was killed
        rerun = sb.run("echo ran")
        assert rerun.output.endswith("ran\n") and rerun.shell_restarted, rerun
    else:  # forks refused, below the limit at the end: the earlier sleeps still live
        assert "still in the sandbox" in note and "kill" in note, res
        assert "ran" in sb.run("pkill sleep; echo ran").output
    works(sb)


def test_a_command_that_fills_the_sandbox_itself_is_not_told_others_did(sb: Sandbox) -> None:
    res = sb.run("for i in $(seq 80); do sleep 300 & done 2>/dev/null; echo ran")
    assert "process" in (res.note or "") or "exited" in (res.note or ""), res
    assert "left running by earlier commands" not in (res.note or ""), res
    works(sb)


@pytest.mark.parametrize("kind", ISOLATED)
def test_a_kill_for_one_command_never_reaches_the_next(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """Endless output (and a timeout) kill the command's process tree; the command the
    agent runs right after must run to its end, untouched by what is left of that kill.
    The Docker supervisor's later kill rounds once took the next command's processes as
    descendants of the shell ("Killed bash <<..." under load): many processes in the
    killed tree make those rounds long enough to meet the next command."""
    if kind == "docker":
        request.getfixturevalue("docker_ready")
    box = open_sandbox(kind, command_timeout_s=60, pids=1024, output_kill_bytes=1 << 22)
    try:
        for i in range(3):
            flood = box.run("for j in $(seq 300); do sleep 300 & done; yes flood", timeout=60)
            assert flood.truncated, flood
            follow = box.run(f"sleep 1.5; echo survived-{i}", timeout=60)
            assert f"survived-{i}" in follow.output and follow.exit_code == 0, follow
            slow = box.run("for j in $(seq 300); do sleep 300 & done; sleep 300", timeout=3)
            assert slow.timed_out, slow
            after = box.run(f"sleep 1.5; echo survived-timeout-{i}", timeout=60)
            assert f"survived-timeout-{i}" in after.output and after.exit_code == 0, after
    finally:
        box.close()
