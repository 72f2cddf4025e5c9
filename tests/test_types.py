"""Data records: OpenAI shape in and out, JSON round trips, forbidden extras."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from agentgym.types import ExecResult, Message, Task, ToolCall, ToolSpec, Trajectory, as_message

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
arguments = st.dictionaries(st.text(min_size=1, max_size=10), json_values, max_size=4)


def test_openai_assistant_message_in_and_out() -> None:
    wire = {
        "role": "assistant",
        "content": None,
        "reasoning_content": "think",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "bash", "arguments": '{"command": "ls"}'},
            }
        ],
    }
    msg = Message.model_validate(wire)
    assert msg.reasoning == "think"
    assert msg.tool_calls[0].arguments == {"command": "ls"}
    out = msg.to_openai()
    assert out["tool_calls"][0]["function"]["name"] == "bash"
    assert json.loads(out["tool_calls"][0]["function"]["arguments"]) == {"command": "ls"}
    assert out["reasoning_content"] == "think"
    assert Message.model_validate(out) == msg


def test_reasoning_field_spellings() -> None:
    assert Message.model_validate({"role": "assistant", "reasoning": "r"}).reasoning == "r"
    both = {"role": "assistant", "reasoning": "a", "reasoning_content": "b"}
    assert Message.model_validate(both).reasoning == "a"
    assert Message(role="assistant", reasoning="x").reasoning == "x"


def test_tool_message_and_content_parts() -> None:
    msg = as_message({"role": "tool", "tool_call_id": "c1", "content": "ok", "name": "bash"})
    assert msg.to_openai() == {
        "role": "tool",
        "content": "ok",
        "tool_call_id": "c1",
        "name": "bash",
    }
    parts = {
        "role": "user",
        "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
    }
    assert as_message(parts).content == "ab"


@pytest.mark.parametrize(
    "bad",
    [
        {"role": "robot", "content": "x"},
        {"role": "user", "content": "x", "surprise": 1},
        {"role": "user", "tool_calls": [{"name": "bash"}]},
        {"role": "assistant", "tool_calls": [{"function": {"name": "b", "arguments": "{bad"}}]},
        {"role": "assistant", "tool_calls": [{"function": {"name": "b", "arguments": "[1]"}}]},
    ],
)
def test_bad_messages_are_rejected(bad: dict) -> None:
    with pytest.raises(ValidationError):
        Message.model_validate(bad)


@given(
    content=st.one_of(st.none(), st.text(max_size=50)),
    reasoning=st.one_of(st.none(), st.text(max_size=50)),
    calls=st.lists(st.tuples(st.text(min_size=1, max_size=12), arguments), max_size=3),
)
def test_message_round_trips(content: str | None, reasoning: str | None, calls: list) -> None:
    msg = Message(
        role="assistant",
        content=content,
        reasoning=reasoning,
        tool_calls=[ToolCall(name=n, arguments=a) for n, a in calls],
    )
    assert Message.model_validate_json(msg.model_dump_json()) == msg
    assert Message.model_validate(msg.to_openai()) == msg
    assert Message.model_validate(json.loads(json.dumps(msg.to_openai()))) == msg


def test_tool_spec_openai_shape() -> None:
    spec = ToolSpec(name="bash", description="run", parameters={"type": "object"})
    assert ToolSpec.model_validate(spec.to_openai()) == spec


def test_records_round_trip_json() -> None:
    traj = Trajectory(
        task_id="t1",
        messages=[Message(role="user", content="hi")],
        tools=[ToolSpec(name="bash")],
        reward=1.0,
        seed=3,
    )
    assert Trajectory.model_validate_json(traj.model_dump_json()) == traj
    task = Task(id="x", instruction="do", fail_to_pass=["t::a"])
    assert Task.model_validate_json(task.model_dump_json()) == task
    res = ExecResult(output="o", exit_code=0)
    assert res.ok and ExecResult.model_validate_json(res.model_dump_json()) == res
    with pytest.raises(ValidationError):
        Trajectory.model_validate({"task_id": "t", "bogus": 1})


def test_string_arguments_keep_their_spelling_for_templates() -> None:
    wire = {"id": "c", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
    call = ToolCall.model_validate(wire)
    assert call.arguments == {"a": 1} and call.raw_arguments == '{"a":1}'
    assert call.to_openai()["function"]["arguments"] == '{"a":1}'  # spelling kept on the wire
    assert call == ToolCall(id="c", name="f", arguments={"a": 1})  # same call
    stale = call.model_copy(update={"arguments": {"a": 2}})
    assert stale.arguments_json() == '{"a": 2}'  # a stale spelling is ignored
    assert "raw_arguments" not in call.model_dump()
