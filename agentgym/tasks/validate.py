"""Check that a task grades as intended: reference solution → reward 1, no change → reward 0.

Each case runs in a fresh container of the task image, the way Harbor runs a trial with
its oracle agent: solution/ uploaded to /solution and ``bash /solution/solve.sh`` run from
the WORKDIR with ``[solution.env]``, then the verifier (``agentgym.grading.harbor_verifier``:
tests/ uploaded to /tests only now, ``bash /tests/test.sh``, reward.json or reward.txt).
Every failure says why: the build log tail, solve.sh's or test.sh's output tail, which
reward file was missing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agentgym.types import Task


class CaseResult(BaseModel):
    """One graded run of a task."""

    model_config = ConfigDict(extra="forbid")

    case: str  # "solution" or "noop"
    reward: float | None = None
    rewards: dict[str, float] = Field(default_factory=dict)
    reward_file: str | None = None
    expected: float
    error: str | None = None
    output: str = ""
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.reward == self.expected


class ValidationResult(BaseModel):
    """Whether a task validates, with both cases' details."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    image: str | None = None
    cases: list[CaseResult] = Field(default_factory=list)
    error: str | None = None  # build or load failure
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.cases) and all(c.ok for c in self.cases)

    def summary(self) -> str:
        if self.error:
            return f"{self.task_id}: ERROR {self.error.splitlines()[0][:200]}"
        parts = [f"{c.case}=error" if c.error else f"{c.case}={c.reward}" for c in self.cases]
        parts = [
            p + ("" if c.ok else f" (want {c.expected})")
            for p, c in zip(parts, self.cases, strict=True)
        ]
        return f"{self.task_id}: {'ok' if self.ok else 'FAIL'} " + " ".join(parts)

    def reasons(self) -> list[str]:
        """Why the task does not validate, one entry per failure, with the output tails."""
        if self.error:
            return [self.error]
        out = []
        for c in self.cases:
            if c.ok:
                continue
            why = c.error or f"reward {c.reward} from {c.reward_file}, want {c.expected}"
            tail = c.output.strip()[-1500:]
            out.append(f"{c.case}: {why}" + (f"\n--- output tail ---\n{tail}" if tail else ""))
        return out


def run_case(
    task: Task,
    image: str,
    case: str,
    agent_command: str | None = None,
    *,
    allow_internet: bool = False,
) -> CaseResult:
    """Run one case of ``task`` in a fresh container of ``image``.

    "solution" runs solve.sh and expects reward 1; any other case expects 0. ``agent_command``
    stands in for what an agent did (e.g. a cheat) and runs before the verifier.
    """
    from agentgym.grading.harbor_verifier import (
        SOLUTION_DIR,
        env_prefix,
        folder_files,
        prepare_logs,
        run_verifier,
        upload_folder,
    )
    from agentgym.sandbox import make_sandbox
    from agentgym.sandbox.base import shell_quote
    from agentgym.tasks.build import resolve_env, task_sandbox_config

    expected = 1.0 if case == "solution" else 0.0
    started = time.monotonic()
    result = CaseResult(case=case, expected=expected)
    config = task_sandbox_config(
        task, image, allow_internet=allow_internet, labels={"agentgym.purpose": "task-validate"}
    )
    config.limits.command_timeout_s = task.limits.verifier_timeout_s
    try:
        with make_sandbox(config) as sandbox:
            prepare_logs(sandbox)
            wd = shell_quote(sandbox.workdir)
            if case == "solution":
                if task.solution_script is None:
                    raise RuntimeError("the task has no solution/solve.sh")
                upload_folder(sandbox, folder_files(task, "solution"), SOLUTION_DIR)
                env = env_prefix(resolve_env(task.env.solution))
                solved = sandbox.run(
                    f"( cd {wd} && {env}bash {SOLUTION_DIR}/solve.sh > /logs/agent/oracle.txt "
                    "2>&1; rc=$?; tail -c 3000 /logs/agent/oracle.txt; exit $rc )",
                    timeout=task.limits.agent_timeout_s,
                )
                if not solved.ok:
                    result.output = solved.output[-3000:]
                    why = "timed out" if solved.timed_out else f"exit {solved.exit_code}"
                    raise RuntimeError(f"solve.sh failed ({why})")
            if agent_command:
                sandbox.run(f"cd {wd} && {agent_command}", timeout=120)
            run = run_verifier(sandbox, task)
            result.output = run.output
            result.reward_file = run.reward_file
            result.rewards = run.rewards
            if run.reward is None:
                raise RuntimeError(run.error or "no reward")
            result.reward = run.reward
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    result.duration_s = round(time.monotonic() - started, 2)
    return result


def validate_task(
    task: Task, cases: Sequence[str] = ("solution", "noop"), *, allow_internet: bool = False
) -> ValidationResult:
    """Build the task's image and run each case; never raises for a broken task."""
    from agentgym.tasks.build import prepare_task

    started = time.monotonic()
    out = ValidationResult(task_id=task.id)
    try:
        task = prepare_task(task)
        out.image = task.image
    except Exception as exc:
        out.error = f"image build failed: {type(exc).__name__}: {exc}"
    else:
        assert out.image is not None
        out.cases = [
            run_case(task, out.image, case, allow_internet=allow_internet) for case in cases
        ]
    out.duration_s = round(time.monotonic() - started, 2)
    return out


def validate_tasks(
    paths: Iterable[str | Path | Task],
    jobs: int = 1,
    progress: bool = True,
    allow_internet: bool = False,
) -> list[ValidationResult]:
    """Validate many tasks (folders, packs or Task objects), ``jobs`` at a time, in input order.

    Images are built one at a time (builds share layers); the graded runs go in parallel.
    """
    from agentgym.tasks.harbor import load_tasks

    tasks: list[Task] = []
    for item in paths:
        tasks.extend([item] if isinstance(item, Task) else load_tasks(item))
    results: dict[int, ValidationResult] = {}

    def one(index: int) -> tuple[int, ValidationResult]:
        return index, validate_task(tasks[index], allow_internet=allow_internet)

    progress_bar = None
    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        progress_bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
    bar_id = None
    if progress_bar is not None:
        progress_bar.start()
        bar_id = progress_bar.add_task("validating tasks", total=len(tasks))
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(one, i) for i in range(len(tasks))]
            for future in as_completed(futures):
                index, result = future.result()
                results[index] = result
                if progress_bar is not None and bar_id is not None:
                    progress_bar.update(bar_id, advance=1, description=result.summary()[:60])
    finally:
        if progress_bar is not None:
            progress_bar.stop()
    return [results[i] for i in range(len(tasks))]
