"""Observations are safe text: control characters other than newline and tab are escaped
visibly, and the result is always valid UTF-8 (docs/sandbox.md)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from agentgym.sandbox import LocalSandbox, SandboxConfig
from agentgym.tools import BashTool, EditorTool
from agentgym.tools.base import safe_text

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_safe_text_leaves_no_control_characters(text: str) -> None:
    out = safe_text(text)
    assert UNSAFE.search(out) is None
    out.encode("utf-8")  # never raises: no lone surrogates either
    if UNSAFE.search(text) is None:
        assert out == text


def test_escapes_are_visible_and_named() -> None:
    assert (
        safe_text("a\x00b\x1b[31mc\r\n\t\x7f\x85\udcff")
        == "a\\x00b\\x1b[31mc\\r\n\t\\x7f\\x85\\udcff"
    )


def test_bash_and_editor_observations_are_escaped() -> None:
    with LocalSandbox(SandboxConfig(type="local")) as sb:
        obs = BashTool().execute(sb, {"command": "printf 'x\\0y\\x1b[1mz\\r\\n'"})
        assert obs.content.startswith("x\\x00y\\x1b[1mz\\r\n"), obs.content
        sb.write_file("ctl.txt", b"one\x07two\n")
        view = EditorTool().execute(sb, {"command": "view", "path": "ctl.txt"})
        assert "\x07" not in view.content
