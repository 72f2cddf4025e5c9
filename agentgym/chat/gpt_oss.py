"""gpt-oss (harmony): system/developer messages, analysis/commentary/final channels, TypeScript tools."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

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

S, M, E, C, CALL, RET = (
    "<|start|>",
    "<|message|>",
    "<|end|>",
    "<|channel|>",
    "<|call|>",
    "<|return|>",
)
# One message header, between the message start and <|message|>: the recipient may stand in
# the role part (" to=functions.x<|channel|>commentary") or after the channel; the content
# type may be "json", "<|constrain|>json" or "code".
_HEADER = re.compile(
    r"\s*(?:to=(?P<to1>[^\s<]*)\s*)?<\|channel\|>(?P<channel>[^\s<]*)"
    r"(?:\s+to=(?P<to2>[^\s<]*))?\s*(?:<\|constrain\|>)?\s*(?P<ctype>[\w.-]*)\s*",
    re.S,
)
_ENDS = ("<|end|>", "<|call|>", "<|return|>")
_MARKERS = (
    "<|start|>",
    "<|message|>",
    "<|end|>",
    "<|channel|>",
    "<|call|>",
    "<|return|>",
    "<|constrain|>",
    "to=functions.",
)
_CALL_FORM = (
    "<|start|>assistant to=functions.NAME<|channel|>commentary json<|message|>{...}<|call|>"
)


def _ts_type(spec: dict[str, Any]) -> str:
    """The TypeScript type the harmony template prints for a JSON schema (common cases)."""
    t = spec.get("type")
    nullable = " | null" if spec.get("nullable") else ""
    if t == "array":
        items = spec.get("items")
        if not items:
            return "any[]" + nullable
        it = items.get("type")
        if it in ("string", "number", "integer", "boolean"):
            return ("number" if it == "integer" else it) + "[]" + nullable
        inner = _ts_type(items)
        return (
            "any[]" if inner == "object | object" or len(inner) > 50 else inner + "[]"
        ) + nullable
    if isinstance(t, list) and t:
        return " | ".join(t) if len(t) > 1 else t[0]
    if spec.get("oneOf"):
        variants = spec["oneOf"]
        if len(variants) > 1 and any(v.get("type") == "object" for v in variants):
            return "any"
        return " | ".join(
            _ts_type(v) for v in variants
        )  # descriptions/defaults of variants not rendered
    if t == "string":
        if spec.get("enum"):
            return '"' + '" | "'.join(spec["enum"]) + '"'
        return "string" + nullable
    if t in ("number", "integer"):
        return "number"
    if t == "boolean":
        return "boolean"
    if t == "object":
        props = spec.get("properties")
        if not props:
            return "object"
        req = spec.get("required") or []
        parts = [
            name + ("" if name in req else "?") + ": " + "\n                " + _ts_type(p)
            for name, p in props.items()
        ]
        return "{\n" + ", ".join(parts) + "}"
    return "any"


def _namespace(tools: list[dict[str, Any]]) -> str:
    text = "## functions\n\nnamespace functions {\n\n"
    for tool in tools:
        fn = tool["function"]
        text += "// " + fn.get("description", "") + "\ntype " + fn["name"] + " = "
        params = fn.get("parameters") or {}
        if params.get("properties"):
            text += "(_: {\n"
            req = params.get("required") or []
            for pname, spec in params["properties"].items():
                if spec.get("description"):
                    text += "// " + spec["description"] + "\n"
                text += pname + ("" if pname in req else "?") + ": " + _ts_type(spec)
                if "default" in spec:
                    if spec.get("enum"):
                        text += ", // default: " + str(spec["default"])
                    elif spec.get("oneOf"):
                        text += "// default: " + str(spec["default"])
                    else:
                        text += ", // default: " + tojson(spec["default"])
                text += ",\n"
            text += "}) => any;\n\n"
        else:
            text += "() => any;\n\n"
    return text + "} // namespace functions"


class GptOss(ChatFormat):
    name = "gpt-oss"
    revision = "2025-08"
    reference = "openai/gpt-oss-120b"
    source = "llama.cpp models/templates/openai-gpt-oss-120b.jinja (b204a5a2, 2025-08-14)"
    eos_token = RET
    end_of_turn = RET  # <|call|> ends a tool-call turn; <|end|> is used when re-rendering history
    stop_strings = (RET, CALL, "<|endoftext|>")
    special_tokens = (S, M, E, C, CALL, RET, "<|constrain|>", "<|endoftext|>")
    family_options: ClassVar[dict[str, str]] = {
        "reasoning_effort": "'low' | 'medium' (default) | 'high', printed in the system message.",
        "model_identity": "the first line of the system message.",
    }

    def tools_declaration(self, tools, date, options):
        return "# Tools\n\n" + _namespace(tools)

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        loop, offset = messages, 0
        if messages and messages[0].role == "system":
            loop, offset = messages[1:], 1
        segs = [] if start > 0 else self._preamble(messages, tools, date, options)
        last_call: str | None = None
        begin = max(start - offset, 0)
        for j in range(begin):  # earlier turns: only the state the template carries along
            m = loop[j]
            if m.role == "assistant":
                if m.tool_calls:
                    last_call = m.tool_calls[0].name
                elif not (j == len(loop) - 1 and not add_generation_prompt):
                    last_call = None
        for j in range(begin, len(loop)):
            m = loop[j]
            i = j + offset
            if m.role == "assistant":
                content, thinking = content_of(m), m.reasoning
                for field in (content, thinking or ""):
                    if f"{C}analysis{M}" in field or f"{C}final{M}" in field:
                        raise ChatFormatError(
                            "an assistant message contains <|channel|> tags; pass the analysis text as reasoning "
                            "and the final text as content."
                        )
                if len(m.tool_calls) > 1:
                    raise ChatFormatError(
                        f"gpt-oss renders one tool call per assistant turn (message {i} has "
                        f"{len(m.tool_calls)}; the publisher's template keeps the first and drops "
                        "the others without a word); split parallel calls into separate turns."
                    )
                if m.tool_calls:
                    future_final = any(
                        f.role == "assistant" and not f.tool_calls for f in loop[j + 1 :]
                    )
                    call = m.tool_calls[0]
                    body = ""
                    if m.content and thinking:
                        raise ChatFormatError(
                            "Cannot pass both content and thinking in an assistant message with tool calls! Put "
                            "the analysis message in one or the other, but not both."
                        )
                    if m.content and not future_final:
                        body += f"{S}assistant{C}analysis{M}{content}{E}"
                    elif thinking and not future_final:
                        body += f"{S}assistant{C}analysis{M}{thinking}{E}"
                    body += f"{S}assistant to=functions.{call.name}{C}commentary json{M}{tojson(args_value(call))}{CALL}"
                    last_call = call.name
                elif j == len(loop) - 1 and not add_generation_prompt:
                    body = (
                        f"{S}assistant{C}analysis{M}{thinking}{E}" if thinking is not None else ""
                    )
                    body += f"{S}assistant{C}final{M}{content}{RET}"
                else:
                    body = f"{S}assistant{C}final{M}{content}{E}"
                    last_call = None
                head = f"{S}assistant"
                if body.startswith(head):
                    segs += [Segment(head, "header", i), Segment(body[len(head) :], "body", i)]
                else:
                    segs.append(Segment(body, "body", i))
            elif m.role == "tool":
                if last_call is None:
                    raise ChatFormatError(
                        "Message has tool role, but there was no previous assistant message with a tool call!"
                    )
                text = f"{S}functions.{last_call} to=assistant{C}commentary{M}{tojson(content_of(m))}{E}"
                segs.append(Segment(text, "text", i))
            elif m.role == "user":
                segs.append(Segment(f"{S}user{M}{content_of(m)}{E}", "text", i))
        if add_generation_prompt:
            segs.append(Segment(f"{S}assistant", "gen", len(messages)))
        return segs

    def _preamble(self, messages, tools, date, options) -> list[Segment]:
        identity = options.get(
            "model_identity", "You are ChatGPT, a large language model trained by OpenAI."
        )
        system = (
            f"{S}system{M}{identity}\nKnowledge cutoff: 2024-06\n"
            f"Current date: {(date or dt.date.today()).strftime('%Y-%m-%d')}\n\n"
            f"Reasoning: {options.get('reasoning_effort', 'medium')}\n\n"
            "# Valid channels: analysis, commentary, final. Channel must be included for every message."
        )
        if tools:
            system += "\nCalls to these tools must go to the commentary channel: 'functions'."
        segs = [Segment(system + E, "text", -1)]
        has_system = bool(messages) and messages[0].role == "system"
        developer = content_of(messages[0]) if has_system else ""
        if developer or tools:
            text = f"{S}developer{M}"
            if developer:
                text += "# Instructions\n\n" + developer + "\n\n"
            if tools:
                text += "# Tools\n\n" + _namespace(tools)
            segs.append(Segment(text + E, "text", 0 if has_system else -1))
        return segs

    def _parse(self, completion, tools):
        if not any(mk in completion for mk in _MARKERS):
            return Message(role="assistant", content=completion)  # no harmony framing at all
        reasoning: list[str] = []
        finals: list[str] = []
        calls = []
        text, pos = completion, 0
        while True:
            if text.startswith(f"{S}assistant", pos):
                pos += len(f"{S}assistant")
            rest = text[pos:]
            if not rest.strip():
                break
            at = rest.find(M)
            if at < 0:
                raise ParseError(
                    f"the message header {rest[:60]!r} is cut off or malformed; every message is "
                    "<|channel|>NAME<|message|>TEXT<|end|>, a tool call " + _CALL_FORM + ".",
                    raw=completion,
                )
            header = _HEADER.fullmatch(rest[:at])
            if header is None:
                raise ParseError(
                    f"malformed message header {rest[:at][:80]!r}; write <|channel|>analysis, "
                    "<|channel|>final or, for a tool call, " + _CALL_FORM + ".",
                    raw=completion,
                )
            body_start = pos + at + len(M)
            ends = [(i, e) for e in _ENDS if (i := text.find(e, body_start)) >= 0]
            end_at, end = min(ends) if ends else (len(text), "")
            body = text[body_start:end_at]
            pos = end_at + len(end)
            channel = header.group("channel")
            recipient = header.group("to1") or header.group("to2")
            if recipient is not None:
                if not recipient.startswith("functions.") or recipient == "functions.":
                    raise ParseError(
                        f"unknown recipient {('to=' + recipient)[:60]!r}; call a tool as "
                        + _CALL_FORM
                        + ".",
                        raw=completion,
                    )
                name = recipient[len("functions.") :]
                if channel != "commentary":
                    raise ParseError(
                        f"the call to functions.{name} was sent on the {channel!r} channel; "
                        "function calls go on the commentary channel: " + _CALL_FORM + ".",
                        raw=completion,
                    )
                if end == RET:
                    raise ParseError("a tool call must end with <|call|>.", raw=completion)
                if calls:
                    raise ParseError(
                        "one tool call per turn: the turn ends with the first call's <|call|>; "
                        "make the next call after its result.",
                        raw=completion,
                    )
                args = loads_json(
                    body.strip() or "{}", f"the arguments of functions.{name}", completion
                )
                calls.append(make_call(name, args, completion))
            elif end == CALL:
                raise ParseError(
                    f"a {channel!r} message ends with <|call|> but names no tool; a tool call is "
                    + _CALL_FORM
                    + ".",
                    raw=completion,
                )
            elif channel == "analysis":
                reasoning.append(body)
            elif channel in ("final", "commentary"):
                finals.append(body)
            else:
                raise ParseError(
                    f"unknown channel {channel[:40]!r}; use analysis, commentary or final.",
                    raw=completion,
                )
            if pos < len(text) and not text.startswith(S, pos) and text[pos:].strip():
                raise ParseError(
                    f"unexpected text after a message: {text[pos:][:80]!r}; start the next "
                    "message with <|start|>assistant.",
                    raw=completion,
                )
        return Message(
            role="assistant",
            content="".join(finals),
            reasoning="".join(reasoning) if reasoning else None,
            tool_calls=calls,
        )
