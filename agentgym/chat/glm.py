"""GLM-4.6: [gMASK]<sop>, <|role|> markers, <think></think>, <tool_call>NAME<arg_key>..</arg_value>."""

from __future__ import annotations

import re
from typing import ClassVar

from agentgym.chat.base import (
    ChatFormat,
    Segment,
    check_no_calls_in_reasoning,
    coerce_value,
    content_of,
    make_call,
    schema_props,
    split_think,
    tojson,
)
from agentgym.errors import ParseError
from agentgym.types import Message

_CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.S)
_ARG = re.compile(r"<arg_key>(.*?)</arg_key>\s*<arg_value>(.*?)</arg_value>", re.S)


class GLM46(ChatFormat):
    name = "glm-4.6"
    revision = "2025-09"
    reference = "zai-org/GLM-4.6"
    source = "llama.cpp models/templates/GLM-4.6.jinja (1920345c, 2025-11-18)"
    eos_token = "<|endoftext|>"
    end_of_turn = ""  # the turn ends at the next role token (<|user|> / <|observation|>)
    stop_strings = ("<|user|>", "<|observation|>", "<|endoftext|>")
    special_tokens = (
        "[gMASK]",
        "<sop>",
        "<|system|>",
        "<|user|>",
        "<|assistant|>",
        "<|observation|>",
        "<|endoftext|>",
        "<think>",
        "</think>",
        "<tool_call>",
        "</tool_call>",
        "<arg_key>",
        "</arg_key>",
        "<arg_value>",
        "</arg_value>",
        "<tool_response>",
        "</tool_response>",
    )
    family_options: ClassVar[dict[str, str]] = {
        "enable_thinking": "True (default) or False: appends /nothink and an empty think block."
    }

    def tools_declaration(self, tools, date, options):
        return (
            "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            + "".join(tojson(t) + "\n" for t in tools)
            + "</tools>\n\nFor each function call, output the function name and arguments within the "
            "following XML format:\n<tool_call>{function-name}\n<arg_key>{arg-key-1}</arg_key>\n"
            "<arg_value>{arg-value-1}</arg_value>\n<arg_key>{arg-key-2}</arg_key>\n<arg_value>"
            "{arg-value-2}</arg_value>\n...\n</tool_call>"
        )

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        no_think = options.get("enable_thinking", True) is False
        segs = []
        if start == 0:
            head = "[gMASK]<sop>"
            if tools:
                head += "<|system|>\n" + self.tools_declaration(tools, date, options)
            segs.append(Segment(head, "text", -1))
        last_user = -1
        for i in range(len(messages) - 1, -1, -1):
            if messages[i].role == "user":
                last_user = i
                break
        if options.get("reasoning") == "keep":
            last_user = -1
        for i in range(start, len(messages)):
            m = messages[i]
            if m.role == "user":
                c = content_of(m)
                suffix = "/nothink" if no_think and not c.endswith("/nothink") else ""
                segs.append(Segment(f"<|user|>\n{c}{suffix}", "text", i))
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
                if i > last_user and reasoning:
                    body = "\n<think>" + reasoning.strip() + "</think>"
                else:
                    body = "\n<think></think>"
                if content.strip():
                    body += "\n" + content.strip()
                for c in m.tool_calls:
                    body += "\n<tool_call>" + c.name + "\n"
                    for k, v in c.arguments.items():
                        body += f"<arg_key>{k}</arg_key>\n<arg_value>{v if isinstance(v, str) else tojson(v)}</arg_value>\n"
                    body += "</tool_call>"
                segs += [Segment("<|assistant|>", "header", i), Segment(body, "body", i)]
            elif m.role == "tool":
                text = "<|observation|>" if i == 0 or messages[i - 1].role != "tool" else ""
                segs.append(
                    Segment(
                        text + f"\n<tool_response>\n{content_of(m)}\n</tool_response>", "text", i
                    )
                )
            elif m.role == "system":
                segs.append(Segment(f"<|system|>\n{content_of(m)}", "text", i))
        if add_generation_prompt:
            segs.append(
                Segment(
                    "<|assistant|>" + ("\n<think></think>" if no_think else ""),
                    "gen",
                    len(messages),
                )
            )
        return segs

    def _parse(self, completion, tools):
        text = completion
        for stop in self.stop_strings:
            if text.endswith(stop):
                text = text[: -len(stop)]
        reasoning, rest = split_think(text)
        check_no_calls_in_reasoning(reasoning, ["<tool_call>"], completion)
        if reasoning is not None:
            reasoning = reasoning.strip()
        first = rest.find("<tool_call>")
        if first < 0:
            return Message(role="assistant", content=rest.strip(), reasoning=reasoning or None)
        content, calls_text = rest[:first], rest[first:]
        calls = []
        for match in _CALL.finditer(calls_text):
            inner = match.group(1)
            name = inner.split("<arg_key>", 1)[0].strip()
            props = schema_props(tools, name)
            args = {
                k.strip(): coerce_value(v, props.get(k.strip())) for k, v in _ARG.findall(inner)
            }
            if _ARG.sub("", inner.split("\n", 1)[1] if "\n" in inner else "").strip():
                raise ParseError(
                    f"malformed arguments in the call to {name!r}; write <arg_key>KEY</arg_key>\\n"
                    "<arg_value>VALUE</arg_value> pairs.",
                    raw=completion,
                )
            calls.append(make_call(name, args, completion))
        if not calls or _CALL.sub("", calls_text).strip():
            raise ParseError(
                "a tool call is malformed or not closed; write <tool_call>NAME\\n<arg_key>KEY</arg_key>\\n"
                "<arg_value>VALUE</arg_value>\\n</tool_call>.",
                raw=completion,
            )
        return Message(
            role="assistant", content=content.strip(), reasoning=reasoning or None, tool_calls=calls
        )
