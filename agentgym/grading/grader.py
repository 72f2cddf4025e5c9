"""Grade an agent's change in a fresh container from the pristine task image.

The agent's container never grades itself. We take the agent's diff (against the commit
the episode started from), apply it to a new container of the task image, put every test
file the task declares back to its pristine content, remove what could hijack pytest
(new conftest.py, sitecustomize, .pth files), add the hidden tests, then run the
FAIL_TO_PASS and PASS_TO_PASS tests by node id under our own pytest config and read the
results from a JUnit XML report. Reward = every required test passed.

Infrastructure faults (image build failure, container failure, grader timeout, a task
environment whose tests cannot run) come back as ``status="error"`` with ``error_kind`` so
trainers can mask them instead of punishing. Only faults outside the agent's reach get that
verdict: when the tests leave no report, the grader checks the test runner and re-runs the
tests on the pristine task without the agent's change; only if they cannot report there
either is it the environment's fault. Otherwise the agent's change broke the run: a failure.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import secrets
import time
import xml.etree.ElementTree as ET
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentgym.errors import AgentGymError, ConfigError, ReportUnreadableError
from agentgym.grading.logparsers import needs_repo_runner, run_repo_tests, runner_paths
from agentgym.grading.restore import restore_script
from agentgym.sandbox.base import Sandbox, SandboxConfig, SandboxLimits, shell_quote
from agentgym.sandbox.faults import infrastructure_cause
from agentgym.tasks.patches import patch_files
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
# Taking the diff in the agent's sandbox (git add of the whole tree) gets this long at most.
DIFF_TIMEOUT_S = 120.0


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


class DiffTooLargeError(AgentGymError):
    """The agent's change is too large to grade (bytes, or time to compute it)."""


def workspace_diff(
    sandbox: Sandbox,
    base_commit: str | None = None,
    workdir: str | None = None,
    *,
    limit: int = DIFF_LIMIT_BYTES,
    timeout: float = DIFF_TIMEOUT_S,
) -> str:
    """The agent's change as a binary-safe git diff against ``base_commit`` (default HEAD).

    Uses a throwaway index so the agent's own index and history stay untouched, and it
    includes new files (except .gitignored ones). Any bytes in file names and contents come
    back unchanged (the str holds non-UTF-8 bytes as surrogate escapes; ``diff_bytes``
    restores them). The diff streams into a file cut at ``limit`` bytes, so a huge tree
    costs bounded disk and memory: past ``limit`` or ``timeout`` it raises
    DiffTooLargeError.
    """
    workdir = workdir or sandbox.workdir
    token = secrets.token_hex(6)
    index, out = f"/tmp/.agentgym-index-{token}", f"/tmp/.agentgym-diff-{token}"
    base = shell_quote(base_commit) if base_commit else "HEAD"
    # In a subshell with default options: the agent's shell may have `set -euo pipefail`.
    cmd = (
        f"( set +e +u +o pipefail; rc=1; cd {shell_quote(workdir)} && export GIT_INDEX_FILE={index} && "
        f"git read-tree {base} && git add -A . && "
        f"{{ git -c core.quotepath=off diff --cached --binary --no-color --no-renames "
        f"--no-ext-diff --no-textconv {base} | head -c {limit + 1} > {out}; "
        # git stops on SIGPIPE (141) once head has the limit: the size check below says so
        f"rc=${{PIPESTATUS[0]}}; [ $rc = 141 ] && rc=0; }}; rm -f {index}; exit $rc )"
    )
    result = sandbox.run(cmd, timeout=timeout)
    if result.timed_out:
        sandbox.run(f"rm -f {index} {out}", timeout=30)
        raise DiffTooLargeError(
            f"diff too large: the workspace could not be diffed within {timeout:g}s"
        )
    if result.exit_code != 0:
        sandbox.run(f"rm -f {out}", timeout=30)
        raise AgentGymError(f"could not compute the workspace diff: {result.output[-500:]}")
    try:
        data = sandbox.read_file(out, max_bytes=limit + 1)
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise AgentGymError(f"could not compute the workspace diff: {exc}") from exc
    finally:
        sandbox.run(f"rm -f {out}", timeout=30)
    if len(data) > limit:
        raise DiffTooLargeError(f"diff too large: the change is larger than {_size(limit)}")
    return data.decode("utf-8", errors="surrogateescape")


def _size(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n} bytes"


def diff_bytes(diff: str | bytes) -> bytes:
    """The diff's exact bytes (a str from ``workspace_diff`` carries surrogate escapes)."""
    return diff if isinstance(diff, bytes) else diff.encode("utf-8", "surrogateescape")


_HEADER = re.compile(rb"^diff --git (.*)$", re.M)
_C_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13}


def _unquote(name: bytes) -> bytes:
    """git's C-style quoting ("a/caf\\303\\251.py") back to the raw bytes."""
    if not (name.startswith(b'"') and name.endswith(b'"') and len(name) >= 2):
        return name
    body, out, i = name[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i : i + 1]
        if ch == b"\\" and i + 1 < len(body):
            nxt, octal = body[i + 1 : i + 2], body[i + 1 : i + 4]
            if len(octal) == 3 and all(48 <= c <= 55 for c in octal):
                out.append(int(octal, 8) & 0xFF)
                i += 4
                continue
            out += bytes([_C_ESCAPES[nxt]]) if nxt in _C_ESCAPES else nxt
            i += 2
            continue
        out += ch
        i += 1
    return bytes(out)


def _quoted_end(text: bytes, start: int) -> int:
    """Index just past the C-quoted string opening at ``text[start]`` (-1 if unclosed)."""
    i = start + 1
    while i < len(text):
        if text[i] == 0x5C:  # backslash: skip the escaped byte
            i += 2
        elif text[i] == 0x22:  # closing quote
            return i + 1
        else:
            i += 1
    return -1


def _split_header(rest: bytes) -> list[bytes]:
    """The two names of a ``diff --git`` header, quoted or not."""
    if rest.startswith(b'"'):
        end = _quoted_end(rest, 0)
        if end < 0:
            return [rest]
        first, second = rest[:end], rest[end + 1 :]
        return [_unquote(first), _unquote(second)]
    if rest.endswith(b'"'):
        start = rest.rfind(b' "b/')
        if start >= 0:
            return [rest[:start], _unquote(rest[start + 1 :])]
    # Unquoted "a/P b/P" (--no-renames: both sides name the same path).
    half = (len(rest) - 1) // 2
    if rest[half : half + 1] == b" " and rest[2:half] == rest[half + 3 :]:
        return [rest[:half], rest[half + 1 :]]
    left, sep, right = rest.partition(b" b/")
    return [left, b"b/" + right] if sep else [rest]


def _display(path: bytes) -> str:
    """A path as text: non-UTF-8 bytes shown as \\xNN, so records stay valid JSON."""
    return path.decode("utf-8", "backslashreplace")


def diff_files(diff: str | bytes) -> list[str]:
    """Paths a git diff touches (old and new names), in order, each once.

    Handles any bytes in names (git quotes them; non-UTF-8 bytes come back as \\xNN) and
    any number of files in linear time.
    """
    seen: dict[str, None] = {}
    for match in _HEADER.finditer(diff_bytes(diff)):
        for name in _split_header(match.group(1)):
            for prefix in (b"a/", b"b/"):
                if name.startswith(prefix):
                    name = name[2:]
                    break
            seen.setdefault(_display(name), None)
    return list(seen)


def diff_line_count(diff: str | bytes) -> int:
    """Added plus removed lines (binary patches count as none)."""
    count = 0
    for line in diff_bytes(diff).split(b"\n"):
        if line[:1] in (b"+", b"-") and not line.startswith((b"+++", b"---")):
            count += 1
    return count


_TEST_RE = re.compile("|".join(fnmatch.translate(p) for p in TEST_PATTERNS))


def is_test_path(path: str, declared: list[str] | set[str] | frozenset[str]) -> bool:
    if path in declared:
        return True
    return bool(_TEST_RE.match(path) or _TEST_RE.match(posixpath.basename(path)))


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
    diff: str | bytes,
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
    raw = diff_bytes(diff)
    files = diff_files(raw)
    base["diff_files"] = files
    base["diff_lines"] = diff_line_count(raw)
    declared = frozenset(task.test_files)
    touched = [f for f in files if is_test_path(f, declared)]
    base["touched_tests"] = touched
    flags = ["tests_touched"] if touched else []
    if len(raw) > DIFF_LIMIT_BYTES:
        return GradeResult(
            reward=0.0,
            status="fail",
            error=f"diff too large: the change is larger than {_size(DIFF_LIMIT_BYTES)}",
            flags=[*flags, "diff_too_large"],
            **base,
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
            try:
                result = _grade_in(sb, task, raw, verifier_timeout, flags, base)
            except AgentGymError as exc:
                # Inside the grading sandbox only the agent's change and the task's tests
                # run: unless the backend itself is at fault, what broke it is the change.
                if infrastructure_cause(sb, exc) is not None:
                    raise
                result = GradeResult(
                    reward=0.0,
                    status="fail",
                    error=f"the grading sandbox broke while running the agent's change: {exc}",
                    flags=[*flags, "grading_sandbox_broken"],
                    **base,
                )
        if NO_REPORT in result.flags and result.status != "error":
            result = _no_report_verdict(result, factory, image, task, raw, verifier_timeout)
        elif result.error_kind == "timeout" and raw.strip():
            result = _timeout_verdict(result, factory, image, task, verifier_timeout)
    except AgentGymError as exc:
        result = GradeResult(
            reward=0.0,
            status="error",
            error_kind="infrastructure",
            error=infrastructure_cause(None, exc) or str(exc),
            flags=flags,
            **base,
        )
    return result.model_copy(update={"duration_s": time.monotonic() - started})


NO_REPORT = "no_test_report"
NO_JUNIT = "no_junit_file"
MISSING_MODULE = "environment_lacks_module:"
RUNNER_CHECK = "cd / && python3 -I -m pytest --version 2>&1"
_NO_MODULE = re.compile(r"No module named '([A-Za-z_][\w.]*)'")


def _modules_missing_from_environment(sb: Sandbox, text: str) -> list[str]:
    """Modules the tests failed to import that are not part of the repository: missing
    dependencies of the environment (a module of the repo itself missing is the code's
    fault, e.g. a feature not written yet)."""
    tops = sorted({m.split(".")[0] for m in _NO_MODULE.findall(text)})
    if not tops:
        return []
    wd = shell_quote(sb.workdir)
    names = " ".join(shell_quote(t) for t in tops)
    probe = sb.run(
        f"cd {wd} && for m in {names}; do "
        'if [ -z "$(find . -maxdepth 4 -not -path "*/.git/*" \\( -name "$m" -o -name "$m.py" '
        '\\) -print -quit 2>/dev/null)" ]; then echo "$m"; fi; done',
        timeout=60,
    )
    return [line for line in probe.output.split() if line in tops]


def _no_report_verdict(
    result: GradeResult, factory: Any, image: str, task: Task, diff: bytes, timeout: float
) -> GradeResult:
    """The tests reported on none of the requested ids. Whose fault is it? The same tests run
    on the pristine task without the agent's change. It is the environment's (an
    infrastructure error) only if there they leave no JUnit file at all, or fail to import
    a module that is not part of the repository (a missing dependency). Anything else —
    the change crashed or hijacked the run, or the tests need code not written yet — is a
    failure, graded as such."""
    control = result
    if diff.strip():
        with factory(image, task) as sb:
            control = _grade_in(sb, task, b"", timeout, [], {"task_id": task.id})
    if control.status == "error":  # e.g. no test runner at all: say that
        return result.model_copy(
            update={k: getattr(control, k) for k in ("status", "error_kind", "error")}
        )
    # A module that the reference solution creates is code still to be written, not a
    # missing dependency.
    reference = (task.solution_patch or "") + "\n" + (task.solution_script or "")
    missing = [
        name
        for name in (f.removeprefix(MISSING_MODULE) for f in control.flags)
        if f"{MISSING_MODULE}{name}" in control.flags
        and not re.search(rf"(^|[/\s]){re.escape(name)}(\.py\b|/)", reference, re.M)
    ]
    if NO_REPORT in control.flags and (NO_JUNIT in control.flags or missing):
        return result.model_copy(
            update={
                "status": "error",
                "error_kind": "infrastructure",
                "error": _environment_error(control, missing),
            }
        )
    if control is result:
        return result
    return result.model_copy(
        update={
            "error": "the tests reported nothing after the agent's change: "
            + (
                "the change crashed, hijacked or emptied the run (they do report on the "
                "unchanged task)"
                if NO_REPORT not in control.flags
                else "the required code is still missing or broken"
            ),
        }
    )


def _timeout_verdict(
    result: GradeResult, factory: Any, image: str, task: Task, timeout: float
) -> GradeResult:
    """The tests ran past the verifier timeout after the agent's change. If the pristine task
    finishes in time, the change made them hang or crawl (an exhausted limit, the agent's
    failure: ``fail`` with flag ``verifier_timeout``); if it too runs out of time, the
    environment is too slow (infrastructure, ``error_kind="timeout"``, masked)."""
    with factory(image, task) as sb:
        control = _grade_in(sb, task, b"", timeout, [], {"task_id": task.id})
    if control.error_kind == "timeout":
        return result
    return result.model_copy(
        update={
            "status": "fail",
            "error_kind": None,
            "error": f"the tests ran past the verifier timeout ({timeout:g}s) after the agent's "
            "change, though they finish in time on the unchanged task",
            "flags": [*result.flags, "verifier_timeout"],
        }
    )


def _environment_error(detail: GradeResult, missing: list[str]) -> str:
    why = (
        f"the tests import {', '.join(missing)}, which the task's environment does not have "
        "(add it to the task's Dockerfile)"
        if missing
        else "the test run wrote no report at all"
    )
    return (
        f"the task's tests cannot run in its environment, even without the agent's change: "
        f"{why}. Check the task with `agentgym tasks validate` and the machine with "
        f"`agentgym doctor`. Test output: {detail.log_tail[-600:].strip() or '(none)'}"
    )


def _grade_in(
    sb: Sandbox, task: Task, diff: bytes, timeout: float, flags: list[str], base: dict[str, Any]
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
    # Restore every test, test folder and test config to HEAD (see grading/restore.py).
    sb.write_file(f"{grader_dir}/restore.sh", restore_script(task, runner_paths(task)))
    restored = sb.run(f"cd {wd} && bash {grader_dir}/restore.sh", timeout=120)
    if restored.exit_code != 0:
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
    if task.hidden_test_patch and task.hidden_test_patch.strip():
        sb.write_file(f"{grader_dir}/tests.patch", task.hidden_test_patch)
        created = [p for p, st in patch_files(task.hidden_test_patch) if st == "new"]
        if created:
            # Whatever the agent left at these paths, the test patch creates them fresh.
            sb.run(f"cd {wd} && rm -f -- {' '.join(shell_quote(p) for p in created)}", timeout=60)
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
    if needs_repo_runner(task):
        try:
            report, run, _log = run_repo_tests(
                sb, task, timeout, grader_dir, official_image=_official_image(task)
            )
        except ConfigError as exc:
            return GradeResult(
                reward=0.0,
                status="error",
                error_kind="infrastructure",
                error=str(exc),
                flags=flags,
                **base,
            )
    else:
        report, run = _run_pytest_ids(sb, task, nodeids, timeout, grader_dir, flags)
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
    if not any(nodeid in report for nodeid in nodeids):
        if NO_REPORT not in flags:
            flags.append(NO_REPORT)
        wrote_junit = "generated xml file" in run.output and not needs_repo_runner(task)
        if not report and not wrote_junit:
            flags.append(NO_JUNIT)
        messages = "\n".join(m for _, m in report.values() if m)
        flags += [
            f"{MISSING_MODULE}{name}"
            for name in _modules_missing_from_environment(sb, messages + "\n" + run.output)
        ]
        runner = None if needs_repo_runner(task) else sb.run(RUNNER_CHECK, timeout=60)
        if runner is not None and runner.exit_code != 0:
            return GradeResult(
                reward=0.0,
                status="error",
                error_kind="infrastructure",
                error="the task environment has no working test runner: `python3 -m pytest "
                f"--version` failed ({runner.output.strip()[-300:]}). Install pytest in the "
                "task's image (its Dockerfile); on the embedded backend run `agentgym doctor`.",
                flags=flags,
                log_tail=run.output[-2000:],
                **base,
            )
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
        "missing": sum(o.status == "missing" for o in outcomes),
    }
    passed = all(o.status == "passed" for o in outcomes)
    return GradeResult(
        reward=1.0 if passed else 0.0,
        status="pass" if passed else "fail",
        tests=outcomes,
        breakdown=breakdown,
        flags=flags,
        log_tail=run.output[-2000:],
        **base,
    )


def _official_image(task: Task) -> bool:
    meta = task.metadata.get("swebench")
    return isinstance(meta, dict) and bool(meta.get("official_image"))


def _not_found(output: str, nodeids: list[str], workdir: str) -> list[str]:
    """Requested ids pytest refused as not found (it then runs nothing at all)."""
    errors = [ln for ln in output.splitlines() if ln.startswith("ERROR: ")]
    if not errors:
        return []
    text = "\n".join(errors)
    gone = []
    for nodeid in nodeids:
        path = nodeid.partition("::")[0]
        forms = (nodeid, f"{workdir}/{nodeid}", f"{workdir.rstrip('/')}/{path} ")
        if any(f in text for f in forms) or text.endswith(f"{workdir.rstrip('/')}/{path}"):
            gone.append(nodeid)
    return gone


def _run_pytest_ids(
    sb: Sandbox, task: Task, nodeids: list[str], timeout: float, grader_dir: str, flags: list[str]
) -> tuple[dict[str, tuple[TestStatus, str | None]], Any]:
    """pytest by node id with a JUnit report. An id that no longer exists makes pytest run
    nothing, so such ids are dropped (they stay ``missing``) and the rest run again.

    Records converted from SWE-bench run under the repository's own (restored) pytest
    configuration and installed plugins, as the SWE-bench harness runs them; other tasks
    under a neutral config with plugin autoload off.
    """
    wd = shell_quote(sb.workdir)
    repo_config = "swebench" in task.metadata
    env = "env -u PYTHONSTARTUP PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1 PYTEST_ADDOPTS="
    if repo_config:
        config = f"--rootdir={wd}"
    else:
        sb.write_file(f"{grader_dir}/pytest.ini", PYTEST_INI)
        env += " PYTEST_DISABLE_PLUGIN_AUTOLOAD=1"
        config = f"-c {grader_dir}/pytest.ini --rootdir={wd} -o addopts="
    remaining = list(nodeids)
    report: dict[str, tuple[TestStatus, str | None]] = {}
    run: Any = None
    for _attempt in range(3):
        junit = f"{grader_dir}/junit-{secrets.token_hex(8)}.xml"
        ids = " ".join(shell_quote(n) for n in remaining)
        run = sb.run(
            f"cd {wd} && {env} timeout -k 5 {int(timeout)} python3 -m pytest -p no:cacheprovider "
            f"{config} -q -rN --continue-on-collection-errors "
            f"--junitxml={junit} {ids} 2>&1 | tail -c 20000; exit ${{PIPESTATUS[0]}}",
            timeout=timeout + 30,
        )
        if run.timed_out or run.exit_code == 124:
            return report, run
        report.update(_read_junit(sb, junit, run, flags))
        gone = _not_found(run.output, remaining, sb.workdir) if run.exit_code == 4 else []
        if not gone:
            break
        flags.append("tests_not_found")
        remaining = [n for n in remaining if n not in gone]
        if not remaining:
            break
    return report, run


def _read_junit(
    sb: Sandbox, junit: str, run: Any, flags: list[str]
) -> dict[str, tuple[TestStatus, str | None]]:
    """The JUnit report pytest wrote, if any. A read that fails is tried again (a loaded
    host can fail one exec); what still fails is said in the flags and the log, so a
    'no report' verdict never hides a report that was written but not read back."""
    for attempt in range(3):
        try:
            text = sb.read_file(junit).decode("utf-8", "replace")
        except FileNotFoundError:
            return {}
        except AgentGymError as exc:
            if attempt < 2 and not getattr(sb, "closed", False):
                time.sleep(0.5 * (attempt + 1))
                continue
            flags.append("junit_unreadable")
            run.output += f"\n[agentgym: the JUnit report could not be read back: {exc}]"
            if "generated xml file" in run.output:  # written but not read: not the agent's
                raise ReportUnreadableError(
                    f"pytest wrote its JUnit report but it could not be read back: {exc}"
                ) from exc
            return {}
        try:
            return parse_junit(text)
        except ET.ParseError as exc:
            flags.append("junit_unparsable")
            run.output += f"\n[agentgym: the JUnit report is not valid XML: {exc}]"
            return {}
    return {}


def _grade_with_test_sh(
    sb: Sandbox, task: Task, timeout: float, flags: list[str], base: dict[str, Any]
) -> GradeResult:
    """A task without node ids: its tests/test.sh, run under Harbor's verifier contract."""
    from agentgym.grading.harbor_verifier import grade_in_sandbox

    return grade_in_sandbox(task, sb, base={**base, "flags": flags})
