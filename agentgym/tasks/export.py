"""Export agentgym's tasks as self-contained Harbor task folders.

A bundled task keeps its library in ``envs/_sources/<lib>`` and its Dockerfile does
``COPY repo/``, which agentgym adds to the build context at build time. An exported task
carries everything in its folder, so Harbor's CLI (``harbor run -p``), TRL's and
verifiers' Harbor environments, or a plain ``docker build <task>/environment`` can use it:

    <dest>/<task-id>/environment/Dockerfile   FROM the base image; COPY repo/ ...
    <dest>/<task-id>/environment/repo/        the library source (the starting state)
    <dest>/<task-id>/environment/*.patch      the task's environment patches
    <dest>/<task-id>/task.toml                schema_version set; [agentgym] without source
    <dest>/<task-id>/tests/, solution/        as Harbor expects them

The base is agentgym's offline image ``agentgym/base:latest`` (``agentgym image
bootstrap``, or ``docker load`` of a saved copy); ``base_image`` names another.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from agentgym.errors import TaskFormatError
from agentgym.tasks.build import build_context
from agentgym.tasks.dockerfile import rewrite_from
from agentgym.tasks.harbor import BASE_IMAGE, load_tasks, write_task
from agentgym.types import Task

EXPORT_SCHEMA_VERSION = "1.1"  # read by every Harbor since the [task] table (1.1 .. 1.4)

README = """# agentgym tasks, exported as Harbor task folders

Each folder is a self-contained Harbor task (schema_version {schema}): the repository the
agent works on is in `environment/repo/`, and `environment/Dockerfile` builds the starting
state with a plain `docker build <task>/environment`.

The Dockerfiles start `FROM {base}`, agentgym's offline base image (Debian with python3,
pytest and git; no registry needed). Make it available before building:

    pip install agentgym && agentgym image bootstrap      # builds it from the Debian mirror
    docker load -i agentgym-base.tar                       # or load a saved copy

Grading: `tests/test.sh` restores the test files, adds the hidden tests and runs the
task's tests by node id, writing /logs/verifier/reward.txt (Harbor's verifier contract).
The `[agentgym]` table in task.toml carries the same lists for agentgym's own
fresh-container grading; Harbor ignores it.
"""


def export_task(
    task: Task,
    dest: str | Path,
    *,
    base_image: str | None = None,
    schema_version: str = EXPORT_SCHEMA_VERSION,
) -> Path:
    """Write ``task`` as a self-contained Harbor folder at ``dest`` (created, must not exist)."""
    out = Path(dest)
    if out.exists():
        raise TaskFormatError(f"{out}: already exists; export into a new folder")
    if task.dockerfile is None:
        raise TaskFormatError(f"task {task.id}: no Dockerfile to export")
    dockerfile = task.dockerfile
    if base_image is not None and base_image != BASE_IMAGE:
        dockerfile = rewrite_from(dockerfile, base_image)
    extra = dict(task.harbor_extra)
    extra.setdefault("task", {"name": f"agentgym/{task.id}"})
    if not task.internet:
        # Harbor's default is network on; agentgym's tasks are offline, and say so.
        environment = dict(extra.get("environment", {}))
        environment.setdefault("allow_internet", False)
        extra["environment"] = environment
    exported = task.model_copy(
        update={
            "source": None,
            "workspace": None,
            "dockerfile": dockerfile,
            "harbor_extra": extra,
            "files": {k: v for k, v in task.files.items() if not k.startswith("environment/")},
            "path": None,
        }
    )
    write_task(exported, out, schema_version=schema_version)
    # environment/: the Dockerfile, its patches and the repository as repo/.
    build_context(task, out / "environment")
    (out / "environment" / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    if task.source is None and task.workspace is None and task.path:
        # A plain Harbor task: its environment/ folder is already self-contained.
        shutil.copytree(Path(task.path) / "environment", out / "environment", dirs_exist_ok=True)
    return out


def export_tasks(
    tasks: Iterable[Task | str | Path],
    dest: str | Path,
    *,
    base_image: str | None = None,
    schema_version: str = EXPORT_SCHEMA_VERSION,
) -> list[Path]:
    """Export tasks (or folders / packs of them) into ``dest``, one folder per task id,
    with a README.md that says how to get the base image."""
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    loaded: list[Task] = []
    for item in tasks:
        loaded.extend([item] if isinstance(item, Task) else load_tasks(item))
    written = [
        export_task(t, out / t.id, base_image=base_image, schema_version=schema_version)
        for t in loaded
    ]
    (out / "README.md").write_text(
        README.format(schema=schema_version, base=base_image or BASE_IMAGE), encoding="utf-8"
    )
    return written
