"""Byte equality with the publishers' templates (golden renderings in golden/*.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentgym.chat import get_format, list_formats
from agentgym.errors import ChatFormatError
from agentgym.types import Message, ToolCall
from tests.chat.corpus import CASES, GOLDEN_DATE

GOLDEN = Path(__file__).parent / "golden"
FAMILIES = [f for f in list_formats() if f != "hf"]

# Arguments given as JSON strings become dicts in agentgym.types.ToolCall, so templates that
# print a *string* argument through ``tojson`` (double-encoding it) cannot be reproduced --
# until ToolCall keeps the original string (``raw_arguments``); the renderers already use it.
HAS_RAW_ARGUMENTS = "raw_arguments" in ToolCall.model_fields
STRING_ARGS = "tool_call_string_args_content_none"
KNOWN_DEVIATIONS = (
    set()
    if HAS_RAW_ARGUMENTS
    else {
        ("llama3.1", "tool_call_string_args_content_none"),
        ("llama3.2", "tool_call_string_args_content_none"),
        ("gpt-oss", "tool_call_string_args_content_none"),
        ("mistral", "tool_call_string_args_content_none"),
        ("qwen2.5", "tool_call_string_args_content_none"),
    }
)


def _params():
    for family in FAMILIES:
        records = json.loads((GOLDEN / f"{family}.json").read_text())
        for case, record in records.items():
            marks = (
                [pytest.mark.xfail(strict=True, reason="string args")]
                if (family, case) in KNOWN_DEVIATIONS
                else []
            )
            yield pytest.param(family, case, record, id=f"{family}-{case}", marks=marks)


@pytest.mark.parametrize(("family", "case_name", "record"), list(_params()))
def test_render_matches_publisher_template(family: str, case_name: str, record: dict) -> None:
    fmt = get_format(family)
    case = CASES[case_name]
    render = lambda: fmt.render(  # noqa: E731
        case["messages"], case["tools"], case["add_generation_prompt"], date=GOLDEN_DATE
    )
    if "error" in record:
        with pytest.raises(ChatFormatError):
            render()
    else:
        assert render() == record["text"]


def test_every_family_has_golden_data() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(FAMILIES)


class _ToolCallWithRaw(ToolCall):
    """What ToolCall looks like once it keeps string arguments (see docs/chat-formats.md)."""

    raw_arguments: str | None = None


@pytest.mark.parametrize("family", FAMILIES)
def test_string_arguments_match_the_template_when_the_raw_string_is_kept(family: str) -> None:
    record = json.loads((GOLDEN / f"{family}.json").read_text())[STRING_ARGS]
    case = CASES[STRING_ARGS]
    messages = []
    for m in case["messages"]:
        msg = Message.model_validate(m)
        calls = [
            _ToolCallWithRaw(
                id=c["id"],
                name=c["function"]["name"],
                arguments=json.loads(c["function"]["arguments"]),
                raw_arguments=c["function"]["arguments"],
            )
            for c in m.get("tool_calls", [])
        ]
        messages.append(msg.model_copy(update={"tool_calls": calls}) if calls else msg)
    assert any(isinstance(c, _ToolCallWithRaw) for m in messages for c in m.tool_calls)
    fmt = get_format(family)
    render = lambda: fmt.render(  # noqa: E731
        messages, case["tools"], case["add_generation_prompt"], date=GOLDEN_DATE
    )
    if "error" in record:
        with pytest.raises(ChatFormatError):
            render()
    else:
        assert render() == record["text"]
