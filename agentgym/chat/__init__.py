"""Chat formats: render conversations, parse completions, tokenize for training.

``get_format(name)`` returns one family's :class:`ChatFormat`; ``list_formats()`` names them.
``get_format("hf", tokenizer=...)`` wraps any Hugging Face tokenizer's own chat template.
"""

from __future__ import annotations

from typing import Any

from agentgym.chat.base import COMMON_OPTIONS, ChatFormat, Segment
from agentgym.chat.tokenize import Tokenized, tokenize
from agentgym.errors import ChatFormatError


def _registry() -> dict[str, type[ChatFormat]]:
    from agentgym.chat import chatml, deepseek, glm, gpt_oss, kimi, llama, minimax, mistral

    classes = [
        chatml.Qwen25,
        chatml.Qwen3,
        chatml.Qwen3Coder,
        llama.Llama31,
        llama.Llama32,
        mistral.MistralNemo,
        minimax.MiniMaxM2,
        glm.GLM46,
        gpt_oss.GptOss,
        chatml.Hermes3,
        kimi.KimiK2,
        deepseek.DeepSeekV31,
    ]
    return {cls.name: cls for cls in classes}


def list_formats() -> list[str]:
    """Names accepted by :func:`get_format` (``hf`` needs a tokenizer)."""
    return [*_registry(), "hf"]


def get_format(name: str, **kwargs: Any) -> ChatFormat:
    """The chat format called ``name``; ``hf`` takes ``tokenizer=`` (a transformers tokenizer)."""
    if name == "hf":
        from agentgym.chat.hf import HFChatFormat

        return HFChatFormat(**kwargs)
    registry = _registry()
    if name not in registry:
        raise ChatFormatError(f"unknown chat format {name!r}; known: {', '.join(list_formats())}")
    return registry[name](**kwargs)


__all__ = [
    "COMMON_OPTIONS",
    "ChatFormat",
    "Segment",
    "Tokenized",
    "get_format",
    "list_formats",
    "tokenize",
]
