"""Harbor's verifier contract, for tasks graded by their own tests/test.sh.

What Harbor does after the agent finishes (``harbor/verifier/verifier.py``), done here in
the agent's own container (Harbor's default, "shared" verifier environment):

1. ``/logs/agent``, ``/logs/verifier`` and ``/logs/artifacts`` exist; ``/logs/verifier`` is
   emptied first, so nothing the agent left there counts;
2. the task's ``tests/`` folder is uploaded to ``/tests`` (replacing whatever is there);
3. ``bash /tests/test.sh`` runs from the WORKDIR with ``[verifier.env]`` (``${VAR}``
   templates resolved from the host), stdout and stderr going to
   ``/logs/verifier/test-stdout.txt``;
4. the reward is read from ``/logs/verifier/reward.json`` first (an object of finite
   numbers: every key goes into the breakdown, ``reward`` is the reward; where there is no
   ``reward`` key, a lone key or else reward.txt gives it) or else
   ``/logs/verifier/reward.txt`` (one number), as Harbor 0.25's verifier reads them.

No git repository is needed. A task that cannot be graded for a reason outside the
agent's reach (no reward file, an unreadable one, a host variable the verifier needs, a
sandbox that stopped answering) is an infrastructure error, never a 0.0.
"""

from __future__ import annotations

import json
import math
import posixpath
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentgym.errors import AgentGymError
from agentgym.grading.grader import GradeResult
from agentgym.sandbox.base import Sandbox, shell_quote
from agentgym.types import Task

LOGS_DIR = "/logs"
LOG_DIRS = ("/logs/agent", "/logs/verifier", "/logs/artifacts")
VERIFIER_DIR = "/logs/verifier"
TESTS_DIR = "/tests"
SOLUTION_DIR = "/solution"
REWARD_TXT = f"{VERIFIER_DIR}/reward.txt"
REWARD_JSON = f"{VERIFIER_DIR}/reward.json"
TEST_STDOUT = f"{VERIFIER_DIR}/test-stdout.txt"
OUTPUT_TAIL = 4000


class VerifierRun(BaseModel):
    """One run of tests/test.sh and what it left in /logs/verifier."""

    model_config = ConfigDict(extra="forbid")

    reward: float | None = None
    rewards: dict[str, float] = Field(default_factory=dict)
    reward_file: str | None = None
    exit_code: int | None = None
    timed_out: bool = False
    output: str = ""
    error: str | None = None  # why there is no reward (the task's or the machine's fault)
    duration_s: float = 0.0


def uses_harbor_verifier(task: Task) -> bool:
    """Tasks graded by their tests/test.sh as Harbor grades them: those without the
    repository-and-node-ids grading of an ``[agentgym]`` table."""
    return not (task.fail_to_pass or task.pass_to_pass)


def folder_files(task: Task, sub: str) -> dict[str, bytes]:
    """The files of the task's ``sub``/ folder (``tests``, ``solution``), by path inside it:
    from the task folder on disk (binary files too), overridden by ``Task.files``."""
    out: dict[str, bytes] = {}
    if task.path:
        root = Path(task.path) / sub
        for file in sorted(root.rglob("*")) if root.is_dir() else []:
            if file.is_file() and "__pycache__" not in file.parts:
                out[file.relative_to(root).as_posix()] = file.read_bytes()
    for rel, text in task.files.items():
        if rel.startswith(f"{sub}/"):
            out[rel.removeprefix(f"{sub}/")] = text.encode()
    script = {"tests": task.test_script, "solution": task.solution_script}.get(sub)
    name = {"tests": "test.sh", "solution": "solve.sh"}.get(sub)
    if script is not None and name is not None:
        out[name] = script.encode()
    return out


def upload_folder(sandbox: Sandbox, files: dict[str, bytes], dest: str) -> None:
    """Replace ``dest`` in the sandbox with ``files`` (scripts executable)."""
    sandbox.run(f"rm -rf {shell_quote(dest)} && mkdir -p {shell_quote(dest)}", timeout=60)
    for rel, data in files.items():
        mode = 0o755 if rel.endswith(".sh") else 0o644
        sandbox.write_file(posixpath.join(dest, rel), data, mode=mode)


def env_prefix(env: dict[str, str]) -> str:
    """``env K=V ...`` for a command (nothing for an empty env)."""
    if not env:
        return ""
    return "env " + " ".join(shell_quote(f"{k}={v}") for k, v in env.items()) + " "


def prepare_logs(sandbox: Sandbox) -> None:
    """Harbor's /logs folders, /logs/verifier emptied; raises AgentGymError if the
    container cannot do even that."""
    dirs = " ".join(LOG_DIRS)
    done = sandbox.run(f"rm -rf {VERIFIER_DIR} && mkdir -p {dirs} && chmod 777 {dirs}", timeout=60)
    if done.exit_code != 0:
        raise AgentGymError(f"could not create {dirs}: {done.output[-500:]}")


def run_verifier(sandbox: Sandbox, task: Task, timeout: float | None = None) -> VerifierRun:
    """Upload tests/, run ``bash /tests/test.sh`` from the WORKDIR, read the reward."""
    from agentgym.tasks.build import resolve_env

    started = time.monotonic()
    timeout = timeout if timeout is not None else task.limits.verifier_timeout_s
    run = VerifierRun()
    env = resolve_env(task.env.verifier)  # ConfigError: the host lacks a variable
    prepare_logs(sandbox)
    tests = folder_files(task, "tests")
    if "test.sh" not in tests:
        raise AgentGymError(f"task {task.id} has no tests/test.sh")
    upload_folder(sandbox, tests, TESTS_DIR)
    result = sandbox.run(
        # A subshell: its ``exit`` must not end the sandbox's persistent shell.
        f"( cd {shell_quote(sandbox.workdir)} && {env_prefix(env)}bash {TESTS_DIR}/test.sh "
        f"> {TEST_STDOUT} 2>&1; rc=$?; tail -c {OUTPUT_TAIL} {TEST_STDOUT}; exit $rc )",
        timeout=timeout,
    )
    run.exit_code = result.exit_code
    run.timed_out = result.timed_out
    run.output = result.output[-OUTPUT_TAIL:]
    run.duration_s = round(time.monotonic() - started, 2)
    if run.timed_out:
        run.error = f"tests/test.sh did not finish within {timeout:g}s (verifier timeout_sec)"
        return run
    read_reward(sandbox, run)
    return run


def _read(sandbox: Sandbox, path: str) -> str | None:
    try:
        return sandbox.read_file(path, max_bytes=1 << 20).decode("utf-8", "replace")
    except FileNotFoundError:
        return None


def read_reward(sandbox: Sandbox, run: VerifierRun) -> None:
    """Fill ``run`` from reward.json (first) or reward.txt, as Harbor reads them."""
    text_json = _read(sandbox, REWARD_JSON)
    text_txt = _read(sandbox, REWARD_TXT)
    if text_json is None and text_txt is None:
        run.error = (
            f"tests/test.sh wrote neither {REWARD_TXT} nor {REWARD_JSON} "
            f"(exit code {run.exit_code})"
        )
        return
    if text_json is not None:
        run.reward_file = REWARD_JSON
        try:
            data: Any = json.loads(text_json)
        except ValueError as exc:
            run.error = f"{REWARD_JSON} is not JSON ({exc}): {text_json[:200]!r}"
            return
        if not isinstance(data, dict):
            run.error = f"{REWARD_JSON} must hold a JSON object of numbers, not {text_json[:200]!r}"
            return
        # As Harbor 0.25: every value must be a finite number (booleans count as 0/1).
        bad = [k for k, v in data.items() if not isinstance(v, int | float) or not math.isfinite(v)]
        if bad:
            run.error = (
                f"{REWARD_JSON}: non-numeric or non-finite reward {bad[0]!r}: {data[bad[0]]!r}"
            )
            return
        run.rewards = {str(k): float(v) for k, v in data.items()}
        if "reward" in run.rewards:
            run.reward = run.rewards["reward"]
            return
        if text_txt is None:
            if len(run.rewards) == 1:
                run.reward = next(iter(run.rewards.values()))
                return
            run.error = (
                f"{REWARD_JSON} has no 'reward' key ({sorted(run.rewards)[:5]}) and there is "
                f"no {REWARD_TXT}: no single reward to use"
            )
            return
    run.reward_file = run.reward_file or REWARD_TXT
    assert text_txt is not None
    if not text_txt.strip():
        run.error = f"{REWARD_TXT} is empty"
        return
    try:
        value = float(text_txt.strip())
    except ValueError:
        run.error = f"{REWARD_TXT} does not hold a number: {text_txt[:200]!r}"
        return
    if not math.isfinite(value):
        run.error = f"{REWARD_TXT} holds {value}"
        return
    run.reward = value
    run.rewards.setdefault("reward", value)


def grade_in_sandbox(
    task: Task, sandbox: Sandbox, *, base: dict[str, Any] | None = None
) -> GradeResult:
    """Grade the agent's finished container the Harbor way (see the module docstring)."""
    started = time.monotonic()
    base = {"task_id": task.id, **(base or {})}
    flags = list(base.pop("flags", []))
    try:
        ready = sandbox.run("mkdir -p /logs && test -w /logs && command -v bash", timeout=60)
    except AgentGymError as exc:
        return GradeResult(
            reward=0.0,
            status="error",
            error_kind="infrastructure",
            error=f"the sandbox stopped answering before grading: {exc}",
            method="harbor_verifier",
            flags=flags,
            **base,
        )
    if ready.exit_code != 0:
        # The container answers but cannot run the verifier: the agent broke it.
        return GradeResult(
            reward=0.0,
            status="fail",
            error="the environment cannot run tests/test.sh any more (bash or /logs gone)",
            method="harbor_verifier",
            flags=[*flags, "environment_broken"],
            log_tail=ready.output[-2000:],
            **base,
        )
    try:
        run = run_verifier(sandbox, task)
    except AgentGymError as exc:  # ConfigError (host env), sandbox failures, no test.sh
        return GradeResult(
            reward=0.0,
            status="error",
            error_kind="infrastructure",
            error=str(exc),
            method="harbor_verifier",
            flags=flags,
            duration_s=time.monotonic() - started,
            **base,
        )
    if run.timed_out:
        # What the agent left behind hangs the tests: its failure (limits it exhausted).
        return GradeResult(
            reward=0.0,
            status="fail",
            error=run.error,
            method="harbor_verifier",
            flags=[*flags, "verifier_timeout"],
            log_tail=run.output[-2000:],
            duration_s=time.monotonic() - started,
            **base,
        )
    if run.reward is None:
        return GradeResult(
            reward=0.0,
            status="error",
            error_kind="infrastructure",
            error=run.error,
            method="harbor_verifier",
            flags=flags,
            log_tail=run.output[-2000:],
            duration_s=time.monotonic() - started,
            **base,
        )
    return GradeResult(
        reward=run.reward,
        status="pass" if run.reward >= 1.0 else "fail",
        breakdown=run.rewards,
        reward_file=run.reward_file,
        method="harbor_verifier",
        flags=flags,
        log_tail=run.output[-2000:],
        duration_s=time.monotonic() - started,
        **base,
    )
