"""Incremental rendering: ``render_segments(start=k)`` and ``Tokenized.append`` equal the full render.

Appends render only the new turns. These tests pin that to the whole-conversation render on
long conversations, for every family and every combination of the common options.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from agentgym.chat import get_format, list_formats, tokenize
from agentgym.chat.base import RenderCache
from agentgym.errors import ChatFormatError
from tests.chat.corpus import GOLDEN_DATE, TOOLS

FAMILIES = list_formats(revisions=True)  # every family and template revision
SINGLE_CALL = {"llama3.1", "llama3.2", "gpt-oss"}
OPTION_SETS: list[dict[str, Any]] = [
    {},
    {"reasoning": "keep"},
    {"reasoning": "drop", "tool_results": "merged"},
    {"tool_results": "user"},
    {"system": "fold"},
    {"system": "tagged", "tools_placement": "user"},
    {"system": "tagged", "tools_placement": "user", "tool_results": "merged", "reasoning": "keep"},
]


def _id(family: str, name: str, turn: int, n: int) -> str:
    return f"functions.{name}:{n}" if family.startswith("kimi-k2") else f"c{turn:04d}x{n:03d}"


def long_conversation(family: str, turns: int = 14) -> list[dict[str, Any]]:
    """system + user, then agent turns with reasoning, (parallel) calls and results; every
    fifth turn the assistant answers in prose and the user asks a follow-up."""
    msgs: list[dict[str, Any]] = [
        {"role": "system", "content": "You fix bugs in this repository."},
        {"role": "user", "content": "test_parse fails with KeyError. Fix it."},
    ]
    for t in range(turns):
        if t % 5 == 4:
            msgs.append(
                {"role": "assistant", "content": f"Done with part {t}.", "reasoning_content": "ok"}
            )
            msgs.append({"role": "user", "content": f"Now part {t + 1}, please. ü 中"})
            continue
        n_calls = 1 if family.split("@")[0] in SINGLE_CALL or t % 2 else 2
        calls = [
            {
                "id": _id(family, "bash", t, n),
                "type": "function",
                "function": {"name": "bash", "arguments": {"command": f"cat f{t}_{n}.py"}},
            }
            for n in range(n_calls)
        ]
        msgs.append(
            {
                "role": "assistant",
                "content": "",
                "reasoning_content": f"Step {t}: read the file.",
                "tool_calls": calls,
            }
        )
        for c in calls:
            msgs.append(
                {"role": "tool", "tool_call_id": c["id"], "content": f"def f{t}():\n    return {t}"}
            )
    return msgs


def _groups(msgs: list[dict[str, Any]]) -> list[int]:
    """Append boundaries: each group starts at an assistant turn (what a rollout appends)."""
    return [k for k in range(2, len(msgs)) if msgs[k]["role"] == "assistant"]


@pytest.mark.parametrize(
    "options", OPTION_SETS, ids=lambda o: ",".join(map(str, o.values())) or "native"
)
@pytest.mark.parametrize("family", FAMILIES)
def test_render_from_start_equals_the_full_renders_segments(
    family: str, options: dict[str, Any]
) -> None:
    fmt = get_format(family)
    msgs = long_conversation(family)
    for agp in (True, False):
        try:
            full = fmt.render_segments(msgs, TOOLS, agp, date=GOLDEN_DATE, **options)
        except ChatFormatError:
            with pytest.raises(ChatFormatError):
                fmt.render_segments(msgs, TOOLS, agp, date=GOLDEN_DATE, start=3, **options)
            continue
        assert "".join(s.text for s in full) == fmt.render(
            msgs, TOOLS, agp, date=GOLDEN_DATE, **options
        )
        for k in range(1, len(msgs) + 1):
            tail = fmt.render_segments(msgs, TOOLS, agp, date=GOLDEN_DATE, start=k, **options)
            assert tail == [s for s in full if s.index >= k or s.part == "gen"], k


@pytest.mark.parametrize(
    "options", OPTION_SETS, ids=lambda o: ",".join(map(str, o.values())) or "native"
)
@pytest.mark.parametrize("family", FAMILIES)
def test_cached_growing_render_equals_uncached(family: str, options: dict[str, Any]) -> None:
    """A RenderCache carried across a growing conversation never changes the output."""
    fmt = get_format(family)
    msgs = long_conversation(family)
    cache = RenderCache()
    for k in [2, *_groups(msgs), len(msgs)]:
        try:
            want = fmt.render_segments(msgs[:k], TOOLS, True, date=GOLDEN_DATE, **options)
        except ChatFormatError:
            return
        got = fmt.render_segments(msgs[:k], TOOLS, True, date=GOLDEN_DATE, cache=cache, **options)
        assert got == want


@pytest.mark.parametrize(
    "options", OPTION_SETS, ids=lambda o: ",".join(map(str, o.values())) or "native"
)
@pytest.mark.parametrize("family", FAMILIES)
def test_appended_text_is_the_full_renders_suffix(
    family: str, options: dict[str, Any], tokenizer
) -> None:
    """Each append adds exactly what the whole render adds, whenever the template keeps the
    earlier turns' text (prefix-stable); the segments appended always equal the full render's."""
    fmt = get_format(family)
    msgs = long_conversation(family)
    try:
        fmt.render(msgs, TOOLS, True, date=GOLDEN_DATE, **options)
    except ChatFormatError:
        pytest.skip("the publisher's template rejects this conversation with these options")
    bounds = [*_groups(msgs), len(msgs)]
    tok = tokenize(fmt, tokenizer, msgs[:2], TOOLS, True, date=GOLDEN_DATE, **options)
    before = fmt.render(msgs[:2], TOOLS, True, date=GOLDEN_DATE, **options)
    stable_steps = 0
    for a, b in itertools.pairwise(bounds):
        n = len(tok.ids)
        tok.append(msgs[a:b])
        after = fmt.render(msgs[:b], TOOLS, True, date=GOLDEN_DATE, **options)
        added = tokenizer.decode(tok.ids[n:], skip_special_tokens=False)
        if after.startswith(before):
            stable_steps += 1
            assert added == after[len(before) :]
        before = after
        assert len(tok.ids) == len(tok.assistant_mask)
    if not options and not family.startswith(
        "hermes3"
    ):  # hermes3: the last tool result has no newline
        assert stable_steps > 0
