"""Grading: the agent's diff, applied to a fresh pristine container, tested by node id."""

from __future__ import annotations

from agentgym.errors import AgentGymError
from agentgym.grading.grader import (
    GradeResult,
    TestOutcome,
    diff_files,
    grade,
    parse_junit,
    workspace_diff,
)
from agentgym.sandbox import SandboxPool
from agentgym.sandbox.base import Sandbox
from agentgym.types import Task


def grade_episode(
    task: Task,
    sandbox: Sandbox,
    base_commit: str | None,
    *,
    backend: str = "docker",
    pool: SandboxPool | None = None,
    image: str | None = None,
) -> GradeResult:
    """Take the episode's diff from its sandbox and grade it in a fresh one; a task without
    node ids is graded in its own sandbox by its tests/test.sh, as Harbor grades it."""
    from agentgym.grading.harbor_verifier import grade_in_sandbox, uses_harbor_verifier

    if uses_harbor_verifier(task):
        return grade_in_sandbox(task, sandbox)
    try:
        diff = workspace_diff(sandbox, base_commit)
    except AgentGymError as exc:
        # The agent broke its repository's git state (deleted .git, ...): nothing to grade.
        return GradeResult(
            task_id=task.id,
            reward=0.0,
            status="fail",
            error=f"could not take the agent's change: {exc}",
            flags=["git_state_broken"],
        )
    return grade(task, diff, backend=backend, pool=pool, image=image)


__all__ = [
    "GradeResult",
    "TestOutcome",
    "diff_files",
    "grade",
    "grade_episode",
    "parse_junit",
    "workspace_diff",
]
