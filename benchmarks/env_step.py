"""Environment hot paths: reset, step, grading — each against a baseline in the same run.

    python benchmarks/env_step.py [--backend docker|local] [--quick]

- reset: warm pool (pool_size=1) vs cold container per episode (pool_size=0)
- step: one bash tool call through CodingEnv.step (parse + tool + monitor) vs the same
  command through Sandbox.run directly (the env's overhead)
- grading: agentgym's grader (fresh container, node ids, JUnit) vs the naive way
  (`docker run` a fresh container and run the task's whole test command there)

Writes benchmarks/results/env_step.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agentgym.env import CodingEnv, envs_root
from agentgym.grading import grade

RESULTS = Path(__file__).parent / "results" / "env_step.json"


def p50(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2] * 1000.0


def call(name: str, **arguments: object) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="docker")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_reset = 4 if args.quick else 10
    n_step = 50 if args.quick else 200
    console = Console()
    task_dir = sorted(p for p in (envs_root() / "bugfix").iterdir() if (p / "task.toml").exists())[
        0
    ]
    res: dict[str, float | str | int] = {"backend": args.backend, "task": task_dir.name}

    with console.status("reset: warm pool vs cold"):
        for pool_size, key in ((1, "reset_pool_p50_ms"), (0, "reset_cold_p50_ms")):
            env = CodingEnv(task_dir, backend=args.backend, pool_size=pool_size, grade=False)
            env.reset(seed=0)  # builds/caches the image
            samples = []
            for i in range(n_reset):
                time.sleep(0.5 if pool_size else 0)  # let the pool refill, as between episodes
                t = time.perf_counter()
                env.reset(seed=i)
                samples.append(time.perf_counter() - t)
            res[key] = p50(samples)
            env.close()

    with console.status("step vs raw sandbox call"):
        env = CodingEnv(task_dir, backend=args.backend, grade=False, max_turns=10 * n_step)
        env.reset(seed=0)
        action = call("bash", command="echo x")
        for _ in range(10):
            env.step(action)
        steps = []
        for _ in range(n_step):
            t = time.perf_counter()
            env.step(action)
            steps.append(time.perf_counter() - t)
        raw = []
        assert env.sandbox is not None
        for _ in range(n_step):
            t = time.perf_counter()
            env.sandbox.run("echo x")
            raw.append(time.perf_counter() - t)
        res["step_p50_ms"] = p50(steps)
        res["raw_sandbox_call_p50_ms"] = p50(raw)
        res["env_overhead_ms"] = res["step_p50_ms"] - res["raw_sandbox_call_p50_ms"]
        task = env.task
        image = env._images.get(task.id) if task is not None else None
        env.close()

    with console.status("grading vs naive docker run of the whole test command"):
        assert task is not None
        n_grade = 3 if args.quick else 5
        ours, cold = [], []
        pool = None
        if args.backend == "docker" and image:
            from agentgym.sandbox import SandboxConfig, SandboxPool

            pool = SandboxPool(SandboxConfig(type="docker", image=image), size=1, images=[image])
        for _ in range(n_grade):
            if pool is not None:
                pool.wait_ready(
                    image, timeout=60
                )  # as in an env: the pool refills during the episode
            t = time.perf_counter()
            result = grade(task, "", backend=args.backend, pool=pool, image=image)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            grade(task, "", backend=args.backend, image=image)
            cold.append(time.perf_counter() - t)
        if pool is not None:
            pool.close()
        res["grade_p50_ms"] = p50(ours)
        res["grade_cold_container_p50_ms"] = p50(cold)
        res["grade_status_noop"] = result.status
        if args.backend == "docker" and image:
            naive = []
            for _ in range(n_grade):
                t = time.perf_counter()
                subprocess.run(
                    [
                        "docker",
                        "run",
                        "--rm",
                        "--network",
                        "none",
                        image,
                        "bash",
                        "-c",
                        "python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1; true",
                    ],
                    check=True,
                    capture_output=True,
                )
                naive.append(time.perf_counter() - t)
            res["naive_docker_run_full_suite_p50_ms"] = p50(naive)
            res["grade_speedup_vs_naive"] = (
                res["naive_docker_run_full_suite_p50_ms"] / res["grade_p50_ms"]
            )
    res["reset_speedup_pool_vs_cold"] = float(res["reset_cold_p50_ms"]) / float(
        res["reset_pool_p50_ms"]
    )

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    out = (
        RESULTS if args.backend == "docker" else RESULTS.with_name(f"env_step_{args.backend}.json")
    )
    out.write_text(json.dumps(res, indent=2) + "\n")
    table = Table(title=f"env hot paths ({args.backend})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in res.items():
        table.add_row(key, f"{value:.2f}" if isinstance(value, float) else str(value))
    console.print(table)
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
