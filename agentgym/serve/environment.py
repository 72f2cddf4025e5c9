"""``AgentGymEnvironment``: any registered agentgym env behind openenv-core's ``Environment``.

openenv-core's server makes one instance per WebSocket session (and a throwaway one per
stateless HTTP request). The gym env, and with it the sandbox, is made at the first
``reset`` and closed by ``close()``: when the session ends, times out or disconnects.
"""

from __future__ import annotations

import json
import math
import threading
import time
import weakref
from typing import Any

from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.types import EnvironmentMetadata
from pydantic import BaseModel, ConfigDict, Field

from agentgym.errors import AgentGymError
from agentgym.serve.metrics import ServeMetrics
from agentgym.serve.models import AgentGymAction, AgentGymObservation, AgentGymState

RESET_FIELDS = ("seed", "episode_id", "task_id")
_LIVE: weakref.WeakSet[AgentGymEnvironment] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


def close_all_envs() -> int:
    """Close every env this process made that is still open (server shutdown)."""
    with _LIVE_LOCK:
        envs = list(_LIVE)
    for env in envs:
        try:
            env.close()
        except Exception:  # one broken close must not keep the others' sandboxes alive
            pass
    return len(envs)


class ServeError(AgentGymError):
    """A request the server refuses; ``status`` is the HTTP status it answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class EnvSpec(BaseModel):
    """Which env every session gets: a registered id, its kwargs, an optional recipe."""

    model_config = ConfigDict(extra="forbid")

    env_id: str = "agentgym/BugFix-v0"
    env_kwargs: dict[str, Any] = Field(default_factory=dict)
    recipe: str | None = None  # perturbations/<name>.yaml or a path; None = clean
    seed: int = 0  # a reset without a seed uses seed + the session's episode number


def jsonable(value: Any) -> Any:
    """``value`` with pydantic models, mappings and odd floats made JSON-safe."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "__getitem__")):
        return {str(k): jsonable(value[k]) for k in value}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.loads(json.dumps(value, default=str))


def _error_kind(exc: Exception) -> str:
    if isinstance(exc, ServeError):
        return "expired" if exc.status == 410 else "bad_request"
    if isinstance(exc, ValueError):  # ConfigError (unknown task id), bad arguments
        return "bad_request"
    return "env_error"


def _messages(obs: Any, role: str) -> list[dict[str, Any]]:
    """Chat envs observe new messages; a text env's observation becomes one message."""
    if isinstance(obs, str):
        return [{"role": role, "content": obs}]
    return jsonable(obs)


class AgentGymEnvironment(Environment[AgentGymAction, AgentGymObservation, AgentGymState]):
    """One session's env. Calls arrive on the session's own thread (openenv-core's executor)."""

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(self, spec: EnvSpec, metrics: ServeMetrics | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.metrics = metrics or ServeMetrics()
        self._env: Any = None
        self._episodes = 0
        self._state = AgentGymState(env_id=spec.env_id, recipe=spec.recipe)
        self._active = False  # an episode is running (reset done, not finished)
        self.expired_after: float | None = None  # set when the idle reaper closed it
        self.closed = False
        self._close_lock = threading.Lock()
        with _LIVE_LOCK:
            _LIVE.add(self)

    # -- openenv Environment -----------------------------------------------------------

    def reset(
        self,
        seed: int | None = None,
        episode_id: str | None = None,
        task_id: str | None = None,
        **kwargs: Any,
    ) -> AgentGymObservation:
        try:
            return self._reset(seed, episode_id, task_id, **kwargs)
        except Exception as exc:
            self.metrics.error(_error_kind(exc))
            raise

    def step(
        self, action: AgentGymAction, timeout_s: float | None = None, **kwargs: Any
    ) -> AgentGymObservation:
        try:
            return self._step(action)
        except Exception as exc:
            self.metrics.error(_error_kind(exc))
            raise

    def _reset(
        self, seed: Any, episode_id: str | None, task_id: Any, **kwargs: Any
    ) -> AgentGymObservation:
        self._check_open()
        if kwargs:
            raise ServeError(
                f"unknown reset field(s) {sorted(kwargs)}; reset takes {', '.join(RESET_FIELDS)}"
            )
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
            raise ServeError(f"seed must be a non-negative integer, not {seed!r}")
        if task_id is not None and not isinstance(task_id, str):
            raise ServeError(f"task_id must be a string, not {type(task_id).__name__}")
        if seed is None:
            seed = self.spec.seed + self._episodes
        env = self._gym_env()
        options = {"task_id": task_id} if task_id is not None else None
        obs, info = env.reset(seed=seed, options=options)
        self._episodes += 1
        self._active = True
        self._state = AgentGymState(
            episode_id=episode_id or f"{info.get('task_id')}-{seed}",
            step_count=0,
            env_id=self.spec.env_id,
            recipe=self.spec.recipe,
            task_id=info.get("task_id"),
            seed=seed,
            done=False,
        )
        self.metrics.reset()
        rest = {k: v for k, v in info.items() if k not in ("tools", "task")}
        return AgentGymObservation(
            messages=_messages(obs, "user"),
            tools=jsonable(info.get("tools", [])),
            task_id=info.get("task_id"),
            info=jsonable(rest),
            reward=0.0,
            done=False,
        )

    def _step(self, action: AgentGymAction) -> AgentGymObservation:
        self._check_open()
        if self._env is None or self._episodes == 0:
            raise ServeError(
                "no episode to step: call reset first. Note that OpenEnv's HTTP /step is "
                "stateless (each request gets a fresh env); keep an episode over the "
                "WebSocket session at /ws (openenv-core's EnvClient does).",
                status=409,
            )
        if not self._active:
            raise ServeError("the episode is over; call reset to start another", status=409)
        started = time.perf_counter()
        obs, reward, terminated, truncated, info = self._env.step(action.to_env_action())
        done = bool(terminated or truncated)
        self.metrics.step(time.perf_counter() - started, done)
        if info.get("infrastructure_error"):
            self.metrics.error("infrastructure_error")
        self._active = not done
        self._state.step_count += 1
        self._state.done = done
        monitor = info.get("monitor") or {}
        flags = monitor.get("flags") if isinstance(monitor, dict) else None
        rest = {k: v for k, v in info.items() if k not in ("reward_breakdown", "monitor_flags")}
        return AgentGymObservation(
            messages=_messages(obs, "tool"),
            task_id=self._state.task_id,
            turn=int(info.get("turn", self._state.step_count)),
            terminated=bool(terminated),
            truncated=bool(truncated),
            infrastructure_error=bool(info.get("infrastructure_error", False)),
            reward_breakdown=jsonable(info.get("reward_breakdown", {})),
            monitor_flags=jsonable(flags if flags is not None else info.get("monitor_flags", [])),
            info=jsonable(rest),
            reward=float(reward),
            done=done,
        )

    @property
    def state(self) -> AgentGymState:
        return self._state

    def get_metadata(self) -> EnvironmentMetadata:
        recipe = f" under recipe {self.spec.recipe}" if self.spec.recipe else ""
        return EnvironmentMetadata(
            name=self.spec.env_id,
            description=f"agentgym coding environment {self.spec.env_id}{recipe}: tasks in "
            "sandboxes, graded by their tests. Actions: a completion text or an assistant "
            "message with tool calls.",
            version="0.1.0",
        )

    def close(self) -> None:
        # Held for the whole close: a second caller (server shutdown while the session's own
        # thread is closing it) waits until the sandbox is really gone.
        with self._close_lock:
            self.closed = True
            self._active = False
            env, self._env = self._env, None
            try:
                if env is not None:
                    env.close()
            finally:
                with _LIVE_LOCK:
                    _LIVE.discard(self)

    # -- helpers -------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.expired_after is not None:
            raise ServeError(
                f"this session was closed after {self.expired_after:g} s idle and its sandbox "
                "removed; open a new session",
                status=410,
            )
        if self.closed:
            raise ServeError("this session is closed; open a new one", status=410)

    def _gym_env(self) -> Any:
        if self._env is None:
            if self.spec.recipe:
                from agentgym.rollout.envs import load_recipe_by_name, make_env

                recipe = load_recipe_by_name(self.spec.recipe)
                self._env = make_env(self.spec.env_id, recipe, **self.spec.env_kwargs)
            else:
                import gymnasium as gym

                import agentgym.env  # noqa: F401  (registers the ids)

                self._env = gym.make(
                    self.spec.env_id, disable_env_checker=True, **self.spec.env_kwargs
                )
        return self._env


__all__ = ["AgentGymEnvironment", "EnvSpec", "ServeError", "close_all_envs", "jsonable"]
