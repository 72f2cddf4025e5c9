"""``AgentGymClient``: openenv-core's ``EnvClient`` typed with agentgym's action/observation.

    async with AgentGymClient(base_url="http://127.0.0.1:8000") as env:
        result = await env.reset(seed=0, task_id="semver-...")
        result = await env.step(AgentGymAction(completion=text))

or ``AgentGymClient(base_url=...).sync()`` for blocking calls. Only the three payload hooks
are ours; connection, framing and errors are openenv-core's. With a token, put it in the
URL as a password (``http://agentgym:TOKEN@host:port``): the WebSocket handshake sends it
as HTTP Basic auth.
"""

from __future__ import annotations

from typing import Any

from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient

from agentgym.serve.models import AgentGymAction, AgentGymObservation, AgentGymState


class AgentGymClient(EnvClient[AgentGymAction, AgentGymObservation, AgentGymState]):
    """A WebSocket session with one agentgym env on an ``agentgym serve`` server."""

    def _step_payload(self, action: AgentGymAction | dict[str, Any]) -> dict[str, Any]:
        if isinstance(action, dict):
            action = AgentGymAction.model_validate(action)
        return action.model_dump(exclude_none=True, exclude_defaults=True)

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[AgentGymObservation]:
        obs = AgentGymObservation.model_validate(
            {
                **payload.get("observation", {}),
                "reward": payload.get("reward"),
                "done": payload.get("done", False),
            }
        )
        return StepResult(observation=obs, reward=payload.get("reward"), done=obs.done)

    def _parse_state(self, payload: dict[str, Any]) -> AgentGymState:
        return AgentGymState.model_validate(payload)


__all__ = ["AgentGymClient"]
