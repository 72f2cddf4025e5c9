"""Concurrent rollouts: many episodes, resumable JSONL, progress, clean Ctrl-C."""

from agentgym.rollout.envs import adapter_name, load_recipe_by_name, make_env, recipe_path
from agentgym.rollout.records import EpisodeResult, EpisodeSpec
from agentgym.rollout.runner import Interrupted, read_results, run_episode, run_rollouts

__all__ = [
    "EpisodeResult",
    "EpisodeSpec",
    "Interrupted",
    "adapter_name",
    "load_recipe_by_name",
    "make_env",
    "read_results",
    "recipe_path",
    "run_episode",
    "run_rollouts",
]
