"""Chat-format envs: token-in/token-out rollouts, stop tokens, masks, faults (no sandbox)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

torch = pytest.importorskip("torch")

from agentgym.chat import get_format, list_formats, tokenize  # noqa: E402
from agentgym.errors import ConfigError  # noqa: E402
from agentgym.train.config import TrainConfig  # noqa: E402
from agentgym.train.rollout import (  # noqa: E402
    Generation,
    RolloutRequest,
    collect_episodes,
    encode_ids,
)
from agentgym.train.tokenizer import (  # noqa: E402
    build_chat_tokenizer,
    chat_special_tokens,
    chat_stop_ids,
    token_id,
)
from agentgym.train.trainer import Trainer, make_batch  # noqa: E402
from agentgym.types import Message, ToolCall  # noqa: E402

pytestmark = pytest.mark.train

ENV_ID = "agentgym-test/EchoChat-v0"
FAMILIES = [name for name in list_formats() if name != "hf"]
# Families whose template renders every prefix of an agentic conversation as a prefix of the
# whole: there, token-in/token-out ids equal a full tokenization. Not: mistral, hermes3
# (docs/chat-formats.md), and qwen3 / minimax-m2, whose generation prompt or completion opens
# a think block that a past turn without reasoning no longer renders (TITO keeps it).
PREFIX_STABLE = [f for f in FAMILIES if f not in ("mistral", "hermes3", "qwen3", "minimax-m2")]
BASH = {
    "type": "function",
    "function": {
        "name": "bash",
        "description": "Run a shell command.",
        "parameters": {
            "type": "object",
            "properties": {"command": {"type": "string"}},
            "required": ["command"],
        },
    },
}


class EchoChatEnv(gym.Env[list[dict[str, Any]], str]):
    """A sandbox-free chat env with CodingEnv's surface: ``fmt``, ``messages``, tool messages.

    Each tool call is answered with ``ran: <command>``; the episode ends after ``max_turns``
    turns with reward 1 if every turn made a call. ``fault_seeds`` end with an infrastructure
    error (as a grader fault does in CodingEnv).
    """

    def __init__(
        self, chat_format: str = "qwen3", max_turns: int = 2, fault_seeds: tuple[int, ...] = ()
    ) -> None:
        self.fmt = get_format(chat_format)
        self.max_turns = max_turns
        self.fault_seeds = set(fault_seeds)
        self.messages: list[Message] = []
        self.turn, self.calls, self.seed = 0, 0, 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        super().reset(seed=seed)
        self.seed = int(seed or 0)
        self.turn = self.calls = 0
        self.messages = [
            Message(role="system", content="You run commands."),
            Message(role="user", content=f"List the files (task {self.seed})."),
        ]
        return [m.to_openai() for m in self.messages], {"tools": [BASH], "task_id": "echo"}

    def step(self, action: str) -> tuple[list[dict[str, Any]], float, bool, bool, dict[str, Any]]:
        self.turn += 1
        info: dict[str, Any] = {}
        try:
            msg = self.fmt.parse(action, tools=[BASH], validate=False)
        except ValueError as exc:
            msg = Message(role="assistant", content=action)
            info["parse_error"] = str(exc)
        msg = msg.model_copy(
            update={
                "tool_calls": [
                    c.model_copy(update={"id": c.id or f"c{self.turn}{i}"})
                    for i, c in enumerate(msg.tool_calls)
                ]
            }
        )
        self.messages.append(msg)
        new = [
            Message(
                role="tool",
                content=f"ran: {c.arguments.get('command')}",
                tool_call_id=c.id,
                name=c.name,
            )
            for c in msg.tool_calls
        ] or [Message(role="user", content="Call a tool.")]
        self.calls += bool(msg.tool_calls)
        self.messages += new
        done = self.turn >= self.max_turns
        reward = float(self.calls == self.turn) if done else 0.0
        if done and self.seed in self.fault_seeds:
            info.update(infrastructure_error=True, grade={"status": "error", "error": "boom"})
        elif done:
            info["grade"] = {"status": "pass" if reward else "fail"}
        return [m.to_openai() for m in new], reward, False, done, info


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point=EchoChatEnv, disable_env_checker=True)


class ScriptedEngine:
    """Generates one fixed, well-formed tool-call turn per prompt (what a trained policy emits)."""

    def __init__(self, fmt: Any, tokenizer: Any, pad_id: int = 0) -> None:
        call = Message(
            role="assistant",
            content=None,
            tool_calls=[ToolCall(id="call0001a", name="bash", arguments={"command": "ls"})],
        )
        self.ids = encode_ids(tokenizer, fmt.render_completion(call))
        if not fmt.end_of_turn:  # GLM: the model stops by sampling the next role token
            self.ids.append(chat_stop_ids(fmt, tokenizer)[0])
        self.pad_id = pad_id
        self.calls: list[list[int]] = []

    def load_weights(self, state_dict: dict[str, Any]) -> None:
        pass

    def generate(
        self, prompts: list[list[int]], *, max_new_tokens: int, temperature: float, seed: int
    ) -> list[Generation]:
        ids = self.ids[:max_new_tokens]
        self.calls.append(ids)
        n = len(ids)
        return [Generation(list(ids), [-1.0] * n, n == len(self.ids)) for _ in prompts]


def _request(fmt_name: str, **over: Any) -> RolloutRequest:
    data: dict[str, Any] = dict(
        env_id=ENV_ID,
        seeds=(5, 6),
        group_size=2,
        env_kwargs={"chat_format": fmt_name, "max_turns": 2},
        max_turns=2,
        max_new_tokens=256,
        max_total_tokens=4096,
    )
    data.update(over)
    return RolloutRequest(**data)


@pytest.mark.parametrize("name", FAMILIES)
def test_chat_tokenizer_has_every_special_token_of_the_format(name: str) -> None:
    fmt = get_format(name)
    tok = build_chat_tokenizer(fmt, 320)
    for special in chat_special_tokens(fmt):
        assert token_id(tok, special) is not None, special
    stops = chat_stop_ids(fmt, tok)
    assert stops and len(set(stops)) == len(stops)
    text = "naïve → 日本 <tool_call> {}"  # byte-level: any text round-trips
    assert tok.decode(encode_ids(tok, text), skip_special_tokens=False) == text


def test_a_tokenizer_without_the_format_tokens_is_a_clear_error() -> None:
    from agentgym.env.toolcall import build_toy_tokenizer

    with pytest.raises(ConfigError, match="stop string"):
        chat_stop_ids(get_format("llama3.1"), build_toy_tokenizer())


@pytest.mark.parametrize("name", PREFIX_STABLE)
def test_tito_rollout_equals_full_tokenization(name: str) -> None:
    """With a well-formed policy, the incrementally built ids are exactly the full tokenization
    of the final conversation, and the loss mask is exactly its assistant mask."""
    fmt = get_format(name)
    tok = build_chat_tokenizer(fmt, 320)
    engine = ScriptedEngine(fmt, tok)
    eps = collect_episodes(engine, tok, _request(name))
    env = gym.make(ENV_ID, chat_format=name, max_turns=2)
    for ep in eps:
        assert ep.num_turns == 2 and ep.reward == 1.0 and ep.error is None
        assert len(ep.token_ids) == len(ep.loss_mask) == len(ep.rollout_logprobs)
        # replay the env to get the conversation the rollout saw, then tokenize it whole
        _obs, info = env.reset(seed=ep.seed)
        for text in ep.completions:
            env.step(text)
        full = tokenize(fmt, tok, env.unwrapped.messages, info["tools"])
        n = len(ep.token_ids)
        assert full.ids[:n] == ep.token_ids
        # GLM: each sampled stop token belongs to the next turn's header, not to the mask
        per_turn = len(engine.ids) - (0 if fmt.end_of_turn else 1)
        assert sum(ep.loss_mask) == 2 * per_turn
        assert ep.loss_mask == full.assistant_mask[:n]
        # what follows the last turn in the full render is boilerplate, never assistant text
        assert sum(full.assistant_mask[n:]) == 0


@pytest.mark.parametrize("name", FAMILIES)
def test_random_policy_rollout_masks_assistant_tokens_only(name: str, tmp_path: Path) -> None:
    cfg = TrainConfig.model_validate(
        {
            "output_dir": str(tmp_path),
            "progress": False,
            "tensorboard": False,
            "model": {"max_position_embeddings": 2048},
            "tokenizer": {"vocab_size": 320},
            "env": {
                "id": ENV_ID,
                "kwargs": {"chat_format": name, "max_turns": 2},
                "tasks_per_step": 2,
                "group_size": 2,
                "max_turns": 2,
            },
            "rollout": {"max_new_tokens": 12, "max_total_tokens": 2048},
        }
    )
    trainer = Trainer(cfg)
    fmt = trainer.chat_fmt
    assert fmt is not None and fmt.name == name
    eps = trainer.rollout()
    stops = set(trainer.stop_ids)
    close = encode_ids(trainer.tokenizer, fmt.end_of_turn) if fmt.end_of_turn else []
    for ep in eps:
        assert ep.num_turns == 2 and ep.error is None
        # the prompt is exactly the chat format's tokenization of the opening messages
        env = gym.make(ENV_ID, chat_format=name)
        obs, info = env.reset(seed=ep.seed)
        prompt = tokenize(fmt, trainer.tokenizer, obs, info["tools"], add_generation_prompt=True)
        assert ep.token_ids[: len(prompt.ids)] == prompt.ids
        assert sum(ep.loss_mask[: len(prompt.ids)]) == 0
        # masked-in tokens are exactly the sampled ones, each with its rollout log-prob
        runs = _runs(ep.loss_mask)
        assert len(runs) == 2
        for (a, b), text in zip(runs, ep.completions, strict=True):
            ids = ep.token_ids[a:b]
            assert all(lp < 0 for lp in ep.rollout_logprobs[a:b])
            if fmt.end_of_turn:
                assert trainer.tokenizer.decode(ids, skip_special_tokens=False) == text
            stopped = ids[-1] in stops if ids else False
            if not stopped and close and fmt.end_of_turn:  # budget cut: closed, not trained
                assert ep.token_ids[b : b + len(close)] == close
    batch, stats = make_batch(eps, trainer.cfg, trainer.pad_id)
    assert stats["episodes/graded_frac"] == 1.0
    for i, ep in enumerate(eps):
        assert batch.mask[i, : len(ep.token_ids) - 1].tolist() == [
            float(m) for m in ep.loss_mask[1:]
        ]
    m = trainer.step()
    assert m["mismatch/max_abs"] < 1e-4  # same fp32 computation on both sides


def _runs(mask: list[int]) -> list[tuple[int, int]]:
    out, start = [], None
    for i, m in enumerate([*mask, 0]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            out.append((start, i))
            start = None
    return out


def test_budget_cut_turn_is_closed_untrained() -> None:
    fmt = get_format("qwen3")
    tok = build_chat_tokenizer(fmt, 320)
    engine = ScriptedEngine(fmt, tok)
    eps = collect_episodes(engine, tok, _request("qwen3", max_new_tokens=5, max_turns=1))
    close = encode_ids(tok, fmt.end_of_turn)
    for ep in eps:
        runs = _runs(ep.loss_mask)
        assert [b - a for a, b in runs] == [5]
        b = runs[0][1]
        assert ep.token_ids[b : b + len(close)] == close
        assert ep.loss_mask[b : b + len(close)] == [0] * len(close)
        assert ep.truncated  # the trainer's turn bound ended it, not the env


def test_chat_infrastructure_faults_are_masked_not_punished(tmp_path: Path) -> None:
    fmt = get_format("qwen3")
    tok = build_chat_tokenizer(fmt, 320)
    req = _request("qwen3", seeds=(5, 6, 7), env_kwargs={"max_turns": 2, "fault_seeds": (6,)})
    eps = collect_episodes(ScriptedEngine(fmt, tok), tok, req)
    assert [ep.error is not None for ep in eps] == [False, False, True, True, False, False]
    assert all(ep.grade_status == "error" for ep in eps if ep.error)
    cfg = TrainConfig.model_validate(
        {"output_dir": str(tmp_path), "env": {"tasks_per_step": 3, "group_size": 2}}
    )
    batch, stats = make_batch(eps, cfg, pad_id=0)
    assert stats["episodes/faults"] == 2
    for i, ep in enumerate(eps):
        if ep.error:
            assert float(batch.mask[i].sum()) == 0.0 and float(batch.advantages[i]) == 0.0
        else:
            assert float(batch.mask[i].sum()) > 0


def test_chat_rollouts_are_seeded_and_thread_count_free(tmp_path: Path) -> None:
    """Same seeds, same episodes, with env calls on one thread or several."""
    cfg = {
        "output_dir": str(tmp_path),
        "progress": False,
        "tensorboard": False,
        "model": {"max_position_embeddings": 1024},
        "env": {
            "id": ENV_ID,
            "tasks_per_step": 2,
            "group_size": 2,
            "max_turns": 2,
            "kwargs": {"max_turns": 2},
        },
        "rollout": {"max_new_tokens": 8, "max_total_tokens": 1024},
    }
    trainer = Trainer(TrainConfig.model_validate(cfg))
    req = RolloutRequest(
        ENV_ID,
        (1, 2),
        2,
        {"max_turns": 2},
        max_turns=2,
        max_new_tokens=8,
        max_total_tokens=1024,
        sample_seed=3,
    )
    one = collect_episodes(trainer.engine, trainer.tokenizer, req)
    many = collect_episodes(
        trainer.engine, trainer.tokenizer, RolloutRequest(**{**req.__dict__, "env_workers": 4})
    )
    assert [e.token_ids for e in one] == [e.token_ids for e in many]
    assert [e.loss_mask for e in one] == [e.loss_mask for e in many]
