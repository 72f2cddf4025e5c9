"""``hf``: any Hugging Face tokenizer's own chat template, through transformers."""

from __future__ import annotations

import json
from typing import Any

from agentgym.chat.base import ChatFormat, Segment, split_think
from agentgym.chat.chatml import parse_json_calls
from agentgym.errors import ChatFormatError
from agentgym.types import Message


class HFChatFormat(ChatFormat):
    """Renders with ``tokenizer.apply_chat_template``; parses Hermes-style ``<tool_call>`` JSON.

    Segments are coarse: the whole rendering is one prompt segment, so masks come from
    ``Tokenized.append`` (generated ids) rather than from re-rendered history.
    """

    name = "hf"

    def __init__(
        self, tokenizer: Any = None, template_kwargs: dict[str, Any] | None = None
    ) -> None:
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            raise ChatFormatError(
                "the hf chat format needs tokenizer=<a transformers tokenizer with a chat_template>"
            )
        self.tokenizer = tokenizer
        self.template_kwargs = dict(template_kwargs or {})
        self.bos_token = tokenizer.bos_token or ""
        self.eos_token = tokenizer.eos_token or ""
        self.end_of_turn = self.eos_token
        self.stop_strings = tuple(t for t in (self.eos_token,) if t)
        self.special_tokens = tuple(tokenizer.all_special_tokens)

    def _segments(self, messages, tools, add_generation_prompt, date, options, start=0):
        dicts = [m.to_openai() for m in messages]
        for d in dicts:
            for tc in d.get("tool_calls", []):
                tc["function"]["arguments"] = json.loads(tc["function"]["arguments"])
        try:
            text = self.tokenizer.apply_chat_template(
                dicts,
                tools=tools,
                add_generation_prompt=add_generation_prompt,
                tokenize=False,
                **self.template_kwargs,
            )
        except Exception as exc:
            raise ChatFormatError(f"the tokenizer's chat template failed: {exc}") from exc
        return [Segment(text, "text", -1)]

    def _parse(self, completion, tools):
        if "<tool_call>" in completion:
            return parse_json_calls(completion, end=self.eos_token or "<|im_end|>")
        text = (
            completion[: -len(self.eos_token)]
            if self.eos_token and completion.endswith(self.eos_token)
            else completion
        )
        reasoning, rest = split_think(text)
        return Message(role="assistant", content=rest, reasoning=reasoning)
