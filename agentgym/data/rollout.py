"""Collect fresh trajectories from envs with a policy under a recipe, and turn them into rows.

The episodes run in ``PerturbedEnv`` so each trajectory already *is* a perturbed episode (the
agent's view: perturbed tools, prompts, names and results); rows render it in the episode's
chat format, or in each of ``formats``, with the episode's render options.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentgym.data.io import DataRow
from agentgym.data.oracle import ScriptedOracle
from agentgym.data.perturb import Renderer
from agentgym.errors import ConfigError
from agentgym.perturb.base import ChatOptions
from agentgym.perturb.env import PerturbedEnv, RecipeLike
from agentgym.types import Trajectory

OWN_POLICIES = ("replay",)


def make_policy(spec: str) -> Any:
    """A policy by CLI spec: ``agentgym.policies`` specs when that package is installed;
    ``replay`` (and ``oracle`` without it) is the built-in scripted oracle."""
    if spec == "replay":
        return ScriptedOracle()
    try:
        from agentgym.policies import make_policy as make
    except ImportError:
        if spec == "oracle":
            return ScriptedOracle()
        raise ConfigError(
            f"policy {spec!r} needs agentgym.policies; without it only 'oracle'/'replay' work"
        ) from None
    return make(spec)


def make_env(env: str, backend: str = "auto", max_turns: int = 30, **kwargs: Any) -> Any:
    """The unwrapped coding env for a registered id (``agentgym/BugFix-v0``) or a task folder."""
    import gymnasium as gym

    import agentgym.env  # noqa: F401  (registers the ids)
    from agentgym.env import CodingEnv

    opts = {"backend": backend, "max_turns": max_turns, **kwargs}
    if env in gym.envs.registration.registry:
        return gym.make(env, **opts).unwrapped
    if Path(env).exists():
        return CodingEnv(Path(env), **opts)
    raise ConfigError(f"unknown env {env!r}: give a registered id (agentgym/BugFix-v0) or a folder")


@dataclass
class Episode:
    """One finished episode (or the error that ended it)."""

    index: int
    task_id: str
    seed: int
    trajectory: Trajectory | None
    chat_options: dict[str, Any]
    error: str | None = None


def collect(
    core: Any,
    policy: Any,
    recipe: RecipeLike,
    episodes: int,
    seed: int = 0,
    task_ids: Sequence[str] | None = None,
    on_step: Callable[[], None] | None = None,
) -> Iterator[Episode]:
    """Run ``episodes`` episodes (tasks in turn, seeds ``seed + i``); yield each when done."""
    env = PerturbedEnv(core, recipe, seed=seed)
    ids = list(task_ids or [t.id for t in core.tasks])
    try:
        for i in range(episodes):
            yield play_episode(env, core, policy, i, ids[i % len(ids)], seed + i, on_step)
    finally:
        env.close()


def play_episode(
    env: Any,
    core: Any,
    policy: Any,
    index: int,
    task_id: str,
    ep_seed: int,
    on_step: Callable[[], None] | None = None,
) -> Episode:
    """One episode of ``collect`` (the same whether it runs here or in a Ray actor)."""
    try:
        _, info = env.reset(seed=ep_seed, options={"task_id": task_id})
        ctx = {**info, "task": core.task, "seed": ep_seed, "fmt": core.fmt}
        policy.reset(ctx)
        step_info: dict[str, Any] = {}
        while True:
            messages = [m.to_openai() for m in core.messages]
            action = policy.act(messages, info["tools"], {**ctx, **step_info})
            _, _, terminated, truncated, step_info = env.step(action)
            if on_step is not None:
                on_step()
            if terminated or truncated:
                break
        traj = core.trajectory.model_copy(deep=True)
        return Episode(index, task_id, ep_seed, traj, dict(info.get("chat_options", {})))
    except Exception as exc:  # one broken episode must not stop the run
        return Episode(index, task_id, ep_seed, None, {}, f"{type(exc).__name__}: {exc}")


class _RayEpisode:
    """``run_item`` for ``collect_ray``: the actor keeps one perturbed env and one policy."""

    def __init__(self, env: str, env_opts: dict[str, Any], policy: str, recipe: Any, seed: int):
        self.env, self.env_opts, self.policy, self.recipe, self.seed = (
            env,
            env_opts,
            policy,
            recipe,
            seed,
        )

    def __call__(self, state: dict[str, Any], item: tuple[int, str, int]) -> Episode:
        if "env" not in state:
            core = make_env(self.env, **self.env_opts)
            state["env"] = PerturbedEnv(core, self.recipe, seed=self.seed)
            state["core"] = core
            state["policy"] = make_policy(self.policy)
        index, task_id, ep_seed = item
        return play_episode(state["env"], state["core"], state["policy"], index, task_id, ep_seed)


def collect_ray(
    env: str,
    policy: str,
    recipe: RecipeLike,
    episodes: int,
    seed: int = 0,
    task_ids: Sequence[str] | None = None,
    *,
    address: str,
    workers: int = 2,
    **env_opts: Any,
) -> Iterator[Episode]:
    """``collect`` on a Ray cluster: the same episodes (same seeds), run in ``workers`` actors,
    yielded in episode order as soon as each is done (so rows stream into the output)."""
    import queue
    import threading

    from agentgym.rollout.ray_runner import drive_items

    if isinstance(recipe, (str, Path)):  # ship the transforms, not a path the nodes lack
        from agentgym.perturb.recipe import load_recipe

        recipe = load_recipe(recipe)
    if Path(env).exists():
        env = str(Path(env).resolve())
    if task_ids:
        ids = list(task_ids)
    else:
        core = make_env(env, **env_opts)  # the task list only: no sandbox until reset
        ids = [t.id for t in core.tasks]
        core.close()
    items = [(i, ids[i % len(ids)], seed + i) for i in range(episodes)]
    out: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()

    def run() -> None:
        try:
            drive_items(
                items,
                _RayEpisode(env, env_opts, policy, recipe, seed),
                lambda item, ep: out.put(ep),
                lambda item, n, exc: out.put(
                    Episode(
                        item[0],
                        item[1],
                        item[2],
                        None,
                        {},
                        f"lost on Ray after {n} attempt(s): {type(exc).__name__}: {exc}",
                    )
                ),
                address=address,
                actors=workers,
                stop=stop,
                key=lambda item: str(item[0]),
            )
            out.put(None)
        except BaseException as exc:  # hand the failure to the consumer
            out.put(exc)

    driver = threading.Thread(target=run, name="collect-ray", daemon=True)
    driver.start()
    ready: dict[int, Episode] = {}
    next_index = 0
    try:
        while next_index < episodes:
            got = out.get()
            if got is None:
                break
            if isinstance(got, BaseException):
                raise got
            ready[got.index] = got
            while next_index in ready:
                yield ready.pop(next_index)
                next_index += 1
    finally:
        stop.set()
        driver.join(timeout=180)


def episode_rows(
    ep: Episode,
    formats: Sequence[str] | None = None,
    tokenizer: Any = None,
    recipe_name: str = "",
) -> list[DataRow]:
    """The rows of one finished episode (one per chat format)."""
    assert ep.trajectory is not None
    traj = ep.trajectory
    options = ChatOptions(**ep.chat_options)
    renderer = Renderer(tokenizer)
    families = list(formats or [traj.chat_format or "qwen3"])
    source = f"rollout:{ep.index}"
    messages, tools = traj.messages, traj.tools
    if (traj.metadata.get("scaffold") or {}).get("placement") == "text":
        from agentgym.scaffolds.runtime import text_view

        # tools written in the text: the replies carry the actions, results are user turns
        messages, tools = text_view(messages), []
    seeds = traj.metadata.get("perturbation_seeds") or [None]
    return [
        renderer.row(
            messages,
            tools,
            family,
            options,
            id=f"{source}/v0/{family}",
            source=source,
            task_id=traj.task_id,
            variant=0,
            seed=seeds[-1],
            recipe=recipe_name,
            perturbations=list(traj.perturbations),
            reward=traj.reward,
            metadata={"reset_seed": ep.seed, "episode_chat_format": traj.chat_format},
        )
        for family in families
    ]


__all__ = [
    "OWN_POLICIES",
    "Episode",
    "collect",
    "collect_ray",
    "episode_rows",
    "make_env",
    "make_policy",
    "play_episode",
]
