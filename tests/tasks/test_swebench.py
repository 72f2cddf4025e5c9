"""SWE-bench-style JSONL records: parsing, errors, repos from folders/tarballs, conversion."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentgym.errors import TaskFormatError
from agentgym.tasks import load_task
from agentgym.tasks.swebench import (
    SWEBenchRecord,
    export_swebench,
    import_swebench,
    load_record_tasks,
    load_swebench_jsonl,
    materialize_repo,
    prepare_record,
    record_to_task,
    task_to_record,
    write_swebench_jsonl,
)

ENVS = Path(__file__).resolve().parents[2] / "envs"

TEST_PATCH = """diff --git a/test_calc.py b/test_calc.py
new file mode 100644
--- /dev/null
+++ b/test_calc.py
@@ -0,0 +1,5 @@
+from calc import add
+
+
+def test_add():
+    assert add(2, 3) == 5
"""
FIX = """diff --git a/calc.py b/calc.py
--- a/calc.py
+++ b/calc.py
@@ -1,2 +1,2 @@
 def add(a, b):
-    return a - b
+    return a + b
"""


def record(**changes: object) -> dict:
    base = {
        "instance_id": "demo__calc-1",
        "repo": "demo/calc",
        "base_commit": "HEAD",
        "problem_statement": "add() subtracts\n",
        "patch": FIX,
        "test_patch": TEST_PATCH,
        "FAIL_TO_PASS": json.dumps(["test_calc.py::test_add"]),
        "PASS_TO_PASS": "[]",
        "version": "0.1",
    }
    base.update(changes)
    return base


def make_git_repo(path: Path) -> str:
    path.mkdir(parents=True)
    (path / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    run = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=path, check=True)
    subprocess.run([*run, "add", "-A"], cwd=path, check=True)
    subprocess.run([*run, "commit", "-qm", "base"], cwd=path, check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()
    # A later commit that must not leak into the task.
    (path / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    subprocess.run([*run, "commit", "-qam", "fix"], cwd=path, check=True)
    return commit


def test_json_encoded_lists_accepted() -> None:
    rec = SWEBenchRecord.model_validate(record())
    assert rec.FAIL_TO_PASS == ["test_calc.py::test_add"] and rec.PASS_TO_PASS == []


def test_jsonl_round_trip(tmp_path: Path) -> None:
    recs = [SWEBenchRecord.model_validate(record(instance_id=f"demo-{i}")) for i in range(3)]
    path = write_swebench_jsonl(recs, tmp_path / "r.jsonl")
    assert load_swebench_jsonl(path) == recs


@pytest.mark.parametrize(
    "line,message",
    [
        ("{not json", r"r\.jsonl:1: not valid JSON"),
        (json.dumps(record(FAIL_TO_PASS='["tests/x.py"]')), r"r\.jsonl:1: FAIL_TO_PASS"),
        (json.dumps(record(FAIL_TO_PASS='["a\\nb"]')), r"r\.jsonl:1: FAIL_TO_PASS"),
        (json.dumps({k: v for k, v in record().items() if k != "patch"}), r"r\.jsonl:1: patch"),
    ],
)
def test_bad_records_named(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "r.jsonl").write_text(line + "\n")
    with pytest.raises(TaskFormatError, match=message):
        load_swebench_jsonl(tmp_path / "r.jsonl")


def test_duplicate_instance_ids(tmp_path: Path) -> None:
    line = json.dumps(record())
    (tmp_path / "r.jsonl").write_text(f"{line}\n{line}\n")
    with pytest.raises(TaskFormatError, match="repeated instance_id"):
        load_swebench_jsonl(tmp_path / "r.jsonl")


def test_repo_from_git_checkout_at_base_commit(tmp_path: Path) -> None:
    commit = make_git_repo(tmp_path / "calc")
    out = materialize_repo(tmp_path / "calc", tmp_path / "at-base", commit)
    assert "a - b" in (out / "calc.py").read_text()
    assert not (out / ".git").exists()


def test_repo_from_tarball(tmp_path: Path) -> None:
    make_git_repo(tmp_path / "calc")
    with tarfile.open(tmp_path / "calc.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "calc" / "calc.py", arcname="calc-1.0/calc.py")
    out = materialize_repo(tmp_path / "calc.tar.gz", tmp_path / "x")
    assert (out / "calc.py").exists()


def test_record_to_harbor_folder(tmp_path: Path) -> None:
    commit = make_git_repo(tmp_path / "repos" / "demo__calc")
    (tmp_path / "r.jsonl").write_text(json.dumps(record(base_commit=commit)) + "\n")
    (task,) = import_swebench(tmp_path / "r.jsonl", tmp_path / "repos", tmp_path / "out")
    assert task.id == "demo__calc-1"
    assert task.hidden_test_patch == TEST_PATCH and task.solution_patch == FIX
    assert "a - b" in (Path(task.workspace) / "calc.py").read_text()
    script = (tmp_path / "out" / "swebench" / "demo__calc-1" / "tests" / "test.sh").read_text()
    assert "rm -f -- test_calc.py" in script and "test.patch" in script


def test_harbor_to_record_and_back(tmp_path: Path) -> None:
    task = load_task(ENVS / "bugfix" / "toolz-nth-iterator-off-by-one")
    export_swebench([task], tmp_path / "export")
    (rec,) = load_swebench_jsonl(tmp_path / "export" / "records.jsonl")
    assert task.fail_to_pass == rec.FAIL_TO_PASS and rec.patch == task.solution_patch
    assert "toolz/tests/test_issue_nth_iter.py" in rec.test_patch
    back = import_swebench(
        tmp_path / "export" / "records.jsonl", tmp_path / "export" / "repos", tmp_path / "h"
    )[0]
    assert back.fail_to_pass == task.fail_to_pass and back.pass_to_pass == task.pass_to_pass
    assert back.instruction == task.instruction
    # The exported repo is the buggy starting state: the fix applies to it.
    src = Path(back.workspace) / "toolz" / "itertoolz.py"
    assert "islice(seq, n - 1, None)" in src.read_text()
    again = task_to_record(back, rec.base_commit)
    assert again.patch == rec.patch and again.test_patch == rec.test_patch


def test_record_to_task_fields(tmp_path: Path) -> None:
    rec = SWEBenchRecord.model_validate(record())
    task = record_to_task(rec, tmp_path)
    assert task.test_files == []  # the test patch only creates files
    (tmp_path / "test_calc.py").write_text("def test_add():\n    pass\n")
    modified = rec.model_copy(update={"test_patch": FIX.replace("calc.py", "test_calc.py")})
    assert record_to_task(modified, tmp_path).test_files == ["test_calc.py"]
    # The repository's version is kept as the record's, not the task format's.
    assert task.version == "1.0" and task.metadata["swebench"]["version"] == "0.1"


@given(st.lists(st.from_regex(r"[a-z_]{1,8}\.py::test_[a-z0-9_]{1,8}", fullmatch=True), max_size=5))
def test_lists_as_json_strings_or_lists(nodes: list[str]) -> None:
    a = SWEBenchRecord.model_validate(record(FAIL_TO_PASS=nodes))
    b = SWEBenchRecord.model_validate(record(FAIL_TO_PASS=json.dumps(nodes)))
    assert a == b


# --- records as the published datasets write them -----------------------------------

VERIFIED_AND_MULTIMODAL = {
    "hints_text": None,  # null hints
    "created_at": "2019-02-26T16:05:39Z",
    "environment_setup_commit": "419a78300f7cd27611196e1e464d50fd0385ff27",
    "difficulty": "15 min - 1 hour",  # SWE-bench Verified
    "image_assets": json.dumps(
        {"problem_statement": ["https://x/y.png"], "patch": [], "test_patch": []}
    ),
    "FAIL_TO_PASS": json.dumps(["test_y (admin_views.tests.AdminViewTest)"]),
    "PASS_TO_PASS": json.dumps(["test_issue_1", "tests/test_calc.py::test_add[1-2]"]),
}


def test_every_published_field_loads_and_is_kept(tmp_path: Path) -> None:
    data = record(
        **VERIFIED_AND_MULTIMODAL,
        image="swebench/sweb.eval.x",
        eval_script="#!/bin/bash\n",
        log_parser="parse_log_django",
        eval_type="pass_and_fail",
        split="test",
        meta={"is_lite": True},
    )
    (tmp_path / "r.jsonl").write_text(json.dumps(data) + "\n")
    (rec,) = load_swebench_jsonl(tmp_path / "r.jsonl")
    assert rec.image_assets == {
        "problem_statement": ["https://x/y.png"],
        "patch": [],
        "test_patch": [],
    }
    assert rec.extras == {"meta": {"is_lite": True}} and rec.hints_text is None
    task = record_to_task(rec, tmp_path)
    kept = task.metadata["swebench"]
    assert kept["difficulty"] == "15 min - 1 hour" and kept["version"] == "0.1"
    assert kept["environment_setup_commit"] == data["environment_setup_commit"]
    assert kept["meta"] == {"is_lite": True} and kept["image_assets"] == rec.image_assets
    assert task.version == "1.0"
    # Written back, a record is what was read (lists as lists, extras at the top level).
    write_swebench_jsonl([rec], tmp_path / "back.jsonl")
    assert load_swebench_jsonl(tmp_path / "back.jsonl") == [rec]
    with pytest.raises(TaskFormatError, match=r"unknown field\(s\) \['meta'\]"):
        load_swebench_jsonl(tmp_path / "r.jsonl", strict=True)


def test_swe_gym_and_swe_smith_shapes(tmp_path: Path) -> None:
    gym = {k: v for k, v in record().items()}  # SWE-Gym: SWE-bench's fields, lists as lists
    gym["FAIL_TO_PASS"], gym["PASS_TO_PASS"] = ["test_calc.py::test_add"], []
    smith = {  # SWE-smith: no test_patch, no version; patch *creates* the bug
        "instance_id": "demo__calc.1a2b3c4d.func_pm_op_swap__x1",
        "repo": "swesmith/demo__calc.1a2b3c4d",
        "patch": FIX.replace(
            "-    return a - b\n+    return a + b", "-    return a + b\n+    return a - b"
        ),
        "FAIL_TO_PASS": ["test_calc.py::test_add"],
        "PASS_TO_PASS": [],
        "created_at": "2025-03-14T00:00:00",
        "image_name": "swebench/swesmith.x86_64.demo_1776_calc.1a2b3c4d",
        "problem_statement": "add is wrong",
    }
    (tmp_path / "r.jsonl").write_text(json.dumps(gym) + "\n" + json.dumps(smith) + "\n")
    a, b = load_swebench_jsonl(tmp_path / "r.jsonl")
    assert not a.is_swesmith and b.is_swesmith and b.base_commit is None
    # The SWE-smith start state is the repo with the bug patch applied; the fix reverses it.
    repo = tmp_path / "repos" / "demo__calc.1a2b3c4d.func_pm_op_swap__x1"
    repo.mkdir(parents=True)
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    task = prepare_record(b, tmp_path / "repos", tmp_path / "ws", official_images=False)
    assert "a - b" in (Path(task.workspace) / "calc.py").read_text()
    assert "+    return a + b" in task.solution_patch and task.hidden_test_patch is None


def test_base_commit_missing_is_a_clear_error(tmp_path: Path) -> None:
    make_git_repo(tmp_path / "calc")
    with pytest.raises(
        TaskFormatError, match=r"base_commit 0{40} is not in this repository.*fetch it"
    ):
        materialize_repo(tmp_path / "calc", tmp_path / "x", "0" * 40)
    subprocess.run(
        ["tar", "-czf", str(tmp_path / "calc.tar.gz"), "-C", str(tmp_path), "calc"], check=True
    )
    with pytest.raises(TaskFormatError, match="is not in this repository"):
        materialize_repo(tmp_path / "calc.tar.gz", tmp_path / "y", "0" * 40)


def test_swebench_env_checks_out_base_commit(tmp_path: Path) -> None:
    commit = make_git_repo(tmp_path / "repos" / "demo__calc")  # HEAD holds the fix
    (tmp_path / "r.jsonl").write_text(json.dumps(record(base_commit=commit)) + "\n")
    (task,) = load_record_tasks(
        tmp_path / "r.jsonl",
        tmp_path / "repos",
        official_images=False,
        cache_dir=tmp_path / "cache",
    )
    assert "a - b" in (Path(task.workspace) / "calc.py").read_text()
    (tmp_path / "r.jsonl").write_text(json.dumps(record(base_commit="f" * 40)) + "\n")
    with pytest.raises(TaskFormatError, match="is not in this repository"):
        load_record_tasks(
            tmp_path / "r.jsonl",
            tmp_path / "repos",
            official_images=False,
            cache_dir=tmp_path / "cache",
        )


def test_empty_test_patch_has_nothing_to_apply(tmp_path: Path) -> None:
    commit = make_git_repo(tmp_path / "repos" / "demo__calc")
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "checkout", "-q", commit],
        cwd=tmp_path / "repos" / "demo__calc",
        check=True,
    )
    (tmp_path / "repos" / "demo__calc" / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    (tmp_path / "r.jsonl").write_text(json.dumps(record(base_commit=None, test_patch="")) + "\n")
    (task,) = import_swebench(
        tmp_path / "r.jsonl", tmp_path / "repos", tmp_path / "out", official_images=False
    )
    folder = tmp_path / "out" / "swebench" / "demo__calc-1"
    assert task.hidden_test_patch is None and not (folder / "tests" / "test.patch").exists()
    script = (folder / "tests" / "test.sh").read_text()
    assert "git apply" not in script
    # The visible failing test module is restored by the portable verifier too.
    assert "git checkout -q HEAD -- test_calc.py" in script
    assert task.test_files == ["test_calc.py"]
