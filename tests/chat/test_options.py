"""The common options for every family: render works, parse(render_completion) round-trips,
masks align with the rendered assistant spans, and each option does what it says."""

from __future__ import annotations

from typing import Any

import pytest

from agentgym.chat import COMMON_OPTIONS, get_format, list_formats, tokenize
from agentgym.errors import ChatFormatError
from agentgym.types import Message, ToolCall
from tests.chat.corpus import CASES, GOLDEN_DATE, SYSTEM, TOOLS, USER

FAMILIES = [f for f in list_formats() if f != "hf"]
NEW_OPTIONS: list[dict[str, Any]] = [
    {"tool_results": "merged"},
    {"system": "tagged"},
    {"tools_placement": "user"},
    {"system": "tagged", "tools_placement": "user", "tool_results": "merged"},
    {"system": "fold", "tools_placement": "user", "tool_results": "user"},
]
_ids = lambda o: ",".join(f"{k}={v}" for k, v in o.items())  # noqa: E731


def _call(family: str, n: int, args: dict[str, Any]) -> ToolCall:
    cid = f"functions.bash:{n}" if family == "kimi-k2" else f"call000{n}a"
    return ToolCall(id=cid, name="bash", arguments=args)


def _turn(family: str) -> Message:
    return Message(
        role="assistant",
        content="",
        reasoning="Look first." if family != "gpt-oss" else None,
        tool_calls=[_call(family, 0, {"command": "ls -la"})],
    )


def test_every_option_is_documented() -> None:
    assert {"reasoning", "tool_results", "system", "tools_placement"} <= set(COMMON_OPTIONS)
    with pytest.raises(ChatFormatError, match="not one of"):
        get_format("qwen3").render([{"role": "user", "content": "hi"}], system="sideways")


@pytest.mark.parametrize("options", NEW_OPTIONS, ids=_ids)
@pytest.mark.parametrize("family", FAMILIES)
def test_options_round_trip_and_masks_align(
    family: str, options: dict[str, Any], tokenizer
) -> None:
    fmt = get_format(family)
    case = CASES[
        "parallel_tool_calls"
        if family not in ("llama3.1", "llama3.2", "gpt-oss")
        else "tool_call_dict_args"
    ]
    try:
        segs = fmt.render_segments(case["messages"], TOOLS, True, date=GOLDEN_DATE, **options)
    except ChatFormatError:
        # only Mistral's strict user/assistant alternation may reject results sent as users
        assert family == "mistral" and options.get("tool_results") == "user"
        return
    rendered = "".join(s.text for s in segs)
    assert rendered == fmt.render(case["messages"], TOOLS, True, date=GOLDEN_DATE, **options)

    # parse inverts render_completion under the options
    msg = _turn(family)
    completion = fmt.render_completion(msg, **options)
    parsed = fmt.parse(completion, tools=TOOLS)
    assert [(c.name, c.arguments) for c in parsed.tool_calls] == [("bash", {"command": "ls -la"})]
    assert fmt.render_completion(parsed, **options) == completion

    # masks: exactly the body segments, on a conversation that continues with the turn
    tok = tokenize(fmt, tokenizer, case["messages"], TOOLS, True, date=GOLDEN_DATE, **options)
    before = sum(tok.assistant_mask)
    assert before == len(
        [
            i
            for s in segs
            if s.part == "body"
            for i in tokenizer.encode(s.text, add_special_tokens=False).ids
        ]
    )
    result = {"role": "tool", "tool_call_id": msg.tool_calls[0].id, "content": "a.py"}
    generated = tokenizer.encode(completion, add_special_tokens=False).ids
    tok.append([msg, result], generated_ids=generated)
    new_mask = tok.assistant_mask[len(tok.assistant_mask) - len(tok.ids) :]
    assert len(tok.ids) == len(tok.assistant_mask) == len(new_mask)
    masked = [i for i, m in zip(tok.ids, tok.assistant_mask, strict=True) if m]
    assert tokenizer.decode(masked, skip_special_tokens=False).endswith(completion)


@pytest.mark.parametrize("family", FAMILIES)
def test_system_tagged_and_tools_in_user(family: str) -> None:
    fmt = get_format(family)
    msgs = CASES["tools_prompt_only"]["messages"]
    text = fmt.render(msgs, TOOLS, True, date=GOLDEN_DATE, system="tagged")
    assert f"<system>\n{SYSTEM}\n</system>\n\n{USER}" in text
    moved = fmt.render(msgs, TOOLS, True, date=GOLDEN_DATE, tools_placement="user")
    native = fmt.render(msgs, TOOLS, True, date=GOLDEN_DATE)
    if family in ("llama3.1", "llama3.2"):  # the template's own default is tools in the user turn
        assert moved == native
        return
    decl = fmt.tools_declaration([t for t in TOOLS], GOLDEN_DATE, {"tools_placement": "user"})
    assert f"{decl}\n\n{USER}" in moved
    assert moved.index(decl) > moved.index(SYSTEM) or family == "mistral"
    both = fmt.render(msgs, TOOLS, True, date=GOLDEN_DATE, tools_placement="user", system="tagged")
    assert f"<system>\n{SYSTEM}\n</system>\n\n{decl}\n\n{USER}" in both


@pytest.mark.parametrize("family", FAMILIES)
def test_tool_results_merged_under_the_tool_role(family: str) -> None:
    fmt = get_format(family)
    msgs = CASES["parallel_tool_calls"]["messages"]
    if family in ("llama3.1", "llama3.2", "gpt-oss"):
        pytest.skip("one call per turn: a turn has a single result")
    text = fmt.render(msgs, TOOLS, True, date=GOLDEN_DATE, tool_results="merged")
    assert "[tool result call0003c]\ndef parse(row):" in text
    assert "[tool result call0004d]\nEdited src/parse.py" in text
    assert text.count("Edited src/parse.py") == 1
    if family != "mistral":  # Mistral rejects two user turns in a row
        user = fmt.render(msgs, TOOLS, True, date=GOLDEN_DATE, tool_results="user")
        assert user != text  # the role differs
