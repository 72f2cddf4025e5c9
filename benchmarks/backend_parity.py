"""Backend parity: every bundled task's reference solution and no-op, graded on each backend.

The same task must give the same reward on Docker and on the embedded local backend: the
reference solution 1, no change 0, with no errors. For each task the reference diff is made
once (solve.sh in a local sandbox, then the workspace diff) and graded on every backend
asked for. Grading time per backend is the benchmark part: the JSON holds each task's
times and the table prints the local/docker ratio measured in the same run.

    python benchmarks/backend_parity.py --backends local            # a base install is enough
    python benchmarks/backend_parity.py --backends local,docker --packs bugfix
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def reference_diff(task) -> str:  # type: ignore[no-untyped-def]
    from agentgym.env.local_build import local_task_sandbox
    from agentgym.grading.grader import workspace_diff

    if not task.solution_script:
        raise RuntimeError(f"{task.id} has no solution/solve.sh")
    with local_task_sandbox(task) as sb:
        sb.write_file("/tmp/solve.sh", task.solution_script)
        solved = sb.run("bash /tmp/solve.sh", timeout=300)
        if solved.exit_code != 0:
            raise RuntimeError(f"{task.id}: solve.sh failed: {solved.output[-800:]}")
        return workspace_diff(sb)


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from agentgym.grading import grade
    from agentgym.tasks import load_tasks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="local", help="local,docker")
    parser.add_argument("--packs", default="bugfix,refactor,feature")
    parser.add_argument("--limit", type=int, default=0, help="first N tasks per pack (0 = all)")
    parser.add_argument(
        "--out", default=str(ROOT / "benchmarks" / "results" / "backend_parity.json")
    )
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    tasks = []
    for pack in args.packs.split(","):
        found = load_tasks(ROOT / "envs" / pack)
        tasks += found[: args.limit] if args.limit else found
    console = Console()
    rows = []
    with Progress(console=console) as bar:
        job = bar.add_task("grading", total=len(tasks))
        for task in tasks:
            row: dict = {"task": task.id, "backends": {}}
            try:
                diff = reference_diff(task)
            except Exception as exc:  # report the task, keep going
                row["error"] = f"{type(exc).__name__}: {exc}"[:500]
                rows.append(row)
                bar.advance(job)
                continue
            for backend in backends:
                got = {}
                for case, change in (("solution", diff), ("noop", "")):
                    started = time.perf_counter()
                    result = grade(task, change, backend=backend)
                    got[case] = {
                        "reward": result.reward,
                        "status": result.status,
                        "error": result.error,
                        "seconds": round(time.perf_counter() - started, 3),
                    }
                row["backends"][backend] = got
            rows.append(row)
            bar.advance(job)

    def ok(row: dict, backend: str) -> bool:
        got = row["backends"].get(backend)
        return (
            bool(got)
            and got["solution"]["reward"] == 1.0
            and got["noop"]["reward"] == 0.0
            and (got["solution"]["status"] == "pass" and got["noop"]["status"] == "fail")
        )

    table = Table(title=f"backend parity over {len(tasks)} bundled tasks")
    for column in ("backend", "solution → 1, no-op → 0", "median grade s", "p95 grade s"):
        table.add_column(column)
    medians = {}
    for backend in backends:
        times = sorted(c["seconds"] for r in rows for c in r["backends"].get(backend, {}).values())
        good = sum(ok(r, backend) for r in rows)
        medians[backend] = statistics.median(times) if times else float("nan")
        p95 = times[int(0.95 * (len(times) - 1))] if times else float("nan")
        table.add_row(backend, f"{good}/{len(rows)}", f"{medians[backend]:.2f}", f"{p95:.2f}")
    console.print(table)
    if {"local", "docker"} <= set(medians):
        console.print(
            f"local / docker median grading time: {medians['local'] / medians['docker']:.2f}×"
        )
    differ = [
        r["task"]
        for r in rows
        if len({json.dumps({c: v["reward"] for c, v in g.items()}) for g in r["backends"].values()})
        > 1
    ]
    bad = [r for r in rows if "error" in r or not all(ok(r, b) for b in backends)]
    for r in bad:
        console.print(f"[red]{r['task']}[/]: {r.get('error') or r['backends']}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps(
            {"backends": backends, "rows": rows, "differ": differ, "bad": len(bad)}, indent=1
        )
    )
    console.print(f"wrote {args.out}")
    return 1 if bad or differ else 0


if __name__ == "__main__":
    sys.exit(main())
