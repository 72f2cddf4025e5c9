"""Rollouts on a Ray cluster: episodes run in Ray actors, results stream back to the driver.

Each ``ItemWorker`` actor owns its envs (and so its sandboxes, on its own node's Docker
daemon) and its policies (an endpoint policy is called from the actor). The driver keeps
every actor busy with one episode at a time and appends each result to the same
``episodes.jsonl`` the thread runner writes, in the same format, as it arrives.

Faults: when an actor's process dies (OOM killer, SIGKILL, a lost node) the episode it was
running is queued again and runs on another actor (``max_attempts`` in all); a replacement
actor is started so the run keeps its width. An episode is written once, when it finishes,
so none is lost or written twice. The dead worker's containers carry its pid, so
``agentgym sandbox gc`` on its node removes them (or the next agentgym process there does,
at start-up).

Same seeds, same episodes: an episode depends only on its ``EpisodeSpec`` (see
``run_episode``), not on which actor or node ran it.
"""

from __future__ import annotations

import collections
import os
import socket
import threading
from collections.abc import Callable, Sequence
from typing import Any

from agentgym.errors import ConfigError
from agentgym.rollout.records import EpisodeResult, EpisodeSpec

DEFAULT_MAX_ATTEMPTS = 3
LAST_RUN: dict[str, Any] = {}  # facts of the latest drive_ray (nodes, actors lost, retries)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("--ray needs the ray extra: pip install 'agentgym[ray]'") from None
    return ray


def connect(address: str, num_cpus: int | None = None) -> Any:
    """``ray.init`` once: ``address`` is ``host:port`` of a running cluster, ``auto``, or
    ``local`` (a one-machine Ray started here)."""
    ray = _ray()
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False}
        if address == "local":
            ray.init(num_cpus=num_cpus, **kwargs)
        else:
            ray.init(address=address, **kwargs)
    return ray


class ItemWorker:
    """A Ray actor: ``run_item(state, item)`` for one item at a time; ``state`` is the
    actor's own dict (envs, policies) kept between items and closed at the end."""

    def __init__(self, run_item: Callable[[dict[str, Any], Any], Any]) -> None:
        from agentgym.sandbox.memory import limit_malloc_arenas, trim_heap_every

        limit_malloc_arenas()  # the actor runs its envs on threads, as the local runner does
        trim_heap_every()
        self.run_item = run_item
        self.state: dict[str, Any] = {}

    def where(self) -> dict[str, Any]:
        import ray

        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "node_id": ray.get_runtime_context().get_node_id(),
        }

    def run(self, item: Any) -> Any:
        return self.run_item(self.state, item)

    def close(self) -> None:
        for value in self.state.values():
            for thing in value.values() if isinstance(value, dict) else [value]:
                close = getattr(thing, "close", None)
                if close is not None:
                    try:
                        close()
                    except Exception:
                        pass
        self.state.clear()


class EpisodeRunner:
    """``run_item`` for rollout episodes: envs by ``env_key``, policies by name."""

    def __init__(
        self,
        make_env: Callable[[EpisodeSpec], Any],
        make_policy: Callable[[EpisodeSpec], Any],
        env_key: Callable[[EpisodeSpec], Any],
        keep_trajectory: bool,
    ) -> None:
        self.make_env, self.make_policy, self.env_key = make_env, make_policy, env_key
        self.keep_trajectory = keep_trajectory

    def __call__(self, state: dict[str, Any], spec_json: str) -> str:
        from agentgym.rollout.runner import run_episode

        spec = EpisodeSpec.model_validate_json(spec_json)
        envs = state.setdefault("envs", {})
        policies = state.setdefault("policies", {})
        key = self.env_key(spec)
        if key not in envs:
            envs[key] = self.make_env(spec)
        if spec.policy not in policies:
            policies[spec.policy] = self.make_policy(spec)
        result = run_episode(
            envs[key], policies[spec.policy], spec, keep_trajectory=self.keep_trajectory
        )
        return result.model_dump_json()


def drive_items(
    items: Sequence[Any],
    run_item: Callable[[dict[str, Any], Any], Any],
    finished: Callable[[Any, Any], None],
    lost: Callable[[Any, int, BaseException], None],
    *,
    address: str,
    actors: int,
    stop: threading.Event,
    key: Callable[[Any], str] = str,
    num_cpus: float = 0.5,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    on_dispatch: Callable[[Any, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run every item on ``actors`` Ray actors, one item per actor at a time.

    ``finished(item, output)`` once per item, on this thread, as results arrive; an item
    whose actor died is queued again (``max_attempts`` in all), then ``lost(item, n, exc)``.
    Returns run facts (nodes used, actors started and lost, retried keys).
    """
    ray = connect(address)
    from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

    lost_errors = (RayActorError, ActorDiedError, ActorUnavailableError)
    remote = ray.remote(num_cpus=num_cpus, max_restarts=0, max_task_retries=0)(ItemWorker)
    width = max(1, min(actors, len(items)))
    facts: dict[str, Any] = {"actors_started": 0, "actors_lost": 0, "retried": [], "nodes": set()}

    def start_actor() -> Any:
        facts["actors_started"] += 1
        return remote.options(scheduling_strategy="SPREAD").remote(run_item)

    pool = [start_actor() for _ in range(width)]
    where: dict[int, dict[str, Any]] = {}
    for i, info in enumerate(ray.get([a.where.remote() for a in pool])):
        where[i] = info
        facts["nodes"].add(info["node_id"])
    idle = collections.deque(range(width))
    pending = collections.deque(items)
    attempts: collections.Counter[str] = collections.Counter()
    inflight: dict[Any, tuple[int, Any]] = {}
    written: set[str] = set()
    replacements_left = 2 * width

    def done(item: Any, output: Any = None, exc: BaseException | None = None) -> None:
        if key(item) in written:  # never twice, whatever the cluster did
            return
        written.add(key(item))
        if exc is None:
            finished(item, output)
        else:
            lost(item, attempts[key(item)], exc)

    try:
        while pending or inflight:
            while idle and pending and not stop.is_set():
                slot = idle.popleft()
                item = pending.popleft()
                if on_dispatch is not None:
                    on_dispatch(item, where.get(slot, {}))
                inflight[pool[slot].run.remote(item)] = (slot, item)
            if stop.is_set() and not inflight:
                break
            ready, _ = ray.wait(list(inflight), num_returns=1, timeout=0.5)
            for ref in ready:
                slot, item = inflight.pop(ref)
                try:
                    output = ray.get(ref)
                except lost_errors as exc:
                    facts["actors_lost"] += 1
                    attempts[key(item)] += 1
                    if attempts[key(item)] < max_attempts:
                        facts["retried"].append(key(item))
                        pending.appendleft(item)
                    else:
                        done(item, exc=exc)
                    if replacements_left > 0:
                        replacements_left -= 1
                        pool[slot] = start_actor()
                        try:
                            where[slot] = ray.get(pool[slot].where.remote(), timeout=120)
                            facts["nodes"].add(where[slot]["node_id"])
                            idle.append(slot)
                        except Exception:  # no room for a replacement: go on narrower
                            pass
                    if not idle and not inflight and pending:
                        for left in list(pending):
                            done(left, exc=exc)
                        pending.clear()
                    continue
                except Exception as exc:  # the item itself raised
                    idle.append(slot)
                    attempts[key(item)] += 1
                    done(item, exc=exc)
                    continue
                idle.append(slot)
                done(item, output)
    finally:
        closes = [a.close.remote() for a in pool]
        try:
            ray.get(closes, timeout=120)
        except Exception:
            pass  # a dead actor: `agentgym sandbox gc` on its node removes its containers
        for actor in pool:
            try:
                ray.kill(actor)
            except Exception:
                pass
    facts["nodes"] = sorted(facts["nodes"])
    LAST_RUN.clear()
    LAST_RUN.update(facts)
    return facts


def drive_ray(
    todo: Sequence[EpisodeSpec],
    make_env: Callable[[EpisodeSpec], Any],
    make_policy: Callable[[EpisodeSpec], Any],
    finished: Callable[[EpisodeResult], None],
    *,
    address: str,
    actors: int,
    stop: threading.Event,
    keep_trajectory: bool = True,
    env_key: Callable[[EpisodeSpec], Any] = lambda s: (s.env_id, s.recipe, s.axis),
    num_cpus: float = 0.5,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    on_dispatch: Callable[[EpisodeSpec, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Rollout episodes on Ray: ``finished(result)`` once per spec, as they arrive."""
    by_json = {spec.model_dump_json(): spec for spec in todo}
    return drive_items(
        list(by_json),
        EpisodeRunner(make_env, make_policy, env_key, keep_trajectory),
        lambda item, out: finished(EpisodeResult.model_validate_json(out)),
        lambda item, n, exc: finished(_lost(by_json[item], n, exc)),
        address=address,
        actors=actors,
        stop=stop,
        key=lambda item: by_json[item].key,
        num_cpus=num_cpus,
        max_attempts=max_attempts,
        on_dispatch=(lambda item, where: on_dispatch(by_json[item], where))
        if on_dispatch is not None
        else None,
    )


def _lost(spec: EpisodeSpec, attempts: int, exc: BaseException) -> EpisodeResult:
    return EpisodeResult(
        key=spec.key,
        spec=spec,
        status="infra_error",
        error=f"episode lost after {attempts} attempt(s) on Ray: {type(exc).__name__}: {exc}"[
            :4000
        ],
    )


def ray_address_from(value: str | None) -> str | None:
    """``--ray`` / ``ray.address`` / ``$AGENTGYM_RAY_ADDRESS``: None means run locally."""
    return value or os.environ.get("AGENTGYM_RAY_ADDRESS") or None


__all__ = [
    "EpisodeRunner",
    "ItemWorker",
    "connect",
    "drive_items",
    "drive_ray",
    "ray_address_from",
]
