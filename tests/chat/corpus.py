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
# Object and array parameters (nested values; arrays with and without item types).
RUN_TESTS = {
    "type": "function",
    "function": {
        "name": "run_tests",
        "description": "Run selected tests with options.",
        "parameters": {
            "type": "object",
            "properties": {
                "paths": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Test files.",
                },
                "env": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Extra environment variables.",
                },
                "options": {
                    "type": "object",
                    "description": "Runner options.",
                    "properties": {
                        "verbose": {"type": "boolean"},
                        "retries": {"type": "integer"},
                        "markers": {"type": "array"},
                    },
                },
                "tags": {"type": "array", "description": "Free-form tags."},
            },
            "required": ["paths"],
        },
    },
}
# Schema shapes whose rendering differs between templates (no type, enum, nested object).
SCHEMA_ZOO = {
    "type": "function",
    "function": {
        "name": "configure",
        "description": "Set configuration values.",
        "parameters": {
            "type": "object",
            "properties": {
                "level": {
                    "type": "string",
                    "enum": ["low", "high"],
                    "description": "How much.",
                },
                "value": {"description": "Any JSON value."},
                "limits": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Named limits.",
                },
                "ratio": {"type": "number", "description": "A ratio."},
            },
            "required": ["level"],
        },
    },
}
# A nullable parameter, written as a JSON-schema type list.
NULLABLE = {
    "type": "function",
    "function": {
        "name": "checkout",
        "description": "Check out a git ref.",
        "parameters": {
            "type": "object",
            "properties": {"ref": {"type": ["string", "null"], "description": "Branch or tag."}},
            "required": ["ref"],
        },
    },
}

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
    "content_null_with_object_args": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [_call("call0007g", "bash", {"command": "ls src", "timeout": 10})],
            },
            {"role": "tool", "tool_call_id": "call0007g", "content": "parse.py\n__init__.py"},
        ],
        "tools": TOOLS,
        "add_generation_prompt": True,
    },
    "string_then_object_args": {
        "messages": [
            {"role": "user", "content": USER},
            {
                "role": "assistant",
                "content": "First the test.",
                "tool_calls": [_call("call0008h", "bash", '{"command": "pytest -x"}')],
            },
            {"role": "tool", "tool_call_id": "call0008h", "content": "1 failed"},
            {
                "role": "assistant",
                "content": "Now the fix.",
                "tool_calls": [
                    _call(
                        "call0009i",
                        "str_replace",
                        {"path": "src/parse.py", "old": "row['name']", "new": "row.get('name')"},
                    )
                ],
            },
            {"role": "tool", "tool_call_id": "call0009i", "content": "Edited src/parse.py"},
        ],
        "tools": TOOLS,
        "add_generation_prompt": True,
    },
    "nested_object_array_args": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Run the parser tests verbosely."},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    _call(
                        "call0010j",
                        "run_tests",
                        {
                            "paths": ["tests/test_parse.py", "tests/test_io.py"],
                            "env": {"CI": "1", "LANG": "C.UTF-8"},
                            "options": {"verbose": True, "retries": 2, "markers": ["slow", 3]},
                            "tags": [],
                        },
                    )
                ],
            },
            {"role": "tool", "tool_call_id": "call0010j", "content": "2 passed"},
        ],
        "tools": [RUN_TESTS, BASH],
        "add_generation_prompt": True,
    },
    "unicode_control_args": {
        "messages": [
            {"role": "user", "content": "Write the greeting file."},
            {
                "role": "assistant",
                "content": "Writing it.",
                "tool_calls": [
                    _call(
                        "call0011k",
                        "bash",
                        {
                            "command": 'printf \'Grüße\\t\u4e16\u754c \U0001f680\\n\' > "hi \\"x\\".txt"\n'
                            "echo done\tok\u0007 </parameter>"
                        },
                    )
                ],
            },
            {"role": "tool", "tool_call_id": "call0011k", "content": "done\tok"},
        ],
        "tools": TOOLS,
        "add_generation_prompt": True,
    },
    "empty_reasoning": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER},
            {
                "role": "assistant",
                "reasoning_content": "",
                "content": "",
                "tool_calls": [_call("call0012l", "bash", {"command": "pytest -x"})],
            },
            {"role": "tool", "tool_call_id": "call0012l", "content": "1 failed"},
            {"role": "assistant", "reasoning_content": "", "content": "It fails."},
        ],
        "tools": TOOLS,
        "add_generation_prompt": False,
    },
    "several_tool_results": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER},
            {
                "role": "assistant",
                "content": "Three checks at once.",
                "tool_calls": [
                    _call("call0013m", "bash", {"command": "git status"}),
                    _call("call0014n", "bash", {"command": "cat src/parse.py"}),
                    _call("call0015o", "bash", {"command": "pytest -x"}),
                ],
            },
            {"role": "tool", "tool_call_id": "call0013m", "content": "clean"},
            {"role": "tool", "tool_call_id": "call0014n", "content": "def parse(row): ..."},
            {"role": "tool", "tool_call_id": "call0015o", "content": "1 failed"},
            {"role": "assistant", "content": "Found it: parse() reads row['name']."},
        ],
        "tools": TOOLS,
        "add_generation_prompt": False,
    },
    "tools_without_system": {
        "messages": [{"role": "user", "content": USER}],
        "tools": TOOLS,
        "add_generation_prompt": True,
    },
    "system_without_tools_history": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4."},
            {"role": "user", "content": "And 3+3?"},
            {"role": "assistant", "content": "6."},
        ],
        "tools": None,
        "add_generation_prompt": False,
    },
    "calls_without_reasoning": {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER},
            {
                "role": "assistant",
                "reasoning_content": "Look at the test first.",
                "content": "",
                "tool_calls": [_call("call0016p", "bash", {"command": "cat tests/test_parse.py"})],
            },
            {"role": "tool", "tool_call_id": "call0016p", "content": "def test_parse(): ..."},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [_call("call0017q", "bash", {"command": "pytest -x"})],
            },
            {"role": "tool", "tool_call_id": "call0017q", "content": "1 failed"},
        ],
        "tools": TOOLS,
        "add_generation_prompt": True,
    },
    "schema_shapes": {
        "messages": [
            {"role": "user", "content": "Set the level to high."},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    _call(
                        "call0018r",
                        "configure",
                        {"level": "high", "value": None, "limits": {"cpu": 2}, "ratio": 0.5},
                    )
                ],
            },
            {"role": "tool", "tool_call_id": "call0018r", "content": "ok"},
        ],
        "tools": [SCHEMA_ZOO],
        "add_generation_prompt": True,
    },
    "nullable_type_list": {
        "messages": [{"role": "user", "content": "Check out main."}],
        "tools": [NULLABLE],
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
