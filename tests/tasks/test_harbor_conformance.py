"""agentgym reads task.toml as Harbor itself does: checked against Harbor's own
``harbor.models.task.config.TaskConfig`` where the ``harbor`` package is importable
(Harbor needs Python ≥ 3.12; on 3.11 its pure-pydantic models import from the unpacked
wheel, e.g. ``pip download --no-deps --python-version 3.12 --only-binary=:all: harbor``
and PYTHONPATH=<unpacked>, plus ``pip install toml``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from agentgym.errors import TaskFormatWarning
from agentgym.tasks import load_task, write_task
from agentgym.tasks.export import export_task

harbor_config = pytest.importorskip("harbor.models.task.config")
TaskConfig = harbor_config.TaskConfig

FIXTURES = Path(__file__).parent / "fixtures" / "harbor"
ENVS = Path(__file__).resolve().parents[2] / "envs"


def _harbor(path: Path):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Harbor's own DeprecationWarnings (memory, allow_internet)
        return TaskConfig.model_validate_toml((path / "task.toml").read_text())


def _dump(config) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Harbor's model as data, with what agentgym writes out explicitly where a task left it
    unset (``gpus = 0``, 1 cpu, 2048 MB, an 1800 s agent timeout) filled in."""
    data = config.model_dump()
    env = data["environment"]
    env["gpus"] = env["gpus"] or 0
    env["cpus"] = env["cpus"] or 1
    env["memory_mb"] = env["memory_mb"] or 2048
    data["agent"]["timeout_sec"] = data["agent"]["timeout_sec"] or 1800.0
    return data


def _same_reading(task_dir: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", TaskFormatWarning)
        ours = load_task(task_dir)
    theirs = _harbor(task_dir)
    env = theirs.environment
    assert ours.version == theirs.schema_version
    assert ours.limits.verifier_timeout_s == theirs.verifier.timeout_sec
    assert ours.limits.agent_timeout_s == (theirs.agent.timeout_sec or 1800.0)
    assert ours.limits.build_timeout_s == env.build_timeout_sec
    assert ours.limits.memory_mb == (env.memory_mb or 2048)
    assert ours.limits.storage_mb == env.storage_mb
    assert ours.limits.cpus == (env.cpus or 1)
    assert ours.limits.gpus == (env.gpus or 0)
    assert ours.image == env.docker_image
    assert ours.env.environment == env.env
    assert ours.env.verifier == theirs.verifier.env
    assert ours.env.solution == theirs.solution.env
    assert ours.metadata == theirs.metadata
    if env.workdir is not None:
        assert ours.workdir == env.workdir
    # Harbor's network baseline; agentgym additionally needs the user's consent, and a
    # task that says nothing is not counted as asking (Harbor's default is public).
    if ours.internet:
        assert env.network_mode.value != "no-network"


@pytest.mark.parametrize("name", ["sum-numbers", "log-levels", "json-report"])
def test_fixtures_read_as_harbor_reads_them(name: str) -> None:
    _same_reading(FIXTURES / name)


@pytest.mark.parametrize("name", ["sum-numbers", "log-levels", "json-report"])
def test_what_agentgym_writes_harbor_reads_the_same(tmp_path: Path, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = write_task(load_task(FIXTURES / name), tmp_path / name)
    assert _dump(_harbor(out)) == _dump(_harbor(FIXTURES / name))


def test_harbor_init_output_loads_without_warnings(tmp_path: Path) -> None:
    config = TaskConfig(task=harbor_config.PackageInfo(name="org/hello"))
    task_dir = tmp_path / "hello"
    (task_dir / "environment").mkdir(parents=True)
    (task_dir / "tests").mkdir()
    (task_dir / "task.toml").write_text(config.model_dump_toml())
    (task_dir / "instruction.md").write_text("Say hello.\n")
    (task_dir / "environment" / "Dockerfile").write_text(
        "FROM agentgym/base:latest\nWORKDIR /app\n"
    )
    (task_dir / "tests" / "test.sh").write_text("#!/bin/bash\necho 1 > /logs/verifier/reward.txt\n")
    _same_reading(task_dir)
    ours = load_task(task_dir)
    assert ours.version == "1.4" and ours.workdir == "/app"
    again = write_task(ours, tmp_path / "copy" / "hello")
    assert _dump(_harbor(again)) == _dump(config)


def test_exported_task_reads_as_harbor_reads_it(tmp_path: Path) -> None:
    out = export_task(load_task(ENVS / "bugfix" / "parse-negative-prefixed-int"), tmp_path / "x")
    _same_reading(out)
    theirs = _harbor(out)
    assert theirs.task.name == "agentgym/parse-negative-prefixed-int"
    assert theirs.environment.network_mode.value == "no-network"
