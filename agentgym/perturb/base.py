"""The transform API: ``Transform`` (one seeded change to one surface) and its combinators.

A transform's life has two halves, as in albumentations:

* ``sample_params(rng, context)`` draws every random choice from the ``numpy.random.Generator``
  it is given and returns them as a JSON-serializable dict;
* ``apply(obj, params)`` is a pure function of the object and those params.

``apply`` never looks at ``self``'s severity or options: everything it needs is in the params,
so a :class:`~agentgym.types.PerturbationRecord` (name, target, params) replays the change
with :func:`replay` and a default-constructed transform.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from agentgym.errors import PerturbationError
from agentgym.types import PerturbationRecord, ToolCall, ToolSpec

Target = Literal["tools", "system", "user", "chat_format", "tool_response", "scaffold"]
Semantics = Literal["preserving", "adversarial"]
Severity = Literal["light", "medium", "heavy"]
TARGETS: tuple[str, ...] = get_args(Target)
SEVERITIES: tuple[str, ...] = get_args(Severity)
SEMANTICS: tuple[str, ...] = get_args(Semantics)
M = TypeVar("M", bound=BaseModel)


_set = object.__setattr__


def updated(model: M, update: dict[str, Any]) -> M:
    """``model.model_copy(update=update)`` — same fields, same ``model_fields_set``, no
    validation — without pydantic's generic copy machinery: it runs on every tool call."""
    if model.__pydantic_private__ is not None or model.__pydantic_extra__ is not None:
        return model.model_copy(update=update)
    cls = type(model)
    new = cls.__new__(cls)
    values = model.__dict__.copy()
    values.update(update)
    _set(new, "__dict__", values)
    _set(new, "__pydantic_extra__", None)
    fields_set = set(model.__pydantic_fields_set__)
    fields_set.update(update)
    _set(new, "__pydantic_fields_set__", fields_set)
    _set(new, "__pydantic_private__", None)
    return new


class PerturbRecord(BaseModel):
    """Base of this package's small records: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class ChatOptions(PerturbRecord):
    """How the episode's conversation is rendered. ``None`` means "the format's default"."""

    format: str | None = None
    past_reasoning: Literal["keep", "template", "drop"] | None = None
    tool_result_role: Literal["tool", "user"] | None = None
    tool_result_placement: Literal["separate", "merged"] | None = None
    system_in_user: Literal["plain", "tagged"] | None = None
    tools_placement: Literal["system", "user"] | None = None

    def render_options(self) -> dict[str, Any]:
        """The options ``agentgym.chat`` formats take (see ``COMMON_OPTIONS``), one to one."""
        out: dict[str, Any] = {}
        if self.past_reasoning is not None:
            out["reasoning"] = self.past_reasoning
        if self.tool_result_role == "user":
            out["tool_results"] = "user"
        elif self.tool_result_placement == "merged":
            out["tool_results"] = "merged"
        if self.system_in_user == "plain":
            out["system"] = "fold"
        elif self.system_in_user == "tagged":
            out["system"] = "tagged"
        if self.tools_placement == "user":
            out["tools_placement"] = "user"
        elif self.tools_placement == "system" and (self.format or "").startswith("llama"):
            out["tools_in_user_message"] = False  # llama's native default is the user turn
        return out


class ToolResponse(PerturbRecord):
    """One tool result as the tool-response transforms see it."""

    text: str
    tool_name: str = ""
    call_index: int = 0
    is_error: bool = False


class ScaffoldChoice(PerturbRecord):
    """The scaffold surface: which real harness the episode runs in (``None``: agentgym's own).
    The ``scaffold`` transform sets it; ``PerturbedEnv`` installs the profile's tools, prompts
    and chat placement (``agentgym.scaffolds``) before every other surface's transforms."""

    profile: str | None = None


class NoOptions(PerturbRecord):
    """Options of a transform that has none beyond ``p`` and ``severity``."""


@dataclass
class PerturbContext:
    """The surfaces of one episode while it is being sampled; transforms read and update it."""

    tools: list[ToolSpec] = field(default_factory=list)
    system: str = ""
    user: str = ""
    chat_format: ChatOptions = field(default_factory=ChatOptions)
    tool_response: ToolResponse | None = None
    scaffold: ScaffoldChoice = field(default_factory=ScaffoldChoice)

    def get(self, target: str) -> Any:
        return getattr(self, target)

    def set(self, target: str, value: Any) -> None:
        setattr(self, target, value)


class Transform:
    """Base class of every perturbation.

    Subclasses set ``name`` (registry key), ``target``, ``semantics``, ``levels`` (the knob
    values per severity, copied into the params) and ``severity_doc`` (what each severity
    concretely does), and implement ``apply`` (and ``sample_params`` when they draw).
    """

    name: ClassVar[str] = ""
    target: ClassVar[Target]
    semantics: ClassVar[Semantics] = "preserving"
    levels: ClassVar[dict[str, dict[str, Any]]] = {"light": {}, "medium": {}, "heavy": {}}
    severity_doc: ClassVar[dict[str, str]] = {}
    doc: ClassVar[str] = ""
    Options: ClassVar[type[PerturbRecord]] = NoOptions

    def __init__(self, p: float = 1.0, severity: Severity = "medium", **options: Any) -> None:
        self.p = _check_p(p, self.name)
        if severity not in SEVERITIES:
            raise PerturbationError(
                f"{self.name}: severity must be one of {'|'.join(SEVERITIES)}, got {severity!r}"
            )
        self.severity: Severity = severity
        try:
            self.options = self.Options(**options)
        except ValidationError as exc:
            raise PerturbationError(f"{self.name}: bad options: {exc}") from exc

    # -- the two halves ---------------------------------------------------------------
    @property
    def knobs(self) -> dict[str, Any]:
        """This severity's knob values (a fresh dict the caller may extend)."""
        return dict(self.levels[self.severity])

    def sample_params(self, rng: np.random.Generator, context: PerturbContext) -> dict[str, Any]:
        """Draw this application's random choices. Default: the severity's knobs, no draws."""
        return self.knobs

    def apply(self, obj: Any, params: dict[str, Any]) -> Any:
        """Return the perturbed copy of ``obj``; a pure function of ``obj`` and ``params``."""
        raise NotImplementedError

    # -- running ----------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, context: PerturbContext) -> list[PerturbationRecord]:
        """With probability ``p``: sample params, apply them to ``context``, return the record."""
        if rng.random() >= self.p:
            return []
        return [self.force(rng, context)]

    def force(self, rng: np.random.Generator, context: PerturbContext) -> PerturbationRecord:
        """Sample and apply regardless of ``p`` (used by ``OneOf``)."""
        params = self.sample_params(rng, context)
        obj = context.get(self.target)
        if obj is not None:
            context.set(self.target, self.apply(obj, params))
        self.after_apply(context, params)
        return PerturbationRecord(transform=self.name, target=self.target, params=params)

    def after_apply(self, context: PerturbContext, params: dict[str, Any]) -> None:
        """Hook for transforms that also touch another surface of the context."""

    def __call__(
        self, obj: Any, rng: np.random.Generator, context: PerturbContext | None = None
    ) -> tuple[Any, PerturbationRecord | None]:
        """Perturb one object directly: ``(new_obj, record)``, or ``(obj, None)`` if skipped."""
        ctx = context or PerturbContext()
        ctx.set(self.target, obj)
        records = self.sample(rng, ctx)
        return ctx.get(self.target), (records[0] if records else None)

    # -- serialization ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The recipe entry for this transform (``type``, ``p``, ``severity``, options)."""
        out: dict[str, Any] = {"type": self.name, "p": self.p, "severity": self.severity}
        out.update(self.options.model_dump(mode="json", exclude_defaults=True))
        return out

    def leaves(self) -> list[Transform]:
        return [self]

    def __repr__(self) -> str:
        opts = self.options.model_dump(exclude_defaults=True)
        extra = "".join(f", {k}={v!r}" for k, v in opts.items())
        return f"{type(self).__name__}(p={self.p}, severity={self.severity!r}{extra})"


class ToolsTransform(Transform):
    """A transform of the tool list. Renaming transforms also map calls both ways."""

    target: ClassVar[Target] = "tools"
    # True: the inverse mapping of a call depends only on its tool name and its argument names
    # (never on argument values), so an episode maps each such shape once and caches the result.
    inverts_by_names: ClassVar[bool] = False

    def apply(self, obj: list[ToolSpec], params: dict[str, Any]) -> list[ToolSpec]:
        raise NotImplementedError

    def forward_call(self, call: ToolCall, params: dict[str, Any]) -> ToolCall:
        """Map a call to the tools before this transform onto the tools after it."""
        return call

    def invert_call(self, call: ToolCall, params: dict[str, Any]) -> ToolCall | str:
        """Map a call to the tools after this transform back to the tools before it.

        Returns a string instead when the call is answered without running anything
        (a distractor tool): that string is the tool's canned response.
        Raises :class:`~agentgym.errors.ToolError` subclasses for calls the agent got wrong.
        Subclasses override this or :meth:`inverter` (which this calls).
        """
        invert = self.inverter(params)
        return call if invert is None else invert(call)

    def inverter(self, params: dict[str, Any]) -> Callable[[ToolCall], ToolCall | str] | None:
        """``invert_call`` with ``params`` bound, for the per-call path: the lookup tables it
        needs are built here, once per episode, not on every call. ``None``: every call is
        left alone (the transform renames nothing)."""
        if type(self).invert_call is ToolsTransform.invert_call:
            return None
        return lambda call: self.invert_call(call, params)


class TextTransform(Transform):
    """A transform of the system or user prompt text."""

    def apply(self, obj: str, params: dict[str, Any]) -> str:
        raise NotImplementedError


class ChatTransform(Transform):
    """A transform of the episode's chat-format options."""

    target: ClassVar[Target] = "chat_format"

    def apply(self, obj: ChatOptions, params: dict[str, Any]) -> ChatOptions:
        return obj.model_copy(update=params.get("set", {}))


class ResponseTransform(Transform):
    """A transform of tool responses. Sampled once per episode, applied to every response.

    ``lossless`` transforms implement ``restore`` (the exact inverse, up to JSON formatting);
    lossy ones (truncation, adversarial additions) say what they removed or added.
    """

    target: ClassVar[Target] = "tool_response"
    lossless: ClassVar[bool] = True

    def apply(self, obj: ToolResponse, params: dict[str, Any]) -> ToolResponse:
        return updated(obj, {"text": self.apply_text(obj, params)})

    def apply_text(self, obj: ToolResponse, params: dict[str, Any]) -> str:
        raise NotImplementedError

    def text_fn(self, params: dict[str, Any]) -> Callable[[str], str] | None:
        """``apply_text`` as a function of the text alone, its params bound once per episode,
        for transforms whose result depends on nothing else (not the tool name, not the call
        index); ``None`` for the others. ``EpisodePerturbation`` then runs a response as a few
        plain calls: the per-call path runs right after a sandbox command, with cold caches,
        where each object and lookup it saves counts (issue #6)."""
        return None

    def restore(self, obj: ToolResponse, params: dict[str, Any]) -> str:
        """Recover the original text from the perturbed response (lossless transforms)."""
        raise NotImplementedError(f"{self.name} is lossy and has no restore()")


# --- combinators ---------------------------------------------------------------------------


class BaseCompose(Transform):
    """A transform made of transforms. Only leaves are recorded; combinators leave no trace."""

    kind: ClassVar[str] = ""
    target: ClassVar[Target] = "tools"  # unused; combinators span targets

    def __init__(self, transforms: Sequence[Transform], p: float = 1.0) -> None:
        self.p = _check_p(p, self.kind)
        self.severity = "medium"
        self.options = NoOptions()
        self.transforms: list[Transform] = list(transforms)
        for t in self.transforms:
            if not isinstance(t, Transform):
                raise PerturbationError(f"{self.kind}: {t!r} is not a Transform")

    def leaves(self) -> list[Transform]:
        return [leaf for t in self.transforms for leaf in t.leaves()]

    def force(self, rng: np.random.Generator, context: PerturbContext) -> PerturbationRecord:
        raise PerturbationError(f"{self.kind} cannot be forced to one record; use sample()")

    def sample(self, rng: np.random.Generator, context: PerturbContext) -> list[PerturbationRecord]:
        if rng.random() >= self.p:
            return []
        return self.sample_children(rng, context)

    def sample_children(
        self, rng: np.random.Generator, context: PerturbContext
    ) -> list[PerturbationRecord]:
        raise NotImplementedError

    def __call__(
        self, obj: Any, rng: np.random.Generator, context: PerturbContext | None = None
    ) -> tuple[Any, PerturbationRecord | None]:
        raise PerturbationError(f"{self.kind} spans surfaces: use sample(rng, context)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "p": self.p,
            "transforms": [t.to_dict() for t in self.transforms],
        }

    def __repr__(self) -> str:
        inner = ", ".join(repr(t) for t in self.transforms)
        return f"{type(self).__name__}([{inner}], p={self.p})"


class Compose(BaseCompose):
    """Apply every child in order, each with its own probability."""

    kind: ClassVar[str] = "compose"

    def sample_children(
        self, rng: np.random.Generator, context: PerturbContext
    ) -> list[PerturbationRecord]:
        out: list[PerturbationRecord] = []
        for t in self.transforms:
            out.extend(t.sample(rng, context))
        return out


class Sequential(Compose):
    """Like ``Compose``; named for grouping inside ``OneOf`` / ``SomeOf``."""

    kind: ClassVar[str] = "sequential"


class OneOf(BaseCompose):
    """Pick exactly one child, with probability proportional to the children's ``p``, and
    apply it unconditionally (combinators are applied with their own ``p`` check)."""

    kind: ClassVar[str] = "one_of"

    def sample_children(
        self, rng: np.random.Generator, context: PerturbContext
    ) -> list[PerturbationRecord]:
        if not self.transforms:
            return []
        weights = np.array([t.p for t in self.transforms], dtype=float)
        total = weights.sum()
        if total <= 0:
            return []
        idx = int(rng.choice(len(self.transforms), p=weights / total))
        chosen = self.transforms[idx]
        if isinstance(chosen, BaseCompose):
            return chosen.sample_children(rng, context)
        return [chosen.force(rng, context)]


class SomeOf(BaseCompose):
    """Pick ``n`` children uniformly (without replacement unless ``replace``), apply them in
    their listed order, each still with its own ``p``."""

    kind: ClassVar[str] = "some_of"

    def __init__(
        self, transforms: Sequence[Transform], n: int = 1, p: float = 1.0, replace: bool = False
    ) -> None:
        super().__init__(transforms, p=p)
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise PerturbationError(f"some_of: n must be a non-negative integer, got {n!r}")
        if not replace and n > len(self.transforms):
            raise PerturbationError(
                f"some_of: n={n} is larger than the number of transforms ({len(self.transforms)})"
            )
        self.n = n
        self.replace = replace

    def sample_children(
        self, rng: np.random.Generator, context: PerturbContext
    ) -> list[PerturbationRecord]:
        if not self.transforms or self.n == 0:
            return []
        idx = rng.choice(len(self.transforms), size=self.n, replace=self.replace)
        if not self.replace:
            idx = np.sort(idx)
        out: list[PerturbationRecord] = []
        for i in idx:
            out.extend(self.transforms[int(i)].sample(rng, context))
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "p": self.p, "n": self.n}
        if self.replace:
            out["replace"] = True
        out["transforms"] = [t.to_dict() for t in self.transforms]
        return out


COMBINATORS: dict[str, type[BaseCompose]] = {
    c.kind: c for c in (Compose, Sequential, OneOf, SomeOf)
}


# --- replay --------------------------------------------------------------------------------


def replay(
    records: Iterable[PerturbationRecord | dict[str, Any]],
    obj: Any,
    target: Target | None = None,
) -> Any:
    """Re-apply the recorded transforms of ``obj``'s surface, in order.

    ``target`` is inferred for tool lists, :class:`ChatOptions` and :class:`ToolResponse`;
    pass it for prompt strings (``"system"`` or ``"user"``).
    """
    from agentgym.perturb.registry import get_transform_class

    if target is None:
        target = _infer_target(obj)
    for raw in records:
        rec = raw if isinstance(raw, PerturbationRecord) else PerturbationRecord(**raw)
        if rec.target != target:
            continue
        cls = get_transform_class(rec.transform)
        obj = cls().apply(obj, rec.params)
    return obj


def _infer_target(obj: Any) -> Target:
    if isinstance(obj, list):
        return "tools"
    if isinstance(obj, ChatOptions):
        return "chat_format"
    if isinstance(obj, ToolResponse):
        return "tool_response"
    if isinstance(obj, ScaffoldChoice):
        return "scaffold"
    raise PerturbationError(
        "replay: cannot tell the surface of a plain string; pass target='system' or 'user'"
    )


def _check_p(p: Any, who: str) -> float:
    if isinstance(p, bool) or not isinstance(p, int | float) or not (0.0 <= float(p) <= 1.0):
        raise PerturbationError(f"{who}: p must be a number in [0, 1], got {p!r}")
    if math.isnan(float(p)):
        raise PerturbationError(f"{who}: p must be a number in [0, 1], got nan")
    return float(p)


def seed_param(rng: np.random.Generator) -> int:
    """A 31-bit seed for per-response / per-text randomness, drawn from ``rng``."""
    return int(rng.integers(0, 2**31 - 1))


def derived_rng(seed: int, *keys: int) -> np.random.Generator:
    """A Generator fixed by a recorded seed and integer keys (e.g. the call index)."""
    return np.random.default_rng([seed, *keys])


__all__ = [
    "COMBINATORS",
    "SEMANTICS",
    "SEVERITIES",
    "TARGETS",
    "BaseCompose",
    "ChatOptions",
    "ChatTransform",
    "Compose",
    "NoOptions",
    "OneOf",
    "PerturbContext",
    "PerturbRecord",
    "ResponseTransform",
    "ScaffoldChoice",
    "Semantics",
    "Sequential",
    "Severity",
    "SomeOf",
    "Target",
    "TextTransform",
    "ToolResponse",
    "ToolsTransform",
    "Transform",
    "derived_rng",
    "replay",
    "seed_param",
    "updated",
]
