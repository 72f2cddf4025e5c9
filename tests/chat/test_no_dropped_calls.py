"""No tool call vanishes without a word, in any family.

A completion a model writes may hold its calls in shapes the template never renders: two
<function=...> blocks in one qwen3-coder <tool_call>, two call blocks back to back, text
between calls, no stop token. Whatever the shape, parse() either returns every call the
text opens, in order, or raises one ParseError for the whole completion; it never returns
fewer calls than the text holds.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentgym.chat import get_format, list_formats
from agentgym.errors import ParseError
from agentgym.types import Message, ToolCall

FAMILIES = [f for f in list_formats() if f != "hf"]
# One call per completion: llama 3.x by its format, gpt-oss because <|call|> ends the turn.
SINGLE_CALL = {"llama3.1", "llama3.2", "gpt-oss"}

# The text that opens one call in each family's syntax.
CALL_MARKER = {
    "qwen2.5": "<tool_call>",
    "qwen3": "<tool_call>",
    "hermes3": "<tool_call>",
    "glm-4.6": "<tool_call>",
    "qwen3-coder": "<function=",
    "llama3.1": '{"name"',
    "llama3.2": '{"name"',
    "mistral": '"name"',
    "minimax-m2": "<invoke name=",
    "gpt-oss": "to=functions.",
    "kimi-k2": "<|tool_call_begin|>",
    "deepseek-v3.1": "<｜tool▁call▁begin｜>",
}
# (closing, opening) text around one block of calls: merging blocks or splitting one.
WRAPPERS = {
    "qwen2.5": ("</tool_call>", "<tool_call>"),
    "qwen3": ("</tool_call>", "<tool_call>"),
    "hermes3": ("</tool_call>", "<tool_call>"),
    "glm-4.6": ("</tool_call>", "<tool_call>"),
    "qwen3-coder": ("</tool_call>", "<tool_call>"),
    "minimax-m2": ("</minimax:tool_call>", "<minimax:tool_call>"),
    "kimi-k2": ("<|tool_calls_section_end|>", "<|tool_calls_section_begin|>"),
    "deepseek-v3.1": ("<｜tool▁calls▁end｜>", "<｜tool▁calls▁begin｜>"),
}
INNER_END = {
    "qwen3-coder": "</function>",
    "minimax-m2": "</invoke>",
    "kimi-k2": "<|tool_call_end|>",
    "deepseek-v3.1": "<｜tool▁call▁end｜>",
}

values = st.text(alphabet=string.ascii_letters + string.digits + " .-_/é", min_size=1, max_size=12)
separators = st.sampled_from(["", "\n", "\n\n", " ", "\nand then\n"])


def _strip_stop(fmt, text: str) -> str:
    for stop in getattr(fmt, "stop_strings", ()):
        if text.endswith(stop):
            return text[: -len(stop)]
    return text


def _calls(draw: st.DrawFn, family: str, n: int) -> list[ToolCall]:
    out = []
    for i in range(n):
        name = draw(st.sampled_from(["bash", "editor", "search"]))
        args = draw(st.dictionaries(st.sampled_from(["command", "path", "query"]), values))
        call_id = f"functions.{name}:{i}" if family == "kimi-k2" else f"call{i:04d}x"
        out.append(ToolCall(id=call_id, name=name, arguments=args))
    return out


def _check(fmt, family: str, text: str, expected: list[ToolCall] | None = None) -> None:
    try:
        parsed = fmt.parse(text)
    except ParseError:
        assert expected is None, f"the canonical rendering must parse: {text!r}"
        return
    opened = text.count(CALL_MARKER[family])
    got = [(c.name, c.arguments) for c in parsed.tool_calls]
    assert len(got) == opened, f"{family}: {opened} calls in the text, {len(got)} parsed: {text!r}"
    if expected is not None:
        assert got == [(c.name, c.arguments) for c in expected]
    assert len({c.id for c in parsed.tool_calls}) == len(parsed.tool_calls), "duplicate call ids"


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_call_runs_or_the_completion_is_an_error(family: str, data: st.DataObject) -> None:
    fmt = get_format(family)
    n = 1 if family in SINGLE_CALL else data.draw(st.integers(1, 3))
    calls = _calls(data.draw, family, n)
    canonical = fmt.render_completion(Message(role="assistant", content="", tool_calls=calls))
    _check(fmt, family, canonical, calls)
    _check(fmt, family, _strip_stop(fmt, canonical))
    # The calls written one completion each, then joined as a model might run them on.
    singles = [
        _strip_stop(
            fmt, fmt.render_completion(Message(role="assistant", content="", tool_calls=[c]))
        )
        for c in _calls(data.draw, family, data.draw(st.integers(2, 3)))
    ]
    sep = data.draw(separators)
    _check(fmt, family, sep.join(singles))
    if family in WRAPPERS:
        close, open_ = WRAPPERS[family]
        joined = "\n".join(singles)
        # Blocks merged: several calls inside one wrapper.
        merged = joined.replace(f"{close}\n{open_}", "\n")
        _check(fmt, family, merged)
        # One wrapper split in two between its calls.
        if family in INNER_END and canonical.count(INNER_END[family]) > 1:
            end = INNER_END[family]
            split = canonical.replace(end, f"{end}{close}\n{open_}", 1)
            _check(fmt, family, split)


def test_qwen3_coder_two_functions_in_one_block_both_run_in_order() -> None:
    """The case from the issue: vLLM's qwen3_coder parser takes every <function=...> in a
    <tool_call> block; so do we (it was silently dropping the first)."""
    text = (
        "<tool_call>\n<function=bash>\n<parameter=command>\necho 1\n</parameter>\n</function>\n"
        "<function=bash>\n<parameter=command>\necho 2\n</parameter>\n</function>\n</tool_call>"
    )
    parsed = get_format("qwen3-coder").parse(text)
    assert [c.arguments["command"] for c in parsed.tool_calls] == ["echo 1", "echo 2"]
    assert parsed.tool_calls[0].id != parsed.tool_calls[1].id


def test_qwen3_coder_text_between_functions_in_a_block_is_an_error() -> None:
    text = (
        "<tool_call>\n<function=bash>\n<parameter=command>\nls\n</parameter>\n</function>\n"
        "now the second\n<function=bash>\n<parameter=command>\npwd\n</parameter>\n</function>\n"
        "</tool_call>"
    )
    with pytest.raises(ParseError):
        get_format("qwen3-coder").parse(text)
