"""The trainer on a CUDA GPU: bf16 weights, FP32 vs bf16 LM head, train/rollout mismatch per step.

    python benchmarks/gpu_trainer_check.py                 # configs/train/gpu_bf16.yaml, 150 steps
    python benchmarks/gpu_trainer_check.py --steps 60 --budget-s 120

Runs the same config twice from the same seed — once with ``lm_head_fp32: true`` (the
default), once with the head in bf16 — and records, every step, mean reward and the
mismatch between the rollout engine's log-probs (recorded at sampling time) and the
trainer's (``mismatch/mean_abs``, ``max_abs``, ``kl``, ``corr``), plus step time and which
rollout engine ran (``auto`` picks the static-cache engine with CUDA graphs on a GPU).
Writes benchmarks/results/gpu_trainer_check.json; ``--plot`` draws the mismatch curves.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEYS = (
    "reward/mean",
    "mismatch/mean_abs",
    "mismatch/max_abs",
    "mismatch/kl",
    "mismatch/corr",
    "time/rollout_s",
    "time/logprob_s",
    "time/update_s",
    "time/step_s",
    "tokens/per_s",
)


def run(
    cfg_path: Path,
    head_fp32: bool,
    steps: int,
    deadline: float,
    out_dir: str,
    master: bool | None = None,
) -> dict[str, Any]:
    import torch
    import yaml

    from agentgym.train.config import TrainConfig
    from agentgym.train.trainer import Trainer

    raw = yaml.safe_load(cfg_path.read_text())
    raw.update(steps=steps, output_dir=out_dir, resume=False)
    raw.setdefault("model", {})["lm_head_fp32"] = head_fp32
    if master is not None:
        raw.setdefault("optim", {})["master_weights_fp32"] = master
    trainer = Trainer(TrainConfig.model_validate(raw))
    rows: list[dict[str, float]] = []
    for _ in range(steps):
        if time.perf_counter() > deadline:
            break
        m = trainer.step()
        rows.append({k: float(m[k]) for k in KEYS if k in m})
    engine = trainer.engine
    last = rows[-10:]
    return {
        "lm_head_fp32": head_fp32,
        "master_weights_fp32": trainer.optimizer.__class__.__name__ == "MasterWeightsAdamW",
        "engine": trainer.engine_name,
        "cuda_graphs": any(b.graph is not None for b in getattr(engine, "_bufs", {}).values()),
        "graph_error": getattr(engine, "graph_error", None),
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
        "steps": len(rows),
        "reward_first10": statistics.mean(r["reward/mean"] for r in rows[:10]) if rows else None,
        "reward_last10": statistics.mean(r["reward/mean"] for r in last) if last else None,
        "mismatch_mean_abs_median": statistics.median(r["mismatch/mean_abs"] for r in rows)
        if rows
        else None,
        "mismatch_max_abs_median": statistics.median(r["mismatch/max_abs"] for r in rows)
        if rows
        else None,
        "mismatch_kl_median": statistics.median(r["mismatch/kl"] for r in rows) if rows else None,
        "step_s_median": statistics.median(r["time/step_s"] for r in rows[1:])
        if rows[1:]
        else None,
        "per_step": rows,
    }


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for r in result["runs"]:
        label = "FP32 head" if r["lm_head_fp32"] else "bf16 head"
        if result.get("compare") == "master":
            label = "FP32 master weights" if r["master_weights_fp32"] else "bf16 weights only"
        steps = range(1, len(r["per_step"]) + 1)
        axes[0].plot(steps, [s["mismatch/mean_abs"] for s in r["per_step"]], label=label)
        axes[1].plot(steps, [s["reward/mean"] for s in r["per_step"]], label=label)
    axes[0].set(
        yscale="log", xlabel="step", ylabel="mean |log p_train - log p_rollout|",
        title=f"train/rollout mismatch ({result['runs'][0]['device']})",
    )  # fmt: skip
    axes[1].set(xlabel="step", ylabel="mean reward", title="reward")
    for ax in axes:
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--config", default=str(ROOT / "configs" / "train" / "gpu_bf16.yaml"))
    p.add_argument("--steps", type=int, default=150)
    p.add_argument(
        "--compare",
        choices=("head", "master"),
        default="head",
        help="head: FP32 vs bf16 LM head; master: FP32 master weights on vs off (FP32 head)",
    )
    p.add_argument("--budget-s", type=float, default=240.0, help="both runs together")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gpu_trainer_check.json"))
    p.add_argument("--plot", default=None, help="also draw the curves to this PNG")
    p.add_argument("--from-json", action="store_true", help="only plot an existing --out file")
    args = p.parse_args()
    out = Path(args.out)
    if args.from_json:
        plot(json.loads(out.read_text()), Path(args.plot or out.with_suffix(".png")))
        return
    import torch

    if not torch.cuda.is_available():
        raise SystemExit(
            "gpu_trainer_check.py needs a CUDA GPU; CPU runs are the tests in tests/train"
        )
    start = time.perf_counter()
    runs = []
    variants = (
        [(True, None), (False, None)] if args.compare == "head" else [(True, True), (True, False)]
    )
    for i, (head, master) in enumerate(variants):
        deadline = start + args.budget_s * (i + 1) / 2
        r = run(
            Path(args.config), head, args.steps, deadline, f"/tmp/agentgym_gpu_check_{i}", master
        )
        runs.append(r)
        print({k: v for k, v in r.items() if k != "per_step"}, flush=True)
    result = {
        "config": str(Path(args.config).relative_to(ROOT)),
        "compare": args.compare,
        "runs": runs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    if args.plot:
        plot(result, Path(args.plot))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
