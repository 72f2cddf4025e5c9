"""parse() inverts every rendered assistant turn, for every family and template revision.

Each assistant turn of every corpus conversation is rendered in its conversation (as the
model would generate it after the generation prompt), parsed with the conversation's tools,
and compared with the message it came from; rendering the parsed message gives the same text.
"""

from __future__ import annotations

from typing import Any

import pytest

from agentgym.chat import get_format, list_formats
from agentgym.chat.base import normalize_messages
from agentgym.errors import ChatFormatError
from agentgym.types import Message
from tests.chat.corpus import CASES, GOLDEN_DATE

FORMATS = list_formats(revisions=True)
# Templates that print only the calls of a turn with calls (its text is not rendered).
DROPS_CONTENT_WITH_CALLS = {"llama3.1", "llama3.2", "mistral", "hermes3"}
# gpt-oss prints the text of a turn with calls as its analysis message (reasoning).
CONTENT_AS_REASONING_WITH_CALLS = {"gpt-oss"}


def _turns() -> list[Any]:
    out = []
    for name in FORMATS:
        for case_name, case in CASES.items():
            for k, m in enumerate(case["messages"]):
                if m["role"] == "assistant":
                    out.append(pytest.param(name, case_name, k, id=f"{name}-{case_name}-{k}"))
    return out


def _completion(fmt: Any, messages: list[Message], tools: Any, k: int) -> str | None:
    """The text the model generates for ``messages[k]`` after the generation prompt."""
    try:
        segs = fmt.render_segments(messages[: k + 1], tools, False, date=GOLDEN_DATE)
        prompt = "".join(
            s.text
            for s in fmt.render_segments(messages[:k], tools, True, date=GOLDEN_DATE)
            if s.part == "gen"
        )
    except ChatFormatError:
        return None  # the publisher's template rejects this conversation (golden test)
    turn = "".join(s.text for s in segs if s.index == k and s.part in ("header", "body"))
    if turn.startswith(prompt):
        return turn[len(prompt) :]
    # minimax-m2 re-renders a turn without reasoning without the "<think>\n" its generation
    # prompt opens: the model's own text is the body
    return "".join(s.text for s in segs if s.index == k and s.part == "body")


@pytest.mark.parametrize(("name", "case_name", "k"), _turns())
def test_parse_round_trips_every_rendered_assistant_turn(name: str, case_name: str, k: int) -> None:
    fmt = get_format(name)
    case = CASES[case_name]
    messages = normalize_messages(case["messages"])
    completion = _completion(fmt, messages, case["tools"], k)
    if completion is None:
        pytest.skip("the publisher's template rejects this conversation")
    msg = messages[k]
    parsed = fmt.parse(completion, tools=case["tools"])
    assert [(c.name, c.arguments) for c in parsed.tool_calls] == [
        (c.name, c.arguments) for c in msg.tool_calls
    ]
    family = name.split("@")[0]
    if msg.tool_calls and family in CONTENT_AS_REASONING_WITH_CALLS and msg.content:
        assert parsed.reasoning == msg.content and not parsed.content
    elif not (msg.tool_calls and family in DROPS_CONTENT_WITH_CALLS):
        assert (parsed.content or "").strip() == (msg.content or "").strip()
    if msg.reasoning and msg.reasoning in completion:
        assert (parsed.reasoning or "").strip() == msg.reasoning.strip()
    if not any(c.raw_arguments for c in msg.tool_calls):
        # a fixpoint: the parsed message renders to the same completion
        assert _completion(fmt, [*messages[:k], parsed], case["tools"], k) == completion
