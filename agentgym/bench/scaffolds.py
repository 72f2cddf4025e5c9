"""Real scaffolds as a held-out benchmark axis.

``--scaffolds all|NAME,...`` adds, for every recipe R and profile P, the condition ``R@P``: the
episode runs inside harness P (the ``scaffold`` transform, installed first) with R's
transforms on top. ``--holdout NAME,...`` names the profiles a training recipe must never show
(:func:`agentgym.scaffolds.holdout.without_profiles` writes that recipe); the report then gives
success on seen vs unseen scaffolds, pooled with Wilson CIs and their difference with
Newcombe's interval, and a scaffold × condition heatmap.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from agentgym.bench.stats import newcombe, wilson

SEP = "@"
ALL_ENVS = "all"


def scaffold_condition(recipe_name: str, profile: str) -> str:
    return f"{recipe_name}{SEP}{profile}"


def split_condition(condition: str) -> tuple[str, str | None]:
    """``"light@aider"`` -> ("light", "aider"); ``"light"`` -> ("light", None)."""
    base, sep, profile = condition.partition(SEP)
    return (base, profile) if sep else (condition, None)


def with_scaffold(recipe: Any, profile: str, name: str) -> Any:
    """The recipe run inside one harness: the scaffold first, the recipe's transforms after."""
    from agentgym.perturb import Recipe
    from agentgym.perturb.scaffold import ScaffoldSwap

    return Recipe(
        [ScaffoldSwap(p=1.0, severity="heavy", profiles=[profile]), *recipe.transforms],
        name=name,
        description=f"{getattr(recipe, 'description', '')} (inside the {profile} scaffold)".strip(),
    )


def scaffold_summary(
    rows: list[dict[str, Any]], holdout: list[str] | None = None
) -> dict[str, Any] | None:
    """Per (policy, base recipe): every profile's rate and CI, seen vs unseen pooled (over all
    envs), and unseen − seen; ``None`` when the run has no scaffold conditions."""
    holdout = list(holdout or [])
    mine = [r for r in rows if r["env"] == ALL_ENVS and split_condition(r["condition"])[1]]
    if not mine:
        return None
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in mine:
        base, profile = split_condition(r["condition"])
        groups[(r["policy"], base)].append({**r, "profile": profile})
    out = []
    for (policy, base), items in sorted(groups.items()):
        profiles = [
            {
                "profile": r["profile"],
                "seen": r["profile"] not in holdout,
                "n": r["n"],
                "successes": r["successes"],
                "rate": r["rate"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "drop": r.get("drop"),
            }
            for r in sorted(items, key=lambda r: r["profile"])
        ]
        entry: dict[str, Any] = {"policy": policy, "recipe": base, "profiles": profiles}
        for label, keep in (("seen", True), ("unseen", False)):
            ks = [p for p in profiles if p["seen"] is keep]
            k = sum(p["successes"] for p in ks)
            n = sum(p["n"] for p in ks)
            lo, hi = wilson(k, n)
            entry[label] = {
                "profiles": [p["profile"] for p in ks],
                "successes": k,
                "n": n,
                "rate": k / n if n else None,
                "ci_low": lo if n else None,
                "ci_high": hi if n else None,
            }
        s, u = entry["seen"], entry["unseen"]
        if s["n"] and u["n"]:
            d, lo, hi = newcombe(u["successes"], u["n"], s["successes"], s["n"])
            entry["unseen_minus_seen"] = {"diff": d, "low": lo, "high": hi}
        out.append(entry)
    return {"holdout": holdout, "groups": out}


def heatmap(summary: dict[str, Any]) -> bytes | None:
    """PNG: success by scaffold (rows) × condition (columns), one panel per policy."""
    groups = summary.get("groups") or []
    if not groups:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    policies = sorted({g["policy"] for g in groups})
    recipes = sorted({g["recipe"] for g in groups}, key=lambda r: (r != "clean", r))
    profiles = sorted({p["profile"] for g in groups for p in g["profiles"]})
    holdout = set(summary.get("holdout") or [])
    fig, axes = plt.subplots(
        1,
        len(policies),
        figsize=(len(policies) * (3.4 + 0.9 * len(recipes)), 0.45 * len(profiles) + 1.8),
        squeeze=False,
    )
    for ax, policy in zip(axes[0], policies, strict=True):
        grid = [[float("nan")] * len(recipes) for _ in profiles]
        for g in groups:
            if g["policy"] != policy:
                continue
            for p in g["profiles"]:
                grid[profiles.index(p["profile"])][recipes.index(g["recipe"])] = p["rate"]
        im = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(recipes)), recipes, rotation=30, ha="right")
        labels = [f"{p} (unseen)" if p in holdout else p for p in profiles]
        ax.set_yticks(range(len(profiles)), labels)
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                if v == v:  # not NaN
                    color = "w" if v < 0.6 else "k"
                    ax.text(
                        j, i, f"{100 * v:.0f}", ha="center", va="center", color=color, fontsize=8
                    )
        ax.set_title(policy)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle("success (%) by scaffold × condition")
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def markdown(summary: dict[str, Any]) -> list[str]:
    """The report section: seen vs unseen per (policy, recipe), then every profile."""
    holdout = summary.get("holdout") or []
    md = [
        "## Real scaffolds: seen vs unseen",
        "",
        f"Held out (unseen in training): {', '.join(holdout) if holdout else 'none'}.",
        "",
        "| policy | condition | seen | unseen | unseen − seen (95% CI) |",
        "|---|---|---|---|---|",
    ]
    for g in summary["groups"]:
        s, u = g["seen"], g["unseen"]
        diff = g.get("unseen_minus_seen")
        d = (
            f"{100 * diff['diff']:+.1f} pp [{100 * diff['low']:+.1f}, {100 * diff['high']:+.1f}]"
            if diff
            else "–"
        )
        cell = lambda x: (  # noqa: E731
            f"{_pct(x['rate'])} [{_pct(x['ci_low'])}, {_pct(x['ci_high'])}] ({x['successes']}/{x['n']})"
            if x["n"]
            else "–"
        )
        md.append(f"| {g['policy']} | {g['recipe']} | {cell(s)} | {cell(u)} | {d} |")
    md += [
        "",
        "| policy | condition | scaffold | seen | success | rate (95% CI) |",
        "|---|---|---|---|---|---|",
    ]
    for g in summary["groups"]:
        for p in g["profiles"]:
            md.append(
                f"| {g['policy']} | {g['recipe']} | {p['profile']} | {'yes' if p['seen'] else 'no'} "
                f"| {p['successes']}/{p['n']} | {_pct(p['rate'])} [{_pct(p['ci_low'])}, {_pct(p['ci_high'])}] |"
            )
    md += ["", "![scaffold heatmap](heatmap_scaffold_condition.png)", ""]
    return md


__all__ = [
    "heatmap",
    "markdown",
    "scaffold_condition",
    "scaffold_summary",
    "split_condition",
    "with_scaffold",
]
