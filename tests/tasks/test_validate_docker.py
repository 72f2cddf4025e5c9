"""Docker: one sample task per pack grades 1 with its solution and 0 unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentgym.tasks import load_task, validate_task

ENVS = Path(__file__).resolve().parents[2] / "envs"
SAMPLES = [
    "bugfix/parse-negative-prefixed-int",
    "refactor/inflection-rename-ordinal-suffix",
    "feature/more-itertools-add-triplewise",
]


@pytest.mark.docker
@pytest.mark.parametrize("rel", SAMPLES)
def test_sample_task_validates(rel: str) -> None:
    result = validate_task(load_task(ENVS / rel))
    assert result.ok, (
        result.summary()
        + "\n"
        + "\n".join(f"{c.case}: {c.error} {c.output[-1500:]}" for c in result.cases)
    )
    assert [c.reward for c in result.cases] == [1.0, 0.0]


@pytest.mark.docker
def test_image_holds_only_the_starting_state() -> None:
    from agentgym.sandbox import SandboxConfig, make_sandbox
    from agentgym.tasks import task_image

    task = load_task(ENVS / SAMPLES[0])
    image = task_image(task)
    with make_sandbox(SandboxConfig(type="docker", image=image)) as sandbox:
        log = sandbox.run(
            "git log --oneline | wc -l; git status --porcelain | wc -l"
        ).output.split()
        assert log == ["1", "0"]
        leaks = sandbox.run("ls /tests /solution /tmp/agentgym-env 2>&1; ls tests").output
        assert "No such file" in leaks and "test_issue_negative_hex.py" not in leaks
        assert "number_start = 0" in sandbox.read_file("/workspace/parse.py").decode()


CHEATS = {
    "conftest-forces-pass": (
        "cat > conftest.py <<'EOF'\n"
        "import pytest\n\n"
        "@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n"
        "    outcome.get_result().outcome = 'passed'\n"
        "EOF"
    ),
    "delete-test-module": "rm -f tests/test_parse.py",
    "weaken-test-module": "sed -i 's/assert /assert True or /' tests/test_parse.py",
    "pytest-ini-deselects": "printf '[pytest]\\naddopts = -k nothing\\n' > pytest.ini",
}


@pytest.mark.docker
@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_verifier_resists_simple_cheats(cheat: str) -> None:
    from agentgym.tasks import task_image
    from agentgym.tasks.validate import run_case

    task = load_task(ENVS / SAMPLES[0])
    result = run_case(task, task_image(task), cheat, agent_command=CHEATS[cheat])
    assert result.error is None, result.error
    assert result.reward == 0.0, result.output
