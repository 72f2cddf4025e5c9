"""Kimi K2 Instruct: <|im_user|>/<|im_assistant|>/<|im_system|> markers, tool-call sections with ids."""

from __future__ import annotations

import json
import re
from typing import Any

from agentgym.chat.base import (
    ChatFormat,
    Segment,
    args_value,
    args_verbatim,
    content_of,
    loads_json,
    make_call,
    tojson,
)
from agentgym.errors import ParseError
from agentgym.types import Message

SEC_B, SEC_E = "<|tool_calls_section_begin|>", "<|tool_calls_section_end|>"
CALL_B, ARG_B, CALL_E = "<|tool_call_begin|>", "<|tool_call_argument_begin|>", "<|tool_call_end|>"
_CALL = re.compile(
    r"<\|tool_call_begin\|>(.*?)<\|tool_call_argument_begin\|>(.*?)<\|tool_call_end\|>", re.S
)
_ID = re.compile(r"^(?:functions\.)?(?P<name>[^:\s]+):(?P<idx>\d+)$")
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


def kimi_call_ids(messages: list[Message], per_message: bool = False) -> dict[str, str]:
    """Each call id -> the id Kimi's template shows: ``functions.NAME:IDX``.

    Kimi K2 was trained on the ids its API hands out, ``functions.NAME:IDX`` with IDX
    counting the conversation's calls from 0; the templates print ``tool_call['id']`` as
    given, so an id in another shape (``call_abc``, a uuid) would hide the function name.
    Ids already in that shape for the call's own name are kept; others get the
    conversation's count (``per_message``: the call's index in its message, as the July
    2025 template numbers them).
    """
    ids: dict[str, str] = {}
    n = 0
    for m in messages:
        if per_message:
            n = 0
        for c in m.tool_calls:
            match = _ID.match(c.id or "")
            ok = (
                match is not None
                and match.group("name") == c.name
                and c.id.startswith("functions.")
            )
            ids.setdefault(c.id, c.id if ok and not per_message else f"functions.{c.name}:{n}")
            n += 1
    return ids


def parse_kimi_section(text: str, completion: str) -> Message:
    """Content + ``<|tool_calls_section_begin|>`` section (ids ``functions.NAME:IDX``)."""
    if SEC_B not in text:
        if CALL_B in text or SEC_E in text:
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
        match = _ID.match(call_id)
        if not match:
            raise ParseError(
                f"tool call id {call_id[:60]!r} must be functions.NAME:IDX (e.g. "
                f"functions.bash:{n}): the name in it says which tool to call.",
                raw=completion,
            )
        obj = loads_json(args, f"the arguments of {call_id}", completion)
        calls.append(make_call(match.group("name"), obj, completion, call_id))
    if not calls or _CALL.sub("", section).strip() or after.strip():
        raise ParseError(
            f"malformed tool call; write {CALL_B}functions.NAME:IDX{ARG_B}{{json}}{CALL_E} inside the section.",
            raw=completion,
        )
    return Message(role="assistant", content=content, tool_calls=calls)


class KimiK2(ChatFormat):
    """Kimi K2 Instruct 0905 (released 2025-09-05): the tool declaration opens with a
    ``# Tools`` line and prints the tools with ``tojson``'s default separators, both indented
    by the template's own whitespace; tool results are indented by four spaces; no newline
    after the default system prompt. Roles, ids and arguments as in ``@2025-08``."""

    name = "kimi-k2"
    revision = "2025-09"
    reference = "moonshotai/Kimi-K2-Instruct-0905 chat_template.jinja (2025-09 release)"
    source = (
        "alibaba/rtp-llm rtp_llm/test/model_test/fake_test/testdata/kimi_k2/tokenizer/"
        "chat_template.jinja at be512b94 (2025-09-09); cross-read: llama.cpp PR #18851's test "
        "copy (unsloth's 0905 GGUF; adds a newline after system/tool headers) and a copy "
        "quoted in talimity/storyforge (1f221f7; no <|im_end|> after a final message)"
    )
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
    default_system = DEFAULT_SYSTEM + "<|im_end|>"
    per_message_ids = False

    def _declare(self, tools: list[dict[str, Any]]) -> str:
        body = tojson(_sorted_deep(tools))
        return f"<|im_system|>tool_declare<|im_middle|>\n  # Tools\n  {body}<|im_end|>"

    def _role(self, m: Message) -> str:
        return m.name or m.role

    def _call_text(self, call_id: str, call: Any) -> str:
        return f"{CALL_B}{call_id}{ARG_B}{args_verbatim(call)}{CALL_E}"

    def _result_text(self, call_id: str | None, content: str) -> str:
        return f"## Return of {call_id}\n    {content}"

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        segs = []
        ids = kimi_call_ids(messages, self.per_message_ids)
        if tools and start == 0:
            segs.append(Segment(self._declare(tools), "text", -1))
        for i in range(start, len(messages)):
            m = messages[i]
            if i == 0 and m.role != "system":
                segs.append(
                    Segment(f"<|im_system|>system<|im_middle|>{self.default_system}", "text", -1)
                )
            role = self._role(m)
            if m.role == "assistant":
                body = content_of(m)
                if m.tool_calls:
                    body += SEC_B
                    body += "".join(self._call_text(ids[c.id], c) for c in m.tool_calls)
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
                call_id = ids.get(m.tool_call_id or "", m.tool_call_id)
                text = f"<|im_system|>{role}<|im_middle|>{self._result_text(call_id, content_of(m))}<|im_end|>"
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
        return parse_kimi_section(text, completion)


class KimiK2202508(KimiK2):
    """Kimi K2 Instruct, template of 2025-08 (``chat_template.jinja`` added 2025-08-11):
    compact, key-sorted tool declaration without a header, tool results unindented, a
    newline after the default system prompt."""

    revision = "2025-08"
    reference = "moonshotai/Kimi-K2-Instruct chat_template.jinja (2025-08-11 revision)"
    source = (
        "llama.cpp models/templates/Kimi-K2-Instruct.jinja (1920345c) with llama.cpp's id "
        "edits undone, as upstream Kimi-K2-Thinking prints ids (llama.cpp "
        "moonshotai-Kimi-K2-Thinking.jinja, 0c3c896e); compact tool declaration"
    )
    default_system = DEFAULT_SYSTEM + "<|im_end|>\n"

    def _declare(self, tools: list[dict[str, Any]]) -> str:
        return f"<|im_system|>tool_declare<|im_middle|>{declare_tools(tools)}<|im_end|>"

    def _result_text(self, call_id: str | None, content: str) -> str:
        return f"## Return of {call_id}\n{content}"


class KimiK2202507(KimiK2202508):
    """Kimi K2 Instruct as first released (2025-07-11): fixed role names, the template numbers
    the calls of each message itself (``functions.NAME:loop.index0``), passes arguments through
    ``tojson`` (a string argument is printed as a JSON string) and writes a literal backslash-n
    after ``## Return of ID``."""

    revision = "2025-07"
    reference = "moonshotai/Kimi-K2-Instruct tokenizer_config.json chat_template (2025-07 release)"
    source = (
        "llama.cpp models/templates/moonshotai-Kimi-K2.jinja at 4a4f4269 (PR #14654, 2025-07-15)"
    )
    default_system = "You are a helpful assistant<|im_end|>"
    per_message_ids = True

    def _declare(self, tools: list[dict[str, Any]]) -> str:
        return f"<|im_system|>tool_declare<|im_middle|>{tojson(_sorted_deep(tools))}<|im_end|>"

    def _role(self, m: Message) -> str:
        return m.role

    def _call_text(self, call_id: str, call: Any) -> str:
        return f"{CALL_B}{call_id}{ARG_B}{tojson(args_value(call))}{CALL_E}"

    def _result_text(self, call_id: str | None, content: str) -> str:
        return f"## Return of {call_id}\\n{content}"
