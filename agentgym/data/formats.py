"""Chat-format details data generation must respect when it re-renders a conversation."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from agentgym.types import Message, ToolCall


def _family(name: str) -> str:
    """The family of a chat format name (``kimi-k2@2025-07`` -> ``kimi-k2``)."""
    return name.split("@", 1)[0]


def call_id_for(family: str, call_id: str, name: str, index: int) -> str:
    """A tool-call id the family's template accepts (Mistral: 9 alphanumerics; Kimi K2:
    ``functions.NAME:IDX``); other families take any id unchanged."""
    family = _family(family)
    if family == "mistral":
        if len(call_id) == 9 and call_id.isalnum():
            return call_id
        return hashlib.sha1(call_id.encode()).hexdigest()[:9]
    if family == "kimi-k2":
        return f"functions.{name}:{index}"
    return call_id


def fit_call_ids(messages: Sequence[Message], family: str) -> list[Message]:
    """Rewrite call ids (and the tool results that answer them) into the family's shape."""
    if _family(family) not in ("mistral", "kimi-k2"):
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


# Templates with one call per assistant message (gpt-oss's keeps only the first; agentgym
# raises rather than drop the others).
SINGLE_CALL_FAMILIES = frozenset({"llama3.1", "llama3.2", "gpt-oss"})


def split_parallel_calls(messages: Sequence[Message]) -> list[Message]:
    """Turn each assistant message with several calls into one turn per call, each followed
    by its own result (for templates that allow one call per message, e.g. Llama 3.x).
    The first turn keeps the message's text and reasoning."""
    out: list[Message] = []
    i = 0
    while i < len(messages):
        m = messages[i]
        i += 1
        if m.role != "assistant" or len(m.tool_calls) < 2:
            out.append(m)
            continue
        results: list[Message] = []
        while i < len(messages) and messages[i].role == "tool":
            results.append(messages[i])
            i += 1
        used: set[int] = set()
        for k, call in enumerate(m.tool_calls):
            update = {"tool_calls": [call]}
            if k:
                update.update({"content": None, "reasoning": None})
            out.append(m.model_copy(update=update))
            for j, r in enumerate(results):
                if j not in used and r.tool_call_id == call.id:
                    used.add(j)
                    out.append(r)
        out.extend(r for j, r in enumerate(results) if j not in used)
    return out


def fit_messages(messages: Sequence[Message], family: str) -> list[Message]:
    """Everything a family's template needs: call-id shapes and one call per turn."""
    if _family(family) in SINGLE_CALL_FAMILIES:
        messages = split_parallel_calls(messages)
    return fit_call_ids(messages, family)


__all__ = [
    "SINGLE_CALL_FAMILIES",
    "call_id_for",
    "fit_call_ids",
    "fit_messages",
    "split_parallel_calls",
]
