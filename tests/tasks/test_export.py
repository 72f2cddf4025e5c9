"""``agentgym tasks export --format harbor``: self-contained folders that load back to the
same task (no Docker here; tests/tasks/test_harbor_docker.py builds and validates them)."""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentgym.cli import app
from agentgym.errors import TaskFormatError, TaskFormatWarning
from agentgym.tasks import load_task, load_tasks
from agentgym.tasks.export import export_task

ENVS = Path(__file__).resolve().parents[2] / "envs"
SAMPLES = ["bugfix/parse-negative-prefixed-int", "feature/cachetools-ttl-remaining"]
SAME = [
    "instruction",
    "workdir",
    "fail_to_pass",
    "pass_to_pass",
    "test_files",
    "hidden_tests",
    "hidden_test_patch",
    "solution_patch",
    "solution_script",
    "test_script",
    "limits",
    "metadata",
    "internet",
    "env",
]


def test_export_loads_back_the_same_task(tmp_path: Path) -> None:
    original = load_task(ENVS / SAMPLES[0])
    out = export_task(original, tmp_path / original.id)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TaskFormatWarning)
        exported = load_task(out)
    for field in SAME:
        assert getattr(exported, field) == getattr(original, field), field
    assert exported.source is None and exported.workspace is None
    config = tomllib.loads((out / "task.toml").read_text())
    assert config["schema_version"] == "1.1"
    assert config["task"]["name"] == f"agentgym/{original.id}"
    assert config["environment"]["allow_internet"] is False
    assert "source" not in config["agentgym"]
    env = out / "environment"
    assert (env / "Dockerfile").read_text() == original.dockerfile
    assert (env / "task.patch").exists()
    assert (env / "repo" / "parse.py").exists() and not (env / "repo" / "SOURCE.toml").exists()
    assert not (env / "repo" / ".git").exists()


def test_export_refuses_to_overwrite(tmp_path: Path) -> None:
    task = load_task(ENVS / SAMPLES[0])
    export_task(task, tmp_path / "x")
    with pytest.raises(TaskFormatError, match="already exists"):
        export_task(task, tmp_path / "x")


def test_export_base_image_rewrites_from(tmp_path: Path) -> None:
    task = load_task(ENVS / SAMPLES[0])
    out = export_task(task, tmp_path / "x", base_image="example/base:1")
    assert (out / "environment" / "Dockerfile").read_text().startswith("FROM example/base:1\n")


def test_cli_export_then_list(tmp_path: Path) -> None:
    runner = CliRunner()
    dest = tmp_path / "harbor"
    srcs = [str(ENVS / s) for s in SAMPLES]
    result = runner.invoke(app, ["tasks", "export", "--format", "harbor", *srcs, str(dest)])
    assert result.exit_code == 0, result.output
    assert "exported 2 tasks" in result.output
    assert "agentgym image bootstrap" in (dest / "README.md").read_text()
    assert [t.id for t in load_tasks(dest)] == sorted(Path(s).name for s in SAMPLES)
    listed = runner.invoke(app, ["tasks", "list", str(dest)])
    assert listed.exit_code == 0, listed.output
    bad = runner.invoke(app, ["tasks", "export", "--format", "zip", *srcs, str(tmp_path / "z")])
    assert bad.exit_code == 1 and "unknown export format" in bad.output
