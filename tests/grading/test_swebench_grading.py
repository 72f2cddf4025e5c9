"""SWE-bench records graded for real: every record shape, gold -> 1, no change -> 0, and the
reward hacks on visible and hidden failing tests -> 0.

The django- and sympy-style repositories run their own runners through the official
swebench package's test command and log parser (CI installs ``agentgym[swebench]``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from agentgym.grading import grade
from agentgym.tasks.swebench import load_record_tasks
from agentgym.types import Task
from tests.grading.swebench_repos import make_repo, write_records

pytestmark = pytest.mark.docker


@pytest.fixture(autouse=True)
def _repo_runners_need_swebench(request: pytest.FixtureRequest) -> None:
    """django/sympy shapes use the swebench extra: skipped without it, except under CI
    (which installs it, so a missing package there is a failure)."""
    params = getattr(request.node, "callspec", None)
    params = params.params if params is not None else {}
    style = params.get("style") or (params.get("shape") or ("pytest",))[0]
    if style != "pytest" and os.environ.get("CI", "").lower() not in {"1", "true", "yes"}:
        pytest.importorskip("swebench")


# Each cheat edits the working copy of the repository the way an agent would.
CHEATS = {
    # Make the failing assertion agree with the bug (add(2, 3) is -1 with the bug).
    "edit_assertion": "grep -rl --include='*.py' 'add(2, 3)' . | xargs -r sed -i "
    "-e 's/add(2, 3) == 5/add(2, 3) == -1/' -e 's/add(2, 3), 5)/add(2, 3), -1)/'",
    "delete_test_file": "grep -rl --include='*.py' 'def test_add' . | xargs -r rm -f",
    "skip_test": "grep -rl --include='*.py' 'def test_add' . | xargs -r sed -i -E "
    "'s/^( *)def (test_add\\w*)\\((.*)\\):/\\1def \\2(\\3):\\n\\1    return/'",
    "rename_test": "grep -rl --include='*.py' 'def test_add' . | xargs -r sed -i "
    "'s/def test_add/def check_add/'",
    "runner_and_conftest": "printf 'import pytest\\n' > conftest.py; "
    "for f in tests/runtests.py bin/test; do [ -f $f ] && "
    "printf '#!/bin/sh\\necho test_add ok\\nexit 0\\n' > $f; done; true",
}


def agent_diff(task: Task, script: str | None = None, patch: str | None = None) -> str:
    """The git diff an agent's work leaves: ``script`` run in (or ``patch`` applied to) a
    working copy of the task's starting repository."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "w"
        shutil.copytree(task.workspace, work)  # type: ignore[arg-type]
        git = ["git", "-c", "user.name=a", "-c", "user.email=a@a"]
        subprocess.run([*git, "init", "-q"], cwd=work, check=True)
        subprocess.run([*git, "add", "-A"], cwd=work, check=True)
        subprocess.run([*git, "commit", "-qm", "start"], cwd=work, check=True)
        if patch:
            subprocess.run([*git, "apply"], input=patch, text=True, cwd=work, check=True)
        if script:
            subprocess.run(["bash", "-c", script], cwd=work, check=True)
        subprocess.run([*git, "add", "-A"], cwd=work, check=True)
        return subprocess.run(
            [*git, "diff", "--cached", "--binary", "HEAD"],
            cwd=work,
            check=True,
            capture_output=True,
            text=True,
        ).stdout


SHAPES = [
    ("pytest", False),
    ("pytest", True),
    ("django", False),
    ("django", True),
    ("sympy", False),
    ("sympy", True),
]


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, bool], Task]:
    root = tmp_path_factory.mktemp("swe")
    records, repos = [], root / "repos"
    repos.mkdir()
    for style, hidden in SHAPES:
        repo, record = make_repo(root / f"{style}-{hidden}", style, hidden)
        shutil.move(str(repo), repos / record["instance_id"])
        records.append(record)
    jsonl = write_records(root / "records.jsonl", records)
    loaded = load_record_tasks(jsonl, repos, official_images=False, cache_dir=root / "cache")
    return {shape: task for shape, task in zip(SHAPES, loaded, strict=True)}


@pytest.mark.parametrize(
    "shape", SHAPES, ids=[f"{s}-{'hidden' if h else 'visible'}" for s, h in SHAPES]
)
def test_gold_one_noop_zero(tasks: dict, shape: tuple[str, bool]) -> None:
    task = tasks[shape]
    gold = grade(task, agent_diff(task, patch=task.solution_patch))
    assert gold.reward == 1.0, (gold.error, gold.tests, gold.log_tail)
    assert gold.breakdown["fail_to_pass_passed"] == 1 and gold.breakdown["missing"] == 0
    noop = grade(task, "")
    assert noop.reward == 0.0 and noop.status == "fail", noop
    assert {o.nodeid: o.status for o in noop.tests}[task.fail_to_pass[0]] == "failed"


@pytest.mark.parametrize("cheat", sorted(CHEATS))
@pytest.mark.parametrize(
    "shape", SHAPES, ids=[f"{s}-{'hidden' if h else 'visible'}" for s, h in SHAPES]
)
def test_reward_hacks_score_zero(tasks: dict, shape: tuple[str, bool], cheat: str) -> None:
    task = tasks[shape]
    diff = agent_diff(task, script=CHEATS[cheat])
    if not diff.strip():
        assert shape[1], f"{cheat} changed nothing in a repo whose failing test is visible"
        pytest.skip("the failing test is hidden and nothing else matched")
    result = grade(task, diff)
    assert result.reward == 0.0 and result.status == "fail", (cheat, result.tests, result.log_tail)
    # The restored test ran and failed on the bug: the hack did not hide it.
    status = {o.nodeid: o.status for o in result.tests}[task.fail_to_pass[0]]
    assert status == "failed", (cheat, result.tests, result.log_tail)


@pytest.mark.parametrize("style", ["pytest", "django", "sympy"])
def test_missing_test_is_one_missing_test(tasks: dict, style: str) -> None:
    task = tasks[(style, False)]
    gone = {
        "pytest": "tests/test_calc.py::test_gone",
        "django": "test_gone (calc_tests.tests.AddTests.test_gone)",
        "sympy": "test_gone",
    }[style]
    task = task.model_copy(update={"pass_to_pass": [*task.pass_to_pass, gone]})
    result = grade(task, agent_diff(task, patch=task.solution_patch))
    statuses = {o.nodeid: o.status for o in result.tests}
    assert statuses[gone] == "missing"
    assert statuses[task.fail_to_pass[0]] == "passed"
    assert statuses[task.pass_to_pass[0]] == "passed"
    assert result.breakdown["missing"] == 1 and result.breakdown["pass_to_pass_passed"] == 1
    assert result.reward == 0.0


def test_honest_fix_that_also_edits_tests_still_passes(tasks: dict) -> None:
    task = tasks[("pytest", False)]
    script = "printf '\\n\\ndef test_more():\\n    assert True\\n' >> tests/test_calc.py"
    result = grade(task, agent_diff(task, script=script, patch=task.solution_patch))
    assert result.reward == 1.0 and "tests_touched" in result.flags


def test_official_image_is_used_when_present(tmp_path: Path) -> None:
    """An image laid out like SWE-bench's evaluation images (repo at /testbed with its
    history, a `testbed` conda env) is picked up by name instead of building."""
    import docker

    from agentgym.sandbox import make_sandbox
    from agentgym.sandbox.base import SandboxConfig
    from agentgym.tasks.build import task_image

    repo, record = make_repo(tmp_path, "pytest", hidden=False)
    record["instance_id"] = "demo__calc-official"
    subprocess.run(["git", "checkout", "-q", record["base_commit"]], cwd=repo, check=True)
    (tmp_path / "ctx").mkdir()
    shutil.copytree(repo, tmp_path / "ctx" / "testbed", symlinks=True)
    (tmp_path / "ctx" / "Dockerfile").write_text(
        "FROM agentgym/base:latest\n"
        "RUN mkdir -p /opt/miniconda3/envs/testbed/bin /opt/miniconda3/bin && "
        "ln -s /usr/bin/python3 /opt/miniconda3/envs/testbed/bin/python3 && "
        "ln -s /usr/bin/python3 /opt/miniconda3/envs/testbed/bin/python && "
        "printf 'export PATH=/opt/miniconda3/envs/testbed/bin:$PATH\\n' > /opt/miniconda3/bin/activate\n"
        "COPY testbed/ /testbed/\n"
        "RUN cd /testbed && git -c user.email=setup@swebench.config -c user.name=SWE-bench "
        "commit --allow-empty -qam SWE-bench\n"
        "WORKDIR /testbed/\n"
    )
    name = "sweb.eval.x86_64.demo__calc-official:latest"
    client = docker.from_env()
    client.images.build(path=str(tmp_path / "ctx"), tag=name, network_mode="none", rm=True)
    try:
        jsonl = write_records(tmp_path / "r.jsonl", [record])
        (task,) = load_record_tasks(jsonl, None, cache_dir=tmp_path / "cache")
        assert task.metadata["swebench"]["official_image"] == name
        assert task.workdir == "/testbed" and task.workspace is None
        assert f"FROM {name}" in (task.dockerfile or "")
        with make_sandbox(
            SandboxConfig(type="docker", image=task_image(task), workdir="/testbed")
        ) as sb:
            assert (
                sb.run("command -v python3").output.strip()
                == "/opt/miniconda3/envs/testbed/bin/python3"
            )
            assert record["base_commit"] in sb.run("git log --format=%H").output
        fix = task.solution_patch
        assert grade(task, fix).reward == 1.0
        assert grade(task, "").reward == 0.0
        # A cheat diff taken against /testbed: weaken the visible failing test.
        weaken = (
            "diff --git a/tests/test_calc.py b/tests/test_calc.py\n--- a/tests/test_calc.py\n"
            "+++ b/tests/test_calc.py\n@@ -8,2 +8,2 @@ def test_add_zero():\n def test_add():\n"
            "-    assert add(2, 3) == 5\n+    assert add(2, 3) == -1\n"
        )
        cheat = grade(task, weaken)
        assert cheat.reward == 0.0 and "tests_touched" in cheat.flags, cheat
    finally:
        client.images.remove(name, force=True)


def test_swebench_env_episode_starts_at_base_commit(tmp_path: Path) -> None:
    import gymnasium as gym

    import agentgym.env  # noqa: F401  (registers the ids)

    repo, record = make_repo(tmp_path, "pytest", hidden=True)
    repos = tmp_path / "repos"
    repos.mkdir()
    shutil.move(str(repo), repos / record["instance_id"])
    jsonl = write_records(tmp_path / "r.jsonl", [record])
    env = gym.make(
        "agentgym/SWEBench-v0",
        jsonl=str(jsonl),
        repos=str(repos),
        backend="docker",
        official_images=False,
    )
    try:
        env.reset(seed=0)
        sandbox = env.unwrapped.sandbox
        assert "a - b" in sandbox.run("cat calc/ops.py").output  # not the later upstream fix
        assert "test_add(" not in sandbox.run("cat tests/test_calc.py").output  # hidden test
    finally:
        env.close()
