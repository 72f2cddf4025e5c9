"""verl 0.9.1: the agent loop found in verl's registry, built with hydra.utils.instantiate the way
AgentLoopWorker builds it, and run as the worker awaits it, against a scripted LLM server."""

from __future__ import annotations

import asyncio

import pytest
from conftest import need

need("verl", "hydra", "omegaconf", "torch", "transformers")

import hydra  # noqa: E402
from helpers import BUGFIX, TASK, bugfix_task, noop_texts, oracle_texts  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from verl.experimental.agent_loop.agent_loop import (  # noqa: E402
    DictConfigWrap,
    ToolListWrap,
    _agent_loop_registry,
)
from verl.utils.dataset.rl_dataset import RLHFDataset  # noqa: E402
from verl.workers.rollout.replica import TokenOutput  # noqa: E402

import agentgym.integrations.verl  # noqa: E402,F401  (registers "agentgym")
from agentgym.integrations.tiny import env_texts, tiny_tokenizer  # noqa: E402


class ScriptedServer:
    """An LLM server client answering each generate() with the next scripted completion."""

    def __init__(self, tokenizer, texts: list[str], stall_s: float = 0.0) -> None:
        self.tokenizer, self.texts, self.stall_s = tokenizer, texts, stall_s
        self.requests: list[dict] = []

    async def generate(self, request_id, *, prompt_ids, sampling_params, **kwargs) -> TokenOutput:
        self.requests.append({"request_id": request_id, "prompt_ids": list(prompt_ids)})
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
        text = self.texts[min(len(self.requests) - 1, len(self.texts) - 1)]
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        return TokenOutput(token_ids=ids, log_probs=[-0.25] * len(ids), stop_reason="completed")


@pytest.fixture(scope="module")
def tok():
    return tiny_tokenizer("qwen3", env_texts(BUGFIX, backend="local"))


def make_loop(tok, server, env_kwargs=None):
    config = OmegaConf.create(
        {
            "actor_rollout_ref": {
                "rollout": {"prompt_length": 8192, "response_length": 8192, "multi_turn": {}}
            },
            "data": {},
            "agentgym": {
                "env_id": BUGFIX,
                "env_kwargs": env_kwargs or {"backend": "local"},
                "max_turns": 5,
            },
        }
    )
    assert "agentgym" in _agent_loop_registry
    return hydra.utils.instantiate(
        config=_agent_loop_registry["agentgym"],
        trainer_config=DictConfigWrap(config=config),
        server_manager=server,
        tokenizer=tok,
        processor=None,
        hf_model_type=None,
        dataset_cls=RLHFDataset,
        data_config=DictConfigWrap(config.data),
        tools=ToolListWrap([]),
    )


def row(**extra_info):
    return {"raw_prompt": [{"role": "user", "content": "x"}], "extra_info": extra_info, "index": 0}


@pytest.mark.parametrize(("script", "expected"), [("oracle", 1.0), ("noop", 0.0)])
def test_episode_through_the_registry(tok, script: str, expected: float) -> None:
    texts = oracle_texts(bugfix_task()) if script == "oracle" else noop_texts()
    server = ScriptedServer(tok, texts)
    loop = make_loop(tok, server)
    out = asyncio.run(loop.run({"temperature": 1.0}, **row(task_id=TASK, seed=0)))
    assert out.reward_score == expected
    assert out.extra_fields["agentgym_infrastructure_error"] is False
    assert len(out.response_ids) == len(out.response_mask) == len(out.response_logprobs)
    first = tok.encode(texts[0], add_special_tokens=False)
    assert out.response_ids[: len(first)] == first and set(out.response_mask[: len(first)]) == {1}
    if script == "oracle":
        assert 0 in out.response_mask  # tool answers are in the response, masked out
        # Token-in/token-out: turn 2's prompt is turn 1's prompt + every id since, verbatim.
        p1, p2 = server.requests[0]["prompt_ids"], server.requests[1]["prompt_ids"]
        assert p2[: len(p1)] == p1 and p2[len(p1) : len(p1) + len(first)] == first
    assert len({r["request_id"] for r in server.requests}) == 1
    assert out.as_dict()["rm_scores"][-1].item() == expected  # what verl trains on


def test_recipe_applies(tok) -> None:
    server = ScriptedServer(tok, noop_texts())
    out = asyncio.run(
        make_loop(tok, server).run({}, **row(task_id=TASK, recipe="scaffold-shift", seed=3))
    )
    assert "You are a software engineer" not in tok.decode(out.prompt_ids)
    assert out.reward_score == 0.0


def test_cancellation_releases_the_sandbox(tok) -> None:
    server = ScriptedServer(tok, noop_texts(), stall_s=30)
    loop = make_loop(tok, server)
    seen = []
    from agentgym.integrations import core

    original = core.Session.__init__

    def spy(self, *a, **k):
        original(self, *a, **k)
        seen.append(self)

    async def main():
        core.Session.__init__ = spy
        try:
            task = asyncio.ensure_future(loop.run({}, **row(task_id=TASK)))
            while not server.requests:
                await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        finally:
            core.Session.__init__ = original

    asyncio.run(main())
    assert seen and all(s.closed and s.base.sandbox is None for s in seen)


def test_infrastructure_fault_is_masked(tok) -> None:
    from agentgym.env.toolcall import canonical_call

    toy = tiny_tokenizer("toy")
    server = ScriptedServer(toy, [canonical_call("submit", "2")])
    loop = make_loop(toy, server)
    loop.env_id, loop.env_kwargs = "agentgym/ToolCall-v0", {"fault_rate": 1.0}
    out = asyncio.run(loop.run({}, **row(task_id="2")))
    assert out.extra_fields["agentgym_infrastructure_error"] is True
    assert set(out.response_mask) == {0} and out.reward_score == 0.0
    loop.env_kwargs = {}
    out = asyncio.run(loop.run({}, **row(task_id="2")))
    assert out.reward_score == 1.0 and set(out.response_mask) == {1}
