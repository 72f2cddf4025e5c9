"""``agentgym serve`` speaks OpenEnv: openenv-core's own clients against the real server.

These run on the Docker-free toy env (``agentgym/ToolCall-v0``); the coding env over Docker
is in test_serve_docker.py.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openenv.core.generic_client import GenericEnvClient
from pydantic import ValidationError

from agentgym.errors import ConfigError
from agentgym.serve.app import ServeConfig, resolve_token, token_ok
from agentgym.serve.client import AgentGymClient
from agentgym.serve.environment import EnvSpec
from agentgym.serve.models import AgentGymAction
from agentgym.train.toy_env import canonical_call
from tests.serve.conftest import running_server

TOY = EnvSpec(env_id="agentgym/ToolCall-v0")
TOKEN = "t" * 8 + "0123456789abcdef"


def toy(**kw: object) -> ServeConfig:
    return ServeConfig(env=TOY, **kw)  # type: ignore[arg-type]


def test_openenv_clients_drive_an_episode_to_reward_1() -> None:
    with running_server(toy()) as (url, _):
        with AgentGymClient(base_url=url).sync() as env:
            first = env.reset(seed=3)
            info = first.observation.info
            assert first.observation.messages[0]["role"] == "user"
            assert info["value"] in first.observation.messages[0]["content"]
            result = env.step(
                AgentGymAction(completion=canonical_call(info["tool"], info["value"]))
            )
            assert result.reward == 1.0 and result.done
            assert result.observation.terminated and not result.observation.infrastructure_error
            state = env.state()
            assert state.step_count == 1 and state.done and state.seed == 3
        # the dict client openenv-core ships, no agentgym code on the client side
        with GenericEnvClient(base_url=url).sync() as env:
            obs = env.reset(seed=3).observation
            result = env.step({"completion": canonical_call(obs["info"]["tool"], "wrong")})
            assert result.reward < 1.0 and result.done


def test_same_seed_same_episode_over_the_wire() -> None:
    with running_server(toy()) as (url, _):
        seen = []
        for _ in range(2):
            with GenericEnvClient(base_url=url).sync() as env:
                seen.append(env.reset(seed=11).observation["messages"])
        assert seen[0] == seen[1]


def test_http_endpoints_and_clear_4xx() -> None:
    with running_server(toy()) as (url, _), httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/health").json()["status"] == "healthy"
        schema = http.get("/schema").json()
        assert {"completion", "message"} <= set(schema["action"]["properties"])
        assert "reward_breakdown" in schema["observation"]["properties"]
        reset = http.post("/reset", json={"seed": 1})
        assert reset.status_code == 200 and reset.json()["observation"]["messages"]
        # stateless HTTP step: a 409 that says to use the WebSocket session
        step = http.post("/step", json={"action": {"completion": "x"}})
        assert step.status_code == 409 and "/ws" in step.json()["detail"]
        bad = http.post("/step", json={"action": {"completion": "x", "message": {}}})
        assert bad.status_code == 422
        assert http.post("/reset", content=b"{not json").status_code == 422
        unknown = http.post("/reset", json={"seed": 1, "colour": "red"})
        assert unknown.status_code == 400 and "colour" in unknown.json()["detail"]
        assert http.get("/state").status_code == 200
        for r in (step, bad, unknown):
            assert "Traceback" not in r.text


def test_websocket_errors_keep_the_session() -> None:
    async def go(url: str) -> None:
        client = GenericEnvClient(base_url=url)
        async with client:
            with pytest.raises(RuntimeError, match="call reset first"):
                await client.step({"completion": "hi"})
            with pytest.raises(RuntimeError, match=r"VALIDATION_ERROR|exactly one"):
                await client.step({"completion": "a", "message": {"content": "b"}})
            with pytest.raises(RuntimeError, match="unknown reset field"):
                await client.reset(colour="red")
            # garbage on the socket: an error answer, and the session still works
            await client._ws.send("{oops")  # type: ignore[union-attr]
            reply = json.loads(await client._ws.recv())  # type: ignore[union-attr]
            assert reply["type"] == "error" and reply["data"]["code"] == "INVALID_JSON"
            obs = (await client.reset(seed=2)).observation
            assert obs["messages"]

    with running_server(toy()) as (url, _):
        asyncio.run(go(url))


def test_capacity_answers_busy_with_retry_after_never_hangs() -> None:
    async def go(url: str) -> None:
        first = GenericEnvClient(base_url=url)
        async with first:
            await first.reset(seed=0)
            second = GenericEnvClient(base_url=url, message_timeout_s=10)
            started = time.monotonic()
            with pytest.raises(RuntimeError, match=r"CAPACITY_REACHED") as err:
                async with second:
                    await second.reset(seed=0)
            assert "retry after 2 s" in str(err.value)
            assert time.monotonic() - started < 5
            async with httpx.AsyncClient(base_url=url) as http:
                busy = await http.post("/reset", json={})
                assert busy.status_code == 503 and busy.headers["retry-after"] == "2"
                assert "busy" in busy.json()["detail"]
        # the slot is free again once the first session left
        async with GenericEnvClient(base_url=url) as third:
            assert (await third.reset(seed=0)).observation["messages"]

    with running_server(toy(max_sessions=1)) as (url, _):
        asyncio.run(go(url))


def test_idle_sessions_are_closed() -> None:
    async def go(url: str, server: object) -> None:
        client = GenericEnvClient(base_url=url)
        async with client:
            await client.reset(seed=0)
            assert server.active_sessions == 1  # type: ignore[attr-defined]
            deadline = time.monotonic() + 10
            while server.active_sessions and time.monotonic() < deadline:  # type: ignore[attr-defined]
                await asyncio.sleep(0.2)
            assert server.active_sessions == 0  # type: ignore[attr-defined]
            with pytest.raises(RuntimeError, match="idle"):
                await client.step({"completion": "late"})

    with running_server(toy(idle_timeout_s=1.0)) as (url, server):
        asyncio.run(go(url, server))


def test_token_required_off_loopback_and_enforced() -> None:
    with pytest.raises(ConfigError, match="token"):
        resolve_token(toy(host="0.0.0.0"))
    with pytest.raises(ConfigError, match="16 characters"):
        resolve_token(toy(host="0.0.0.0", token="short"))
    assert resolve_token(toy(host="0.0.0.0", token=TOKEN)).token == TOKEN
    with running_server(toy(token=TOKEN)) as (url, _):
        with httpx.Client(base_url=url) as http:
            assert http.get("/health").status_code == 401
            assert http.get("/metrics").status_code == 401
            ok = http.get("/health", headers={"Authorization": f"Bearer {TOKEN}"})
            assert ok.status_code == 200
            assert http.get("/health", headers={"Authorization": "Bearer nope"}).status_code == 401
        with pytest.raises(ConnectionError), GenericEnvClient(base_url=url).sync() as env:
            env.reset()
        # openenv's client unmodified: the token rides in the URL as a Basic password
        authed = url.replace("http://", f"http://agentgym:{TOKEN}@")
        with GenericEnvClient(base_url=authed).sync() as env:
            assert env.reset(seed=0).observation["messages"]


def test_request_size_limits() -> None:
    with running_server(toy(max_request_bytes=4096)) as (url, _):
        with httpx.Client(base_url=url) as http:
            big = http.post("/reset", json={"episode_id": "x" * 10_000})
            assert big.status_code == 413 and "4096" in big.json()["detail"]

        async def go() -> None:
            client = GenericEnvClient(base_url=url)
            async with client:
                await client.reset(seed=0)
                with pytest.raises(Exception):  # noqa: B017  (the socket is closed: 1009)
                    await client.step({"completion": "y" * 10_000})

        asyncio.run(go())


def test_metrics_are_prometheus_text() -> None:
    parser = pytest.importorskip("prometheus_client.parser")
    with running_server(toy()) as (url, _):
        with GenericEnvClient(base_url=url).sync() as env:
            obs = env.reset(seed=1).observation
            env.step({"completion": canonical_call(obs["info"]["tool"], obs["info"]["value"])})
        text = httpx.get(f"{url}/metrics").text
    families = {f.name: f for f in parser.text_string_to_metric_families(text)}
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert samples[("agentgym_steps_total", ())] == 1
    assert samples[("agentgym_resets_total", ())] == 1
    assert samples[("agentgym_sessions_total", ())] == 1
    assert families["agentgym_step_latency_seconds"].type == "summary"
    assert ("agentgym_step_latency_seconds", (("quantile", "0.95"),)) in samples


PAYLOADS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["completion", "message", "metadata", "type", "x"]), PAYLOADS, max_size=4
    )
)
def test_any_action_payload_validates_or_raises_validation_error(payload: dict) -> None:
    try:
        action = AgentGymAction.model_validate(payload)
    except ValidationError as exc:
        json.dumps(exc.errors(include_url=False, include_input=False))  # openenv sends these
        return
    assert (action.completion is None) != (action.message is None)
    action.to_env_action()


def test_any_http_step_body_gets_a_4xx_never_a_500() -> None:
    bodies = st.one_of(
        st.binary(max_size=60),
        st.dictionaries(st.sampled_from(["action", "timeout_s", "x"]), PAYLOADS, max_size=3).map(
            json.dumps
        ),
        st.dictionaries(
            st.sampled_from(["completion", "message", "type", "metadata"]), PAYLOADS, max_size=3
        ).map(lambda a: json.dumps({"action": a})),
    )
    with running_server(toy()) as (url, _), httpx.Client(base_url=url) as http:

        @settings(max_examples=150, deadline=None)
        @given(bodies)
        def check(body: bytes | str) -> None:
            r = http.post("/step", content=body, headers={"content-type": "application/json"})
            assert 400 <= r.status_code < 500, (r.status_code, r.text)
            assert "Traceback" not in r.text

        check()


@given(st.text(max_size=80), st.binary(max_size=80))
def test_token_check_never_raises(header: str, raw: bytes) -> None:
    for value in (header.encode("utf-8", "replace"), raw, b"Basic " + raw, b"Bearer " + raw):
        scope = {"headers": [(b"authorization", value)]}
        assert token_ok(scope, TOKEN) is False or value.endswith(TOKEN.encode())
