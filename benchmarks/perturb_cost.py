"""Cost of perturbations: sample + apply time per surface, against a copy-the-objects baseline.

    python benchmarks/perturb_cost.py [--repeats 200] [--out benchmarks/results/perturb_cost.json]

For each surface, every registered transform of that surface (medium severity) is sampled and
applied to realistic objects (4 tools, a system prompt, a task statement, tool outputs);
``sample_apply_p50_ms`` is the median over all those timings. The baseline, measured in the same
run, is what any env pays without perturbations: copying the same objects and sampling an empty
``Compose``. Goal: p50 <= 0.2 ms per surface.

``overhead_pct_of_step``: a real ``CodingEnv`` step (local backend, the first bundled bugfix
task, the agent reading a source file) against the same step through ``PerturbedEnv`` with
``heavy.yaml``, interleaved in one run (goal <= 1 %); steps a transient error or a distractor
answered without running anything are left out. ``data_rows_per_s``: ``agentgym data perturb``
throughput (heavy, 3 formats, 4 variants, with and without a tokenizer) on ``--workers`` cores.
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
from typing import Any

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
from agentgym.types import Message, ToolCall, Trajectory  # noqa: E402

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


def time_env_steps(steps: int) -> dict[str, Any] | None:
    """Clean vs perturbed env steps, interleaved round-robin, same task, backend and action.

    Arms: ``plumbing`` (every tool renamed: the wrapper's own per-call path, no response
    transforms), ``light.yaml`` and ``heavy.yaml``. Steps answered without running (transient
    errors, distractors) are left out. Each arm runs in its own sandbox, and sandboxes differ
    by a few percent, so the overhead is measured without the sandbox: the time inside the real
    tool's ``execute`` is subtracted from each step (the rest is env bookkeeping plus, for the
    perturbed arms, the perturbation), and the overhead is the difference of those medians,
    as a share of the clean step's median. The arms' order rotates every round; the spread is
    the same overhead on ``BLOCKS`` consecutive slices of the run, plus the difference of means
    (which a median would hide if some steps paid much more).
    """
    import shutil

    if shutil.which("bwrap") is None:
        return None
    from agentgym.env import CodingEnv, envs_root
    from agentgym.perturb.env import PerturbedEnv
    from agentgym.tasks import load_tasks

    task = sorted(load_tasks(envs_root() / "bugfix"), key=lambda t: t.id)[0]
    opts = {"backend": "local", "monitor": False, "grade": False, "max_turns": 10**6}
    recipes: dict[str, Any] = {
        "plumbing": Compose([registry["tool_rename_synonyms"](p=1.0, severity="heavy")]),
        "light": recipes_dir() / "light.yaml",
        "heavy": recipes_dir() / "heavy.yaml",
    }
    clean = CodingEnv([task], **opts)
    clean.reset(seed=0)
    path = clean.sandbox.run("git ls-files '*.py' | head -1", timeout=30).output.strip()
    real = ToolCall(id="b", name="editor", arguments={"command": "view", "path": path})
    arms: dict[str, tuple[Any, Message]] = {
        "clean": (clean, Message(role="assistant", tool_calls=[real]))
    }
    for name, recipe in recipes.items():
        env = PerturbedEnv(CodingEnv([task], **opts), recipe, seed=0)
        _, info = env.reset(seed=0)
        call = EpisodePerturbation(info_records(info)).forward_call(real)
        arms[name] = (env, Message(role="assistant", tool_calls=[call]))
    inner = {name: [0] for name in arms}
    clean.tool_by_name = {k: Timed(t, inner["clean"]) for k, t in clean.tool_by_name.items()}
    for name in recipes:
        layer = arms[name][0]
        layer._below = {k: Timed(t, inner[name]) for k, t in layer._below.items()}
    times: dict[str, list[int]] = {name: [] for name in arms}
    outside: dict[str, list[int]] = {name: [] for name in arms}
    names = list(arms)
    for i in range(steps + 10):
        # Rotate the order each round so no arm always runs right after another one.
        for name in names[i % len(names) :] + names[: i % len(names)]:
            env, action = arms[name]
            inner[name][0] = 0
            start = time.perf_counter_ns()
            _, _, _, _, step_info = env.step(action)
            took = time.perf_counter_ns() - start
            if i >= 10 and not step_info.get("perturbation_events"):
                times[name].append(took)
                outside[name].append(took - inner[name][0])
    for env, _ in arms.values():
        env.close()
    base = statistics.median(times["clean"])
    base_out = statistics.median(outside["clean"])
    out: dict[str, Any] = {
        "action": f"editor view {path} (local backend)",
        "clean_step_p50_ms": round(ms(base), 4),
        "clean_step_p25_p75_ms": [round(ms(q), 4) for q in quartiles(times["clean"])],
        "clean_outside_tool_p50_ms": round(ms(base_out), 4),
        "blocks": BLOCKS,
    }
    for name in recipes:
        extra = statistics.median(outside[name]) - base_out
        # Spread: the same overhead computed on BLOCKS consecutive slices of the run.
        per_block = [
            100 * (statistics.median(a) - statistics.median(b)) / statistics.median(c)
            for a, b, c in zip(
                blocks(outside[name]), blocks(outside["clean"]), blocks(times["clean"]), strict=True
            )
        ]
        mean_extra = statistics.fmean(outside[name]) - statistics.fmean(outside["clean"])
        out[name] = {
            "step_p50_ms": round(ms(statistics.median(times[name])), 4),
            "overhead_ms": round(ms(extra), 4),
            "overhead_pct_of_step": round(100 * extra / base, 2),
            "overhead_pct_per_block_min_max": [round(min(per_block), 2), round(max(per_block), 2)],
            "overhead_mean_ms": round(ms(mean_extra), 4),
            "outside_tool_p25_p50_p75_ms": [
                round(ms(q), 4)
                for q in (
                    quartiles(outside[name])[0],
                    statistics.median(outside[name]),
                    quartiles(outside[name])[1],
                )
            ],
            "steps": len(times[name]),
        }
    out["overhead_pct_of_step"] = out["heavy"]["overhead_pct_of_step"]
    return out


BLOCKS = 5


def blocks(values: list[int]) -> list[list[int]]:
    """``BLOCKS`` consecutive slices of about equal length."""
    n = len(values)
    return [values[i * n // BLOCKS : (i + 1) * n // BLOCKS] for i in range(BLOCKS)]


def quartiles(values: list[int]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


class Timed:
    """A tool whose ``execute`` time is added to ``acc[0]`` (ns)."""

    def __init__(self, tool: Any, acc: list[int]) -> None:
        self.tool, self.acc = tool, acc
        self.name, self.spec = tool.name, tool.spec

    def execute(self, sandbox: Any, arguments: dict[str, Any]) -> Any:
        start = time.perf_counter_ns()
        try:
            return self.tool.execute(sandbox, arguments)
        finally:
            self.acc[0] += time.perf_counter_ns() - start


def info_records(info: dict) -> list:
    from agentgym.types import PerturbationRecord

    return [PerturbationRecord(**r) for r in info["perturbations"]]


def sample_trajectory(i: int) -> Trajectory:
    """A 6-turn episode over the sample tools and outputs (no sandbox needed)."""
    messages = [Message(role="system", content=SYSTEM), Message(role="user", content=USER)]
    for turn, output in enumerate(OUTPUTS):
        call = ToolCall(id=f"c{turn}", name="bash", arguments={"command": f"step {turn}"})
        messages += [
            Message(role="assistant", content=f"Turn {turn}.", tool_calls=[call]),
            Message(role="tool", tool_call_id=call.id, name="bash", content=output),
        ]
    return Trajectory(task_id=f"sample-{i}", messages=messages, tools=TOOLS)


def time_data(trajectories: int, workers: int) -> dict[str, float]:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    from agentgym.data.perturb import make_job, run_job

    items = [(i + 1, sample_trajectory(i)) for i in range(trajectories)]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=2000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator([t.model_dump_json() for _, t in items[:8]], trainer)
    out: dict[str, float] = {"workers": workers, "trajectories": trajectories}
    for label, tokenizer in (("rows_per_s", None), ("rows_per_s_tokenized", tok)):
        job = make_job(
            recipes_dir() / "heavy.yaml",
            variants=4,
            formats=["qwen3", "llama3.1", "minimax-m2"],
            tokenizer=tokenizer,
        )
        start = time.perf_counter()
        rows = sum(len(r) for _, r, _ in run_job(job, items, workers))
        out[label] = round(rows / (time.perf_counter() - start), 1)
        out["rows"] = rows
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/perturb_cost.json")
    ap.add_argument("--steps", type=int, default=1000, help="env steps per arm")
    ap.add_argument("--trajectories", type=int, default=200, help="for data rows/s")
    ap.add_argument("--workers", type=int, default=2, help="processes for data rows/s")
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

    env = time_env_steps(args.steps)
    data = time_data(args.trajectories, args.workers)
    result = {
        "goal_sample_apply_p50_ms": GOAL_MS,
        "sample_apply_p50_ms": {k: v["sample_apply_p50_ms"] for k, v in surfaces.items()},
        "baseline_p50_ms": {k: v["baseline_p50_ms"] for k, v in surfaces.items()},
        "surfaces": surfaces,
        "per_transform_p50_ms": per_transform,
        "recipes": recipes,
        "overhead_pct_of_step": env["overhead_pct_of_step"] if env else None,
        "goal_overhead_pct_of_step": 1.0,
        "env_step": env,
        "data_rows_per_s": data["rows_per_s"],
        "data": data,
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
    if env:
        print(f"\nenv step ({env['action']}): clean p50 {env['clean_step_p50_ms']:.3f} ms")
        for name in ("plumbing", "light", "heavy"):
            arm = env[name]
            lo, hi = arm["overhead_pct_per_block_min_max"]
            print(
                f"  {name:<9} p50 {arm['step_p50_ms']:.3f} ms  overhead {arm['overhead_ms']:+.3f} ms "
                f"= {arm['overhead_pct_of_step']:+.2f} % of a step (blocks {lo:+.2f}..{hi:+.2f} %; "
                f"mean {arm['overhead_mean_ms']:+.3f} ms; goal <= 1 %)"
            )
    else:
        print("\nenv step: skipped (no bwrap for the local backend)")
    print(
        f"data perturb: {data['rows_per_s']:.1f} rows/s, {data['rows_per_s_tokenized']:.1f} "
        f"rows/s tokenized ({data['workers']} workers, heavy, 3 formats, 4 variants)"
    )
    slow = sorted(per_transform.items(), key=lambda kv: -kv[1])[:5]
    print("\nslowest transforms:", ", ".join(f"{k} {v:.3f} ms" for k, v in slow))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
