"""``agentgym scaffolds list|show|validate``: the bundled harness profiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentgym.errors import AgentGymError

scaffolds_app = typer.Typer(
    help="Real agent harness profiles (docs/scaffolds.md).", no_args_is_help=True
)
console = Console()


@scaffolds_app.command("list")
def scaffolds_list(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Every bundled profile: harness, version, placement, tools, action styles."""
    from agentgym.scaffolds import load_profile, profile_names

    rows = []
    for name in profile_names():
        p = load_profile(name)
        rows.append(
            {
                "name": p.name,
                "harness": p.harness,
                "version": p.version,
                "placement": p.placement,
                "tools": [t.name for t in p.tools],
                "action_styles": list(p.action_styles),
                "finish": p.finish.style,
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} scaffold profiles")
    for col in ("name", "harness", "version", "placement", "tools", "action styles"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["name"],
            r["harness"],
            r["version"],
            r["placement"],
            ", ".join(r["tools"]),
            ", ".join(r["action_styles"]),
        )
    console.print(table)


@scaffolds_app.command("show")
def scaffolds_show(
    name: Annotated[str, typer.Argument(help="a bundled profile name or a profile .yaml")],
    prompt: Annotated[
        bool, typer.Option("--prompt", help="print the rendered system prompt and task framing")
    ] = False,
) -> None:
    """A profile as canonical YAML (or its rendered prompts with --prompt)."""
    from agentgym.scaffolds import dump_profile, load_profile
    from agentgym.scaffolds.runtime import ScaffoldRuntime

    try:
        profile = load_profile(name)
    except AgentGymError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from None
    if prompt:
        rt = ScaffoldRuntime(profile)
        typer.echo("=== system ===\n" + rt.system_prompt())
        typer.echo("\n=== user ===\n" + rt.user_message("<the task's instruction>"))
        return
    typer.echo(dump_profile(profile), nl=False)


@scaffolds_app.command("validate")
def scaffolds_validate(
    paths: Annotated[list[Path], typer.Argument(help="profile .yaml files")],
) -> None:
    """Validate profile files (exit 1 on the first invalid one)."""
    from agentgym.scaffolds import parse_profile

    for path in paths:
        try:
            p = parse_profile(path.read_text(encoding="utf-8"), str(path))
        except (AgentGymError, OSError) as exc:
            console.print(f"[bold red]invalid:[/] {exc}")
            raise typer.Exit(code=1) from None
        console.print(f"ok: {path} ({p.harness} {p.version}, {len(p.tools)} tools)")
