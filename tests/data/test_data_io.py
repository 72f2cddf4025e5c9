"""The trajectory JSONL reader: every line is used or reported with its number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentgym.data.io import DataError, ReadReport, parse_line, read_trajectories
from agentgym.tools import default_tools
from agentgym.types import Message, ToolCall, Trajectory

TOOLS = [t.spec for t in default_tools()]


def good(i: int) -> str:
    call = ToolCall(id=f"c{i}", name="bash", arguments={"command": f"echo {i}"})
    return Trajectory(
        task_id=f"t{i}",
        tools=TOOLS,
        messages=[
            Message(role="user", content=f"task {i}"),
            Message(role="assistant", tool_calls=[call]),
            Message(role="tool", tool_call_id=f"c{i}", content=str(i)),
        ],
    ).model_dump_json()


BAD = {
    "not json": "{oops",
    "not an object": "[1, 2]",
    "unknown field": json.dumps({"messages": [{"role": "user", "content": "x"}], "extra": 1}),
    "bad role": json.dumps({"messages": [{"role": "robot", "content": "x"}]}),
    "no messages": json.dumps({"messages": []}),
    "unknown tool": json.dumps(
        {
            "messages": [
                {"role": "assistant", "tool_calls": [{"id": "a", "function": {"name": "rm"}}]}
            ],
            "tools": [t.to_openai() for t in TOOLS],
        }
    ),
    "orphan result": json.dumps(
        {"messages": [{"role": "tool", "tool_call_id": "z", "content": ""}]}
    ),
    "trajectory typo": good(0).replace('"reward"', '"rewrad"'),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_lines_are_errors_that_say_why(kind: str) -> None:
    with pytest.raises(ValueError):
        parse_line(BAD[kind])


def test_openai_chat_records_are_accepted() -> None:
    traj = parse_line(
        json.dumps({"id": "x1", "messages": [{"role": "user", "content": "hi"}], "tools": []})
    )
    assert traj.task_id == "x1" and traj.messages[0].content == "hi"


lines = st.lists(
    st.one_of(
        st.integers(0, 99).map(lambda i: ("good", good(i))),
        st.sampled_from(sorted(BAD)).map(lambda k: ("bad", BAD[k])),
        st.sampled_from(["", "   "]).map(lambda b: ("blank", b)),
    ),
    max_size=25,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines)
def test_no_line_is_silently_dropped(tmp_path: Path, items: list[tuple[str, str]]) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(text + "\n" for _, text in items))
    report = ReadReport(str(path))
    got = [n for n, _ in read_trajectories(path, "skip", report)]
    expect_good = [i + 1 for i, (k, _) in enumerate(items) if k == "good"]
    expect_bad = [i + 1 for i, (k, _) in enumerate(items) if k == "bad"]
    assert got == expect_good
    assert [b.line for b in report.bad] == expect_bad
    assert report.ok + len(report.bad) + report.blank == report.lines == len(items)
    if expect_bad:
        with pytest.raises(DataError, match=rf"in.jsonl:{expect_bad[0]}: "):
            list(read_trajectories(path, "fail"))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        list(read_trajectories(tmp_path / "nope.jsonl"))
