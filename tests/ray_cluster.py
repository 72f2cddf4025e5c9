"""A real 2-node Ray cluster on this machine for tests: ``ray start --head`` and a second
``ray start --address``, one CPU each, in a temp dir of their own."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ray_cli() -> str:
    local = Path(sys.executable).parent / "ray"
    return str(local) if local.exists() else (shutil.which("ray") or "ray")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _own_processes(marker: str) -> list[int]:
    """Pids of the Ray processes of this cluster (their command lines name its temp dir)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd and int(entry.name) != os.getpid():
            pids.append(int(entry.name))
    return pids


@contextlib.contextmanager
def local_cluster() -> Iterator[str]:
    """A head and a second node, one CPU each, in a temp dir of their own; stopped by pid
    (never `ray stop`, which would stop every Ray on the machine)."""
    temp = tempfile.mkdtemp(prefix="agentgym-ray-")
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    common = ["--num-cpus=1", "--object-store-memory=80000000", "--disable-usage-stats"]
    head = [_ray_cli(), "start", "--head", f"--port={port}", f"--temp-dir={temp}"]
    head += ["--include-dashboard=false", *common]
    second = [_ray_cli(), "start", f"--address=127.0.0.1:{port}", *common]
    try:
        for cmd in (head, second):
            subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=180)
        yield f"127.0.0.1:{port}"
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        for pid in _own_processes(temp):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(temp, ignore_errors=True)
