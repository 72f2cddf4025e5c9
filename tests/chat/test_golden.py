"""Byte equality with the publishers' templates (golden renderings in golden/*.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentgym.chat import get_format, list_formats
from agentgym.errors import ChatFormatError
from tests.chat.corpus import CASES, GOLDEN_DATE

GOLDEN = Path(__file__).parent / "golden"
FAMILIES = [f for f in list_formats() if f != "hf"]

# Arguments given as JSON strings become dicts in agentgym.types.ToolCall, so templates that
# print a *string* argument through ``tojson`` (double-encoding it) cannot be reproduced.
KNOWN_DEVIATIONS = {
    ("llama3.1", "tool_call_string_args_content_none"),
    ("llama3.2", "tool_call_string_args_content_none"),
    ("gpt-oss", "tool_call_string_args_content_none"),
    ("mistral", "tool_call_string_args_content_none"),
    ("qwen2.5", "tool_call_string_args_content_none"),
}


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
