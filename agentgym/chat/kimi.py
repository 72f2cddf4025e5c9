"""Kimi K2 Instruct: <|im_user|>/<|im_assistant|>/<|im_system|> markers, tool-call sections with ids."""

from __future__ import annotations

import json
import re
from typing import Any

from agentgym.chat.base import (
    ChatFormat,
    Segment,
    args_verbatim,
    content_of,
    loads_json,
    make_call,
)
from agentgym.errors import ParseError
from agentgym.types import Message

SEC_B, SEC_E = "<|tool_calls_section_begin|>", "<|tool_calls_section_end|>"
CALL_B, ARG_B, CALL_E = "<|tool_call_begin|>", "<|tool_call_argument_begin|>", "<|tool_call_end|>"
_CALL = re.compile(
    r"<\|tool_call_begin\|>(.*?)<\|tool_call_argument_begin\|>(.*?)<\|tool_call_end\|>", re.S
)
_ID = re.compile(r"^(?:functions\.)?([^:]+?)(?::\d+)?$")
DEFAULT_SYSTEM = "You are Kimi, an AI assistant created by Moonshot AI."


def _sorted_deep(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _sorted_deep(v) for k, v in sorted(obj.items())}
    if isinstance(obj, list):
        return [_sorted_deep(v) for v in obj]
    return obj


def declare_tools(tools: list[dict[str, Any]]) -> str:
    """The ``tool_declare`` body: the OpenAI tool dicts as compact JSON (no spaces, non-ASCII
    kept), every mapping's keys sorted -- Kimi's tokenizer sorts the tools before its template
    prints them with ``separators=(',', ':')``."""
    return json.dumps(_sorted_deep(tools), ensure_ascii=False, separators=(",", ":"))


class KimiK2(ChatFormat):
    name = "kimi-k2"
    reference = "moonshotai/Kimi-K2-Instruct chat_template.jinja (2025-08-11 revision)"
    eos_token = "<|im_end|>"
    end_of_turn = "<|im_end|>"
    stop_strings = ("<|im_end|>",)
    special_tokens = (
        "<|im_user|>",
        "<|im_assistant|>",
        "<|im_system|>",
        "<|im_middle|>",
        "<|im_end|>",
        SEC_B,
        SEC_E,
        CALL_B,
        ARG_B,
        CALL_E,
    )

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        segs = []
        if tools and start == 0:
            segs.append(
                Segment(
                    f"<|im_system|>tool_declare<|im_middle|>{declare_tools(tools)}<|im_end|>",
                    "text",
                    -1,
                )
            )
        for i in range(start, len(messages)):
            m = messages[i]
            if i == 0 and m.role != "system":
                segs.append(
                    Segment(
                        f"<|im_system|>system<|im_middle|>{DEFAULT_SYSTEM}<|im_end|>\n",
                        "text",
                        -1,
                    )
                )
            role = m.name or m.role
            if m.role == "assistant":
                body = content_of(m)
                if m.tool_calls:
                    body += SEC_B
                    for c in m.tool_calls:
                        body += f"{CALL_B}{c.id}{ARG_B}{args_verbatim(c)}{CALL_E}"
                    body += SEC_E
                segs += [
                    Segment(f"<|im_assistant|>{role}<|im_middle|>", "header", i),
                    Segment(body + "<|im_end|>", "body", i),
                ]
            elif m.role == "user":
                segs.append(
                    Segment(f"<|im_user|>{role}<|im_middle|>{content_of(m)}<|im_end|>", "text", i)
                )
            elif m.role == "tool":
                text = f"<|im_system|>{role}<|im_middle|>## Return of {m.tool_call_id}\n{content_of(m)}<|im_end|>"
                segs.append(Segment(text, "text", i))
            else:
                segs.append(
                    Segment(f"<|im_system|>{role}<|im_middle|>{content_of(m)}<|im_end|>", "text", i)
                )
        if add_generation_prompt:
            segs.append(Segment("<|im_assistant|>assistant<|im_middle|>", "gen", len(messages)))
        return segs

    def _parse(self, completion, tools):
        text = completion[: -len("<|im_end|>")] if completion.endswith("<|im_end|>") else completion
        if SEC_B not in text:
            if CALL_B in text:
                raise ParseError(f"tool calls must be inside {SEC_B} ... {SEC_E}.", raw=completion)
            return Message(role="assistant", content=text)
        content, _, section = text.partition(SEC_B)
        if SEC_E not in section:
            raise ParseError(
                f"the tool-call section is not closed; end it with {SEC_E}.", raw=completion
            )
        section, _, after = section.partition(SEC_E)
        calls = []
        for n, (call_id, args) in enumerate(_CALL.findall(section)):
            call_id = call_id.strip()
            name_match = _ID.match(call_id)
            if not name_match:
                raise ParseError(
                    f"tool call id {call_id!r} should look like functions.NAME:{n}.", raw=completion
                )
            obj = loads_json(args, f"the arguments of {call_id}", completion)
            calls.append(make_call(name_match.group(1), obj, completion, call_id))
        if not calls or _CALL.sub("", section).strip() or after.strip():
            raise ParseError(
                f"malformed tool call; write {CALL_B}functions.NAME:IDX{ARG_B}{{json}}{CALL_E} inside the section.",
                raw=completion,
            )
        return Message(role="assistant", content=content, tool_calls=calls)
