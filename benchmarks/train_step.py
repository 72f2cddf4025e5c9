"""CPU benchmark of the trainer: one RL step's time split, and chunked vs naive log-probs.

    python benchmarks/train_step.py [--steps 20] [--out benchmarks/results/train_step.json]

1. Trainer step on the toy ToolCall config (rollout / log-prob / update split, median of
   ``--steps`` steps after 2 warm-up steps), FP32 head against the native-dtype head
   (the baseline) in the same run.
2. Per-token log-probs + backward for N positions, hidden H, vocab V (a real-vocab size):
   the naive path (all [N, V] logits at once, the baseline) against the chunked path
   (``agentgym.train.logprobs.chunked_token_logprobs``). Each variant runs in a fresh
   subprocess so its peak RSS is its own; memory is reported above that subprocess's
   baseline (inputs allocated, nothing computed).
Prints a table and writes JSON with ratios against the baselines.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def logprob_variant(
    variant: str, n: int, h: int, v: int, chunk: int, repeats: int
) -> dict[str, float]:
    """Run one log-prob variant in this process; report time and peak RSS above the inputs."""
    import torch

    from agentgym.train.logprobs import chunked_token_logprobs, naive_token_logprobs

    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(0)
    hidden = torch.randn(n, h, generator=g).to(torch.bfloat16).requires_grad_()
    weight = (torch.randn(v, h, generator=g) * 0.02).to(torch.bfloat16).requires_grad_()
    targets = torch.randint(0, v, (n,), generator=g)
    base_rss = _maxrss_mb()
    times = []
    for _ in range(repeats):
        hidden.grad = weight.grad = None
        t0 = time.perf_counter()
        if variant == "naive":
            logp = naive_token_logprobs(hidden, weight, targets, fp32=True)
        else:
            logp = chunked_token_logprobs(hidden, weight, targets, chunk_size=chunk, fp32=True)[0]
        logp.sum().backward()
        times.append(time.perf_counter() - t0)
    return {"time_s": statistics.median(times), "peak_rss_above_inputs_mb": _maxrss_mb() - base_rss}


def run_variant_subprocess(variant: str, args: argparse.Namespace) -> dict[str, float]:
    cmd = [
        sys.executable, __file__, "--_variant", variant, "--n", str(args.n), "--h", str(args.h),
        "--v", str(args.v), "--chunk", str(args.chunk), "--repeats", str(args.repeats),
    ]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def trainer_steps(steps: int, lm_head_fp32: bool) -> dict[str, float]:
    import torch

    from agentgym.train.config import TrainConfig
    from agentgym.train.trainer import Trainer

    torch.set_num_threads(2)
    cfg = TrainConfig(
        output_dir="/tmp/agentgym_train_step_bench", progress=False, resume=False,
        model={"lm_head_fp32": lm_head_fp32},
    )  # fmt: skip
    trainer = Trainer(cfg)
    for _ in range(2):
        trainer.step()
    rows = [trainer.step() for _ in range(steps)]
    keys = ["time/step_s", "time/rollout_s", "time/logprob_s", "time/update_s", "tokens/per_s"]
    return {k.split("/")[1]: statistics.median(r[k] for r in rows) for k in keys}


PRECISION_SETTINGS = {
    "bf16 head (rollout + trainer)": {
        "model": {"lm_head_fp32": False},
        "rollout": {"lm_head_fp32": False},
    },
    "FP32 head (rollout + trainer)": {
        "model": {"lm_head_fp32": True},
        "rollout": {"lm_head_fp32": True},
    },
    "FP32 trainer, bf16 rollout": {
        "model": {"lm_head_fp32": True},
        "rollout": {"lm_head_fp32": False},
    },
}


def precision_run(steps: int) -> dict[str, list[dict[str, float]]]:
    """Train the toy env with bf16 weights under each head setting; the per-step mismatch."""
    import torch

    from agentgym.train.config import TrainConfig
    from agentgym.train.trainer import Trainer

    torch.set_num_threads(2)
    out: dict[str, list[dict[str, float]]] = {}
    for label, over in PRECISION_SETTINGS.items():
        cfg = TrainConfig.model_validate(
            {
                "output_dir": "/tmp/agentgym_train_precision_bench", "progress": False, "resume": False,
                "model": {"dtype": "bfloat16", "hidden_size": 128, "num_layers": 2, "num_heads": 4,
                          "intermediate_size": 256, **over["model"]},
                "rollout": over["rollout"],
                "tokenizer": {"vocab_size": 64},
            }
        )  # fmt: skip
        trainer = Trainer(cfg)
        out[label] = [
            {k: v for k, v in trainer.step().items() if k.startswith(("mismatch/", "reward/"))}
            for _ in range(steps)
        ]
    return out


def plot_precision(runs: dict[str, list[dict[str, float]]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for label, rows in runs.items():
        steps = range(1, len(rows) + 1)
        axes[0].plot(steps, [r["mismatch/mean_abs"] for r in rows], label=label)
        axes[1].plot(steps, [r["mismatch/max_abs"] for r in rows], label=label)
        axes[2].plot(steps, [1 - r["mismatch/corr"] for r in rows], label=label)
    for ax, title in zip(
        axes, ("mean |Δ log p|", "max |Δ log p|", "1 - corr(p_train, p_rollout)"), strict=True
    ):
        ax.set_title(title)
        ax.set_yscale("log")
        ax.set_xlabel("RL step")
    axes[0].legend(fontsize=8)
    fig.suptitle("Trainer vs rollout log-probs, bf16 weights, toy ToolCall-v0 on CPU")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--n", type=int, default=4096, help="positions")
    p.add_argument("--h", type=int, default=256, help="hidden size")
    p.add_argument("--v", type=int, default=32768, help="vocab size")
    p.add_argument("--chunk", type=int, default=512)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train_step.json"))
    p.add_argument("--precision-steps", type=int, default=30)
    p.add_argument(
        "--plot",
        default=None,
        help="write the mismatch plot PNG here (docs/img/train_mismatch.png)",
    )
    p.add_argument("--_variant", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args._variant:
        print(
            json.dumps(
                logprob_variant(args._variant, args.n, args.h, args.v, args.chunk, args.repeats)
            )
        )
        return

    import torch
    from rich.console import Console
    from rich.table import Table

    step_fp32 = trainer_steps(args.steps, lm_head_fp32=True)
    step_native = trainer_steps(args.steps, lm_head_fp32=False)
    naive = run_variant_subprocess("naive", args)
    chunked = run_variant_subprocess("chunked", args)
    precision = precision_run(args.precision_steps)
    if args.plot:
        plot_precision(precision, args.plot)
    logits_mb = args.n * args.v * 4 / 2**20
    result = {
        "machine": {"torch": torch.__version__, "threads": 2, "device": "cpu"},
        "trainer_step": {
            "config": "toy ToolCall-v0, 16 tasks x 8 episodes, 2-layer d=64 model",
            "fp32_head": step_fp32,
            "native_head_baseline": step_native,
            "step_time_ratio_vs_baseline": step_fp32["step_s"] / step_native["step_s"],
        },
        "logprobs": {
            "shape": {"positions": args.n, "hidden": args.h, "vocab": args.v, "chunk": args.chunk},
            "weights_dtype": "bfloat16",
            "full_fp32_logits_mb": logits_mb,
            "naive_baseline": naive,
            "chunked": chunked,
            "time_ratio_vs_naive": chunked["time_s"] / naive["time_s"],
            "memory_ratio_vs_naive": chunked["peak_rss_above_inputs_mb"]
            / max(naive["peak_rss_above_inputs_mb"], 1e-9),
        },
        "precision": {
            label: {
                "mean_abs_dlogp": statistics.mean(r["mismatch/mean_abs"] for r in rows),
                "max_abs_dlogp": max(r["mismatch/max_abs"] for r in rows),
                "kl": statistics.mean(r["mismatch/kl"] for r in rows),
                "corr": statistics.mean(r["mismatch/corr"] for r in rows),
            }
            for label, rows in precision.items()
        },
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")

    table = Table(title="agentgym.train on CPU (2 threads)")
    for col in ("what", "baseline", "agentgym", "ratio"):
        table.add_column(col)
    table.add_row(
        "RL step (s): native head -> FP32 head",
        f"{step_native['step_s']:.3f}", f"{step_fp32['step_s']:.3f}",
        f"{result['trainer_step']['step_time_ratio_vs_baseline']:.2f}x",
    )  # fmt: skip
    table.add_row(
        "  split rollout/logprob/update (s)",
        f"{step_native['rollout_s']:.3f}/{step_native['logprob_s']:.3f}/{step_native['update_s']:.3f}",
        f"{step_fp32['rollout_s']:.3f}/{step_fp32['logprob_s']:.3f}/{step_fp32['update_s']:.3f}", "",
    )  # fmt: skip
    table.add_row(
        f"log-prob fwd+bwd time (s), N={args.n} V={args.v}",
        f"{naive['time_s']:.3f}", f"{chunked['time_s']:.3f}",
        f"{result['logprobs']['time_ratio_vs_naive']:.2f}x",
    )  # fmt: skip
    table.add_row(
        "log-prob peak memory above inputs (MB)",
        f"{naive['peak_rss_above_inputs_mb']:.0f}", f"{chunked['peak_rss_above_inputs_mb']:.0f}",
        f"{result['logprobs']['memory_ratio_vs_naive']:.2f}x",
    )  # fmt: skip
    base = result["precision"]["bf16 head (rollout + trainer)"]["mean_abs_dlogp"]
    for label, row in result["precision"].items():
        table.add_row(
            f"mismatch, bf16 weights: {label}", "", f"mean {row['mean_abs_dlogp']:.2e} max {row['max_abs_dlogp']:.2e}",
            f"{row['mean_abs_dlogp'] / base:.2f}x",
        )  # fmt: skip
    Console().print(table)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
