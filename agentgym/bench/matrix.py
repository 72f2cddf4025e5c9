"""The benchmark matrix: policy × env × condition (recipe, optionally split per axis), paired.

Every condition runs the *same* (task, seed) pairs, so a drop against clean is measured on
matched episodes. A condition is a recipe (``light``) or one surface of it (``heavy:tools``,
only that recipe's transforms targeting tools).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agentgym.errors import ConfigError
from agentgym.rollout import EpisodeSpec, load_recipe_by_name

AXES = ("tools", "system", "user", "chat_format", "tool_response")
SEVERITY_ORDER = ("clean", "light", "medium", "heavy")


def severity_of(recipe: str) -> str:
    """A recipe's severity label: its name for the graded ones, else the name itself."""
    return recipe


def restrict(recipe: Any, axis: str) -> Any:
    """The recipe with only the transforms that target ``axis`` (combinators pruned)."""
    from agentgym.perturb import Recipe
    from agentgym.perturb.base import BaseCompose

    def keep(t: Any) -> Any | None:
        if isinstance(t, BaseCompose):
            kids = [k for k in (keep(c) for c in t.transforms) if k is not None]
            if not kids:
                return None
            clone = type(t).from_dict(t.to_dict()) if hasattr(type(t), "from_dict") else None
            if clone is None:
                import copy

                clone = copy.copy(t)
            clone.transforms = kids
            return clone
        return t if t.target == axis else None

    kids = [k for k in (keep(t) for t in recipe.transforms) if k is not None]
    return Recipe(kids, name=f"{recipe.recipe_name}:{axis}", description=recipe.description)


def pick_tasks(task_ids: list[str], n: int, seed: int) -> list[tuple[str, int]]:
    """n (task, seed) pairs: a seeded shuffle of the tasks, cycled; seeds seed, seed+1, ..."""
    if not task_ids:
        raise ConfigError("no tasks to run")
    order = np.random.default_rng(seed).permutation(len(task_ids))
    return [(task_ids[int(order[i % len(order)])], seed + i) for i in range(n)]


def env_task_ids(env_id: str, **env_kwargs: Any) -> list[str]:
    import gymnasium as gym

    import agentgym.env  # noqa: F401

    env = gym.make(env_id, **env_kwargs).unwrapped
    try:
        return [t.id for t in env.tasks]
    finally:
        env.close()


def build_specs(
    policies: list[str],
    envs: list[str],
    recipes: list[str],
    *,
    episodes: int,
    seed: int,
    axes: list[str] | None = None,
    max_turns: int = 12,
    task_ids: dict[str, list[str]] | None = None,
    scaffolds: list[str] | None = None,
) -> tuple[list[EpisodeSpec], dict[tuple[str, str], Any]]:
    """All episode specs and the recipe object for each (recipe, axis) condition; with
    ``scaffolds``, also each recipe inside each of those harness profiles (``recipe@profile``)."""
    from agentgym.bench.scaffolds import scaffold_condition, with_scaffold

    conditions: dict[tuple[str, str], Any] = {}
    for name in recipes:
        recipe = load_recipe_by_name(name)
        conditions[(name, "all")] = recipe
        for profile in scaffolds or []:
            cond = scaffold_condition(name, profile)
            conditions[(cond, "all")] = with_scaffold(recipe, profile, cond)
        if axes and recipe.transforms:
            for axis in axes:
                if axis not in AXES:
                    raise ConfigError(f"unknown axis {axis!r}; axes: {', '.join(AXES)}")
                sub = restrict(recipe, axis)
                if sub.transforms:
                    conditions[(name, axis)] = sub
    specs = []
    for env_id in envs:
        ids = (task_ids or {}).get(env_id) or env_task_ids(env_id)
        for task_id, s in pick_tasks(ids, episodes, seed):
            for name, axis in conditions:
                for policy in policies:
                    specs.append(
                        EpisodeSpec(
                            policy=policy,
                            env_id=env_id,
                            task_id=task_id,
                            seed=s,
                            recipe=name,
                            axis=axis,
                            severity=severity_of(name),
                            max_turns=max_turns,
                        )
                    )
    return specs, conditions


__all__ = ["AXES", "SEVERITY_ORDER", "build_specs", "pick_tasks", "restrict"]
