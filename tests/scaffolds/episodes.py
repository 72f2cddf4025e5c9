"""Run the oracle through a scaffold profile: shared by the local and Docker integration tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentgym.env import CodingEnv
from agentgym.perturb.env import PerturbedEnv
from agentgym.perturb.scaffold import ScaffoldSwap
from agentgym.policies.oracle import OraclePolicy
from agentgym.tasks import load_tasks

ROOT = Path(__file__).resolve().parents[2]
BUGFIX = ROOT / "envs" / "bugfix"


def bugfix_ids() -> list[str]:
    return sorted(t.id for t in load_tasks(BUGFIX))


def run_oracle(
    profile: str, task_ids: list[str], backend: str = "local", run_tests: bool = False
) -> list[dict[str, Any]]:
    """One oracle episode per task under ``profile``: reward, route, turns, the trajectory."""
    core = CodingEnv(BUGFIX, backend=backend, max_turns=12)
    env = PerturbedEnv(core, [ScaffoldSwap(profiles=[profile])], seed=0)
    out = []
    try:
        for i, task_id in enumerate(task_ids):
            _, info = env.reset(seed=i, options={"task_id": task_id})
            policy = OraclePolicy(run_tests=run_tests)
            ctx = {**info, "task": core.task, "seed": i}
            policy.reset(ctx)
            done = False
            while not done:
                messages = [m.to_openai() for m in core.messages]
                action = policy.act(messages, info["tools"], ctx)
                _, reward, terminated, truncated, step = env.step(action)
                done = terminated or truncated
            assert core.trajectory is not None
            out.append(
                {
                    "task": task_id,
                    "reward": reward,
                    "route": policy.route,
                    "terminated": terminated,
                    "turns": core.turn,
                    "trajectory": core.trajectory.model_copy(deep=True),
                    "info": step,
                }
            )
    finally:
        env.close()
    return out
