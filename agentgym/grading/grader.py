"""Grade an agent's change in a fresh container from the pristine task image.

The agent's container never grades itself. We take the agent's diff (against the commit
the episode started from), apply it to a new container of the task image, put every test
file the task declares back to its pristine content, remove what could hijack pytest
(new conftest.py, sitecustomize, .pth files), add the hidden tests, then run the
FAIL_TO_PASS and PASS_TO_PASS tests by node id under our own pytest config and read the
results from a JUnit XML report. Reward = every required test passed.

Infrastructure faults (image build failure, container failure, grader timeout) come back as
``status="error"`` with ``error_kind`` so trainers can mask them instead of punishing.
"""

from __future__ import annotations

import fnmatch
import posixpath
import secrets
import time
import xml.etree.ElementTree as ET
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentgym.errors import AgentGymError
from agentgym.sandbox.base import Sandbox, SandboxConfig, SandboxLimits, shell_quote
from agentgym.types import Task

TestStatus = Literal["passed", "failed", "error", "skipped", "missing"]
# Paths whose change by the agent is tampering with the grader's inputs.
TEST_PATTERNS = (
    "test_*.py",
    "*_test.py",
    "tests/*",
    "*/tests/*",
    "test/*",
    "*/test/*",
    "conftest.py",
    "*/conftest.py",
    "pytest.ini",
    "tox.ini",
    "setup.cfg",
    "sitecustomize.py",
    "*/sitecustomize.py",
    "usercustomize.py",
    "*.pth",
)
DIFF_LIMIT_BYTES = 20 * 1024 * 1024


class TestOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nodeid: str
    group: Literal["fail_to_pass", "pass_to_pass"]
    status: TestStatus
    message: str | None = None


class GradeResult(BaseModel):
    """What the grader found. ``reward`` is 0.0 for both fail and error; check ``status``."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    reward: float
    status: Literal["pass", "fail", "error"]
    error_kind: Literal["build", "apply", "timeout", "infrastructure"] | None = None
    error: str | None = None
    tests: list[TestOutcome] = Field(default_factory=list)
    # test counts, or (Harbor verifier) every number of reward.json
    breakdown: dict[str, int | float] = Field(default_factory=dict)
    # "tests": the agent's diff in a fresh container, tests by node id; "harbor_verifier":
    # the task's tests/test.sh in the agent's container, as Harbor grades
    method: Literal["tests", "harbor_verifier"] = "tests"
    reward_file: str | None = None
    flags: list[str] = Field(default_factory=list)
    touched_tests: list[str] = Field(default_factory=list)
    diff_files: list[str] = Field(default_factory=list)
    diff_lines: int = 0
    duration_s: float = 0.0
    log_tail: str = ""

    @property
    def infrastructure_error(self) -> bool:
        return self.status == "error"


# --- diffs --------------------------------------------------------------------


def workspace_diff(
    sandbox: Sandbox, base_commit: str | None = None, workdir: str | None = None
) -> str:
    """The agent's change as a binary-safe git diff against ``base_commit`` (default HEAD).

    Uses a throwaway index so the agent's own index and history stay untouched, and it
    includes new files (except .gitignored ones).
    """
    workdir = workdir or sandbox.workdir
    token = secrets.token_hex(6)
    index, out = f"/tmp/.agentgym-index-{token}", f"/tmp/.agentgym-diff-{token}"
    base = shell_quote(base_commit) if base_commit else "HEAD"
    cmd = (
        f"cd {shell_quote(workdir)} && export GIT_INDEX_FILE={index} && "
        f"git read-tree {base} && git add -A . && "
        f"git -c core.quotepath=off diff --cached --binary --no-color --no-renames {base} "
        f"> {out}; rc=$?; rm -f {index}; exit $rc"
    )
    result = sandbox.run(cmd, timeout=120)
    if result.exit_code != 0:
        raise AgentGymError(f"could not compute the workspace diff: {result.output[-500:]}")
    try:
        data = sandbox.read_file(out, max_bytes=DIFF_LIMIT_BYTES + 1)
    finally:
        sandbox.run(f"rm -f {out}", timeout=30)
    if len(data) > DIFF_LIMIT_BYTES:
        raise AgentGymError("the workspace diff is larger than 20 MiB")
    return data.decode("utf-8", errors="surrogateescape")


def diff_files(diff: str) -> list[str]:
    """Paths a git diff touches (old and new names)."""
    files: list[str] = []
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            parts = line.split(" b/", 1)
            if len(parts) == 2:
                new = parts[1]
                old = parts[0][len("diff --git a/") :]
                for path in (old, new):
                    if path not in files:
                        files.append(path)
    return files


def is_test_path(path: str, declared: list[str]) -> bool:
    if path in declared:
        return True
    name = posixpath.basename(path)
    return any(fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(name, pat) for pat in TEST_PATTERNS)


# --- JUnit ---------------------------------------------------------------------


def parse_junit(xml_text: str) -> dict[str, tuple[TestStatus, str | None]]:
    """Map pytest-style node ids to (status, message) from a JUnit XML report."""
    out: dict[str, tuple[TestStatus, str | None]] = {}
    root = ET.fromstring(xml_text)
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        name = case.get("name", "")
        file = case.get("file")
        status: TestStatus = "passed"
        message = None
        for child in case:
            if child.tag in ("failure", "error"):
                status = "failed" if child.tag == "failure" else "error"
                message = (child.get("message") or "")[:300]
            elif child.tag == "skipped":
                status = "skipped"
                message = (child.get("message") or "")[:300]
        for nodeid in _nodeids(classname, name, file):
            out[nodeid] = (status, message)
    return out


def _nodeids(classname: str, name: str, file: str | None) -> list[str]:
    """pytest writes classname 'pkg.tests.test_mod.TestCls'; rebuild candidate node ids."""
    parts = classname.split(".") if classname else []
    ids = []
    # try every split point between module path and class names
    for cut in range(len(parts), 0, -1):
        module = "/".join(parts[:cut]) + ".py"
        classes = parts[cut:]
        ids.append("::".join([module, *classes, name]))
    if file:
        ids.append("::".join([file, *[p for p in parts if p and p[0].isupper()], name]))
    return ids


# --- grading -------------------------------------------------------------------


PYTEST_INI = "[pytest]\n"


def _grading_limits(task: Task) -> SandboxLimits:
    return SandboxLimits(
        memory_mb=max(task.limits.memory_mb, 512),
        cpus=task.limits.cpus,
        pids=max(task.limits.pids, 256),
        command_timeout_s=task.limits.verifier_timeout_s,
    )


class _PooledSandbox:
    """A warm sandbox from a pool, given back (destroyed) on exit."""

    def __init__(self, pool: Any, image: str) -> None:
        self._pool = pool
        self.sandbox = pool.acquire(image)

    def __enter__(self) -> Sandbox:
        return self.sandbox  # type: ignore[no-any-return]

    def __exit__(self, *exc: object) -> None:
        self._pool.release(self.sandbox)


def _make_grading_sandbox(image: str, task: Task) -> Sandbox:
    from agentgym.sandbox.docker import DockerSandbox

    limits = _grading_limits(task)
    return DockerSandbox(
        SandboxConfig(type="docker", image=image, workdir=task.workdir, limits=limits)
    )


def grade(
    task: Task,
    diff: str,
    *,
    image: str | None = None,
    timeout: float | None = None,
    backend: str = "docker",
    pool: Any = None,
    sandbox_factory: Any = None,
) -> GradeResult:
    """Grade ``diff`` (the agent's change) for ``task`` in a fresh container.

    ``pool`` (a SandboxPool) hands out a warm, never-used container of the task image.
    """
    started = time.monotonic()
    base: dict[str, Any] = {"task_id": task.id}
    files = diff_files(diff)
    base["diff_files"] = files
    base["diff_lines"] = sum(
        1 for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    )
    touched = [f for f in files if is_test_path(f, task.test_files)]
    base["touched_tests"] = touched
    flags = ["tests_touched"] if touched else []
    if len(diff.encode()) > DIFF_LIMIT_BYTES:
        return GradeResult(
            reward=0.0, status="fail", error="the change is larger than 20 MiB", flags=flags, **base
        )
    try:
        if sandbox_factory is None and backend == "local":
            from agentgym.env.local_build import local_task_sandbox

            def sandbox_factory(_image: str, task_: Task) -> Sandbox:
                return local_task_sandbox(task_, _grading_limits(task_))

            image = "local"
        if image is None:
            from agentgym.tasks.build import task_image

            image = task_image(task)
    except AgentGymError as exc:
        return GradeResult(
            reward=0.0, status="error", error_kind="build", error=str(exc), flags=flags, **base
        )
    verifier_timeout = timeout if timeout is not None else task.limits.verifier_timeout_s
    try:
        factory = sandbox_factory or _make_grading_sandbox
        if sandbox_factory is None and pool is not None and backend == "docker":

            def factory(image_: str, _task: Task) -> Sandbox:
                return _PooledSandbox(pool, image_)

        with factory(image, task) as sb:
            result = _grade_in(sb, task, diff, verifier_timeout, flags, base)
    except AgentGymError as exc:
        result = GradeResult(
            reward=0.0,
            status="error",
            error_kind="infrastructure",
            error=str(exc),
            flags=flags,
            **base,
        )
    return result.model_copy(update={"duration_s": time.monotonic() - started})


def _grade_in(
    sb: Sandbox, task: Task, diff: str, timeout: float, flags: list[str], base: dict[str, Any]
) -> GradeResult:
    wd = shell_quote(sb.workdir)
    grader_dir = f"/tmp/.grader-{secrets.token_hex(8)}"
    sb.run(f"mkdir -p {grader_dir}", timeout=30)
    if diff.strip():
        sb.write_file(f"{grader_dir}/agent.diff", diff)
        applied = sb.run(
            f"cd {wd} && git apply --binary --whitespace=nowarn {grader_dir}/agent.diff 2>&1 || "
            f"patch -p1 --forward --batch < {grader_dir}/agent.diff",
            timeout=120,
        )
        if applied.exit_code != 0:
            return GradeResult(
                reward=0.0,
                status="fail",
                error_kind="apply",
                error="the agent's change does not apply to the pristine repository",
                flags=[*flags, "diff_does_not_apply"],
                log_tail=applied.output[-2000:],
                **base,
            )
    # Restore everything the tests depend on to its pristine state.
    declared = " ".join(shell_quote(p) for p in task.test_files)
    restore = [
        f"cd {wd}",
        # tracked test files, conftests and pytest configs back to HEAD
        "git ls-files -z -- '*conftest.py' 'pytest.ini' 'tox.ini' 'setup.cfg' "
        "| xargs -0 -r git checkout -q HEAD -- 2>/dev/null",
        # new files that could hook into pytest or the interpreter
        "git ls-files -z --others -- '*conftest.py' '*sitecustomize.py' "
        "'*usercustomize.py' '*.pth' 'pytest.ini' 'tox.ini' | xargs -0 -r rm -f --",
    ]
    if declared:
        restore.append(
            f'for f in {declared}; do if git cat-file -e HEAD:"$f" 2>/dev/null; then '
            f'git checkout -q HEAD -- "$f"; else rm -f -- "$f"; fi; done'
        )
    # Only in the workdir: a failed cd must not run the restore elsewhere.
    restored = sb.run(f"{restore[0]} && {{ {'; '.join(restore[1:])}; }}", timeout=120)
    if restored.exit_code not in (0, 123):
        flags.append("restore_warning")
    for task_file, repo_path in task.hidden_tests.items():
        content = task.files.get(task_file)
        if content is None:
            return GradeResult(
                reward=0.0,
                status="error",
                error_kind="infrastructure",
                error=f"hidden test {task_file} is missing from the task",
                flags=flags,
                **base,
            )
        sb.write_file(posixpath.join(sb.workdir, repo_path), content)
    if task.hidden_test_patch:
        sb.write_file(f"{grader_dir}/tests.patch", task.hidden_test_patch)
        applied = sb.run(
            f"cd {wd} && git apply --whitespace=nowarn {grader_dir}/tests.patch", timeout=120
        )
        if applied.exit_code != 0:
            return GradeResult(
                reward=0.0,
                status="error",
                error_kind="infrastructure",
                error="the task's test patch does not apply to the restored repository",
                flags=flags,
                log_tail=applied.output[-2000:],
                **base,
            )
    nodeids = [*task.fail_to_pass, *task.pass_to_pass]
    if not nodeids:
        return _grade_with_test_sh(sb, task, timeout, flags, base)
    sb.write_file(f"{grader_dir}/pytest.ini", PYTEST_INI)
    junit = f"{grader_dir}/junit-{secrets.token_hex(8)}.xml"
    env = (
        "env -u PYTHONSTARTUP PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1 "
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 PYTEST_ADDOPTS="
    )
    ids = " ".join(shell_quote(n) for n in nodeids)
    run = sb.run(
        f"cd {wd} && {env} timeout -k 5 {int(timeout)} python3 -m pytest -p no:cacheprovider "
        f"-c {grader_dir}/pytest.ini --rootdir={wd} -o addopts= -q -rN "
        f"--junitxml={junit} {ids} 2>&1 | tail -c 6000; exit ${{PIPESTATUS[0]}}",
        timeout=timeout + 30,
    )
    if run.timed_out or run.exit_code == 124:
        return GradeResult(
            reward=0.0,
            status="error",
            error_kind="timeout",
            error=f"the tests did not finish within {timeout:g}s",
            flags=flags,
            log_tail=run.output[-2000:],
            **base,
        )
    try:
        report = parse_junit(sb.read_file(junit).decode("utf-8", "replace"))
    except (FileNotFoundError, ET.ParseError, AgentGymError):
        report = {}
        flags.append("no_test_report")
    outcomes: list[TestOutcome] = []
    for group, ids_ in (("fail_to_pass", task.fail_to_pass), ("pass_to_pass", task.pass_to_pass)):
        for nodeid in ids_:
            status, message = report.get(nodeid, ("missing", None))
            outcomes.append(
                TestOutcome(nodeid=nodeid, group=group, status=status, message=message)  # type: ignore[arg-type]
            )
    f2p = [o for o in outcomes if o.group == "fail_to_pass"]
    p2p = [o for o in outcomes if o.group == "pass_to_pass"]
    breakdown = {
        "fail_to_pass_passed": sum(o.status == "passed" for o in f2p),
        "fail_to_pass_total": len(f2p),
        "pass_to_pass_passed": sum(o.status == "passed" for o in p2p),
        "pass_to_pass_total": len(p2p),
    }
    passed = all(o.status == "passed" for o in outcomes)
    if not report and run.exit_code == 0:
        flags.append("exited_without_report")
    return GradeResult(
        reward=1.0 if passed else 0.0,
        status="pass" if passed else "fail",
        tests=outcomes,
        breakdown=breakdown,
        flags=flags,
        log_tail=run.output[-2000:],
        **base,
    )


def _grade_with_test_sh(
    sb: Sandbox, task: Task, timeout: float, flags: list[str], base: dict[str, Any]
) -> GradeResult:
    """A task without node ids: its tests/test.sh, run under Harbor's verifier contract."""
    from agentgym.grading.harbor_verifier import grade_in_sandbox

    return grade_in_sandbox(task, sb, base={**base, "flags": flags})
