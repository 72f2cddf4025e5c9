"""MiniMax-M2: ]~b] role markers, interleaved <think>, <minimax:tool_call> XML invokes."""

from __future__ import annotations

import re

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
from agentgym.errors import ChatFormatError, ParseError
from agentgym.types import Message

BEGIN, END = "<minimax:tool_call>", "</minimax:tool_call>"
EOT = "[e~["
_INVOKE = re.compile(r'<invoke name="([^"]*)">(.*?)</invoke>', re.S)
# A value ends at the "</parameter>" followed by the next parameter or the end of the invoke
# (so a value may itself contain "</parameter>").
_PARAM = re.compile(r'<parameter name="([^"]*)">(.*?)</parameter>\s*(?=<parameter name="|$)', re.S)


class MiniMaxM2(ChatFormat):
    name = "minimax-m2"
    revision = "2025-10"
    reference = "MiniMaxAI/MiniMax-M2"
    source = (
        "llama.cpp models/templates/MiniMax-M2.jinja (1920345c, 2025-11-18); the message "
        "layout agrees with llama.cpp's unsloth-MiniMax-M2.jinja"
    )
    eos_token = EOT
    end_of_turn = EOT
    stop_strings = (EOT,)
    special_tokens = ("]~!b[", "]~b]", EOT, "<think>", "</think>", BEGIN, END)

    def tools_declaration(self, tools, date, options):
        return (
            "# Tools\nYou may call one or more tools to assist with the user query.\n"
            "Here are the tools available in JSONSchema format:\n\n<tools>\n"
            + "".join(f"<tool>{tojson(t['function'])}</tool>\n" for t in tools)
            + "</tools>\n\nWhen making tool calls, use XML format to invoke tools and pass "
            f'parameters:\n\n{BEGIN}\n<invoke name="tool-name-1">\n<parameter name="param-key-1">'
            'param-value-1</parameter>\n<parameter name="param-key-2">param-value-2</parameter>\n'
            "...\n</invoke>\n" + END
        )

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        system = None
        conv = messages
        offset = 0
        if messages and messages[0].role == "system":
            system, conv, offset = messages[0], messages[1:], 1
        last_user = -1
        for j in range(len(conv) - 1, -1, -1):
            if conv[j].role == "user":
                last_user = j
                break
        if options.get("reasoning") == "keep":
            last_user = -1
        segs = []
        if start == 0:
            head = "]~!b[]~b]system\n"
            head += (
                content_of(system)
                if system is not None and system.content
                else "You are a helpful assistant."
            )
            if tools:
                head += "\n\n" + self.tools_declaration(tools, date, options)
            head += EOT + "\n"
            segs.append(Segment(head, "text", 0 if system is not None else -1))
        last_call: str | None = None
        begin = max(start - offset, 0)
        for m in conv[:begin]:  # earlier turns: only the state the template carries along
            if m.role == "assistant":
                last_call = m.tool_calls[-1].name if m.tool_calls else None
        for j in range(begin, len(conv)):
            m = conv[j]
            i = j + offset
            if m.role == "assistant":
                content = content_of(m)
                reasoning = ""
                if m.reasoning is not None:
                    reasoning = m.reasoning
                elif "</think>" in content:
                    reasoning = (
                        content.split("</think>")[0].strip("\n").split("<think>")[-1].strip("\n")
                    )
                    content = content.split("</think>")[-1].strip("\n")
                body = ""
                if reasoning and j > last_user:
                    body += f"<think>\n{reasoning}\n</think>\n\n"
                body += content
                if m.tool_calls:
                    body += "\n" + BEGIN + "\n"  # the template writes "\n" before the block
                    for c in m.tool_calls:
                        body += f'<invoke name="{c.name}">\n'
                        for k, v in c.arguments.items():
                            body += f'<parameter name="{k}">{v if isinstance(v, str) else tojson(v)}</parameter>\n'
                        body += "</invoke>\n"
                    body += END
                    last_call = m.tool_calls[-1].name
                else:
                    last_call = None
                # "<think>\n" is part of the generation prompt, so it is prompt text, not trained
                head = "]~b]ai\n<think>\n" if body.startswith("<think>\n") else "]~b]ai\n"
                body = body.removeprefix("<think>\n")
                segs += [
                    Segment(head, "header", i),
                    Segment(body + EOT, "body", i),
                    Segment("\n", "trailer", i),
                ]
            elif m.role == "tool":
                if last_call is None:
                    raise ChatFormatError(
                        "Message has tool role, but there was no previous assistant message with a tool call!"
                    )
                text = "]~b]tool" if j == 0 or conv[j - 1].role != "tool" else ""
                text += f"\n<response>{content_of(m)}</response>"
                if j == len(conv) - 1 or conv[j + 1].role != "tool":
                    text += EOT + "\n"
                segs.append(Segment(text, "text", i))
            elif m.role == "user":
                segs.append(Segment(f"]~b]user\n{content_of(m)}{EOT}\n", "text", i))
            # later system messages are not rendered by the template
        if add_generation_prompt:
            segs.append(Segment("]~b]ai\n<think>\n", "gen", len(messages)))
        return segs

    def _parse(self, completion, tools):
        text = completion[: -len(EOT)] if completion.endswith(EOT) else completion
        reasoning, rest = split_think(text)
        check_no_calls_in_reasoning(reasoning, [BEGIN, "<invoke"], completion)
        if reasoning is not None:
            reasoning = reasoning.strip("\n")
            rest = rest.lstrip("\n")
        first = rest.find(BEGIN)
        if first < 0:
            if "<invoke name=" in rest:
                raise ParseError(
                    f"tool calls must be wrapped in {BEGIN} ... {END}.", raw=completion
                )
            return Message(role="assistant", content=rest, reasoning=reasoning)
        content, block = rest[:first], rest[first + len(BEGIN) :]
        content = content.removesuffix("\n")  # the template writes "\n" before the block
        if END not in block:
            raise ParseError(
                f"the tool call block is not closed; end it with {END}.", raw=completion
            )
        block, _, after = block.partition(END)
        calls = []
        for inv in _INVOKE.finditer(block):
            props = schema_props(tools, inv.group(1))
            body = inv.group(2).strip()
            args = {
                p.group(1): coerce_value(p.group(2), props.get(p.group(1)) if tools else None)
                for p in _PARAM.finditer(body)
            }
            if _PARAM.sub("", body).strip():
                raise ParseError(
                    f"malformed parameters in the call to {inv.group(1)!r}; write "
                    '<parameter name="KEY">VALUE</parameter> for each one.',
                    raw=completion,
                )
            calls.append(make_call(inv.group(1), args, completion))
        if not calls or _INVOKE.sub("", block).strip() or after.strip():
            raise ParseError(
                'malformed tool call; write <invoke name="NAME"><parameter name="KEY">VALUE</parameter></invoke> '
                f"inside {BEGIN} ... {END} and nothing after it.",
                raw=completion,
            )
        return Message(role="assistant", content=content, reasoning=reasoning, tool_calls=calls)
