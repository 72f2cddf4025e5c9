"""Editor semantics: any text and any edit sequence round-trips through view/str_replace/undo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentgym.sandbox import LocalSandbox, SandboxConfig
from agentgym.sandbox.base import Sandbox
from agentgym.tools import EditorTool
from agentgym.tools.editor import number_lines


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with LocalSandbox(SandboxConfig(type="local")) as sandbox:
        yield sandbox


editor = EditorTool()
text_st = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=300,
)


def call(sb: Sandbox, **args: object) -> str:
    obs = editor.execute(sb, dict(args))
    assert not obs.is_error, obs.content
    return obs.content


def read(sb: Sandbox, path: str) -> str:
    return sb.read_file(path).decode("utf-8")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    original=text_st,
    edits=st.lists(st.tuples(st.integers(0, 300), st.integers(1, 20), text_st), max_size=5),
)
def test_str_replace_then_undo_restores(sb: Sandbox, original: str, edits: list) -> None:
    path = "hyp/file.txt"
    sb.run("rm -rf hyp")
    call(sb, command="create", path=path, file_text=original)
    assert read(sb, path) == original
    history = [original]
    for start, length, new in edits:
        current = history[-1]
        old = current[start : start + length]
        if not old:
            continue
        if current.count(old) > 1:
            obs = editor.execute(
                sb, {"command": "str_replace", "path": path, "old_str": old, "new_str": new}
            )
            assert obs.is_error and "times" in obs.content
            assert read(sb, path) == current
            continue
        call(sb, command="str_replace", path=path, old_str=old, new_str=new)
        expected = current.replace(old, new, 1)
        assert read(sb, path) == expected
        history.append(expected)
    # view shows every line, numbered
    shown = call(sb, command="view", path=path)
    body = history[-1]
    assert shown.count("\n") >= len(body.split("\n")) - 1 - (1 if body.endswith("\n") else 0)
    while len(history) > 1:
        call(sb, command="undo_edit", path=path)
        history.pop()
        assert read(sb, path) == history[-1]
    call(sb, command="undo_edit", path=path)  # undoes the create
    assert sb.run(f"test -e {path} || echo gone").output == "gone\n"


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(st.text(alphabet="abc xyz", max_size=10), max_size=8),
    at=st.integers(0, 8),
    new=st.text(alphabet="qrs\n", max_size=12),
)
def test_insert_places_lines_after_n(sb: Sandbox, lines: list[str], at: int, new: str) -> None:
    text = "".join(line + "\n" for line in lines)
    sb.write_file("ins.txt", text)
    obs = editor.execute(
        sb, {"command": "insert", "path": "ins.txt", "insert_line": at, "new_str": new}
    )
    if at > len(lines):
        assert obs.is_error and "past the end" in obs.content
        return
    assert not obs.is_error, obs.content
    new_lines = new.split("\n")
    if new.endswith("\n"):
        new_lines = new_lines[:-1]
    assert read(sb, "ins.txt") == "".join(x + "\n" for x in lines[:at] + new_lines + lines[at:])
    call(sb, command="undo_edit", path="ins.txt")
    assert read(sb, "ins.txt") == text


def test_view_ranges_and_errors(sb: Sandbox) -> None:
    sb.write_file("v.py", "a\nb\nc\nd\n")
    assert call(sb, command="view", path="v.py", view_range=[2, 3]).endswith("     2\tb\n     3\tc")
    assert call(sb, command="view", path="v.py", view_range=[3, -1]).endswith(
        "     3\tc\n     4\td"
    )
    for bad in ([0, 2], [3, 2], [1, 9]):
        obs = editor.execute(sb, {"command": "view", "path": "v.py", "view_range": bad})
        assert obs.is_error
    assert number_lines("x\ny\n") == "     1\tx\n     2\ty"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"command": "view", "path": "nope.txt"}, "does not exist"),
        ({"command": "view", "path": "../../etc/passwd"}, "outside the workspace"),
        ({"command": "create", "path": "v.py", "file_text": "x"}, "already exists"),
        ({"command": "create", "path": "n.py"}, "needs file_text"),
        ({"command": "str_replace", "path": "dup.txt", "old_str": "x"}, "occurs 2 times"),
        ({"command": "str_replace", "path": "dup.txt", "old_str": "zz"}, "not found"),
        ({"command": "str_replace", "path": "dup.txt", "old_str": ""}, "empty"),
        ({"command": "undo_edit", "path": "fresh.txt"}, "no edit"),
        ({"command": "view", "path": "bin.dat"}, "binary"),
        ({"command": "view", "path": "latin.txt"}, "not UTF-8"),
        ({"command": "delete", "path": "v.py"}, "Invalid arguments"),
        ({"command": "view"}, "'path' is a required property"),
        ({"command": "view", "path": "v.py", "extra": 1}, "Additional properties"),
    ],
)
def test_errors_are_observations(sb: Sandbox, args: dict, needle: str) -> None:
    sb.write_file("v.py", "a\n")
    sb.write_file("dup.txt", "x\nx\n")
    sb.write_file("fresh.txt", "f\n")
    sb.write_file("bin.dat", b"\x00\x01\x02")
    sb.write_file("latin.txt", "café".encode("latin-1"))
    obs = editor.execute(sb, args)
    assert obs.is_error and needle in obs.content, obs.content


def test_symlink_escape_is_refused(sb: Sandbox) -> None:
    sb.run("ln -sf /etc/hostname esc")
    obs = editor.execute(sb, {"command": "view", "path": "esc"})
    assert obs.is_error and "outside the workspace" in obs.content
