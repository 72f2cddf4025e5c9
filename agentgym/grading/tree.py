"""The agent's change when its git state is gone: diff its files against a pristine copy.

An agent may delete or corrupt ``.git`` (``rm -rf .git``, a broken index, a rewritten
history) and still leave a correct fix. Then the diff cannot be taken in its sandbox, so
its work tree (without ``.git``) is packed, unpacked over a fresh sandbox of the pristine
task, and diffed there with the pristine repository's git.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from typing import Any

from agentgym.errors import AgentGymError
from agentgym.grading.grader import (
    DIFF_LIMIT_BYTES,
    DiffTooLargeError,
    _grading_limits,
    _make_grading_sandbox,
    workspace_diff,
)
from agentgym.sandbox.base import Sandbox, shell_quote
from agentgym.types import Task

# The packed work tree may be larger than the diff (it holds unchanged files too).
TREE_LIMIT_BYTES = 10 * DIFF_LIMIT_BYTES


def tree_diff(
    task: Task,
    sandbox: Sandbox,
    base_commit: str | None,
    *,
    backend: str = "docker",
    image: str | None = None,
    limit: int = TREE_LIMIT_BYTES,
) -> str:
    """The agent's change, computed outside its own git: raises AgentGymError if impossible."""
    wd = shell_quote(sandbox.workdir)
    name = f".agentgym-tree-{secrets.token_hex(6)}.tar"
    packed = sandbox.run(
        f"( set +e +u +o pipefail; cd {wd} && tar --exclude=./.git --exclude=./{name} "
        f"-cf {name} . && stat -c %s {name} )",
        timeout=120,
    )
    size = packed.output.strip().rsplit("\n", 1)[-1]
    if packed.timed_out or packed.exit_code != 0 or not size.isdigit():
        sandbox.run(f"rm -f {wd}/{name}", timeout=30)
        raise AgentGymError(f"could not pack the agent's work tree: {packed.output[-300:]}")
    if int(size) > limit:
        sandbox.run(f"rm -f {wd}/{name}", timeout=30)
        raise DiffTooLargeError(f"diff too large: the work tree is larger than {limit >> 20} MiB")
    host = tempfile.mkdtemp(prefix="agentgym-tree-")
    try:
        local_tar = os.path.join(host, "tree.tar")
        sandbox.download(f"{sandbox.workdir}/{name}", local_tar)
        sandbox.run(f"rm -f {wd}/{name}", timeout=30)
        with _pristine(task, backend, image) as fresh:
            fwd = shell_quote(fresh.workdir)
            fresh.upload(local_tar, f"{fresh.workdir}/{name}")
            replaced = fresh.run(
                f"cd {fwd} && find . -mindepth 1 -maxdepth 1 ! -name .git ! -name {name} "
                f"-exec rm -rf {{}} + && tar -xf {name} && rm -f {name}",
                timeout=300,
            )
            if replaced.exit_code != 0:
                raise AgentGymError(f"could not unpack the work tree: {replaced.output[-300:]}")
            return workspace_diff(fresh, base_commit)
    finally:
        shutil.rmtree(host, ignore_errors=True)


class _pristine:
    """A fresh sandbox of the pristine task (closed on exit)."""

    def __init__(self, task: Task, backend: str, image: str | None) -> None:
        self.sandbox: Any
        if backend == "local":
            from agentgym.env.local_build import local_task_sandbox

            self.sandbox = local_task_sandbox(task, _grading_limits(task))
        else:
            if image is None:
                from agentgym.tasks.build import task_image

                image = task_image(task)
            self.sandbox = _make_grading_sandbox(image, task)

    def __enter__(self) -> Sandbox:
        return self.sandbox  # type: ignore[no-any-return]

    def __exit__(self, *exc: object) -> None:
        self.sandbox.close()
