"""Llama 3.1 and 3.2 Instruct: header tokens, JSON tool calls, tools in the first user turn."""

from __future__ import annotations

import datetime as dt
import json
from typing import ClassVar

from agentgym.chat.base import (
    ChatFormat,
    Segment,
    args_value,
    content_of,
    loads_json,
    make_call,
    tojson,
)
from agentgym.errors import ChatFormatError, ParseError
from agentgym.types import Message

BOT, EOT, EOM = "<|begin_of_text|>", "<|eot_id|>", "<|eom_id|>"
SH, EH = "<|start_header_id|>", "<|end_header_id|>"
PYTHON_TAG = "<|python_tag|>"


def _header(role: str) -> str:
    return f"{SH}{role}{EH}\n\n"


class Llama31(ChatFormat):
    name = "llama3.1"
    revision = "2024-07"
    reference = "meta-llama/Llama-3.1-8B-Instruct"
    source = (
        "llama.cpp models/templates/meta-llama-Llama-3.1-8B-Instruct.jinja (8b576b6c); same "
        "text as meta-llama-Llama-3.3-70B-Instruct.jinja"
    )
    bos_token = BOT
    eos_token = EOT
    end_of_turn = EOT
    stop_strings = (EOT, EOM, "<|end_of_text|>")
    special_tokens = (BOT, "<|end_of_text|>", SH, EH, EOT, EOM, PYTHON_TAG)
    family_options: ClassVar[dict[str, str]] = {
        "tools_in_user_message": "True (default): tool definitions go in the first user turn; "
        "False: in the system turn.",
    }
    fixed_default_date = True  # 3.1 prints "26 Jul 2024" unless a date is given
    handles_tools_option = True  # tools='user' is the template's own tools_in_user_message

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        in_user = options.get("tools_in_user_message", True)
        if options.get("tools_placement", "native") == "user":
            in_user = True
        offset = 1 if messages and messages[0].role == "system" else 0
        if in_user and tools is not None and len(messages) <= offset:
            raise ChatFormatError(
                "Cannot put tools in the first user message when there's no first user message! "
                "Add a user message or pass tools_in_user_message=False."
            )
        first = offset + (1 if in_user and tools is not None else 0)
        if start >= max(first, 1):  # the preamble (with the first user turn) is all earlier
            segs = self._turns(messages, start)
        else:
            segs = self._preamble(messages, tools, date, in_user) + self._turns(messages, first)
        if add_generation_prompt:
            segs.append(Segment(_header("assistant"), "gen", len(messages)))
        return segs

    def _preamble(self, messages, tools, date, in_user) -> list[Segment]:
        if date is None and self.fixed_default_date:
            date_string = "26 Jul 2024"
        else:
            date_string = (date or dt.date.today()).strftime("%d %b %Y")
        segs = [Segment(BOT, "text", -1)]
        offset = 0
        system_message = ""
        if messages and messages[0].role == "system":
            system_message = content_of(messages[0]).strip()
            offset = 1
        text = _header("system")
        if tools is not None:
            text += "Environment: ipython\n"
        text += f"Cutting Knowledge Date: December 2023\nToday Date: {date_string}\n\n"
        tool_text = "".join(
            json.dumps(t, indent=4, ensure_ascii=False) + "\n\n" for t in tools or []
        )
        respond = (
            'Respond in the format {"name": function name, "parameters": dictionary of argument name and '
            "its value}.Do not use variables.\n\n"
        )
        if tools is not None and not in_user:
            text += (
                "You have access to the following functions. To call a function, please respond with JSON "
                "for a function call." + respond + tool_text
            )
        text += system_message + EOT
        segs.append(Segment(text, "text", 0 if offset else -1))
        if in_user and tools is not None:
            first = content_of(messages[offset]).strip()
            segs.append(
                Segment(
                    _header("user")
                    + "Given the following functions, please respond with a JSON for a function "
                    "call with its proper arguments that best answers the given prompt.\n\n"
                    + respond
                    + tool_text
                    + first
                    + EOT,
                    "text",
                    offset,
                )
            )
        return segs

    def _turns(self, messages, begin: int) -> list[Segment]:
        segs: list[Segment] = []
        for i in range(begin, len(messages)):
            m = messages[i]
            if m.role == "tool":
                segs.append(Segment(_header("ipython") + tojson(content_of(m)) + EOT, "text", i))
            elif m.tool_calls:
                if len(m.tool_calls) != 1:
                    raise ChatFormatError(
                        f"{self.name} supports only one tool call per assistant message (message {i} has "
                        f"{len(m.tool_calls)}); split parallel calls into separate turns."
                    )
                call = m.tool_calls[0]
                body = f'{{"name": "{call.name}", "parameters": {tojson(args_value(call))}}}'
                segs += [Segment(_header("assistant"), "header", i), Segment(body + EOT, "body", i)]
            elif m.role == "assistant":
                segs += [
                    Segment(_header("assistant"), "header", i),
                    Segment(content_of(m).strip() + EOT, "body", i),
                ]
            else:
                segs.append(Segment(_header(m.role) + content_of(m).strip() + EOT, "text", i))
        return segs

    def _parse(self, completion, tools):
        text = completion
        for end in (EOT, EOM):
            if text.endswith(end):
                text = text[: -len(end)]
        stripped = text.strip()
        tagged = stripped.startswith(PYTHON_TAG)
        if tagged:
            stripped = stripped[len(PYTHON_TAG) :].strip()
        # As vLLM's llama3_json parser: text that opens with "{" is a call attempt (here when it
        # names one: "name" or "parameters" in it), so a broken call is a ParseError, not text.
        attempt = stripped.startswith("{") and ("name" in stripped or "parameters" in stripped)
        if tagged or attempt:
            obj = loads_json(stripped, "the tool call", completion)
            if not isinstance(obj, dict) or "name" not in obj:
                raise ParseError(
                    'a tool call must be {"name": function name, "parameters": {...}}.',
                    raw=completion,
                )
            args = obj.get("parameters", obj.get("arguments", {}))
            return Message(
                role="assistant", content="", tool_calls=[make_call(obj["name"], args, completion)]
            )
        return Message(role="assistant", content=text.strip())


class Llama32(Llama31):
    name = "llama3.2"
    revision = "2024-09"
    reference = "meta-llama/Llama-3.2-3B-Instruct"
    source = "llama.cpp models/templates/meta-llama-Llama-3.2-3B-Instruct.jinja (8b576b6c)"
    fixed_default_date = False  # prints today's date
