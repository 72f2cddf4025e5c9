"""TRL (``trl`` 1.16) ``GRPOTrainer`` adapters over agentgym envs. See docs/integrations.md.

Three ways in, each a thin layer over the public env API:

(a) :func:`environment_factory` builds the class TRL's ``environment_factory=`` takes: one
    method per tool, named, documented and typed from the episode's (possibly perturbed) tool
    definitions, so TRL renders exactly the tool surface a recipe produced; ``reset(**row)``
    starts the row's task and returns its instruction; ``get_reward()`` grades the episode.
    TRL renders the conversation with the tokenizer's own chat template and parses tool calls
    with its own response parser.
(b) :class:`AgentGymRollout` is a ``rollout_func=``: it drives whole episodes itself with the
    episode's agentgym chat format and parser, token-in/token-out (generated ids kept
    verbatim, env turns appended with mask 0), and returns ``prompt_ids``,
    ``completion_ids``, ``logprobs`` and ``env_mask`` as TRL expects. Chat-template,
    system/user, tool and tool-response perturbations all reach the model on this path.
(c) :func:`reward_function` scores single-turn envs (``agentgym/ToolCall-v0``, or a chat
    env in one turn) from TRL's own completions.

Dataset rows name an episode: ``task_id`` (+ optional ``recipe`` and ``seed``); see
:func:`rollout_dataset`, :func:`factory_dataset` and :func:`single_turn_dataset`.
Infrastructure faults (sandbox or daemon failures, not the agent's doing) score ``None``:
TRL turns that into NaN, keeps it out of the group baseline and gives it no advantage.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from agentgym.errors import ConfigError
from agentgym.integrations.core import (
    INFRA_EXCEPTIONS,
    EpisodeSpec,
    Outcome,
    Session,
    TokenTurns,
    close_all_sessions,
    parse_spec,
)
from agentgym.types import Message, ToolCall

TESTED_VERSION = "1.16.0"

# --- (a) environment_factory ------------------------------------------------------------

_JSON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "object": dict,
}
_RESERVED = {"reset", "get_reward"}


def _py_type(schema: dict[str, Any]) -> Any:
    kind = schema.get("type", "string")
    if isinstance(kind, list):  # a union: the first non-null member
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "array":
        return list[_py_type(schema.get("items") or {})]  # type: ignore[misc]
    return _JSON_TYPES.get(kind, str)


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _tool_method(spec: dict[str, Any]) -> Callable[..., str]:
    """A method whose name, docstring and signature are the tool's (TRL and transformers'
    ``get_json_schema`` read exactly those to render the tool for the model)."""
    fn_spec = spec.get("function", spec)
    name = fn_spec["name"]
    params = fn_spec.get("parameters") or {}
    props: dict[str, Any] = params.get("properties") or {}
    required = set(params.get("required") or [])

    def call(self: AgentGymToolEnv, **kwargs: Any) -> str:
        return self._call_tool(name, kwargs)

    sig_params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {}
    arg_docs = []
    ordered = [p for p in props if p in required] + [p for p in props if p not in required]
    for arg in ordered:
        schema = props[arg] or {}
        annotations[arg] = _py_type(schema)
        default = inspect.Parameter.empty if arg in required else None
        sig_params.append(
            inspect.Parameter(
                arg, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotations[arg]
            )
        )
        desc = _one_line(schema.get("description") or arg)
        if "enum" in schema:
            import json

            desc += f" (choices: {json.dumps(schema['enum'])})"
        arg_docs.append(f"    {arg}: {desc}")
    annotations["return"] = str
    doc = _one_line(fn_spec.get("description") or name)
    if arg_docs:
        doc += "\n\nArgs:\n" + "\n".join(arg_docs)
    doc += "\n\nReturns:\n    The tool's output."
    call.__name__ = name
    call.__qualname__ = f"AgentGymToolEnv.{name}"
    call.__doc__ = doc
    call.__annotations__ = annotations
    call.__signature__ = inspect.Signature(sig_params, return_annotation=str)  # type: ignore[attr-defined]
    return call


class AgentGymToolEnv:
    """Base of the classes :func:`environment_factory` generates (one instance per rollout)."""

    env_id: str = "agentgym/BugFix-v0"
    recipe: str | None = None
    seed: int = 0
    env_kwargs: dict[str, Any] = {}  # noqa: RUF012 - set per generated class
    _handoff: list[Session] = []  # noqa: RUF012 - the probe session, used by the first instance

    def __init__(self) -> None:
        cls = type(self)
        self._session = (
            cls._handoff.pop() if cls._handoff else Session(cls.env_id, **cls.env_kwargs)
        )
        self._calls = 0
        self.outcome: Outcome = Outcome()

    def reset(self, **row: Any) -> str | None:
        """Start the row's episode (``task_id``; ``seed`` picks a task when none is named).
        Returns the task instruction, which TRL appends to the row's last user message."""
        spec = parse_spec(row, type(self).env_id)
        cls = type(self)
        if spec.recipe not in (None, cls.recipe):
            raise ConfigError(
                f"this environment_factory was built for recipe {cls.recipe!r} (TRL fixes the tool "
                f"schema when the trainer starts); the row asks for {spec.recipe!r}: build one "
                "factory per recipe, or use AgentGymRollout (rollout_func) for per-row recipes"
            )
        task_id = spec.task_id
        if task_id is None and self._session.chat:
            tasks = self._session.base.tasks  # type: ignore[attr-defined]
            task_id = tasks[int(np.random.default_rng(spec.seed).integers(len(tasks)))].id
        ep = EpisodeSpec(env_id=cls.env_id, task_id=task_id, recipe=cls.recipe, seed=cls.seed)
        self._calls = 0
        try:
            obs, _ = self._session.start(ep)
        except INFRA_EXCEPTIONS as exc:
            self.outcome = self._session.fail(exc)
            return "The environment failed to start; this episode is not scored."
        self.outcome = self._session.outcome
        if not self._session.chat:
            return str(obs)
        users = [m for m in obs if m.get("role") == "user"]
        return str(users[-1]["content"]) if users else None

    def _call_tool(self, name: str, arguments: dict[str, Any]) -> str:
        if self.outcome.done:
            return "The episode is over; no tool runs any more."
        self._calls += 1
        args = {k: v for k, v in arguments.items() if v is not None}
        call = ToolCall(id=f"call_trl_{self._calls}", name=name, arguments=args)
        obs, *_ = self._session.step(Message(role="assistant", tool_calls=[call]))
        if isinstance(obs, str):
            return obs
        return "\n".join(str(m.get("content") or "") for m in obs)

    def get_reward(self) -> float | None:
        """The episode's grade (an unfinished episode is graded as it stands); ``None`` for
        an infrastructure fault, which TRL leaves out of the group baseline."""
        outcome = self._session.end("the model stopped calling tools")
        self.outcome = outcome
        return None if outcome.infrastructure_error else float(outcome.reward)

    def close(self) -> None:
        """Release this rollout's sandbox."""
        self._session.close()


def environment_factory(
    env_id: str = "agentgym/BugFix-v0",
    *,
    recipe: str | None = None,
    seed: int = 0,
    task_id: str | None = None,
    **env_kwargs: Any,
) -> type[AgentGymToolEnv]:
    """A class for ``GRPOTrainer(environment_factory=...)``: its methods are the tools one
    episode of ``env_id`` shows under ``recipe`` + ``seed`` (renamed, re-described, extra or
    split tools included). Starts one probe episode (on ``task_id``, else the env's first task)
    to read them; the probe's sandbox serves the first rollout."""
    probe = Session(env_id, **env_kwargs)
    if not probe.chat:
        probe.close()
        raise ConfigError(
            f"{env_id} has no tools to expose: use reward_function() (single turn) or "
            "AgentGymRollout (rollout_func) for it"
        )
    first = task_id or probe.base.tasks[0].id  # type: ignore[attr-defined]
    try:
        probe.start(EpisodeSpec(env_id=env_id, task_id=first, recipe=recipe, seed=seed))
    except BaseException:
        probe.close()
        raise
    namespace: dict[str, Any] = {
        "env_id": env_id,
        "recipe": recipe,
        "seed": seed,
        "env_kwargs": dict(env_kwargs),
        "_handoff": [probe],
        "tool_specs": probe.tools,
        "system_prompt": next(
            (m["content"] for m in probe.messages if m["role"] == "system"), None
        ),
        "__doc__": f"agentgym {env_id} episodes for TRL (recipe={recipe!r}, seed={seed}).",
    }
    for spec in probe.tools:
        name = spec["function"]["name"]
        if name in _RESERVED or name.startswith("_"):
            probe.close()
            raise ConfigError(
                f"tool name {name!r} collides with TRL's environment protocol; use "
                "AgentGymRollout (rollout_func) for this recipe"
            )
        namespace[name] = _tool_method(spec)
    return type("AgentGymEnv", (AgentGymToolEnv,), namespace)


def factory_dataset(
    env_cls: type[AgentGymToolEnv], task_ids: Sequence[str], repeat: int = 1
) -> list[dict[str, Any]]:
    """Rows for an ``environment_factory`` run: the (perturbed) system prompt as the prompt
    and an empty user turn the env's ``reset`` fills with the task instruction."""
    system = getattr(env_cls, "system_prompt", None)
    prompt = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": ""}
    ]
    return [
        {"prompt": prompt, "task_id": t, "seed": i}
        for i, t in enumerate([t for t in task_ids for _ in range(repeat)])
    ]


# --- (b) rollout_func -------------------------------------------------------------------


class AgentGymRollout:
    """``GRPOTrainer(rollout_func=AgentGymRollout(...))``: whole agentgym episodes per prompt.

    Each ``prompt`` is an :class:`EpisodeSpec` as JSON (see :func:`rollout_dataset`): TRL hands
    ``rollout_func`` the prompt column only, so the row's prompt names the episode. The
    prompt the model sees is the episode's own opening, rendered in its chat format.
    ``engine`` (anything with agentgym's ``RolloutEngine.generate``) replaces generation with
    the trainer's model, e.g. to replay scripted completions.
    """

    def __init__(
        self,
        env_id: str = "agentgym/BugFix-v0",
        *,
        max_turns: int = 8,
        max_new_tokens: int | None = None,
        max_total_tokens: int | None = None,
        temperature: float | None = None,
        env_workers: int = 4,
        engine: Any = None,
        tokenizer: Any = None,
        **env_kwargs: Any,
    ) -> None:
        self.env_id = env_id
        self.env_kwargs = dict(env_kwargs)
        self.max_turns = max_turns
        self.max_new_tokens = max_new_tokens
        self.max_total_tokens = max_total_tokens
        self.temperature = temperature
        self.env_workers = env_workers
        self.engine = engine
        self.tokenizer = tokenizer
        self._free: dict[str, list[Session]] = {}
        self._lock = threading.Lock()
        self.calls = 0
        self.last_outcomes: list[Outcome] = []

    # -- sessions: kept between steps (warm sandbox pools), one per concurrent episode ----
    def _take(self, spec: EpisodeSpec) -> Session:
        kwargs = {**self.env_kwargs, **spec.env_kwargs}
        key = spec.env_id + repr(sorted(kwargs.items()))
        with self._lock:
            free = self._free.get(key, [])
            if free:
                return free.pop()
        session = Session(spec.env_id, **kwargs)
        session._pool_key = key  # type: ignore[attr-defined]
        return session

    def _give_back(self, session: Session) -> None:
        with self._lock:
            self._free.setdefault(session._pool_key, []).append(session)  # type: ignore[attr-defined]

    def close(self) -> None:
        """Close every env this rollout holds."""
        with self._lock:
            sessions = [s for v in self._free.values() for s in v]
            self._free.clear()
        for s in sessions:
            s.close()

    # -- the rollout ---------------------------------------------------------------------
    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        self.calls += 1
        tokenizer = self.tokenizer or trainer.processing_class
        tokenizer = getattr(tokenizer, "tokenizer", tokenizer)  # a VLM processor's tokenizer
        specs = [parse_spec(_prompt_text(p), self.env_id) for p in prompts]
        engine = self.engine or _TrainerEngine(trainer, tokenizer)
        max_new = self.max_new_tokens or int(getattr(trainer, "max_completion_length", 256))
        temperature = (
            self.temperature
            if self.temperature is not None
            else float(getattr(trainer, "temperature", 1.0))
        )
        step = int(getattr(getattr(trainer, "state", None), "global_step", 0) or 0)
        episodes = _run_episodes(
            self,
            specs,
            tokenizer,
            engine,
            max_new_tokens=max_new,
            temperature=temperature,
            sample_seed=step * 1_000_003 + self.calls,
        )
        self.last_outcomes = [e.outcome for e in episodes]
        rewards = [None if e.outcome.infrastructure_error else e.outcome.reward for e in episodes]
        return {
            "prompt_ids": [e.turns.prompt_ids for e in episodes],
            "completion_ids": [e.turns.completion_ids for e in episodes],
            "logprobs": [e.turns.logprobs for e in episodes],
            "env_mask": [e.turns.mask for e in episodes],
            "agentgym_reward": rewards,
            "agentgym_task_id": [e.outcome.task_id for e in episodes],
            "agentgym_infrastructure_error": [e.outcome.infrastructure_error for e in episodes],
        }


class _Episode:
    def __init__(self, session: Session, tokenizer: Any) -> None:
        self.session = session
        self.turns = TokenTurns(session, tokenizer)
        self.outcome = Outcome()
        self.active = True
        self.last_finished = True


def _run_episodes(
    rollout: AgentGymRollout,
    specs: list[EpisodeSpec],
    tokenizer: Any,
    engine: Any,
    *,
    max_new_tokens: int,
    temperature: float,
    sample_seed: int,
) -> list[_Episode]:
    """All episodes of one batch in lockstep: one batched generation per turn, env steps on
    threads (sandbox calls block). Every session goes back to the pool or is closed, whatever
    happens (an exception in the trainer included)."""
    episodes: list[_Episode] = []
    workers = max(1, min(rollout.env_workers, len(specs)))
    pool = ThreadPoolExecutor(max_workers=workers)
    finished = False
    try:

        def start(spec: EpisodeSpec) -> _Episode:
            session = rollout._take(spec)
            ep = _Episode(session, tokenizer)
            try:
                obs, info = session.start(spec)
                ep.turns.start(obs, info)
            except INFRA_EXCEPTIONS as exc:
                ep.outcome = session.fail(exc)
                ep.active = False
            return ep

        episodes = list(pool.map(start, specs))
        for turn in range(rollout.max_turns):
            live = [e for e in episodes if e.active]
            if not live:
                break
            if hasattr(engine, "stop_ids"):
                engine.stop_ids = sorted({i for e in live for i in e.turns.stop_ids})
            gens = engine.generate(
                [e.turns.context for e in live],
                max_new_tokens=max_new_tokens,
                temperature=temperature,
                seed=sample_seed * 1000 + turn,
            )

            def act(pair: tuple[_Episode, Any]) -> None:
                ep, gen = pair
                text = ep.turns.add_generation(gen.token_ids, gen.logprobs, gen.finished)
                obs, _r, terminated, truncated, _info = ep.session.step(text)
                if terminated or truncated or ep.session.outcome.done:
                    ep.active = False
                    ep.outcome = ep.session.end()
                    return
                ep.turns.add_observation(obs)
                limit = rollout.max_total_tokens
                if limit is not None and len(ep.turns.context) >= limit:
                    ep.active = False
                    ep.outcome = ep.session.end(f"max_total_tokens={limit}")

            list(pool.map(act, zip(live, gens, strict=True)))
        for ep in episodes:
            if ep.active:  # out of turns: graded as it stands (a truncation)
                ep.active = False
                ep.outcome = ep.session.end(f"max_turns={rollout.max_turns}")
            if not ep.turns.completion_ids:  # TRL needs at least one completion token
                pad = getattr(tokenizer, "eos_token_id", None) or 0
                ep.turns.completion_ids, ep.turns.mask, ep.turns.logprobs = [pad], [0], [0.0]
                ep.outcome.infrastructure_error = True
        finished = True
    finally:
        pool.shutdown(wait=True)
        for ep in episodes:
            if ep.session.closed:
                continue
            if finished and not ep.outcome.infrastructure_error:
                rollout._give_back(ep.session)
            else:  # a crash mid-batch, or a broken env: close, never reuse
                ep.session.close()
    return episodes


class _TrainerEngine:
    """Generation with the trainer's own model (HF ``generate`` with a KV cache), sampled
    with an explicit generator and the sampling log-probs recorded (``agentgym.train``)."""

    def __init__(self, trainer: Any, tokenizer: Any) -> None:
        self.trainer = trainer
        self.tokenizer = tokenizer
        self.stop_ids: list[int] = []  # the live episodes' end-of-turn ids, set every turn

    def generate(
        self, prompts: list[list[int]], *, max_new_tokens: int, temperature: float, seed: int
    ) -> list[Any]:
        from agentgym.train.rollout import HFEngine

        model = self.trainer.accelerator.unwrap_model(self.trainer.model)
        stops = set(self.stop_ids)
        if self.tokenizer.eos_token_id is not None:
            stops.add(int(self.tokenizer.eos_token_id))
        pad = self.tokenizer.pad_token_id
        engine = HFEngine(model, eos_id=sorted(stops), pad_id=pad if pad is not None else 0)
        return engine.generate(
            prompts, max_new_tokens=max_new_tokens, temperature=temperature, seed=seed
        )


def _prompt_text(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and prompt and isinstance(prompt[-1], dict):
        return str(prompt[-1].get("content") or "")
    raise ConfigError(f"expected an agentgym episode spec as the prompt, got {prompt!r:.120}")


def env_reward(
    prompts: list[Any], completions: list[Any], agentgym_reward: list[Any] | None = None, **_: Any
) -> list[float | None]:
    """Reward function for :class:`AgentGymRollout`: the env's grade of each episode (logged
    by TRL as ``rewards/env_reward/mean``); ``None`` for infrastructure faults."""
    if agentgym_reward is None:
        raise ConfigError("env_reward reads the rollout's agentgym_reward: use AgentGymRollout")
    return [None if r is None or r != r else float(r) for r in agentgym_reward]


def rollout_dataset(
    env_id: str,
    task_ids: Iterable[str | None],
    *,
    recipes: Sequence[str | None] = (None,),
    seeds: Sequence[int] = (0,),
) -> list[dict[str, Any]]:
    """Rows for :class:`AgentGymRollout`: one per (task, recipe, seed), the spec as prompt."""
    rows = []
    for task_id in task_ids:
        for recipe in recipes:
            for seed in seeds:
                spec = EpisodeSpec(env_id=env_id, task_id=task_id, recipe=recipe, seed=seed)
                rows.append({"prompt": spec.to_prompt(), "task_id": task_id, "seed": seed})
    return rows


# --- (c) single-turn reward functions ---------------------------------------------------


def reward_function(env_id: str = "agentgym/ToolCall-v0", **env_kwargs: Any) -> Callable:
    """A TRL reward function for a single-turn env: each completion is the one action of an
    episode reset from its row (``task_id``, ``recipe``, ``seed``). Returns ``None`` for an
    infrastructure fault. The function's ``__name__`` is ``agentgym_reward``."""
    sessions: list[Session] = []
    lock = threading.Lock()

    def agentgym_reward(
        prompts: list[Any], completions: list[Any], **columns: Any
    ) -> list[float | None]:
        out: list[float | None] = []
        with lock:
            session = sessions.pop() if sessions else Session(env_id, **env_kwargs)
        try:
            for i, completion in enumerate(completions):
                row = {k: v[i] for k, v in columns.items() if isinstance(v, list) and len(v) > i}
                spec = parse_spec(row, env_id)
                text = (
                    completion
                    if isinstance(completion, str)
                    else str(completion[-1].get("content") or "")
                )
                try:
                    session.start(spec)
                    session.step(text)
                    outcome = session.end("single turn")
                except INFRA_EXCEPTIONS as exc:
                    outcome = session.fail(exc)
                out.append(None if outcome.infrastructure_error else float(outcome.reward))
        finally:
            with lock:
                sessions.append(session)
        return out

    agentgym_reward.close = lambda: [s.close() for s in sessions]  # type: ignore[attr-defined]
    return agentgym_reward


def single_turn_dataset(
    env_id: str = "agentgym/ToolCall-v0", n: int = 16, seed: int = 0, **env_kwargs: Any
) -> list[dict[str, Any]]:
    """Rows for :func:`reward_function`: the env's opening as the prompt (toy text format for
    ``ToolCall-v0``, chat messages otherwise) and the ``task_id`` and ``seed`` it came from."""
    session = Session(env_id, **env_kwargs)
    rows = []
    try:
        rng = np.random.default_rng(seed)
        for s in rng.integers(2**31 - 1, size=n).tolist():
            obs, info = session.start(EpisodeSpec(env_id=env_id, seed=int(s)))
            if session.chat:
                rows.append({"prompt": obs, "task_id": info["task_id"], "seed": int(s)})
            else:
                from agentgym.env.toolcall import ToyChatFormat

                prompt = ToyChatFormat().render_first_turn(str(obs))
                rows.append({"prompt": prompt, "task_id": str(info["value"]), "seed": int(s)})
    finally:
        session.close()
    return rows


def cleanup_callback() -> Any:
    """A ``transformers.TrainerCallback`` closing every agentgym env when training ends
    (``atexit`` closes them too, so a crash leaves no sandbox behind)."""
    from transformers import TrainerCallback

    class AgentGymCleanup(TrainerCallback):
        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            close_all_sessions()

    return AgentGymCleanup()


__all__ = [
    "TESTED_VERSION",
    "AgentGymRollout",
    "AgentGymToolEnv",
    "cleanup_callback",
    "env_reward",
    "environment_factory",
    "factory_dataset",
    "reward_function",
    "rollout_dataset",
    "single_turn_dataset",
]
