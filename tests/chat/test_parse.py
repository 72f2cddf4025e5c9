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

FAMILIES = list_formats(revisions=True)  # every family, every template revision
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
def assistant_turns(draw: st.DrawFn, name: str) -> Message:
    family = name.split("@")[0]
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


@pytest.mark.parametrize("name", FAMILIES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_parse_inverts_render(name: str, data: st.DataObject) -> None:
    fmt = get_format(name)
    family = name.split("@")[0]
    msg = data.draw(assistant_turns(name))
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


# Text that hypothesis' default alphabet leaves out: unpaired surrogates, controls, markers.
odd_text = st.lists(
    st.one_of(
        st.characters(),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
        st.characters(max_codepoint=0x1F),
        st.sampled_from(["<|", "|>", "<", ">", "\n", '"', "{", "}", ":", "functions."]),
    ),
    max_size=60,
).map("".join)


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbage=st.one_of(st.text(max_size=200), odd_text), cut=st.integers(0, 10_000))
def test_parse_garbage_never_raises_anything_but_parse_error(
    family: str, garbage: str, cut: int
) -> None:
    fmt = get_format(family)
    call = fmt.render_completion(_one_call(family))
    for completion in (
        garbage,
        call[: len(garbage) % 97] + garbage,
        call[: cut % (len(call) + 1)] + garbage,
        garbage + call[cut % (len(call) + 1) :],
    ):
        try:
            out = fmt.parse(completion, tools=TOOLS)
        except ParseError as exc:
            assert str(exc)
        else:
            assert out.role == "assistant"


def _one_call(family: str) -> Message:
    cid = "functions.bash:0" if family.startswith("kimi-k2") else "call0001a"
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
    "llama3.1": [
        '{"name": "bash", "parameters": {"command": "ls"',
        '{name": "bash", "parameters": {"command": "ls"}}',
    ],
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
    cid = "functions.nope:0" if family.startswith("kimi-k2") else "call0001a"
    unknown = Message(
        role="assistant", content="", tool_calls=[ToolCall(id=cid, name="nope", arguments={})]
    )
    with pytest.raises(ParseError, match="unknown tool"):
        fmt.parse(fmt.render_completion(unknown), tools=TOOLS)
    cid = "functions.bash:0" if family.startswith("kimi-k2") else "call0001a"
    missing = Message(
        role="assistant",
        content="",
        tool_calls=[ToolCall(id=cid, name="bash", arguments={"timeout": 3})],
    )
    with pytest.raises(ParseError, match="schema"):
        fmt.parse(fmt.render_completion(missing), tools=TOOLS)


# Where a call starts (the call cannot be mistaken for text once this is written) and ends.
CALL_SPAN = {
    "qwen2.5": ("<tool_call>", "</tool_call>"),
    "qwen3": ("<tool_call>", "</tool_call>"),
    "qwen3-coder": ("<tool_call>", "</tool_call>"),
    "hermes3": ("<tool_call>", "</tool_call>"),
    "llama3.1": ('{"name"', "}}"),
    "llama3.2": ('{"name"', "}}"),
    "mistral": ("[TOOL_CALLS]", "]"),
    "minimax-m2": ("<minimax:tool_call>", "</minimax:tool_call>"),
    "glm-4.6": ("<tool_call>", "</tool_call>"),
    "gpt-oss": (" to=functions.", "}"),
    "kimi-k2": ("<|tool_calls_section_begin|>", "<|tool_calls_section_end|>"),
    "deepseek-v3.1": ("<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>"),
}


@pytest.mark.parametrize("name", FAMILIES)
def test_a_cut_off_call_is_a_parse_error_never_a_dropped_call(name: str) -> None:
    """Cut a one-call completion anywhere inside the call: ParseError or the whole call."""
    fmt = get_format(name)
    original = _one_call(name)
    completion = fmt.render_completion(original)
    begin, end = CALL_SPAN[name.split("@")[0]]
    start = completion.index(begin) + len(begin)
    stop = completion.rindex(end)
    assert start < stop
    for cut in range(start, stop):
        try:
            msg = fmt.parse(completion[:cut], tools=TOOLS)
        except ParseError as exc:
            assert str(exc)
        else:
            assert [(c.name, c.arguments) for c in msg.tool_calls] == [
                (c.name, c.arguments) for c in original.tool_calls
            ], (cut, completion[:cut])


@pytest.mark.parametrize("name", FAMILIES)
def test_unpaired_surrogate_is_a_parse_error_that_says_so(name: str) -> None:
    completion = (
        get_format(name).render_completion(_one_call(name)).replace("pytest", "py\ud83dtest")
    )
    with pytest.raises(ParseError, match="unpaired surrogate U\\+D83D at position"):
        get_format(name).parse(completion, tools=TOOLS)


def test_deepseek_thinking_mode_rejects_unclosed_reasoning() -> None:
    fmt = get_format("deepseek-v3.1")
    with pytest.raises(ParseError, match="thinking block is not closed"):
        fmt.parse("I should run the tests and then", thinking=True)
    msg = fmt.parse("Run them.</think>Running.", thinking=True)
    assert (msg.reasoning, msg.content) == ("Run them.", "Running.")
    assert fmt.parse("I should run the tests and then").content == "I should run the tests and then"


@pytest.mark.parametrize(
    "completion",
    [
        "<|start|>assistant to=functions.",
        " to=functions.bash",
        '<|channel|>analysis to=functions.bash<|message|>{"command": "ls"}<|call|>',
        '<|channel|>analysis<|message|>{"command": "ls"}<|call|>',
        "<|channel|>commentary to=python<|message|>print(1)<|call|>",
    ],
)
def test_gpt_oss_malformed_harmony_is_a_clear_parse_error(completion: str) -> None:
    with pytest.raises(ParseError, match=r"tool call|recipient|channel|<\|call\|>|header"):
        get_format("gpt-oss").parse(completion)


def test_gpt_oss_accepts_the_constrained_content_type_the_model_writes() -> None:
    msg = get_format("gpt-oss").parse(
        "<|channel|>analysis<|message|>List files.<|end|><|start|>assistant to=functions.bash"
        '<|channel|>commentary <|constrain|>json<|message|>{"command": "ls"}<|call|>'
    )
    assert msg.reasoning == "List files." and msg.tool_calls[0].arguments == {"command": "ls"}


def test_qwen3_coder_runs_every_function_block_of_one_tool_call_block() -> None:
    """As vLLM's qwen3_coder parser: each <function> inside <tool_call> is a call, in order."""
    for name in ("qwen3-coder@2025-07", "qwen3-coder@2025-08"):
        msg = get_format(name).parse(
            "<tool_call>\n<function=bash>\n<parameter=command>\nls\n</parameter>\n</function>\n"
            "<function=bash>\n<parameter=command>\npwd\n</parameter>\n</function>\n</tool_call>",
            tools=TOOLS,
        )
        assert [c.arguments["command"] for c in msg.tool_calls] == ["ls", "pwd"]
