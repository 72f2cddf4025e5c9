"""The trainer's envs on a Ray cluster: ``RayEnvPool`` hands ``collect_episodes`` envs whose
``reset``/``step`` run in Ray actors (each actor owns one gym env and its sandbox, on its
node's Docker daemon), while generation stays with the trainer's model.

``RemoteEnv`` mirrors what the rollout loop reads from a local env: ``unwrapped.fmt`` (the
chat format, rebuilt here from its name) and ``unwrapped.messages`` (the conversation, as
the env recorded it), so token-in/token-out works exactly as with local envs.
"""

from __future__ import annotations

from typing import Any

from agentgym.train.rollout import EnvPool


class EnvActor:
    """A Ray actor holding one gym env."""

    def __init__(self, env_id: str, kwargs: dict[str, Any]) -> None:
        import gymnasium as gym

        import agentgym.env  # noqa: F401  (registers the ids)

        self.env = gym.make(env_id, **kwargs)
        self.sent = 0  # messages already mirrored to the driver

    def chat_format(self) -> str | None:
        """The env's chat format name; None for text envs (no ``fmt``)."""
        core = self.env.unwrapped
        return getattr(core, "chat_format_name", None) if hasattr(core, "fmt") else None

    def _new_messages(self) -> list[Any]:
        messages = list(getattr(self.env.unwrapped, "messages", []) or [])
        new, self.sent = messages[self.sent :], len(messages)
        return new

    def reset(self, seed: int | None, options: dict[str, Any] | None) -> tuple[Any, ...]:
        obs, info = self.env.reset(seed=seed, options=options)
        self.sent = 0
        return obs, info, self.chat_format(), self._new_messages()

    def step(self, action: Any) -> tuple[Any, ...]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, info, self._new_messages()

    def close(self) -> None:
        self.env.close()


class RemoteEnv:
    """A gym-like env whose episode runs in an ``EnvActor``."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.messages: list[Any] = []
        self._fmt: tuple[str | None, Any] | None = None  # (name, format), fetched once

    @property
    def fmt(self) -> Any:
        """The env's chat format (the rollout loop picks token handling by it before reset)."""
        if self._fmt is None:
            import ray

            self._set_fmt(ray.get(self.actor.chat_format.remote()))
        assert self._fmt is not None
        return self._fmt[1]

    def _set_fmt(self, name: str | None) -> None:
        if self._fmt is None or self._fmt[0] != name:
            from agentgym.chat import get_format

            self._fmt = (name, get_format(name) if name else None)

    @property
    def unwrapped(self) -> RemoteEnv:
        return self

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        import ray

        obs, info, fmt_name, messages = ray.get(self.actor.reset.remote(seed, options))
        self._set_fmt(fmt_name)
        self.messages = list(messages)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        import ray

        obs, reward, terminated, truncated, info, messages = ray.get(self.actor.step.remote(action))
        self.messages.extend(messages)
        return obs, reward, terminated, truncated, info

    def close(self) -> None:
        import ray

        try:
            ray.get(self.actor.close.remote(), timeout=120)
        except Exception:  # a dead actor: `agentgym sandbox gc` on its node cleans up
            pass
        try:
            ray.kill(self.actor)
        except Exception:
            pass


class RayEnvPool(EnvPool):
    """``EnvPool`` whose new envs are ``RemoteEnv``s on the Ray cluster at ``address``."""

    def __init__(self, address: str, num_cpus: float = 0.25) -> None:
        super().__init__()
        from agentgym.rollout.ray_runner import connect

        self.ray = connect(address)
        self.num_cpus = num_cpus
        self._remote = self.ray.remote(num_cpus=num_cpus, max_restarts=0)(EnvActor)

    def _make(self, env_id: str, kwargs: dict[str, Any]) -> Any:
        actor = self._remote.options(scheduling_strategy="SPREAD").remote(env_id, kwargs)
        return RemoteEnv(actor)


__all__ = ["EnvActor", "RayEnvPool", "RemoteEnv"]
