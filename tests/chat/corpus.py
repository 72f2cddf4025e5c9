"""Fixed conversations rendered by every chat format in the golden tests.

Each case is OpenAI-shaped data (what serving stacks and HF templates take). The golden
outputs in ``golden/*.json`` were produced from these cases by ``golden/make_golden.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

GOLDEN_DATE = dt.date(2025, 1, 15)

BASH = {
    "type": "function",
    "function": {
        "name": "bash",
        "description": "Run a bash command in the repository and return its output.",
        "parameters": {
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "The command to run."},
                "timeout": {
                    "type": "integer",
                    "description": "Seconds before the command is killed.",
                },
            },
            "required": ["command"],
        },
    },
}
EDITOR = {
    "type": "function",
    "function": {
        "name": "str_replace",
        "description": "Replace one exact occurrence of old with new in a file.",
        "parameters": {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File to edit."},
                "old": {"type": "string", "description": "Text to find."},
                "new": {"type": "string", "description": "Replacement text."},
            },
            "required": ["path", "old", "new"],
        },
    },
}
TOOLS = [BASH, EDITOR]

SYSTEM = "You are a careful coding agent. Fix the bug, then run the tests."
USER = "The test `test_parse` fails with a KeyError. Please fix it."


def _call(cid: str, name: str, args: Any) -> dict[str, Any]:
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}


CASES: dict[str, dict[str, Any]] = {
    "plain_generation_prompt": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Hello! What can you do?"},
        ],
        "tools": None,
        "add_generation_prompt": True,
    },
    "no_system_multi_turn": {
        "messages": [
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4."},
            {"role": "user", "content": "And 3+3?"},
        ],
        "tools": None,
        "add_generation_prompt": True,
    },
    "tools_prompt_only": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER},
        ],
        "tools": TOOLS,
        "add_generation_prompt": True,
    },
    "tool_call_dict_args": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER},
            {
                "role": "assistant",
                "content": "Let me look at the failing test.",
                "tool_calls": [
                    _call("call0001a", "bash", {"command": "pytest -x tests/test_parse.py"})
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "call0001a",
                "content": "E   KeyError: 'name'\n1 failed",
            },
        ],
        "tools": TOOLS,
        "add_generation_prompt": True,
    },
    "tool_call_string_args_content_none": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    _call(
                        "call0002b",
                        "bash",
                        '{"command": "grep -n name src/parse.py", "timeout": 30}',
                    )
                ],
            },
            {"role": "tool", "tool_call_id": "call0002b", "content": "12:    return row['name']"},
            {
                "role": "assistant",
                "content": "The key is read without a default. Fixed by using .get().",
            },
        ],
        "tools": TOOLS,
        "add_generation_prompt": False,
    },
    "parallel_tool_calls": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    _call("call0003c", "bash", {"command": "cat src/parse.py"}),
                    _call(
                        "call0004d",
                        "str_replace",
                        {"path": "src/parse.py", "old": "row['name']", "new": "row.get('name')"},
                    ),
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "call0003c",
                "content": "def parse(row):\n    return row['name']",
            },
            {"role": "tool", "tool_call_id": "call0004d", "content": "Edited src/parse.py"},
        ],
        "tools": TOOLS,
        "add_generation_prompt": True,
    },
    "reasoning_past_and_current": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Is the repo clean?"},
            {
                "role": "assistant",
                "reasoning_content": "I should check git status first.",
                "content": "It is clean.",
            },
            {"role": "user", "content": USER},
            {
                "role": "assistant",
                "reasoning_content": "Run the failing test to see the traceback.",
                "content": "",
                "tool_calls": [_call("call0005e", "bash", {"command": "pytest -x"})],
            },
            {"role": "tool", "tool_call_id": "call0005e", "content": "1 failed"},
            {
                "role": "assistant",
                "reasoning_content": "The traceback points at parse.py line 12.",
                "content": "The failure is in parse.py.",
            },
        ],
        "tools": TOOLS,
        "add_generation_prompt": False,
    },
    "non_ascii": {
        "messages": [
            {"role": "system", "content": "Réponds en français. 中文也可以。"},
            {"role": "user", "content": "Crée le fichier « données.txt » avec ü, ß et 🚀."},
            {
                "role": "assistant",
                "content": "Je crée le fichier.",
                "tool_calls": [
                    _call("call0006f", "bash", {"command": "echo 'ü ß 🚀 数据' > données.txt"})
                ],
            },
            {"role": "tool", "tool_call_id": "call0006f", "content": "écrit ✓"},
        ],
        "tools": TOOLS,
        "add_generation_prompt": True,
    },
    "assistant_final_training": {
        "messages": [
            {"role": "user", "content": "Say hi."},
            {"role": "assistant", "content": "Hi!"},
        ],
        "tools": None,
        "add_generation_prompt": False,
    },
}
