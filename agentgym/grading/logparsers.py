"""Run a repository's own test runner the way SWE-bench does, and read its log.

For records whose test ids are not pytest node ids (django's ``test_x (app.tests.C)``,
sympy's bare ``test_x``), grading runs the official ``swebench`` package's test command
for the record's repository and version with the package's directives, and parses the
log with the package's parser for that repository (:mod:`agentgym.tasks.swebench_specs`).
Everything else (restoring tests, hidden tests, the test patch) happens before, exactly
as for pytest tasks.
"""

from __future__ import annotations

import secrets
from typing import Literal

from agentgym.errors import AgentGymError, ConfigError
from agentgym.sandbox.base import Sandbox, shell_quote
from agentgym.tasks import swebench_specs
from agentgym.tasks.testids import files_of_test_id, id_style
from agentgym.types import ExecResult, Task

Status = Literal["passed", "failed", "error", "skipped", "missing"]
LOG_LIMIT_BYTES = 20 * 1024 * 1024
# The package's TestStatus values, as the grader's outcome names.
STATUS = {
    "PASSED": "passed",
    "XFAIL": "passed",  # SWE-bench counts an expected failure as a pass
    "FAILED": "failed",
    "ERROR": "error",
    "SKIPPED": "skipped",
}


def swebench_identity(task: Task) -> tuple[str, str | None] | None:
    """(repo, version) of a task converted from a SWE-bench record, else None."""
    meta = task.metadata.get("swebench")
    if not isinstance(meta, dict) or not isinstance(meta.get("repo"), str):
        return None
    version = meta.get("version")
    return meta["repo"], str(version) if version is not None else None


def needs_repo_runner(task: Task) -> bool:
    """Whether any of the task's test ids is not a pytest node id."""
    return any(id_style(t) != "pytest" for t in [*task.fail_to_pass, *task.pass_to_pass])


def runner_paths(task: Task) -> list[str]:
    """Repository files the task's test command runs (``tests/runtests.py``, ``bin/test``):
    restored like tests, so the agent cannot rewrite the runner. Empty if none."""
    identity = swebench_identity(task)
    if identity is None or not needs_repo_runner(task):
        return []
    try:
        runner = swebench_specs.repo_runner(*identity)
    except ConfigError:
        return []
    paths = []
    for token in runner.test_cmd.split():
        token = token.removeprefix("./")
        if "/" in token and not token.startswith(("-", "/")) and "=" not in token:
            paths.append(token)
    return paths


def _directive_files(sb: Sandbox, task: Task) -> list[str]:
    """Files holding the requested tests: those the ids name, and for bare names the test
    files (under a ``tests`` folder) that define them."""
    ids = [*task.fail_to_pass, *task.pass_to_pass]
    candidates = sorted({p for t in ids for p in files_of_test_id(t)})
    bare = sorted({t for t in ids if id_style(t) == "bare"})
    parts = []
    if candidates:
        parts.append(
            f"for f in {' '.join(shell_quote(p) for p in candidates)}; do "
            '[ -f "$f" ] && printf "%s\\n" "$f"; done'
        )
    if bare:
        # Bare ids are identifiers (id_style checked), so they need no regex escaping.
        pattern = "^[[:space:]]*(async )?def (" + "|".join(bare) + r")\b"
        parts.append(
            f"git grep -l -E {shell_quote(pattern)} "
            "-- ':(glob)**/tests/**/*.py' ':(glob)**/test_*.py' 2>/dev/null"
        )
    if not parts:
        return []
    found = sb.run(f"cd {shell_quote(sb.workdir)} && {{ {'; '.join(parts)}; }}", timeout=120)
    files: list[str] = []
    for line in found.output.splitlines():
        line = line.strip()
        if line and line not in files:
            files.append(line)
    return files


def run_repo_tests(
    sb: Sandbox, task: Task, timeout: float, grader_dir: str, official_image: bool = False
) -> tuple[dict[str, tuple[Status, str | None]], ExecResult, str]:
    """Run the package's test command for the task's repository; return the parsed
    statuses, the run's result and the log text."""
    identity = swebench_identity(task)
    if identity is None:
        raise ConfigError(
            f"task {task.id}: its test ids are not pytest node ids and it names no SWE-bench "
            "repository (metadata.swebench.repo) whose runner could run them"
        )
    repo, version = identity
    runner = swebench_specs.repo_runner(repo, version)
    files = _directive_files(sb, task)
    directives = swebench_specs.test_directives(repo, task.hidden_test_patch or "", files)
    lines = ["cd " + shell_quote(sb.workdir), *runner.eval_commands]
    if official_image and runner.install:
        # As the harness does: re-install after the change (non-editable installs need it).
        lines.append(f"{{ {runner.install}; }} >/dev/null 2>&1 || true")
    lines.append(" ".join([runner.test_cmd, *(shell_quote(d) for d in directives)]))
    script = f"{grader_dir}/run-{secrets.token_hex(6)}.sh"
    log = f"{grader_dir}/log-{secrets.token_hex(6)}.txt"
    sb.write_file(script, "\n".join(lines) + "\n")
    env = "env -u PYTHONSTARTUP PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1"
    run = sb.run(
        f"cd {shell_quote(sb.workdir)} && {env} timeout -k 5 {int(timeout)} bash {script} "
        f"> {log} 2>&1; rc=$?; tail -c 6000 {log}; exit $rc",
        timeout=timeout + 30,
    )
    try:
        text = sb.read_file(log, max_bytes=LOG_LIMIT_BYTES).decode("utf-8", "replace")
    except (FileNotFoundError, OSError, AgentGymError):
        text = run.output
    parsed = swebench_specs.parse_log(repo, version or "", text)
    report: dict[str, tuple[Status, str | None]] = {}
    for test_id, status in parsed.items():
        report[test_id] = (STATUS.get(status, "error"), None)  # type: ignore[assignment]
    return report, run, text
