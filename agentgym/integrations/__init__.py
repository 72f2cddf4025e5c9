"""Thin adapters that plug agentgym envs into the RL trainers people use (docs/integrations.md).

One module per trainer, each over the public env API (``gymnasium.make`` + ``reset``/``step``),
each importing its trainer only when used:

- ``agentgym.integrations.trl``: TRL ``GRPOTrainer`` (environment_factory, rollout_func,
  reward functions). Extra: ``agentgym[trl]``.
- ``agentgym.integrations.verl``: a verl ``AgentLoopBase`` registered as ``agentgym``.
  Extra: ``agentgym[verl]``.
- ``agentgym.integrations.skyrl``: a SkyRL-Gym ``BaseTextEnv`` registered as ``agentgym``.
  Extra: ``agentgym[skyrl]``.
- ``agentgym.integrations.verifiers``: a verifiers (v1) ``Env`` + ``Taskset`` running
  agentgym tasks, graded by agentgym. Extra: ``agentgym[verifiers]``.

``agentgym.integrations.core`` holds what they share: episode specs (task id, recipe, seed),
one env session per trajectory, token-in/token-out turns.
"""

from agentgym.integrations.core import EpisodeSpec, Outcome, Session, TokenTurns, parse_spec

__all__ = ["EpisodeSpec", "Outcome", "Session", "TokenTurns", "parse_spec"]
