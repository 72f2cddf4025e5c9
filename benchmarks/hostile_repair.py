"""How long a sandbox takes to come back after what a hostile agent does to it.

    python benchmarks/hostile_repair.py [--backends docker,bwrap] [--timeout 5]

For each hostile command (fork bombs, `rm -rf /`, deleted /dev/null, `ulimit -n 4`, ...):
the time of the hostile command itself, then of the next command until one runs cleanly
(the repair is done inside these calls), and the note the agent read. Baseline in the same
run: a plain `echo` round trip. Writes benchmarks/results/hostile_repair.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agentgym.sandbox import LocalSandbox, SandboxConfig, SandboxLimits

RESULTS = Path(__file__).parent / "results" / "hostile_repair.json"
CASES = {
    "bash fork bomb": ":(){ :|:& };:",
    "python fork loop": "python3 -c 'import os\nwhile True:\n  try: os.fork()\n  except OSError: pass'",
    "bomb in background": "(:(){ :|:& };:) & echo started",
    "memory bomb": "python3 -c 'x = bytearray(1 << 31); x[::4096] = b\"x\" * len(x[::4096])'",
    "rm -f /dev/null": "rm -f /dev/null",
    "rm -rf /": "rm -rf --no-preserve-root / 2>/dev/null; echo done",
    "ulimit -n 4": "ulimit -n 4",
    "PATH clobbered": "export PATH=/nowhere",
}
CHECK = "echo alive; [ -c /dev/null ] && echo devnull"


def open_sandbox(kind: str, timeout: float) -> object:
    limits = SandboxLimits(command_timeout_s=timeout, memory_mb=512, pids=128)
    if kind == "docker":
        from agentgym.sandbox.docker import DockerSandbox

        return DockerSandbox(SandboxConfig(type="docker", limits=limits))
    return LocalSandbox(SandboxConfig(type="local", limits=limits), use_bwrap=True)


def run_case(kind: str, command: str, timeout: float) -> dict:
    sb = open_sandbox(kind, timeout)
    try:
        t = time.perf_counter()
        for _ in range(20):
            sb.run("echo x")
        echo_ms = (time.perf_counter() - t) / 20 * 1e3
        t = time.perf_counter()
        first = sb.run(command)
        hostile_s = time.perf_counter() - t
        notes = [first.note or ""]
        t = time.perf_counter()
        attempt = 0
        for attempt in range(1, 4):  # noqa: B007 (reported below)
            res = sb.run(CHECK)
            notes.append(res.note or "")
            if "alive\ndevnull" in res.output:
                break
        back_s = time.perf_counter() - t
        return {
            "hostile_s": round(hostile_s, 3),
            "back_s": round(back_s, 3),
            "attempts": attempt,
            "recovered": "alive\ndevnull" in res.output,
            "echo_ms": round(echo_ms, 3),
            "note": " | ".join(n for n in notes if n)[:300],
        }
    finally:
        sb.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="docker,bwrap")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    results: dict = {"machine": platform.platform(), "timeout_s": args.timeout, "cases": {}}
    table = Table(title="hostile command -> sandbox back (seconds)")
    for col in ("backend", "case", "hostile cmd", "until clean", "vs echo", "recovered"):
        table.add_column(col)
    for kind in args.backends.split(","):
        for name, command in CASES.items():
            r = run_case(kind, command, args.timeout)
            results["cases"][f"{kind}/{name}"] = r
            ratio = (r["hostile_s"] + r["back_s"]) * 1e3 / max(r["echo_ms"], 1e-3)
            table.add_row(
                kind,
                name,
                f"{r['hostile_s']:.2f}",
                f"{r['back_s']:.2f}",
                f"{ratio:,.0f}x",
                str(r["recovered"]),
            )
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
