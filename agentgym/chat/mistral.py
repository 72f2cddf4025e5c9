"""Mistral Nemo Instruct 2407: [INST] turns, [AVAILABLE_TOOLS] before the last user turn, [TOOL_CALLS]."""

from __future__ import annotations

import re

from agentgym.chat.base import (
    ChatFormat,
    Segment,
    args_value,
    content_of,
    loads_json,
    make_call,
    stable_call_id,
    tojson,
)
from agentgym.errors import ChatFormatError, ParseError
from agentgym.types import Message

_ID = re.compile(r"^[A-Za-z0-9]{9}$")


class MistralNemo(ChatFormat):
    name = "mistral"
    revision = "2024-07"
    reference = "mistralai/Mistral-Nemo-Instruct-2407"
    source = "llama.cpp models/templates/mistralai-Mistral-Nemo-Instruct-2407.jinja (8b576b6c)"
    bos_token = "<s>"
    eos_token = "</s>"
    end_of_turn = "</s>"
    stop_strings = ("</s>",)
    special_tokens = (
        "<s>",
        "</s>",
        "[INST]",
        "[/INST]",
        "[AVAILABLE_TOOLS]",
        "[/AVAILABLE_TOOLS]",
        "[TOOL_CALLS]",
        "[TOOL_RESULTS]",
        "[/TOOL_RESULTS]",
    )

    @staticmethod
    def _check_id(call_id: str | None) -> str:
        if call_id is None or len(call_id) != 9:
            raise ChatFormatError(
                "Tool call IDs should be alphanumeric strings with length 9! (Mistral's template requires "
                f"it; got {call_id!r})"
            )
        return call_id

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        system = None
        loop = messages
        offset = 0
        if messages and messages[0].role == "system":
            system, loop, offset = content_of(messages[0]), messages[1:], 1
        last_user = max((j for j, m in enumerate(loop) if m.role == "user"), default=-1)
        n = 0
        for m in loop:
            if not (m.role == "tool" or m.tool_calls):
                if (m.role == "user") != (n % 2 == 0):
                    raise ChatFormatError(
                        "After the optional system message, conversation roles must alternate "
                        "user/assistant/user/assistant/... (Mistral's template rejects this conversation)"
                    )
                n += 1
        segs = [Segment(self.bos_token, "text", -1)] if start == 0 else []
        for j in range(max(start - offset, 0), len(loop)):
            m = loop[j]
            i = j + offset
            if m.role == "user":
                text = ""
                if tools is not None and (j == last_user or m == loop[last_user]):
                    parts = []
                    for t in tools:
                        fn = t["function"]
                        items = [
                            f'"{k}": "{v}"' if isinstance(v, str) else f'"{k}": {tojson(v)}'
                            for k, v in fn.items()
                            if k != "return"
                        ]
                        parts.append('{"type": "function", "function": {' + ", ".join(items) + "}}")
                    text += (
                        "[AVAILABLE_TOOLS]["
                        + ", ".join(parts)
                        + ("]" if parts else "")
                        + "[/AVAILABLE_TOOLS]"
                    )
                if j == len(loop) - 1 and system is not None:
                    text += f"[INST]{system}\n\n{content_of(m)}[/INST]"
                else:
                    text += f"[INST]{content_of(m)}[/INST]"
                segs.append(Segment(text, "text", i))
            elif m.tool_calls:
                calls = []
                for c in m.tool_calls:
                    fn = tojson({"name": c.name, "arguments": args_value(c)})
                    calls.append(fn[:-1] + f', "id": "{self._check_id(c.id)}"}}')
                segs.append(
                    Segment("[TOOL_CALLS][" + ", ".join(calls) + "]" + self.eos_token, "body", i)
                )
            elif m.role == "assistant":
                segs.append(Segment(content_of(m) + self.eos_token, "body", i))
            elif m.role == "tool":
                text = f'[TOOL_RESULTS]{{"content": {content_of(m)}, "call_id": "{self._check_id(m.tool_call_id)}"}}[/TOOL_RESULTS]'
                segs.append(Segment(text, "text", i))
            else:
                raise ChatFormatError(
                    "Only user and assistant roles are supported, with the exception of an initial optional "
                    "system message! (use system='fold' to move a later system message)"
                )
        return segs  # the template has no generation prompt

    def _parse(self, completion, tools):
        text = completion[: -len("</s>")] if completion.endswith("</s>") else completion
        if "[TOOL_CALLS]" not in text:
            return Message(role="assistant", content=text)
        content, _, payload = text.partition("[TOOL_CALLS]")
        items = loads_json(payload.strip(), "the [TOOL_CALLS] list", completion)
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise ParseError(
                '[TOOL_CALLS] must be followed by a JSON list of {"name", "arguments"}.',
                raw=completion,
            )
        calls = []
        for n, item in enumerate(items):
            if not isinstance(item, dict) or "name" not in item:
                raise ParseError(
                    'each tool call must be {"name": ..., "arguments": {...}}.', raw=completion
                )
            call_id = item.get("id")
            if not (isinstance(call_id, str) and _ID.match(call_id)):
                call_id = stable_call_id(completion, str(n))
            calls.append(make_call(item["name"], item.get("arguments", {}), completion, call_id))
        return Message(role="assistant", content=content or None, tool_calls=calls)
