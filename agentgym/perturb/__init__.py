"""Seeded, composable perturbations of every surface an agent meets.

Surfaces (``Transform.target``): ``tools``, ``system``, ``user``, ``chat_format``,
``tool_response``, ``scaffold`` (a real harness: ``agentgym.scaffolds``). Build transforms directly (``ToolRenameSynonyms(p=0.5, severity="light")``)
or load a YAML recipe (``load_recipe("perturbations/light.yaml")``), then sample one
:class:`EpisodePerturbation` per episode. See docs/perturbations.md.
"""

from agentgym.perturb import chat, responses, scaffold, system, tools, user  # noqa: F401  (registers)
from agentgym.perturb.base import (
    SEVERITIES,
    TARGETS,
    ChatOptions,
    Compose,
    OneOf,
    PerturbContext,
    Sequential,
    SomeOf,
    ToolResponse,
    Transform,
    replay,
)
from agentgym.perturb.episode import EpisodePerturbation
from agentgym.perturb.recipe import Recipe, dump_recipe, load_recipe, parse_recipe
from agentgym.perturb.registry import get_transform_class, register, registry, transforms_for

__all__ = [
    "SEVERITIES",
    "TARGETS",
    "ChatOptions",
    "Compose",
    "EpisodePerturbation",
    "OneOf",
    "PerturbContext",
    "Recipe",
    "Sequential",
    "SomeOf",
    "ToolResponse",
    "Transform",
    "dump_recipe",
    "get_transform_class",
    "load_recipe",
    "parse_recipe",
    "register",
    "registry",
    "replay",
    "transforms_for",
]
