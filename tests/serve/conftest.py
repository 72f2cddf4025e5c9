"""A real ``agentgym serve`` (uvicorn + openenv-core's server) on a free loopback port."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("openenv.core.env_server.http_server", reason="needs agentgym[serve]")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(cfg: Any) -> Iterator[tuple[str, Any]]:
    """Serve ``cfg`` in a thread; yields (base_url, openenv server); stops and closes all."""
    import uvicorn

    from agentgym.serve.app import create_app, resolve_token

    cfg = resolve_token(cfg.model_copy(update={"port": free_port()}))
    app, server = create_app(cfg)
    uv = uvicorn.Server(
        uvicorn.Config(
            app,
            host=cfg.host,
            port=cfg.port,
            ws_max_size=cfg.max_request_bytes,
            log_level="error",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://{cfg.host}:{cfg.port}", server
    finally:
        uv.should_exit = True
        thread.join(timeout=30)
