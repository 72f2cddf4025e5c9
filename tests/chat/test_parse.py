"""parse(): round trips, malformed completions, and never anything but ParseError."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentgym.chat import get_format, list_formats
from agentgym.errors import ParseError
from agentgym.types import Message, ToolCall
from tests.chat.corpus import TOOLS

FAMILIES = [f for f in list_formats() if f != "hf"]
SINGLE_CALL = {"llama3.1", "llama3.2", "gpt-oss"}
CONTENT_DROPPED_WITH_CALLS = {"llama3.1", "llama3.2", "mistral", "hermes3"}

text = (
    st.text(
        alphabet=string.ascii_letters + string.digits + " .,;:!?()=+-/éü中", min_size=1, max_size=40
    )
    .map(str.strip)
    .filter(bool)
)
arg_values = st.one_of(text, st.sampled_from(["a b", "x=1", "héllo"]))


@st.composite
def assistant_turns(draw: st.DrawFn, family: str) -> Message:
    n_calls = draw(st.integers(0, 1 if family in SINGLE_CALL else 3))
    calls = []
    for n in range(n_calls):
        name = draw(st.sampled_from(["bash", "str_replace", "run_tests"]))
        args = draw(
            st.dictionaries(
                st.sampled_from(["command", "path", "old", "new"]), arg_values, max_size=3
            )
        )
        call_id = f"functions.{name}:{n}" if family == "kimi-k2" else f"call{n:04d}x"
        calls.append(ToolCall(id=call_id, name=name, arguments=args))
    content = draw(st.one_of(st.just(""), text))
    reasoning = draw(st.one_of(st.none(), text))
    if family == "gpt-oss" and calls and reasoning:
        content = ""
    return Message(role="assistant", content=content, reasoning=reasoning, tool_calls=calls)


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_parse_inverts_render(family: str, data: st.DataObject) -> None:
    fmt = get_format(family)
    msg = data.draw(assistant_turns(family))
    completion = fmt.render_completion(msg)
    parsed = fmt.parse(completion)
    assert [(c.name, c.arguments) for c in parsed.tool_calls] == [
        (c.name, c.arguments) for c in msg.tool_calls
    ]
    if family == "kimi-k2":
        assert [c.id for c in parsed.tool_calls] == [c.id for c in msg.tool_calls]
    dropped = msg.tool_calls and (family in CONTENT_DROPPED_WITH_CALLS or family == "gpt-oss")
    if msg.content and not dropped:
        assert (parsed.content or "").strip() == msg.content
    # rendering what we parsed gives the same text again (a fixpoint)
    assert fmt.render_completion(parsed) == completion


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=60, deadline=None)
@given(garbage=st.text(max_size=200))
def test_parse_garbage_never_raises_anything_but_parse_error(family: str, garbage: str) -> None:
    fmt = get_format(family)
    for completion in (
        garbage,
        fmt.render_completion(_one_call(family))[: len(garbage) % 97] + garbage,
    ):
        try:
            out = fmt.parse(completion, tools=TOOLS)
        except ParseError as exc:
            assert str(exc)
        else:
            assert out.role == "assistant"


def _one_call(family: str) -> Message:
    cid = "functions.bash:0" if family == "kimi-k2" else "call0001a"
    return Message(
        role="assistant",
        content="Running tests.",
        tool_calls=[ToolCall(id=cid, name="bash", arguments={"command": "pytest -x"})],
    )


MALFORMED = {
    "qwen3": [
        '<tool_call>\n{"name": "bash", "arguments": {"command": "ls",}}\n</tool_call>',
        '<tool_call>\n{"name": "bash", "arguments": {"command": "ls"',
        "<think>x<tool_call>\n{}</tool_call></think>",
    ],
    "qwen2.5": ['<tool_call>\n{"name": "bash", "arguments": {"command": "ls"}}'],
    "hermes3": ['<tool_call>\n{"name": "bash" "arguments": {}}\n</tool_call>'],
    "qwen3-coder": ["<tool_call>\n<function=bash>\n<parameter=command>\nls\n</parameter>\n"],
    "llama3.1": ['{"name": "bash", "parameters": {"command": "ls"'],
    "llama3.2": ['<|python_tag|>{"name": "bash", "parameters": }'],
    "mistral": ['[TOOL_CALLS][{"name": "bash", "arguments": {"command": "ls"}'],
    "minimax-m2": [
        '<minimax:tool_call>\n<invoke name="bash">\n<parameter name="command">ls</parameter>\n'
    ],
    "glm-4.6": ["<tool_call>bash\n<arg_key>command</arg_key>\n<arg_value>ls"],
    "gpt-oss": [
        '<|channel|>commentary to=functions.bash json<|message|>{"command": "ls",}<|call|>'
    ],
    "kimi-k2": [
        '<|tool_calls_section_begin|><|tool_call_begin|>functions.bash:0<|tool_call_argument_begin|>{"command"'
    ],
    "deepseek-v3.1": [
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>bash<｜tool▁sep｜>{bad}<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
    ],
}


@pytest.mark.parametrize(
    ("family", "completion"), [(f, c) for f, cs in MALFORMED.items() for c in cs]
)
def test_malformed_calls_raise_actionable_parse_error(family: str, completion: str) -> None:
    with pytest.raises(ParseError) as info:
        get_format(family).parse(completion)
    assert len(str(info.value)) > 20
    assert info.value.raw == completion


@pytest.mark.parametrize("family", FAMILIES)
def test_unknown_tool_and_schema_violation(family: str) -> None:
    fmt = get_format(family)
    cid = "functions.nope:0" if family == "kimi-k2" else "call0001a"
    unknown = Message(
        role="assistant", content="", tool_calls=[ToolCall(id=cid, name="nope", arguments={})]
    )
    with pytest.raises(ParseError, match="unknown tool"):
        fmt.parse(fmt.render_completion(unknown), tools=TOOLS)
    cid = "functions.bash:0" if family == "kimi-k2" else "call0001a"
    missing = Message(
        role="assistant",
        content="",
        tool_calls=[ToolCall(id=cid, name="bash", arguments={"timeout": 3})],
    )
    with pytest.raises(ParseError, match="schema"):
        fmt.parse(fmt.render_completion(missing), tools=TOOLS)
