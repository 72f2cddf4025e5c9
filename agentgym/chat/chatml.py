"""ChatML families: Qwen2.5, Qwen3 (Hermes-style JSON tool calls), Qwen3-Coder (XML), Hermes 3."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from agentgym.chat.base import (
    ChatFormat,
    Segment,
    args_value,
    args_verbatim,
    check_no_calls_in_reasoning,
    coerce_value,
    content_of,
    loads_json,
    make_call,
    schema_props,
    split_think,
    tojson,
)
from agentgym.errors import ChatFormatError, ParseError
from agentgym.types import Message, ToolCall

IM_START, IM_END = "<|im_start|>", "<|im_end|>"
_JSON_CALL = re.compile(r"<tool_call>(.*?)(</tool_call>|$)", re.S)


def _turn(role: str, content: str, index: int) -> list[Segment]:
    return [Segment(f"{IM_START}{role}\n{content}{IM_END}\n", "text", index)]


def _assistant(text_after_header: str, index: int, trailer: str = "\n") -> list[Segment]:
    """``<|im_start|>assistant\\n`` + generated text (+ end of turn) + trailer."""
    return [
        Segment(f"{IM_START}assistant\n", "header", index),
        Segment(text_after_header, "body", index),
        Segment(trailer, "trailer", index),
    ]


def _json_call_text(call: ToolCall, verbatim: bool = True) -> str:
    """Hermes-style call; ``verbatim``: a string argument is printed as is (else ``tojson``)."""
    args = args_verbatim(call) if verbatim else tojson(args_value(call))
    return f'<tool_call>\n{{"name": "{call.name}", "arguments": {args}}}\n</tool_call>'


def _tool_block(messages: list[Message], i: int, index: int, role: str = "user") -> list[Segment]:
    m = messages[i]
    text = ""
    if i == 0 or messages[i - 1].role != "tool":
        text += f"{IM_START}{role}"
    text += f"\n<tool_response>\n{content_of(m)}\n</tool_response>"
    if i == len(messages) - 1 or messages[i + 1].role != "tool":
        text += f"{IM_END}\n"
    return [Segment(text, "text", index)]


def parse_json_calls(completion: str, end: str = IM_END, think: bool = True) -> Message:
    """``<think>..</think>`` + content + ``<tool_call>{json}</tool_call>`` blocks."""
    text = completion[: -len(end)] if completion.endswith(end) else completion
    reasoning, rest = split_think(text) if think else (None, text)
    check_no_calls_in_reasoning(reasoning, ["<tool_call>"], completion)
    if reasoning is not None:
        reasoning = reasoning.strip("\n")
        rest = rest.lstrip("\n")
    calls = []
    first = rest.find("<tool_call>")
    content = rest if first < 0 else rest[:first]
    if first >= 0:
        for n, match in enumerate(_JSON_CALL.finditer(rest[first:])):
            if not match.group(2):
                raise ParseError(
                    "a <tool_call> block is not closed; end each call with </tool_call>.",
                    raw=completion,
                )
            obj = loads_json(match.group(1).strip(), f"tool call #{n + 1}", completion)
            if not isinstance(obj, dict) or "name" not in obj:
                raise ParseError(
                    'each <tool_call> must hold {"name": ..., "arguments": {...}}.', raw=completion
                )
            calls.append(make_call(obj["name"], obj.get("arguments", {}), completion))
        leftover = _JSON_CALL.sub("", rest[first:]).strip()
        if leftover:
            raise ParseError(
                f"unexpected text after the tool calls: {leftover[:80]!r}; write text before the calls.",
                raw=completion,
            )
    content = content.rstrip("\n") if calls else content
    return Message(role="assistant", content=content, reasoning=reasoning, tool_calls=calls)


_QWEN_TOOLS_HEAD = (
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
)


def _qwen_tools_text(tools: list[dict[str, Any]]) -> str:
    """The Qwen2.5 / Qwen3 tool declaration (single braces in the example call)."""
    return (
        _QWEN_TOOLS_HEAD
        + "".join("\n" + tojson(t) for t in tools)
        + "\n</tools>\n\nFor each function call, return a json object with function name and "
        "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
        '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
    )


class Qwen25(ChatFormat):
    name = "qwen2.5"
    revision = "2024-09"
    reference = "Qwen/Qwen2.5-7B-Instruct"
    source = "llama.cpp models/templates/Qwen-Qwen2.5-7B-Instruct.jinja (8b576b6c, 2025-01-30)"
    eos_token = IM_END
    end_of_turn = IM_END
    stop_strings = (IM_END, "<|endoftext|>")
    special_tokens = (IM_START, IM_END, "<|endoftext|>", "<tool_call>", "</tool_call>")
    default_system = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

    def tools_declaration(self, tools, date, options):
        return _qwen_tools_text(tools)

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        segs: list[Segment] = []
        has_system = bool(messages) and messages[0].role == "system"
        system = content_of(messages[0]) if has_system else self.default_system
        if start > 0:
            pass  # the preamble belongs to the earlier turns
        elif tools:
            text = f"{IM_START}system\n{system}\n\n{_qwen_tools_text(tools)}{IM_END}\n"
            segs.append(Segment(text, "text", 0 if has_system else -1))
        else:
            segs.append(
                Segment(f"{IM_START}system\n{system}{IM_END}\n", "text", 0 if has_system else -1)
            )
        for i in range(start, len(messages)):
            m = messages[i]
            if (
                m.role == "user"
                or (m.role == "system" and i > 0)
                or (m.role == "assistant" and not m.tool_calls)
            ):
                if m.role == "assistant":
                    segs += _assistant(content_of(m) + IM_END, i)
                else:
                    segs += _turn(m.role, content_of(m), i)
            elif m.role == "assistant":
                body = ("\n" + m.content if m.content else "") + "".join(
                    "\n" + _json_call_text(c, verbatim=False) for c in m.tool_calls
                )
                segs += _assistant(body[1:] + IM_END, i)
            elif m.role == "tool":
                segs += _tool_block(messages, i, i)
        if add_generation_prompt:
            segs.append(Segment(f"{IM_START}assistant\n", "gen", len(messages)))
        return segs

    def _parse(self, completion, tools):
        return parse_json_calls(completion, think=False)


class Qwen3(ChatFormat):
    name = "qwen3"
    revision = "2025-04"
    reference = "Qwen/Qwen3-8B (same template as Qwen3-0.6B)"
    source = "llama.cpp models/templates/Qwen-Qwen3-0.6B.jinja (e121edc4, 2025-05-26)"
    eos_token = IM_END
    end_of_turn = IM_END
    stop_strings = (IM_END, "<|endoftext|>")
    special_tokens = (
        IM_START,
        IM_END,
        "<|endoftext|>",
        "<tool_call>",
        "</tool_call>",
        "<think>",
        "</think>",
        "<tool_response>",
        "</tool_response>",
    )
    family_options: ClassVar[dict[str, str]] = {
        "enable_thinking": "True (default) or False: False pre-fills an empty think block."
    }

    def tools_declaration(self, tools, date, options):
        return _qwen_tools_text(tools)

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        segs: list[Segment] = []
        has_system = bool(messages) and messages[0].role == "system"
        if start > 0:
            pass  # the preamble belongs to the earlier turns
        elif tools:
            text = f"{IM_START}system\n" + (content_of(messages[0]) + "\n\n" if has_system else "")
            text += _qwen_tools_text(tools) + f"{IM_END}\n"
            segs.append(Segment(text, "text", 0 if has_system else -1))
        elif has_system:
            segs.append(
                Segment(f"{IM_START}system\n{content_of(messages[0])}{IM_END}\n", "text", 0)
            )
        last_query = len(messages) - 1
        for i in range(len(messages) - 1, -1, -1):
            c = content_of(messages[i])
            if messages[i].role == "user" and not (
                c.startswith("<tool_response>") and c.endswith("</tool_response>")
            ):
                last_query = i
                break
        if options.get("reasoning") == "keep":
            last_query = -1
        for i in range(start, len(messages)):
            m = messages[i]
            if m.role == "user" or (m.role == "system" and i > 0):
                segs += _turn(m.role, content_of(m), i)
            elif m.role == "assistant":
                content = content_of(m)
                reasoning = ""
                if m.reasoning is not None:
                    reasoning = m.reasoning
                elif "</think>" in content:
                    reasoning = (
                        content.split("</think>")[0].rstrip("\n").split("<think>")[-1].lstrip("\n")
                    )
                    content = content.split("</think>")[-1].lstrip("\n")
                if i > last_query and (i == len(messages) - 1 or reasoning):
                    body = (
                        "<think>\n"
                        + reasoning.strip("\n")
                        + "\n</think>\n\n"
                        + content.lstrip("\n")
                    )
                else:
                    body = content
                for n, call in enumerate(m.tool_calls):
                    if (n == 0 and content) or n > 0:
                        body += "\n"
                    body += _json_call_text(call)
                segs += _assistant(body + IM_END, i)
            elif m.role == "tool":
                segs += _tool_block(messages, i, i)
        if add_generation_prompt:
            gen = f"{IM_START}assistant\n"
            if options.get("enable_thinking", True) is False:
                gen += "<think>\n\n</think>\n\n"
            segs.append(Segment(gen, "gen", len(messages)))
        return segs

    def _parse(self, completion, tools):
        return parse_json_calls(completion)


HERMES3_DEFAULT_SYSTEM = "You are a helpful assistant."


class Hermes3(ChatFormat):
    """Hermes 3: the ``tool_use`` template when tools are given, else the ``default`` one
    (ChatML with ``You are a helpful assistant.`` when the conversation has no system turn)."""

    name = "hermes3"
    revision = "2024-08"
    reference = "NousResearch/Hermes-3-Llama-3.1-8B tokenizer_config.json (tool_use and default)"
    source = (
        "llama.cpp models/templates/NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja "
        "(8b576b6c); default: OpenPipe/ART src/art/local/tokenize.py hermes3_old (fc5ca1c), "
        "the same text as huggingface.js ollama-utils chat-template-automap.ts (0429cdc7)"
    )
    bos_token = "<|begin_of_text|>"
    eos_token = IM_END
    end_of_turn = IM_END
    stop_strings = (IM_END, "<|end_of_text|>")
    special_tokens = (
        "<|begin_of_text|>",
        "<|end_of_text|>",
        IM_START,
        IM_END,
        "<tool_call>",
        "</tool_call>",
        "<tool_response>",
        "</tool_response>",
    )

    @staticmethod
    def _py_type(spec: Any, depth: int = 0) -> str:
        """The template's ``json_to_python_type`` macro, odd cases included.

        It looks up ``spec.type``; an array recurses on ``spec|items`` (the schema's key/value
        pairs, which have no ``type``), so every array is ``list[Union[]]``; a missing type is
        iterable (Jinja's Undefined), so it prints ``Union[]``; a type list prints a Union of
        each entry; any other type *string* is iterable too and recurses on its characters
        forever (RecursionError in the template).
        """
        basic = {"string": "str", "number": "float", "integer": "int", "boolean": "bool"}
        missing = not isinstance(spec, dict) or "type" not in spec
        t = None if missing else spec["type"]
        if not missing and isinstance(t, str) and t in basic:
            return basic[t]
        if t == "array":
            return "list[Union[]]"
        if t == "object":
            if "additionalProperties" in spec:
                return "dict[str, " + Hermes3._py_type(spec["additionalProperties"], depth) + "]"
            return "dict"
        if missing:
            return "Union[]"
        if isinstance(t, str | list | tuple | dict):
            if isinstance(t, str) and t:
                raise ChatFormatError(
                    f"JSON-schema type {t!r} sends Hermes 3's template into endless recursion "
                    "(its json_to_python_type macro knows string, number, integer, boolean, "
                    "array and object); use one of those (or a type list of them)."
                )
            return "Union[" + ",".join(Hermes3._py_type({"type": x}, depth + 1) for x in t) + "]"
        return "Any"

    def _tools_system(self, tools: list[dict[str, Any]]) -> str:
        text = (
            f"{IM_START}system\nYou are a function calling AI model. You are provided with function signatures "
            "within <tools></tools> XML tags. You may call one or more functions to assist with the user query. "
            "Don't make assumptions about what values to plug into functions. Here are the available tools: <tools> "
        )
        for n, tool in enumerate(tools):
            fn = tool["function"]
            props = (fn.get("parameters") or {}).get("properties") or {}
            text += (
                '{"type": "function", "function": {"name": "'
                + fn["name"]
                + '", "description": "'
                + fn["name"]
                + "("
            )
            text += ", ".join(f"{p}: {self._py_type(s)}" for p, s in props.items()) + ")"
            text += " - " + fn.get("description", "") + "\n\n"
            for k, (p, s) in enumerate(props.items()):
                if k == 0:
                    text += "    Args:\n"
                text += (
                    "        "
                    + p
                    + "("
                    + self._py_type(s)
                    + "): "
                    + str(s.get("description", "")).strip()
                )
            text += (
                '", "parameters": ' + ("{}" if not props else tojson(fn.get("parameters"))) + "}"
            )
            if n < len(tools) - 1:
                text += "\n"
        text += (
            " </tools>Use the following pydantic model json schema for each tool call you will make: "
            '{"properties": {"name": {"title": "Name", "type": "string"}, "arguments": {"title": "Arguments", '
            '"type": "object"}}, "required": ["name", "arguments"], "title": "FunctionCall", "type": "object"}}\n'
            "For each function call return a json object with function name and arguments within "
            "<tool_call></tool_call> XML tags as follows:\n<tool_call>\n"
            '{"name": <function-name>, "arguments": <args-dict>}\n</tool_call>' + IM_END + "\n"
        )
        return text

    keeps_tools_when_moved = True  # the tool-use template is chosen by the tools

    def tools_declaration(self, tools, date, options):
        text = self._tools_system(tools)
        return text[len(f"{IM_START}system\n") : -len(f"{IM_END}\n")]

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        segs = [Segment(self.bos_token, "text", -1)] if start == 0 else []
        if not tools:  # the default (non tool-use) template
            for i in range(start, len(messages)):
                m = messages[i]
                if i == 0 and m.role != "system":
                    segs += _turn("system", HERMES3_DEFAULT_SYSTEM, -1)
                if m.role == "assistant":
                    segs += _assistant(content_of(m) + IM_END, i)
                else:
                    segs += _turn(m.role, content_of(m), i)
        else:
            if start == 0 and options.get("tools_placement", "native") != "user":
                segs.append(Segment(self._tools_system(tools), "text", -1))
            for i in range(start, len(messages)):
                m = messages[i]
                if m.role in ("user", "system"):
                    segs += _turn(m.role, content_of(m), i)
                elif m.role == "assistant" and not m.tool_calls:
                    segs += _assistant(content_of(m) + IM_END, i)
                elif m.role == "assistant":
                    body = "\n".join(_json_call_text(c) for c in m.tool_calls)
                    segs += _assistant(body + IM_END, i)
                elif m.role == "tool":
                    last = i == len(messages) - 1
                    text = f"{IM_START}tool\n" if i > 0 and messages[i - 1].role != "tool" else ""
                    text += f"<tool_response>\n{content_of(m)}" + (
                        "\n</tool_response>" if last else "\n</tool_response>\n"
                    )
                    if last or messages[i + 1].role != "tool":
                        text += IM_END
                    segs.append(Segment(text, "text", i))
        if add_generation_prompt:
            segs.append(Segment(f"{IM_START}assistant\n", "gen", len(messages)))
        return segs

    def _parse(self, completion, tools):
        return parse_json_calls(completion, think=False)


_BLOCK = re.compile(r"<tool_call>(.*?)</tool_call>", re.S)
_FUNCTION = re.compile(r"<function=([^>\n]*)>(.*?)</function>", re.S)
# A value ends at the "\n</parameter>" that closes it: the one followed by the next parameter
# or the end of the function (so a value may itself contain "</parameter>").
_XML_PARAM = re.compile(r"<parameter=([^>\n]*)>\n?(.*?)\n?</parameter>\s*(?=<parameter=|$)", re.S)


def _jinja_string(value: Any) -> str:
    """Jinja's ``string`` filter: Python ``str()`` (dicts print as Python reprs, True as True)."""
    return value if isinstance(value, str) else str(value)


def _backticked_list(items: Any, tag: str) -> str:
    """Qwen3-Coder July 2025 ``render_item_list``: ``\\n<tag>[`a`, 1]</tag>``."""
    if items is None or isinstance(items, int | float | bool) or not items:
        return ""  # undefined, not iterable or empty: nothing
    if isinstance(items, dict):
        items = list(items)
    inner = ", ".join(f"`{x}`" if isinstance(x, str) else _jinja_string(x) for x in items)
    return f"\n<{tag}>[{inner}]</{tag}>"


_QWEN3_CODER_FORMAT_REMINDER = (
    "\n\nIf you choose to call a function ONLY reply in the following format with NO suffix:\n\n"
    "<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\nvalue_1\n"
    "</parameter>\n<parameter=example_parameter_2>\nThis is the value for the second parameter\n"
    "that can span\nmultiple lines\n</parameter>\n</function>\n</tool_call>\n\n<IMPORTANT>\nReminder:\n"
    "- Function calls MUST follow the specified format: an inner <function=...></function> block must "
    "be nested within <tool_call></tool_call> XML tags\n- Required parameters MUST be specified\n"
    "- You may provide optional reasoning for your function call in natural language BEFORE the "
    "function call, but NOT after\n- If there is no function call available, answer the question like "
    "normal with your current knowledge and do not tell the user about function calls\n</IMPORTANT>"
)


class Qwen3Coder(ChatFormat):
    """Qwen3-Coder, template of 2025-08 (Qwen3-Coder-30B-A3B-Instruct's ``chat_template.jinja``
    as updated about 2025-08-21): ``# Tools`` header, every schema key rendered by
    ``render_extra_keys``, object and array argument values printed as JSON."""

    name = "qwen3-coder"
    revision = "2025-08"
    reference = "Qwen/Qwen3-Coder-30B-A3B-Instruct (and -480B-A35B-Instruct)"
    source = (
        "llama.cpp models/templates/Qwen3-Coder.jinja at d1fe9434 ('sync with upstream', "
        "2025-09-18); same text as vLLM examples/tool_chat_template_qwen3coder.jinja"
    )
    eos_token = IM_END
    end_of_turn = IM_END
    stop_strings = (IM_END, "<|endoftext|>")
    special_tokens = (IM_START, IM_END, "<|endoftext|>", "<tool_call>", "</tool_call>")
    default_system = (
        "You are Qwen, a helpful AI assistant that can interact with a computer to solve tasks."
    )
    tools_header = "\n\n# Tools\n\nYou have access to the following functions:\n\n<tools>"

    @staticmethod
    def _extra_keys(obj: Any, handled: tuple[str, ...]) -> str:
        """``render_extra_keys``: every other key, JSON for mappings and lists, else ``string``."""
        if not isinstance(obj, dict):
            return ""
        text = ""
        for key, value in obj.items():
            if key in handled:
                continue
            shown = (
                tojson(value) if isinstance(value, dict | list | tuple) else _jinja_string(value)
            )
            text += f"\n<{key}>{shown}</{key}>"
        return text

    def _function_text(self, fn: dict[str, Any]) -> str:
        text = f"\n<function>\n<name>{fn['name']}</name>"
        if "description" in fn:
            text += f"\n<description>{str(fn['description']).strip()}</description>"
        text += "\n<parameters>"
        params = fn.get("parameters")
        if isinstance(params, dict) and isinstance(params.get("properties"), dict):
            for pname, fields in params["properties"].items():
                text += f"\n<parameter>\n<name>{pname}</name>"
                if isinstance(fields, dict) and "type" in fields:
                    text += f"\n<type>{_jinja_string(fields['type'])}</type>"
                if isinstance(fields, dict) and "description" in fields:
                    text += f"\n<description>{str(fields['description']).strip()}</description>"
                text += self._extra_keys(fields, ("name", "type", "description"))
                text += "\n</parameter>"
        text += self._extra_keys(params, ("type", "properties")) + "\n</parameters>"
        text += self._extra_keys(fn, ("type", "name", "description", "parameters"))
        return text + "\n</function>"

    def _tools_text(self, tools: list[dict[str, Any]]) -> str:
        body = "".join(self._function_text(t["function"]) for t in tools)
        return self.tools_header + body + "\n</tools>" + _QWEN3_CODER_FORMAT_REMINDER

    @staticmethod
    def _value_text(value: Any) -> str:
        """A parameter value: JSON for mappings and sequences, Jinja ``string`` otherwise."""
        return tojson(value) if isinstance(value, dict | list | tuple) else _jinja_string(value)

    def tools_declaration(self, tools, date, options):
        return self._tools_text(tools).lstrip("\n")

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        segs: list[Segment] = []
        has_system = bool(messages) and messages[0].role == "system"
        loop = messages[1:] if has_system else messages
        offset = 1 if has_system else 0
        if start == 0:
            head = ""
            if has_system:
                head = f"{IM_START}system\n{content_of(messages[0])}"
            elif tools:
                head = f"{IM_START}system\n{self.default_system}"
            if tools:
                head += self._tools_text(tools)
            if has_system or tools:
                head += f"{IM_END}\n"
            segs.append(Segment(head, "text", 0 if has_system else -1))
        for j in range(max(start - offset, 0), len(loop)):
            m = loop[j]
            i = j + offset
            if m.role == "assistant" and m.tool_calls:
                body = ""
                if m.content is not None and m.content.strip():
                    body += "\n" + m.content.strip() + "\n"
                for c in m.tool_calls:
                    body += f"\n<tool_call>\n<function={c.name}>\n"
                    for k, v in c.arguments.items():
                        body += f"<parameter={k}>\n{self._value_text(v)}\n</parameter>\n"
                    body += "</function>\n</tool_call>"
                segs += _assistant(body[1:] + IM_END, i)
            elif m.role == "assistant":
                segs += _assistant(content_of(m) + IM_END, i)
            elif m.role in ("user", "system"):
                segs += _turn(m.role, content_of(m), i)
            elif m.role == "tool":
                text = f"{IM_START}user\n" if j > 0 and loop[j - 1].role != "tool" else ""
                text += f"<tool_response>\n{content_of(m)}\n</tool_response>\n"
                if j == len(loop) - 1 or loop[j + 1].role != "tool":
                    text += f"{IM_END}\n"
                segs.append(Segment(text, "text", i))
        if add_generation_prompt:
            segs.append(Segment(f"{IM_START}assistant\n", "gen", len(messages)))
        return segs

    def _parse(self, completion, tools):
        text = completion[: -len(IM_END)] if completion.endswith(IM_END) else completion
        reasoning, rest = split_think(text)
        check_no_calls_in_reasoning(reasoning, ["<tool_call>"], completion)
        first = rest.find("<tool_call>")
        if first < 0:
            if "<function=" in rest:
                raise ParseError(
                    "a <function=...> block must be inside <tool_call> ... </tool_call>.",
                    raw=completion,
                )
            return Message(role="assistant", content=rest, reasoning=reasoning)
        content, calls_text = rest[:first], rest[first:]
        calls = []
        # Like vLLM's qwen3_coder parser: every <function=...> block of a <tool_call> block is
        # its own call, in order.
        for block in _BLOCK.finditer(calls_text):
            inner = block.group(1)
            functions = list(_FUNCTION.finditer(inner))
            if not functions or _FUNCTION.sub("", inner).strip():
                raise ParseError(
                    "a <tool_call> block must hold <function=NAME> ... </function> blocks and "
                    "nothing else.",
                    raw=completion,
                )
            for fm in functions:
                name = fm.group(1).strip()
                body = fm.group(2)
                props = schema_props(tools, name)
                args: dict[str, Any] = {}
                for pm in _XML_PARAM.finditer(body.strip("\n") + "\n"):
                    key = pm.group(1).strip()
                    args[key] = coerce_value(pm.group(2), props.get(key) if tools else None)
                if _XML_PARAM.sub("", body.strip("\n") + "\n").strip():
                    raise ParseError(
                        f"malformed parameters in the call to {name!r}; write "
                        "<parameter=KEY>\\nVALUE\\n</parameter> for each one.",
                        raw=completion,
                    )
                calls.append(make_call(name, args, completion))
        leftover = _BLOCK.sub("", calls_text).strip()
        if leftover:
            if "<tool_call>" in leftover or "<function=" in leftover:
                raise ParseError(
                    "a tool call is malformed; write <tool_call>\\n<function=NAME>\\n<parameter=KEY>\\nVALUE\\n"
                    "</parameter>\\n</function>\\n</tool_call>, closing every tag.",
                    raw=completion,
                )
            raise ParseError(
                f"unexpected text after the tool calls: {leftover[:80]!r}; write text before the calls.",
                raw=completion,
            )
        content = content.strip("\n")
        return Message(
            role="assistant", content=content or None, reasoning=reasoning, tool_calls=calls
        )


class Qwen3Coder202507(Qwen3Coder):
    """Qwen3-Coder, template of the July 2025 releases (480B-A35B 2025-07-22, 30B-A3B
    2025-07-31): no ``# Tools`` header, ``enum``/``required`` as backticked lists, and every
    argument value through Jinja's ``string`` filter (Python reprs for dicts and lists)."""

    revision = "2025-07"
    source = (
        "llama.cpp models/templates/Qwen3-Coder.jinja at c920daf3 (PR #15019, 2025-08-02); "
        "the same macros and argument rule as the copy in ollama issue #11621 and the "
        "unsloth/Qwen3-Coder-30B-A3B-Instruct template"
    )
    tools_header = "\n\nYou have access to the following functions:\n\n<tools>"

    def _function_text(self, fn: dict[str, Any]) -> str:
        params = fn.get("parameters") or {}
        text = f"\n<function>\n<name>{fn['name']}</name>"
        text += (
            f"\n<description>{str(fn.get('description', '')).strip()}</description>\n<parameters>"
        )
        for pname, fields in (params.get("properties") or {}).items():
            text += f"\n<parameter>\n<name>{pname}</name>"
            if "type" in fields:
                text += f"\n<type>{_jinja_string(fields['type'])}</type>"
            if "description" in fields:
                text += f"\n<description>{str(fields['description']).strip()}</description>"
            text += _backticked_list(fields.get("enum"), "enum")
            for key, value in fields.items():
                if key in ("type", "description", "enum", "required"):
                    continue
                shown = tojson(value) if isinstance(value, dict) else _jinja_string(value)
                text += f"\n<{key}>{shown}</{key}>"
            text += _backticked_list(fields.get("required"), "required") + "\n</parameter>"
        text += _backticked_list(params.get("required"), "required") + "\n</parameters>"
        if "return" in fn:
            ret = fn["return"]
            shown = tojson(ret) if isinstance(ret, dict) else _jinja_string(ret)
            text += f"\n<return>{shown}</return>"
        return text + "\n</function>"

    @staticmethod
    def _value_text(value: Any) -> str:
        return _jinja_string(value)
