"""Tools written in the assistant's text: fenced blocks, XML tool use, SEARCH/REPLACE blocks."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentgym.scaffolds.textactions import (
    TextActionError,
    parse_edit_blocks,
    parse_fenced,
    parse_xml_tools,
)

body_st = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="`\r"),
    min_size=1,
    max_size=200,
).filter(lambda s: s.strip() and not re.match(r"\s*\n", s) and not s.endswith("\n"))
# mini-swe-agent's pattern (```bash\s*\n) eats blank lines before a body's first line


@settings(max_examples=200, deadline=None)
@given(thought=st.text(alphabet="abc THOUGHT:.\n", max_size=60), command=body_st)
def test_fenced_block_round_trips(thought, command):
    text = f"{thought}\n\n```bash\n{command}\n```\n"
    assert parse_fenced(text, "bash") == [command]
    assert parse_fenced(text, "mswea_bash_command") == []


def test_fenced_counts_blocks_like_mini_swe_agent():
    two = "```bash\nls\n```\nand\n```bash\npwd\n```"
    assert parse_fenced(two) == ["ls", "pwd"]
    assert parse_fenced("no block") == []
    assert parse_fenced("```python\nprint(1)\n```") == []
    assert parse_fenced(None) == []  # type: ignore[arg-type]


TOOLS = {
    "execute_command": ["command", "requires_approval"],
    "write_to_file": ["path", "content"],
    "attempt_completion": ["result", "command"],
}
value_st = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="<>\r"),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(
    command=value_st, content=st.text(max_size=200).filter(lambda s: "</write_to_file>" not in s)
)
def test_xml_tool_use_round_trips(command, content):
    text = f"<thinking>x</thinking>\n<execute_command>\n<command>{command}</command>\n<requires_approval>false</requires_approval>\n</execute_command>"
    assert parse_xml_tools(text, TOOLS) == [
        ("execute_command", {"command": command.strip(), "requires_approval": "false"})
    ]
    # content keeps its text (tags included), minus one leading and trailing newline
    text = f"<write_to_file>\n<path>a.py</path>\n<content>\n{content}\n</content>\n</write_to_file>"
    ((name, params),) = parse_xml_tools(text, TOOLS)
    assert name == "write_to_file" and params == {"path": "a.py", "content": content}


def test_xml_first_tool_only_and_errors():
    text = "<execute_command><command>ls</command></execute_command>\n<attempt_completion><result>x</result></attempt_completion>"
    assert [n for n, _ in parse_xml_tools(text, TOOLS)] == ["execute_command"]
    assert [n for n, _ in parse_xml_tools(text, TOOLS, first_only=False)] == [
        "execute_command",
        "attempt_completion",
    ]
    assert parse_xml_tools("<unknown_tool><a>1</a></unknown_tool>", TOOLS) == []
    with pytest.raises(TextActionError, match="not closed"):
        parse_xml_tools("<execute_command><command>ls</command>", TOOLS)
    with pytest.raises(TextActionError, match="parameter of <execute_command> is not closed"):
        parse_xml_tools("<execute_command><command>ls</execute_command>", TOOLS)


line_st = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters="`<>="
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(search=st.lists(line_st, max_size=6), replace=st.lists(line_st, max_size=6), cmd=line_st)
def test_aider_blocks_round_trip(search, replace, cmd):
    s = "".join(f"{x}\n" for x in search)
    r = "".join(f"{x}\n" for x in replace)
    text = (
        "Here is the change.\n\npkg/mod.py\n```python\n<<<<<<< SEARCH\n"
        f"{s}=======\n{r}>>>>>>> REPLACE\n```\n\n```bash\n{cmd}\n```\n"
    )
    blocks, commands = parse_edit_blocks(text)
    assert [(b.path, b.search, b.replace) for b in blocks] == [("pkg/mod.py", s, r)]
    assert commands == ([cmd.strip()] if cmd.strip() and not cmd.strip().startswith("#") else [])


def test_aider_blocks_malformed_and_empty():
    assert parse_edit_blocks("Nothing to change.") == ([], [])
    with pytest.raises(TextActionError, match="Expected `=======`"):
        parse_edit_blocks("a.py\n```\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\n```")
    with pytest.raises(TextActionError, match="Expected `>>>>>>> REPLACE`"):
        parse_edit_blocks("a.py\n```\n<<<<<<< SEARCH\nx\n=======\ny\n")
    with pytest.raises(TextActionError, match="missing filename"):
        parse_edit_blocks("<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE")
    # several commands in one bash block: one per line, comments skipped
    _, cmds = parse_edit_blocks("```bash\nls\n# note\npytest -q\n```")
    assert cmds == ["ls", "pytest -q"]
