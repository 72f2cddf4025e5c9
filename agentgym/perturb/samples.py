"""Realistic tools, prompts and outputs shared by the perturbation tests and benchmarks."""

from __future__ import annotations

from agentgym.types import ToolSpec

TOOLS = [
    ToolSpec(
        name="bash",
        description="Execute a bash command in the terminal. Returns the output. Use this tool to run tests.",
        parameters={
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "The bash command to run."},
                "timeout": {
                    "type": "integer",
                    "description": "Seconds before the command is killed.",
                },
            },
            "required": ["command"],
        },
    ),
    ToolSpec(
        name="str_replace_editor",
        description=(
            "View, create and edit files. The `view` command shows the contents of a file. "
            "The `str_replace` command replaces exactly one occurrence of old_str."
        ),
        parameters={
            "type": "object",
            "properties": {
                "command": {
                    "type": "string",
                    "enum": ["view", "create", "str_replace", "insert", "undo_edit"],
                    "description": "The command to run.",
                },
                "path": {
                    "type": "string",
                    "description": "Absolute path to the file or directory.",
                },
                "file_text": {"type": "string", "description": "Content for `create`."},
                "old_str": {"type": "string", "description": "Text to replace; must be unique."},
                "new_str": {"type": "string", "description": "Replacement text."},
                "insert_line": {"type": "integer", "description": "Line number to insert after."},
                "view_range": {"type": "array", "items": {"type": "integer"}},
            },
            "required": ["command", "path"],
        },
    ),
    ToolSpec(
        name="search",
        description="Search for a regex pattern in the repository. Returns matching lines.",
        parameters={
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "The regex to search for."},
                "path": {"type": "string", "description": "Directory to search in."},
                "include": {"type": "string", "description": "Glob of files to include."},
            },
            "required": ["pattern"],
        },
    ),
    ToolSpec(
        name="submit",
        description="Submit your solution when you are done.",
        parameters={"type": "object", "properties": {}},
    ),
]

SYSTEM = """You are a helpful assistant that fixes bugs in a Python repository.

# Workflow
Read the relevant code before you modify it. Make sure the tests pass. Do not modify the tests.

# Tools
Use the `bash` tool to run commands in the shell. Use the `str_replace_editor` tool to view and edit files.
You must call `submit` when you are done.
"""

USER = """The function `parse_date` in `utils/dates.py` doesn't work for ISO 8601 strings with a timezone.

```python
>>> parse_date("2024-01-01T10:00:00+02:00")
ValueError: unconverted data remains: +02:00
```

Can you fix the bug so that the tests in tests/test_dates.py pass? Please make sure the change is minimal."""

OUTPUT_LISTING = "\n".join(
    [
        "$ grep -rn parse_date .",
        "utils/dates.py:12:def parse_date(text):",
        "utils/dates.py:40:    return parse_date(value)",
        "tests/test_dates.py:5:from utils.dates import parse_date",
        "tests/test_dates.py:9:    assert parse_date('2024-01-01')",
        "docs/api.md:3:parse_date(text) -> datetime",
        "",
        "5 matches",
    ]
)
OUTPUT_TRACEBACK = """Traceback (most recent call last):
  File "/workspace/utils/dates.py", line 14, in parse_date
    return datetime.strptime(text, FMT)
ValueError: unconverted data remains: +02:00
FAILED tests/test_dates.py::test_tz - ValueError
1 failed, 12 passed in 0.31s"""
OUTPUT_JSON = '{"files": [{"path": "a.py", "lines": 10}, {"path": "b.py", "lines": 3}], "ok": true}'
OUTPUT_LONG = "\n".join(f"line {i}: value={i * 7}" for i in range(500))
OUTPUTS = [OUTPUT_LISTING, OUTPUT_TRACEBACK, OUTPUT_JSON, OUTPUT_LONG, "", "done"]
