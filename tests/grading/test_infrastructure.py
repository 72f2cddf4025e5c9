"""Infrastructure errors are for faults outside the agent's reach, and only for those.

Both directions: an environment whose tests cannot run is an ``infrastructure`` error with
a message that says what is wrong (never a plain failed fix), and nothing the agent's
change does can produce that verdict (it is graded as the agent's failure).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentgym.grading import grade
from agentgym.tasks import load_task
from agentgym.tasks.harbor import render_test_sh
from agentgym.types import Task

BACKENDS = [pytest.param("docker", marks=pytest.mark.docker), "local"]
FIX = (
    "diff --git a/mod.py b/mod.py\n--- a/mod.py\n+++ b/mod.py\n@@ -1,2 +1,2 @@\n"
    " def answer():\n-    return 41\n+    return 42\n"
)


def make_task(root: Path, *, test_body: str, dockerfile_extra: str = "") -> Task:
    """A small Harbor-layout task: mod.answer() must return 42."""
    task = root / "answer"
    (task / "environment" / "repo").mkdir(parents=True)
    (task / "tests").mkdir()
    (task / "instruction.md").write_text("Make answer() return 42.\n")
    (task / "environment" / "repo" / "mod.py").write_text("def answer():\n    return 41\n")
    (task / "environment" / "repo" / "test_mod.py").write_text(test_body)
    (task / "environment" / "Dockerfile").write_text(
        "FROM agentgym/base:latest\nCOPY repo/ /workspace/\n"
        "RUN cd /workspace && git init -q && git add -A && "
        "git -c user.name=a -c user.email=a@b commit -qm init\n"
        f"{dockerfile_extra}WORKDIR /workspace\n"
    )
    (task / "tests" / "test.sh").write_text("#!/bin/bash\n")
    (task / "task.toml").write_text(
        'version = "1.0"\n\n[agentgym]\nworkdir = "/workspace"\n'
        'fail_to_pass = ["test_mod.py::test_answer"]\n'
    )
    loaded = load_task(task, check_test_sh=False)
    (task / "tests" / "test.sh").write_text(render_test_sh(loaded))
    return load_task(task)


GOOD_TESTS = "from mod import answer\n\ndef test_answer():\n    assert answer() == 42\n"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_honest_path_still_passes_and_fails(tmp_path: Path, backend: str) -> None:
    task = make_task(tmp_path, test_body=GOOD_TESTS)
    assert grade(task, FIX, backend=backend).reward == 1.0
    nothing = grade(task, "", backend=backend)
    assert nothing.status == "fail" and nothing.error_kind is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_tests_that_cannot_run_anywhere_are_an_infrastructure_error(
    tmp_path: Path, backend: str
) -> None:
    """The task's tests need a package its environment lacks: no report, with or without
    the agent's change — the environment's fault, said clearly, never a plain failure."""
    broken = "import agentgym_missing_dependency\n" + GOOD_TESTS
    task = make_task(tmp_path, test_body=broken)
    for diff in (FIX, ""):
        result = grade(task, diff, backend=backend)
        assert result.status == "error" and result.error_kind == "infrastructure", result
        assert result.infrastructure_error
        assert "cannot run in its environment" in (result.error or "")
        assert "agentgym_missing_dependency" in (result.error or ""), result.error


@pytest.mark.docker
def test_an_image_without_a_test_runner_is_an_infrastructure_error(tmp_path: Path) -> None:
    task = make_task(
        tmp_path,
        test_body=GOOD_TESTS,
        dockerfile_extra="RUN rm -rf /usr/lib/python3/dist-packages/pytest "
        "/usr/lib/python3/dist-packages/_pytest /usr/bin/pytest*\n",
    )
    result = grade(task, FIX, backend="docker")
    assert result.status == "error" and result.error_kind == "infrastructure", result
    assert "no working test runner" in (result.error or "")
    assert "No module named pytest" in (result.error or "")


HIJACKS = {
    # python3 -m pytest imports pytest.py from the working directory first
    "shadow_pytest": "pytest.py",
    # the package under test kills the interpreter while pytest collects it
    "exit_at_import": "mod.py",
}


def _new_file_diff(path: str, body: str) -> str:
    lines = body.splitlines()
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{ln}\n" for ln in lines)
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("hijack", sorted(HIJACKS))
def test_the_agent_cannot_cause_an_infrastructure_verdict(
    tmp_path: Path, backend: str, hijack: str
) -> None:
    task = make_task(tmp_path, test_body=GOOD_TESTS)
    if hijack == "shadow_pytest":
        diff = FIX + _new_file_diff("pytest.py", "import sys\nsys.exit(0)")
    else:
        diff = (
            "diff --git a/mod.py b/mod.py\n--- a/mod.py\n+++ b/mod.py\n@@ -1,2 +1,4 @@\n"
            "+import os\n+os._exit(0)\n def answer():\n-    return 41\n+    return 42\n"
        )
    result = grade(task, diff, backend=backend)
    assert result.reward == 0.0, result
    assert result.status == "fail" and result.error_kind is None, result
    assert not result.infrastructure_error
    assert "no_test_report" in result.flags
    assert "do report on the unchanged task" in (result.error or "")


@pytest.mark.parametrize("backend", BACKENDS)
def test_tests_that_need_code_not_written_yet_fail_the_no_op(tmp_path: Path, backend: str) -> None:
    """Feature tasks: before the change the tests cannot even import what they test. That
    is the code's state, not the environment's: no change → a plain failure."""
    wants_feature = (
        "from mod import answer, double\n\ndef test_answer():\n    assert double() == 84\n"
    )
    task = make_task(tmp_path, test_body=wants_feature)
    nothing = grade(task, "", backend=backend)
    assert nothing.status == "fail" and nothing.error_kind is None, nothing
    assert "no_test_report" in nothing.flags
    feature = FIX.replace("+    return 42\n", "+    return 42\n+def double():\n+    return 84\n")
    feature = feature.replace("@@ -1,2 +1,2 @@", "@@ -1,2 +1,4 @@")
    assert grade(task, feature, backend=backend).reward == 1.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_change_that_makes_the_tests_hang_is_the_agents_failure(
    tmp_path: Path, backend: str
) -> None:
    """An exhausted limit the agent caused (its code loops) is its failure, not masked."""
    task = make_task(tmp_path, test_body=GOOD_TESTS)
    hang = (
        "diff --git a/mod.py b/mod.py\n--- a/mod.py\n+++ b/mod.py\n@@ -1,2 +1,4 @@\n"
        " def answer():\n-    return 41\n+    while True:\n+        pass\n+    return 42\n"
    )
    result = grade(task, hang, backend=backend, timeout=8)
    assert result.status == "fail" and result.error_kind is None, result
    assert "verifier_timeout" in result.flags and not result.infrastructure_error


class FlakyReads:
    """A real sandbox whose reads of the JUnit report fail ``failures`` times (a loaded
    host failing an exec) before they work."""

    def __init__(self, inner: object, failures: int) -> None:
        self.inner, self.failures = inner, failures

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def read_file(self, path: str, max_bytes: int | None = None) -> bytes:
        from agentgym.errors import SandboxError

        if "junit-" in path and self.failures > 0:
            self.failures -= 1
            raise SandboxError(f"could not read {path}: exec failed")
        return self.inner.read_file(path, max_bytes)  # type: ignore[attr-defined, no-any-return]

    def __enter__(self) -> FlakyReads:
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_report_written_but_not_read_back_is_never_the_agents_failure(
    tmp_path: Path, backend: str
) -> None:
    from agentgym.env.local_build import local_task_sandbox
    from agentgym.grading.grader import _grading_limits, _make_grading_sandbox

    task = make_task(tmp_path, test_body=GOOD_TESTS)

    def factory(failures: int):  # type: ignore[no-untyped-def]
        def make(image: str, task_: Task) -> FlakyReads:
            if backend == "local":
                return FlakyReads(local_task_sandbox(task_, _grading_limits(task_)), failures)
            return FlakyReads(_make_grading_sandbox(image, task_), failures)

        return make

    image = None if backend == "docker" else "local"
    once = grade(task, FIX, backend=backend, image=image, sandbox_factory=factory(1))
    assert once.reward == 1.0, once  # one failed read is tried again
    never = grade(task, FIX, backend=backend, image=image, sandbox_factory=factory(99))
    assert never.status == "error" and never.error_kind == "infrastructure", never
    assert "could not be read back" in (never.error or "")
