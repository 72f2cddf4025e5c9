"""Rollouts on a real 2-node Ray cluster on this machine (``ray start --head`` + a second
``ray start --address``): the oracle bench gives the thread runner's rows, and a killed
worker's episodes are retried elsewhere, none lost or written twice, its containers gc'd."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ray", reason="needs agentgym[ray]")

from agentgym.bench.run import BenchConfig, run_bench
from agentgym.policies import make_policy
from agentgym.rollout import EpisodeResult, EpisodeSpec, make_env

pytestmark = [pytest.mark.docker, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
TIMING = ("wall_s", "env_s", "policy_s")  # measurements, not part of the episode
TASKS = ["cachetools-ttl-contains-at-expiry", "more-itertools-grouper-modes-swapped"]


def _rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k not in TIMING} for e in results["episodes"]]


def test_oracle_bench_on_two_nodes_matches_the_thread_runner(
    ray_cluster: str, tmp_path: Path
) -> None:
    from agentgym.rollout.ray_runner import LAST_RUN

    common = dict(
        policies=["oracle"],
        envs=["agentgym/BugFix-v0"],
        recipes=["clean", "light"],
        episodes=2,
        tasks=TASKS,
        workers=2,
        backend="docker",
        progress=False,
    )
    local = run_bench(BenchConfig(out=str(tmp_path / "threads"), **common))  # type: ignore[arg-type]
    on_ray = run_bench(
        BenchConfig(out=str(tmp_path / "ray"), ray_address=ray_cluster, **common)  # type: ignore[arg-type]
    )
    assert len(LAST_RUN["nodes"]) == 2  # the two actors ran on the two nodes
    assert _rows(on_ray) == _rows(local)
    assert all(e["success"] for e in _rows(on_ray))
    lines = (tmp_path / "ray" / "episodes.jsonl").read_text().splitlines()
    assert len(lines) == len(local["episodes"])


def _owned_by(pid: int) -> list[str]:
    from agentgym.sandbox import docker_client

    rows = docker_client().api.containers(all=True, filters={"label": "agentgym.managed"})
    return [
        r["Names"][0] for r in rows if (r.get("Labels") or {}).get("agentgym.owner_pid") == str(pid)
    ]


def test_killed_worker_episodes_retried_none_lost_or_twice_and_gc(ray_cluster: str) -> None:
    from agentgym.rollout.ray_runner import drive_ray

    specs = [
        EpisodeSpec(
            policy="oracle",
            env_id="agentgym/BugFix-v0",
            task_id=TASKS[i % 2],
            seed=i,
            max_turns=8,
        )
        for i in range(6)
    ]
    written: list[EpisodeResult] = []
    victim: dict[str, Any] = {}
    dispatched = 0
    by_pid: dict[int, list[str]] = {}

    def on_dispatch(spec: EpisodeSpec, where: dict[str, Any]) -> None:
        nonlocal dispatched
        dispatched += 1
        by_pid.setdefault(where["pid"], []).append(spec.key)
        if dispatched == 3 and not victim:  # its actor has run an episode: a warm spare is up
            victim.update(where, key=spec.key)

            def kill() -> None:
                victim["containers"] = _owned_by(where["pid"])
                os.kill(where["pid"], signal.SIGKILL)

            threading.Timer(1.5, kill).start()

    def env_for(spec: EpisodeSpec) -> Any:
        return make_env(spec.env_id, None, backend="docker", max_turns=spec.max_turns)

    facts = drive_ray(
        specs,
        env_for,
        lambda spec: make_policy(spec.policy),
        written.append,
        address=ray_cluster,
        actors=2,
        stop=threading.Event(),
        on_dispatch=on_dispatch,
    )
    keys = [r.key for r in written]
    assert sorted(keys) == sorted(s.key for s in specs)  # none lost, none twice
    assert all(r.status == "ok" and r.success for r in written), [r.error for r in written]
    # Retried: what the killed actor held when it died (the victim's episode, or the next one
    # it took if the victim finished within the kill timer's 1.5 s), and nothing else.
    assert facts["actors_lost"] >= 1 and facts["retried"], facts
    assert set(facts["retried"]) <= set(by_pid[victim["pid"]]), (facts, by_pid)
    # The dead worker had containers; `agentgym sandbox gc` leaves none of them. (The next
    # agentgym process on the node may have reaped them already, at its start-up.)
    assert victim["containers"], "the worker owned no container when it was killed"
    gc = subprocess.run(
        [sys.executable, "-m", "agentgym.cli", "sandbox", "gc"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert gc.returncode == 0, gc.stdout + gc.stderr
    assert _owned_by(victim["pid"]) == []
    json.dumps(facts)


def test_data_rollout_on_ray_writes_the_local_rows(ray_cluster: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agentgym.data.cli import data_app

    args = ["rollout", "--env", "agentgym/BugFix-v0", "--recipe", "perturbations/light.yaml"]
    args += ["--episodes", "3", "--backend", "docker", "--max-turns", "8"]
    args += ["--task", TASKS[0], "--task", TASKS[1]]
    runner = CliRunner()
    local = runner.invoke(data_app, [*args, "--out", str(tmp_path / "local.jsonl")])
    on_ray = runner.invoke(
        data_app, [*args, "--out", str(tmp_path / "ray.jsonl"), "--ray", ray_cluster]
    )
    assert local.exit_code == 0 and on_ray.exit_code == 0, on_ray.output
    # The same rows, but for the durations pytest prints in the episodes' tool output.
    rows = [
        re.sub(r"in \d+\.\d+s", "in <t>s", (tmp_path / f).read_text()).splitlines()
        for f in ("local.jsonl", "ray.jsonl")
    ]
    assert len(rows[0]) == 3 and rows[0] == rows[1]
