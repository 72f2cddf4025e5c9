"""SkyRL-Gym (``skyrl-gym`` 0.4.0): agentgym episodes as a ``BaseTextEnv``. See docs/integrations.md.

``import agentgym.integrations.skyrl`` registers the env with SkyRL-Gym's registry as
``agentgym``; SkyRL's generator then builds one per trajectory exactly as it builds its own:
``skyrl_gym.make("agentgym", env_config=cfg.environment.skyrl_gym.agentgym, extras=row)``,
``init(prompt)``, ``step(completion_text)`` until ``done``, ``close()``.

- ``env_config``: ``env_id`` (default ``agentgym/BugFix-v0``), ``env_kwargs`` (passed to
  ``gymnasium.make``: backend, chat_format, ...), ``tools_in_prompt`` (default True).
- ``extras`` (the dataset row's env extras): ``task_id``, ``recipe``, ``seed``, read at the top
  level or under ``extra_info``; ``max_turns`` (SkyRL sets it from its generator config).

``init`` ignores the dataset prompt and returns the episode's own opening (perturbed system and
user messages). SkyRL renders the conversation with the model's chat template, which in 0.4.0
is not given tools, so with ``tools_in_prompt`` the episode's tool definitions (perturbed
ones included) and one example call in the episode's chat format are appended to the system
message. ``step`` parses the completion with the episode's chat format, runs the calls and
returns the tool messages as observations; the final step carries the reward, and every
step's ``metadata`` the monitor flags; the final one also the reward breakdown, perturbation
record and ``infrastructure_error``.
"""

from __future__ import annotations

import json
from typing import Any

from skyrl_gym.envs.base_text_env import BaseTextEnv, BaseTextEnvStepOutput

from agentgym.integrations.core import INFRA_EXCEPTIONS, EpisodeSpec, Session, parse_spec
from agentgym.types import Message, ToolCall

TESTED_VERSION = "0.4.0"
ENV_NAME = "agentgym"


def _plain(obj: Any) -> Any:
    """An OmegaConf ``DictConfig`` (what SkyRL passes) or a mapping, as a plain dict."""
    if obj is None:
        return {}
    try:
        from omegaconf import DictConfig, OmegaConf

        if isinstance(obj, DictConfig):
            return OmegaConf.to_container(obj, resolve=True)
    except ImportError:  # pragma: no cover - omegaconf is a skyrl-gym dependency
        pass
    return dict(obj)


class AgentGymTextEnv(BaseTextEnv):
    """One agentgym episode (one sandbox) per SkyRL trajectory."""

    def __init__(self, env_config: Any = None, extras: dict[str, Any] | None = None) -> None:
        super().__init__()
        cfg = _plain(env_config)
        extras = _plain(extras)
        row = {**_plain(extras.get("extra_info")), **extras}
        self.env_id = str(cfg.get("env_id", "agentgym/BugFix-v0"))
        self.episode: EpisodeSpec = parse_spec(row, self.env_id)
        self.tools_in_prompt = bool(cfg.get("tools_in_prompt", True))
        self.max_turns = int(extras.get("max_turns") or cfg.get("max_turns") or 20)
        env_kwargs = {**_plain(cfg.get("env_kwargs")), **self.episode.env_kwargs}
        self.session = Session(self.episode.env_id, **env_kwargs)
        self.last_metadata: dict[str, Any] = {}

    def init(self, prompt: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The episode's opening messages (the dataset prompt only names the episode)."""
        try:
            obs, info = self.session.start(self.episode)
        except INFRA_EXCEPTIONS as exc:
            self.session.fail(exc)
            note = "The environment failed to start; this episode is not scored."
            return [*prompt, {"role": "user", "content": note}], self.session.outcome.metadata()
        messages = (
            [dict(m) for m in obs] if self.session.chat else [{"role": "user", "content": str(obs)}]
        )
        if self.tools_in_prompt and self.session.chat:
            messages = _with_tools(messages, self.session)
        return messages, {"task_id": info.get("task_id"), "tools": info.get("tools")}

    def step(self, action: str) -> BaseTextEnvStepOutput:
        self.turns += 1
        outcome = self.session.outcome
        if outcome.done:  # a failed start, or stepped past the end
            self.last_metadata = outcome.metadata()
            return BaseTextEnvStepOutput(
                observations=[], reward=0.0, done=True, metadata=self.last_metadata
            )
        obs, _r, terminated, truncated, info = self.session.step(action)
        done = bool(terminated or truncated or self.session.outcome.done)
        if not done and self.turns >= self.max_turns:
            self.session.end(f"max_turns={self.max_turns}")
            done = True
        outcome = self.session.outcome
        metadata: dict[str, Any] = {
            "turn": self.turns,
            "monitor_flags": list(info.get("monitor_flags") or []),
            "parse_error": info.get("parse_error"),
        }
        if done:
            metadata.update(outcome.metadata())
            # A fault outside the agent's reach: SkyRL-Gym 0.4.0 has no field to mask a
            # trajectory, so it is flagged here and scored 0 (see docs/integrations.md).
        self.last_metadata = metadata
        observations = [] if done else _observations(obs, self.session.chat)
        reward = float(outcome.reward) if done and not outcome.infrastructure_error else 0.0
        return BaseTextEnvStepOutput(
            observations=observations, reward=reward, done=done, metadata=metadata
        )

    def get_metrics(self) -> dict[str, Any]:
        out = self.session.outcome
        return {
            "reward": float(out.reward),
            "infrastructure_error": float(out.infrastructure_error),
            "turns": out.turns,
            "monitor_flags": len(out.monitor_flags),
        }

    def close(self) -> None:
        self.session.close()


def _observations(obs: Any, chat: bool) -> list[dict[str, Any]]:
    if not chat:
        return [{"role": "user", "content": str(obs)}]
    return [{"role": m["role"], "content": str(m.get("content") or "")} for m in obs]


def _with_tools(messages: list[dict[str, Any]], session: Session) -> list[dict[str, Any]]:
    """The system message with the episode's tools and one example call in its chat format."""
    tools = session.tools
    if not tools:
        return messages
    first = tools[0]["function"]
    example_args = {k: "..." for k in (first.get("parameters") or {}).get("required", [])}
    example = Message(
        role="assistant",
        tool_calls=[ToolCall(id="example", name=first["name"], arguments=example_args)],
    )
    fmt = session.fmt
    call_text = fmt.render_completion(example) if fmt is not None else json.dumps(example_args)
    section = (
        "\n\n# Tools\n\nYou can call these tools (JSON definitions, one per line):\n"
        + "\n".join(json.dumps(t, ensure_ascii=False) for t in tools)
        + "\n\nCall a tool by replying in exactly this form:\n"
        + call_text
    )
    out = [dict(m) for m in messages]
    if out and out[0]["role"] == "system":
        out[0]["content"] = str(out[0].get("content") or "") + section
    else:
        out.insert(0, {"role": "system", "content": section.strip()})
    return out


def register() -> None:
    """Register ``agentgym`` with SkyRL-Gym (idempotent; done on import)."""
    import skyrl_gym

    if ENV_NAME not in skyrl_gym.registry:
        skyrl_gym.register(id=ENV_NAME, entry_point="agentgym.integrations.skyrl:AgentGymTextEnv")


register()

__all__ = ["ENV_NAME", "TESTED_VERSION", "AgentGymTextEnv", "register"]
