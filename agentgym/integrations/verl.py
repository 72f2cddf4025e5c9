"""verl (0.9.1): agentgym episodes as a verl agent loop. See docs/integrations.md.

``import agentgym.integrations.verl`` registers :class:`AgentGymAgentLoop` under the name
``agentgym`` with verl's ``@register``; verl's ``AgentLoopWorker`` then instantiates it with
``hydra.utils.instantiate`` for every dataset row whose ``agent_name`` is ``agentgym`` (or for
every row with ``actor_rollout_ref.rollout.agent.default_agent_loop=agentgym``) and awaits
``run(sampling_params, **row)``.

One episode, one sandbox, per ``run``. The row names the episode in ``extra_info`` (or an
``agentgym`` column): ``task_id``, ``recipe``, ``seed`` (and ``env_id``, ``env_kwargs``). Run-wide
defaults come from the config's ``agentgym`` section (``env_id``, ``env_kwargs``,
``max_turns``). Tokens are agentgym's, token-in/token-out with the episode's chat format:
``prompt_ids`` is the episode's opening, ``response_ids`` every generated token (mask 1, with
the server's log-probs) and every tool answer (mask 0), ``reward_score`` the grade. Blocking
env calls (sandbox start, tool calls, grading) run in the default executor, off the event
loop; the sandbox is released when the episode ends, fails or is cancelled.

An infrastructure fault (not the agent's doing) comes back with ``response_mask`` all 0 (no
token of it is trained on), ``reward_score`` 0.0 and ``extra_fields["agentgym_infrastructure_error"]``
True. verl 0.9.1 has no field that drops a trajectory from GRPO's group baseline; the flag is
there for a filter.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from uuid import uuid4

from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopOutput, register

from agentgym.integrations.core import (
    INFRA_EXCEPTIONS,
    EpisodeSpec,
    Session,
    TokenTurns,
    parse_spec,
)

TESTED_VERSION = "0.9.1"
AGENT_NAME = "agentgym"


def _plain(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    try:
        from omegaconf import DictConfig, OmegaConf

        if isinstance(obj, DictConfig):
            return dict(OmegaConf.to_container(obj, resolve=True))  # type: ignore[arg-type]
    except ImportError:  # pragma: no cover - omegaconf is a verl dependency
        pass
    if isinstance(obj, str):
        return json.loads(obj)
    return dict(obj)


@register(AGENT_NAME)
class AgentGymAgentLoop(AgentLoopBase):
    """verl agent loop running one agentgym episode per trajectory."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        section = _plain(self.config.get("agentgym")) if hasattr(self.config, "get") else {}
        self.env_id = str(section.get("env_id", "agentgym/BugFix-v0"))
        self.env_kwargs = _plain(section.get("env_kwargs"))
        multi_turn = getattr(self.rollout_config, "multi_turn", None)
        fallback = getattr(multi_turn, "max_assistant_turns", None) if multi_turn else None
        self.max_turns = int(section.get("max_turns") or fallback or 20)
        self.response_length = int(self.rollout_config.response_length)

    async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> AgentLoopOutput:
        row = {**_plain(kwargs.get("extra_info")), **_plain(kwargs.get("agentgym"))}
        spec = parse_spec(row, self.env_id)
        loop = asyncio.get_running_loop()
        env_kwargs = {**self.env_kwargs, **spec.env_kwargs}
        session = await loop.run_in_executor(None, lambda: Session(spec.env_id, **env_kwargs))
        timing = {"generate_sequences": 0.0, "tool_calls": 0.0}
        turns = TokenTurns(session, self.tokenizer)
        try:
            await self._play(session, turns, spec, sampling_params, timing)
        except asyncio.CancelledError:
            _close_now(session)  # cancelled: release the sandbox before anything else
            raise
        finally:
            if not session.closed:
                await loop.run_in_executor(None, session.close)
        return self._output(session, turns, timing)

    async def _play(
        self,
        session: Session,
        turns: TokenTurns,
        spec: EpisodeSpec,
        sampling_params: dict[str, Any],
        timing: dict[str, float],
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            obs, info = await loop.run_in_executor(None, session.start, spec)
        except INFRA_EXCEPTIONS as exc:
            session.fail(exc)
            return
        turns.start(obs, info)
        request_id = uuid4().hex  # one sticky session on the server per trajectory
        for _ in range(self.max_turns):
            t0 = time.perf_counter()
            out = await self.server_manager.generate(
                request_id=request_id, prompt_ids=turns.context, sampling_params=sampling_params
            )
            timing["generate_sequences"] += time.perf_counter() - t0
            ids = list(out.token_ids)
            finished = bool(ids) and ids[-1] in turns.stop_ids
            text = turns.add_generation(ids, out.log_probs, finished=finished)
            t0 = time.perf_counter()
            obs, _r, terminated, truncated, _info = await loop.run_in_executor(
                None, session.step, text
            )
            timing["tool_calls"] += time.perf_counter() - t0
            if terminated or truncated or session.outcome.done:
                break
            await loop.run_in_executor(None, turns.add_observation, obs)
            if len(turns.completion_ids) >= self.response_length:
                break
        if not session.outcome.done:
            await loop.run_in_executor(None, session.end, "verl turn or length budget")

    def _output(
        self, session: Session, turns: TokenTurns, timing: dict[str, float]
    ) -> AgentLoopOutput:
        outcome = session.outcome
        n = self.response_length
        response_ids = turns.completion_ids[:n]
        mask = turns.mask[:n]
        logprobs = turns.logprobs[:n]
        prompt_ids = turns.prompt_ids or [self.tokenizer.pad_token_id or 0]
        if outcome.infrastructure_error:
            mask = [0] * len(response_ids)
        if not response_ids:  # verl pads per row; keep one (masked) token for the shapes
            response_ids, mask, logprobs = [self.tokenizer.pad_token_id or 0], [0], [0.0]
        reward = 0.0 if outcome.infrastructure_error else float(outcome.reward)
        return AgentLoopOutput(
            prompt_ids=self._cap_text_prompt_length(prompt_ids),
            response_ids=response_ids,
            response_mask=mask,
            response_logprobs=logprobs,
            reward_score=reward,
            num_turns=2 * outcome.turns + 1,
            metrics=timing,
            extra_fields={
                "turn_scores": [],
                "tool_rewards": [],
                "agentgym_task_id": outcome.task_id,
                "agentgym_infrastructure_error": outcome.infrastructure_error,
                "agentgym_reward_breakdown": json.dumps(outcome.reward_breakdown, default=str),
                "agentgym_monitor_flags": len(outcome.monitor_flags),
            },
        )


def _close_now(session: Session) -> None:
    try:
        session.close()
    except Exception:  # closing on cancellation must not mask the cancellation
        pass


__all__ = ["AGENT_NAME", "TESTED_VERSION", "AgentGymAgentLoop"]
