"""Soak: N concurrent episodes for T minutes, in process or through ``agentgym serve``.

    python benchmarks/soak.py --concurrency 32 --minutes 10            # in process
    python benchmarks/soak.py --concurrency 16 --minutes 5 --served    # 16 WebSocket clients

The oracle plays mixed bundled tasks (every pack) under mixed recipes; a share of the
episodes (``--hostile``) first runs a hostile command (fork bomb, memory bomb, endless
output) and then goes on with the oracle. ``--layout trainer`` (default): each worker owns
one env, as a trainer's rollout workers do (worker i: pack and recipe i mod 6, tasks and
seeds vary); ``--layout matrix``: each worker keeps one env per (pack, recipe) it meets, as
``agentgym bench`` does over a matrix of conditions (6 envs per worker, each holding its
last episode until its next reset). Reported: episodes/min, errors by kind, RSS of
the process that owns the sandboxes (growth after warm-up), its open fds, containers left
after the run, and p50/p95 step latency per window. Writes benchmarks/results/soak*.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import gymnasium as gym

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentgym.policies import make_policy  # noqa: E402
from agentgym.policies.toolmatch import rank  # noqa: E402
from agentgym.rollout import EpisodeSpec, make_env  # noqa: E402
from agentgym.rollout.envs import load_recipe_by_name  # noqa: E402
from agentgym.rollout.runner import run_episode  # noqa: E402
from agentgym.sandbox import (  # noqa: E402
    heap_stats,
    limit_malloc_arenas,
    shared_warm_budget,
    trim_heap_every,
)
from agentgym.types import Message, ToolCall  # noqa: E402

PACKS = {"agentgym/BugFix-v0": "bugfix", "agentgym/Feature-v0": "feature"}
RECIPES = ["clean", "light", "heavy"]
HOSTILE = {
    "fork_bomb": ":(){ :|:& };:",
    "memory_bomb": "python3 -c \"x=[]\nwhile True: x.append(' ' * 10**7)\"",
    "endless_output": "yes agentgym-soak",
}
RESULTS = ROOT / "benchmarks" / "results"


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def containers_of(pid: int) -> int:
    from agentgym.sandbox import docker_client

    rows = docker_client().api.containers(all=True, filters={"label": "agentgym.managed"})
    return sum((r.get("Labels") or {}).get("agentgym.owner_pid") == str(pid) for r in rows)


class HostileThenOracle:
    """First turn: one hostile shell command; then the oracle as usual."""

    name = "hostile"

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.oracle = make_policy("oracle")
        self.done_hostile = False

    def reset(self, info: dict[str, Any]) -> None:
        self.oracle.reset(info)
        self.done_hostile = False

    def act(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: Any) -> Any:
        if not self.done_hostile:
            self.done_hostile = True
            shell = rank(tools, "shell")[0]
            args = shell.arguments(HOSTILE[self.kind])
            call = ToolCall(id="hostile_0", name=shell.tool, arguments=args)
            return Message(role="assistant", content=None, tool_calls=[call])
        return self.oracle.act(messages, tools, info)


class LastInfo(gym.Wrapper):
    """Keeps the info of the last step (the grade's flags and test log, for the report)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.info: dict[str, Any] = {}

    def reset(self, **kwargs: Any) -> Any:
        obs, self.info = self.env.reset(**kwargs)
        return obs, self.info

    def step(self, action: Any) -> Any:
        out = self.env.step(action)
        self.info = out[-1]
        return out


def task_ids() -> dict[str, list[str]]:
    from agentgym.tasks import load_tasks

    return {
        env: sorted(t.id for t in load_tasks(ROOT / "envs" / pack)) for env, pack in PACKS.items()
    }


class Soak:
    """Shared counters of one soak run; windows of step latencies and resource samples."""

    def __init__(self, owner_pid: int, window_s: float) -> None:
        self.lock = threading.Lock()
        self.owner_pid = owner_pid
        self.window_s = window_s
        self.episodes = 0
        self.success = 0
        self.steps = 0
        self.errors: Counter[str] = Counter()
        self.hostile: Counter[str] = Counter()
        self.window_latency: list[float] = []
        self.examples: list[str] = []  # the first few unexpected errors, verbatim
        self.hostile_examples: list[str] = []  # and of hostile episodes not solved
        self.samples: list[dict[str, Any]] = []
        self.started = time.monotonic()

    def record(
        self,
        ok: bool,
        kind: str | None,
        latencies: list[float],
        hostile: str | None,
        detail: str | None = None,
    ) -> None:
        with self.lock:
            if kind and kind not in EXPECTED and not hostile and len(self.examples) < 8:
                self.examples.append(f"{kind}: {(detail or '')[:1500]}")
            if kind and hostile and len(self.hostile_examples) < 8:
                self.hostile_examples.append(f"{hostile} {kind}: {(detail or '')[:3000]}")
            self.episodes += 1
            self.success += int(ok)
            self.steps += len(latencies)
            self.window_latency.extend(latencies)
            if kind:
                self.errors[kind] += 1
            if hostile:
                self.hostile[f"{hostile}:{'solved' if ok else kind or 'failed'}"] += 1

    def sample(self) -> None:
        with self.lock:
            lat, self.window_latency = self.window_latency, []
            row = {
                "t_s": round(time.monotonic() - self.started, 1),
                "episodes": self.episodes,
                "steps": self.steps,
                "rss_mb": round(rss_mb(self.owner_pid), 1),
                "open_fds": open_fds(self.owner_pid),
                "containers": containers_of(self.owner_pid),
                "warm_spares": shared_warm_budget().used if self.owner_pid == os.getpid() else None,
                # Python's live small objects (pymalloc blocks): flat while RSS grows means
                # fragmentation, growing with it means objects kept alive
                "py_blocks": sys.getallocatedblocks() if self.owner_pid == os.getpid() else None,
                "threads": threading.active_count() if self.owner_pid == os.getpid() else None,
                **(heap_stats() if self.owner_pid == os.getpid() else {}),
                "step_p50_ms": None if not lat else round(1000 * pct(lat, 0.5), 1),  # type: ignore[operator]
                "step_p95_ms": None if not lat else round(1000 * pct(lat, 0.95), 1),  # type: ignore[operator]
            }
            self.samples.append(row)
        print(json.dumps(row), flush=True)


EXPECTED = ("perturbed_unsolved",)  # reported, not errors: the benchmark's robustness drop


def classify(status: str, error: str | None, reward: float, recipe: str = "clean") -> str | None:
    """An episode's error kind (None: no error). The oracle reaches reward 1 on clean tasks;
    under a perturbed recipe a graded failure is the oracle's own robustness limit."""
    if status == "error":
        return "exception:" + (error or "?").split(":", 1)[0]
    if status == "infra_error":
        return "infrastructure_error"
    if error and error.startswith("grading:"):
        return "grading:" + error.split(":", 2)[1].strip()[:60]
    if reward < 1.0:
        return "oracle_failed" if recipe == "clean" else "perturbed_unsolved"
    return None


def plan(seed: int, hostile_share: float, ids: dict[str, list[str]]) -> Any:
    """An endless, seeded stream of (env id, task id, recipe, seed, hostile kind)."""
    rng = random.Random(seed)
    i = 0
    while True:
        env_id = rng.choice(sorted(ids))
        hostile = rng.choice(sorted(HOSTILE)) if rng.random() < hostile_share else None
        recipe = "clean" if hostile else rng.choice(RECIPES)
        yield env_id, rng.choice(ids[env_id]), recipe, seed + i, hostile
        i += 1


def trainer_plan(
    worker: int, seed: int, hostile_share: float, counter: Any, ids: dict[str, list[str]]
) -> Any:
    """Worker ``worker``'s stream when each worker owns one env, as in a trainer: its
    (env id, recipe) is fixed (the workers cover every pack and recipe between them), the
    task, seed and hostile command change with every episode."""
    conditions = [(e, r) for e in sorted(ids) for r in RECIPES]
    env_id, recipe = conditions[worker % len(conditions)]
    rng = random.Random(seed * 1009 + worker)
    while True:
        hostile = rng.choice(sorted(HOSTILE)) if rng.random() < hostile_share else None
        yield env_id, rng.choice(ids[env_id]), recipe, seed + next(counter), hostile


def run_local(args: argparse.Namespace, soak: Soak, deadline: float) -> None:
    ids = task_ids()  # once, not once per worker
    stream = plan(args.seed, args.hostile, ids)
    lock = threading.Lock()
    counter = itertools.count()

    def build(env_id: str, recipe: str) -> LastInfo:
        rec = None if recipe == "clean" else load_recipe_by_name(recipe)
        return LastInfo(make_env(env_id, rec, backend="docker", max_turns=12))

    def worker(index: int) -> None:
        own = trainer_plan(index, args.seed, args.hostile, counter, ids)
        # Every env of this worker first, as a trainer builds its envs once: growth after
        # warm-up is then what episodes leave behind, not new envs.
        envs: dict[tuple[str, str], Any] = {}
        if args.layout == "trainer":
            first = next(own)
            envs = {(first[0], first[2]): build(first[0], first[2])}
        elif args.prebuild:
            envs = {(e, r): build(e, r) for e in PACKS for r in RECIPES}
        try:
            while time.monotonic() < deadline:
                with lock:
                    picked = next(own) if args.layout == "trainer" else next(stream)
                env_id, task_id, recipe, seed, hostile = picked
                key = (env_id, recipe)
                if key not in envs:
                    envs[key] = build(env_id, recipe)
                envs[key].info = {}
                policy = HostileThenOracle(hostile) if hostile else make_policy("oracle")
                spec = EpisodeSpec(
                    policy="oracle", env_id=env_id, task_id=task_id, seed=seed, recipe=recipe
                )
                res = run_episode(envs[key], policy, spec)
                timings = (res.trajectory or {}).get("timings", [])
                lat = [float(t.get("total_s", 0.0)) for t in timings]
                msgs = (res.trajectory or {}).get("messages", [])
                last_tool = next((m for m in reversed(msgs) if m.get("role") == "tool"), {})
                breakdown = res.reward_breakdown
                detail = (
                    f"{spec.key} turns={res.turns} truncated={res.truncated} "
                    f"status={breakdown.get('status')} tests={breakdown.get('tests')} "
                    f"error={res.error} "
                    f"last tool output={str(last_tool.get('content'))[:160]!r}"
                )
                grade = envs[key].info.get("grade") or {}
                if grade.get("error"):  # what the grader saw, for errors worth reading
                    detail += (
                        f" grade flags={grade.get('flags')} "
                        f"test log tail={str(grade.get('log_tail'))[-700:]!r}"
                    )
                envs[key].info = {}  # the harness keeps no episode's info past its record
                kind = classify(res.status, res.error, res.reward, recipe)
                if hostile and kind:  # every tool output after the hostile command
                    outputs = [str(m.get("content"))[:240] for m in msgs if m.get("role") == "tool"]
                    detail += f" tool outputs={outputs[1:]!r}"
                soak.record(res.success, kind, lat, hostile, detail)
        finally:
            for env in envs.values():
                env.close()

    threads = [
        threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.concurrency)
    ]
    for t in threads:
        t.start()
    sampler(soak, threads)


def run_served(args: argparse.Namespace, deadline: float) -> tuple[Soak, subprocess.Popen]:
    from openenv.core.generic_client import GenericEnvClient

    from agentgym.tasks import load_tasks

    port = args.port
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "agentgym.cli", "serve", "--port", str(port)),
            *("--backend", "docker", "--max-sessions", str(args.concurrency)),
            *("--env", "agentgym/BugFix-v0", "--env-kwargs", '{"max_turns": 12}'),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    soak = Soak(server.pid, args.window)
    tasks = {t.id: t for t in load_tasks(ROOT / "envs" / "bugfix")}
    ids = sorted(tasks)
    rng = random.Random(args.seed)
    lock = threading.Lock()

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                task_id = rng.choice(ids)
                hostile = rng.choice(sorted(HOSTILE)) if rng.random() < args.hostile else None
                seed = rng.randrange(10**6)
            policy = HostileThenOracle(hostile) if hostile else make_policy("oracle")
            lat: list[float] = []
            kind: str | None = None
            ok = False
            try:
                with GenericEnvClient(base_url=url, message_timeout_s=600).sync() as env:
                    result = env.reset(seed=seed, task_id=task_id)
                    obs = result.observation
                    tools, messages = obs["tools"], list(obs["messages"])
                    policy.reset({"task": tasks[task_id], "seed": seed})
                    while not result.done:
                        turn = policy.act(messages, tools, {"task": tasks[task_id]})
                        messages.append(turn.to_openai())
                        t0 = time.perf_counter()
                        result = env.step({"message": turn.to_openai()})
                        lat.append(time.perf_counter() - t0)
                        messages += result.observation["messages"]
                    obs = result.observation
                    ok = (result.reward or 0.0) >= 1.0
                    if obs.get("infrastructure_error"):
                        kind = "infrastructure_error"
                    elif not ok:
                        kind = "oracle_failed"
            except Exception as exc:  # a refused or broken session: an error of its kind
                kind = "client:" + type(exc).__name__ + ":" + str(exc)[:60]
            soak.record(ok, kind, lat, hostile, f"{task_id} seed={seed}")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    sampler(soak, threads)
    return soak, server


def sampler(soak: Soak, threads: list[threading.Thread]) -> None:
    next_sample = time.monotonic() + soak.window_s
    while any(t.is_alive() for t in threads):
        time.sleep(0.5)
        if time.monotonic() >= next_sample:
            soak.sample()
            next_sample += soak.window_s
    soak.sample()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--hostile", type=float, default=0.1, help="share of hostile episodes")
    parser.add_argument("--window", type=float, default=30.0, help="seconds per sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--served", action="store_true", help="through `agentgym serve`")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--note", default="", help="recorded with the results")
    parser.add_argument(
        "--layout",
        choices=["trainer", "matrix"],
        default="trainer",
        help="trainer: each worker owns one env (one pack and recipe, tasks vary); matrix: "
        "each worker keeps an env per (pack, recipe) it meets, as `agentgym bench` does",
    )
    parser.add_argument(
        "--no-prebuild",
        dest="prebuild",
        action="store_false",
        help="matrix layout: build envs when first needed (default: all at the start)",
    )
    parser.add_argument(
        "--malloc-arenas",
        type=int,
        default=2,
        help="in process: cap glibc's malloc arenas as the agentgym command does "
        "(agentgym.sandbox.limit_malloc_arenas); 0 leaves glibc's default (8 per core)",
    )
    parser.add_argument(
        "--malloc-trim",
        type=float,
        default=30.0,
        help="in process: give the free heap back every this many seconds, as the agentgym "
        "command does (agentgym.sandbox.trim_heap_every); 0: never",
    )
    parser.add_argument(
        "--trim-without-gc",
        action="store_true",
        help="in process: the trimmer skips its full garbage collection before each trim "
        "(the behaviour before session 7; for comparison)",
    )
    args = parser.parse_args()
    arenas_capped = trimming = False
    if args.malloc_arenas > 0 and not args.served:
        arenas_capped = limit_malloc_arenas(args.malloc_arenas)
    if args.malloc_trim > 0 and not args.served:
        trimming = trim_heap_every(args.malloc_trim, collect=not args.trim_without_gc)
    started = time.monotonic()
    deadline = started + 60 * args.minutes
    server = None
    if args.served:
        soak, server = run_served(args, deadline)
    else:
        soak = Soak(os.getpid(), args.window)
        soak.sample()
        run_local(args, soak, deadline)
    wall = time.monotonic() - started
    time.sleep(2)  # let background closes of the last sandboxes finish
    if not args.served:  # removals the daemon refused under load are retried in background
        from agentgym.sandbox.docker import pending_removals

        until = time.monotonic() + 90
        while pending_removals() and time.monotonic() < until:
            time.sleep(1)
    if server is not None:
        server.terminate()
        server.wait(timeout=120)
    left = containers_of(soak.owner_pid)
    warm = [s for s in soak.samples if s["t_s"] >= 0.2 * 60 * args.minutes] or soak.samples
    first, last = warm[0], soak.samples[-1]
    peak = max(s["rss_mb"] for s in warm)
    hostile_total = sum(soak.hostile.values())
    unexpected = {k: v for k, v in soak.errors.items() if k not in EXPECTED}
    for key, count in soak.hostile.items():  # hostile episodes that failed: reported apart
        kind = key.split(":", 1)[1]
        if kind != "solved" and kind in unexpected:
            unexpected[kind] -= count
            if unexpected[kind] <= 0:
                del unexpected[kind]
    latencies = [s for s in soak.samples if s["step_p50_ms"] is not None]
    result = {
        "mode": "served (16 WebSocket clients)" if args.served else "in process",
        "malloc_arenas": "as `agentgym serve` sets them (2)"
        if args.served
        else (args.malloc_arenas if arenas_capped else "glibc default"),
        "malloc_trim_s": "as `agentgym serve` does (30)"
        if args.served
        else (args.malloc_trim if trimming else "never"),
        "malloc_trim_collects_first": None if args.served else not args.trim_without_gc,
        "concurrency": args.concurrency,
        "minutes": args.minutes,
        "hostile_share": args.hostile,
        "layout": args.layout,
        "prebuild": args.prebuild,
        "wall_s": round(wall, 1),
        "episodes": soak.episodes,
        "episodes_per_min": round(soak.episodes / (wall / 60), 2),
        "success": soak.success,
        "steps": soak.steps,
        "errors_by_kind": dict(soak.errors),
        "unexpected_errors": dict(unexpected),
        "unexpected_examples": soak.examples,
        "hostile_failure_examples": soak.hostile_examples,
        "hostile_outcomes": dict(soak.hostile),
        "hostile_episodes": hostile_total,
        "rss_mb_after_warmup": first["rss_mb"],
        "rss_mb_end": last["rss_mb"],
        "rss_growth_pct_after_warmup": round(
            100 * (last["rss_mb"] - first["rss_mb"]) / max(first["rss_mb"], 1e-9), 2
        ),
        # the goal (< 5 %) is read at the highest sample after warm-up, not only the last
        "rss_mb_peak_after_warmup": peak,
        "rss_peak_growth_pct_after_warmup": round(
            100 * (peak - first["rss_mb"]) / max(first["rss_mb"], 1e-9), 2
        ),
        "open_fds_start": soak.samples[0]["open_fds"],
        "open_fds_after_warmup": first["open_fds"],
        "open_fds_end": last["open_fds"],
        "containers_left": left,
        "step_p50_ms_windows": [s["step_p50_ms"] for s in latencies],
        "step_p95_ms_windows": [s["step_p95_ms"] for s in latencies],
        "samples": soak.samples,
        "machine": f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.0f} at the end",
        "note": args.note,
    }
    out = args.out or RESULTS / ("soak-served.json" if args.served else "soak.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    summary = {k: v for k, v in result.items() if k != "samples"}
    print(json.dumps(summary, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
