"""OpenAIPolicy over real HTTP against a scripted local server: modes, retries, stalls, CLI."""

from __future__ import annotations

import json

import pytest

from agentgym.policies import OpenAIPolicy, PolicyError
from agentgym.types import Message

from .fake_openai import FakeOpenAI

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "bash",
            "description": "run",
            "parameters": {
                "type": "object",
                "properties": {"command": {"type": "string"}},
                "required": ["command"],
            },
        },
    }
]
MESSAGES = [{"role": "system", "content": "s"}, {"role": "user", "content": "fix it"}]


def _policy(server: FakeOpenAI, **kw: object) -> OpenAIPolicy:
    p = OpenAIPolicy(model="scripted", base_url=server.url, api_key="k", backoff_s=0.01, **kw)
    p.reset({})
    return p


def test_chat_mode_returns_tool_calls_and_counts_tokens() -> None:
    with FakeOpenAI() as server:
        p = _policy(server)
        msg = p.act(MESSAGES, TOOLS, {})
    assert isinstance(msg, Message) and msg.tool_calls[0].name == "bash"
    assert msg.tool_calls[0].arguments == {"command": "echo hi"}
    assert server.requests[0]["tools"] == TOOLS and server.requests[0]["model"] == "scripted"
    assert (p.usage.requests, p.usage.prompt_tokens, p.usage.completion_tokens) == (1, 10, 5)


def test_completion_mode_renders_with_the_episode_format() -> None:
    with FakeOpenAI() as server:
        p = _policy(server, mode="completion")
        text = p.act(MESSAGES, TOOLS, {"chat_format": "qwen3"})
    assert isinstance(text, str) and "<tool_call>" in text
    prompt = server.requests[0]["prompt"]
    assert "<|im_start|>user\nfix it" in prompt and prompt.endswith("<|im_start|>assistant\n")


def test_retries_on_5xx_then_succeeds() -> None:
    with FakeOpenAI(fail_first=2) as server:
        p = _policy(server)
        msg = p.act(MESSAGES, TOOLS, {})
    assert isinstance(msg, Message) and msg.tool_calls
    assert p.usage.retries == 2 and len(server.requests) == 3


def test_gives_up_after_retries_with_a_clear_error() -> None:
    with FakeOpenAI(fail_first=100) as server:
        p = _policy(server, max_retries=2)
        with pytest.raises(PolicyError, match=r"HTTP 503.*gave up after 3 attempts"):
            p.act(MESSAGES, TOOLS, {})


def test_stalled_server_times_out_and_retries() -> None:
    with FakeOpenAI(stall_s=1.0) as server:
        p = _policy(server, timeout_s=0.2, max_retries=1)
        with pytest.raises(PolicyError, match="timed out"):
            p.act(MESSAGES, TOOLS, {})
    assert p.usage.retries == 1


def test_unreachable_server() -> None:
    p = OpenAIPolicy(model="m", base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(PolicyError, match="cannot reach"):
        p.act(MESSAGES, TOOLS, {})


@pytest.mark.slow
def test_bench_cli_with_openai_policy(tmp_path, monkeypatch) -> None:
    """`agentgym bench --policy openai:scripted` end to end, one server stalls then answers."""
    from typer.testing import CliRunner

    from agentgym.bench.cli import bench_app

    with FakeOpenAI(fail_first=1) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        result = CliRunner().invoke(
            bench_app,
            [
                "--policy",
                "openai:scripted",
                "--recipes",
                "clean",
                "--episodes",
                "1",
                "--backend",
                "local",
                "--out",
                str(tmp_path),
                "--max-turns",
                "4",
                "--no-progress",
            ],
        )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "results.json").read_text())
    (ep,) = data["episodes"]
    assert ep["status"] == "ok" and ep["terminated"] and ep["turns"] == 2
    assert ep["requests"] == 2 and ep["retries"] == 1 and ep["prompt_tokens"] == 20
