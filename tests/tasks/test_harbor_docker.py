"""Docker: Harbor-schema tasks agentgym did not write load, validate (solution → 1,
no-op → 0) and run under Harbor-v0 with the oracle; the verifier contract's edges; the
exported bug-fix tasks build with a plain ``docker build`` and validate the same."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import gymnasium as gym
import pytest
from typer.testing import CliRunner

from agentgym.cli import app
from agentgym.errors import SandboxStartError
from agentgym.grading.harbor_verifier import grade_in_sandbox, run_verifier
from agentgym.policies.oracle import OraclePolicy
from agentgym.rollout.records import EpisodeSpec
from agentgym.rollout.runner import run_episode
from agentgym.tasks import load_task, load_tasks, validate_task
from agentgym.tasks.export import export_tasks
from agentgym.types import Message, Task, ToolCall

FIXTURES = Path(__file__).parent / "fixtures" / "harbor"
ENVS = Path(__file__).resolve().parents[2] / "envs"
LOG_LEVELS_IMAGE = "agentgym-fixtures/log-levels:20251031"
pytestmark = [pytest.mark.docker, pytest.mark.filterwarnings("ignore::UserWarning")]


def docker_build(tag: str, context: Path) -> None:
    """A plain ``docker build``, as a user (or Harbor's Docker environment) runs it."""
    subprocess.run(
        ["docker", "build", "-q", "-t", tag, str(context)], check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def fixture_images() -> None:
    # log-levels names a prebuilt docker_image (Terminal-Bench style): build it first.
    docker_build(LOG_LEVELS_IMAGE, FIXTURES / "log-levels" / "environment")


@pytest.mark.parametrize("name", ["sum-numbers", "log-levels", "json-report"])
def test_fixture_validates(name: str, fixture_images: None) -> None:
    result = validate_task(load_task(FIXTURES / name))
    assert result.ok, result.reasons()
    assert [c.reward for c in result.cases] == [1.0, 0.0]
    if name == "json-report":
        solution = result.cases[0]
        assert solution.reward_file == "/logs/verifier/reward.json"
        assert solution.rewards == {
            "reward": 1.0,
            "exists": 1.0,
            "title": 1.0,
            "rows": 1.0,
            "total": 1.0,
            "by_region": 1.0,
        }
    else:
        assert result.cases[0].reward_file == "/logs/verifier/reward.txt"


def test_missing_docker_image_is_a_clear_error() -> None:
    task = load_task(FIXTURES / "log-levels").model_copy(
        update={"image": "agentgym-fixtures/not-built:1"}
    )
    result = validate_task(task)
    assert not result.ok and result.error is not None
    assert "agentgym-fixtures/not-built:1" in result.error
    assert "docker load" in result.error and "docker build -t" in result.error


def _make_env(**kwargs):  # type: ignore[no-untyped-def]
    from agentgym.env.registry import register_envs

    register_envs()
    return gym.make(
        "agentgym/Harbor-v0", path=str(FIXTURES), backend="docker", pool_size=0, **kwargs
    )


def test_harbor_env_oracle_and_noop(fixture_images: None) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        env = _make_env()
    assert any("log-levels" in str(w.message) and "internet" in str(w.message) for w in caught)
    core = env.unwrapped
    try:
        for task_id, workdir in [
            ("sum-numbers", "/app"),
            ("log-levels", "/app"),
            ("json-report", "/srv/project"),
        ]:
            spec = EpisodeSpec(
                policy="oracle", env_id="agentgym/Harbor-v0", task_id=task_id, seed=0
            )
            result = run_episode(env, OraclePolicy(), spec)
            assert result.status == "ok", result.error
            assert result.reward == 1.0, result.reward_breakdown
            assert result.reward_breakdown["status"] == "pass"
            assert core.task.workdir == workdir
            # The agent's shell starts in the WORKDIR; no git repository is needed.
            _, info = env.reset(options={"task_id": task_id})
            assert info["backend"] == "docker"
            call = ToolCall(
                id="c1",
                name="bash",
                arguments={"command": 'pwd; git status 2>&1 | head -1; echo "title=$REPORT_TITLE"'},
            )
            obs, *_ = env.step(Message(role="assistant", content=None, tool_calls=[call]))
            assert obs[0]["content"].splitlines()[0] == workdir
            assert "not a git repository" in obs[0]["content"]
            if task_id == "json-report":
                assert "title=orders by region" in obs[0]["content"]  # [environment.env]
            submit = ToolCall(id="c2", name="submit", arguments={})
            _, reward, terminated, _, info = env.step(
                Message(role="assistant", content=None, tool_calls=[submit])
            )
            assert terminated and reward == 0.0, info["grade"]
            assert info["infrastructure_error"] is False
            assert info["grading"] == "harbor_verifier"
            assert info["grade"]["status"] == "fail"
    finally:
        env.close()


def test_agent_cannot_preseed_the_verifier(fixture_images: None) -> None:
    env = _make_env()
    try:
        env.reset(options={"task_id": "sum-numbers"})
        cheat = (
            "mkdir -p /logs/verifier /tests && echo 1 > /logs/verifier/reward.txt && "
            "echo '{\"reward\": 1}' > /logs/verifier/reward.json && "
            "printf '#!/bin/bash\\necho 1 > /logs/verifier/reward.txt\\n' > /tests/test.sh"
        )
        call = ToolCall(id="c1", name="bash", arguments={"command": cheat})
        env.step(Message(role="assistant", content=None, tool_calls=[call]))
        submit = ToolCall(id="c2", name="submit", arguments={})
        _, reward, *_, info = env.step(Message(role="assistant", content=None, tool_calls=[submit]))
        assert reward == 0.0 and info["grade"]["status"] == "fail", info["grade"]
    finally:
        env.close()


def _task(test_sh: str, **update) -> Task:  # type: ignore[no-untyped-def]
    base = load_task(FIXTURES / "sum-numbers")
    return base.model_copy(update={"test_script": test_sh, "path": None, **update})


VERIFIERS = {
    "no reward file": ("#!/bin/bash\necho done\n", None, "wrote neither"),
    "empty reward.txt": ("#!/bin/bash\n: > /logs/verifier/reward.txt\n", None, "is empty"),
    "garbage reward.txt": (
        "#!/bin/bash\necho yes > /logs/verifier/reward.txt\n",
        None,
        "not hold a number",
    ),
    "json without reward": (
        '#!/bin/bash\necho \'{"a": 1, "b": 0.5}\' > /logs/verifier/reward.json\n',
        None,
        "no 'reward' key",
    ),
    "json non-numeric": (
        '#!/bin/bash\necho \'{"reward": "high"}\' > /logs/verifier/reward.json\n',
        None,
        "non-numeric or non-finite reward 'reward'",
    ),
    "json one key": (
        "#!/bin/bash\necho '{\"score\": 0.25}' > /logs/verifier/reward.json\n",
        0.25,
        None,
    ),
    "json plus txt": (
        "#!/bin/bash\necho '{\"quality\": 0.5}' > /logs/verifier/reward.json\n"
        "echo 1 > /logs/verifier/reward.txt\n",
        1.0,
        None,
    ),
    "cwd and env": (
        '#!/bin/bash\n[ "$PWD" = /app ] && [ "$TOKEN" = from-host ] && '
        "echo 0.5 > /logs/verifier/reward.txt\n",
        0.5,
        None,
    ),
}


def test_verifier_contract_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentgym.sandbox import make_sandbox
    from agentgym.tasks.build import prepare_task, task_sandbox_config

    monkeypatch.setenv("AGENTGYM_TEST_TOKEN", "from-host")
    task = prepare_task(load_task(FIXTURES / "sum-numbers"))
    assert task.image is not None
    with make_sandbox(task_sandbox_config(task, task.image)) as sandbox:
        for name, (script, reward, error) in VERIFIERS.items():
            t = _task(
                script,
                env=task.env.model_copy(update={"verifier": {"TOKEN": "${AGENTGYM_TEST_TOKEN}"}}),
            )
            run = run_verifier(sandbox, t)
            assert run.reward == reward, (name, run)
            if error:
                assert error in (run.error or ""), (name, run.error)
                graded = grade_in_sandbox(t, sandbox)
                assert graded.status == "error" and graded.infrastructure_error, name
        missing = _task(VERIFIERS["cwd and env"][0])
        missing = missing.model_copy(
            update={
                "env": missing.env.model_copy(
                    update={"verifier": {"TOKEN": "${AGENTGYM_UNSET_VAR}"}}
                )
            }
        )
        graded = grade_in_sandbox(missing, sandbox)
        assert graded.status == "error" and "AGENTGYM_UNSET_VAR" in (graded.error or "")
        slow = _task(
            "#!/bin/bash\nsleep 30\n",
            limits=task.limits.model_copy(update={"verifier_timeout_s": 2}),
        )
        graded = grade_in_sandbox(slow, sandbox)
        assert graded.status == "fail" and "verifier_timeout" in graded.flags


def test_cli_validate_prints_reasons(tmp_path: Path) -> None:
    task_dir = tmp_path / "no-reward"
    shutil.copytree(FIXTURES / "sum-numbers", task_dir)
    (task_dir / "tests" / "test.sh").write_text("#!/bin/bash\necho 'checked [nothing]'\n")
    result = CliRunner().invoke(app, ["tasks", "validate", str(task_dir)])
    assert result.exit_code == 1
    assert "wrote neither /logs/verifier/reward.txt nor /logs/verifier/reward.json" in result.output
    assert "checked [nothing]" in result.output  # the verifier's output tail, markup escaped


def test_gpu_request_is_a_clear_error() -> None:
    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has GPUs")
    from agentgym.sandbox import SandboxConfig, SandboxLimits, make_sandbox

    config = SandboxConfig(type="docker", limits=SandboxLimits(gpus=1))
    with pytest.raises(SandboxStartError, match="asks for 1 GPU"):
        make_sandbox(config)


def test_exported_bugfix_tasks_build_and_validate_the_same(tmp_path: Path) -> None:
    samples = [
        ENVS / "bugfix" / "parse-negative-prefixed-int",
        ENVS / "bugfix" / "toolz-nth-iterator-off-by-one",
    ]
    samples = [s for s in samples if s.exists()] or [
        ENVS / "bugfix" / "parse-negative-prefixed-int"
    ]
    export_tasks(samples, tmp_path / "harbor")
    for exported in load_tasks(tmp_path / "harbor"):
        tag = f"agentgym-test/export-{exported.id}:latest"
        docker_build(tag, Path(exported.path) / "environment")  # plain docker build
        try:
            original = validate_task(load_task(ENVS / "bugfix" / exported.id))
            again = validate_task(exported.model_copy(update={"image": tag}))
            assert original.ok and again.ok, (original.reasons(), again.reasons())
            assert [(c.case, c.reward) for c in again.cases] == [
                (c.case, c.reward) for c in original.cases
            ]
        finally:
            subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
