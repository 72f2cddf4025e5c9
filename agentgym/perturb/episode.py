"""One episode's perturbation: sampled once from a recipe and a seed, applied to every turn.

Env integration contract (what ``CodingEnv`` / ``PerturbedEnv`` do; see docs/perturbations.md):

* ``reset``: ``ep = EpisodePerturbation.sample(recipe, seed, tools=..., system=..., user=...)``;
  show ``ep.tools(tools)`` and ``ep.opening(system, user)``; render with
  ``ep.chat_format(default)`` and ``ep.chat_options()``; store ``ep.records`` in the
  trajectory and ``info``.
* ``step``: for each tool call of the agent, ``ep.call(call, execute)``, or by hand:
  ``obs = ep.intercept(call)``; if ``None``: ``real = ep.map_call(call)`` (a ``ToolError`` is
  the agent's mistake: show it as an error observation), run ``real``, then
  ``ep.tool_response(text, real.name, index)``.
* later user turns: ``ep.user(text)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from agentgym.errors import ToolError, UnknownToolError
from agentgym.perturb.base import (
    ChatOptions,
    PerturbContext,
    ResponseTransform,
    ToolResponse,
    Transform,
    replay,
    updated,
)
from agentgym.perturb.registry import get_transform_class
from agentgym.perturb.responses import ResponseTransientError
from agentgym.perturb.system import SystemMoveToUser
from agentgym.perturb.text import rewrite_mentions
from agentgym.types import Observation, PerturbationRecord, ToolCall, ToolSpec


class EpisodePerturbation:
    """The perturbation of one episode, built from its records alone (so it can be replayed)."""

    def __init__(self, records: Sequence[PerturbationRecord], *, seed: int | None = None) -> None:
        self.records: list[PerturbationRecord] = list(records)
        self.seed = seed
        steps = [(get_transform_class(r.transform)(), r) for r in self.records]
        self._steps: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
        for t, r in steps:
            self._steps.setdefault(r.target, []).append((t, r.params))
        self._tools_cache: tuple[list[ToolSpec], list[ToolSpec]] | None = None
        self._mentions: dict[str, str] | None = None
        self._calls = 0
        self._failures = 0
        self._failed: set[str] = set()
        # The per-call path, resolved once: it runs on every env step.
        self._tool_steps = self._steps.get("tools", [])
        # The inverse mapping, last transform first, with its lookup tables built once here;
        # transforms that rename nothing are left out.
        inverters = [
            (t, f)
            for t, params in reversed(self._tool_steps)
            if (f := t.inverter(params)) is not None
        ]
        self._inverters = [f for _, f in inverters]
        # Calls mapped back once per shape (tool name, argument names) when every inverse
        # depends on nothing else: a lookup and one copy per call instead of a chain of copies.
        self._plans: dict[tuple[str, ...], Any] | None = (
            {} if inverters and all(t.inverts_by_names for t, _ in inverters) else None
        )
        self._response_steps = self._steps.get("tool_response", [])
        self._transient = [
            (t, params)
            for t, params in self._response_steps
            if isinstance(t, ResponseTransientError)
        ]
        # Transforms that only rewrite the text go through ``apply_text`` on one private
        # ToolResponse; any other ``apply`` is called as is. Transient errors leave the text
        # alone (they act before the call runs): no step at all.
        self._text_steps = [
            (t.apply_text if type(t).apply is ResponseTransform.apply else None, t, params)
            for t, params in self._response_steps
            if not _text_unchanged(t)
        ]
        # When every step is an ``apply_text`` (nothing else ever sees the ToolResponse), one
        # ToolResponse serves every call, its fields set in place: the per-call path is cold
        # (it runs right after a sandbox command), and each object it builds costs there.
        self._reuse_response = all(f is not None for f, _, _ in self._text_steps)
        self._response: ToolResponse | None = None
        # When every step is a function of the text alone (``ResponseTransform.text_fn``), a
        # response is those functions called in turn: no ToolResponse, no params lookups.
        fns = [_text_fn(t, params) for _, t, params in self._text_steps]
        self._text_fns: list[Callable[[str], str]] | None = (
            fns if all(f is not None for f in fns) else None  # type: ignore[misc]
        )
        self._shown: tuple[list[ToolSpec], frozenset[str]] | None = None
        # Calls whose mapping back is known, by shape (tool name, argument names), for
        # ``PerturbedEnv.run_args``: ``_SAME`` (the call runs as it is) or ``_fast_entry`` of
        # the plan; filled by ``_resolve`` for shown tools only. ``None``: no tool transforms, every call runs as it is.
        self._fast_calls: dict[tuple[str, ...], Any] | None = {} if self._tool_steps else None

    # -- construction -------------------------------------------------------------------
    @classmethod
    def sample(
        cls,
        recipe: Transform,
        seed: int | np.random.Generator,
        *,
        tools: Sequence[ToolSpec] = (),
        system: str = "",
        user: str = "",
    ) -> EpisodePerturbation:
        """Draw the episode's perturbation. The same recipe, seed and inputs give the same
        records, byte for byte."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        ctx = PerturbContext(tools=list(tools), system=system, user=user)
        records = recipe.sample(rng, ctx)
        ep = cls(records, seed=seed if isinstance(seed, int) else None)
        if not any(r.target == "scaffold" for r in records):
            # ``ctx.tools`` is what the recipe's tool transforms made of ``tools``. Under a
            # scaffold they were sampled on the harness's tools instead, which the env passes
            # to ``tools()`` itself: nothing to cache for ``tools``.
            ep._tools_cache = (list(tools), ep._rewrite_descriptions(list(tools), ctx.tools))
        return ep

    @classmethod
    def clean(cls) -> EpisodePerturbation:
        """No perturbation at all (the same API, every method the identity)."""
        return cls([])

    # -- opening surfaces -------------------------------------------------------------------
    def tools(self, tools: Sequence[ToolSpec]) -> list[ToolSpec]:
        """The tool list the agent sees."""
        tools = list(tools)
        if self._tools_cache is not None and self._tools_cache[0] == tools:
            return list(self._tools_cache[1])
        out = tools
        for t, params in self._steps.get("tools", []):
            out = t.apply(out, params)
        out = self._rewrite_descriptions(tools, out)
        self._tools_cache = (tools, out)
        self._mentions = None
        if self._fast_calls:
            self._fast_calls = {}  # filled for the tools shown before
        return list(out)

    def system(self, text: str) -> str:
        """The system prompt the agent sees ('' may mean: send no system message)."""
        for t, params in self._steps.get("system", []):
            text = t.apply(text, params)
        return rewrite_mentions(text, self._tool_mentions())

    def user(self, text: str) -> str:
        """A user message as the agent sees it (the same transforms for every user turn)."""
        for t, params in self._steps.get("user", []):
            text = t.apply(text, params)
        return rewrite_mentions(text, self._tool_mentions())

    def opening(self, system: str, user: str) -> tuple[str, str]:
        """The first system and user messages, including instructions moved between them."""
        moved: list[str] = []
        for t, params in self._steps.get("system", []):
            if isinstance(t, SystemMoveToUser):
                block = t.moved(system, params)
                if block:
                    moved.append(block)
            system = t.apply(system, params)
        user = self.user(user)
        if moved:
            mentions = self._tool_mentions()
            user = "\n\n".join([*(rewrite_mentions(m, mentions) for m in moved), user])
        return rewrite_mentions(system, self._tool_mentions()), user

    def chat_options(self, base: ChatOptions | None = None) -> ChatOptions:
        """Rendering options; ``None`` fields mean the format's own default."""
        opts = base or ChatOptions()
        for t, params in self._steps.get("chat_format", []):
            opts = t.apply(opts, params)
        return opts

    def chat_format(self, default: str) -> str:
        """The chat-format family name for this episode."""
        return self.chat_options().format or default

    # -- per call ---------------------------------------------------------------------------
    def tool_response(
        self, text: str, tool_name: str = "", call_index: int | None = None, is_error: bool = False
    ) -> str:
        """A tool result as the agent sees it. ``call_index`` defaults to the last intercepted call."""
        fns = self._text_fns
        if fns is not None and type(text) is str:
            for fn in fns:
                text = fn(text)
            return text
        index = self._calls - 1 if call_index is None else call_index
        obj = self._response
        if (
            obj is not None
            and type(text) is str
            and type(tool_name) is str
            and type(index) is int
            and type(is_error) is bool
        ):
            _set(
                obj,
                "__dict__",
                {
                    "text": text,
                    "tool_name": tool_name,
                    "call_index": index if index > 0 else 0,
                    "is_error": is_error,
                },
            )
        else:
            obj = response(text, tool_name, max(index, 0), is_error)
            if self._reuse_response and obj.__pydantic_fields_set__ == _RESPONSE_FIELDS:
                self._response = obj
        for apply_text, t, params in self._text_steps:
            if apply_text is not None:
                obj.__dict__["text"] = apply_text(obj, params)  # obj is ours: update in place
            else:
                obj = t.apply(obj, params)
        return obj.text

    def map_call(self, call: ToolCall) -> ToolCall:
        """The agent's call (perturbed names) as a call of the real tools.

        Raises ``UnknownToolError`` / ``ToolArgumentError`` (show them to the agent) for names
        that are not in the perturbed tool list, including a renamed tool's old name.
        """
        resolved = self._resolve(call)
        if isinstance(resolved, str):
            raise UnknownToolError(f"tool {call.name!r} is not available: {resolved}")
        return resolved

    def forward_call(self, call: ToolCall) -> ToolCall:
        """A call of the real tools as the agent would write it (for perturbing recorded data)."""
        for t, params in self._steps.get("tools", []):
            call = t.forward_call(call, params)
        return call

    def intercept(self, call: ToolCall) -> Observation | None:
        """Ask before running a call. Advances the call index.

        Returns an Observation the env must show *instead of* running the call (a distractor
        tool's canned answer, or a transient error on a call's first attempt); ``None`` means
        run ``map_call(call)`` for real. Retrying the exact same call after a transient
        error always returns ``None``.
        """
        index = self._calls
        self._calls += 1
        try:
            resolved = self._resolve(call)
        except ToolError:
            return None  # the env reports it through map_call
        return self._intercept(call, resolved, index)

    def _intercept(
        self, call: ToolCall, resolved: ToolCall | str, index: int
    ) -> Observation | None:
        if isinstance(resolved, str):
            text = self.tool_response(resolved, call.name, index, is_error=True)
            return Observation(
                content=text, is_error=True, metadata={"perturbation": "distractor_tool"}
            )
        key = None
        if self._failed:
            key = _retry_key(resolved)
            if key in self._failed:
                self._failed.discard(key)
                return None
        for t, params in self._transient:
            limit = params["max_failures"]
            if limit and self._failures >= limit:
                continue
            if t.fails(index, params):
                self._failures += 1
                self._failed.add(key or _retry_key(resolved))
                # A check whose limit is reached never fires again: dropped, so later calls
                # skip it (``fails`` is a pure function of the call index).
                self._transient = [
                    (t2, p2)
                    for t2, p2 in self._transient
                    if not (p2["max_failures"] and self._failures >= p2["max_failures"])
                ]
                return Observation(
                    content=t.notice(index, params),
                    is_error=True,
                    metadata={"perturbation": "transient_error", "call_index": index},
                )
        return None

    def transient_fails(self, index: int) -> bool:
        """Whether a transient error would answer the call with this index (nothing else
        pending): the cheap pre-check of ``PerturbedEnv.run_args``."""
        for t, params in self._transient:
            limit = params["max_failures"]
            if not (limit and self._failures >= limit) and t.fails(index, params):
                return True
        return False

    def call(self, call: ToolCall, execute: Callable[[ToolCall], Observation]) -> Observation:
        """The whole per-call protocol: intercept, map back, run, perturb the response."""
        return self.run(call, execute)[0]

    def run(
        self, call: ToolCall, execute: Callable[[ToolCall], Observation]
    ) -> tuple[Observation, ToolCall | None]:
        """``call``, also returning the real call that ran (``None``: nothing ran)."""
        obs, text, real = self.run_parts(call, execute)
        if real is None:
            return obs, None
        return updated(obs, {"content": text}), real

    def run_parts(
        self, call: ToolCall, execute: Callable[[ToolCall], Observation]
    ) -> tuple[Observation, str, ToolCall | None]:
        """The pieces of :meth:`run` for a caller that builds the observation itself (one copy,
        not two): (the real tool's observation, its content as the agent sees it, the real
        call); or (the observation shown instead, its content, ``None``) when nothing ran."""
        index = self._calls
        self._calls += 1
        try:  # resolved once, for intercept and map_call alike
            resolved = self._resolve(call)
        except ToolError as exc:
            return Observation(content=str(exc), is_error=True), str(exc), None
        obs = self._intercept(call, resolved, index)
        if obs is not None:
            return obs, obs.content, None
        assert not isinstance(resolved, str)  # distractors were answered by _intercept
        result = execute(resolved)
        text = self.tool_response(result.content, resolved.name, index, is_error=result.is_error)
        return result, text, resolved

    # -- keeping prompts consistent with renamed tools ---------------------------------
    def _renames(self, tool: ToolSpec) -> tuple[str, dict[str, str]] | None:
        """(new tool name, {old arg: new arg}) when the tool survives as one tool."""
        args = {k: None for k in tool.parameters.get("properties", {}) or {}}
        fwd = self.forward_call(ToolCall(id="mention", name=tool.name, arguments=args))
        if len(fwd.arguments) != len(args):
            return None  # merged into another tool: no single new name to point to
        return fwd.name, dict(zip(args, fwd.arguments, strict=True))

    def _tool_mentions(self) -> dict[str, str]:
        """Old tool name -> new tool name, for rewriting mentions in the prompts."""
        if self._mentions is None:
            self._mentions = {}
            if self._tools_cache is not None and self._steps.get("tools"):
                for tool in self._tools_cache[0]:
                    r = self._renames(tool)
                    if r and r[0] != tool.name:
                        self._mentions[tool.name] = r[0]
        return self._mentions

    def _rewrite_descriptions(
        self, before: list[ToolSpec], after: list[ToolSpec]
    ) -> list[ToolSpec]:
        if not self._steps.get("tools"):
            return after
        new_of: dict[str, dict[str, str]] = {}
        for tool in before:
            r = self._renames(tool)
            if r:
                arg_map = {k: v for k, v in r[1].items() if k != v}
                if arg_map:
                    new_of[r[0]] = arg_map
        if not new_of:
            return after
        return [
            t.model_copy(update={"description": rewrite_mentions(t.description, new_of[t.name])})
            if t.name in new_of
            else t
            for t in after
        ]

    def _resolve(self, call: ToolCall) -> ToolCall | str:
        if not self._tool_steps:
            return call
        if self._tools_cache is not None:
            shown = self._tools_cache[1]
            if self._shown is None or self._shown[0] is not shown:
                self._shown = (shown, frozenset(t.name for t in shown))
            if call.name not in self._shown[1]:
                names = [t.name for t in shown]
                raise UnknownToolError(
                    f"unknown tool {call.name!r}; available tools: {', '.join(names)}"
                )
        plans = self._plans
        if plans is not None and call.__pydantic_extra__ is None:
            key = (call.name, *call.arguments)
            plan = plans.get(key)
            if plan is None:
                plan = self._plan(call)  # raises for calls the agent got wrong
                if len(plans) < _MAX_PLANS:
                    plans[key] = plan
                    fast = self._fast_calls
                    if fast is not None and (plan is _SAME or type(plan) is tuple):
                        fast[key] = plan if plan is _SAME else _fast_entry(plan)
            if plan is _SAME:
                return call
            if type(plan) is str:
                return plan
            if plan is not _UNPLANNED:
                name, keys, sources, fields = plan
                args = call.arguments
                if sources is None:  # the arguments as they are (only the name changes)
                    values = args
                elif type(sources) is tuple:
                    values = dict(zip(keys, map(args.__getitem__, sources), strict=True))
                else:  # some values are constants (a split tool's command)
                    values = {
                        k: v.value if type(v) is _Const else args[v]
                        for k, v in zip(keys, sources, strict=True)
                    }
                new = ToolCall.__new__(ToolCall)
                _set(new, "__dict__", {**call.__dict__, "name": name, "arguments": values})
                _set(new, "__pydantic_fields_set__", call.__pydantic_fields_set__ | fields)
                _set(new, "__pydantic_extra__", None)
                _set(new, "__pydantic_private__", None)
                return new
        return self._invert(call)

    def _invert(self, call: ToolCall) -> ToolCall | str:
        out: ToolCall | str = call
        for invert in self._inverters:
            out = invert(out)
            if isinstance(out, str):
                return out
        return out

    def _plan(self, call: ToolCall) -> Any:
        """How calls shaped like ``call`` map back: the inverse run once on a probe whose
        argument values are markers, read off as (name, argument names, the argument each value
        comes from or a constant, fields set); ``_SAME`` for the call itself, a string for a
        canned answer, ``_UNPLANNED`` when the result is not of that form (run the inverse)."""
        probe = ToolCall.__new__(ToolCall)
        values = {k: _Arg(k) for k in call.arguments}
        _set(probe, "__dict__", {**call.__dict__, "arguments": values})
        _set(probe, "__pydantic_fields_set__", set())
        _set(probe, "__pydantic_extra__", None)
        _set(probe, "__pydantic_private__", call.__pydantic_private__)
        out = self._invert(probe)
        if out is probe:
            return _SAME
        if isinstance(out, str):
            return out
        rest = {k: v for k, v in out.__dict__.items() if k not in ("name", "arguments")}
        if (
            type(out) is not ToolCall
            or out.__pydantic_extra__ is not None
            or out.__pydantic_private__ is not None
            or call.__pydantic_private__ is not None
            or rest != {k: v for k, v in call.__dict__.items() if k not in ("name", "arguments")}
            or type(out.arguments) is not dict
        ):
            return _UNPLANNED
        sources = [v.key if type(v) is _Arg else _Const(v) for v in out.arguments.values()]
        return (
            out.name,
            tuple(out.arguments),
            # None: the very same arguments; a tuple: every value is one of the agent's;
            # a list: some are constants
            None
            if out.arguments is values
            else sources
            if any(type(v) is _Const for v in sources)
            else tuple(sources),
            frozenset(out.__pydantic_fields_set__),
        )

    # -- inspection ---------------------------------------------------------------------------
    def summary(self) -> list[str]:
        """One line per applied transform, for logs and reports."""
        return [
            f"{r.target}: {r.transform} {json.dumps(r.params, sort_keys=True)}"
            for r in self.records
        ]

    def to_json(self) -> list[dict[str, Any]]:
        return [r.model_dump(mode="json") for r in self.records]


class _Arg:
    """A probe's argument value: stands for the agent's value of argument ``key``."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key


class _Const:
    """A value a mapped-back call always has (not one of the agent's)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _fast_entry(plan: tuple[Any, ...]) -> tuple[str, tuple[tuple[str, Any], ...] | None]:
    """A plan as ``PerturbedEnv.run_args`` reads it: (real tool name, ``None`` for the agent's
    arguments as they are, else (argument name, the agent's argument it comes from or a
    ``_Const``) pairs)."""
    name, keys, sources, _ = plan
    return name, None if sources is None else tuple(zip(keys, sources, strict=True))


_SAME = object()  # plan: the call maps back to itself
_UNPLANNED = object()  # plan: run the inverse on every call
_MAX_PLANS = 256  # shapes cached per episode (the agent may invent any argument names)


def _text_fn(t: Any, params: dict[str, Any]) -> Callable[[str], str] | None:
    """``t.text_fn(params)`` when it stands for ``t.apply`` (not for an ``apply_text`` a
    subclass redefined below it)."""
    if t is None or type(t).apply is not ResponseTransform.apply:
        return None
    mro = type(t).__mro__
    defines = [
        i for i, c in enumerate(mro) if "text_fn" in c.__dict__ or "apply_text" in c.__dict__
    ]
    if not defines or "text_fn" not in mro[defines[0]].__dict__:
        return None
    return t.text_fn(params)


def _text_unchanged(t: Any) -> bool:
    """Whether ``t`` returns every response's text as it is (a transient error acts earlier)."""
    cls = type(t)
    return (
        cls.apply is ResponseTransform.apply
        and cls.apply_text is ResponseTransientError.apply_text
        and isinstance(t, ResponseTransientError)
    )


_RESPONSE_FIELDS = frozenset({"text", "tool_name", "call_index", "is_error"})


def _retry_key(call: ToolCall) -> str:
    """What makes a retry "the same call": the real tool and its arguments."""
    return json.dumps([call.name, call.arguments], sort_keys=True, default=str)


def response(text: str, tool_name: str, call_index: int, is_error: bool) -> ToolResponse:
    """``ToolResponse(...)``; built without validation when every field has its exact type."""
    if (
        type(text) is str
        and type(tool_name) is str
        and type(call_index) is int
        and type(is_error) is bool
    ):
        obj = ToolResponse.__new__(ToolResponse)
        _set(
            obj,
            "__dict__",
            {"text": text, "tool_name": tool_name, "call_index": call_index, "is_error": is_error},
        )
        _set(obj, "__pydantic_fields_set__", {"text", "tool_name", "call_index", "is_error"})
        _set(obj, "__pydantic_extra__", None)
        _set(obj, "__pydantic_private__", None)
        return obj
    return ToolResponse(text=text, tool_name=tool_name, call_index=call_index, is_error=is_error)


_set = object.__setattr__

__all__ = ["EpisodePerturbation", "replay"]
