"""A tiny random-init model + tokenizer made locally (no hub), for smoke runs of the adapters.

``tiny_chat_model("qwen3", texts=...)`` returns a transformers ``PreTrainedTokenizerFast``
(byte-level BPE trained on the bundled corpus plus ``texts``, the chat format's special tokens
as single tokens, ``<|pad|>`` for padding) and a random ``Qwen2ForCausalLM`` sized to it. The
tokenizer carries the publisher's chat template as TRL ships it (``trl/chat_templates``) when
TRL is installed, so TRL's tool-calling path recognises it. Real runs load a real model.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

from agentgym.errors import ConfigError

# agentgym chat format -> the template file TRL ships for that publisher's model.
TRL_TEMPLATES = {"qwen3": "qwen3.jinja", "llama3.1": "llama3_1.jinja"}


def trl_chat_template(chat_format: str) -> str | None:
    """The publisher's chat template as TRL ships it, or None (TRL not installed / no file)."""
    name = TRL_TEMPLATES.get(chat_format)
    if name is None:
        return None
    try:
        return resources.files("trl").joinpath("chat_templates", name).read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        return None


def tiny_tokenizer(
    chat_format: str = "qwen3", texts: Sequence[str] = (), vocab_size: int = 512
) -> Any:
    """A ``PreTrainedTokenizerFast`` for ``chat_format`` (``"toy"``: the ToolCall-v0 format)."""
    from transformers import PreTrainedTokenizerFast

    if chat_format == "toy":
        from agentgym.env.toolcall import ToyChatFormat, build_toy_tokenizer

        fmt = ToyChatFormat()
        tok = PreTrainedTokenizerFast(
            tokenizer_object=build_toy_tokenizer(), pad_token=fmt.pad, eos_token=fmt.end
        )
        tok.padding_side = "left"
        return tok
    from agentgym.chat import get_format
    from agentgym.train.tokenizer import PAD, build_chat_tokenizer

    fmt = get_format(chat_format)
    eos = fmt.end_of_turn or fmt.eos_token
    if not eos:
        raise ConfigError(f"chat format {chat_format!r} has no end-of-turn token")
    tok = PreTrainedTokenizerFast(
        tokenizer_object=build_chat_tokenizer(fmt, vocab_size=vocab_size, texts=texts),
        pad_token=PAD,
        eos_token=eos,
    )
    tok.padding_side = "left"
    template = trl_chat_template(chat_format)
    if template is not None:
        tok.chat_template = template
    return tok


def tiny_model(
    tokenizer: Any, seed: int = 0, hidden_size: int = 64, max_positions: int = 4096
) -> Any:
    """A random ``Qwen2ForCausalLM`` (2 layers) for ``tokenizer``; weights from ``seed``."""
    from agentgym.train.config import ModelConfig
    from agentgym.train.model import build_model

    cfg = ModelConfig(
        arch="qwen2",
        hidden_size=hidden_size,
        num_layers=2,
        num_heads=4,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=max_positions,
    )
    model = build_model(
        cfg,
        vocab_size=len(tokenizer),
        pad_id=tokenizer.pad_token_id,
        eos_id=tokenizer.eos_token_id,
        seed=seed,
    )
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def tiny_chat_model(
    chat_format: str = "qwen3", texts: Sequence[str] = (), seed: int = 0
) -> tuple[Any, Any]:
    """``(model, tokenizer)``: see the module docstring."""
    tokenizer = tiny_tokenizer(chat_format, texts)
    return tiny_model(tokenizer, seed=seed), tokenizer


def env_texts(env_id: str = "agentgym/BugFix-v0", **env_kwargs: Any) -> list[str]:
    """The system prompt, tool definitions and task instructions of ``env_id`` (text to train
    a tiny tokenizer on, so a coding prompt is not thousands of single bytes)."""
    import json

    import gymnasium as gym

    import agentgym.env  # noqa: F401

    env = gym.make(env_id, **env_kwargs).unwrapped
    try:
        texts = [getattr(env, "system_prompt", "")]
        texts += [json.dumps(t.spec.to_openai()) for t in getattr(env, "tool_list", [])]
        texts += [t.instruction for t in getattr(env, "tasks", [])]
    finally:
        env.close()
    return [t for t in texts if t]


__all__ = ["env_texts", "tiny_chat_model", "tiny_model", "tiny_tokenizer", "trl_chat_template"]
