"""The proof that every profile is solvable: the oracle fixes every bundled bug-fix task under
every profile on the local backend (all 32 x all profiles), and one task per profile on Docker.
Under a scaffold the oracle applies the fix with the harness's own edit tool where it has one
(route "edit"); only a harness without one (mini-swe-agent) goes through its shell."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from agentgym.scaffolds import load_profile, profile_names
from tests.scaffolds.episodes import bugfix_ids, run_oracle

EDITLESS = {"mini-swe-agent", "mini-swe-agent-v1"}  # shell only, by design of the harness


def _check(profile: str, results: list[dict]) -> list[str]:
    problems = []
    for r in results:
        if r["reward"] != 1.0 or not r["terminated"]:
            grade = r["info"].get("grade") or {}
            why = grade.get("error") or grade.get("flags") or (grade.get("log_tail") or "")[-200:]
            problems.append(
                f"{profile}/{r['task']}: reward {r['reward']} after {r['turns']} turns "
                f"({grade.get('status')}: {why})"
            )
        want = "shell" if profile in EDITLESS else "edit"
        if r["route"] != want:
            problems.append(f"{profile}/{r['task']}: applied the fix by {r['route']}, not {want}")
        if load_profile(profile).placement == "text" and r["trajectory"].tools:
            problems.append(f"{profile}/{r['task']}: a text-placement episode declared tools")
    return problems


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap is not installed")
def test_oracle_solves_every_bugfix_task_under_every_profile_locally():
    ids = bugfix_ids()
    assert len(ids) >= 30
    names = profile_names()
    cpus = int(os.environ.get("AGENTGYM_SCAFFOLD_MATRIX_WORKERS", 0)) or (os.cpu_count() or 2)
    workers = max(1, min(len(names), cpus))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = dict(zip(names, pool.map(lambda p: run_oracle(p, ids), names), strict=True))
    problems = [p for name in names for p in _check(name, results[name])]
    assert not problems, "\n".join(problems)


@pytest.mark.docker
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("profile", profile_names())
def test_oracle_solves_one_bugfix_task_per_profile_on_docker(profile):
    ids = bugfix_ids()
    task = ids[profile_names().index(profile) % len(ids)]  # a different task per profile
    problems = _check(profile, run_oracle(profile, [task], backend="docker"))
    assert not problems, "\n".join(problems)
