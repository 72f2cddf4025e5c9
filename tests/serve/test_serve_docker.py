"""``agentgym serve`` with the real coding env in Docker: the oracle through openenv-core's
client reaches reward 1; sandboxes go away on disconnect and on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from openenv.core.generic_client import GenericEnvClient

from agentgym.policies import make_policy
from agentgym.serve.app import ServeConfig
from agentgym.serve.client import AgentGymClient
from agentgym.serve.environment import EnvSpec
from agentgym.serve.models import AgentGymAction
from agentgym.tasks import load_tasks
from tests.serve.conftest import free_port, running_server

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parents[2]
BUGFIX = EnvSpec(env_id="agentgym/BugFix-v0", env_kwargs={"backend": "docker", "max_turns": 12})


def _containers(pid: int | None = None) -> list[str]:
    """agentgym containers (of one owner pid); the list call does no per-container inspect,
    so a container removed meanwhile does not make it fail."""
    from agentgym.sandbox import docker_client

    rows = docker_client().api.containers(all=True, filters={"label": "agentgym.managed"})
    return [
        row["Names"][0].lstrip("/")
        for row in rows
        if pid is None or (row.get("Labels") or {}).get("agentgym.owner_pid") == str(pid)
    ]


def _oracle_episode(url: str, task_id: str) -> Any:
    tasks = {t.id: t for t in load_tasks(ROOT / "envs" / "bugfix")}
    policy = make_policy("oracle")
    with AgentGymClient(base_url=url, message_timeout_s=300).sync() as env:
        result = env.reset(seed=0, task_id=task_id)
        tools = result.observation.tools
        messages = list(result.observation.messages)
        policy.reset({"task": tasks[task_id], "seed": 0})
        while not result.done:
            turn = policy.act(messages, tools, {"task": tasks[task_id]})
            messages.append(turn.to_openai())
            result = env.step(AgentGymAction(message=turn.to_openai()))
            messages += result.observation.messages
        return result


def test_oracle_through_openenv_client_gets_reward_1() -> None:
    task_id = sorted(t.id for t in load_tasks(ROOT / "envs" / "bugfix"))[0]
    with running_server(ServeConfig(env=BUGFIX)) as (url, server):
        result = _oracle_episode(url, task_id)
        obs = result.observation
        assert result.reward == 1.0 and obs.terminated
        assert obs.reward_breakdown["status"] == "pass"
        assert obs.reward_breakdown["tests"]["fail_to_pass_passed"] >= 1
        assert obs.infrastructure_error is False and isinstance(obs.monitor_flags, list)
        deadline = time.monotonic() + 20
        while server.active_sessions and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.active_sessions == 0
        metrics = httpx.get(f"{url}/metrics").text
        assert "agentgym_episodes_done_total 1" in metrics


def test_perturbed_env_served_and_oracle_still_solves() -> None:
    spec = BUGFIX.model_copy(update={"recipe": "light"})
    task_id = sorted(t.id for t in load_tasks(ROOT / "envs" / "bugfix"))[1]
    with running_server(ServeConfig(env=spec)) as (url, _):
        assert _oracle_episode(url, task_id).reward == 1.0


def test_abrupt_disconnect_removes_the_sandbox() -> None:
    me = os.getpid()
    before = set(_containers(me))

    async def go(url: str, server: Any) -> None:
        client = GenericEnvClient(base_url=url, message_timeout_s=120)
        await client.connect()
        await client.reset(seed=0)
        assert set(_containers(me)) - before  # the session's sandbox is up
        client._ws.transport.abort()  # type: ignore[union-attr]  (no close frame)
        client._ws = None
        deadline = time.monotonic() + 30
        while server.active_sessions or set(_containers(me)) - before:
            assert time.monotonic() < deadline, "the session's sandbox outlived the disconnect"
            await asyncio.sleep(0.2)

    with running_server(ServeConfig(env=BUGFIX)) as (url, server):
        asyncio.run(go(url, server))  # closed by the disconnect, not by the server stopping


def test_sigterm_closes_every_session_and_exits() -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentgym.cli", "serve", "--port", str(port), "--backend", "docker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)

        async def open_sessions() -> list[Any]:
            clients = [GenericEnvClient(base_url=url, message_timeout_s=120) for _ in range(2)]
            for c in clients:
                await c.connect()
                await c.reset(seed=0)
            return clients

        loop = asyncio.new_event_loop()
        clients = loop.run_until_complete(open_sessions())
        assert len(_containers(proc.pid)) >= 2  # each session's sandbox (+ a warm spare)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert _containers(proc.pid) == []
        for c in clients:
            loop.run_until_complete(c.close())
        loop.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
