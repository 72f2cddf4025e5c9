"""Cost of perturbations: sample + apply time per surface, against a copy-the-objects baseline.

    python benchmarks/perturb_cost.py [--repeats 200] [--out benchmarks/results/perturb_cost.json]

For each surface, every registered transform of that surface (medium severity) is sampled and
applied to realistic objects (4 tools, a system prompt, a task statement, tool outputs);
``sample_apply_p50_ms`` is the median over all those timings. The baseline, measured in the same
run, is what any env pays without perturbations: copying the same objects and sampling an empty
``Compose``. Goal: p50 <= 0.2 ms per surface. The per-step overhead against a real env step
(``overhead_pct_of_step``) needs ``CodingEnv`` and is left null until it exists.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentgym.perturb import (  # noqa: E402
    TARGETS,
    Compose,
    EpisodePerturbation,
    PerturbContext,
    ToolResponse,
    load_recipe,
    registry,
)
from agentgym.perturb.recipe import recipes_dir  # noqa: E402
from agentgym.perturb.samples import OUTPUTS, SYSTEM, TOOLS, USER  # noqa: E402

GOAL_MS = 0.2


def ms(ns: int) -> float:
    return ns / 1e6


def time_transform(name: str, repeats: int, rng: np.random.Generator) -> list[int]:
    t = registry[name](severity="medium")
    out = []
    for i in range(repeats):
        ctx = PerturbContext(tools=TOOLS, system=SYSTEM, user=USER)
        if t.target == "tool_response":
            resp = ToolResponse(text=OUTPUTS[i % len(OUTPUTS)], tool_name="bash", call_index=i)
            start = time.perf_counter_ns()
            (rec,) = t.sample(rng, ctx)
            t.apply(resp, rec.params)
        else:
            start = time.perf_counter_ns()
            t.sample(rng, ctx)
        out.append(time.perf_counter_ns() - start)
    return out


def time_baseline(target: str, repeats: int, rng: np.random.Generator) -> list[int]:
    noop = Compose([])
    out = []
    for i in range(repeats):
        start = time.perf_counter_ns()
        ctx = PerturbContext(tools=TOOLS, system=SYSTEM, user=USER)
        noop.sample(rng, ctx)
        if target == "tools":
            [t.model_copy(deep=True) for t in TOOLS]
        elif target == "tool_response":
            ToolResponse(text=OUTPUTS[i % len(OUTPUTS)], tool_name="bash", call_index=i)
        else:
            "".join([SYSTEM if target == "system" else USER])
        out.append(time.perf_counter_ns() - start)
    return out


def time_recipe(path: Path, repeats: int) -> dict[str, float]:
    """Whole-episode cost of a recipe: sample at reset, and the per-turn response cost."""
    recipe = load_recipe(path)
    reset, turn = [], []
    for seed in range(repeats):
        start = time.perf_counter_ns()
        ep = EpisodePerturbation.sample(recipe, seed, tools=TOOLS, system=SYSTEM, user=USER)
        ep.tools(TOOLS)
        ep.opening(SYSTEM, USER)
        ep.chat_options()
        reset.append(time.perf_counter_ns() - start)
        text = OUTPUTS[seed % len(OUTPUTS)]
        start = time.perf_counter_ns()
        ep.tool_response(text, "bash", seed)
        turn.append(time.perf_counter_ns() - start)
    return {
        "reset_p50_ms": round(ms(statistics.median(reset)), 4),
        "tool_response_p50_ms": round(ms(statistics.median(turn)), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/perturb_cost.json")
    args = ap.parse_args()
    rng = np.random.default_rng(0)

    for name in registry:  # warm caches (banks, regexes) so the table shows steady state
        time_transform(name, 3, rng)

    per_transform: dict[str, float] = {}
    surfaces: dict[str, dict[str, float]] = {}
    for target in TARGETS:
        pooled: list[int] = []
        for name, cls in registry.items():
            if cls.target == target:
                times = time_transform(name, args.repeats, rng)
                per_transform[name] = round(ms(statistics.median(times)), 4)
                pooled += times
        base = time_baseline(target, args.repeats, rng)
        surfaces[target] = {
            "sample_apply_p50_ms": round(ms(statistics.median(pooled)), 4),
            "sample_apply_p90_ms": round(ms(float(np.percentile(pooled, 90))), 4),
            "baseline_p50_ms": round(ms(statistics.median(base)), 4),
            "transforms": sum(1 for c in registry.values() if c.target == target),
        }
    recipes = {
        p.stem: time_recipe(p, max(20, args.repeats // 4))
        for p in sorted(recipes_dir().glob("*.yaml"))
    }

    result = {
        "goal_sample_apply_p50_ms": GOAL_MS,
        "sample_apply_p50_ms": {k: v["sample_apply_p50_ms"] for k, v in surfaces.items()},
        "baseline_p50_ms": {k: v["baseline_p50_ms"] for k, v in surfaces.items()},
        "surfaces": surfaces,
        "per_transform_p50_ms": per_transform,
        "recipes": recipes,
        "overhead_pct_of_step": None,
        "TODO_overhead_pct_of_step": "needs agentgym.env.CodingEnv: perturbed vs clean env step, same run",
        "repeats": args.repeats,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    print(
        f"{'surface':<14} {'n':>3} {'p50 ms':>8} {'p90 ms':>8} {'baseline':>9}  goal <= {GOAL_MS} ms"
    )
    for target, s in surfaces.items():
        ok = "ok" if s["sample_apply_p50_ms"] <= GOAL_MS else "OVER"
        print(
            f"{target:<14} {s['transforms']:>3} {s['sample_apply_p50_ms']:>8.4f} "
            f"{s['sample_apply_p90_ms']:>8.4f} {s['baseline_p50_ms']:>9.4f}  {ok}"
        )
    print(f"\n{'recipe':<16} {'reset p50 ms':>13} {'response p50 ms':>16}")
    for name, r in recipes.items():
        print(f"{name:<16} {r['reset_p50_ms']:>13.4f} {r['tool_response_p50_ms']:>16.4f}")
    slow = sorted(per_transform.items(), key=lambda kv: -kv[1])[:5]
    print("\nslowest transforms:", ", ".join(f"{k} {v:.3f} ms" for k, v in slow))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
