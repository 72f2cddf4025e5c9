"""``agentgym serve``: agentgym envs over OpenEnv's HTTP/WebSocket protocol.

The protocol is openenv-core's own server (``HTTPEnvServer``: ``/reset``, ``/step``,
``/state``, ``/schema``, ``/health``, ``/metadata`` and the ``/ws`` session endpoint), so
openenv-core's ``EnvClient`` and the trainers that speak OpenEnv work unmodified. agentgym
adds what a shared service needs around it:

- one env + sandbox per WebSocket session, a cap on sessions with a clear "busy, retry
  after N s" answer (WebSocket: OpenEnv's ``CAPACITY_REACHED`` error; HTTP: 503 with
  ``Retry-After``), never a queue that hangs;
- an idle-session timeout, and every sandbox closed when its session ends, times out or
  disconnects, and on SIGTERM (uvicorn's graceful shutdown, then ``close_all``);
- a token for anything but loopback (``Authorization: Bearer``, or HTTP Basic with the
  token as password, which is what ``ws://user:TOKEN@host`` sends), request size limits,
  4xx answers with a message for malformed requests;
- ``GET /metrics`` in Prometheus text format.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hmac
import ipaddress
import json
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentgym.errors import AgentGymError, ConfigError
from agentgym.serve.environment import (
    AgentGymEnvironment,
    EnvSpec,
    ServeError,
    close_all_envs,
    jsonable,
)
from agentgym.serve.metrics import ServeMetrics

TOKEN_ENV = "AGENTGYM_SERVE_TOKEN"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ServeConfig(BaseModel):
    """Everything ``agentgym serve`` takes."""

    model_config = ConfigDict(extra="forbid")

    env: EnvSpec = Field(default_factory=EnvSpec)
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    max_sessions: int = Field(default=8, ge=1)
    idle_timeout_s: float | None = Field(default=300.0, gt=0)
    max_request_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    retry_after_s: int = Field(default=2, ge=1)
    graceful_s: float = Field(default=10.0, ge=0)
    log_level: str = "warning"


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_token(cfg: ServeConfig) -> ServeConfig:
    """The token from the config or ``$AGENTGYM_SERVE_TOKEN``; refuse an open non-loopback bind."""
    token = cfg.token or os.environ.get(TOKEN_ENV) or None
    if not is_loopback(cfg.host) and not token:
        raise ConfigError(
            f"binding to {cfg.host} exposes sandboxes to the network: give a token with "
            f"--token or ${TOKEN_ENV} (clients send 'Authorization: Bearer <token>', or use "
            "ws://agentgym:<token>@host:port with openenv's EnvClient), or bind to 127.0.0.1"
        )
    if token is not None and len(token) < 16:
        raise ConfigError("the token must be at least 16 characters (try `openssl rand -hex 24`)")
    return cfg.model_copy(update={"token": token})


def busy_message(active: int, cap: int, retry_after: int) -> str:
    return (
        f"server busy: {active}/{cap} sessions in use; retry after {retry_after} s "
        "(or raise --max-sessions)"
    )


def _server_class() -> type:
    from openenv.core.env_server.exceptions import SessionCapacityError
    from openenv.core.env_server.http_server import HTTPEnvServer
    from openenv.core.env_server.types import ConcurrencyConfig

    from agentgym.serve.models import AgentGymAction, AgentGymObservation

    class AgentGymServer(HTTPEnvServer):
        """openenv-core's server with session accounting, our idle reaper and close_all."""

        def __init__(self, cfg: ServeConfig, metrics: ServeMetrics) -> None:
            self.cfg, self.metrics = cfg, metrics
            self.http_inflight = 0
            self._busy: dict[str, int] = {}  # session id -> calls running now
            factory = functools.partial(AgentGymEnvironment, cfg.env, metrics)
            super().__init__(
                factory,
                AgentGymAction,
                AgentGymObservation,
                # openenv's own reaper stays off: ours skips sessions with a call in flight
                concurrency_config=ConcurrencyConfig(
                    max_concurrent_envs=cfg.max_sessions, session_timeout=None
                ),
            )
            metrics.sessions_max = cfg.max_sessions

        async def _create_session(self) -> tuple[str, Any]:
            try:
                session_id, env = await super()._create_session()
            except SessionCapacityError as exc:
                self.metrics.error("busy")
                raise SessionCapacityError(
                    exc.active_sessions,
                    exc.max_sessions,
                    message=busy_message(
                        exc.active_sessions, exc.max_sessions, self.cfg.retry_after_s
                    ),
                ) from None
            self.metrics.session_opened()
            return session_id, env

        async def _destroy_session(self, session_id: str) -> None:
            had = session_id in self._sessions
            await super()._destroy_session(session_id)
            self._busy.pop(session_id, None)
            if had:
                self.metrics.session_closed()

        async def _run_in_session_executor(
            self, session_id: str, func: Callable[..., Any], *args: Any, **kwargs: Any
        ) -> Any:
            # A long step (grading) is activity too: the reaper never closes a busy session.
            self._busy[session_id] = self._busy.get(session_id, 0) + 1
            self._update_session_activity(session_id)
            try:
                return await super()._run_in_session_executor(session_id, func, *args, **kwargs)
            finally:
                if session_id in self._busy:
                    self._busy[session_id] -= 1
                self._update_session_activity(session_id)

        def _start_reaper(self) -> None:
            if self.cfg.idle_timeout_s is not None and self._reaper_task is None:
                self._reaper_task = asyncio.create_task(self._reap(self.cfg.idle_timeout_s))

        async def _reap(self, timeout: float) -> None:
            interval = min(max(timeout / 4, 0.25), 5.0)
            while True:
                await asyncio.sleep(interval)
                wall = time.time()
                stale = [
                    sid
                    for sid, info in list(self._session_info.items())
                    if wall - info.last_activity_at > timeout and not self._busy.get(sid)
                ]
                for sid in stale:
                    env = self._sessions.get(sid)
                    if isinstance(env, AgentGymEnvironment):
                        env.expired_after = timeout
                    self.metrics.error("idle_timeout")
                    try:
                        await self._destroy_session(sid)
                    except Exception:  # the reaper must outlive one bad close
                        self.metrics.error("close_failed")

        async def close_all(self) -> int:
            """Close every session's env (and sandbox); how many there were."""
            ids = list(self._sessions)
            for sid in ids:
                await self._destroy_session(sid)
            return len(ids)

        def at_capacity(self) -> bool:
            return len(self._sessions) >= self.cfg.max_sessions

        def busy(self) -> str | None:
            """A busy message when a new stateless HTTP episode would pass the cap."""
            active = len(self._sessions) + self.http_inflight
            if active >= self.cfg.max_sessions:
                return busy_message(active, self.cfg.max_sessions, self.cfg.retry_after_s)
            return None

    return AgentGymServer


# --- the guard in front of every request -----------------------------------------------


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def token_ok(scope: Scope, token: str) -> bool:
    """Bearer token, ``X-AgentGym-Token``, or HTTP Basic with the token as password."""
    offered: list[str] = []
    auth = _header(scope, b"authorization") or ""
    scheme, _, rest = auth.partition(" ")
    if scheme.lower() == "bearer":
        offered.append(rest.strip())
    elif scheme.lower() == "basic":
        try:
            _, _, password = base64.b64decode(rest.strip()).decode("utf-8").partition(":")
            offered.append(password)
        except (ValueError, UnicodeDecodeError):
            pass
    extra = _header(scope, b"x-agentgym-token")
    if extra:
        offered.append(extra.strip())
    return any(hmac.compare_digest(o.encode(), token.encode()) for o in offered)


async def _json(send: Send, status: int, body: dict[str, Any], headers: list[Any] = ()) -> None:  # type: ignore[assignment]
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def _step_body_problem(receive: Any) -> str | None:
    """openenv-core's ``deserialize_action`` looks ``action["type"]`` up in a dict before
    validating: a list or dict there would raise TypeError (a 500). Refuse it first."""
    try:
        body = json.loads(receive.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None  # FastAPI answers malformed JSON with a 422 itself
    action = body.get("action") if isinstance(body, dict) else None
    if isinstance(action, dict) and "type" in action and not isinstance(action["type"], str):
        return "action.type must be a string (agentgym actions have no 'type' field)"
    return None


def _quiet_close(send: Send) -> Send:
    """openenv-core closes the socket after the client already did; that is not an error."""

    async def wrapped(message: Message) -> None:
        try:
            await send(message)
        except Exception:
            if message.get("type") != "websocket.close":
                raise

    return wrapped


class Guard:
    """ASGI middleware: token, request size, back-pressure for stateless HTTP episodes."""

    def __init__(self, app: Any, server: Any, cfg: ServeConfig, metrics: ServeMetrics) -> None:
        self.app, self.server, self.cfg, self.metrics = app, server, cfg, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self.cfg.token and not token_ok(scope, self.cfg.token):
            self.metrics.error("unauthorized")
            if kind == "websocket":
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008, "reason": "unauthorized"})
                return
            await _json(
                send,
                401,
                {
                    "detail": "missing or wrong token: send 'Authorization: Bearer <token>' "
                    "(openenv's EnvClient: base_url='http://agentgym:<token>@host:port')"
                },
                [(b"www-authenticate", b"Bearer")],
            )
            return
        if kind == "websocket":
            if scope.get("path") == "/ws" and self.server.at_capacity():
                await self._busy_websocket(receive, send)
                return
            await self.app(scope, receive, _quiet_close(send))
            return
        receive = await self._limited_body(scope, receive, send)
        if receive is None:
            return
        if scope["method"] == "POST" and scope["path"] == "/step":
            problem = _step_body_problem(receive)
            if problem is not None:
                self.metrics.error("bad_request")
                await _json(send, 422, {"detail": problem})
                return
        episode = scope["method"] == "POST" and scope["path"] in ("/reset", "/step")
        if episode:
            why = self.server.busy()
            if why is not None:
                self.metrics.error("busy")
                retry = str(self.cfg.retry_after_s).encode()
                await _json(send, 503, {"detail": why}, [(b"retry-after", retry)])
                return
            self.server.http_inflight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            if episode:
                self.server.http_inflight -= 1

    async def _busy_websocket(self, receive: Receive, send: Send) -> None:
        """Answer the session's first message with OpenEnv's CAPACITY_REACHED error, then
        close (1013, try again later): the client reads "busy, retry after", never waits."""
        self.metrics.error("busy")
        active, cap = len(self.server._sessions), self.cfg.max_sessions
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        try:
            first = await asyncio.wait_for(receive(), timeout=10)
        except TimeoutError:
            first = {"type": "websocket.receive"}
        if first["type"] == "websocket.receive":
            error = {
                "type": "error",
                "data": {
                    "message": busy_message(active, cap, self.cfg.retry_after_s),
                    "code": "CAPACITY_REACHED",
                    "active_sessions": active,
                    "max_sessions": cap,
                    "retry_after_s": self.cfg.retry_after_s,
                },
            }
            await _quiet_close(send)({"type": "websocket.send", "text": json.dumps(error)})
        await _quiet_close(send)({"type": "websocket.close", "code": 1013, "reason": "busy"})

    async def _limited_body(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Read the body up to the limit; answer 413 past it. The app reads the copy."""
        limit = self.cfg.max_request_bytes
        declared = _header(scope, b"content-length")
        too_big = {"detail": f"request body larger than {limit} bytes (--max-request-bytes)"}
        if declared is not None and declared.isdigit() and int(declared) > limit:
            self.metrics.error("too_large")
            await _json(send, 413, too_big)
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                self.metrics.error("too_large")
                await _json(send, 413, too_big)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        replay.body = body  # type: ignore[attr-defined]
        return replay


# --- the app ----------------------------------------------------------------------------


def create_app(cfg: ServeConfig) -> tuple[Any, Any]:
    """``(asgi_app, server)``: openenv-core's FastAPI app with agentgym's additions."""
    try:
        from fastapi import FastAPI, Request
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import JSONResponse, PlainTextResponse
        from starlette.exceptions import HTTPException as StarletteHTTPException
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise ConfigError(
            "agentgym serve needs the serve extra: pip install 'agentgym[serve]'"
        ) from exc
    from pydantic import ValidationError

    metrics = ServeMetrics()
    server = _server_class()(cfg, metrics)
    app = FastAPI(
        title=f"agentgym {cfg.env.env_id} (OpenEnv protocol)",
        description="agentgym coding environments served with openenv-core's server.",
    )
    server.register_routes(app)

    @app.get("/metrics", tags=["Health"], summary="Prometheus metrics")
    async def metrics_route() -> PlainTextResponse:
        return PlainTextResponse(
            metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    async def close_sessions() -> None:
        await server.close_all()
        # sessions uvicorn's shutdown already cut off may still be closing on their threads
        await asyncio.get_running_loop().run_in_executor(None, close_all_envs)

    app.router.on_shutdown.append(close_sessions)

    # The env counts its own errors in /metrics; these only answer.
    @app.exception_handler(ServeError)
    async def serve_error(request: Request, exc: ServeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(AgentGymError)
    async def agentgym_error(request: Request, exc: AgentGymError) -> JSONResponse:
        return JSONResponse({"detail": f"{type(exc).__name__}: {exc}"}, status_code=400)

    @app.exception_handler(ValidationError)
    async def validation_error(request: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": json.loads(exc.json(include_url=False, include_input=False))},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # openenv-core puts pydantic's errors() (exception objects inside) in the detail
        if exc.status_code in (400, 422):
            metrics.error("bad_request")
        return JSONResponse(
            {"detail": jsonable(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def request_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        metrics.error("bad_request")
        return JSONResponse({"detail": jsonable(exc.errors())}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": f"internal error: {type(exc).__name__}: {exc}"[:2000]}, status_code=500
        )

    return Guard(app, server, cfg, metrics), server


def serve(cfg: ServeConfig, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Run the server until SIGTERM / Ctrl-C; every session's sandbox is closed on the way out."""
    import uvicorn

    cfg = resolve_token(cfg)
    app, _ = create_app(cfg)
    config = uvicorn.Config(
        app,
        host=cfg.host,
        port=cfg.port,
        ws_max_size=cfg.max_request_bytes,
        log_level=cfg.log_level,
        timeout_graceful_shutdown=cfg.graceful_s,
        lifespan="on",
    )
    uv = uvicorn.Server(config)
    if on_ready is not None:
        on_ready(f"http://{cfg.host}:{cfg.port}")
    try:
        # uvicorn handles SIGTERM/SIGINT: stop accepting, close the sockets, run the lifespan
        # shutdown (close_sessions above, which waits for every sandbox), then re-raise it.
        uv.run()
    finally:
        close_all_envs()  # anything the shutdown did not reach


__all__ = [
    "Guard",
    "ServeConfig",
    "create_app",
    "is_loopback",
    "resolve_token",
    "serve",
    "token_ok",
]
