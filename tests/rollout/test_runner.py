"""Rollout runner: concurrency, per-episode errors, resume, and a clean Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from agentgym.policies import OraclePolicy
from agentgym.rollout import EpisodeSpec, make_env, read_results, run_rollouts


def _specs(n: int, task_ids: list[str]) -> list[EpisodeSpec]:
    return [
        EpisodeSpec(
            policy="oracle",
            env_id="agentgym/BugFix-v0",
            task_id=task_ids[i % len(task_ids)],
            seed=i,
            max_turns=6,
        )
        for i in range(n)
    ]


class Boom(OraclePolicy):
    def act(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: dict[str, Any]
    ) -> Any:
        if info.get("seed") == 1:
            raise RuntimeError("policy exploded")
        return super().act(messages, tools, info)


@pytest.mark.slow
def test_concurrent_errors_recorded_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "episodes.jsonl"
    specs = _specs(3, ["inflection-ordinal-teens", "inflection-camelize-default"])
    made: list[Any] = []

    def env_for(spec: EpisodeSpec) -> Any:
        env = make_env(spec.env_id, None, backend="local", max_turns=6)
        made.append(env)
        return env

    results = run_rollouts(specs, env_for, lambda s: Boom(), out=out, workers=2, progress=False)
    assert [r.key for r in results] == [s.key for s in specs]
    assert [r.status for r in results] == ["ok", "error", "ok"]
    assert "policy exploded" in (results[1].error or "")
    assert results[0].success and results[2].success and results[0].trajectory
    assert len(made) == 2  # one env per worker
    assert all(env.unwrapped.sandbox is None for env in made)  # closed
    # resume: nothing is rerun
    again = run_rollouts(specs, env_for, lambda s: Boom(), out=out, workers=2, progress=False)
    assert len(made) == 2 and [r.key for r in again] == [s.key for s in specs]
    assert len(out.read_text().splitlines()) == 3


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "agentgym.bench",
        "--policy",
        "oracle",
        "--recipes",
        "clean,light",
        "--episodes",
        "15",  # 30 in all: far more than can finish between the first one and the Ctrl-C
        "--out",
        str(tmp_path),
        "--backend",
        "local",
        "--max-turns",
        "6",
        "--no-progress",
        "--workers",
        "2",
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # SIGINT ignored by a shell that ran the tests in the background stays ignored in Python
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    jsonl = tmp_path / "episodes.jsonl"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (jsonl.exists() and jsonl.read_text().strip()):
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "resume" in out
    done = read_results(jsonl)
    assert 1 <= len(done) < 30
    # no sandbox processes left behind by this run
    left = subprocess.run(["pgrep", "-f", f"bwrap.*{tmp_path}"], capture_output=True, text=True)
    assert left.stdout.strip() == ""
