"""Chat-format details data generation must respect when it re-renders a conversation."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from agentgym.types import Message, ToolCall


def call_id_for(family: str, call_id: str, name: str, index: int) -> str:
    """A tool-call id the family's template accepts (Mistral: 9 alphanumerics; Kimi K2:
    ``functions.NAME:IDX``); other families take any id unchanged."""
    if family == "mistral":
        if len(call_id) == 9 and call_id.isalnum():
            return call_id
        return hashlib.sha1(call_id.encode()).hexdigest()[:9]
    if family == "kimi-k2":
        return f"functions.{name}:{index}"
    return call_id


def fit_call_ids(messages: Sequence[Message], family: str) -> list[Message]:
    """Rewrite call ids (and the tool results that answer them) into the family's shape."""
    if family not in ("mistral", "kimi-k2"):
        return list(messages)
    mapping: dict[str, str] = {}
    out: list[Message] = []
    index = 0
    for m in messages:
        if m.tool_calls:
            calls: list[ToolCall] = []
            for c in m.tool_calls:
                new = call_id_for(family, c.id, c.name, index)
                index += 1
                mapping[c.id] = new
                calls.append(c.model_copy(update={"id": new}))
            m = m.model_copy(update={"tool_calls": calls})
        elif m.role == "tool" and m.tool_call_id in mapping:
            m = m.model_copy(update={"tool_call_id": mapping[m.tool_call_id]})
        out.append(m)
    return out


__all__ = ["call_id_for", "fit_call_ids"]
