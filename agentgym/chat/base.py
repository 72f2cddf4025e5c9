"""The ChatFormat contract: render a conversation to text, parse a completion back.

A format renders to *segments* (text tagged with the message it came from and whether the
model generated it) so tokenization can build loss masks and append turns incrementally.
``render`` is just the segments joined.
"""

from __future__ import annotations

import bisect
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
    "tool_results": "'native' (default: the family's tool role and placement), 'merged' (each run "
    "of two or more tool results becomes one tool message, results tagged with the call id) or "
    "'user' (each run of tool results becomes one user message, results tagged with the call id).",
    "system": "'native' (default), 'fold' (the system prompt is prepended to the first user "
    "turn, separated by a blank line, and no system message is rendered) or 'tagged' (the same, "
    "inside <system>...</system> tags).",
    "tools_placement": "'native' (default: where the family declares tools) or 'user' (the family's tool "
    "definitions open the first user message instead).",
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "reasoning": ("template", "keep", "drop"),
    "tool_results": ("native", "merged", "user"),
    "system": ("native", "fold", "tagged"),
    "tools_placement": ("native", "user"),
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


def _tagged_results(run: list[Message]) -> str:
    return "\n\n".join(
        f"[tool result {m.tool_call_id or m.name or ''}]\n{m.content or ''}" for m in run
    )


def _fold_into_first_user(
    messages: list[Message], origin: list[int], text: str, at: int
) -> tuple[list[Message], list[int]]:
    """``text`` + blank line + the first user message; without one, a new user message
    (from original message ``at``) before the first non-system message."""
    for i, m in enumerate(messages):
        if m.role == "user":
            merged = m.model_copy(update={"content": f"{text}\n\n{m.content or ''}"})
            return [*messages[:i], merged, *messages[i + 1 :]], origin
    first = next((i for i, m in enumerate(messages) if m.role != "system"), len(messages))
    user = Message(role="user", content=text)
    return [*messages[:first], user, *messages[first:]], [*origin[:first], at, *origin[first:]]


def apply_options(
    messages: list[Message],
    options: dict[str, Any],
    tools_text: str | None = None,
    *,
    continuation: bool = False,
) -> tuple[list[Message], list[int]]:
    """The format-independent options applied to ``messages``.

    Returns the messages the family template sees and, for each, the index of the original
    message it came from (merged tool results: the first of the run). ``tools_text`` is
    folded into the first user turn (option ``tools='user'``). ``continuation``: the
    messages continue a conversation whose first user turn is already rendered, so nothing
    is folded into them.
    """
    origin = list(range(len(messages)))
    if options.get("reasoning") == "drop":
        messages = [
            m.model_copy(update={"reasoning": None}) if m.reasoning is not None else m
            for m in messages
        ]
    mode = options.get("tool_results", "native")
    if mode in ("user", "merged"):
        out: list[Message] = []
        out_origin: list[int] = []
        i = 0
        while i < len(messages):
            if messages[i].role != "tool":
                out.append(messages[i])
                out_origin.append(origin[i])
                i += 1
                continue
            j = i
            while j < len(messages) and messages[j].role == "tool":
                j += 1
            run = messages[i:j]
            if mode == "user":
                out.append(Message(role="user", content=_tagged_results(run)))
            elif len(run) == 1:
                out.append(run[0])
            else:
                out.append(run[0].model_copy(update={"content": _tagged_results(run)}))
            out_origin.append(origin[i])
            i = j
        messages, origin = out, out_origin
    if continuation:
        return messages, origin
    if tools_text:
        first = next((i for i, m in enumerate(messages) if m.role != "system"), len(messages))
        at = origin[first] if first < len(origin) else (origin[-1] if origin else 0)
        messages, origin = _fold_into_first_user(messages, origin, tools_text, at)
    system = options.get("system", "native")
    if system in ("fold", "tagged") and messages and messages[0].role == "system":
        text = messages[0].content or ""
        if system == "tagged":
            text = f"<system>\n{text}\n</system>"
        messages, origin = _fold_into_first_user(messages[1:], origin[1:], text, origin[0])
    return messages, origin


def apply_common_options(messages: list[Message], options: dict[str, Any]) -> list[Message]:
    """The format-independent options (kept for callers that only want the messages)."""
    return apply_options(messages, options)[0]


class RenderCache:
    """The options-applied view of a growing conversation, reused by incremental renders.

    ``Tokenized`` keeps one: each append then applies the options to the new messages only.
    Any mismatch (other options, other tools, an edited history) recomputes the whole view.
    """

    def __init__(self) -> None:
        self.key: tuple[Any, ...] | None = None
        self.source: list[Message] = []
        self.view: list[Message] = []
        self.origin: list[int] = []
        self.tools_in: Any = None
        self.tools_out: list[dict[str, Any]] | None = None


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
    # The publisher's template revision this class renders: the release month of the
    # checkpoint that shipped it (``get_format("family@revision")``), and where it was read.
    revision: ClassVar[str] = ""
    source: ClassVar[str] = ""
    # True when ``_segments`` places tools itself for ``tools='user'`` (else the base folds
    # ``tools_declaration`` into the first user turn and gives the family no tools).
    handles_tools_option: ClassVar[bool] = False
    # True when the family still needs ``tools`` for ``tools_placement='user'`` (it then
    # leaves out its own declaration; the base folds ``tools_declaration`` into the user turn).
    keeps_tools_when_moved: ClassVar[bool] = False

    @classmethod
    def full_name(cls) -> str:
        """``family@revision``: the name that selects exactly this template revision."""
        return f"{cls.name}@{cls.revision}"

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
        start: int = 0,
        cache: RenderCache | None = None,
        **options: Any,
    ) -> list[Segment]:
        """Like ``render`` but as segments; ``part == 'body'`` marks model-generated text.

        ``index`` is the position in ``messages`` (-1: preamble). With ``start``, only the
        segments of ``messages[start:]`` (and the generation prompt) are returned, exactly as
        the whole render has them, without building the earlier turns' text; ``cache`` (a
        :class:`RenderCache` kept across calls on a growing conversation) avoids re-applying
        the options to earlier messages.
        """
        self.check_options(options)
        msgs = normalize_messages(messages)
        if cache is not None and cache.tools_out is not None and tools is cache.tools_in:
            tool_dicts: list[dict[str, Any]] | None = cache.tools_out
        else:
            tool_dicts = normalize_tools(tools)
            if cache is not None:
                cache.tools_in, cache.tools_out = tools, tool_dicts
        view, origin = self._view(msgs, tool_dicts, date, options, cache)
        family_tools = tool_dicts
        if options.get("tools_placement", "native") == "user" and not (
            self.handles_tools_option or self.keeps_tools_when_moved
        ):
            family_tools = None  # the declaration is in the first user message now
        view_start = bisect.bisect_left(origin, start) if start > 0 else 0
        segs = self._segments(
            view, family_tools, add_generation_prompt, date, options, start=view_start
        )
        n_view, n_msgs = len(view), len(msgs)
        out = []
        for seg in segs:
            if not seg.text or (start > 0 and seg.index < view_start and seg.part != "gen"):
                continue
            if seg.index >= n_view:
                out.append(seg._replace(index=n_msgs))
            elif seg.index >= 0:
                out.append(seg._replace(index=origin[seg.index]))
            else:
                out.append(seg)
        return out

    def check_options(self, options: dict[str, Any]) -> None:
        unknown = set(options) - set(self.options)
        if unknown:
            raise ChatFormatError(
                f"unknown option(s) {sorted(unknown)} for chat format {self.name!r}; "
                f"known: {sorted(self.options)}"
            )
        for name, choices in _CHOICES.items():
            if name in options and options[name] not in choices:
                raise ChatFormatError(
                    f"option {name}={options[name]!r} is not one of {', '.join(choices)}"
                )

    def _view(
        self,
        msgs: list[Message],
        tools: list[dict[str, Any]] | None,
        date: dt.date | None,
        options: dict[str, Any],
        cache: RenderCache | None,
    ) -> tuple[list[Message], list[int]]:
        """The messages the family template sees (options applied), reusing ``cache``."""
        moved = options.get("tools_placement", "native") == "user" and bool(tools)
        tools_text = (
            self.tools_declaration(tools or [], date, options)
            if moved and not self.handles_tools_option
            else None
        )
        key = (tuple(sorted(options.items(), key=lambda kv: kv[0])), tools_text)
        if cache is not None and cache.key == key and len(msgs) >= len(cache.source):
            n = len(cache.source)
            same = all(a is b for a, b in zip(cache.source, msgs, strict=False))
            folds = (
                tools_text is not None or options.get("system", "native") != "native"
            ) and not any(m.role == "user" for m in cache.source)
            splits_run = (
                options.get("tool_results", "native") != "native"
                and n > 0
                and n < len(msgs)
                and cache.source[-1].role == "tool"
                and msgs[n].role == "tool"
            )
            if same and not folds and not splits_run:
                if n < len(msgs):
                    more, more_origin = apply_options(msgs[n:], options, continuation=True)
                    cache.view = [*cache.view, *more]
                    cache.origin = [*cache.origin, *(o + n for o in more_origin)]
                    cache.source = list(msgs)
                return cache.view, cache.origin
        view, origin = apply_options(msgs, options, tools_text)
        if cache is not None:
            cache.key, cache.source, cache.view, cache.origin = key, list(msgs), view, origin
        return view, origin

    def tools_declaration(
        self, tools: list[dict[str, Any]], date: dt.date | None, options: dict[str, Any]
    ) -> str:
        """The tool definitions as text, for ``tools='user'``: by default a Hermes-style
        ``<tools>`` block; families with a plain-text declaration return their own."""
        return (
            "# Tools\n\nYou may call one or more functions to assist with the user query. "
            "Their signatures, as JSON Schema, are within <tools></tools> XML tags:\n<tools>\n"
            + "".join(tojson(t) + "\n" for t in tools)
            + "</tools>"
        )

    def _segments(
        self,
        messages: list[Message],
        tools: list[dict[str, Any]] | None,
        add_generation_prompt: bool,
        date: dt.date | None,
        options: dict[str, Any],
        start: int = 0,
    ) -> list[Segment]:
        """The family's template. ``date`` is None when the caller gave none (use today).

        Must return every segment of ``messages[start:]`` (and the generation prompt) exactly
        as with ``start=0``; segments of earlier messages may be left out (they are dropped),
        which is what makes appends cost the new turns only.
        """
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
        **options: Any,
    ) -> Message:
        """Split a raw completion into reasoning, content and tool calls.

        ``options`` are the render options the prompt was made with, where they change what
        the completion looks like (deepseek-v3.1's ``thinking``: the prompt opened ``<think>``).

        ``tools`` guide argument typing; with ``validate`` (default) calls to unknown tools
        or with arguments failing the schema are a ParseError too. An env that validates
        calls itself (and answers in a tool message) passes ``validate=False``.
        Raises only ``ParseError`` (message written for the agent) on malformed output.
        """
        if not isinstance(completion, str):
            raise ParseError(f"completion must be text, got {type(completion).__name__}")
        check_unicode(completion)
        if options:
            self.check_options(options)
        tool_dicts = normalize_tools(tools)
        try:
            if options:
                msg = self._parse_with_options(completion, tool_dicts, options)
            else:
                msg = self._parse(completion, tool_dicts)
        except ParseError:
            raise
        except Exception as exc:  # a parser bug must not kill the episode
            raise ParseError(f"could not parse the completion: {exc}", raw=completion) from exc
        msg = _unique_call_ids(msg, completion)
        if tool_dicts is not None and validate:
            validate_calls(msg.tool_calls, tool_dicts, completion)
        return msg

    def _parse(self, completion: str, tools: list[dict[str, Any]] | None) -> Message:
        raise NotImplementedError

    def _parse_with_options(
        self, completion: str, tools: list[dict[str, Any]] | None, options: dict[str, Any]
    ) -> Message:
        """``_parse`` for a prompt rendered with ``options`` (most families ignore them)."""
        return self._parse(completion, tools)

    def __repr__(self) -> str:
        return f"<ChatFormat {self.full_name()}>"


# --- helpers shared by the families ---------------------------------------------------------


def check_unicode(completion: str) -> None:
    """A ParseError naming the position of an unpaired UTF-16 surrogate (not valid text)."""
    try:
        completion.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = completion[exc.start]
        raise ParseError(
            f"the completion is not valid Unicode text: an unpaired surrogate U+{ord(char):04X} "
            f"at position {exc.start} (a half of a UTF-16 pair, e.g. a truncated emoji escape); "
            "write the character itself or a complete \\uXXXX\\uXXXX pair.",
            raw=completion,
        ) from None


def content_of(m: Message) -> str:
    return m.content or ""


def raw_arguments(call: ToolCall) -> str | None:
    """The arguments as the JSON string they arrived in, where ``ToolCall`` keeps it.

    ``ToolCall.arguments`` is always a dict; a ``raw_arguments`` field (when the types have
    it) keeps the original string so templates that treat strings differently match.
    """
    raw = getattr(call, "raw_arguments", None)
    if not isinstance(raw, str):
        return None
    try:  # a string left behind by an edit of ``arguments`` is stale: ignore it
        return raw if json.loads(raw) == call.arguments else None
    except json.JSONDecodeError:
        return None


def args_verbatim(call: ToolCall) -> str:
    """Templates that print a string argument as is and ``tojson`` a dict."""
    raw = raw_arguments(call)
    return raw if raw is not None else tojson(call.arguments)


def args_value(call: ToolCall) -> Any:
    """What templates that pass ``arguments`` through ``tojson`` see (a string stays one)."""
    raw = raw_arguments(call)
    return raw if raw is not None else call.arguments


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


def _unique_call_ids(msg: Message, raw: str) -> Message:
    """Two calls with one id (two calls to one tool, ids derived from the name) would
    share a tool response and one would vanish: give each later duplicate its own id."""
    ids = [c.id for c in msg.tool_calls]
    if len(set(ids)) == len(ids):
        return msg
    seen: set[str] = set()
    calls = []
    for n, call in enumerate(msg.tool_calls):
        if call.id in seen:
            call = call.model_copy(update={"id": stable_call_id(raw, f"{call.name}#{n}")})
        seen.add(call.id)
        calls.append(call)
    return msg.model_copy(update={"tool_calls": calls})


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
    """Typed value for an XML-style parameter, using the tool's schema when it has one.

    No schema (no tools given): the text. A string type: the text. Otherwise JSON, then a
    Python literal (templates that print values with Jinja's ``string`` filter write
    ``True``, ``None`` and ``{'a': 1}``), else the text (the schema check reports it).
    """
    if schema is None:
        return value
    types = schema.get("type") if isinstance(schema, dict) else None
    if types == "string" or (isinstance(types, list) and "string" in types):
        return value
    for candidate in (value, value.strip()):
        try:
            return json.loads(candidate)
        except (json.JSONDecodeError, RecursionError):
            pass
    stripped = value.strip()
    if stripped and len(stripped) < 100_000:
        import ast

        try:  # only JSON-shaped literals (no sets, bytes, complex numbers)
            return json.loads(json.dumps(ast.literal_eval(stripped)))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
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
