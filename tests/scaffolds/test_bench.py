"""Real scaffolds as a held-out benchmark axis: conditions, seen vs unseen, the training recipe."""

from __future__ import annotations

import shutil

import pytest

from agentgym.bench.matrix import build_specs
from agentgym.bench.run import BenchConfig, run_bench
from agentgym.bench.scaffolds import scaffold_summary, split_condition
from agentgym.errors import ConfigError
from agentgym.perturb import load_recipe
from agentgym.perturb.scaffold import ALL
from agentgym.scaffolds.holdout import profiles_in, without_profiles
from tests.scaffolds.episodes import ROOT


def row(cond: str, k: int, n: int, policy: str = "oracle") -> dict:
    return {
        "policy": policy,
        "env": "all",
        "condition": cond,
        "n": n,
        "successes": k,
        "rate": k / n,
        "ci_low": 0.0,
        "ci_high": 1.0,
    }


def test_seen_vs_unseen_pools_profiles_with_intervals():
    rows = [
        row("clean", 10, 10),
        row("clean@aider", 2, 10),
        row("clean@cline", 4, 10),
        row("clean@goose", 9, 10),
    ]
    s = scaffold_summary(rows, holdout=["aider", "cline"])
    (g,) = s["groups"]
    assert g["recipe"] == "clean" and [p["profile"] for p in g["profiles"]] == [
        "aider",
        "cline",
        "goose",
    ]
    assert g["unseen"]["successes"] == 6 and g["unseen"]["n"] == 20
    assert g["seen"]["successes"] == 9 and g["seen"]["n"] == 10
    d = g["unseen_minus_seen"]
    assert d["diff"] == pytest.approx(0.3 - 0.9) and d["low"] < d["diff"] < d["high"]
    assert 0 <= g["unseen"]["ci_low"] < 0.3 < g["unseen"]["ci_high"] <= 1
    assert scaffold_summary([row("clean", 1, 1)], []) is None
    assert split_condition("light@codex-cli") == ("light", "codex-cli")


def test_training_recipe_never_draws_held_out_profiles():
    recipe = load_recipe(ROOT / "perturbations" / "real-scaffolds.yaml")
    assert profiles_in(recipe) == set(ALL)
    train = without_profiles(recipe, ["aider", "cline"])
    assert profiles_in(train) == set(ALL) - {"aider", "cline"}
    assert profiles_in(recipe) == set(ALL)  # the original is untouched
    with pytest.raises(ConfigError, match="leaves nothing"):
        without_profiles(
            load_recipe(ROOT / "perturbations" / "real-scaffolds.yaml").transforms[0], ALL
        )


def test_build_specs_adds_recipe_at_profile_conditions():
    specs, conditions = build_specs(
        ["oracle"],
        ["agentgym/BugFix-v0"],
        ["clean", "light"],
        episodes=2,
        seed=0,
        scaffolds=["aider", "goose"],
    )
    names = sorted({s.recipe for s in specs})
    assert names == ["clean", "clean@aider", "clean@goose", "light", "light@aider", "light@goose"]
    first = conditions[("light@aider", "all")].transforms[0]
    assert first.name == "scaffold" and first.options.profiles == ["aider"]
    pairs = {r: {(s.task_id, s.seed) for s in specs if s.recipe == r} for r in names}
    assert len({frozenset(v) for v in pairs.values()}) == 1  # paired: same tasks and seeds


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap is not installed")
def test_bench_reports_seen_and_unseen_scaffolds(tmp_path):
    cfg = BenchConfig(
        policies=["oracle", "scripted"],
        recipes=["clean"],
        scaffolds=["aider", "codex-cli", "swe-agent"],
        holdout=["aider"],
        episodes=1,
        tasks=["toolz-get-in-index-error"],
        backend="local",
        workers=2,
        out=str(tmp_path),
        progress=False,
    )
    results = run_bench(cfg)
    groups = {g["policy"]: g for g in results["summary"]["scaffolds"]["groups"]}
    assert groups["oracle"]["seen"]["rate"] == 1.0 and groups["oracle"]["unseen"]["rate"] == 1.0
    assert groups["scripted"]["unseen"]["rate"] == 0.0  # written for agentgym's own scaffold
    assert results["meta"]["holdout"] == ["aider"]
    md = (tmp_path / "report.md").read_text()
    assert "## Real scaffolds: seen vs unseen" in md and "aider | no" in md
    assert (tmp_path / "heatmap_scaffold_condition.png").stat().st_size > 1000
    assert "Real scaffolds: seen vs unseen" in (tmp_path / "report.html").read_text()
    train = load_recipe(tmp_path / "training-recipe.yaml")
    assert "aider" not in profiles_in(train)
    with pytest.raises(ConfigError, match="not among"):
        run_bench(
            cfg.model_copy(
                update={"scaffolds": ["goose"], "holdout": ["aider"], "out": str(tmp_path / "x")}
            )
        )
