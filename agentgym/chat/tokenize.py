"""Token-in/token-out tokenization with an assistant loss mask.

``tokenize`` renders a conversation to segments and encodes each segment on its own (special
tokens are whole segments' boundaries in every family, so this matches encoding the joined
text whenever the tokenizer does not merge across a boundary). ``Tokenized.append`` adds new
turns without touching earlier ids: ids the policy generated are kept verbatim and only the
new non-assistant turns are rendered and encoded. Appends render only the new turns (the
family templates skip the text of earlier turns and a :class:`RenderCache` keeps the
options-applied history), so a turn costs the same at turn 200 as at turn 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agentgym.chat.base import (
    ChatFormat,
    RenderCache,
    Segment,
    normalize_messages,
    normalize_tools,
)
from agentgym.errors import ChatFormatError
from agentgym.types import Message, ToolSpec


def encode(tokenizer: Any, text: str) -> list[int]:
    """Ids for ``text`` without added BOS/EOS, for a ``tokenizers.Tokenizer`` or a transformers tokenizer."""
    if not text:
        return []
    out = tokenizer.encode(text, add_special_tokens=False)
    return list(out.ids) if hasattr(out, "ids") else list(out)


@dataclass
class Tokenized:
    """A conversation as token ids plus a 0/1 mask of the tokens the assistant generated."""

    fmt: ChatFormat
    tokenizer: Any
    messages: list[Message]
    tools: list[dict[str, Any]] | None
    ids: list[int] = field(default_factory=list)
    assistant_mask: list[int] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    prompt_open: bool = False  # ids end with a generation prompt awaiting the assistant turn
    open_prompt: str = ""  # that generation prompt's text
    cache: RenderCache = field(default_factory=RenderCache, repr=False, compare=False)

    def _extend(self, segs: Sequence[Segment]) -> None:
        for seg in segs:
            ids = encode(self.tokenizer, seg.text)
            self.ids += ids
            self.assistant_mask += [1 if seg.part == "body" else 0] * len(ids)

    def append(
        self,
        new_messages: Sequence[Message | dict[str, Any]],
        generated_ids: Sequence[int] | None = None,
        add_generation_prompt: bool = True,
    ) -> Tokenized:
        """Append turns. If ``new_messages[0]`` is the assistant turn the policy just generated,
        ``generated_ids`` are its exact ids (kept verbatim, masked 1); without them the turn's
        completion text is encoded. Later messages (tool results, user turns) are rendered in
        context and masked 0; a generation prompt follows when ``add_generation_prompt``.
        """
        new = normalize_messages(new_messages)
        if not new:
            return self
        history = self.messages
        has_turn = new[0].role == "assistant"
        if not has_turn and generated_ids is not None:
            raise ChatFormatError(
                "generated_ids given but the first new message is not an assistant turn"
            )
        if not has_turn and self.prompt_open:
            raise ChatFormatError(
                "the ids end with a generation prompt; append the assistant turn first"
            )
        full = [*history, *new]
        k = len(history)
        # Only the new turns' segments, rendered in the context of the whole conversation.
        segs = self.fmt.render_segments(
            full, self.tools, add_generation_prompt, start=k, cache=self.cache, **self.options
        )
        if has_turn:
            turn = "".join(s.text for s in segs if s.index == k and s.part in ("header", "body"))
            prompt = self.open_prompt if self.prompt_open else ""
            if turn.startswith(prompt):
                completion = turn[len(prompt) :]
            else:  # the template re-renders the turn differently from what was generated
                completion = "".join(s.text for s in segs if s.index == k and s.part == "body")
            ids = (
                list(generated_ids)
                if generated_ids is not None
                else encode(self.tokenizer, completion)
            )
            self.ids += ids
            self.assistant_mask += [1] * len(ids)
            k += 1
        delta = [
            s
            for s in segs
            if s.index >= k or (s.index == k - 1 and s.part == "trailer") or s.part == "gen"
        ]
        self._extend(delta)
        self.messages = full
        self.open_prompt = "".join(s.text for s in delta if s.part == "gen")
        self.prompt_open = bool(self.open_prompt)
        return self

    def text(self) -> str:
        """The decoded ids (for inspection)."""
        return self.tokenizer.decode(self.ids, skip_special_tokens=False)


def tokenize(
    fmt: ChatFormat,
    tokenizer: Any,
    messages: Sequence[Message | dict[str, Any]],
    tools: Sequence[ToolSpec | dict[str, Any]] | None = None,
    add_generation_prompt: bool = False,
    **options: Any,
) -> Tokenized:
    """Token ids and assistant mask of a whole conversation (segment by segment).

    ``options`` are the format's render options (and ``date=``); ``append`` reuses them.
    """
    msgs = normalize_messages(messages)
    tool_dicts = normalize_tools(tools)
    out = Tokenized(fmt, tokenizer, msgs, tool_dicts, options=dict(options))
    segs = fmt.render_segments(msgs, tool_dicts, add_generation_prompt, cache=out.cache, **options)
    out._extend(segs)
    out.open_prompt = "".join(s.text for s in segs if s.part == "gen")
    out.prompt_open = bool(out.open_prompt)
    return out
