"""The ChatFormat contract: render a conversation to text, parse a completion back.

A format renders to *segments* (text tagged with the message it came from and whether the
model generated it) so tokenization can build loss masks and append turns incrementally.
``render`` is just the segments joined.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Sequence
from typing import Any, ClassVar, Literal, NamedTuple

from agentgym.errors import ChatFormatError, ParseError
from agentgym.types import Message, ToolCall, ToolSpec, as_message

Part = Literal["text", "header", "body", "trailer", "gen"]

# Options every format takes; the perturbation pipeline varies them.
COMMON_OPTIONS: dict[str, str] = {
    "reasoning": "'template' (default: the publisher's rule for past reasoning), 'keep' (render "
    "every turn's reasoning where the format can), or 'drop' (remove all reasoning).",
    "tool_results": "'native' (default: the family's tool role and placement) or 'user' (each run "
    "of tool results becomes one user message, results tagged with the call id).",
    "system": "'native' (default) or 'fold' (the system prompt is prepended to the first user "
    "turn, separated by a blank line, and no system message is rendered).",
}


class Segment(NamedTuple):
    """A piece of rendered text. ``index`` is the message it belongs to (-1: preamble)."""

    text: str
    part: Part
    index: int


def tojson(value: Any, indent: int | None = None) -> str:
    """What transformers' ``tojson`` filter prints (non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, indent=indent)


def normalize_messages(messages: Sequence[Message | dict[str, Any]]) -> list[Message]:
    try:
        return [as_message(m) for m in messages]
    except ValueError as exc:  # pydantic ValidationError is a ValueError
        raise ChatFormatError(f"invalid message: {exc}") from exc


def normalize_tools(
    tools: Sequence[ToolSpec | dict[str, Any]] | None,
) -> list[dict[str, Any]] | None:
    """Tools as OpenAI dicts ``{"type": "function", "function": {...}}`` (what templates see)."""
    if tools is None:
        return None
    out = []
    for tool in tools:
        spec = tool if isinstance(tool, ToolSpec) else ToolSpec.model_validate(tool)
        out.append(spec.to_openai())
    return out


def apply_common_options(messages: list[Message], options: dict[str, Any]) -> list[Message]:
    """The format-independent options: reasoning='drop', tool_results='user', system='fold'."""
    if options.get("reasoning") == "drop":
        messages = [m.model_copy(update={"reasoning": None}) for m in messages]
    if options.get("tool_results", "native") == "user":
        folded: list[Message] = []
        for m in messages:
            if m.role != "tool":
                folded.append(m)
                continue
            piece = f"[tool result {m.tool_call_id or m.name or ''}]\n{m.content or ''}"
            if folded and folded[-1].role == "user" and folded[-1].name == "__tool_results__":
                prev = folded[-1]
                folded[-1] = prev.model_copy(update={"content": f"{prev.content}\n\n{piece}"})
            else:
                folded.append(Message(role="user", content=piece, name="__tool_results__"))
        messages = [
            m.model_copy(update={"name": None}) if m.name == "__tool_results__" else m
            for m in folded
        ]
    if options.get("system", "native") == "fold" and messages and messages[0].role == "system":
        system, rest = messages[0], messages[1:]
        for i, m in enumerate(rest):
            if m.role == "user":
                merged = f"{system.content or ''}\n\n{m.content or ''}"
                rest = [*rest[:i], m.model_copy(update={"content": merged}), *rest[i + 1 :]]
                break
        else:
            rest = [Message(role="user", content=system.content), *rest]
        messages = rest
    return messages


class ChatFormat:
    """One model family's chat template, written by us, byte-identical to the publisher's."""

    name: ClassVar[str] = ""
    bos_token: ClassVar[str] = ""
    eos_token: ClassVar[str] = ""
    end_of_turn: ClassVar[str] = ""  # text that closes an assistant turn (part of the mask)
    stop_strings: ClassVar[tuple[str, ...]] = ()
    special_tokens: ClassVar[tuple[str, ...]] = ()
    family_options: ClassVar[dict[str, str]] = {}
    reference: ClassVar[str] = ""  # the model whose template this matches

    @property
    def options(self) -> dict[str, str]:
        """Every option ``render`` takes, name -> description."""
        return {**COMMON_OPTIONS, **self.family_options}

    # --- rendering ------------------------------------------------------------------------
    def render(
        self,
        messages: Sequence[Message | dict[str, Any]],
        tools: Sequence[ToolSpec | dict[str, Any]] | None = None,
        add_generation_prompt: bool = False,
        *,
        date: dt.date | None = None,
        **options: Any,
    ) -> str:
        """The conversation as the model sees it."""
        segs = self.render_segments(messages, tools, add_generation_prompt, date=date, **options)
        return "".join(s.text for s in segs)

    def render_segments(
        self,
        messages: Sequence[Message | dict[str, Any]],
        tools: Sequence[ToolSpec | dict[str, Any]] | None = None,
        add_generation_prompt: bool = False,
        *,
        date: dt.date | None = None,
        **options: Any,
    ) -> list[Segment]:
        """Like ``render`` but as segments; ``part == 'body'`` marks model-generated text."""
        unknown = set(options) - set(self.options)
        if unknown:
            raise ChatFormatError(
                f"unknown option(s) {sorted(unknown)} for chat format {self.name!r}; "
                f"known: {sorted(self.options)}"
            )
        msgs = apply_common_options(normalize_messages(messages), options)
        tool_dicts = normalize_tools(tools)
        segs = self._segments(msgs, tool_dicts, add_generation_prompt, date, options)
        return [s for s in segs if s.text]

    def _segments(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None,
        add_generation_prompt: bool,
        date: dt.date | None,
        options: dict[str, Any],
    ) -> list[Segment]:
        """The family's template. ``date`` is None when the caller gave none (use today)."""
        raise NotImplementedError

    def generation_prompt(
        self, messages: Sequence[Message | dict[str, Any]] = (), **options: Any
    ) -> str:
        """The text appended by ``add_generation_prompt=True`` after these messages."""
        segs = self.render_segments(messages, None, True, **options)
        return "".join(s.text for s in segs if s.part == "gen")

    def render_completion(self, message: Message | dict[str, Any], **options: Any) -> str:
        """The text a model emits for this assistant turn after the generation prompt."""
        msg = as_message(message)
        history = [Message(role="user", content="x"), msg]
        # Some templates only print calls when tools are declared; declare the called ones.
        tools = [ToolSpec(name=c.name) for c in msg.tool_calls] or None
        segs = self.render_segments(history, tools, False, **options)
        turn = "".join(s.text for s in segs if s.index == 1 and s.part in ("header", "body"))
        prompt = self.generation_prompt(history[:1], **options)
        if turn.startswith(prompt):
            return turn[len(prompt) :]
        return "".join(s.text for s in segs if s.index == 1 and s.part == "body")

    # --- parsing --------------------------------------------------------------------------
    def parse(
        self,
        completion: str,
        tools: Sequence[ToolSpec | dict[str, Any]] | None = None,
        *,
        validate: bool = True,
    ) -> Message:
        """Split a raw completion into reasoning, content and tool calls.

        ``tools`` guide argument typing; with ``validate`` (default) calls to unknown tools
        or with arguments failing the schema are a ParseError too. An env that validates
        calls itself (and answers in a tool message) passes ``validate=False``.
        Raises only ``ParseError`` (message written for the agent) on malformed output.
        """
        if not isinstance(completion, str):
            raise ParseError(f"completion must be text, got {type(completion).__name__}")
        tool_dicts = normalize_tools(tools)
        try:
            msg = self._parse(completion, tool_dicts)
        except ParseError:
            raise
        except Exception as exc:  # a parser bug must not kill the episode
            raise ParseError(f"could not parse the completion: {exc}", raw=completion) from exc
        if tool_dicts is not None and validate:
            validate_calls(msg.tool_calls, tool_dicts, completion)
        return msg

    def _parse(self, completion: str, tools: list[dict[str, Any]] | None) -> Message:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<ChatFormat {self.name}>"


# --- helpers shared by the families ---------------------------------------------------------


def content_of(m: Message) -> str:
    return m.content or ""


def make_call(name: str, arguments: Any, raw: str, call_id: str | None = None) -> ToolCall:
    if not isinstance(name, str) or not name.strip():
        raise ParseError("a tool call has no function name; give the tool's name.", raw=raw)
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"the arguments of the call to {name!r} are not valid JSON ({exc.msg} at "
                f"position {exc.pos}); send one JSON object.",
                raw=raw,
            ) from exc
    if not isinstance(arguments, dict):
        raise ParseError(
            f"the arguments of the call to {name!r} must be a JSON object, not "
            f"{type(arguments).__name__}.",
            raw=raw,
        )
    if call_id is None:
        return ToolCall(id=stable_call_id(raw, name), name=name.strip(), arguments=arguments)
    return ToolCall(id=call_id, name=name.strip(), arguments=arguments)


def stable_call_id(raw: str, salt: str, length: int = 9) -> str:
    """A deterministic id for calls whose format carries none (no global randomness)."""
    import hashlib

    return hashlib.sha1(f"{salt}\0{raw}".encode()).hexdigest()[:length]


def loads_json(text: str, what: str, raw: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (is it truncated? close every brace and quote)" if "Expecting" in exc.msg else ""
        if text.rstrip().endswith((",}", ", }", ",]")):
            hint = " (remove the trailing comma)"
        raise ParseError(
            f"{what} is not valid JSON: {exc.msg} at position {exc.pos}{hint}.", raw=raw
        ) from exc


def split_think(
    text: str, open_tag: str = "<think>", close_tag: str = "</think>"
) -> tuple[str | None, str]:
    """(reasoning, rest). Reasoning may start implicitly (the prompt opened the block)."""
    if close_tag in text:
        before, after = text.split(close_tag, 1)
        if open_tag in before:
            before = before.split(open_tag, 1)[1]
        elif before.strip() and open_tag not in before and not text.lstrip().startswith(open_tag):
            pass  # implicit open: the generation prompt printed the open tag
        return before, after
    if text.lstrip().startswith(open_tag):
        return text.lstrip()[len(open_tag) :], ""  # unterminated thinking: all reasoning
    return None, text


def check_no_calls_in_reasoning(reasoning: str | None, markers: Sequence[str], raw: str) -> None:
    if reasoning and any(mk in reasoning for mk in markers):
        raise ParseError(
            "a tool call appears inside the thinking block; it was not executed. Close the "
            "thinking block first, then write the tool call.",
            raw=raw,
        )


def coerce_value(value: str, schema: dict[str, Any] | None) -> Any:
    """Typed value for an XML-style parameter, using the tool's schema when it has one."""
    types = (schema or {}).get("type")
    if types in (None, "string") or (isinstance(types, list) and "string" in types):
        return value
    for candidate in (value, value.strip()):
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            pass
    lowered = value.strip()
    if lowered in ("True", "False"):
        return lowered == "True"
    if lowered == "None":
        return None
    return value


@functools.lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    import jsonschema

    schema = json.loads(schema_json)
    return jsonschema.validators.validator_for(schema)(schema)


def validate_calls(calls: list[ToolCall], tools: list[dict[str, Any]], raw: str) -> None:
    import jsonschema

    specs = {t["function"]["name"]: t["function"] for t in tools}
    for call in calls:
        if call.name not in specs:
            raise ParseError(
                f"unknown tool {call.name!r}; available tools: {', '.join(sorted(specs)) or 'none'}.",
                raw=raw,
            )
        schema = specs[call.name].get("parameters") or {}
        try:
            error = jsonschema.exceptions.best_match(
                _validator(json.dumps(schema, sort_keys=True)).iter_errors(call.arguments)
            )
            if error is not None:
                raise error
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "arguments"
            raise ParseError(
                f"arguments of {call.name!r} do not match its schema at {where}: {exc.message}.",
                raw=raw,
            ) from exc
        except jsonschema.SchemaError:
            pass  # a broken tool schema is the tool author's problem, not the agent's


def schema_props(tools: list[dict[str, Any]] | None, name: str) -> dict[str, Any]:
    for t in tools or []:
        if t["function"]["name"] == name:
            return (t["function"].get("parameters") or {}).get("properties") or {}
    return {}
