"""Every preserving transform keeps the task solvable: a scripted agent that follows the
perturbed tool names (and writes in the perturbed chat format) still gets reward 1."""

from __future__ import annotations

import shutil
import time
from functools import cache
from typing import Any

import pytest

from agentgym.data.oracle import ScriptedOracle
from agentgym.env import CodingEnv, envs_root
from agentgym.perturb import Compose, registry
from agentgym.perturb.chat import FAMILIES
from agentgym.perturb.env import PerturbedEnv
from agentgym.tasks import load_tasks
from agentgym.types import Task

PRESERVING = sorted(n for n, c in registry.items() if c.semantics == "preserving")
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap is not installed")


@cache
def first_task() -> Task:
    return sorted(load_tasks(envs_root() / "bugfix"), key=lambda t: t.id)[0]


def solve(env: PerturbedEnv, task: Task, seed: int = 0) -> tuple[float, dict[str, Any]]:
    """Run the scripted oracle for one episode; return (final reward, reset info)."""
    _, info0 = env.reset(seed=seed)
    agent = ScriptedOracle()
    agent.begin(task, info0)
    info: dict[str, Any] = {}
    for _ in range(20):
        _, reward, terminated, truncated, info = env.step(agent.act(info))
        assert "parse_error" not in info, (info0["chat_format"], info["parse_error"])
        if terminated or truncated:
            assert terminated, info.get("truncated_by")
            return reward, info0
    raise AssertionError("the oracle did not finish in 20 turns")


def run(recipe: Compose, backend: str) -> tuple[float, dict[str, Any]]:
    task = first_task()
    core = CodingEnv([task], backend=backend, monitor=False, render_prompt=True, max_turns=20)
    env = PerturbedEnv(core, recipe, seed=7)
    try:
        return solve(env, task)
    finally:
        env.close()


@needs_bwrap
@pytest.mark.parametrize("name", PRESERVING)
def test_preserving_transform_keeps_task_solvable_local(name: str) -> None:
    reward, info = run(Compose([registry[name](p=1.0, severity="heavy")]), "local")
    assert [r["transform"] for r in info["perturbations"]] == [name]
    assert reward == 1.0


@needs_bwrap
@pytest.mark.parametrize("family", FAMILIES)
def test_every_chat_family_parses_the_agents_calls(family: str) -> None:
    recipe = Compose([registry["chat_switch_format"](p=1.0, severity="heavy", families=[family])])
    reward, info = run(recipe, "local")
    assert info["chat_format"] == family
    assert reward == 1.0


def _groups(size: int) -> list[list[str]]:
    return [PRESERVING[i : i + size] for i in range(0, len(PRESERVING), size)]


@pytest.mark.docker
@pytest.mark.parametrize("names", _groups(4), ids=lambda g: "+".join(g))
def test_preserving_transforms_keep_task_solvable_docker(names: list[str]) -> None:
    # Grouped (every preserving transform still covered) to keep the file ~1 min on Docker.
    started = time.monotonic()
    recipe = Compose([registry[n](p=1.0, severity="heavy") for n in names])
    reward, info = run(recipe, "docker")
    assert {r["transform"] for r in info["perturbations"]} == set(names)
    assert reward == 1.0
    assert time.monotonic() - started < 60


def test_groups_cover_every_preserving_transform() -> None:
    assert sorted(n for g in _groups(4) for n in g) == PRESERVING
    assert len(PRESERVING) >= 40
