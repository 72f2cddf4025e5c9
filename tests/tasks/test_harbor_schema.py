"""Harbor's task schema 1.0-1.4: real-shape fixtures load, unknown keys warn, writes round
trip, Dockerfile and TOML helpers (no Docker)."""

from __future__ import annotations

import shutil
import tomllib
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentgym.errors import ConfigError, TaskFormatError, TaskFormatWarning
from agentgym.tasks import load_task, load_tasks, toml_writer, write_task
from agentgym.tasks.build import resolve_env
from agentgym.tasks.dockerfile import base_images, final_workdir, rewrite_from
from agentgym.tasks.harbor import agent_instruction

FIXTURES = Path(__file__).parent / "fixtures" / "harbor"


def load_quiet(path: Path):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        task = load_task(path)
    return task, [str(w.message) for w in caught]


def copy_fixture(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


def test_tb20_layout_schema_1_0() -> None:
    task, caught = load_quiet(FIXTURES / "sum-numbers")
    assert caught == []
    assert task.version == "1.0" and task.workdir == "/app" and task.image is None
    assert task.limits.memory_mb == 2048 and task.limits.storage_mb == 10240  # "2G", "10G"
    assert task.limits.agent_timeout_s == 600 and task.limits.verifier_timeout_s == 120
    assert task.metadata["expert_time_estimate_min"] == 2.0
    assert not task.internet and task.harbor_extra == {}
    assert not task.fail_to_pass and task.source is None


def test_tb21_layout_schema_1_1() -> None:
    task, caught = load_quiet(FIXTURES / "log-levels")
    assert caught == []
    assert task.version == "1.1" and task.workdir == "/app"
    assert task.image == "agentgym-fixtures/log-levels:20251031"
    assert task.internet  # allow_internet = true
    assert task.harbor_extra["task"]["authors"] == [
        {"name": "agentgym fixtures", "email": "fixtures@example.invalid"}
    ]
    assert task.harbor_extra["artifacts"] == []
    assert task.env.environment == task.env.verifier == task.env.solution == {}
    assert "solution/count_levels.py" in task.files


def test_harbor_init_schema_1_4() -> None:
    task, caught = load_quiet(FIXTURES / "json-report")
    assert caught == []
    assert task.version == "1.4" and task.workdir == "/srv/project"
    assert not task.internet  # network_mode = "no-network"
    assert task.env.environment == {"REPORT_TITLE": "orders by region"}
    assert task.env.verifier == {"VERIFIER_TOKEN": "${AGENTGYM_FIXTURE_TOKEN:-fixture-token}"}
    assert task.env.solution == {"SOLUTION_MODE": "oracle"}
    assert task.limits.memory_mb == 1024 and task.limits.storage_mb == 2048
    assert task.harbor_extra["artifacts"] == ["/srv/project/report.json"]
    assert task.harbor_extra["environment"]["network_mode"] == "no-network"
    assert agent_instruction(task.instruction).startswith("`orders.csv`")
    assert task.instruction.startswith("<!--")  # kept as written


@pytest.mark.parametrize("name", ["sum-numbers", "log-levels", "json-report"])
def test_fixture_round_trip(tmp_path: Path, name: str) -> None:
    task, _ = load_quiet(FIXTURES / name)
    out = write_task(task, tmp_path / name)
    again, caught = load_quiet(out)
    assert caught == []
    assert again.model_dump(exclude={"path"}) == task.model_dump(exclude={"path"})
    assert (out / "environment" / "Dockerfile").read_text() == task.dockerfile
    written = tomllib.loads((out / "task.toml").read_text())
    assert ("version" in written) == (task.version == "1.0")


def test_newer_keys_warn_and_are_kept(tmp_path: Path) -> None:
    task_dir = copy_fixture(tmp_path, "json-report")
    toml = (task_dir / "task.toml").read_text()
    toml = toml.replace('schema_version = "1.4"', 'schema_version = "1.9"\nfuture_top = 3')
    toml = toml.replace("[environment]\n", '[environment]\nsnapshot_mode = "lazy"\n')
    toml += '\n[reward_kit]\njudge = "none"\n'
    (task_dir / "task.toml").write_text(toml)
    task, caught = load_quiet(task_dir)
    joined = "\n".join(caught)
    assert "future_top: not a Harbor key" in joined
    assert "[environment] snapshot_mode: not a Harbor key" in joined
    assert "reward_kit: not a Harbor key" in joined
    assert "schema_version '1.9' is newer" in joined
    assert task.harbor_extra["environment"]["snapshot_mode"] == "lazy"
    assert task.harbor_extra["reward_kit"] == {"judge": "none"}
    again, _ = load_quiet(write_task(task, tmp_path / "copy" / task.id))
    assert again.harbor_extra == task.harbor_extra and again.version == "1.9"


def test_agentgym_table_misspelling_is_an_error(tmp_path: Path) -> None:
    task_dir = copy_fixture(tmp_path, "sum-numbers")
    with (task_dir / "task.toml").open("a") as f:
        f.write('\n[agentgym]\nworkdir = "/app"\nfail_to_pas = []\n')
    with pytest.raises(TaskFormatError, match=r"\[agentgym\] fail_to_pas: unknown key"):
        load_task(task_dir)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('memory = "lots"', r"\[environment\]: .*invalid size 'lots'"),
        ('memory = "4G"\nmemory_mb = 1024', r"memory = '4G' \(4096 MB\) disagrees with memory_mb"),
        ('cpus = "many"', r"\[environment\] cpus"),
        ('network_mode = "sometimes"', r"\[environment\] network_mode"),
    ],
)
def test_bad_harbor_values_named(tmp_path: Path, text: str, match: str) -> None:
    task_dir = copy_fixture(tmp_path, "sum-numbers")
    toml = (task_dir / "task.toml").read_text()
    toml = toml.replace('memory = "2G"\n', "").replace("cpus = 1\n", "")
    (task_dir / "task.toml").write_text(toml.replace("[environment]\n", f"[environment]\n{text}\n"))
    with pytest.raises(TaskFormatError, match=match):
        load_task(task_dir)


@pytest.mark.parametrize(
    ("keys", "wanted"),
    [
        ("allow_internet = true", True),
        ("allow_internet = false", False),
        ('network_mode = "public"', True),
        ('network_mode = "allowlist"\nallowed_hosts = ["pypi.org"]', True),
        ('allow_internet = true\nnetwork_mode = "no-network"', False),
        ("", False),
    ],
)
def test_internet_is_what_the_task_asks(tmp_path: Path, keys: str, wanted: bool) -> None:
    task_dir = copy_fixture(tmp_path, "sum-numbers")
    toml = (
        (task_dir / "task.toml").read_text().replace("[environment]\n", f"[environment]\n{keys}\n")
    )
    (task_dir / "task.toml").write_text(toml)
    task, _ = load_quiet(task_dir)
    assert task.internet is wanted
    again, _ = load_quiet(write_task(task, tmp_path / "copy" / task.id))
    assert again.internet is wanted


def test_multi_step_task_is_a_clear_error(tmp_path: Path) -> None:
    task_dir = copy_fixture(tmp_path, "sum-numbers")
    with (task_dir / "task.toml").open("a") as f:
        f.write('\n[[steps]]\nname = "one"\n')
    task, caught = load_quiet(task_dir)
    assert any("[[steps]] is kept but not run" in c for c in caught)
    assert task.harbor_extra["steps"] == [{"name": "one"}]
    (task_dir / "instruction.md").unlink()
    with pytest.raises(TaskFormatError, match="multi-step task"):
        load_task(task_dir)


def test_docker_image_without_dockerfile(tmp_path: Path) -> None:
    task_dir = copy_fixture(tmp_path, "log-levels")
    (task_dir / "environment" / "Dockerfile").unlink()
    task, _ = load_quiet(task_dir)
    assert task.dockerfile is None and task.workdir == "/"  # the image decides
    toml = (
        (task_dir / "task.toml")
        .read_text()
        .replace("[environment]\n", '[environment]\nworkdir = "/data"\n')
    )
    (task_dir / "task.toml").write_text(toml)
    task, _ = load_quiet(task_dir)
    assert task.workdir == "/data"
    again, _ = load_quiet(write_task(task, tmp_path / "copy" / task.id))
    assert again.workdir == "/data"


def test_bundled_packs_load_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", TaskFormatWarning)
        assert len(load_tasks(Path(__file__).resolve().parents[2] / "envs")) >= 50


def test_resolve_env_templates() -> None:
    host = {"TOKEN": "s3cret", "EMPTY": ""}
    env = {"A": "${TOKEN}", "B": "x-${NOPE:-fallback}-y", "C": "${EMPTY}", "D": "plain $TOKEN"}
    assert resolve_env(env, host) == {
        "A": "s3cret",
        "B": "x-fallback-y",
        "C": "",
        "D": "plain $TOKEN",
    }
    with pytest.raises(ConfigError, match="does not set MISSING"):
        resolve_env({"K": "${MISSING}"}, host)


@pytest.mark.parametrize(
    ("dockerfile", "workdir"),
    [
        ("FROM ubuntu:24.04\nWORKDIR /app\n", "/app"),
        ("FROM x\nWORKDIR /a\nWORKDIR b/c\n", "/a/b/c"),
        ("FROM x\n", None),
        ('FROM x\nWORKDIR ["/quoted"]\n', "/quoted"),
        ("FROM x AS build\nWORKDIR /src\nFROM build\nRUN make\n", "/src"),
        ("FROM x AS build\nWORKDIR /src\nFROM alpine\n", None),
        ("from x\n# WORKDIR /commented\nworkdir /lower \\\n  \n", "/lower"),
    ],
)
def test_final_workdir(dockerfile: str, workdir: str | None) -> None:
    assert final_workdir(dockerfile) == workdir


def test_rewrite_from_keeps_stages() -> None:
    text = (
        "FROM --platform=linux/amd64 python:3.13 AS build\nRUN x\nFROM build\nFROM ubuntu:24.04\n"
    )
    out = rewrite_from(text, "agentgym/base:latest")
    assert out == (
        "FROM --platform=linux/amd64 agentgym/base:latest AS build\nRUN x\nFROM build\n"
        "FROM agentgym/base:latest\n"
    )
    assert base_images(out) == ["agentgym/base:latest", "agentgym/base:latest"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_dockerfile_readers_never_crash(text: str) -> None:
    final_workdir(text)
    base_images(text)
    rewrite_from(text, "agentgym/base:latest")


_keys = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=8
)
_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)
_values = st.recursive(
    st.one_of(_scalars, st.lists(_scalars, max_size=3)),
    lambda inner: st.one_of(
        st.dictionaries(_keys, inner, max_size=3),
        st.lists(st.dictionaries(_keys, inner, min_size=1, max_size=3), min_size=1, max_size=2),
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=5))
def test_toml_writer_round_trips(data: dict) -> None:  # type: ignore[type-arg]
    assert tomllib.loads(toml_writer.dumps(data)) == data
