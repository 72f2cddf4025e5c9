"""CodingEnv: the Gymnasium contract, parse errors, budgets, long episodes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import agentgym.env  # noqa: F401  (registers the ids)
from agentgym.env import ENV_IDS, CodingEnv, envs_root
from agentgym.types import Message, ToolCall


def call(name: str, **arguments: object) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


def first_task_dir() -> Path:
    return sorted(p for p in (envs_root() / "bugfix").iterdir() if (p / "task.toml").exists())[0]


REGISTRY_KWARGS = {
    "agentgym/Harbor-v0": lambda: {"path": str(first_task_dir())},
}


def _swebench_kwargs() -> dict:
    import tempfile

    from agentgym.tasks import load_task
    from agentgym.tasks.swebench import export_swebench

    out = Path(tempfile.mkdtemp(prefix="agentgym-swe-"))
    jsonl = export_swebench([load_task(first_task_dir())], out)
    return {"jsonl": str(jsonl), "repos": str(out / "repos")}


REGISTRY_KWARGS["agentgym/SWEBench-v0"] = _swebench_kwargs


@pytest.mark.docker
@pytest.mark.parametrize("env_id", list(ENV_IDS))
def test_check_env_passes_for_every_registered_id(env_id: str) -> None:
    kwargs = REGISTRY_KWARGS.get(env_id, dict)()
    env = gym.make(env_id, backend="docker", max_turns=5, **kwargs)
    try:
        check_env(env.unwrapped)
    finally:
        env.close()


def test_check_env_on_the_local_backend() -> None:
    env = gym.make("agentgym/Harbor-v0", path=str(first_task_dir()), backend="local", max_turns=5)
    try:
        check_env(env.unwrapped)
    finally:
        env.close()


def test_toy_env_is_registered_and_checks() -> None:
    assert "agentgym/ToolCall-v0" in gym.envs.registration.registry
    env = gym.make("agentgym/ToolCall-v0")
    try:
        check_env(env.unwrapped)
    finally:
        env.close()


@pytest.fixture
def local_env():
    env = CodingEnv(first_task_dir(), backend="local", max_turns=300, grade=False)
    yield env
    env.close()


def test_reset_returns_opening_conversation(local_env: CodingEnv) -> None:
    obs, info = local_env.reset(seed=1)
    assert [m["role"] for m in obs] == ["system", "user"]
    assert obs[1]["content"] == local_env.task.instruction
    assert [t["function"]["name"] for t in info["tools"]] == ["bash", "editor", "search", "submit"]
    assert info["backend"] == "local"


def test_parse_errors_and_chatter_become_observations(local_env: CodingEnv) -> None:
    local_env.reset(seed=0)
    obs, reward, term, trunc, info = local_env.step(
        '<tool_call>\n{"name": "bash", "arguments": {"command": "ls"\n'
    )
    assert "could not be parsed" in obs[0]["content"] and info["parse_error"]
    assert (reward, term, trunc) == (0.0, False, False)
    obs, *_ = local_env.step("I think the bug is in the parser.")
    assert "No tool call found" in obs[0]["content"]
    obs, *_ = local_env.step(call("bsh", command="ls"))
    assert obs[0]["role"] == "tool" and "Unknown tool 'bsh'" in obs[0]["content"]
    obs, *_ = local_env.step(call("bash", cmd="ls"))
    assert obs[0]["role"] == "tool" and "'command' is a required property" in obs[0]["content"]
    obs, *_ = local_env.step(
        Message(
            role="assistant", tool_calls=[ToolCall(name="bash", arguments={"command": "echo hi"})]
        )
    )
    assert obs[0]["content"].startswith("hi\n") and obs[0]["tool_call_id"] == "call_5_0"


def test_reasoning_is_kept_in_the_conversation(local_env: CodingEnv) -> None:
    local_env.reset(seed=0)
    local_env.step("<think>look first</think>\n\n" + call("bash", command="ls"))
    assistant = local_env.messages[2]
    assert assistant.reasoning == "look first" and assistant.tool_calls[0].name == "bash"
    assert "look first" in local_env.prompt()


def test_parallel_calls_and_submit_stop_the_episode(local_env: CodingEnv) -> None:
    local_env.reset(seed=0)
    obs, _, term, trunc, _ = local_env.step(
        call("bash", command="echo a")
        + "\n"
        + call("submit")
        + "\n"
        + call("bash", command="echo never")
    )
    assert term and not trunc
    assert [m["name"] for m in obs] == ["bash", "submit"]
    with pytest.raises(Exception, match="episode is over"):
        local_env.step(call("bash", command="ls"))


def test_turn_budget_truncates() -> None:
    env = CodingEnv(first_task_dir(), backend="local", max_turns=3, grade=False)
    try:
        env.reset(seed=0)
        results = [env.step(call("bash", command="true")) for _ in range(3)]
        assert [r[3] for r in results] == [False, False, True]
        assert results[-1][4]["truncated_by"] == "max_turns=3"
    finally:
        env.close()


def test_two_hundred_turns_without_slowing_down(local_env: CodingEnv) -> None:
    local_env.render_prompt = True
    local_env.reset(seed=0)
    times = []
    for i in range(200):
        t = time.perf_counter()
        obs, _, term, trunc, info = local_env.step(
            f"<think>step {i}</think>\n" + call("bash", command=f"echo {i}")
        )
        times.append(time.perf_counter() - t)
        assert obs[0]["content"].startswith(f"{i}\n") and not term and not trunc
    assert len(local_env.messages) == 2 + 400
    assert "step 199" in info["prompt"]
    first, last = sorted(times[:20])[10], sorted(times[-20:])[10]
    assert last < first * 3 + 0.01, (first, last)


def test_same_seed_same_episode() -> None:
    def run() -> list:
        env = CodingEnv(envs_root() / "bugfix", backend="local", grade=False)
        try:
            out = [env.reset(seed=7)[0]]
            out.append(env.step(call("bash", command="git status --short | head -3; echo done"))[0])
            return out
        finally:
            env.close()

    assert run() == run()


def test_monitor_flags_reach_info_and_trajectory() -> None:
    env = CodingEnv(first_task_dir(), backend="local", max_turns=10)
    try:
        env.reset(seed=0)
        *_, info = env.step(call("bash", command="cat /logs/verifier/reward.txt 2>/dev/null; true"))
        assert any(f["rule_id"].startswith("probe.") for f in info["monitor_flags"])
        *_, info = env.step(call("submit", summary="I give up, I cannot solve this"))
        assert info["monitor"]["counts_by_kind"].get("probe", 0) >= 1
        kinds = {f["kind"] for f in env.trajectory.monitor_flags}
        assert {"probe", "give_up"} <= kinds
        assert env.trajectory.reward == 0.0  # no change: the grader says fail
        assert info["reward_breakdown"]["status"] == "fail"
    finally:
        env.close()


def test_a_broken_sandbox_ends_the_episode_as_infrastructure_error() -> None:
    env = CodingEnv(first_task_dir(), backend="local", max_turns=10)
    try:
        env.reset(seed=0)
        env.sandbox.close()  # the sandbox dies under the episode
        obs, reward, term, trunc, info = env.step(call("bash", command="echo hi"))
        assert "sandbox failed" in obs[0]["content"]
        assert info["infrastructure_error"] and trunc and not term and reward == 0.0
        assert info["truncated_by"] == "infrastructure_error" and "grade" not in info
    finally:
        env.close()


@pytest.mark.docker
@pytest.mark.parametrize("keep", [False, True])
def test_the_episode_container_goes_when_the_episode_ends(keep: bool) -> None:
    import os

    from agentgym.sandbox import docker_client

    def mine() -> int:
        rows = docker_client().api.containers(all=True, filters={"label": "agentgym.managed"})
        return sum(r["Labels"].get("agentgym.owner_pid") == str(os.getpid()) for r in rows)

    env = CodingEnv(first_task_dir(), backend="docker", pool_size=0, release_on_done=not keep)
    try:
        env.reset(seed=0)
        assert mine() == 1
        *_, terminated, _truncated, info = env.step(call("submit"))
        assert terminated and info["grade"]["status"] in ("pass", "fail")
        assert (env.sandbox is not None) is keep  # kept only when asked, to inspect it
        assert mine() == (1 if keep else 0)
        with pytest.raises(Exception, match="the episode is over"):
            env.step(call("bash", command="true"))
    finally:
        env.close()
    assert mine() == 0
