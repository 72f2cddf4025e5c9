"""DeepSeek-V3.1: fullwidth-bar special tokens, </think> prefill in non-thinking mode, tool-call blocks."""

from __future__ import annotations

import re
from typing import ClassVar

from agentgym.chat.base import (
    ChatFormat,
    Segment,
    args_verbatim,
    content_of,
    loads_json,
    make_call,
    split_think,
)
from agentgym.errors import ParseError
from agentgym.types import Message

BOS, EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
USER, ASSISTANT = "<｜User｜>", "<｜Assistant｜>"
CALLS_B, CALLS_E = "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>"
CALL_B, SEP, CALL_E = "<｜tool▁call▁begin｜>", "<｜tool▁sep｜>", "<｜tool▁call▁end｜>"
OUT_B, OUT_E = "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>"
_CALL = re.compile(
    re.escape(CALL_B) + r"(.*?)" + re.escape(SEP) + r"(.*?)" + re.escape(CALL_E), re.S
)


class DeepSeekV31(ChatFormat):
    name = "deepseek-v3.1"
    revision = "2025-08"
    reference = "deepseek-ai/DeepSeek-V3.1"
    source = "llama.cpp models/templates/deepseek-ai-DeepSeek-V3.1.jinja (88021565, 2025-09-08)"
    bos_token = BOS
    eos_token = EOS
    end_of_turn = EOS
    stop_strings = (EOS,)
    special_tokens = (
        BOS,
        EOS,
        USER,
        ASSISTANT,
        "<think>",
        "</think>",
        CALLS_B,
        CALLS_E,
        CALL_B,
        SEP,
        CALL_E,
        OUT_B,
        OUT_E,
    )
    family_options: ClassVar[dict[str, str]] = {
        "thinking": "False (default) or True: the generation prompt opens <think>."
    }

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        thinking = bool(options.get("thinking", False))
        segs = []
        if start == 0:
            system = "\n\n".join(content_of(m) for m in messages if m.role == "system")
            segs.append(Segment(BOS + system, "text", -1))
        last_user = is_tool = False
        for i, m in enumerate(messages):
            if i < start:  # earlier turns: only the state the template carries along
                if m.role in ("user", "assistant", "tool"):
                    last_user, is_tool = m.role == "user", m.role == "tool"
                continue
            if m.role == "user":
                is_tool, last_user = False, True
                segs.append(Segment(USER + content_of(m), "text", i))
            elif m.role == "assistant" and m.tool_calls:
                head = ASSISTANT + "</think>" if last_user else ""
                last_user = is_tool = False
                body = content_of(m) + CALLS_B
                body += "".join(
                    f"{CALL_B}{c.name}{SEP}{args_verbatim(c)}{CALL_E}" for c in m.tool_calls
                )
                segs += [Segment(head, "header", i), Segment(body + CALLS_E + EOS, "body", i)]
            elif m.role == "assistant":
                head = ASSISTANT + "</think>" if last_user else ""
                last_user = False
                content = content_of(m)
                if is_tool:
                    is_tool = False
                elif "</think>" in content:
                    content = content.split("</think>", 1)[1]
                segs += [Segment(head, "header", i), Segment(content + EOS, "body", i)]
            elif m.role == "tool":
                last_user, is_tool = False, True
                segs.append(Segment(OUT_B + content_of(m) + OUT_E, "text", i))
        if add_generation_prompt and last_user and not is_tool:
            segs.append(
                Segment(ASSISTANT + ("<think>" if thinking else "</think>"), "gen", len(messages))
            )
        return segs

    def _parse_with_options(self, completion, tools, options):
        if options.get("thinking"):
            # The prompt opened <think>: everything up to </think> is reasoning, and a
            # completion without </think> stopped inside it (cut off at the token limit).
            text = completion[: -len(EOS)] if completion.endswith(EOS) else completion
            if "</think>" not in text:
                raise ParseError(
                    "the thinking block is not closed: the completion ended inside it (cut off?); "
                    "close it with </think>, then answer or call a tool.",
                    raw=completion,
                )
        return self._parse(completion, tools)

    def _parse(self, completion, tools):
        text = completion[: -len(EOS)] if completion.endswith(EOS) else completion
        reasoning, rest = split_think(text)
        if reasoning is not None and CALLS_B in reasoning:
            raise ParseError(
                "a tool call appears inside the thinking block; close </think> first.",
                raw=completion,
            )
        if CALLS_B not in rest:
            if CALL_B in rest:
                raise ParseError(
                    f"tool calls must be inside {CALLS_B} ... {CALLS_E}.", raw=completion
                )
            return Message(role="assistant", content=rest, reasoning=reasoning or None)
        content, _, block = rest.partition(CALLS_B)
        if CALLS_E not in block:
            raise ParseError(
                f"the tool-call block is not closed; end it with {CALLS_E}.", raw=completion
            )
        block, _, after = block.partition(CALLS_E)
        calls = [
            make_call(
                name, loads_json(args, f"the arguments of {name.strip()!r}", completion), completion
            )
            for name, args in _CALL.findall(block)
        ]
        if not calls or _CALL.sub("", block).strip() or after.strip():
            raise ParseError(
                f"malformed tool call; write {CALL_B}NAME{SEP}{{json}}{CALL_E} inside {CALLS_B} ... {CALLS_E}.",
                raw=completion,
            )
        return Message(
            role="assistant", content=content, reasoning=reasoning or None, tool_calls=calls
        )
