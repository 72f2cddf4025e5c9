"""The catalogue in docs/perturbations.md is generated from the registry and must be current."""

from __future__ import annotations

from agentgym.perturb import registry
from agentgym.perturb.catalogue import DOC, render_doc


def test_catalogue_is_up_to_date():
    text = DOC.read_text("utf-8")
    assert render_doc(text) == text, "run: python -m agentgym.perturb.catalogue --write"


def test_every_transform_is_in_the_doc():
    text = DOC.read_text("utf-8")
    for name in registry:
        assert f"`{name}`" in text
