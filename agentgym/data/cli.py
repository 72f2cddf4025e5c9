"""``agentgym data``: perturbed training data (wired into the main CLI as ``data_app``).

    agentgym data perturb --input trajectories.jsonl --recipe perturbations/heavy.yaml \\
        --formats qwen3,llama3.1,minimax-m2 --variants 4 --out data.parquet
    agentgym data rollout --env agentgym/BugFix-v0 --recipe perturbations/light.yaml \\
        --policy oracle --episodes 8 --out rollouts.jsonl
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agentgym.data.io import DataError, OnError, ReadReport, RowWriter, read_trajectories
from agentgym.errors import AgentGymError

data_app = typer.Typer(
    help="Perturbed training data: perturb trajectories or collect fresh rollouts.",
    no_args_is_help=True,
)
console = Console(stderr=True)
MAX_LISTED = 20


def _formats(value: str | None) -> list[str] | None:
    if not value:
        return None
    from agentgym.chat import list_formats, resolve_format
    from agentgym.errors import ChatFormatError

    names = [f.strip() for f in value.split(",") if f.strip()]
    unknown = []
    for name in names:
        try:
            resolve_format(name)
        except ChatFormatError:
            unknown.append(name)
    unknown += [f for f in names if f == "hf"]
    if unknown:
        known = ", ".join(f for f in list_formats() if f != "hf")
        raise DataError(
            f"unknown chat format(s) {', '.join(unknown)}; known: {known} "
            "(pin a template revision as FAMILY@REVISION, e.g. kimi-k2@2025-07)"
        )
    return names


def _check_on_error(value: str) -> OnError:
    if value not in ("skip", "fail"):
        raise DataError(f"--on-error must be 'skip' or 'fail', not {value!r}")
    return value  # type: ignore[return-value]


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
        transient=False,
    )


def _list_problems(title: str, problems: list[tuple[Any, str]]) -> None:
    if not problems:
        return
    console.print(f"[yellow]{title}: {len(problems)}[/]")
    for where, error in problems[:MAX_LISTED]:
        console.print(f"  {where}: {error}")
    if len(problems) > MAX_LISTED:
        console.print(f"  ... and {len(problems) - MAX_LISTED} more")


@data_app.command("perturb")
def perturb_cmd(
    input: Annotated[Path, typer.Option("--input", "-i", help="Trajectories JSONL.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output .jsonl or .parquet.")],
    recipe: Annotated[
        str, typer.Option(help="Recipe YAML (e.g. perturbations/heavy.yaml).")
    ] = "perturbations/heavy.yaml",
    formats: Annotated[
        str | None,
        typer.Option(
            help="Chat formats, comma-separated; one row per format (default: the "
            "episode's own format)."
        ),
    ] = None,
    variants: Annotated[int, typer.Option(min=1, help="Perturbed variants per trajectory.")] = 1,
    tokenizer: Annotated[
        str | None, typer.Option(help="tokenizer.json or a transformers tokenizer folder.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of every variant's perturbation.")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    on_error: Annotated[
        str, typer.Option("--on-error", help="Bad input lines: 'skip' (report) or 'fail'.")
    ] = "skip",
) -> None:
    """Perturbed variants of recorded trajectories, rendered per chat format."""
    from agentgym.data.perturb import load_tokenizer, make_job, run_job

    try:
        policy = _check_on_error(on_error)
        job = make_job(
            recipe,
            variants=variants,
            formats=_formats(formats),
            seed=seed,
            tokenizer=load_tokenizer(tokenizer) if tokenizer else None,
            source_name=input.name,
        )
        report = ReadReport(str(input))
        failed: list[tuple[Any, str]] = []
        started = time.perf_counter()
        with RowWriter(out) as writer, _progress() as bar:
            task = bar.add_task("perturbing", total=None, note="")
            items = read_trajectories(input, policy, report)
            for line, rows, errors in run_job(job, items, workers):
                for error in errors:
                    if policy == "fail":
                        raise DataError(f"{input}:{line}: {error}")
                    failed.append((f"{input}:{line}", error))
                for row in rows:
                    writer.write(row)
                bar.update(task, advance=1, note=f"{writer.rows} rows")
        elapsed = time.perf_counter() - started
    except AgentGymError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from None
    _list_problems(
        "bad input lines (skipped)", [(f"{input}:{b.line}", b.error) for b in report.bad]
    )
    _list_problems("rows that could not be made (skipped)", failed)
    console.print(
        f"{report.lines} lines: {report.ok} trajectories, {len(report.bad)} bad, "
        f"{report.blank} blank; {len(failed)} rows failed; wrote {writer.rows} rows to "
        f"{out} ({writer.rows / max(elapsed, 1e-9):.1f} rows/s)"
    )


@data_app.command("rollout")
def rollout_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output .jsonl or .parquet.")],
    env: Annotated[
        str, typer.Option(help="Registered env id or a folder of tasks.")
    ] = "agentgym/BugFix-v0",
    recipe: Annotated[str, typer.Option(help="Recipe YAML.")] = "perturbations/light.yaml",
    policy: Annotated[
        str,
        typer.Option(help="oracle | replay | any agentgym.policies spec (openai:MODEL, hf:PATH)"),
    ] = "oracle",
    episodes: Annotated[int, typer.Option(min=1, help="Episodes to collect.")] = 4,
    formats: Annotated[str | None, typer.Option(help="Chat formats, comma-separated.")] = None,
    tokenizer: Annotated[str | None, typer.Option(help="Tokenizer for ids and masks.")] = None,
    seed: Annotated[int, typer.Option(help="Episode i uses reset seed SEED+i.")] = 0,
    backend: Annotated[str, typer.Option(help="auto | docker | local")] = "auto",
    max_turns: Annotated[int, typer.Option(min=1, help="Turn budget per episode.")] = 30,
    task: Annotated[
        list[str] | None, typer.Option("--task", help="Only these task ids (repeatable).")
    ] = None,
    min_reward: Annotated[
        float | None, typer.Option(help="Keep only episodes with at least this reward.")
    ] = None,
    on_error: Annotated[
        str, typer.Option("--on-error", help="Failed episodes: 'skip' (report) or 'fail'.")
    ] = "skip",
    save_trajectories: Annotated[
        Path | None,
        typer.Option(help="Also write the raw trajectories (JSONL, input of `data perturb`)."),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Run the episodes on this Ray cluster (host:port, auto, local; or "
            "$AGENTGYM_RAY_ADDRESS); needs agentgym[ray].",
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Ray actors (with --ray).")] = 2,
) -> None:
    """Collect fresh perturbed trajectories with a policy and write them as rows."""
    from agentgym.data.perturb import load_tokenizer
    from agentgym.data.rollout import collect, collect_ray, episode_rows, make_env, make_policy
    from agentgym.rollout.ray_runner import ray_address_from

    raw = None
    try:
        mode = _check_on_error(on_error)
        fams = _formats(formats)
        tok = load_tokenizer(tokenizer) if tokenizer else None
        address = ray_address_from(ray)
        if address is None:
            core = make_env(env, backend=backend, max_turns=max_turns)
            agent = make_policy(policy)
            episodes_iter = collect(core, agent, recipe, episodes, seed, task, on_step=None)
        else:
            episodes_iter = collect_ray(
                env,
                policy,
                recipe,
                episodes,
                seed,
                task,
                address=address,
                workers=workers,
                backend=backend,
                max_turns=max_turns,
            )
        failed: list[tuple[Any, str]] = []
        filtered = 0
        raw = save_trajectories.open("w", encoding="utf-8") if save_trajectories else None
        with RowWriter(out) as writer, _progress() as bar:
            job = bar.add_task("episodes", total=episodes, note="")
            for ep in episodes_iter:
                if ep.error is not None:
                    if mode == "fail":
                        raise DataError(f"episode {ep.index} ({ep.task_id}): {ep.error}")
                    failed.append((f"episode {ep.index} ({ep.task_id})", ep.error))
                elif min_reward is not None and (ep.trajectory.reward or 0.0) < min_reward:
                    filtered += 1
                else:
                    for row in episode_rows(ep, fams, tok, Path(recipe).stem):
                        writer.write(row)
                    if raw is not None:
                        raw.write(ep.trajectory.model_dump_json() + "\n")
                bar.update(job, advance=1, note=f"{writer.rows} rows")
    except AgentGymError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from None
    finally:
        if raw is not None:
            raw.close()
    _list_problems("failed episodes (skipped)", failed)
    console.print(
        f"{episodes} episodes: {episodes - len(failed) - filtered} kept, {filtered} below "
        f"--min-reward, {len(failed)} failed; wrote {writer.rows} rows to {out}"
    )


__all__ = ["data_app"]
