"""`agentgym/ToolCall-v0`: a fast, Docker-free env where learning is testable in seconds.

The task names a value; the episode succeeds (reward 1) when the agent's completion makes
a Hermes-style call ``<tool_call>{"name": "submit", "arguments": {"answer": "<value>"}}</tool_call>``.
A failed attempt earns ``partial_credit`` times a quarter point for each milestone it
reaches (call opened, a known value given, the right value, call closed), so that a
random-init policy sees a learning signal at all (``partial_credit=0``: binary reward).

The text format (``ToyChatFormat``) and the tokenizer (BPE trained locally on the bundled
corpus ``data/toolcall_corpus.txt``) are self-contained. The env lives with the other
environments (``agentgym.env``); the trainer imports it, never the reverse.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from importlib import resources
from typing import Any

import gymnasium as gym
import numpy as np

TOOL_CALL_RE = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
TEXT_CHARSET = string.printable


# --- chat format -------------------------------------------------------------


@dataclass(frozen=True)
class ToyChatFormat:
    """Turn markers of the toy format; token-in/token-out: each turn is appended, never re-rendered."""

    user: str = "<|user|>"
    assistant: str = "<|assistant|>"
    tool: str = "<|tool|>"
    end: str = "<|end|>"
    pad: str = "<|pad|>"

    def render_first_turn(self, user_text: str) -> str:
        """The prompt that opens an episode, ending with the assistant marker."""
        return f"{self.user}{user_text}{self.end}{self.assistant}"

    def render_tool_turn(self, tool_text: str) -> str:
        """What follows an assistant turn: the tool's answer, then the next assistant marker."""
        return f"{self.end}{self.tool}{tool_text}{self.end}{self.assistant}"

    @property
    def special_tokens(self) -> list[str]:
        return [self.pad, self.user, self.assistant, self.tool, self.end]


def canonical_call(tool: str, value: str) -> str:
    """The exact completion text that solves a task."""
    args = json.dumps({"answer": value})
    return f'<tool_call>{{"name": "{tool}", "arguments": {args}}}</tool_call>'


def parse_tool_call(completion: str) -> tuple[str, dict[str, Any]] | None:
    """First well-formed Hermes tool call in ``completion`` as (name, arguments), else None."""
    match = TOOL_CALL_RE.search(completion)
    if match is None:
        return None
    try:
        payload = json.loads(match.group(1))
    except json.JSONDecodeError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("name"), str):
        return None
    args = payload.get("arguments", {})
    return (payload["name"], args) if isinstance(args, dict) else None


# --- the env -----------------------------------------------------------------


class ToolCallEnv(gym.Env[str, str]):
    """Observation: the user's (or tool's) text. Action: the assistant's raw completion."""

    metadata = {"render_modes": []}  # noqa: RUF012 - gymnasium's convention

    def __init__(
        self,
        values: tuple[str, ...] = ("0", "1", "2", "3", "4"),
        tool: str = "submit",
        max_turns: int = 1,
        partial_credit: float = 0.5,
        fault_rate: float = 0.0,
    ) -> None:
        self.values = tuple(values)
        self.tool = tool
        self.max_turns = max_turns
        self.partial_credit = partial_credit
        self.fault_rate = fault_rate
        self.observation_space = gym.spaces.Text(
            max_length=4096, min_length=0, charset=TEXT_CHARSET
        )
        self.action_space = gym.spaces.Text(max_length=4096, min_length=0, charset=TEXT_CHARSET)
        self._value = ""
        self._turn = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        self._value = str(
            options.get("value", self.values[self.np_random.integers(len(self.values))])
        )
        self._turn = 0
        return self.instruction, {"value": self._value, "tool": self.tool}

    @property
    def instruction(self) -> str:
        return f"Call {self.tool} with answer {self._value}."

    def reward_for(self, completion: str) -> tuple[float, bool]:
        """(reward, success) of one completion against the current task."""
        call = parse_tool_call(completion)
        if call is not None and call[0] == self.tool and str(call[1].get("answer")) == self._value:
            return 1.0, True
        return self.partial_credit * self._milestones(completion) / 4.0, False

    def _milestones(self, completion: str) -> int:
        """Points of a failed attempt: call opened, a known value given, the right value, call closed."""
        before, after = call_scaffold(self.tool)
        if not completion.startswith(before):
            return 0
        rest = completion[len(before) :]
        given = next(
            (v for v in sorted(self.values, key=len, reverse=True) if rest.startswith(v)), None
        )
        if given is None:
            return 1
        closed = rest[len(given) :].startswith(after)
        return 2 + int(given == self._value) + int(closed)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        self._turn += 1
        # A simulated infrastructure fault: the trainer must mask it, not punish it.
        if self.fault_rate > 0 and self.np_random.random() < self.fault_rate:
            return "", 0.0, True, False, {"error": "simulated infrastructure fault"}
        reward, success = self.reward_for(action)
        info: dict[str, Any] = {"success": success, "error": None}
        if success or self._turn >= self.max_turns:
            return "", reward, True, False, info
        call = parse_tool_call(action)
        feedback = (
            "error: no well-formed <tool_call> found"
            if call is None
            else f"error: wrong call {call[0]}({json.dumps(call[1])})"
        )
        return feedback, 0.0, False, False, info


# --- tokenizer ---------------------------------------------------------------


def corpus_lines() -> list[str]:
    """The bundled text the toy tokenizer is trained on."""
    text = resources.files("agentgym.env").joinpath("data/toolcall_corpus.txt").read_text()
    return [line for line in text.splitlines() if line]


def call_scaffold(tool: str = "submit") -> tuple[str, str]:
    """The fixed text of a call before and after its value."""
    before, after = canonical_call(tool, "@@VALUE@@").split("@@VALUE@@")
    return before, after


def build_toy_tokenizer(
    vocab_size: int = 64, fmt: ToyChatFormat | None = None, tool: str = "submit"
) -> Any:
    """A BPE `tokenizers.Tokenizer` trained on the bundled corpus (no hub, deterministic).

    The call's fixed JSON scaffold before and after the value are single added tokens (as
    real tool-calling tokenizers add ``<tool_call>``), so a correct call is three tokens.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    fmt = fmt or ToyChatFormat()
    tok = Tokenizer(models.BPE())
    # Digits stay single tokens so the value never fuses with the JSON around it.
    tok.pre_tokenizer = pre_tokenizers.Digits(individual_digits=True)
    tok.decoder = decoders.Fuse()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=fmt.special_tokens, show_progress=False
    )
    tok.train_from_iterator(corpus_lines(), trainer)
    tok.add_tokens(list(call_scaffold(tool)))
    return tok


def sample_values(rng: np.random.Generator, n: int, values: tuple[str, ...]) -> list[str]:
    """n task values drawn with a caller-owned generator."""
    return [values[i] for i in rng.integers(len(values), size=n)]
