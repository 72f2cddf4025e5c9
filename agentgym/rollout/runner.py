"""Run many episodes concurrently: asyncio drives N workers, each with its own envs and policy
in its own thread (env steps and model calls block, so threads; asyncio keeps the bookkeeping,
the JSONL writer and the progress bar on one thread).

- Each finished episode is appended to ``episodes.jsonl`` at once (flushed), so a run killed
  at any point loses at most the episodes in flight; ``resume=True`` skips every key already
  in the file.
- An exception in one episode becomes a record with ``status="error"`` and the run goes on.
- Ctrl-C (or SIGTERM turned into KeyboardInterrupt) sets a stop flag that every worker checks
  between steps; workers close their envs (sandboxes, containers) and the run returns what
  finished. Nothing is left behind.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from agentgym.policies.base import Policy
from agentgym.rollout.records import EpisodeResult, EpisodeSpec
from agentgym.types import Message

EnvFactory = Callable[[EpisodeSpec], Any]
PolicyFactory = Callable[[EpisodeSpec], Policy]


class Interrupted(Exception):
    """The run was stopped (Ctrl-C); finished episodes are on disk."""


def read_results(path: str | Path) -> list[EpisodeResult]:
    """Every well-formed line of an episodes JSONL (a torn last line is ignored)."""
    path = Path(path)
    out: list[EpisodeResult] = []
    if not path.exists():
        return out
    for line in path.read_text("utf-8").splitlines():
        try:
            out.append(EpisodeResult.model_validate_json(line))
        except ValueError:
            continue
    return out


def run_episode(
    env: Any,
    policy: Policy,
    spec: EpisodeSpec,
    stop: threading.Event | None = None,
    on_step: Callable[[], None] | None = None,
    keep_trajectory: bool = True,
) -> EpisodeResult:
    """One episode: reset, act/step until done, and a record of it (errors included)."""
    started = time.perf_counter()
    result = EpisodeResult(key=spec.key, spec=spec)
    policy_s = env_s = 0.0
    core = env.unwrapped
    try:
        t0 = time.perf_counter()
        _, info = env.reset(seed=spec.seed, options={"task_id": spec.task_id})
        env_s += time.perf_counter() - t0
        core.max_turns = spec.max_turns
        tools = info["tools"]
        ctx = {**info, "task": core.task, "seed": spec.seed, "fmt": core.fmt}
        result.backend = info.get("backend")
        result.chat_format = info.get("chat_format")
        policy.reset(ctx)
        step_info: dict[str, Any] = {}
        while True:
            if stop is not None and stop.is_set():
                raise Interrupted
            messages = [m.to_openai() for m in core.messages]
            t0 = time.perf_counter()
            action = policy.act(messages, tools, {**ctx, **step_info})
            policy_s += time.perf_counter() - t0
            t0 = time.perf_counter()
            _, reward, terminated, truncated, step_info = env.step(action)
            env_s += time.perf_counter() - t0
            result.turns += 1
            result.parse_errors += int("parse_error" in step_info)
            if on_step is not None:
                on_step()
            if terminated or truncated:
                break
        result.reward = float(reward)
        result.success = reward >= 1.0
        result.terminated, result.truncated = bool(terminated), bool(truncated)
        result.reward_breakdown = step_info.get("reward_breakdown", {})
        grade_error = (step_info.get("grade") or {}).get("error")
        if step_info.get("infrastructure_error"):
            result.status = "infra_error"
            result.error = grade_error
        elif grade_error:  # graded as a failure for a reason worth reading
            result.error = f"grading: {grade_error}"[:4000]
    except Interrupted:
        raise
    except Exception as exc:  # one broken episode must not stop the run
        result.status = "error"
        result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}"[:4000]
    traj = getattr(core, "trajectory", None)
    if traj is not None:
        result.monitor_flags = list(traj.monitor_flags)
        result.perturbations = [r.model_dump(mode="json") for r in traj.perturbations]
        if keep_trajectory:
            result.trajectory = traj.model_dump(mode="json")
    usage = getattr(policy, "usage", None)
    if usage is not None:
        result.prompt_tokens, result.completion_tokens = (
            usage.prompt_tokens,
            usage.completion_tokens,
        )
        result.requests, result.retries = usage.requests, usage.retries
    result.wall_s = time.perf_counter() - started
    result.env_s, result.policy_s = env_s, policy_s
    return result


class _Progress:
    """Counters shared by the worker threads; the rich bar reads them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.steps = 0
        self.done = 0
        self.success = 0
        self.errors = 0
        self.started = time.perf_counter()

    def step(self) -> None:
        with self.lock:
            self.steps += 1

    def text(self) -> str:
        rate = self.steps / max(time.perf_counter() - self.started, 1e-9)
        pct = 100 * self.success / self.done if self.done else 0.0
        err = f" · [red]{self.errors} errors[/]" if self.errors else ""
        return f"success {self.success}/{self.done} ({pct:.0f}%) · {rate:.1f} steps/s{err}"


def run_rollouts(
    specs: Sequence[EpisodeSpec],
    make_env: EnvFactory,
    make_policy: PolicyFactory,
    *,
    out: str | Path | None = None,
    workers: int = 2,
    resume: bool = True,
    progress: bool = True,
    keep_trajectory: bool = True,
    env_key: Callable[[EpisodeSpec], Any] = lambda s: (s.env_id, s.recipe, s.axis),
    on_result: Callable[[EpisodeResult], None] | None = None,
    ray_address: str | None = None,
) -> list[EpisodeResult]:
    """Run ``specs`` with ``workers`` concurrent workers; results in ``specs`` order.

    ``make_env(spec)`` is called once per worker and ``env_key(spec)``; ``make_policy(spec)``
    once per worker and policy name. Raises ``KeyboardInterrupt`` after a clean stop.
    With ``ray_address`` the workers are Ray actors on that cluster (``ray_runner.py``):
    ``make_env``/``make_policy`` are shipped to them and must pickle (cloudpickle).
    """
    path = Path(out) if out is not None else None
    done: dict[str, EpisodeResult] = {}
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if resume:
            done = {r.key: r for r in read_results(path)}
        elif path.exists():
            path.unlink()
    todo = [s for s in specs if s.key not in done]
    stop = threading.Event()
    counters = _Progress()
    counters.done = len([s for s in specs if s.key in done])
    counters.success = sum(done[s.key].success for s in specs if s.key in done)
    new: dict[str, EpisodeResult] = {}
    if todo and ray_address is not None:
        _drive_on_ray(
            todo,
            make_env,
            make_policy,
            path,
            max(1, workers),
            stop,
            counters,
            new,
            progress,
            len(specs),
            keep_trajectory,
            env_key,
            on_result,
            ray_address,
        )
    elif todo:
        try:
            asyncio.run(
                _drive(
                    todo,
                    make_env,
                    make_policy,
                    path,
                    max(1, workers),
                    stop,
                    counters,
                    new,
                    progress,
                    len(specs),
                    keep_trajectory,
                    env_key,
                    on_result,
                )
            )
        except KeyboardInterrupt:
            stop.set()
            raise
    merged = {**done, **new}
    return [merged[s.key] for s in specs if s.key in merged]


async def _drive(
    todo: list[EpisodeSpec],
    make_env: EnvFactory,
    make_policy: PolicyFactory,
    path: Path | None,
    workers: int,
    stop: threading.Event,
    counters: _Progress,
    results: dict[str, EpisodeResult],
    progress: bool,
    total: int,
    keep_trajectory: bool,
    env_key: Callable[[EpisodeSpec], Any],
    on_result: Callable[[EpisodeResult], None] | None,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    queue: asyncio.Queue[EpisodeSpec] = asyncio.Queue()
    for spec in todo:
        queue.put_nowait(spec)
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rollout")
    sink = path.open("a", encoding="utf-8") if path is not None else None
    bar = Progress(
        TextColumn("[bold]rollouts"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        disable=not progress,
        transient=False,
    )
    task_id = bar.add_task(counters.text(), total=total, completed=counters.done)

    def finished(res: EpisodeResult) -> None:
        results[res.key] = res
        if sink is not None:
            sink.write(res.model_dump_json() + "\n")
            sink.flush()
        counters.done += 1
        counters.success += int(res.success)
        counters.errors += int(res.status != "ok")
        bar.update(task_id, completed=counters.done, description=counters.text())
        if on_result is not None:
            on_result(res)

    async def worker() -> None:
        envs: dict[Any, Any] = {}
        policies: dict[str, Policy] = {}
        try:
            while not stop.is_set():
                try:
                    spec = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                key = env_key(spec)
                if key not in envs:
                    envs[key] = await loop.run_in_executor(executor, make_env, spec)
                if spec.policy not in policies:
                    policies[spec.policy] = make_policy(spec)
                res = await loop.run_in_executor(
                    executor,
                    run_episode,
                    envs[key],
                    policies[spec.policy],
                    spec,
                    stop,
                    counters.step,
                    keep_trajectory,
                )
                finished(res)
        finally:
            for env in envs.values():
                await loop.run_in_executor(executor, _close, env)
            for pol in policies.values():
                close = getattr(pol, "close", None)
                if close is not None:
                    close()

    async def ticker() -> None:
        while True:
            await asyncio.sleep(0.5)
            bar.update(task_id, description=counters.text())

    with bar:
        tick = asyncio.create_task(ticker())
        tasks = [asyncio.create_task(worker()) for _ in range(min(workers, len(todo)))]
        try:
            await asyncio.gather(*tasks)
        except (asyncio.CancelledError, Interrupted):
            stop.set()
            # let every worker leave its episode at the next step and close its envs
            await asyncio.gather(*tasks, return_exceptions=True)
            raise KeyboardInterrupt from None
        finally:
            stop.set()
            tick.cancel()
            bar.update(task_id, description=counters.text())
            executor.shutdown(wait=True)
            if sink is not None:
                sink.close()


def _drive_on_ray(
    todo: list[EpisodeSpec],
    make_env: EnvFactory,
    make_policy: PolicyFactory,
    path: Path | None,
    workers: int,
    stop: threading.Event,
    counters: _Progress,
    results: dict[str, EpisodeResult],
    progress: bool,
    total: int,
    keep_trajectory: bool,
    env_key: Callable[[EpisodeSpec], Any],
    on_result: Callable[[EpisodeResult], None] | None,
    address: str,
) -> None:
    """The Ray twin of ``_drive``: same JSONL lines, same counters, written as they arrive."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agentgym.rollout.ray_runner import drive_ray

    sink = path.open("a", encoding="utf-8") if path is not None else None
    bar = Progress(
        TextColumn("[bold]rollouts (ray)"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        disable=not progress,
    )
    task_id = bar.add_task(counters.text(), total=total, completed=counters.done)

    def finished(res: EpisodeResult) -> None:
        results[res.key] = res
        if sink is not None:
            sink.write(res.model_dump_json() + "\n")
            sink.flush()
        counters.done += 1
        counters.steps += res.turns
        counters.success += int(res.success)
        counters.errors += int(res.status != "ok")
        bar.update(task_id, completed=counters.done, description=counters.text())
        if on_result is not None:
            on_result(res)

    try:
        with bar:
            drive_ray(
                todo,
                make_env,
                make_policy,
                finished,
                address=address,
                actors=workers,
                stop=stop,
                keep_trajectory=keep_trajectory,
                env_key=env_key,
            )
    except KeyboardInterrupt:
        stop.set()
        raise
    finally:
        if sink is not None:
            sink.close()


def _close(env: Any) -> None:
    try:
        env.close()
    except Exception:  # closing must not hide the run's outcome
        pass


__all__ = ["Interrupted", "read_results", "run_episode", "run_rollouts"]

_ = (json, Message)
