"""Chat formats: render conversations, parse completions, tokenize for training.

``get_format(name)`` returns one chat format. A name is ``family@revision`` (one publisher
template revision, e.g. ``"kimi-k2@2025-07"``) or a bare family (its latest revision);
``list_formats()`` names the families, ``list_formats(revisions=True)`` every revision.
``get_format("hf", tokenizer=...)`` wraps any Hugging Face tokenizer's own chat template.
"""

from __future__ import annotations

import functools
from typing import Any

from agentgym.chat.base import COMMON_OPTIONS, ChatFormat, Segment
from agentgym.chat.tokenize import Tokenized, tokenize
from agentgym.errors import ChatFormatError


@functools.cache
def _registry() -> dict[str, type[ChatFormat]]:
    """``family@revision`` -> class, families in display order, revisions oldest first."""
    from agentgym.chat import chatml, deepseek, glm, gpt_oss, kimi, llama, minimax, mistral

    classes: list[type[ChatFormat]] = [
        chatml.Qwen25,
        chatml.Qwen3,
        chatml.Qwen3Coder202507,
        chatml.Qwen3Coder,
        llama.Llama31,
        llama.Llama32,
        mistral.MistralNemo,
        minimax.MiniMaxM2,
        glm.GLM46,
        gpt_oss.GptOss,
        chatml.Hermes3,
        kimi.KimiK2202507,
        kimi.KimiK2202508,
        kimi.KimiK2,
        deepseek.DeepSeekV31,
    ]
    return {cls.full_name(): cls for cls in classes}


@functools.cache
def _latest() -> dict[str, str]:
    latest: dict[str, str] = {}
    for full, cls in _registry().items():
        if cls.name not in latest or full > latest[cls.name]:
            latest[cls.name] = full
    return latest


def list_formats(revisions: bool = False) -> list[str]:
    """Names accepted by :func:`get_format`: the families (``hf`` needs a tokenizer), or with
    ``revisions`` every ``family@revision``."""
    if revisions:
        return list(_registry())
    return [*_latest(), "hf"]


def format_revisions(family: str) -> list[str]:
    """The ``family@revision`` names of one family, oldest first."""
    return [full for full, cls in _registry().items() if cls.name == family]


def resolve_format(name: str) -> str:
    """The ``family@revision`` a name selects (a bare family: its latest revision)."""
    if not isinstance(name, str):
        raise ChatFormatError(f"a chat format name must be text, got {type(name).__name__}")
    if name in _registry():
        return name
    if name in _latest():
        return _latest()[name]
    family, _, revision = name.partition("@")
    if revision and family in _latest():
        known = ", ".join(r.split("@", 1)[1] for r in format_revisions(family))
        raise ChatFormatError(
            f"chat format {family!r} has no revision {revision!r}; revisions: {known}"
        )
    raise ChatFormatError(
        f"unknown chat format {name!r}; known: {', '.join(list_formats())} "
        "(add @REVISION to pin a publisher template revision)"
    )


def get_format(name: str, **kwargs: Any) -> ChatFormat:
    """The chat format called ``name``; ``hf`` takes ``tokenizer=`` (a transformers tokenizer)."""
    if name == "hf":
        from agentgym.chat.hf import HFChatFormat

        return HFChatFormat(**kwargs)
    return _registry()[resolve_format(name)](**kwargs)


__all__ = [
    "COMMON_OPTIONS",
    "ChatFormat",
    "Segment",
    "Tokenized",
    "format_revisions",
    "get_format",
    "list_formats",
    "resolve_format",
    "tokenize",
]
