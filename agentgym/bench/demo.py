"""``agentgym demo``: a small robustness benchmark on the bundled tasks, in under 3 minutes.

The oracle (reads the tools it is given) and the scripted policy (hard-wired to the default
scaffold) run the same BugFix tasks and seeds under clean, light, heavy and scaffold-shift
perturbations, on Docker when it is there and on the embedded local sandbox otherwise. It
prints the results table and the path of the HTML report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agentgym.bench.cli import _sigterm_to_keyboard_interrupt, console, print_table

if TYPE_CHECKING:
    from agentgym.doctor import Check

DEMO_RECIPES = ["clean", "light", "heavy", "scaffold-shift"]


def demo_main(
    backend: Annotated[str, typer.Option(help="auto | docker | local")] = "auto",
    out: Annotated[Path, typer.Option(help="output folder")] = Path("agentgym-demo"),
    episodes: Annotated[int, typer.Option(help="episodes per condition")] = 3,
    workers: Annotated[int, typer.Option(help="concurrent episodes")] = 2,
    progress: Annotated[bool, typer.Option(help="show the progress bar")] = True,
) -> None:
    """Run a small robustness benchmark (oracle vs scripted, clean vs perturbed) and report."""
    from agentgym.bench.run import BenchConfig, run_bench
    from agentgym.errors import AgentGymError
    from agentgym.sandbox import SandboxConfig, resolve_backend

    _sigterm_to_keyboard_interrupt()
    try:
        chosen = resolve_backend(SandboxConfig(type=backend))  # type: ignore[arg-type]
    except AgentGymError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    from agentgym.doctor import run_checks

    checks = run_checks(_demo_checks(chosen))
    if any(c.status != "ok" for c in checks):
        from agentgym.cli import print_checks

        console.print("[yellow]agentgym doctor found something missing:[/]")
        print_checks(checks, only_problems=True)
    console.print(
        f"[bold]agentgym demo[/] — oracle vs scripted on agentgym/BugFix-v0 under "
        f"{', '.join(DEMO_RECIPES)}; backend [cyan]{chosen}[/]"
    )
    if chosen == "local" and backend == "auto":
        console.print(
            "[dim]No Docker daemon with the base image: using the embedded local sandbox.[/]"
        )
    cfg = BenchConfig(
        policies=["oracle", "scripted"],
        envs=["agentgym/BugFix-v0"],
        recipes=DEMO_RECIPES,
        episodes=episodes,
        seed=0,
        max_turns=6,
        workers=workers,
        backend=chosen,
        out=str(out),
        resume=False,
        progress=progress,
    )
    started = time.perf_counter()
    try:
        results = run_bench(cfg)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; sandboxes closed[/]")
        raise typer.Exit(130) from None
    print_table(results)
    console.print(
        f"{results['meta']['n_episodes']} episodes in {time.perf_counter() - started:.0f}s. "
        "The oracle reads the tools it is shown and keeps succeeding; the scripted policy, "
        "hard-wired to the default tool names and chat format, drops under scaffold shift."
    )
    console.print(f"HTML report: [bold]{Path(results['paths']['html']).resolve()}[/]")
    clean = [
        r
        for r in results["summary"]["conditions"]
        if r["policy"] == "oracle" and r["condition"] == "clean" and r["env"] != "all"
    ]
    solved = sum(r["successes"] for r in clean)
    total = sum(r["n"] for r in clean)
    if total == 0 or solved < total:
        console.print(
            f"[bold red]the oracle solved {solved}/{total} clean episodes[/] [red](it must "
            "solve every one: the setup is broken, not the agent). See the errors above, "
            "the report, and `agentgym doctor`.[/]"
        )
        raise typer.Exit(2)


def _demo_checks(backend: str) -> list[Callable[[], Check]]:
    """What the chosen backend needs (the full list is `agentgym doctor`)."""
    from agentgym import doctor

    if backend == "docker":
        return [doctor.check_docker, doctor.check_base_image, doctor.check_disk]
    return [doctor.check_bwrap, doctor.check_toolchain, doctor.check_disk]


__all__ = ["DEMO_RECIPES", "demo_main"]
