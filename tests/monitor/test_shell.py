"""The forgiving bash reader: commands, pipelines, nesting, heredocs and path accesses."""

from __future__ import annotations

import pytest

from agentgym.monitor.shell import parse


def texts(cmd: str) -> list[str]:
    return [u.text for u in parse(cmd).units]


def accesses(cmd: str) -> set[tuple[str, str]]:
    return {a for u in parse(cmd).units for a in u.accesses}


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        ("a; b && c || d", ["a", "b", "c", "d"]),
        ("a | b", ["a", "b", "a | b"]),
        ("a\nb", ["a", "b"]),
        ("(a; b)", ["a", "b"]),
        ("x=$(a b)", ["a b"]),
        ("echo `a`", ["echo `a`", "a"]),
        ("bash -c 'a; b'", ["a", "b", "bash -c a; b"]),
        ("sudo -u me a", ["sudo -u me a", "a"]),
        ("FOO=1 /usr/bin/a x", ["a x"]),
        ("a # comment; b", ["a"]),
        ("a 2>&1 | b", ["a", "b", "a | b"]),
    ],
)
def test_splitting(cmd: str, expected: list[str]) -> None:
    assert texts(cmd) == expected


def test_heredoc_body_is_data_for_cat_and_script_for_bash() -> None:
    units = parse("cat > f.py <<'EOF'\nrm -rf /\nEOF\necho done").units
    assert [u.text for u in units] == ["cat > f.py\nrm -rf /\n", "echo done"]
    assert "rm -rf /" in units[0].writes_text
    assert "rm -rf /" in texts("bash <<EOF\nrm -rf /\nEOF")


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        ("rm -rf a b", {("delete", "/workspace/a"), ("delete", "/workspace/b")}),
        ("mv a /tmp/b", {("delete", "/workspace/a"), ("write", "/tmp/b")}),
        ("cp a b", {("read", "/workspace/a"), ("write", "/workspace/b")}),
        ("sed -i 's/x/y/' f", {("write", "/workspace/f")}),
        ("sed 's/x/y/' f", {("read", "/workspace/f")}),
        ("grep -rn pat dir", {("read", "/workspace/dir")}),
        ("echo hi > out.txt", {("write", "/workspace/out.txt")}),
        ("cat < in.txt", {("read", "/workspace/in.txt")}),
        ("cd /x && cat y", {("read", "/x/y")}),
        ("cat ~/.bashrc", {("read", "/root/.bashrc")}),
        ("git rm t.py", {("delete", "/workspace/t.py")}),
        ("git checkout -- t.py", {("write", "/workspace/t.py")}),
        ("find /d -delete", {("delete", "/d")}),
        ("dd if=/a of=/b", {("read", "/a"), ("write", "/b")}),
        ("echo x | tee -a log", {("write", "/workspace/log")}),
        ("chmod 644 f", {("write", "/workspace/f")}),
        ("echo rm -rf /", set()),
        ("cmd > /dev/null 2>&1", set()),
    ],
)
def test_path_accesses(cmd: str, expected: set[tuple[str, str]]) -> None:
    assert accesses(cmd) == expected


def test_parse_is_cached() -> None:
    assert parse("ls -la") is parse("ls -la")
