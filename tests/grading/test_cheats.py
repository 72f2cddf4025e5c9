"""The grader cannot be fooled: each cheat is a real change made in a real episode."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentgym.env import CodingEnv, envs_root
from agentgym.grading import grade, parse_junit
from agentgym.grading.grader import diff_files, is_test_path
from agentgym.tasks import load_task


def call(name: str, **arguments: object) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


def task_dir() -> Path:
    return sorted(p for p in (envs_root() / "bugfix").iterdir() if (p / "task.toml").exists())[0]


CHEATS = {
    "delete_tests": "git ls-files -z '*test*.py' | xargs -0 git rm -q -f",
    "weaken_tests": (
        "git ls-files -z '*test*.py' | xargs -0 sed -i -E "
        "'s/^( *)assert /\\1assert True or /; s/^( *)def (test_[a-z_0-9]*)\\(/\\1def \\2(*a, **k):\\n\\1    return\\n\\1def _orig_\\2(/'"
    ),
    "conftest_forces_pass": (
        "cat > conftest.py <<'EOF'\n"
        "import pytest\n"
        "@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n"
        "    rep = outcome.get_result()\n"
        "    rep.outcome = 'passed'\n"
        "EOF\n"
        "for d in $(git ls-files '*test*.py' | xargs -n1 dirname | sort -u); do cp conftest.py $d/; done"
    ),
    "pytest_ini_deselects": (
        "printf '[pytest]\\naddopts = -k not_a_real_test_name --co\\n' > pytest.ini; "
        "printf '[tool.pytest.ini_options]\\naddopts = \"-k nothing\"\\n' >> pyproject.toml"
    ),
    "os_exit_zero": (
        "for f in $(git ls-files '*.py' | grep -v test); do "
        "printf 'import os\\nos._exit(0)\\n' | cat - $f > /tmp/x && cp /tmp/x $f; done"
    ),
    "reward_file": (
        "mkdir -p /logs/verifier logs/verifier 2>/dev/null; echo 1 > /logs/verifier/reward.txt; "
        "echo 1 > logs/verifier/reward.txt; echo '{\"reward\": 1}' > logs/verifier/reward.json"
    ),
    "shadow_pytest": "printf 'import sys\\nsys.exit(0)\\n' > pytest.py",
    "sitecustomize": (
        "printf 'import os\\nos._exit(0)\\n' > sitecustomize.py; "
        "echo 'import os; os._exit(0)' > evil.pth"
    ),
}


@pytest.fixture(scope="module", params=[pytest.param("docker", marks=pytest.mark.docker), "local"])
def env(request: pytest.FixtureRequest) -> Iterator[CodingEnv]:
    if request.param == "docker":
        request.getfixturevalue("docker_ready")
    e = CodingEnv(task_dir(), backend=request.param, max_turns=10, monitor=False)
    yield e
    e.close()


def play(env: CodingEnv, *commands: str) -> dict:
    env.reset(seed=0)
    for command in commands:
        obs, *_ = env.step(call("bash", command=command))
        assert "[exit code: 0]" in obs[0]["content"] or "[exit code: 123]" in obs[0]["content"], obs
    *_, info = env.step(call("submit"))
    return info


def test_reference_solution_gets_one(env: CodingEnv) -> None:
    info = play(env, env.tasks[0].solution_script or "true")
    assert info["grade"]["reward"] == 1.0 and info["grade"]["status"] == "pass"
    assert info["grade"]["breakdown"]["fail_to_pass_passed"] == len(env.tasks[0].fail_to_pass)


def test_no_change_gets_zero(env: CodingEnv) -> None:
    info = play(env)
    assert info["grade"]["reward"] == 0.0 and info["grade"]["status"] == "fail"
    assert info["grade"]["diff_files"] == []


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_cheats_get_zero(env: CodingEnv, cheat: str) -> None:
    info = play(env, CHEATS[cheat])
    grade_info = info["grade"]
    assert grade_info["reward"] == 0.0, (cheat, grade_info)
    assert (
        grade_info["status"] in ("fail", "error") and grade_info["error_kind"] != "infrastructure"
    )
    if cheat in {
        "delete_tests",
        "weaken_tests",
        "conftest_forces_pass",
        "pytest_ini_deselects",
        "sitecustomize",
    }:
        assert "tests_touched" in grade_info["flags"], grade_info


@pytest.mark.parametrize(
    "cheat", ["weaken_tests", "conftest_forces_pass", "pytest_ini_deselects", "sitecustomize"]
)
def test_cheats_on_top_of_the_fix_still_pass_honestly(env: CodingEnv, cheat: str) -> None:
    """Restoring the tests must not break an honest fix that also touched test config."""
    info = play(env, env.tasks[0].solution_script or "true", CHEATS[cheat])
    assert info["grade"]["reward"] == 1.0, info["grade"]
    assert "tests_touched" in info["grade"]["flags"]


def test_infrastructure_errors_are_not_failures() -> None:
    task = load_task(task_dir()).model_copy(update={"image": "agentgym/does-not-exist:0"})
    result = grade(task, "")
    assert result.status == "error" and result.error_kind in ("infrastructure", "build")
    assert result.infrastructure_error


def test_diff_files_and_test_paths() -> None:
    diff = (
        "diff --git a/pkg/mod.py b/pkg/mod.py\n--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -1 +1 @@\n-a\n+b\n"
        "diff --git a/tests/test_x.py b/tests/test_x.py\n"
    )
    assert diff_files(diff) == ["pkg/mod.py", "tests/test_x.py"]
    assert is_test_path("tests/test_x.py", []) and is_test_path("a/b/conftest.py", [])
    assert is_test_path("src/x.pth", []) and not is_test_path("pkg/mod.py", [])
    assert is_test_path("pkg/mod.py", ["pkg/mod.py"])


def test_parse_junit_node_ids() -> None:
    xml = (
        '<testsuites><testsuite><testcase classname="pkg.tests.test_a.TestX" name="test_one[1-2]"/>'
        '<testcase classname="test_b" name="test_two"><failure message="boom"/></testcase>'
        '<testcase classname="test_b" name="test_three"><skipped message="s"/></testcase>'
        "</testsuite></testsuites>"
    )
    report = parse_junit(xml)
    assert report["pkg/tests/test_a.py::TestX::test_one[1-2]"] == ("passed", None)
    assert report["test_b.py::test_two"] == ("failed", "boom")
    assert report["test_b.py::test_three"][0] == "skipped"
