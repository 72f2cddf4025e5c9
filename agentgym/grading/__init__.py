"""Grading: the agent's diff, applied to a fresh pristine container, tested by node id."""

from __future__ import annotations

from agentgym.errors import AgentGymError
from agentgym.grading.grader import (
    DiffTooLargeError,
    GradeResult,
    TestOutcome,
    diff_files,
    grade,
    parse_junit,
    workspace_diff,
)
from agentgym.sandbox import SandboxPool
from agentgym.sandbox.base import Sandbox
from agentgym.sandbox.faults import infrastructure_cause
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
    except DiffTooLargeError as exc:
        return GradeResult(
            task_id=task.id, reward=0.0, status="fail", error=str(exc), flags=["diff_too_large"]
        )
    except AgentGymError as exc:
        cause = infrastructure_cause(sandbox, exc)
        if cause is not None:
            return GradeResult(
                task_id=task.id,
                reward=0.0,
                status="error",
                error_kind="infrastructure",
                error=f"could not take the agent's change: {cause}",
            )
        # The agent broke its repository's git state (deleted .git, ...): diff its files
        # against a pristine copy instead. If even that fails (a sandbox broken beyond
        # repair), there is nothing to grade, and it is the agent's own doing.
        from agentgym.grading.tree import tree_diff

        try:
            diff = tree_diff(task, sandbox, base_commit, backend=backend, image=image)
        except DiffTooLargeError as exc2:
            return GradeResult(
                task_id=task.id,
                reward=0.0,
                status="fail",
                error=str(exc2),
                flags=["diff_too_large"],
            )
        except (AgentGymError, OSError) as exc2:
            return GradeResult(
                task_id=task.id,
                reward=0.0,
                status="fail",
                error=f"could not take the agent's change: {exc}; nor from its files: {exc2}",
                flags=["git_state_broken"],
            )
        result = grade(task, diff, backend=backend, pool=pool, image=image)
        return result.model_copy(update={"flags": [*result.flags, "git_state_rebuilt"]})
    return grade(task, diff, backend=backend, pool=pool, image=image)


__all__ = [
    "DiffTooLargeError",
    "GradeResult",
    "TestOutcome",
    "diff_files",
    "grade",
    "grade_episode",
    "parse_junit",
    "workspace_diff",
]
