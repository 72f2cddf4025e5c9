"""Keep named harness profiles out of a training recipe (the unseen side of the benchmark)."""

from __future__ import annotations

import copy
from typing import Any

from agentgym.errors import ConfigError


def without_profiles(recipe: Any, holdout: list[str]) -> Any:
    """A copy of ``recipe`` whose ``scaffold`` transforms never draw a held-out profile.

    Each scaffold transform's pool (its ``profiles`` option, else its severity's pool) loses the
    held-out names; a transform left with none is dropped (and a combinator left empty too).
    """
    from agentgym.perturb.base import BaseCompose
    from agentgym.perturb.scaffold import ScaffoldSwap
    from agentgym.scaffolds import resolve_names

    held = set(resolve_names(holdout)) if holdout else set()

    def strip(t: Any) -> Any | None:
        if isinstance(t, BaseCompose):
            kids = [k for k in (strip(c) for c in t.transforms) if k is not None]
            if not kids:
                return None
            clone = copy.copy(t)
            clone.transforms = kids
            if hasattr(clone, "n"):
                clone.n = min(clone.n, len(kids))
            return clone
        if isinstance(t, ScaffoldSwap):
            pool = t.options.profiles or t.levels[t.severity]["pool"]
            keep = [p for p in pool if p not in held]
            if not keep:
                return None
            return ScaffoldSwap(p=t.p, severity=t.severity, profiles=keep)
        return t

    out = strip(recipe)
    if out is None:
        raise ConfigError(f"holding out {sorted(held)} leaves nothing of the recipe")
    return out


def profiles_in(recipe: Any) -> set[str]:
    """Every profile a recipe's scaffold transforms can draw."""
    from agentgym.perturb.scaffold import ScaffoldSwap

    out: set[str] = set()
    for leaf in recipe.leaves():
        if isinstance(leaf, ScaffoldSwap):
            out |= set(leaf.options.profiles or leaf.levels[leaf.severity]["pool"])
    return out


__all__ = ["profiles_in", "without_profiles"]
