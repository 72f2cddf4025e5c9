"""``agentgym bench`` (run the matrix; the default command) and ``agentgym bench compare A B``.

The lead wires these in agentgym/cli.py: ``app.add_typer(bench_app, name="bench")``.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agentgym.errors import AgentGymError

console = Console()

bench_app = typer.Typer(
    help="Robustness benchmarks: policy × env × perturbation, with a report.",
    invoke_without_command=True,
    pretty_exceptions_enable=False,
)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _sigterm_to_keyboard_interrupt() -> None:
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def print_table(results: dict[str, Any]) -> None:
    """The console summary, one line per (policy, condition), within 80 columns; the full
    table (CIs of the drop, every env) is in the report."""
    from rich import box

    from agentgym.bench.report import compact_rows

    table = Table(
        title="success by condition (all envs)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
    )
    for header, justify in COMPACT_HEADERS:
        table.add_column(header, justify=justify, no_wrap=True, overflow="ellipsis")
    for row in compact_rows(results["summary"]):
        table.add_row(*row)
    console.print(table)
    print_errors(results)


COMPACT_HEADERS: list[tuple[str, Any]] = [
    ("policy", "left"),
    ("condition", "left"),
    ("ok", "right"),
    ("% [95% CI]", "right"),
    ("Δ pp", "right"),
    ("flag%", "right"),
    ("turns", "right"),
    ("err", "right"),
]


def error_reasons(results: dict[str, Any], top: int = 3) -> tuple[int, list[tuple[str, int]]]:
    """How many episodes errored, and their most common reasons (first line, shortened)."""
    from collections import Counter

    reasons: Counter[str] = Counter()
    for episode in results.get("episodes", []):
        if episode.get("status", "ok") == "ok":
            continue
        text = str(episode.get("error") or episode.get("status"))
        reasons[text.strip().splitlines()[0][:160] if text.strip() else "unknown"] += 1
    return sum(reasons.values()), reasons.most_common(top)


def print_errors(results: dict[str, Any]) -> None:
    """Errored episodes are not failures of the policy: say how many, and why, in red."""
    count, top = error_reasons(results)
    if not count:
        return
    total = len(results.get("episodes", []))
    console.print(
        f"[bold red]{count} of {total} episodes errored[/] [red](infrastructure or runner "
        "errors, not the policy's doing; the rates above count them as failures)[/]. "
        "Top reasons:"
    )
    for reason, n in top:
        console.print(f"  [red]{n} ×[/] {escape(reason)}")
    console.print("Run [bold]agentgym doctor[/] to check Docker, the sandbox and the toolchain.")


def print_scaffolds(summary: dict[str, Any]) -> None:
    """Seen vs unseen scaffolds, pooled with 95% CIs."""

    def cell(x: dict[str, Any]) -> str:
        if not x["n"]:
            return "–"
        return f"{100 * x['rate']:.1f}% [{100 * x['ci_low']:.1f}, {100 * x['ci_high']:.1f}] (n={x['n']})"

    table = Table(title=f"real scaffolds (held out: {', '.join(summary['holdout']) or 'none'})")
    for h in ("policy", "condition", "seen", "unseen", "unseen − seen (95% CI)"):
        table.add_column(h)
    for g in summary["groups"]:
        d = g.get("unseen_minus_seen")
        diff = (
            f"{100 * d['diff']:+.1f} pp [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}]"
            if d
            else "–"
        )
        table.add_row(g["policy"], g["recipe"], cell(g["seen"]), cell(g["unseen"]), diff)
    console.print(table)


PolicyOpt = Annotated[
    str, typer.Option(help="oracle | scripted | random | openai:MODEL | hf:PATH (comma-separated)")
]
EnvsOpt = Annotated[str, typer.Option(help="env ids, comma-separated")]
RecipesOpt = Annotated[
    str, typer.Option(help="recipes (perturbations/<name>.yaml or paths), comma-separated")
]
ScaffoldsOpt = Annotated[
    str,
    typer.Option(
        help="also run every recipe inside these real harness profiles: all | NAME,... "
        "(agentgym scaffolds list)"
    ),
]
HoldoutOpt = Annotated[
    str,
    typer.Option(
        help="profiles held out of training (unseen): reported separately from the seen ones; "
        "out/training-recipe.yaml is real-scaffolds without them"
    ),
]
RayOpt = Annotated[
    str | None,
    typer.Option(
        "--ray",
        help="run episodes on this Ray cluster (host:port, auto, or local); workers = actors "
        "(or $AGENTGYM_RAY_ADDRESS; needs agentgym[ray])",
    ),
]
AxesOpt = Annotated[
    str,
    typer.Option(
        help="also split each recipe per axis: tools,system,user,chat_format,tool_response"
    ),
]


def bench_run(
    policy: PolicyOpt = "oracle",
    envs: EnvsOpt = "agentgym/BugFix-v0",
    recipes: RecipesOpt = "clean,light,heavy,scaffold-shift",
    episodes: Annotated[int, typer.Option(help="episodes per env and condition (paired)")] = 4,
    seed: Annotated[int, typer.Option(help="seed of task choice and perturbations")] = 0,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("bench-results"),
    axes: AxesOpt = "",
    workers: Annotated[int, typer.Option(help="concurrent episodes")] = 2,
    max_turns: Annotated[int, typer.Option(help="turn budget per episode")] = 12,
    backend: Annotated[str, typer.Option(help="auto | docker | local")] = "auto",
    tasks: Annotated[str, typer.Option(help="only these task ids (comma-separated)")] = "",
    resume: Annotated[
        bool, typer.Option(help="skip episodes already in out/episodes.jsonl")
    ] = True,
    progress: Annotated[bool, typer.Option(help="show the progress bar")] = True,
    scaffolds: ScaffoldsOpt = "",
    holdout: HoldoutOpt = "",
    ray: RayOpt = None,
) -> None:
    """Run policy × env × perturbation (paired), write results.json, report.md, report.html."""
    from agentgym.bench.run import BenchConfig, run_bench
    from agentgym.rollout.ray_runner import ray_address_from

    _sigterm_to_keyboard_interrupt()
    cfg = BenchConfig(
        policies=_csv(policy),
        envs=_csv(envs),
        recipes=_csv(recipes),
        axes=_csv(axes),
        episodes=episodes,
        seed=seed,
        out=str(out),
        workers=workers,
        max_turns=max_turns,
        backend=backend,
        tasks=_csv(tasks),
        resume=resume,
        progress=progress,
        scaffolds=_csv(scaffolds),
        holdout=_csv(holdout),
        ray_address=ray_address_from(ray),
    )
    try:
        results = run_bench(cfg)
    except KeyboardInterrupt:
        console.print(
            f"[yellow]interrupted[/]: finished episodes are in {out / 'episodes.jsonl'}; "
            "run the same command again to resume"
        )
        raise typer.Exit(130) from None
    except AgentGymError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    print_table(results)
    if results["summary"].get("scaffolds"):
        print_scaffolds(results["summary"]["scaffolds"])
    console.print(f"results: {out / 'results.json'}")
    console.print(f"report:  {results['paths']['html']}")


@bench_app.callback()
def bench_main(
    ctx: typer.Context,
    policy: PolicyOpt = "oracle",
    envs: EnvsOpt = "agentgym/BugFix-v0",
    recipes: RecipesOpt = "clean,light,heavy,scaffold-shift",
    episodes: Annotated[int, typer.Option(help="episodes per env and condition (paired)")] = 4,
    seed: Annotated[int, typer.Option(help="seed of task choice and perturbations")] = 0,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("bench-results"),
    axes: AxesOpt = "",
    workers: Annotated[int, typer.Option(help="concurrent episodes")] = 2,
    max_turns: Annotated[int, typer.Option(help="turn budget per episode")] = 12,
    backend: Annotated[str, typer.Option(help="auto | docker | local")] = "auto",
    tasks: Annotated[str, typer.Option(help="only these task ids (comma-separated)")] = "",
    resume: Annotated[
        bool, typer.Option(help="skip episodes already in out/episodes.jsonl")
    ] = True,
    progress: Annotated[bool, typer.Option(help="show the progress bar")] = True,
    scaffolds: ScaffoldsOpt = "",
    holdout: HoldoutOpt = "",
    ray: RayOpt = None,
) -> None:
    """Robustness benchmark. Without a subcommand: run it (same options as `bench run`)."""
    if ctx.invoked_subcommand is None:
        bench_run(
            policy,
            envs,
            recipes,
            episodes,
            seed,
            out,
            axes,
            workers,
            max_turns,
            backend,
            tasks,
            resume,
            progress,
            scaffolds,
            holdout,
            ray,
        )


bench_app.command("run")(bench_run)


@bench_app.command("compare")
def bench_compare(
    a: Annotated[Path, typer.Argument(help="results.json (or its folder) A")],
    b: Annotated[Path, typer.Argument(help="results.json (or its folder) B")],
) -> None:
    """Contrast two results files condition by condition (paired where episodes match)."""
    from agentgym.bench.compare import compare

    try:
        rows = compare(a, b)
    except (OSError, ValueError, KeyError) as exc:
        console.print(f"[bold red]error:[/] cannot compare: {exc}")
        raise typer.Exit(1) from None
    table = Table(title=f"A = {a}   B = {b}")
    for h in ("policy", "condition", "A", "B", "B − A (95% CI)", "method"):
        table.add_column(h)
    for r in rows:
        table.add_row(
            r["policy"],
            r["condition"],
            f"{100 * r['rate_a']:.1f}% (n={r['n_a']})",
            f"{100 * r['rate_b']:.1f}% (n={r['n_b']})",
            f"{100 * r['diff']:+.1f} pp [{100 * r['low']:+.1f}, {100 * r['high']:+.1f}]",
            r["method"],
        )
    console.print(table)


__all__ = ["bench_app", "bench_compare", "bench_main", "bench_run"]
