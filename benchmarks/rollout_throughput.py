"""Rollout throughput: episodes/s and steps/s, sequential (1 worker) vs concurrent (N workers).

Same episodes (oracle policy, BugFix tasks, clean recipe) in the same run, so the ratio is
the speed-up from running episodes concurrently. Prints a table, writes JSON to
benchmarks/results/rollout_throughput.json.

    python benchmarks/rollout_throughput.py --episodes 8 --workers 4 --backend auto
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from agentgym.bench.matrix import env_task_ids, pick_tasks
from agentgym.policies import make_policy
from agentgym.rollout import EpisodeSpec, make_env, run_rollouts


def measure(specs: list[EpisodeSpec], workers: int, backend: str) -> dict[str, float]:
    started = time.perf_counter()
    results = run_rollouts(
        specs,
        lambda s: make_env(s.env_id, None, backend=backend, max_turns=s.max_turns),
        lambda s: make_policy(s.policy),
        workers=workers,
        progress=False,
        keep_trajectory=False,
    )
    wall = time.perf_counter() - started
    steps = sum(r.turns for r in results)
    return {
        "workers": workers,
        "episodes": len(results),
        "steps": steps,
        "wall_s": wall,
        "episodes_per_s": len(results) / wall,
        "steps_per_s": steps / wall,
        "success": sum(r.success for r in results) / len(results),
        "backend": results[0].backend or backend,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=8)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--env", default="agentgym/BugFix-v0")
    ap.add_argument("--out", default="benchmarks/results/rollout_throughput.json")
    args = ap.parse_args()
    pairs = pick_tasks(env_task_ids(args.env), args.episodes, seed=0)
    specs = [
        EpisodeSpec(policy="oracle", env_id=args.env, task_id=t, seed=s, max_turns=8)
        for t, s in pairs
    ]
    measure(specs[:1], 1, args.backend)  # warm-up: task images / local builds cached
    seq = measure(specs, 1, args.backend)
    conc = measure(specs, args.workers, args.backend)
    speedup = conc["episodes_per_s"] / seq["episodes_per_s"]
    print(f"{'mode':<12}{'workers':>8}{'episodes':>10}{'wall s':>9}{'ep/s':>8}{'steps/s':>9}")
    for name, r in (("sequential", seq), ("concurrent", conc)):
        print(
            f"{name:<12}{r['workers']:>8}{r['episodes']:>10}{r['wall_s']:>9.1f}"
            f"{r['episodes_per_s']:>8.2f}{r['steps_per_s']:>9.2f}"
        )
    print(f"speed-up x{speedup:.2f} ({seq['backend']} backend, {os.cpu_count()} CPUs)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "sequential": seq,
                "concurrent": conc,
                "speedup": speedup,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "created": time.time(),
            },
            indent=1,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
