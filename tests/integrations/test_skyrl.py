"""SkyRL-Gym 0.4.0: the adapter made through skyrl_gym's registry, driven as SkyRL's generator
drives envs (init, then step with the completion text until done, then close)."""

from __future__ import annotations

import pytest
from conftest import need

need("skyrl_gym", "omegaconf")

import skyrl_gym  # noqa: E402
from helpers import BUGFIX, TASK, bugfix_task, noop_texts, oracle_texts  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

import agentgym.integrations.skyrl  # noqa: E402,F401  (registers "agentgym")
from agentgym.env.toolcall import canonical_call  # noqa: E402

CONFIG = OmegaConf.create({"env_id": BUGFIX, "env_kwargs": {"backend": "local"}})


def play(texts: list[str], extras: dict, config=CONFIG) -> tuple[float, dict, list]:
    env = skyrl_gym.make("agentgym", env_config=config, extras=extras)
    try:
        chat, _ = env.init([{"role": "user", "content": "ignored: the row names the episode"}])
        out = None
        for text in texts * 5:
            out = env.step(text)
            if out["done"]:
                break
        assert out is not None and out["done"]
        return out["reward"], out["metadata"], chat
    finally:
        env.close()
        assert env.session.closed


@pytest.mark.parametrize(("script", "expected"), [("oracle", 1.0), ("noop", 0.0)])
def test_bugfix_episode_through_the_registry(script: str, expected: float) -> None:
    texts = oracle_texts(bugfix_task()) if script == "oracle" else noop_texts()
    extras = {"extra_info": {"task_id": TASK, "seed": 0}, "max_turns": 5}
    reward, meta, chat = play(texts, extras)
    assert reward == expected
    assert meta["reward_breakdown"]["status"] == ("pass" if expected else "fail")
    assert meta["infrastructure_error"] is False and "monitor_flags" in meta
    assert chat[0]["role"] == "system" and '"name": "bash"' in chat[0]["content"]


def test_recipe_reaches_the_prompt_and_is_recorded() -> None:
    extras = {"task_id": TASK, "recipe": "scaffold-shift", "seed": 3, "max_turns": 1}
    _, meta, chat = play(noop_texts(), extras)
    assert meta["perturbations"]  # what was perturbed, for replay
    assert "You are a software engineer" not in chat[0]["content"]  # the system prompt changed


def test_toolcall_and_infrastructure_faults() -> None:
    config = OmegaConf.create({"env_id": "agentgym/ToolCall-v0"})
    reward, meta, _ = play([canonical_call("submit", "3")], {"task_id": "3"}, config)
    assert reward == 1.0
    config = OmegaConf.create({"env_id": "agentgym/ToolCall-v0", "env_kwargs": {"fault_rate": 1.0}})
    reward, meta, _ = play([canonical_call("submit", "3")], {"task_id": "3"}, config)
    assert meta["infrastructure_error"] is True and reward == 0.0


def test_turn_budget_ends_and_grades() -> None:
    extras = {"task_id": TASK, "max_turns": 2}
    reward, meta, _ = play(["I will think about it."], extras)
    assert meta["turn"] == 2 and reward == 0.0 and meta["reward_breakdown"]["status"] == "fail"
