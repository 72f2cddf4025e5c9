"""verifiers 0.4.0 (v1 stack): the taskset id resolves through verifiers' own loaders to the
agentgym Taskset and Env; an episode runs through the Env's run(task, agents) with a scripted
agent seat answering turns with verifiers' Segment type.

Not run here: verifiers' harness path (the `null` harness bootstraps `uv` and the chat program's
PEP 723 dependencies inside a runtime, then serves the model through its interception server);
docs/integrations.md says so.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from conftest import need

need("verifiers")

from helpers import TASK, bugfix_task, noop_texts, oracle_texts  # noqa: E402
from verifiers.v1 import SandboxError  # noqa: E402
from verifiers.v1.agent import Segment  # noqa: E402
from verifiers.v1.types import AssistantMessage  # noqa: E402
from verifiers.v1.utils.loaders import load_environment, resolve_env_config  # noqa: E402

from agentgym.integrations.verifiers import AgentGymTaskset, AgentGymVfEnv  # noqa: E402

TASKSET_ID = "agentgym-verifiers"


class Recorder:
    def __init__(self) -> None:
        self.rewards: dict[str, float] = {}
        self.metrics: dict[str, float] = {}

    def record_reward(self, name: str, value: float, weight: float = 1.0) -> None:
        self.rewards[name] = value

    def record_metrics(self, values: dict[str, float]) -> None:
        self.metrics.update(values)


class ScriptedSeat:
    """``agents.agent``: an interaction whose turns answer with the scripted replies."""

    def __init__(self, replies: list[str]) -> None:
        self.replies, self.seen = replies, []
        self.trace = Recorder()

    @contextlib.asynccontextmanager
    async def interaction(self, task):
        seat = self

        class Interaction:
            trace = seat.trace

            async def turn(self, message=None):
                seat.seen.append(message)
                if len(seat.seen) > len(seat.replies):
                    return Segment(messages=[], terminated=True)
                reply = seat.replies[len(seat.seen) - 1]
                return Segment(messages=[AssistantMessage(content=reply)], root_reply=reply)

        yield Interaction()


class Agents:
    def __init__(self, seat) -> None:
        self.agent = seat


def make_env(**taskset):
    config = resolve_env_config(
        {"taskset": {"id": TASKSET_ID, "env_kwargs": {"backend": "local"}, **taskset}}
    )
    env = load_environment(config)
    assert isinstance(env, AgentGymVfEnv) and isinstance(env.taskset, AgentGymTaskset)
    return env


@pytest.mark.parametrize(("script", "expected"), [("oracle", 1.0), ("noop", 0.0)])
def test_episode_graded_by_agentgym(script: str, expected: float) -> None:
    env = make_env(task_ids=[TASK])
    (task,) = list(env.taskset.load())
    texts = oracle_texts(bugfix_task()) if script == "oracle" else noop_texts()
    seat = ScriptedSeat(texts)
    asyncio.run(env.run(task, Agents(seat)))
    assert seat.trace.rewards == {"agentgym": expected}
    assert seat.trace.metrics["fail_to_pass_total"] > 0
    assert '"name": "bash"' in seat.seen[0] and "ordinal" in seat.seen[0]  # tools + task


def test_recipes_and_seeds_make_tasks() -> None:
    env = make_env(task_ids=[TASK], recipes=[None, "scaffold-shift"], seeds=[0, 1])
    tasks = list(env.taskset.load())
    assert len(tasks) == 4 and {t.data.recipe for t in tasks} == {None, "scaffold-shift"}
    seat = ScriptedSeat(noop_texts())
    asyncio.run(env.run(tasks[2], Agents(seat)))
    assert "You are a software engineer" not in seat.seen[0]  # the perturbed system prompt
    assert seat.trace.rewards == {"agentgym": 0.0}


def test_infrastructure_fault_is_a_rollout_error_not_a_zero() -> None:
    from agentgym.env.toolcall import canonical_call

    env = make_env(env_id="agentgym/ToolCall-v0", env_kwargs={"fault_rate": 1.0}, task_ids=["4"])
    (task,) = list(env.taskset.load())
    seat = ScriptedSeat([canonical_call("submit", "4")])
    with pytest.raises(SandboxError):
        asyncio.run(env.run(task, Agents(seat)))
    assert seat.trace.rewards == {}
