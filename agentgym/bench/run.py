"""``run_bench``: build the matrix, run it concurrently, write results.json and the reports."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentgym.bench.matrix import build_specs
from agentgym.bench.report import summarize, write_report
from agentgym.rollout import EpisodeSpec, adapter_name, make_env, run_rollouts


class BenchConfig(BaseModel):
    """Everything a benchmark run depends on (recorded in results.json)."""

    model_config = ConfigDict(extra="forbid")

    policies: list[str] = Field(default_factory=lambda: ["oracle"])
    envs: list[str] = Field(default_factory=lambda: ["agentgym/BugFix-v0"])
    recipes: list[str] = Field(
        default_factory=lambda: ["clean", "light", "heavy", "scaffold-shift"]
    )
    axes: list[str] = Field(default_factory=list)
    episodes: int = 4
    seed: int = 0
    max_turns: int = 12
    workers: int = 2
    backend: str = "auto"
    out: str = "bench-results"
    resume: bool = True
    progress: bool = True
    monitor: bool = True
    tasks: list[str] = Field(default_factory=list)  # restrict to these task ids
    scaffolds: list[str] = Field(default_factory=list)  # harness profiles: recipe@profile too
    holdout: list[str] = Field(default_factory=list)  # profiles unseen in training
    ray_address: str | None = None  # run the episodes on this Ray cluster (workers = actors)


def run_bench(cfg: BenchConfig, make_policy: Any = None) -> dict[str, Any]:
    """Run the matrix; returns the results dict (also written to ``out/results.json``)."""
    from agentgym.policies import make_policy as default_make_policy

    make_policy = make_policy or default_make_policy
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    from agentgym.scaffolds import resolve_names

    scaffolds = resolve_names(cfg.scaffolds) if cfg.scaffolds else []
    holdout = resolve_names(cfg.holdout) if cfg.holdout else []
    if holdout and not scaffolds:
        scaffolds = resolve_names("all")
    missing = [h for h in holdout if h not in scaffolds]
    if missing:
        from agentgym.errors import ConfigError

        raise ConfigError(f"held-out profiles {missing} are not among --scaffolds {scaffolds}")
    task_ids = None
    if cfg.tasks:
        task_ids = {env: list(cfg.tasks) for env in cfg.envs}
    specs, conditions = build_specs(
        cfg.policies,
        cfg.envs,
        cfg.recipes,
        episodes=cfg.episodes,
        seed=cfg.seed,
        axes=cfg.axes or None,
        max_turns=cfg.max_turns,
        task_ids=task_ids,
        scaffolds=scaffolds,
    )
    if holdout:  # the training recipe that never shows the held-out harnesses
        from agentgym.perturb import dump_recipe
        from agentgym.rollout import load_recipe_by_name
        from agentgym.scaffolds.holdout import without_profiles

        train = without_profiles(load_recipe_by_name("real-scaffolds"), holdout)
        train.recipe_name = "real-scaffolds-train"
        train.description = f"real-scaffolds without the held-out profiles {', '.join(holdout)}"
        (out / "training-recipe.yaml").write_text(dump_recipe(train), "utf-8")

    def env_for(spec: EpisodeSpec) -> Any:
        return make_env(
            spec.env_id,
            conditions[(spec.recipe, spec.axis)],
            backend=cfg.backend,
            max_turns=spec.max_turns,
            monitor=cfg.monitor,
        )

    started = time.perf_counter()
    results = run_rollouts(
        specs,
        env_for,
        lambda spec: make_policy(spec.policy),
        out=out / "episodes.jsonl",
        workers=cfg.workers,
        resume=cfg.resume,
        progress=cfg.progress,
        ray_address=cfg.ray_address,
    )
    episodes = [r.summary() for r in results]
    backend = next((e["backend"] for e in episodes if e.get("backend")), cfg.backend)
    data = {
        "meta": {
            **cfg.model_dump(exclude={"progress"}),
            "scaffolds": scaffolds,
            "holdout": holdout,
            "backend": backend,
            "adapter": adapter_name(),
            "wall_s": time.perf_counter() - started,
            "created": time.time(),
            "n_episodes": len(episodes),
        },
        "summary": summarize(episodes, seed=cfg.seed, holdout=holdout),
        "episodes": episodes,
    }
    (out / "results.json").write_text(json.dumps(data, indent=1, default=str), "utf-8")
    data["paths"] = {k: str(v) for k, v in write_report(data, out).items()}
    return data


def load_results(path: str | Path) -> dict[str, Any]:
    """A results.json (or the folder holding one)."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    return json.loads(p.read_text("utf-8"))


__all__ = ["BenchConfig", "load_results", "run_bench"]
