"""YAML recipes: every shipped recipe round-trips; bad recipes name file, line and field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agentgym.errors import PerturbationError
from agentgym.perturb import EpisodePerturbation, dump_recipe, load_recipe, registry
from agentgym.perturb.recipe import recipes_dir
from tests.perturb.fixtures import SYSTEM, TOOLS, USER

RECIPES = sorted(recipes_dir().glob("*.yaml"))


def test_required_recipes_exist():
    names = {p.stem for p in RECIPES}
    assert {"clean", "light", "heavy", "scaffold-shift", "adversarial"} <= names


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_recipe_round_trips_to_identical_text(path: Path):
    recipe = load_recipe(path)
    assert dump_recipe(recipe) == path.read_text("utf-8")
    assert recipe.recipe_name == path.stem


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_recipe_samples_deterministically(path: Path):
    recipe = load_recipe(path)
    a = EpisodePerturbation.sample(recipe, 42, tools=TOOLS, system=SYSTEM, user=USER)
    b = EpisodePerturbation.sample(recipe, 42, tools=TOOLS, system=SYSTEM, user=USER)
    assert a.to_json() == b.to_json()
    assert a.opening(SYSTEM, USER) == b.opening(SYSTEM, USER)


def test_semantics_of_recipes():
    def semantics(path):
        return {registry[t.name].semantics for t in load_recipe(path).leaves()}

    d = recipes_dir()
    assert load_recipe(d / "clean.yaml").leaves() == []
    for name in ("light", "heavy", "scaffold-shift"):
        assert semantics(d / f"{name}.yaml") == {"preserving"}
    assert semantics(d / "adversarial.yaml") == {"adversarial"}


BAD = [
    (
        "name: x\ntransforms:\n- type: user_noise\n  p: 1.0\n  severity: hevy\n",
        5,
        "transforms.0.severity",
    ),
    ("name: x\ntransforms:\n- type: user_noize\n", 3, "transforms.0.type"),
    ("name: x\ntransforms:\n- type: user_noise\n  p: 2\n", 4, "transforms.0.p"),
    (
        "name: x\ntransforms:\n- type: one_of\n  transforms:\n  - type: user_noise\n    colour: red\n",
        6,
        "transforms.0.transforms.0.colour",
    ),
    (
        "name: x\ntransforms:\n- type: some_of\n  n: 3\n  transforms:\n  - type: user_noise\n",
        4,
        "transforms.0.n",
    ),
    ("name: x\ntransformz: []\n", 2, "transformz"),
    ("transforms: []\n", 1, "name"),
    (
        "name: x\ntransforms:\n- type: chat_switch_format\n  families: [qwen9]\n",
        4,
        "transforms.0.families",
    ),
    ("name: x\ntransforms:\n- user_noise\n", 3, "transforms.0"),
]


@pytest.mark.parametrize(("text", "line", "field"), BAD)
def test_bad_recipe_names_file_line_and_field(tmp_path, text, line, field):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(PerturbationError) as info:
        load_recipe(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}:{line}: field '{field}'"), msg


def test_invalid_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ntransforms:\n  - type: [unclosed\n")
    with pytest.raises(PerturbationError, match=rf"{path}:\d+: invalid YAML"):
        load_recipe(path)


def test_missing_file():
    with pytest.raises(PerturbationError, match="cannot read"):
        load_recipe("/nonexistent/recipe.yaml")


def test_heavy_recipe_changes_every_surface_over_a_few_seeds():
    recipe = load_recipe(recipes_dir() / "heavy.yaml")
    seen = set()
    for seed in range(10):
        ep = EpisodePerturbation.sample(recipe, seed, tools=TOOLS, system=SYSTEM, user=USER)
        seen |= {r.target for r in ep.records}
    assert seen == {"tools", "system", "user", "chat_format", "tool_response"}
    assert np.isfinite(len(seen))


SCRIPT = """
import json
from agentgym.perturb import EpisodePerturbation, load_recipe
from agentgym.perturb.recipe import recipes_dir
from tests.perturb.fixtures import OUTPUTS, SYSTEM, TOOLS, USER
out = []
for name in ("light", "heavy", "scaffold-shift", "adversarial"):
    for seed in range(5):
        ep = EpisodePerturbation.sample(load_recipe(recipes_dir() / f"{name}.yaml"), seed,
                                        tools=TOOLS, system=SYSTEM, user=USER)
        out.append([ep.to_json(), [t.model_dump() for t in ep.tools(TOOLS)], ep.opening(SYSTEM, USER),
                    [ep.tool_response(o, "bash", i) for i, o in enumerate(OUTPUTS)]])
print(json.dumps(out, sort_keys=True))
"""


def test_byte_identical_across_processes():
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    outs = []
    for hashseed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": str(root)}
        res = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
            check=True,
        )
        outs.append(res.stdout)
    assert outs[0] == outs[1] and len(outs[0]) > 1000
