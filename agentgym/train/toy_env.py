"""Moved to :mod:`agentgym.env.toolcall` (environments never import the trainer); kept so
old imports (``from agentgym.train.toy_env import ToolCallEnv``) still work."""

from agentgym.env.toolcall import (
    TEXT_CHARSET,
    TOOL_CALL_RE,
    ToolCallEnv,
    ToyChatFormat,
    build_toy_tokenizer,
    call_scaffold,
    canonical_call,
    corpus_lines,
    parse_tool_call,
    sample_values,
)

__all__ = [
    "TEXT_CHARSET",
    "TOOL_CALL_RE",
    "ToolCallEnv",
    "ToyChatFormat",
    "build_toy_tokenizer",
    "call_scaffold",
    "canonical_call",
    "corpus_lines",
    "parse_tool_call",
    "sample_values",
]
