"""Grading takes any workspace the agent leaves: odd names, binary files, symlinks, huge
trees, a deleted .git — on both backends, within a time bound, never as an infrastructure
error."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentgym.env import CodingEnv, envs_root
from agentgym.grading.grader import diff_bytes, diff_files, diff_line_count

# --- diff parsing against real git output ------------------------------------------------


def _git(repo: Path, *args: str) -> bytes:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
    }
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True).stdout


def _display(name: bytes) -> str:
    return name.decode("utf-8", "backslashreplace")


names = st.lists(
    st.binary(min_size=1, max_size=12).filter(
        lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b"..", b".git")
    ),
    min_size=1,
    max_size=5,
    unique=True,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(new=names, text=st.booleans())
def test_diff_files_reads_any_byte_names_from_real_git(
    tmp_path: Path, new: list[bytes], text: bool
) -> None:
    repo = Path(tempfile.mkdtemp(dir=tmp_path))
    _git(repo, "init", "-q")
    (repo / "base.txt").write_text("base\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    root = os.fsencode(repo)
    for name in new:
        with open(os.path.join(root, name), "wb") as fh:
            fh.write(b"line\n" if text else b"\x00\xff\x01binary")
    (repo / "base.txt").write_text("changed\n")
    _git(repo, "add", "-A")
    diff = _git(
        repo, "-c", "core.quotepath=off", "diff", "--cached", "--binary", "--no-renames", "HEAD"
    )
    expected = {_display(n) for n in new} | {"base.txt"}
    assert set(diff_files(diff)) == expected
    # The str form workspace_diff returns carries the same bytes.
    as_str = diff.decode("utf-8", "surrogateescape")
    assert diff_bytes(as_str) == diff and set(diff_files(as_str)) == expected
    assert diff_line_count(diff) == 2 + (len(new) if text else 0)


def _headers(n: int) -> bytes:
    return b"".join(
        b"diff --git a/junk/%d b/junk/%d\nnew file mode 100644\nindex 0000000..e69de29\n" % (i, i)
        for i in range(n)
    )


def _best_time(diff: bytes, expected: int) -> float:
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        assert len(diff_files(diff)) == expected
        best = min(best, time.perf_counter() - started)
    return best


def test_diff_files_is_linear_in_the_number_of_files() -> None:
    # It was quadratic (list membership): 100,000 files took minutes. Four times the files
    # must take about four times as long (16x if quadratic); generous for a loaded machine.
    small, large = 25_000, 100_000
    t_small = _best_time(_headers(small), small)
    t_large = _best_time(_headers(large), large)
    assert t_large < 10 * max(t_small, 0.01), (t_small, t_large)
    assert t_large < 30


# --- whole episodes on both backends -----------------------------------------------------


def call(name: str, **arguments: object) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


def task_dir() -> Path:
    return sorted(p for p in (envs_root() / "bugfix").iterdir() if (p / "task.toml").exists())[0]


@pytest.fixture(scope="module", params=[pytest.param("docker", marks=pytest.mark.docker), "local"])
def env(request: pytest.FixtureRequest) -> Iterator[CodingEnv]:
    if request.param == "docker":
        request.getfixturevalue("docker_ready")
    e = CodingEnv(task_dir(), backend=request.param, max_turns=10, monitor=False)
    yield e
    e.close()


def episode(env: CodingEnv, *commands: str) -> tuple[dict, float]:
    env.reset(seed=0)
    for command in (env.tasks[0].solution_script or "true", *commands):
        obs, *_, info = env.step(call("bash", command=command))
        assert not info.get("infrastructure_error"), obs
    started = time.monotonic()
    *_, info = env.step(call("submit"))
    assert not info["infrastructure_error"], info["grade"]
    assert info["grade"]["status"] in ("pass", "fail")
    return info["grade"], time.monotonic() - started


ODD = r"""
printf 'x\n' > "$(printf 'caf\xe9\x01 name.txt')"
printf '\x00\x01\xff\xfe' > blob.bin
ln -s /etc/passwd outside-link && ln -s nowhere dangling-link && ln -s src inside-link
mkdir -p 'dir with space' && echo y > 'dir with space/q"uote\back.txt'
printf 'tab\n' > "$(printf 'tab\there')"
"""


def test_odd_names_binary_files_and_symlinks_grade(env: CodingEnv) -> None:
    grade, _ = episode(env, ODD)
    assert grade["status"] == "pass", grade
    files = set(grade["diff_files"])
    assert {"caf\\xe9\x01 name.txt", "blob.bin", "outside-link", "dangling-link"} <= files
    assert {"inside-link", 'dir with space/q"uote\\back.txt', "tab\there"} <= files


def test_deleted_git_grades_the_files_against_a_pristine_copy(env: CodingEnv) -> None:
    grade, _ = episode(env, "rm -rf .git")
    assert grade["status"] == "pass" and "git_state_rebuilt" in grade["flags"], grade
    assert grade["diff_files"] == ["src/cachetools/__init__.py"]


def test_corrupt_git_without_the_fix_fails(env: CodingEnv) -> None:
    grade, _ = episode(env, "git checkout -q -- . && rm -rf .git/objects && echo junk > new.txt")
    assert grade["status"] == "fail" and "git_state_rebuilt" in grade["flags"], grade
    assert "new.txt" in grade["diff_files"]


def test_diff_too_large_is_a_clear_failure(env: CodingEnv) -> None:
    grade, took = episode(env, "head -c 30000000 /dev/urandom > big.bin")
    assert grade["status"] == "fail" and "diff_too_large" in grade["flags"], grade["error"]
    assert "diff too large" in grade["error"]
    assert took < 60


def test_hundred_thousand_files_grade_within_the_bound(env: CodingEnv) -> None:
    grade, took = episode(env, "mkdir junk && cd junk && seq 1 100000 | xargs touch")
    assert grade["status"] == "pass", grade
    assert len(grade["diff_files"]) == 100_001
    # Measured: ~16 s on Docker, ~35 s on the embedded backend (2 busy cores).
    assert took < 120, took
