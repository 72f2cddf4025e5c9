"""Harbor task folders: loading, clear errors, writing and round trips (no Docker)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agentgym.errors import TaskFormatError, TaskFormatWarning
from agentgym.tasks import (
    build_context,
    extract_solution_patch,
    load_source_info,
    load_task,
    load_tasks,
    render_solve_sh,
    render_test_sh,
    write_task,
)

ENVS = Path(__file__).resolve().parents[2] / "envs"
SAMPLE = ENVS / "bugfix" / "inflection-humanize-id-anywhere"


def copy_task(tmp_path: Path, src: Path = SAMPLE) -> Path:
    """A copy of a real task in a tree of its own, with its library source beside it."""
    task = load_task(src)
    (tmp_path / "_sources").mkdir()
    shutil.copytree(ENVS / "_sources" / task.source, tmp_path / "_sources" / task.source)
    dest = tmp_path / "pack" / src.name
    shutil.copytree(src, dest)
    return dest


def test_load_sample_task() -> None:
    task = load_task(SAMPLE)
    assert task.id == SAMPLE.name
    assert task.source == "inflection"
    assert task.fail_to_pass and task.pass_to_pass
    assert set(task.hidden_tests) == {"tests/test_issue_humanize_id.py"}
    assert task.solution_patch and task.solution_patch.startswith("diff --git")
    assert "environment/task.patch" in task.files
    assert task.metadata["category"] == "bugfix"
    assert task.limits.verifier_timeout_s == 300


def test_packs_meet_the_brief() -> None:
    tasks = load_tasks(ENVS)
    by_pack: dict[str, list] = {}
    for task in tasks:
        by_pack.setdefault(task.metadata["category"], []).append(task)
    assert len(by_pack["bugfix"]) >= 30
    assert len(by_pack["refactor"]) >= 10
    assert len(by_pack["feature"]) >= 10
    hidden = [t for t in by_pack["bugfix"] if t.hidden_tests]
    assert len(hidden) * 3 >= len(by_pack["bugfix"])
    for task in by_pack["bugfix"]:
        assert 1 <= len(task.fail_to_pass) <= 10, task.id
    for task in tasks:
        assert not set(task.fail_to_pass) & set(task.pass_to_pass), task.id
        if task.metadata["category"] != "bugfix":
            assert task.hidden_tests, task.id
    libraries = {t.source for t in tasks}
    assert len(libraries) >= 6


def test_every_bundled_library_has_provenance() -> None:
    for folder in sorted((ENVS / "_sources").iterdir()):
        if folder.is_dir():
            info = load_source_info(folder)
            assert info is not None, folder
            assert info.license in {"MIT", "BSD-3-Clause", "Apache-2.0", "BSD-2-Clause"}
            assert (folder / info.license_file).exists()


def test_round_trip_equal(tmp_path: Path) -> None:
    task = load_task(SAMPLE)
    out = write_task(task, tmp_path / "_x" / task.id)
    # The written folder is outside envs/, so resolve its source from a sibling tree.
    shutil.copytree(ENVS / "_sources" / "inflection", tmp_path / "_sources" / "inflection")
    again = load_task(out)
    skip = {"path", "workspace"}
    assert again.model_dump(exclude=skip) == task.model_dump(exclude=skip)
    for name in ("task.toml", "instruction.md", "tests/test.sh", "solution/solve.sh"):
        assert (out / name).read_text() == (SAMPLE / name).read_text()


def test_round_trip_all_tasks(tmp_path: Path) -> None:
    shutil.copytree(ENVS / "_sources", tmp_path / "_sources")
    for task in load_tasks(ENVS):
        out = write_task(task, tmp_path / "all" / task.id)
        assert load_task(out).model_dump(exclude={"path", "workspace"}) == task.model_dump(
            exclude={"path", "workspace"}
        )


def test_missing_file_named(tmp_path: Path) -> None:
    task_dir = copy_task(tmp_path)
    (task_dir / "instruction.md").unlink()
    with pytest.raises(TaskFormatError, match=r"instruction\.md: missing"):
        load_task(task_dir)


def test_bad_toml_named(tmp_path: Path) -> None:
    task_dir = copy_task(tmp_path)
    (task_dir / "task.toml").write_text("version = \n")
    with pytest.raises(TaskFormatError, match=r"task\.toml: not valid TOML"):
        load_task(task_dir)


def test_unknown_key_named(tmp_path: Path) -> None:
    task_dir = copy_task(tmp_path)
    text = (
        (task_dir / "task.toml")
        .read_text()
        .replace("[agentgym]\n", "[agentgym]\nfail_to_pas = []\n")
    )
    (task_dir / "task.toml").write_text(text)
    with pytest.raises(TaskFormatError, match=r"\[agentgym\] fail_to_pas: unknown key"):
        load_task(task_dir)


def test_unknown_table_warned_and_kept(tmp_path: Path) -> None:
    # A table of a newer Harbor schema: a warning naming it, kept, written back.
    task_dir = copy_task(tmp_path)
    (task_dir / "task.toml").write_text(
        (task_dir / "task.toml").read_text() + "\n[extras]\na = 1\n"
    )
    with pytest.warns(TaskFormatWarning, match=r"task\.toml: extras: not a Harbor key"):
        task = load_task(task_dir)
    assert task.harbor_extra == {"extras": {"a": 1}}
    with pytest.warns(TaskFormatWarning):
        again = load_task(write_task(task, tmp_path / "copy" / task.id))
    assert again.harbor_extra == task.harbor_extra


def test_missing_source_named(tmp_path: Path) -> None:
    task_dir = copy_task(tmp_path)
    shutil.rmtree(tmp_path / "_sources")
    with pytest.raises(
        TaskFormatError, match=r"source = 'inflection': no folder _sources/inflection"
    ):
        load_task(task_dir)


@pytest.mark.parametrize(
    "bad",
    [
        "test_inflection.py",
        "/abs/test_x.py::test_a",
        "test_x.txt::test_a",
        "../t.py::test_a",
        "t.py::",
    ],
)
def test_bad_node_id_named(tmp_path: Path, bad: str) -> None:
    task_dir = copy_task(tmp_path)
    text = (task_dir / "task.toml").read_text()
    text = text.replace(
        "fail_to_pass = [\n", f"fail_to_pass = [\n    {bad!r},\n".replace("'", '"'), 1
    )
    (task_dir / "task.toml").write_text(text)
    with pytest.raises(TaskFormatError, match=r"task\.toml: \[agentgym\] fail_to_pass"):
        load_task(task_dir)


def test_node_id_outside_repo_rejected(tmp_path: Path) -> None:
    task_dir = copy_task(tmp_path)
    text = (task_dir / "task.toml").read_text()
    text = text.replace("fail_to_pass = [\n", 'fail_to_pass = [\n    "tests/nope.py::test_x",\n', 1)
    (task_dir / "task.toml").write_text(text)
    with pytest.raises(TaskFormatError, match="neither in inflection nor a hidden test"):
        load_task(task_dir, check_test_sh=False)


def test_hidden_test_file_must_exist(tmp_path: Path) -> None:
    task_dir = copy_task(tmp_path)
    (task_dir / "tests" / "test_issue_humanize_id.py").unlink()
    with pytest.raises(TaskFormatError, match=r"hidden_tests: tests/test_issue_humanize_id\.py"):
        load_task(task_dir)


def test_stale_test_sh_refused(tmp_path: Path) -> None:
    task_dir = copy_task(tmp_path)
    (task_dir / "tests" / "test.sh").write_text("#!/bin/bash\necho 1 > /logs/verifier/reward.txt\n")
    with pytest.raises(TaskFormatError, match=r"does not match task\.toml"):
        load_task(task_dir)
    assert load_task(task_dir, check_test_sh=False).test_script.startswith("#!/bin/bash")


def test_plain_harbor_task_without_agentgym_table(tmp_path: Path) -> None:
    task_dir = tmp_path / "hello"
    (task_dir / "environment").mkdir(parents=True)
    (task_dir / "tests").mkdir()
    (task_dir / "instruction.md").write_text("Write hello.txt\n")
    (task_dir / "task.toml").write_text('version = "1.0"\n\n[metadata]\ncategory = "demo"\n')
    (task_dir / "environment" / "Dockerfile").write_text("FROM agentgym/base:latest\n")
    (task_dir / "tests" / "test.sh").write_text("#!/bin/bash\necho 1 > /logs/verifier/reward.txt\n")
    task = load_task(task_dir)
    assert task.source is None and task.solution_script is None and not task.fail_to_pass
    again = load_task(write_task(task, tmp_path / "copy" / "hello"))
    assert again.model_dump(exclude={"path"}) == task.model_dump(exclude={"path"})
    assert "[agentgym]" not in (tmp_path / "copy" / "hello" / "task.toml").read_text()


def test_load_tasks_rejects_duplicate_ids(tmp_path: Path) -> None:
    task_dir = copy_task(tmp_path)
    shutil.copytree(task_dir, tmp_path / "other" / task_dir.name)
    with pytest.raises(TaskFormatError, match="unique"):
        load_tasks(tmp_path)


def test_test_sh_contents() -> None:
    task = load_task(SAMPLE)
    script = render_test_sh(task)
    assert "git checkout -q HEAD -- " in script
    assert 'cp "$TESTS_DIR"/test_issue_humanize_id.py test_issue_humanize_id.py' in script
    assert '--junitxml="$LOGS/junit.xml"' in script and "-p no:cacheprovider" in script
    for node in task.fail_to_pass:
        assert node in script


def test_solve_sh_round_trip() -> None:
    patch = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    assert extract_solution_patch(render_solve_sh(patch)) == patch
    with pytest.raises(TaskFormatError):
        render_solve_sh("AGENTGYM_PATCH\n")


def test_build_context_has_repo_and_patch() -> None:
    task = load_task(SAMPLE)
    context = build_context(task)
    try:
        assert (context / "Dockerfile").read_text() == task.dockerfile
        assert (context / "task.patch").exists()
        assert (context / "repo" / "inflection" / "__init__.py").exists()
        assert not (context / "repo" / "SOURCE.toml").exists()
        # Hidden tests and the solution never enter the image.
        assert not list(context.rglob("test_issue_humanize_id.py"))
        assert not list(context.rglob("solve.sh"))
    finally:
        shutil.rmtree(context)
