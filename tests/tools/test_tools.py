"""bash, search, submit and the dispatcher, on the local backend and (marked) Docker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentgym.sandbox import LocalSandbox, SandboxConfig
from agentgym.sandbox.base import Sandbox
from agentgym.tools import default_tools, execute_call, to_openai_tools
from agentgym.types import ToolCall


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with LocalSandbox(SandboxConfig(type="local")) as sandbox:
        sandbox.run("mkdir -p pkg/sub && printf 'def f():\\n    return 1\\n' > pkg/a.py")
        sandbox.run("printf 'def g():\\n    return f()\\n' > pkg/sub/b.py && echo x > .hidden")
        sandbox.run("mkdir -p .git && echo 'def f' > .git/HEAD")
        yield sandbox


TOOLS = default_tools()


def run(sb: Sandbox, name: str, **args: object):
    return execute_call(TOOLS, sb, ToolCall(name=name, arguments=dict(args)))


def test_specs_are_valid_openai_tools() -> None:
    tools = to_openai_tools(TOOLS)
    assert [t["function"]["name"] for t in tools] == ["bash", "editor", "search", "submit"]
    assert all(
        t["type"] == "function" and t["function"]["parameters"]["type"] == "object" for t in tools
    )


def test_bash_reports_exit_code_and_timeout(sb: Sandbox) -> None:
    ok = run(sb, "bash", command="echo hi")
    assert ok.content == "hi\n[exit code: 0]" and not ok.is_error
    bad = run(sb, "bash", command="ls /nope")
    assert "[exit code: 2]" in bad.content
    slow = run(sb, "bash", command="sleep 5", timeout=0.5)
    assert slow.is_error and "[timed out]" in slow.content and "timed out after" in slow.content
    assert run(sb, "bash", command="  ").is_error


def test_search_content_and_files(sb: Sandbox) -> None:
    obs = run(sb, "search", pattern="def [fg]")
    assert obs.content.startswith("2 matches") and "pkg/a.py:1:def f():" in obs.content
    assert ".git" not in obs.content
    one = run(sb, "search", pattern="def", max_results=1)
    assert "showing the first 1" in one.content
    files = run(sb, "search", pattern="*.py", mode="files")
    assert files.content.splitlines()[1:] == ["pkg/a.py", "pkg/sub/b.py"]
    assert "No matches" in run(sb, "search", pattern="zzz_nothing").content
    assert run(sb, "search", pattern="f(", path="pkg").is_error
    assert run(sb, "search", pattern="x", path="/etc").is_error
    assert (
        "1 matches"
        in run(sb, "search", pattern="RETURN F", ignore_case=True, include="b.py").content
    )


def test_dispatcher_never_raises(sb: Sandbox) -> None:
    assert "Unknown tool 'nope'" in run(sb, "nope").content
    assert execute_call(TOOLS, sb, {"function": {"name": "bash", "arguments": "{bad"}}).is_error
    assert execute_call(TOOLS, sb, {"weird": 1}).is_error
    assert run(sb, "submit").terminal


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["bash", "editor", "search", "submit", "x"]),
    args=st.dictionaries(
        st.sampled_from(
            ["command", "path", "pattern", "timeout", "old_str", "view_range", "mode", "zz"]
        ),
        st.one_of(
            st.none(),
            st.integers(-5, 5),
            st.text(max_size=8),
            st.lists(st.integers(-2, 3), max_size=3),
        ),
        max_size=4,
    ),
)
def test_any_arguments_give_an_observation(sb: Sandbox, name: str, args: dict) -> None:
    if name == "bash" and isinstance(args.get("command"), str):
        args["command"] = "true"  # don't run random shell text
    obs = execute_call(TOOLS, sb, ToolCall(name=name, arguments=args))
    assert isinstance(obs.content, str) and obs.content


@pytest.mark.docker
def test_tools_in_docker() -> None:
    from agentgym.sandbox.docker import DockerSandbox

    with DockerSandbox() as dsb:
        run(dsb, "editor", command="create", path="m.py", file_text="x = 1\n")
        assert "1 matches" in run(dsb, "search", pattern="x = 1").content
        assert (
            run(
                dsb, "editor", command="str_replace", path="m.py", old_str="1", new_str="2"
            ).is_error
            is False
        )
        assert run(dsb, "bash", command="python3 -c 'import m; print(m.x)'").content.startswith(
            "2\n"
        )
        run(dsb, "editor", command="undo_edit", path="m.py")
        assert dsb.read_file("m.py") == b"x = 1\n"
