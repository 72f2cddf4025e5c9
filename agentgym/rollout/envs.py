"""Episode environments for rollouts: a registered env id, optionally under a perturbation recipe.

``make_env(env_id, recipe, **env_kwargs)`` returns a Gymnasium env whose ``reset`` info holds
what a policy needs (``tools`` as the agent sees them, ``chat_format``, ``chat_options``) and
whose ``unwrapped`` is the ``CodingEnv`` (task, trajectory, conversation).

Recipes go through ``agentgym.perturb.env.PerturbedEnv`` when that module exists; until it
does (or with ``AGENTGYM_PERTURB_ADAPTER=builtin``) a small built-in wrapper applies the
same ``EpisodePerturbation`` contract (see agentgym/perturb/episode.py).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import gymnasium as gym

from agentgym.errors import ConfigError
from agentgym.types import Message, Observation, PerturbationRecord, ToolCall, ToolSpec

RECIPES_DIR = Path(__file__).resolve().parents[2] / "perturbations"


def recipe_path(name: str) -> Path:
    """A recipe by name (``perturbations/<name>.yaml``) or by path."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    env_dir = os.environ.get("AGENTGYM_RECIPES")
    for folder in ([Path(env_dir)] if env_dir else []) + [RECIPES_DIR]:
        cand = folder / f"{name}.yaml"
        if cand.exists():
            return cand
    raise ConfigError(
        f"unknown recipe {name!r}: no {name}.yaml in {RECIPES_DIR} (or give a path to a .yaml)"
    )


def load_recipe_by_name(name: str) -> Any:
    from agentgym.perturb import load_recipe

    return load_recipe(recipe_path(name))


def _perturbed_env_class() -> Any | None:
    if os.environ.get("AGENTGYM_PERTURB_ADAPTER") == "builtin":
        return None
    try:
        module = importlib.import_module("agentgym.perturb.env")
    except ImportError:
        return None
    return getattr(module, "PerturbedEnv", None)


def adapter_name() -> str:
    """Which wrapper applies recipes: 'PerturbedEnv' or 'builtin'."""
    return "PerturbedEnv" if _perturbed_env_class() is not None else "builtin"


def make_env(env_id: str, recipe: Any | None = None, **env_kwargs: Any) -> gym.Env:
    """The env for one (env id, recipe) condition. ``recipe`` None or empty = clean."""
    import agentgym.env  # noqa: F401  (registers the ids)

    base = gym.make(env_id, **env_kwargs).unwrapped
    if recipe is None or not getattr(recipe, "transforms", [None]):
        return RecipeEnv(base, None)
    cls = _perturbed_env_class()
    if cls is not None:
        try:
            return cls(base, recipe)  # per-episode perturbations follow reset(seed=)
        except TypeError:
            pass  # an interface we do not know yet: fall back to the built-in wrapper
    return RecipeEnv(base, recipe)


class RecipeEnv(gym.Wrapper):
    """Built-in recipe wrapper: one ``EpisodePerturbation`` per episode, sampled from the seed.

    Opening messages, tools, chat format and tool responses are perturbed; the agent's calls
    are mapped back to the real tools. With ``recipe=None`` it only adds the info keys.
    """

    def __init__(self, env: gym.Env, recipe: Any | None) -> None:
        super().__init__(env)
        self.recipe = recipe
        self.ep: Any = None
        self.tools: list[ToolSpec] = []
        self.chat_options: dict[str, Any] = {}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        from agentgym.chat import get_format
        from agentgym.perturb import EpisodePerturbation

        env = self.env.unwrapped
        obs, info = env.reset(seed=seed, options=options)
        real = [t.spec for t in env.tool_list]
        if self.recipe is None:
            self.ep = EpisodePerturbation.clean()
            self.tools = real
            info["chat_options"] = {}
            info["perturbations"] = []
            return obs, info
        system = env.messages[0].content or ""
        user = env.messages[1].content or ""
        ep = EpisodePerturbation.sample(
            self.recipe, int(seed or 0), tools=real, system=system, user=user
        )
        self.ep = ep
        self.tools = ep.tools(real)
        new_system, new_user = ep.opening(system, user)
        opening = ([Message(role="system", content=new_system)] if new_system else []) + [
            Message(role="user", content=new_user)
        ]
        env.messages = list(opening)
        fmt_name = ep.chat_format(env.chat_format_name)
        env.fmt = get_format(fmt_name)
        self.chat_options = ep.chat_options().render_options()
        # The env parses and executes through the episode's perturbation from now on.
        env._parse = self._parse
        original = type(env)._execute.__get__(env)
        env._execute = lambda call: ep.call(call, original)
        if env.trajectory is not None:
            env.trajectory.messages = list(opening)
            env.trajectory.tools = list(self.tools)
            env.trajectory.chat_format = fmt_name
            env.trajectory.perturbations = [
                PerturbationRecord(**r.model_dump()) for r in ep.records
            ]
        info.update(
            tools=[t.to_openai() for t in self.tools],
            chat_format=fmt_name,
            chat_options=self.chat_options,
            perturbations=ep.to_json(),
        )
        return [m.to_openai() for m in opening], info

    def _parse(self, action: Any) -> tuple[Message, str | None]:
        from agentgym.errors import ParseError

        env = self.env.unwrapped
        if not isinstance(action, str):
            return type(env)._parse(env, action)
        try:
            msg = env.fmt.parse(action, tools=self.tools)
        except ParseError as exc:
            return Message(role="assistant", content=action), str(exc)
        return env._number_calls(msg), None

    def prompt(self) -> str:
        env = self.env.unwrapped
        return env.fmt.render(
            env.messages, tools=self.tools, add_generation_prompt=True, **self.chat_options
        )


__all__ = ["RecipeEnv", "adapter_name", "load_recipe_by_name", "make_env", "recipe_path"]

_ = (Observation, ToolCall)
