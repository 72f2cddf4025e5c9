"""Learning curves on ToolCall-v0 from a random-init model: a loss x seed x thread-count grid.

    python benchmarks/train_learning.py [--losses grpo cispo] [--seeds 0 1 2] [--threads 1 2]
        [--jobs 1] [--out benchmarks/results/train_learning.json] [--plot docs/img/train_learning.png]

Each run trains the bundled example config (``configs/train/toolcall_<loss>.yaml``) until the
10-step mean reward reaches 0.8 (what ``tests/train/test_train_learning.py`` asserts) or
``--max-steps``. ``--baseline`` also runs each config without its robustness settings
(groups of 8, no entropy bonus), which stalls on some seeds and thread counts. Prints a table,
writes JSON (start/end reward, steps, seconds, the curve), optionally a plot. ``--jobs N``
runs N configurations at once in separate processes (each with its own thread count), so
timings are only comparable between runs with the same ``--jobs``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = 0.8
WINDOW = 10
# The recipe before the robustness settings: groups of 8, no entropy bonus.
BASELINE = {"env": {"tasks_per_step": 16, "group_size": 8}, "loss": {"entropy_coef": 0.0}}


def learning_run(
    loss: str, seed: int, threads: int, max_steps: int, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Train one config until the WINDOW-step mean reward reaches TARGET; its curve and timing."""
    import torch

    from agentgym.train.config import load_config
    from agentgym.train.trainer import Trainer

    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as out:
        over = {
            "seed": seed,
            "steps": max_steps,
            "num_threads": threads,
            "output_dir": out,
            "progress": False,
            "tensorboard": False,
            "checkpoint_every": 0,
            **(overrides or {}),
        }
        cfg = load_config(ROOT / "configs" / "train" / f"toolcall_{loss}.yaml", over)
        trainer = Trainer(cfg)
        rewards: list[float] = []
        start = time.perf_counter()
        while trainer.step_idx < max_steps:
            rewards.append(trainer.step()["reward/mean"])
            if len(rewards) >= WINDOW and sum(rewards[-WINDOW:]) / WINDOW >= TARGET:
                break
        seconds = time.perf_counter() - start
    end = sum(rewards[-WINDOW:]) / min(WINDOW, len(rewards))
    return {
        "loss": loss,
        "seed": seed,
        "threads": threads,
        "baseline": bool(overrides),
        "steps": len(rewards),
        "seconds": round(seconds, 1),
        "start_reward": round(sum(rewards[:5]) / 5, 4),
        "end_reward": round(end, 4),
        "reached": end >= TARGET,
        "curve": [round(r, 4) for r in rewards],
    }


def _subprocess_run(job: tuple[str, int, int, int, bool]) -> dict[str, Any]:
    loss, seed, threads, max_steps, baseline = job
    over = BASELINE if baseline else None
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
        "from benchmarks.train_learning import learning_run; "
        f"print(json.dumps(learning_run({loss!r}, {seed}, {threads}, {max_steps}, {over!r})))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"  {loss} seed {seed} threads {threads}{' baseline' if baseline else ''}: "
        f"{result['steps']} steps, {result['seconds']}s, end reward {result['end_reward']}",
        flush=True,
    )
    return result


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses = sorted({r["loss"] for r in results})
    fig, axes = plt.subplots(1, len(losses), figsize=(6 * len(losses), 4), squeeze=False)
    for ax, loss in zip(axes[0], losses, strict=True):
        for r in (r for r in results if r["loss"] == loss):
            c = r["curve"]
            smooth = [
                sum(c[max(0, i - 9) : i + 1]) / len(c[max(0, i - 9) : i + 1]) for i in range(len(c))
            ]
            style = ":" if r["baseline"] else "-"
            label = f"seed {r['seed']}, {r['threads']} thr" + (
                " (baseline)" if r["baseline"] else ""
            )
            ax.plot(smooth, style, label=label, linewidth=1.2)
        ax.axhline(TARGET, color="grey", linewidth=0.8)
        ax.set(title=f"{loss} on ToolCall-v0 (10-step mean reward)", xlabel="step", ylim=(0, 1))
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--losses", nargs="+", default=["grpo", "cispo"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--max-steps", type=int, default=1500)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--baseline", action="store_true", help="also run the baseline configs")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/train_learning.json")
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args()

    jobs = [
        (loss, seed, threads, args.max_steps, baseline)
        for baseline in ([False, True] if args.baseline else [False])
        for loss in args.losses
        for seed in args.seeds
        for threads in args.threads
    ]
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        results = list(pool.map(_subprocess_run, jobs))
    print(
        f"{'loss':6} {'seed':>4} {'thr':>3} {'base':>4} {'steps':>5} {'sec':>6} {'start':>6} {'end':>6}  ok"
    )
    for r in results:
        print(
            f"{r['loss']:6} {r['seed']:>4} {r['threads']:>3} {'y' if r['baseline'] else '':>4} "
            f"{r['steps']:>5} {r['seconds']:>6.1f} {r['start_reward']:>6.3f} {r['end_reward']:>6.3f}"
            f"  {'yes' if r['reached'] else 'NO'}"
        )
    import platform

    payload = {
        "benchmark": "train_learning",
        "target": f"{WINDOW}-step mean reward >= {TARGET}",
        "max_steps": args.max_steps,
        "parallel_jobs": args.jobs,
        "machine": {"python": platform.python_version(), "processor": platform.processor()},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1) + "\n")
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
