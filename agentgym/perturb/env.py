"""``PerturbedEnv``: a Gymnasium wrapper that perturbs every surface of a ``CodingEnv`` episode.

At ``reset`` it samples one :class:`EpisodePerturbation` from the recipe and installs it on the
episode: the agent sees perturbed tool specs, system and user prompts, and the conversation is
rendered and parsed in the episode's (possibly switched) chat format with its options. During
``step`` each tool call goes through ``ep.call``: distractor tools and transient errors are
answered without running anything, renamed tools and arguments are mapped back to the real
tools, and the real tool's output is perturbed before the agent sees it.

The wrapper changes the env only through its documented attributes (``tool_list``,
``tool_by_name``, ``fmt``, ``chat_format_name``, ``messages``, ``trajectory``), installing
per-episode values after the inner ``reset`` and restoring them before the next one, so
wrappers stack: each layer sees the layer below as "the real env" (see docs/perturbations.md).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agentgym.errors import ConfigError
from agentgym.perturb.base import ChatOptions, Compose, Transform, updated
from agentgym.perturb.episode import _SAME, EpisodePerturbation, _Const
from agentgym.perturb.recipe import load_recipe
from agentgym.tools import Tool, execute_call
from agentgym.types import Message, Observation, ToolCall, ToolSpec

RecipeLike = Transform | Sequence[Transform] | str | Path | None

_FORMATS: dict[str, Any] = {}
_CONTENT = frozenset({"content"})
_CONTENT_METADATA = frozenset({"content", "metadata"})
_set = object.__setattr__


def chat_format(name: str) -> Any:
    """A (cached, stateless) ``agentgym.chat`` format by family name."""
    fmt = _FORMATS.get(name)
    if fmt is None:
        from agentgym.chat import get_format

        fmt = _FORMATS[name] = get_format(name)
    return fmt


class BoundChatFormat:
    """A chat format with one episode's render options bound in.

    ``render``/``render_segments`` (hence ``env.prompt()`` and ``agentgym.chat.tokenize``) use
    the options; ``parse`` and every other attribute are the family's own.
    """

    def __init__(self, fmt: Any, options: ChatOptions) -> None:
        self.fmt = fmt.fmt if isinstance(fmt, BoundChatFormat) else fmt
        self.chat_options = options
        self.render_options: dict[str, Any] = options.render_options()

    def render(
        self, messages: Any, tools: Any = None, add_generation_prompt: bool = False, **kw: Any
    ) -> str:
        return self.fmt.render(
            messages, tools, add_generation_prompt, **{**self.render_options, **kw}
        )

    def render_segments(
        self, messages: Any, tools: Any = None, add_generation_prompt: bool = False, **kw: Any
    ) -> Any:
        opts = {**self.render_options, **kw}
        return self.fmt.render_segments(messages, tools, add_generation_prompt, **opts)

    def generation_prompt(self, messages: Any = (), **kw: Any) -> str:
        return self.fmt.generation_prompt(messages, **{**self.render_options, **kw})

    def render_completion(self, message: Any, **kw: Any) -> str:
        return self.fmt.render_completion(message, **{**self.render_options, **kw})

    def parse(self, completion: str, tools: Any = None, **kw: Any) -> Message:
        return self.fmt.parse(completion, tools, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fmt, name)

    def __repr__(self) -> str:
        return f"<BoundChatFormat {self.fmt.name} {self.render_options}>"


class PerturbedTool(Tool):
    """A tool as the agent sees it in a perturbed episode; its calls go through ``ep.call``."""

    def __init__(self, spec: ToolSpec, layer: PerturbedEnv) -> None:  # no schema check: specs are
        self._spec = spec  # validated by the registry-wide tests
        self._layer = layer
        self.name = spec.name  # type: ignore[misc]

    @property
    def spec(self) -> ToolSpec:
        return self._spec

    def execute(self, sandbox: Any, arguments: dict[str, Any]) -> Observation:
        return self._layer.run_args(self.name, arguments, sandbox)

    def run(self, sandbox: Any, arguments: dict[str, Any]) -> Observation:  # pragma: no cover
        return self.execute(sandbox, arguments)


def as_recipe(recipe: RecipeLike) -> Transform:
    """A recipe path, one transform, a list of transforms (composed) or ``None`` (clean)."""
    if recipe is None:
        return Compose([])
    if isinstance(recipe, (str, Path)):
        return load_recipe(recipe)
    if isinstance(recipe, Transform):
        return recipe
    return Compose(list(recipe))


class PerturbedEnv(gym.Wrapper):
    """Perturb every surface of an agentgym env, sampled once per episode from ``recipe``.

    ``seed`` fixes the episode perturbations: episode ``k`` after ``reset(seed=s)`` is the same
    for the same (``seed``, ``s``, ``k``), whatever the agent does. ``info`` at reset carries
    ``perturbations`` (the records), ``perturbation_seed``, the perturbed ``tools`` and
    ``chat_format``; the records also go to ``env.trajectory.perturbations``.
    """

    surfaces: ClassVar[frozenset[str] | None] = None  # None: every surface

    def __init__(self, env: gym.Env, recipe: RecipeLike = None, seed: int | None = None) -> None:
        super().__init__(env)
        self.recipe = as_recipe(recipe)
        if self.surfaces is not None:
            wrong = [t for t in self.recipe.leaves() if t.target not in self.surfaces]
            if wrong:
                raise ConfigError(
                    f"{type(self).__name__} perturbs only {', '.join(sorted(self.surfaces))}; "
                    f"{wrong[0].name} targets {wrong[0].target!r}: use PerturbedEnv or the "
                    "wrapper for that surface"
                )
        core = self.env.unwrapped
        missing = [
            a
            for a in ("tool_list", "tool_by_name", "fmt", "messages", "trajectory")
            if not hasattr(core, a)
        ]
        if missing:
            raise ConfigError(
                f"{type(self).__name__} wraps agentgym coding envs; {type(core).__name__} has no "
                f"{', '.join(missing)}"
            )
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self.episode = -1
        self.ep = EpisodePerturbation.clean()
        self.ep_seed: int | None = None
        self._saved: tuple[Any, ...] | None = None
        self._below: dict[str, Tool] = {}
        self._events: list[dict[str, Any]] = []

    # -- Gymnasium API -------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        core = self.env.unwrapped
        self._restore()
        obs, info = self.env.reset(seed=seed, options=options)
        if seed is not None:
            self._rng = np.random.default_rng(seed if self.seed is None else [self.seed, seed])
        self.episode += 1
        self.ep_seed = int(self._rng.integers(2**31 - 1))
        self._events = []
        info = dict(info)
        self._install(core, info)
        obs = [m.to_openai() for m in core.messages]
        return obs, info

    def step(self, action: Any) -> tuple[list[dict[str, Any]], float, bool, bool, dict[str, Any]]:
        if self._events:
            self._events = []  # the last step's (``info`` got a copy)
        result = self.env.step(action)
        if not self._events:
            return result
        obs, reward, terminated, truncated, info = result
        info = dict(info)
        info["perturbation_events"] = [*info.get("perturbation_events", []), *self._events]
        return obs, reward, terminated, truncated, info

    def close(self) -> None:
        self._restore()
        super().close()

    # -- per call ------------------------------------------------------------------------
    def run_args(self, name: str, arguments: dict[str, Any], sandbox: Any) -> Observation:
        """One call of the perturbed tool ``name``: :meth:`run_call`'s result, byte for byte.

        The common case runs here in one frame: a call shaped like one mapped back before (same
        tool, same argument names: ``ep._fast_calls``), no retry pending and no transient error
        due; responses by ``ep._text_fns`` when every step is a function of the text. It runs right
        after the sandbox command, with cold CPU caches, where each call and object of the
        general path (``run_call`` -> ``ep.run_parts`` -> ``_resolve``, ``_intercept``,
        ``execute_call``, ``tool_response``, ``updated``) costs 1-2 µs: issue #6 asks the
        whole perturbation for at most 1 % of an env step. Anything else: ``run_call``.
        """
        ep = self.ep
        fast = ep._fast_calls
        if type(arguments) is dict and not ep._failed:
            entry = _SAME if fast is None else fast.get((name, *arguments))
            if entry is not None:
                real_name = name if entry is _SAME else entry[0]
                tool = self._below.get(real_name)
                index = ep._calls
                if tool is not None and not (ep._transient and ep.transient_fails(index)):
                    ep._calls = index + 1
                    pairs = None if entry is _SAME else entry[1]
                    if pairs is None:  # the agent's arguments as they are
                        values = arguments
                    else:  # a plain loop: cheaper here than zip or a comprehension
                        values = {}
                        for k, v in pairs:
                            values[k] = v.value if type(v) is _Const else arguments[v]
                    obs = tool.execute(sandbox, values)
                    text = content = obs.content
                    fns = ep._text_fns
                    if fns is not None and type(text) is str:
                        for fn in fns:
                            text = fn(text)
                    else:
                        text = ep.tool_response(text, real_name, index, obs.is_error)
                    # One copy of the real tool's observation (as ``updated`` makes it), and
                    # only when something differs: the text the agent sees, or the call that
                    # really ran (for the monitor) when it was renamed.
                    if entry is _SAME:
                        if text is content:
                            return obs
                        metadata = obs.metadata
                        changed = _CONTENT
                    else:
                        real = {"name": real_name, "arguments": values}
                        # a tool that names its canonical call itself (a scaffold's) wins
                        metadata = {"real_call": real, **obs.metadata}
                        changed = _CONTENT_METADATA
                    if obs.__pydantic_private__ is not None or obs.__pydantic_extra__ is not None:
                        update = {"content": text, "metadata": metadata}
                        return updated(obs, {k: update[k] for k in sorted(changed)})
                    if sys.getrefcount(obs) == 2:
                        # Held by nothing but this frame (and getrefcount's argument): the tool
                        # made it for this call alone, so updating it in place is the copy
                        # without building one. A tool that keeps its observations gets a copy.
                        fields = obs.__dict__
                        fields["content"] = text
                        fields["metadata"] = metadata
                        _set(obs, "__pydantic_fields_set__", obs.__pydantic_fields_set__ | changed)
                        return obs
                    cls = type(obs)
                    new = cls.__new__(cls)
                    _set(new, "__dict__", {**obs.__dict__, "content": text, "metadata": metadata})
                    _set(new, "__pydantic_fields_set__", obs.__pydantic_fields_set__ | changed)
                    _set(new, "__pydantic_extra__", None)
                    _set(new, "__pydantic_private__", None)
                    return new
        # Built without validation (as model_construct would): the env already validated the
        # call.
        call = ToolCall.__new__(ToolCall)
        _set(
            call,
            "__dict__",
            {"id": "agent", "name": name, "arguments": arguments, "raw_arguments": None},
        )
        _set(call, "__pydantic_fields_set__", {"id", "name", "arguments"})
        _set(call, "__pydantic_extra__", None)
        _set(call, "__pydantic_private__", None)
        return self.run_call(call, sandbox)

    def run_call(self, call: ToolCall, sandbox: Any) -> Observation:
        """One call of a perturbed tool: intercept, map back, run on the layer below, perturb."""
        below = self._below
        obs, text, real = self.ep.run_parts(call, lambda real: execute_call(below, sandbox, real))
        if real is None:
            kind = obs.metadata.get("perturbation", "tool_error")
            self._events.append({"episode": self.episode, "kind": kind, "tool": call.name})
            return obs
        # One copy of the real tool's observation, and only when something differs: the text
        # the agent sees, or the call that really ran (for the monitor) when it was renamed.
        update: dict[str, Any] = {}
        if text is not obs.content:
            update["content"] = text
        if real is not call and "real_call" not in obs.metadata:
            update["metadata"] = {
                **obs.metadata,
                "real_call": {"name": real.name, "arguments": real.arguments},
            }
        return updated(obs, update) if update else obs

    # -- installing one episode -----------------------------------------------------------
    def _install(self, core: Any, info: dict[str, Any]) -> None:
        messages: list[Message] = list(core.messages)
        sys_i = 0 if messages and messages[0].role == "system" else None
        user_i = next((i for i, m in enumerate(messages) if m.role == "user"), None)
        system = messages[sys_i].content or "" if sys_i is not None else ""
        user = messages[user_i].content or "" if user_i is not None else ""
        below_tools: list[Tool] = list(core.tool_list)
        below_specs = [t.spec for t in below_tools]
        ep = EpisodePerturbation.sample(
            self.recipe, self.ep_seed or 0, tools=below_specs, system=system, user=user
        )
        ep.seed = self.ep_seed
        self.ep = ep
        self._saved = (core.tool_list, core.tool_by_name, core.fmt, core.chat_format_name)
        targets = {r.target for r in ep.records}

        runtime = None
        if "scaffold" in targets:  # a real harness: its tools, prompts and chat placement
            from agentgym.scaffolds.runtime import runtime_for

            runtime = runtime_for(ep.records, core.task.workdir if core.task else "/workspace")
            below_tools = list(runtime.tools)
            below_specs = [t.spec for t in below_tools]
            user = runtime.user_message(user)
        specs = below_specs
        if targets & {"tools", "tool_response", "scaffold"}:
            specs = ep.tools(below_specs)
            self._below = {t.name: t for t in below_tools}
            core.tool_list = [PerturbedTool(s, self) for s in specs]
            core.tool_by_name = {t.name: t for t in core.tool_list}
        if runtime is not None:
            runtime.bind_shown(ep.forward_call)
            system = runtime.system_prompt(specs)
        family = core.chat_format_name
        if "chat_format" in targets:
            base = core.fmt.chat_options if isinstance(core.fmt, BoundChatFormat) else ChatOptions()
            opts = ep.chat_options(base)
            family = opts.format or family
            core.fmt = BoundChatFormat(chat_format(family), opts)
            core.chat_format_name = family
        if runtime is not None:
            from agentgym.scaffolds.runtime import ScaffoldFormat

            core.fmt = ScaffoldFormat(core.fmt, runtime, specs)
        if targets & {"system", "user", "tools", "scaffold"}:
            new_system, new_user = ep.opening(system, user)
            rebuilt: list[Message] = []
            for i, m in enumerate(messages):
                if i == sys_i:
                    if new_system:
                        rebuilt.append(m.model_copy(update={"content": new_system}))
                elif i == user_i:
                    rebuilt.append(m.model_copy(update={"content": new_user}))
                else:
                    rebuilt.append(m)
            if sys_i is None and new_system:
                rebuilt.insert(0, Message(role="system", content=new_system))
            core.messages = rebuilt

        # Tools written into the text are not declared to the model: no native tools.
        declared = [] if runtime is not None and runtime.text else specs
        traj = core.trajectory
        if traj is not None:
            traj.messages = list(core.messages)
            traj.tools = list(declared)
            traj.chat_format = family
            traj.perturbations = [*traj.perturbations, *ep.records]
            seeds = traj.metadata.get("perturbation_seeds", [])
            traj.metadata = {**traj.metadata, "perturbation_seeds": [*seeds, self.ep_seed]}
            if runtime is not None:
                traj.metadata["scaffold"] = {
                    "profile": runtime.profile.name,
                    "version": runtime.profile.version,
                    "placement": runtime.profile.placement,
                }
        if runtime is not None:
            info["scaffold"] = runtime.profile.name
            info["scaffold_placement"] = runtime.profile.placement
        info["tools"] = copy.deepcopy([s.to_openai() for s in declared])
        info["chat_format"] = family
        if isinstance(core.fmt, BoundChatFormat):
            info["chat_options"] = core.fmt.chat_options.model_dump(exclude_none=True)
        info["perturbations"] = [*info.get("perturbations", []), *ep.to_json()]
        info["perturbation_seed"] = self.ep_seed
        if "prompt" in info:
            info["prompt"] = core.prompt()

    def _restore(self) -> None:
        if self._saved is not None:
            core = self.env.unwrapped
            core.tool_list, core.tool_by_name, core.fmt, core.chat_format_name = self._saved
            self._saved = None


__all__ = ["BoundChatFormat", "PerturbedEnv", "PerturbedTool", "as_recipe", "chat_format"]
