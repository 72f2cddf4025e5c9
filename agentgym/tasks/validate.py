"""Check that a task grades as intended: reference solution → reward 1, no change → reward 0.

Each case runs in a fresh container of the task image, the way Harbor runs a verifier:
(solution/solve.sh, then) tests/ uploaded to /tests only after the "agent" is done, then
``bash /tests/test.sh``, then /logs/verifier/reward.txt is read.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agentgym.types import Task

VERIFIER_DIR = "/tests"
SOLUTION_DIR = "/solution"
REWARD_FILE = "/logs/verifier/reward.txt"


class CaseResult(BaseModel):
    """One graded run of a task."""

    model_config = ConfigDict(extra="forbid")

    case: str  # "solution" or "noop"
    reward: float | None = None
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
        parts = [
            f"{c.case}={c.reward}" + ("" if c.ok else f" (want {c.expected})") for c in self.cases
        ]
        return f"{self.task_id}: {'ok' if self.ok else 'FAIL'} " + " ".join(parts)


def _sandbox_limits(task: Task):  # type: ignore[no-untyped-def]
    from agentgym.sandbox import SandboxLimits

    return SandboxLimits(
        memory_mb=task.limits.memory_mb,
        cpus=task.limits.cpus,
        command_timeout_s=task.limits.verifier_timeout_s,
    )


def run_case(task: Task, image: str, case: str, agent_command: str | None = None) -> CaseResult:
    """Run one case of ``task`` in a fresh container of ``image``.

    "solution" runs solve.sh and expects reward 1; any other case expects 0. ``agent_command``
    stands in for what an agent did (e.g. a cheat) and runs before the verifier.
    """
    from agentgym.sandbox import SandboxConfig, make_sandbox

    expected = 1.0 if case == "solution" else 0.0
    started = time.monotonic()
    result = CaseResult(case=case, expected=expected)
    config = SandboxConfig(
        type="docker",
        image=image,
        workdir=task.workdir,
        limits=_sandbox_limits(task),
        labels={"agentgym.purpose": "task-validate"},
    )
    try:
        with make_sandbox(config) as sandbox:
            if case == "solution":
                if task.solution_script is None:
                    raise RuntimeError("the task has no solution/solve.sh")
                sandbox.write_file(f"{SOLUTION_DIR}/solve.sh", task.solution_script, mode=0o755)
                solved = sandbox.run(f"bash {SOLUTION_DIR}/solve.sh", timeout=300)
                if not solved.ok:
                    raise RuntimeError(
                        f"solve.sh failed (exit {solved.exit_code}): {solved.output[-1500:]}"
                    )
            if task.test_script is None:
                raise RuntimeError("the task has no tests/test.sh")
            sandbox.write_file(f"{VERIFIER_DIR}/test.sh", task.test_script, mode=0o755)
            for rel, text in task.files.items():
                if rel.startswith("tests/"):
                    sandbox.write_file(f"{VERIFIER_DIR}/{rel.removeprefix('tests/')}", text)
            run = sandbox.run(
                f"bash {VERIFIER_DIR}/test.sh", timeout=task.limits.verifier_timeout_s
            )
            result.output = run.output[-4000:]
            if run.timed_out:
                raise RuntimeError(f"test.sh timed out after {task.limits.verifier_timeout_s}s")
            reward = sandbox.run(f"cat {REWARD_FILE}", timeout=30)
            if reward.exit_code != 0:
                raise RuntimeError(f"test.sh wrote no {REWARD_FILE}")
            result.reward = float(reward.output.strip())
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    result.duration_s = round(time.monotonic() - started, 2)
    return result


def validate_task(task: Task, cases: Sequence[str] = ("solution", "noop")) -> ValidationResult:
    """Build the task's image and run each case; never raises for a broken task."""
    from agentgym.tasks.build import task_image

    started = time.monotonic()
    out = ValidationResult(task_id=task.id)
    try:
        out.image = task_image(task)
    except Exception as exc:
        out.error = f"image build failed: {type(exc).__name__}: {exc}"
    else:
        out.cases = [run_case(task, out.image, case) for case in cases]
    out.duration_s = round(time.monotonic() - started, 2)
    return out


def validate_tasks(
    paths: Iterable[str | Path | Task],
    jobs: int = 1,
    progress: bool = True,
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
        return index, validate_task(tasks[index])

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
