"""verifiers (0.4.0, the ``verifiers.v1`` stack): agentgym tasks as a taskset + env. See
docs/integrations.md.

verifiers 0.4.0 resolves a taskset id to a module exporting one ``Taskset`` subclass (and
optionally one ``Env`` subclass) via ``__all__``; this module is that plugin, so
``--env.taskset.id agentgym.integrations.verifiers`` (or ``vf.load_environment`` with that id)
runs agentgym tasks:

- :class:`AgentGymTaskset` yields one task per (task id, recipe, seed) of its config
  (``env_id``, ``env_kwargs``, ``task_ids``, ``recipes``, ``seeds``).
- :class:`AgentGymVfEnv` plays a task as a multi-turn rollout: the engine plays the user, as
  verifiers' own OpenEnv taskset does. It opens the episode's agentgym env (recipe + seed
  applied) and sends the episode's opening (perturbed system prompt, tool definitions and an
  example call in the episode's chat format, the task) as the first turn; each reply is
  parsed by agentgym's chat-format parser, its tool calls run in the sandbox, and the tool
  output goes back as the next user turn, until submit or the turn budget.
- The rubric is agentgym's grading: the trace's reward ``agentgym`` is the grade (fresh
  workspace, restored and hidden tests); monitor flags and the test counts are trace metrics.
  An infrastructure fault raises ``vf.SandboxError``: verifiers records it as the rollout's
  error (a failed rollout, not a 0 score).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import verifiers.v1 as vf
from pydantic import Field

from agentgym.integrations.core import INFRA_EXCEPTIONS, EpisodeSpec, Session

TESTED_VERSION = "0.4.0"
REWARD_NAME = "agentgym"


class AgentGymTaskData(vf.TaskData):
    env_id: str = "agentgym/BugFix-v0"
    task_id: str | None = None
    recipe: str | None = None
    seed: int = 0
    env_kwargs: dict[str, Any] = Field(default_factory=dict)
    max_turns: int = 20


class AgentGymTasksetConfig(vf.TasksetConfig):
    env_id: str = "agentgym/BugFix-v0"
    """Registered agentgym env id."""
    env_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments for ``gymnasium.make`` (backend, chat_format, max_turns, ...)."""
    task_ids: list[str] = Field(default_factory=list)
    """Tasks to run; empty = every task of the env."""
    recipes: list[str | None] = Field(default_factory=lambda: [None])
    """Perturbation recipes (names in ``perturbations/`` or paths); None = clean."""
    seeds: list[int] = Field(default_factory=lambda: [0])
    max_turns: int = 20


class AgentGymTask(vf.Task[AgentGymTaskData]):
    pass


class AgentGymVfEnvConfig(vf.EnvConfig):
    agent: vf.AgentConfig = vf.AgentConfig()
    """The policy seat."""


class AgentGymVfEnv(vf.Env[AgentGymVfEnvConfig]):
    """One agentgym episode per verifiers episode; agentgym grades it."""

    async def run(self, task: vf.Task, agents: Any) -> None:
        data: AgentGymTaskData = task.data  # type: ignore[assignment]
        loop = asyncio.get_running_loop()
        spec = EpisodeSpec(
            env_id=data.env_id, task_id=data.task_id, recipe=data.recipe, seed=data.seed
        )
        session = await loop.run_in_executor(None, lambda: Session(data.env_id, **data.env_kwargs))
        try:
            try:
                obs, _info = await loop.run_in_executor(None, session.start, spec)
            except INFRA_EXCEPTIONS as exc:
                raise vf.SandboxError(f"agentgym env failed to start: {exc}") from exc
            async with agents.agent.interaction(task) as interaction:
                segment = await interaction.turn(opening_text(session, obs))
                while not segment.terminated:
                    reply = _reply_text(segment)
                    obs, _r, terminated, truncated, _i = await loop.run_in_executor(
                        None, session.step, reply
                    )
                    if terminated or truncated or session.outcome.done:
                        break
                    if session.outcome.turns >= data.max_turns:
                        break
                    segment = await interaction.turn(observation_text(obs))
                outcome = await loop.run_in_executor(None, session.end, "verifiers turn budget")
                if outcome.infrastructure_error:
                    raise vf.SandboxError(f"agentgym infrastructure fault: {outcome.error}")
                trace = interaction.trace
                trace.record_reward(REWARD_NAME, float(outcome.reward))
                tests = outcome.reward_breakdown.get("tests") or {}
                trace.record_metrics(
                    {
                        "monitor_flags": float(len(outcome.monitor_flags)),
                        "turns": float(outcome.turns),
                        **{k: float(v) for k, v in tests.items() if isinstance(v, int | float)},
                    }
                )
        finally:
            await loop.run_in_executor(None, session.close)


def _reply_text(segment: Any) -> str:
    """The raw reply (with any tool calls written in the episode's chat format)."""
    return str(segment.last_reply)


def opening_text(session: Session, obs: Any) -> str:
    """The episode's opening as one user turn: system prompt, tools, how to call, the task."""
    if not session.chat:
        return str(obs)
    parts = [str(m.get("content") or "") for m in obs if m.get("role") == "system"]
    tools = session.tools
    if tools:
        from agentgym.types import Message, ToolCall

        first = tools[0]["function"]
        args = {k: "..." for k in (first.get("parameters") or {}).get("required", [])}
        example = Message(
            role="assistant",
            tool_calls=[ToolCall(id="example", name=first["name"], arguments=args)],
        )
        parts.append(
            "Tools (JSON definitions, one per line):\n"
            + "\n".join(json.dumps(t, ensure_ascii=False) for t in tools)
            + "\n\nCall a tool by replying in exactly this form:\n"
            + session.fmt.render_completion(example)
        )
    parts += [str(m.get("content") or "") for m in obs if m.get("role") == "user"]
    return "\n\n".join(p for p in parts if p)


def observation_text(obs: Any) -> str:
    """The env's answer to one reply (tool outputs, or a parse/usage error) as one user turn."""
    if isinstance(obs, str):
        return obs
    out = []
    for m in obs:
        content = str(m.get("content") or "")
        out.append(f"[{m.get('name')}] {content}" if m.get("role") == "tool" else content)
    return "\n\n".join(out) or "(no output)"


class AgentGymTaskset(vf.Taskset[AgentGymTask, AgentGymTasksetConfig]):
    """agentgym tasks x recipes x seeds."""

    def load(self) -> Iterator[AgentGymTask]:
        config = self.config
        task_ids: list[str | None] = list(config.task_ids)
        if not task_ids:
            session = Session(config.env_id, **config.env_kwargs)
            try:
                tasks = getattr(session.base, "tasks", None)
                task_ids = [t.id for t in tasks] if tasks else [None]
            finally:
                session.close()
        for task_id in task_ids:
            for recipe in config.recipes:
                for seed in config.seeds:
                    yield AgentGymTask(
                        AgentGymTaskData(
                            name=f"{task_id}|{recipe or 'clean'}|{seed}",
                            id=task_id,
                            prompt=None,  # the env opens the conversation
                            env_id=config.env_id,
                            task_id=task_id,
                            recipe=recipe,
                            seed=seed,
                            env_kwargs=dict(config.env_kwargs),
                            max_turns=config.max_turns,
                        ),
                        config.task,
                    )


__all__ = ["AgentGymTaskset", "AgentGymVfEnv"]
