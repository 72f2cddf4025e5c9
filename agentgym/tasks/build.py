"""Build contexts and images of tasks: environment/ plus the library source as repo/."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from agentgym.errors import TaskFormatError
from agentgym.types import Task

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".git")


def build_context(task: Task, dest: str | Path | None = None) -> Path:
    """A Docker build context for ``task`` in a new temp folder (or ``dest``); caller removes it.

    Holds environment/ (Dockerfile and patches) and, where the task has a source, the
    pristine library as ``repo/``.
    """
    context = Path(dest) if dest is not None else Path(tempfile.mkdtemp(prefix="agentgym-ctx-"))
    context.mkdir(parents=True, exist_ok=True)
    if task.dockerfile is None:
        raise TaskFormatError(f"task {task.id}: no environment/Dockerfile")
    (context / "Dockerfile").write_text(task.dockerfile, encoding="utf-8")
    for rel, text in task.files.items():
        if rel.startswith("environment/"):
            target = context / rel.removeprefix("environment/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if task.path is not None and task.source is None:
        # A plain Harbor task: its environment/ folder may hold binary files too.
        env_dir = Path(task.path) / "environment"
        if env_dir.is_dir():
            shutil.copytree(env_dir, context, dirs_exist_ok=True, ignore=_IGNORED)
    if task.workspace is not None:
        workspace = Path(task.workspace)
        if workspace.is_dir():
            shutil.copytree(workspace, context / "repo", ignore=_IGNORED, symlinks=True)
        elif workspace.is_file():
            from agentgym.tasks.swebench import extract_repo

            extract_repo(workspace, context / "repo")
            # The image makes its own one-commit history; the tarball's must not leak in.
            shutil.rmtree(context / "repo" / ".git", ignore_errors=True)
        else:
            raise TaskFormatError(f"task {task.id}: workspace {workspace} does not exist")
        # The library's provenance file stays on the host; it is no part of the repo.
        (context / "repo" / "SOURCE.toml").unlink(missing_ok=True)
    return context


def task_image(task: Task) -> str:
    """Build (or reuse, by content hash) the image of ``task``; return its tag."""
    from agentgym.sandbox.images import build_task_image

    if task.image:
        return task.image
    context = build_context(task)
    try:
        return build_task_image(context, name=task.id)
    finally:
        shutil.rmtree(context, ignore_errors=True)
