"""Gymnasium spaces for text agents: conversations in, completion text out."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.spaces import Space

_ROLES = ("system", "user", "assistant", "tool")
_ALPHABET = list(
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;!?()[]{}<>\"'\n_-=+/"
)


class ConversationSpace(Space[list[dict[str, Any]]]):
    """A list of OpenAI-style message dicts (``role``, ``content``, ...)."""

    def __init__(self, max_messages: int = 100_000, seed: int | np.random.Generator | None = None):
        self.max_messages = max_messages
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def contains(self, x: Any) -> bool:
        if not isinstance(x, list) or len(x) > self.max_messages:
            return False
        for m in x:
            if not isinstance(m, dict) or m.get("role") not in _ROLES:
                return False
            if not (m.get("content") is None or isinstance(m.get("content"), str)):
                return False
        return True

    def sample(self, mask: Any = None, probability: Any = None) -> list[dict[str, Any]]:
        n = int(self.np_random.integers(1, 4))
        return [
            {
                "role": str(self.np_random.choice(["user", "assistant"])),
                "content": _text(self.np_random, 40),
            }
            for _ in range(n)
        ]

    def __repr__(self) -> str:
        return "ConversationSpace()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConversationSpace) and other.max_messages == self.max_messages


class CompletionSpace(Space[str]):
    """The assistant's raw completion text (any string up to ``max_length`` characters)."""

    def __init__(self, max_length: int = 1_000_000, seed: int | np.random.Generator | None = None):
        self.max_length = max_length
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and len(x) <= self.max_length

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        return _text(self.np_random, 80)

    def __repr__(self) -> str:
        return "CompletionSpace()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompletionSpace) and other.max_length == self.max_length


def _text(rng: np.random.Generator, max_len: int) -> str:
    n = int(rng.integers(1, max_len))
    return "".join(rng.choice(_ALPHABET, size=n).tolist())
