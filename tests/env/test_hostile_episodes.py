"""Nothing the agent does ends its episode as an infrastructure error (docs/grading.md).

Each case drives a real hostile command through ``CodingEnv.step`` on a real sandbox
(Docker and the embedded backend): the episode goes on with a notice in the observation,
the next command works, and submitting grades the workspace as it is — ``status`` is
"pass" or "fail", never "error", and ``info["infrastructure_error"]`` is never True.
Infrastructure errors are kept for faults outside the agent's reach, each with a cause.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentgym.env import CodingEnv, envs_root
from agentgym.errors import SessionDiedError

BACKENDS = [pytest.param("docker", marks=pytest.mark.docker), "local"]
LIMITS = {"command_timeout_s": 5, "memory_mb": 512, "pids": 128}


def call(name: str, **arguments: object) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


def task_dir() -> Path:
    return sorted(p for p in (envs_root() / "bugfix").iterdir() if (p / "task.toml").exists())[0]


@pytest.fixture(scope="module", params=BACKENDS)
def env(request: pytest.FixtureRequest) -> Iterator[CodingEnv]:
    if request.param == "docker":
        request.getfixturevalue("docker_ready")
    e = CodingEnv(task_dir(), backend=request.param, max_turns=8, monitor=False, limits=LIMITS)
    yield e
    e.close()


def bash(env: CodingEnv, command: str) -> tuple[str, bool, dict]:
    obs, _reward, terminated, truncated, info = env.step(call("bash", command=command))
    assert not info.get("infrastructure_error"), info
    return obs[0]["content"], terminated or truncated, info


def submit(env: CodingEnv) -> dict:
    _obs, _reward, terminated, _truncated, info = env.step(call("submit"))
    assert terminated
    assert not info["infrastructure_error"], info["grade"]
    assert info["grade"]["status"] in ("pass", "fail"), info["grade"]
    return info


HOSTILE = {
    "fork_bomb": ":(){ :|:& };:",
    "python_fork_loop": "python3 -c 'import os\nwhile True:\n  try: os.fork()\n  except OSError: pass'",
    "memory_bomb": "python3 -c 'x = bytearray(1 << 31); x[::4096] = b\"x\" * len(x[::4096])'",
    "rm_rf_root": "rm -rf --no-preserve-root / 2>/dev/null; echo done",
    "ulimit_n_4": "ulimit -n 4",
    "nul_bytes": "printf 'a\\0b\\x01\\x1b[31mc'",
}


FORK_BOMBS = ("fork_bomb", "python_fork_loop")


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_command_leaves_a_going_episode_with_a_notice(env: CodingEnv, case: str) -> None:
    env.reset(seed=0)
    started = time.monotonic()
    first, done, _ = bash(env, HOSTILE[case])
    assert not done
    notice = first
    for _ in range(6):
        # A bomb left in the background takes a moment to grow: it is noticed at the end of
        # the command during which it fills the sandbox (that command may be stopped, with
        # its own notice), and the command after that runs in a clean sandbox.
        after, done, _ = bash(env, "echo alive; ls /dev/null")
        assert not done
        notice += after
        noticed = any(m in after for m in ("[the command", "[note", "[the sandbox"))
        if "alive\n/dev/null" in after and (noticed or case not in FORK_BOMBS):
            break
        time.sleep(0.5)
    assert "alive\n/dev/null" in after, after
    if case in FORK_BOMBS:
        assert "process" in notice or "killed" in notice, notice
    elif case == "memory_bomb":
        assert "exit code: 0" not in first or "memory" in notice, first
    elif case == "rm_rf_root" and env.backend == "local":
        pass  # bubblewrap's system mounts are read-only: only the workspace could go
    elif case in ("rm_rf_root", "ulimit_n_4"):
        assert "fresh" in notice or "restarted" in notice or "rebuilt" in notice, notice
    else:  # NUL and control bytes arrive escaped, visibly
        assert "a\\x00b\\x01\\x1b[31mc" in first and "\x00" not in first, first
    info = submit(env)
    if case == "rm_rf_root":
        assert info["grade"]["status"] == "fail"  # the agent deleted its own workspace
    assert time.monotonic() - started < 90


def test_sandbox_broken_beyond_repair_is_the_agents_failure(env: CodingEnv) -> None:
    """When every repair fails (forced here: the shell can never be started again), the
    episode ends truncated as the agent's failure and is graded, never masked."""
    env.reset(seed=0)
    assert env.sandbox is not None
    session = env.sandbox.session  # type: ignore[attr-defined]

    def refuse() -> None:
        raise SessionDiedError("forced: the shell cannot start")

    session._spawn = refuse
    session._hard_reset = None
    obs, reward, terminated, truncated, info = env.step(call("bash", command="exit 3"))
    if not truncated:  # the exit is noticed on this command, the restart fails on the next
        obs, reward, terminated, truncated, info = env.step(call("bash", command="echo hi"))
    assert truncated and not terminated
    assert info["truncated_by"] == "sandbox_unusable"
    assert not info.get("infrastructure_error")
    assert info["grade"]["status"] == "fail" and reward == 0.0
    assert "broken beyond repair" in obs[-1]["content"]


@pytest.mark.docker
def test_container_removed_from_outside_is_an_infrastructure_error_with_its_cause(
    docker_ready: None,
) -> None:
    env = CodingEnv(task_dir(), backend="docker", max_turns=5, monitor=False, pool_size=0)
    try:
        env.reset(seed=0)
        env.sandbox.container.remove(force=True)  # type: ignore[union-attr]
        _obs, _r, _term, truncated, info = env.step(call("bash", command="echo hi"))
        if not truncated:
            _obs, _r, _term, truncated, info = env.step(call("bash", command="echo hi"))
        assert truncated and info["truncated_by"] == "infrastructure_error"
        assert info["infrastructure_error"] is True
        assert "removed from outside" in info["infrastructure_cause"]
    finally:
        env.close()
