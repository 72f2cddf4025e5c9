"""Byte-identical outputs for a given seed: every transform, recipe and the per-call protocol
against recorded digests (``tests/perturb/golden.py``), and whole ``PerturbedEnv`` episodes."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.perturb import golden


@pytest.mark.parametrize("case", ["transform", "recipe"])
def test_outputs_match_the_recorded_digests(case: str) -> None:
    want = {k: v for k, v in json.loads(golden.DIGESTS.read_text()).items() if k.startswith(case)}
    source = golden.transform_cases() if case == "transform" else golden.recipe_cases()
    got = {name: golden.digest(payload) for name, payload in source}
    assert sorted(got) == sorted(want)
    changed = sorted(k for k in want if got[k] != want[k])
    assert not changed, f"outputs changed for {changed} (python -m tests.perturb.golden --dump)"


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap is not installed")
def test_perturbed_env_episodes_match_the_recorded_digest() -> None:
    got = golden.digest(golden.env_episodes())
    want = json.loads(golden.DIGESTS.read_text())["env/episodes"]
    assert got == want
