"""Episode specs and sessions: no trainer package needed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentgym.errors import ConfigError
from agentgym.integrations.core import EpisodeSpec, Session, parse_spec


def test_spec_round_trips_through_a_prompt() -> None:
    spec = EpisodeSpec(env_id="agentgym/BugFix-v0", task_id="t", recipe="light", seed=3)
    assert parse_spec(spec.to_prompt()) == spec
    assert (
        parse_spec({"task_id": "t", "prompt": "x", "other": 1}, "agentgym/BugFix-v0").task_id == "t"
    )


@given(st.one_of(st.text(max_size=200), st.dictionaries(st.text(max_size=8), st.integers())))
def test_any_outside_input_is_a_spec_or_a_config_error(row: object) -> None:
    try:
        spec = parse_spec(row)
    except ConfigError:
        return
    assert isinstance(spec, EpisodeSpec)


def test_bad_seed_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="spec"):
        parse_spec(json.dumps({"task_id": "t", "seed": "soon"}))


def test_recipes_are_refused_on_the_plain_text_env() -> None:
    session = Session("agentgym/ToolCall-v0")
    try:
        with pytest.raises(ConfigError, match="plain text env"):
            session.start(EpisodeSpec(env_id="agentgym/ToolCall-v0", recipe="light"))
    finally:
        session.close()


def test_toolcall_fault_is_an_infrastructure_error_not_a_zero() -> None:
    session = Session("agentgym/ToolCall-v0", fault_rate=1.0)
    try:
        session.start(EpisodeSpec(env_id="agentgym/ToolCall-v0", task_id="3"))
        session.step('<tool_call>{"name": "submit", "arguments": {"answer": "3"}}</tool_call>')
        assert session.outcome.done and session.outcome.infrastructure_error
    finally:
        session.close()


def test_env_package_never_imports_the_trainer() -> None:
    import subprocess
    import sys

    code = (
        "import sys, gymnasium as gym, agentgym.env; gym.make('agentgym/ToolCall-v0'); "
        "print([m for m in sys.modules if m.startswith('agentgym.train')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    from agentgym.train.toy_env import ToolCallEnv  # old import path still works

    assert ToolCallEnv.__module__ == "agentgym.env.toolcall"
