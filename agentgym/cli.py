"""The ``agentgym`` command line: demo, sandbox and image chores (more verbs per subsystem)."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agentgym.errors import AgentGymError, ConfigError

app = typer.Typer(
    help="Train and test LLM coding agents: environments, perturbations, benchmarks, RL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
sandbox_app = typer.Typer(
    help="Sandboxes: list and garbage-collect containers.", no_args_is_help=True
)
image_app = typer.Typer(
    help="Images: build the offline base image and task images.", no_args_is_help=True
)
tasks_app = typer.Typer(help="Tasks: list, show and validate task folders.", no_args_is_help=True)
toolchain_app = typer.Typer(
    help="The embedded backend's managed Python toolchains: list and garbage-collect.",
    no_args_is_help=True,
)
app.add_typer(toolchain_app, name="toolchain")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(image_app, name="image")
app.add_typer(tasks_app, name="tasks")


def _wire_subsystems() -> None:
    """The benchmark, demo and data commands live with their subsystems."""
    from agentgym.bench.cli import bench_app
    from agentgym.bench.demo import demo_main
    from agentgym.data.cli import data_app
    from agentgym.scaffolds.cli import scaffolds_app

    app.add_typer(bench_app, name="bench")
    app.add_typer(data_app, name="data")
    app.add_typer(scaffolds_app, name="scaffolds")
    app.command(
        "demo",
        help="Robustness demo: oracle and scripted agents on bundled tasks, clean vs perturbed.",
    )(demo_main)


_wire_subsystems()

console = Console()


def _fail(exc: Exception) -> None:
    from rich.markup import escape

    console.print(f"[bold red]error:[/] {escape(str(exc))}")
    raise typer.Exit(code=1)


def _sigterm_to_keyboard_interrupt() -> None:
    # Ctrl-C and `kill` both unwind through context managers, so sandboxes get closed.
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


# --- demo ---------------------------------------------------------------------


DEMO_STEPS: list[tuple[str, dict[str, Any]]] = [
    ("bash", {"command": "mkdir -p shop && cd shop && git init -q && echo ready"}),
    (
        "editor",
        {
            "command": "create",
            "path": "shop/cart.py",
            "file_text": (
                "def total(prices, discount=0.0):\n"
                '    """Sum of prices after a fractional discount."""\n'
                "    return sum(prices) * (1 + discount)\n"
            ),
        },
    ),
    (
        "editor",
        {
            "command": "create",
            "path": "shop/test_cart.py",
            "file_text": (
                "from cart import total\n\n\n"
                "def test_discount():\n"
                "    assert total([10, 10], discount=0.25) == 15\n"
            ),
        },
    ),
    ("bash", {"command": "python3 -m pytest -q test_cart.py 2>&1 | tail -3"}),
    ("search", {"pattern": "discount\\)", "path": "shop"}),
    (
        "editor",
        {
            "command": "str_replace",
            "path": "shop/cart.py",
            "old_str": "(1 + discount)",
            "new_str": "(1 - discount)",
        },
    ),
    ("bash", {"command": "python3 -m pytest -q test_cart.py 2>&1 | tail -1"}),
    ("bash", {"command": "sleep 30", "timeout": 1}),
    ("bash", {"command": "echo alive after the timeout; pwd"}),
    ("editor", {"command": "view", "path": "/etc/passwd"}),
    ("submit", {"summary": "fixed the discount sign"}),
]


@app.command()
def tour(
    backend: Annotated[str, typer.Option(help="auto | docker | local")] = "auto",
    image: Annotated[
        str, typer.Option(help="Docker image for the sandbox")
    ] = "agentgym/base:latest",
) -> None:
    """Open a sandbox, drive the agent's tools through a small bug fix, show what happened."""
    from agentgym.sandbox import SandboxConfig, make_sandbox, resolve_backend
    from agentgym.tools import default_tools, execute_call
    from agentgym.types import ToolCall

    _sigterm_to_keyboard_interrupt()
    config = SandboxConfig(type=backend, image=image)  # type: ignore[arg-type]
    try:
        chosen = resolve_backend(config)
    except AgentGymError as exc:
        _fail(exc)
    console.print(f"[bold]agentgym tour[/] — backend: [cyan]{chosen}[/]")
    if chosen == "local" and backend == "auto":
        console.print(
            "[dim]No Docker daemon with the base image: using the embedded local sandbox. "
            "Run `agentgym image bootstrap` with Docker to use containers.[/]"
        )
    tools = default_tools()
    table = Table(title="What the agent's tools did", show_lines=True)
    for column in ("#", "tool", "arguments", "observation", "ms"):
        table.add_column(column, overflow="fold")
    try:
        started = time.perf_counter()
        with make_sandbox(config.model_copy(update={"type": chosen})) as sandbox:
            setup_ms = (time.perf_counter() - started) * 1000
            for i, (name, args) in enumerate(DEMO_STEPS, 1):
                t0 = time.perf_counter()
                obs = execute_call(tools, sandbox, ToolCall(name=name, arguments=args))
                ms = (time.perf_counter() - t0) * 1000
                shown = {
                    k: (v if len(str(v)) < 60 else str(v)[:57] + "...") for k, v in args.items()
                }
                text = obs.content if len(obs.content) < 400 else obs.content[:400] + " ..."
                style = "red" if obs.is_error else ""
                table.add_row(
                    str(i),
                    name,
                    json.dumps(shown),
                    f"[{style}]{text}[/]" if style else text,
                    f"{ms:.1f}",
                )
                if obs.terminal:
                    break
    except AgentGymError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; the sandbox was closed[/]")
        raise typer.Exit(130) from None
    console.print(table)
    console.print(f"sandbox ready in {setup_ms:.0f} ms; closed and removed.")


# --- doctor and toolchains ----------------------------------------------------------


def print_checks(checks: list[Any], only_problems: bool = False) -> None:
    """The doctor's table; with ``only_problems``, just what is missing and what to do."""
    from rich.markup import escape

    style = {"ok": "green", "warn": "yellow", "missing": "red"}
    table = Table(show_lines=False)
    for column in ("check", "status", "detail / what to do"):
        table.add_column(column, overflow="fold")
    for c in checks:
        if only_problems and c.status == "ok":
            continue
        text = escape(c.detail) + (f"\n[bold]→[/] {escape(c.advice)}" if c.advice else "")
        table.add_row(c.name, f"[{style[c.status]}]{c.status}[/]", text)
    console.print(table)


@app.command()
def doctor() -> None:
    """Check Docker, the base image, bubblewrap, the managed toolchain, disk and extras."""
    from agentgym.doctor import run_checks, usable_backends

    with console.status("checking (the first run builds the embedded backend's toolchain)"):
        checks = run_checks()
    print_checks(checks)
    backends = usable_backends(checks)
    if not backends:
        console.print("[bold red]no usable backend[/]: fix Docker or bubblewrap as shown above")
        raise typer.Exit(1)
    console.print(f"usable backends: [green]{', '.join(backends)}[/]")


@toolchain_app.command("ls")
def toolchain_ls() -> None:
    """List the managed Python toolchains of the embedded backend."""
    from agentgym.sandbox.toolchain import list_toolchains, toolchains_dir

    table = Table(title=str(toolchains_dir()))
    for column in ("key", "python", "packages", "source", "last used", "MB"):
        table.add_column(column)
    for chain, used, size in list_toolchains():
        pkgs = ", ".join(f"{k} {v}" for k, v in sorted(chain.packages.items()) if k != "pip")
        table.add_row(
            chain.key,
            chain.python_version,
            pkgs,
            chain.source,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(used)),
            f"{size / 1e6:.0f}",
        )
    console.print(table)


@toolchain_app.command("gc")
def toolchain_gc(
    days: Annotated[float, typer.Option(help="remove toolchains unused for this many days")] = 30,
) -> None:
    """Remove toolchains unused for --days (and half-built leftovers of killed builds)."""
    from agentgym.sandbox.toolchain import gc_toolchains

    removed = gc_toolchains(days)
    console.print(f"removed {len(removed)} toolchain(s)")


# --- sandbox --------------------------------------------------------------------


@sandbox_app.command("gc")
def sandbox_gc(
    all_: Annotated[bool, typer.Option("--all", help="remove every agentgym container")] = False,
) -> None:
    """Remove agentgym containers whose owning process is gone (crash, Ctrl-C, SIGKILL)."""
    from agentgym.sandbox.docker import gc

    try:
        removed = gc(all_owners=all_)
    except AgentGymError as exc:
        _fail(exc)
    console.print(
        f"removed {len(removed)} container(s)" + (": " + ", ".join(removed) if removed else "")
    )


@sandbox_app.command("ls")
def sandbox_ls() -> None:
    """List agentgym containers with their owner process and age."""
    from agentgym.sandbox import docker_client
    from agentgym.sandbox.docker import LABEL, _owner_alive

    try:
        containers = docker_client().containers.list(all=True, filters={"label": LABEL})
    except AgentGymError as exc:
        _fail(exc)
    table = Table()
    for column in ("name", "status", "owner pid", "owner alive", "age s", "run id"):
        table.add_column(column)
    now = time.time()
    for c in containers:
        labels = c.labels or {}
        age = now - float(labels.get("agentgym.created", now))
        table.add_row(
            c.name,
            c.status,
            labels.get("agentgym.owner_pid", "?"),
            str(_owner_alive(labels)),
            f"{age:.0f}",
            labels.get("agentgym.run_id", "?"),
        )
    console.print(table)


# --- images ---------------------------------------------------------------------


@image_app.command("bootstrap")
def image_bootstrap(
    force: Annotated[bool, typer.Option(help="rebuild even if the cached image exists")] = False,
) -> None:
    """Build the offline base image with debootstrap from this machine's apt mirror."""
    from agentgym.sandbox.images import apt_mirror_and_suite, bootstrap_base_image

    try:
        _, suite = apt_mirror_and_suite()
        console.print(f"building the base image (Debian {suite}, minbase) ...")
        started = time.perf_counter()
        with console.status("debootstrap + docker import (a minute or two the first time)"):
            tag = bootstrap_base_image(force=force, log=False)
    except AgentGymError as exc:
        _fail(exc)
    console.print(
        f"[green]ready:[/] {tag} (also agentgym/base:latest) in {time.perf_counter() - started:.0f}s"
    )


@image_app.command("build")
def image_build(
    context: Annotated[Path, typer.Argument(help="folder with a Dockerfile (FROM agentgym/base)")],
    name: Annotated[str | None, typer.Option(help="name part of the tag")] = None,
) -> None:
    """Build a task image from a Dockerfile; cached by the folder's content hash."""
    from agentgym.sandbox.images import build_task_image

    try:
        with console.status(f"building {context}"):
            tag = build_task_image(context, name=name or context.resolve().name)
    except AgentGymError as exc:
        _fail(exc)
    console.print(f"[green]built:[/] {tag}")


@image_app.command("list")
def image_list() -> None:
    """Show the images agentgym built."""
    from agentgym.sandbox.images import list_images

    try:
        images = list_images()
    except AgentGymError as exc:
        _fail(exc)
    table = Table()
    for column in ("tag", "kind", "content hash", "MB", "created"):
        table.add_column(column)
    for info in images:
        table.add_row(info.tag, info.kind, info.content_hash, f"{info.size_mb}", info.created)
    console.print(table)


# --- tasks --------------------------------------------------------------------


def _load(path: Path) -> list[Any]:
    from agentgym.tasks import load_tasks

    try:
        return list(load_tasks(path))
    except AgentGymError as exc:
        _fail(exc)
        return []


def _print_warnings(caught: list[Any]) -> None:
    from rich.markup import escape

    seen: set[str] = set()
    for warning in caught:
        text = str(warning.message)
        if text not in seen:
            seen.add(text)
            console.print(f"[yellow]warning:[/] {escape(text)}", soft_wrap=True)


@tasks_app.command("list")
def tasks_list(
    path: Annotated[Path, typer.Argument(help="a task folder, a pack, or envs/")] = Path("envs"),
) -> None:
    """List every task folder under PATH, good or bad: its tests, or why it does not load."""
    import warnings

    from rich.markup import escape

    from agentgym.tasks.harbor import find_task_dirs, load_task

    try:
        folders = find_task_dirs(path)
    except AgentGymError as exc:
        _fail(exc)
    table = Table(title=f"{len(folders)} task folders in {escape(str(path))}")
    for column in ("id", "schema", "category", "grading", "fail→pass", "pass→pass", "status"):
        table.add_column(column)
    bad = 0
    caught: list[Any] = []
    for folder in folders:
        try:
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                task = load_task(folder)
            caught += record
        except AgentGymError as exc:
            bad += 1
            table.add_row(escape(folder.name), "", "", "", "", "", f"[red]{escape(str(exc))}[/]")
            continue
        grading = "node ids" if task.fail_to_pass or task.pass_to_pass else "tests/test.sh"
        table.add_row(
            escape(task.id),
            escape(task.version),
            escape(str(task.metadata.get("category", ""))),
            grading,
            str(len(task.fail_to_pass)),
            str(len(task.pass_to_pass)),
            "[green]ok[/]" + (f" ({len(record)} warnings)" if record else ""),
        )
    console.print(table)
    _print_warnings(caught)
    if bad:
        console.print(f"[red]{bad} of {len(folders)} task folders do not load[/]")
        raise typer.Exit(1)


@tasks_app.command("show")
def tasks_show(path: Annotated[Path, typer.Argument(help="a task folder")]) -> None:
    """Show one task: instruction, grading, image, limits."""
    import warnings

    from rich.markup import escape

    from agentgym.tasks import load_task

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            task = load_task(path)
        except AgentGymError as exc:
            _fail(exc)
    console.rule(escape(task.id))
    console.print(escape(task.instruction))
    console.rule("grading")
    if task.fail_to_pass or task.pass_to_pass:
        console.print(f"fail_to_pass: {escape(str(task.fail_to_pass))}")
        console.print(f"pass_to_pass: {len(task.pass_to_pass)} tests")
        console.print(f"hidden tests: {escape(str(task.hidden_tests))}")
    else:
        console.print("tests/test.sh, run as Harbor runs it (reward.txt or reward.json)")
    console.rule("environment")
    console.print(f"schema: {escape(task.version)}  workdir: {escape(task.workdir)}")
    console.print(f"image: {escape(task.image or 'built from environment/Dockerfile')}")
    console.print(f"internet requested: {task.internet}")
    console.print(f"limits: {escape(str(task.limits.model_dump()))}")
    if task.harbor_extra:
        console.print(f"kept, not used: {escape(str(sorted(task.harbor_extra)))}")
    _print_warnings(caught)


def _print_failure(result: Any) -> None:
    from rich.markup import escape

    console.print(f"[red]{escape(result.summary())}[/]", soft_wrap=True)
    for reason in result.reasons():
        console.print(escape(reason), highlight=False, soft_wrap=True)


@tasks_app.command("validate")
def tasks_validate(
    paths: Annotated[list[Path], typer.Argument(help="task folders or packs")],
    jobs: Annotated[int, typer.Option(help="tasks validated at once")] = 2,
    allow_internet: Annotated[
        bool, typer.Option(help="give network access to tasks that ask for it")
    ] = False,
) -> None:
    """Check every task: reference solution → reward 1, no change → reward 0 (in Docker)."""
    import warnings

    from agentgym.tasks import validate_tasks

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            results = validate_tasks(paths, jobs=jobs, allow_internet=allow_internet)
        except AgentGymError as exc:
            _fail(exc)
    _print_warnings(caught)
    bad = [r for r in results if not r.ok]
    for result in bad:
        _print_failure(result)
    console.print(f"{len(results) - len(bad)} of {len(results)} tasks valid")
    if bad:
        raise typer.Exit(1)


@tasks_app.command("export")
def tasks_export(
    src: Annotated[list[Path], typer.Argument(help="task folders or packs, then DEST")],
    format: Annotated[str, typer.Option("--format", help="export format: harbor")] = "harbor",
    base_image: Annotated[
        str | None, typer.Option(help="FROM image of the exported Dockerfiles")
    ] = None,
) -> None:
    """Export tasks as self-contained folders Harbor's own tools run (SRC... DEST)."""
    from rich.markup import escape

    from agentgym.tasks.export import export_tasks

    if format != "harbor":
        _fail(AgentGymError(f"unknown export format {format!r}; the one format is 'harbor'"))
    if len(src) < 2:
        _fail(AgentGymError("give the tasks to export and a destination folder: SRC... DEST"))
    *sources, dest = src
    try:
        written = export_tasks(sources, dest, base_image=base_image)
    except AgentGymError as exc:
        _fail(exc)
    console.print(f"exported {len(written)} tasks to {escape(str(dest))} (see its README.md)")


# --- training ---------------------------------------------------------------------


@app.command()
def train(
    config: Annotated[Path, typer.Option("--config", help="training config (YAML)")],
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="envs in Ray actors on this cluster (sets ray.address)"),
    ] = None,
) -> None:
    """Train a policy with the bundled GRPO-family trainer (see docs/training.md)."""
    from agentgym.train import train_main

    _sigterm_to_keyboard_interrupt()
    try:
        train_main(str(config), {"ray": {"address": ray}} if ray else None)
    except AgentGymError as exc:
        _fail(exc)


# --- serve ------------------------------------------------------------------------


@app.command()
def serve(
    env: Annotated[str, typer.Option(help="registered env id")] = "agentgym/BugFix-v0",
    env_kwargs: Annotated[str, typer.Option(help="env kwargs as JSON")] = "{}",
    recipe: Annotated[str | None, typer.Option(help="perturbation recipe (name or path)")] = None,
    seed: Annotated[int, typer.Option(help="seed of resets that give none")] = 0,
    backend: Annotated[str, typer.Option(help="auto | docker | local")] = "auto",
    host: Annotated[str, typer.Option(help="bind address (non-loopback needs a token)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="port")] = 8000,
    token: Annotated[
        str | None, typer.Option(help="required token (or $AGENTGYM_SERVE_TOKEN)")
    ] = None,
    max_sessions: Annotated[int, typer.Option(help="concurrent sessions (envs)")] = 8,
    idle_timeout: Annotated[float, typer.Option(help="close sessions idle this long (s)")] = 300,
    max_request_bytes: Annotated[int, typer.Option(help="largest request or message")] = (
        4 * 1024 * 1024
    ),
) -> None:
    """Serve an env over OpenEnv's HTTP/WebSocket protocol (needs agentgym[serve])."""
    try:
        from agentgym.serve.app import ServeConfig
        from agentgym.serve.app import serve as run_server
        from agentgym.serve.environment import EnvSpec
    except ImportError as exc:
        _fail(ConfigError(f"agentgym serve needs: pip install 'agentgym[serve]' ({exc})"))
    try:
        kwargs = json.loads(env_kwargs)
        if not isinstance(kwargs, dict):
            raise ValueError("not a JSON object")
        kwargs.setdefault("backend", backend)
        cfg = ServeConfig(
            env=EnvSpec(env_id=env, env_kwargs=kwargs, recipe=recipe, seed=seed),
            host=host,
            port=port,
            token=token,
            max_sessions=max_sessions,
            idle_timeout_s=idle_timeout,
            max_request_bytes=max_request_bytes,
        )
        run_server(
            cfg, on_ready=lambda url: console.print(f"[green]serving[/] {env} at {url} (/ws)")
        )
    except (AgentGymError, ValueError) as exc:
        _fail(exc)


def main() -> None:
    from agentgym.sandbox.memory import limit_malloc_arenas, trim_heap_every

    limit_malloc_arenas()  # before any thread: bench, serve and rollouts run envs on threads
    trim_heap_every()  # and give the free heap back after bursts of episodes
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
