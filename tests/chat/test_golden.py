"""Byte equality with the publishers' templates, one golden file per template revision.

``golden/<family>@<revision>.json`` was rendered from the publisher's template text by
``golden/make_golden.py`` (transformers' own renderer); see that script for the sources.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentgym.chat import get_format, list_formats
from agentgym.errors import ChatFormatError
from tests.chat.corpus import CASES, GOLDEN_DATE

GOLDEN = Path(__file__).parent / "golden"
FORMATS = list_formats(revisions=True)
# Templates that print a ``content: null`` as the text "None"; agentgym renders it as "" on
# purpose (docs/chat-formats.md, "Deliberate differences").
PRINTS_NULL_CONTENT_AS_NONE = {"minimax-m2", "glm-4.6"}
# Conversations the publisher's template renders by silently dropping calls (gpt-oss keeps only
# a turn's first call); agentgym raises ChatFormatError instead (nothing is lost unseen).
RAISES_WHERE_TEMPLATE_DROPS_CALLS = {
    ("gpt-oss", "parallel_tool_calls"),
    ("gpt-oss", "several_tool_results"),
}


def _records(name: str) -> dict:
    return json.loads((GOLDEN / f"{name}.json").read_text())["cases"]


def _params():
    for name in FORMATS:
        for case, record in _records(name).items():
            yield pytest.param(name, case, record, id=f"{name}-{case}")


@pytest.mark.parametrize(("name", "case_name", "record"), list(_params()))
def test_render_matches_publisher_template(name: str, case_name: str, record: dict) -> None:
    fmt = get_format(name)
    case = CASES[case_name]

    def render() -> str:
        return fmt.render(
            case["messages"], case["tools"], case["add_generation_prompt"], date=GOLDEN_DATE
        )

    if (name.split("@")[0], case_name) in RAISES_WHERE_TEMPLATE_DROPS_CALLS:
        assert "text" in record
        with pytest.raises(ChatFormatError, match="one tool call per assistant turn"):
            render()
    elif "null_content_as_empty_text" in record:
        assert name.split("@")[0] in PRINTS_NULL_CONTENT_AS_NONE
        assert render() == record["null_content_as_empty_text"]
    elif "normalized_text" in record:
        # The template rejects only the spelling (string arguments): agentgym keeps arguments
        # as dicts and renders what the template renders for them (docs/chat-formats.md).
        assert render() == record["normalized_text"]
    elif "error" in record:
        with pytest.raises(ChatFormatError):
            render()
    else:
        assert render() == record["text"]


def test_every_revision_has_golden_data_and_the_corpus_is_complete() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(FORMATS)
    for name in FORMATS:
        assert set(_records(name)) == set(CASES), name
    prints_none = {
        name.split("@")[0]
        for name in FORMATS
        if any("null_content_as_empty_text" in r for r in _records(name).values())
    }
    assert prints_none == PRINTS_NULL_CONTENT_AS_NONE


def test_bare_names_are_the_latest_revision() -> None:
    for family in list_formats():
        if family == "hf":
            continue
        revisions = [n for n in FORMATS if n.split("@")[0] == family]
        assert get_format(family).full_name() == max(revisions)
