"""The embedded backend is hermetic: its own Python toolchain, an unprivileged user, and
nothing of the host's interpreter environment, home folder or agentgym's source."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

import agentgym
from agentgym.env.local_build import split_pip_installs, task_requirements
from agentgym.errors import TaskFormatError
from agentgym.sandbox import LocalSandbox, SandboxConfig
from agentgym.sandbox.toolchain import (
    PYTEST_PIN,
    SANDBOX_PREFIX,
    ensure_toolchain,
    gc_toolchains,
    list_toolchains,
)

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")


@pytest.fixture(scope="module")
def sandbox() -> LocalSandbox:
    sb = LocalSandbox(SandboxConfig(type="local"), use_bwrap=True)
    yield sb
    sb.close()


@needs_bwrap
def test_python_in_the_sandbox_is_the_managed_toolchain(sandbox: LocalSandbox) -> None:
    out = sandbox.run(
        "command -v python3; python3 -c 'import sys, json; print(json.dumps([sys.prefix, "
        "sys.path]))'; python3 -m pytest --version; pytest --version"
    )
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert lines[0] == f"{SANDBOX_PREFIX}/bin/python3"
    prefix, path = json.loads(lines[1])
    assert prefix == SANDBOX_PREFIX
    pin = PYTEST_PIN.split("==")[1]
    assert lines[2] == f"pytest {pin}" and lines[3] == f"pytest {pin}"
    # nothing of the host's environment: not its venv, not its site-packages, not agentgym
    host_site = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    assert not set(path) & set(host_site), path
    if sys.prefix != sys.base_prefix:  # agentgym runs in a venv: that venv is invisible
        assert not any(p.startswith(sys.prefix) for p in path)
        assert sandbox.run(f"test -e {sys.prefix}").exit_code != 0
    agentgym_dir = os.path.dirname(agentgym.__file__)
    assert sandbox.run(f"test -e {agentgym_dir}").exit_code != 0
    assert sandbox.run("python3 -c 'import agentgym'").exit_code != 0
    assert sandbox.run("python3 -c 'import pydantic'").exit_code != 0


@needs_bwrap
def test_the_sandbox_sees_only_what_docs_list(sandbox: LocalSandbox) -> None:
    top = set(sandbox.run("ls -A /").output.split())
    assert top <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "opt", "proc", "root", "sbin",
                   "tmp", "usr", "workspace", "home"}, top  # fmt: skip
    home = os.path.expanduser("~")
    cache = os.environ.get("AGENTGYM_CACHE") or os.path.join(home, ".cache")
    assert sandbox.run(f"test -e {cache}").exit_code != 0
    etc = set(sandbox.run("ls -A /etc").output.split())
    assert "shadow" not in etc and "passwd" in etc
    passwd = sandbox.run("cat /etc/passwd").output
    assert "agent:x:1000" in passwd and len(passwd.splitlines()) == 3


@needs_bwrap
def test_the_agent_is_unprivileged_even_when_agentgym_is_root(sandbox: LocalSandbox) -> None:
    ident = sandbox.run("id -u; id -un; grep -E '^(NoNewPrivs|CapEff)' /proc/self/status")
    uid, name, *status = ident.output.split("\n")
    assert uid == "1000" and name == "agent"
    fields = dict(line.split(":\t") for line in status if line)
    assert fields["NoNewPrivs"] == "1" and int(fields["CapEff"], 16) == 0
    mount = sandbox.run("mkdir -p /tmp/m && mount -t tmpfs none /tmp/m")
    assert mount.exit_code != 0
    for path in ("/usr/bin/agentgym-probe", f"{SANDBOX_PREFIX}/x", "/etc/x"):
        assert sandbox.run(f"touch {path}").exit_code != 0, path
    assert sandbox.run(f"rm -rf {SANDBOX_PREFIX}/bin; test -x {SANDBOX_PREFIX}/bin/python3").ok


@needs_bwrap
def test_a_readonly_mount_cannot_be_written(tmp_path: Path) -> None:
    host = tmp_path / "data"
    host.mkdir()
    (host / "keep.txt").write_text("keep")
    config = SandboxConfig(type="local", readonly_mounts={str(host): "/data"})
    with LocalSandbox(config, use_bwrap=True) as sb:
        assert sb.run("cat /data/keep.txt").output.strip() == "keep"
        assert sb.run("echo x > /data/keep.txt").exit_code != 0
        assert sb.run("rm -f /data/keep.txt").exit_code != 0
    assert (host / "keep.txt").read_text() == "keep"


def test_toolchain_is_cached_and_listed() -> None:
    first = ensure_toolchain()
    again = ensure_toolchain()
    assert first == again and first.packages["pytest"] == PYTEST_PIN.split("==")[1]
    assert first.key in {chain.key for chain, _, _ in list_toolchains()}


def test_offline_build_copies_pytest_from_agentgym_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest_dist = pytest.__version__
    monkeypatch.setenv("AGENTGYM_CACHE", str(tmp_path))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "no-wheels"))
    chain = ensure_toolchain()
    assert chain.source == "host" and chain.packages["pytest"] == pytest_dist
    with LocalSandbox(SandboxConfig(type="local")) as sb:
        out = sb.run("python3 -m pytest --version")
        assert out.ok and pytest_dist in out.output, out.output
    assert gc_toolchains(older_than_days=-1) == [chain.root]
    assert not Path(chain.root).exists()


def test_offline_without_the_package_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentgym.sandbox.toolchain import ToolchainError

    monkeypatch.setenv("AGENTGYM_CACHE", str(tmp_path))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "no-wheels"))
    with pytest.raises(ToolchainError, match="package index once") as info:
        ensure_toolchain(["agentgym-no-such-package==1.0"])
    assert "agentgym-no-such-package" in str(info.value)
    assert not any(p.name.startswith(".") and "building" in p.name for p in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    ("run", "requirements", "rest"),
    [
        ("pip install six==1.16.0", ["six==1.16.0"], ""),
        ("python3 -m pip install -q --no-cache-dir 'attrs>=23' six", ["attrs>=23", "six"], ""),
        ("cd /workspace && pip3 install -U six && git init -q", ["six"], "cd /workspace && git init -q"),
        ("git apply x.patch", [], "git apply x.patch"),
    ],
)  # fmt: skip
def test_pip_installs_become_toolchain_requirements(
    run: str, requirements: list[str], rest: str
) -> None:
    assert split_pip_installs(run) == (requirements, rest)


def test_pip_options_the_local_backend_cannot_honour_are_errors() -> None:
    with pytest.raises(TaskFormatError, match="-r"):
        split_pip_installs("pip install -r requirements.txt", "t")
    dockerfile = "FROM agentgym/base:latest\nRUN pip install six \\\n    attrs\nRUN true\n"
    assert task_requirements(dockerfile) == ["six", "attrs"]


@needs_bwrap
def test_a_task_that_pip_installs_gets_it_in_its_toolchain(tmp_path: Path) -> None:
    """A Harbor-style task whose Dockerfile installs a package: agent and grader see it."""
    from agentgym.env import CodingEnv

    task = tmp_path / "needs-six"
    (task / "environment" / "repo").mkdir(parents=True)
    (task / "tests").mkdir()
    (task / "instruction.md").write_text("Make `answer()` return six's PY3 flag.\n")
    (task / "environment" / "repo" / "mod.py").write_text("def answer():\n    return False\n")
    (task / "environment" / "repo" / "test_mod.py").write_text(
        "import six\nfrom mod import answer\n\ndef test_answer():\n    assert answer() is six.PY3\n"
    )
    (task / "environment" / "Dockerfile").write_text(
        "FROM agentgym/base:latest\nRUN pip install six==1.16.0\nCOPY repo/ /workspace/\n"
        "RUN cd /workspace && git init -q && git add -A && "
        "git -c user.name=a -c user.email=a@b commit -qm init\nWORKDIR /workspace\n"
    )
    (task / "tests" / "test.sh").write_text(
        "#!/bin/bash\nmkdir -p /logs/verifier\ncd /workspace && python3 -m pytest -q test_mod.py "
        "&& echo 1 > /logs/verifier/reward.txt || echo 0 > /logs/verifier/reward.txt\n"
    )
    (task / "task.toml").write_text(
        'version = "1.0"\n\n[agentgym]\nworkdir = "/workspace"\n'
        'fail_to_pass = ["test_mod.py::test_answer"]\n'
    )
    from agentgym.tasks import load_task
    from agentgym.tasks.harbor import render_test_sh

    loaded = load_task(task, check_test_sh=False)
    (task / "tests" / "test.sh").write_text(render_test_sh(loaded))
    fix = "sed -i 's/return False/return True/' mod.py"
    env = CodingEnv(task, backend="local", max_turns=4, monitor=False)
    try:
        for command, reward in ((fix, 1.0), ("true", 0.0)):
            env.reset(seed=0)
            obs, *_ = env.step(_bash("python3 -c 'import six; print(six.__version__)'"))
            assert "1.16.0" in obs[0]["content"], obs
            env.step(_bash(command))
            *_, info = env.step('<tool_call>\n{"name": "submit", "arguments": {}}\n</tool_call>')
            assert info["grade"]["reward"] == reward, info["grade"]
            assert info["grade"]["status"] in ("pass", "fail"), info["grade"]
    finally:
        env.close()


def _bash(command: str) -> str:
    return (
        "<tool_call>\n"
        + json.dumps({"name": "bash", "arguments": {"command": command}})
        + "\n</tool_call>"
    )


@needs_bwrap
def test_a_pids_cgroup_caps_the_embedded_sandbox() -> None:
    """rlimits do not bind root; where agentgym may make a pids cgroup (root on cgroup v1 or
    v2) each embedded sandbox gets one, and forks past the limit are refused."""
    from agentgym.sandbox import SandboxLimits
    from agentgym.sandbox.local import CGROUP_HEADROOM, pids_cgroup, remove_cgroup

    probe = pids_cgroup(8)
    if probe is None:
        pytest.skip("this process may not create a pids cgroup (not root, or no controller)")
    remove_cgroup(probe)
    config = SandboxConfig(type="local", limits=SandboxLimits(pids=32))
    with LocalSandbox(config, use_bwrap=True) as sb:
        cgroup = sb._cgroup
        assert cgroup is not None and (cgroup / "pids.max").read_text().strip() == str(
            32 + CGROUP_HEADROOM
        )
        out = sb.run("for i in $(seq 1 80); do sleep 2 & done 2>&1 | tail -1", timeout=30)
        assert "fork:" in out.output, out.output  # refused (bash retries, then gives up)
        assert int((cgroup / "pids.current").read_text()) <= 32 + CGROUP_HEADROOM
        assert sb.run("echo alive").output.strip() == "alive"
    assert not cgroup.exists()
