"""The framed persistent shell, on every backend: nothing the command prints confuses it."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentgym.errors import SandboxClosedError
from agentgym.sandbox.base import Sandbox
from agentgym.sandbox.shell import OutputCollector


def test_state_persists_between_commands(sandbox: Sandbox) -> None:
    assert sandbox.run("cd /tmp && export AG_X=42 && f() { echo fn; }").exit_code == 0
    out = sandbox.run("pwd; echo $AG_X; f").output
    assert out.split() == ["/tmp", "42", "fn"]


def test_exact_bytes(sandbox: Sandbox) -> None:
    assert sandbox.run("printf 'no newline'").output == "no newline"
    assert sandbox.run("printf 'a\\r\\nb\\r\\n'").output == "a\r\nb\r\n"
    assert sandbox.run("printf ''").output == ""
    assert sandbox.run("printf 'x\\n\\n\\n'").output == "x\n\n\n"


def test_marker_like_and_binary_output(sandbox: Sandbox) -> None:
    fake = "__AG_" + "0" * 32 + "__0 0"
    res = sandbox.run(f"echo '{fake}'; printf '\\x1e\\x00\\xff\\xfe'; echo end")
    assert fake in res.output and res.output.endswith("end\n") and res.exit_code == 0
    res = sandbox.run("head -c 4096 /dev/urandom; echo; echo after")
    assert res.output.endswith("after\n") and res.exit_code == 0


def test_exit_codes_and_stderr(sandbox: Sandbox) -> None:
    res = sandbox.run("echo out; echo err >&2; false")
    assert res.exit_code == 1 and "out" in res.output and "err" in res.output
    assert sandbox.run("(exit 7)").exit_code == 7


def test_syntax_errors_do_not_hang(sandbox: Sandbox) -> None:
    assert sandbox.run("echo 'unclosed", timeout=5).exit_code == 2
    assert sandbox.run("if then fi", timeout=5).exit_code == 2
    res = sandbox.run("cat <<EOF\nheredoc body\nEOF")
    assert res.output == "heredoc body\n"
    assert sandbox.run("echo ok").output == "ok\n"


def test_stdin_is_not_the_protocol(sandbox: Sandbox) -> None:
    res = sandbox.run("cat; read x; echo got:$x", timeout=5)
    assert res.output == "got:\n" and not res.timed_out
    assert sandbox.run("echo still").output == "still\n"


def test_nul_in_command_is_an_error(sandbox: Sandbox) -> None:
    res = sandbox.run("echo a\0b")
    assert res.exit_code == 2 and "NUL" in res.output
    assert sandbox.run("echo fine").output == "fine\n"


def test_megabytes_are_capped_with_notice(sandbox: Sandbox) -> None:
    res = sandbox.run("seq 1 400000; echo LAST")
    assert res.truncated and res.bytes_cut > 2_000_000
    assert res.output.startswith("1\n2\n3\n") and res.output.endswith("LAST\n")
    assert f"{res.bytes_cut} bytes cut" in res.output
    assert sandbox.run("echo small").output == "small\n"


def test_return_and_exec_tricks(sandbox: Sandbox) -> None:
    assert sandbox.run("return 3", timeout=5).exit_code in (1, 2)
    res = sandbox.run("exec 3>&1; echo fd-ok", timeout=5)
    assert res.output == "fd-ok\n"


def test_closed_sandbox_raises(sandbox: Sandbox) -> None:
    sandbox.close()
    with pytest.raises(SandboxClosedError):
        sandbox.run("echo x")
    sandbox.close()  # idempotent


@given(st.binary(max_size=3000), st.integers(min_value=256, max_value=2000))
def test_collector_keeps_head_and_tail(data: bytes, cap: int) -> None:
    collector = OutputCollector(head=cap // 2, tail=cap - cap // 2)
    for i in range(0, len(data), 97):
        collector.feed(data[i : i + 97])
    assert collector.total == len(data)
    if len(data) <= cap:
        assert collector.cut == 0
        assert collector.text() == data.decode("utf-8", "replace")
    else:
        assert collector.cut == len(data) - cap
        text = collector.text()
        assert text.startswith(data[: cap // 2].decode("utf-8", "replace")[:10])
        assert f"{collector.cut} bytes cut" in text


@pytest.fixture(scope="module")
def plain_shell() -> Iterator[Sandbox]:
    from agentgym.sandbox import LocalSandbox, SandboxConfig

    # One plain local shell for all examples keeps this fast; framing is backend-independent.
    with LocalSandbox(SandboxConfig(type="local"), use_bwrap=False) as sb:
        yield sb


@settings(max_examples=25, deadline=None)
@given(payload=st.binary(min_size=0, max_size=2000))
def test_any_bytes_round_trip_through_the_shell(plain_shell: Sandbox, payload: bytes) -> None:
    encoded = base64.b64encode(payload).decode()
    res = plain_shell.run(f"printf %s '{encoded}' | base64 -d")
    assert res.exit_code == 0
    assert res.output == payload.decode("utf-8", "replace")
