"""Aggregate episodes into the results summary, and write report.md / report.html with plots."""

from __future__ import annotations

import base64
import html
import io
from collections import defaultdict
from pathlib import Path
from typing import Any

from agentgym.bench.stats import paired_bootstrap, wilson

ALL = "all"


def _cond(ep: dict[str, Any]) -> str:
    s = ep["spec"]
    return s["recipe"] if s["axis"] == ALL else f"{s['recipe']}:{s['axis']}"


def summarize(
    episodes: list[dict[str, Any]], *, seed: int = 0, holdout: list[str] | None = None
) -> dict[str, Any]:
    """Per (policy, env, condition) and per (policy, condition) over all envs: rate, Wilson CI,
    paired drop against clean with a bootstrap CI, monitor-flag rate, errors, turns, tokens."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for ep in episodes:
        s = ep["spec"]
        for env in (s["env_id"], ALL):
            groups[(s["policy"], env, _cond(ep))].append(ep)
    rows = []
    for (policy, env, cond), eps in sorted(groups.items()):
        k = sum(bool(e["success"]) for e in eps)
        n = len(eps)
        lo, hi = wilson(k, n)
        first = eps[0]["spec"]
        row: dict[str, Any] = {
            "policy": policy,
            "env": env,
            "condition": cond,
            "recipe": first["recipe"],
            "axis": first["axis"],
            "severity": first["severity"],
            "n": n,
            "successes": k,
            "rate": k / n if n else 0.0,
            "ci_low": lo,
            "ci_high": hi,
            "errors": sum(e["status"] != "ok" for e in eps),
            "flag_rate": sum(bool(_flags(e)) for e in eps) / n if n else 0.0,
            "flags": _flag_counts(eps),
            "mean_turns": sum(e["turns"] for e in eps) / n if n else 0.0,
            "tokens": sum(e["prompt_tokens"] + e["completion_tokens"] for e in eps),
            "parse_error_rate": sum(e["parse_errors"] > 0 for e in eps) / n if n else 0.0,
        }
        clean = groups.get((policy, env, "clean"))
        if clean is not None and cond != "clean":
            base = {_pair(e): float(e["success"]) for e in clean}
            pairs = [(base[_pair(e)], float(e["success"])) for e in eps if _pair(e) in base]
            d, dlo, dhi = paired_bootstrap([p[0] for p in pairs], [p[1] for p in pairs], seed=seed)
            row.update(drop=d, drop_low=dlo, drop_high=dhi, pairs=len(pairs))
        rows.append(row)
    out: dict[str, Any] = {"conditions": rows}
    from agentgym.bench.scaffolds import scaffold_summary

    scaffolds = scaffold_summary(rows, holdout)
    if scaffolds is not None:  # recipe@profile conditions: seen vs unseen harnesses
        out["scaffolds"] = scaffolds
    return out


def _pair(ep: dict[str, Any]) -> tuple[str, str, int]:
    s = ep["spec"]
    return s["env_id"], s["task_id"], s["seed"]


def _flags(ep: dict[str, Any]) -> list[dict[str, Any]]:
    """Monitor flags that are findings (informational 'trusted' notes left out)."""
    return [
        f for f in ep["monitor_flags"] if f.get("severity") != "info" and f.get("kind") != "trusted"
    ]


def _flag_counts(eps: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for e in eps:
        for rule in {str(f.get("rule_id") or f.get("rule") or "flag") for f in _flags(e)}:
            out[rule] += 1
    return dict(out)


# --- figures -----------------------------------------------------------------------------


def _severity_rank(name: str) -> tuple[int, str]:
    order = {"clean": 0, "light": 1, "medium": 2, "heavy": 3}
    return order.get(name, 4), name


def figures(summary: dict[str, Any]) -> dict[str, bytes]:
    """PNG bytes: success vs severity per axis (one panel per policy), heatmap env × condition."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summary["conditions"]
    policies = sorted({r["policy"] for r in rows})
    out: dict[str, bytes] = {}

    fig, axes = plt.subplots(1, len(policies), figsize=(5.5 * len(policies), 4), squeeze=False)
    for ax, policy in zip(axes[0], policies, strict=True):
        mine = [r for r in rows if r["policy"] == policy and r["env"] == ALL]
        clean = next((r for r in mine if r["condition"] == "clean"), None)
        recipes = sorted({r["recipe"] for r in mine}, key=_severity_rank)
        xs = {name: i for i, name in enumerate(recipes)}
        for axis in sorted({r["axis"] for r in mine if r["recipe"] != "clean"}):
            pts = sorted(
                [r for r in mine if r["axis"] == axis and r["recipe"] != "clean"],
                key=lambda r: _severity_rank(r["recipe"]),
            )
            if clean is not None:
                pts = [clean, *pts]
            x = [xs[p["recipe"]] for p in pts]
            y = [p["rate"] for p in pts]
            err = [
                [max(0.0, p["rate"] - p["ci_low"]) for p in pts],
                [max(0.0, p["ci_high"] - p["rate"]) for p in pts],
            ]
            ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=axis)
        ax.set_xticks(range(len(recipes)), recipes, rotation=15)
        ax.set_ylim(-0.05, 1.05)
        ax.set_ylabel("success rate (95% Wilson CI)")
        ax.set_title(policy)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(title="axis", fontsize=8)
    fig.tight_layout()
    out["success_vs_severity.png"] = _png(fig, plt)

    conds = sorted(
        {r["condition"] for r in rows}, key=lambda c: (_severity_rank(c.split(":")[0]), c)
    )
    fig, axes = plt.subplots(
        1,
        len(policies),
        figsize=(max(5.0, 1.1 * len(conds) + 2.5) * len(policies), 0.5 * 6 + 1.5),
        squeeze=False,
    )
    for ax, policy in zip(axes[0], policies, strict=True):
        envs = sorted({r["env"] for r in rows if r["policy"] == policy and r["env"] != ALL})
        grid = [[float("nan")] * len(conds) for _ in envs]
        for r in rows:
            if r["policy"] == policy and r["env"] in envs:
                grid[envs.index(r["env"])][conds.index(r["condition"])] = r["rate"]
        im = ax.imshow(grid, vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
        ax.set_xticks(range(len(conds)), conds, rotation=30, ha="right")
        ax.set_yticks(range(len(envs)), [e.split("/")[-1] for e in envs])
        for i, line in enumerate(grid):
            for j, v in enumerate(line):
                if v == v:
                    ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=8)
        ax.set_title(f"{policy}: success by env × condition")
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    out["heatmap_env_condition.png"] = _png(fig, plt)
    if summary.get("scaffolds"):
        from agentgym.bench.scaffolds import heatmap

        png = heatmap(summary["scaffolds"])
        if png is not None:
            out["heatmap_scaffold_condition.png"] = png
    return out


def _png(fig: Any, plt: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


# --- documents ----------------------------------------------------------------------------


def _drop_text(r: dict[str, Any]) -> str:
    return f"{100 * r['drop']:+.1f} pp" if "drop" in r else "—"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def table_rows(summary: dict[str, Any], env: str = ALL) -> list[list[str]]:
    """The headline table: one row per (policy, condition) over all envs."""
    out = []
    for r in _ordered(summary, env):
        drop = (
            f"{100 * r['drop']:+.1f} pp [{100 * r['drop_low']:+.1f}, {100 * r['drop_high']:+.1f}]"
            if "drop" in r
            else "—"
        )
        out.append(
            [
                r["policy"],
                r["condition"],
                f"{r['successes']}/{r['n']}",
                _pct(r["rate"]),
                f"[{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]",
                drop,
                _pct(r["flag_rate"]),
                f"{r['mean_turns']:.1f}",
                str(r["errors"]),
            ]
        )
    return out


def compact_rows(summary: dict[str, Any], env: str = ALL) -> list[list[str]]:
    """The console table: like :func:`table_rows`, short enough for 80 columns."""
    out = []
    for r in _ordered(summary, env):
        ci = f"{100 * r['rate']:.0f} [{100 * r['ci_low']:.0f},{100 * r['ci_high']:.0f}]"
        out.append(
            [
                r["policy"],
                r["condition"],
                f"{r['successes']}/{r['n']}",
                ci,
                f"{100 * r['drop']:+.0f}" if "drop" in r else "—",
                f"{100 * r['flag_rate']:.0f}",
                f"{r['mean_turns']:.1f}",
                str(r["errors"]),
            ]
        )
    return out


def _ordered(summary: dict[str, Any], env: str) -> list[dict[str, Any]]:
    rows = sorted(
        summary["conditions"],
        key=lambda r: (r["policy"], _severity_rank(r["recipe"]), r["condition"]),
    )
    return [r for r in rows if r["env"] == env]


HEADERS = [
    "policy",
    "condition",
    "success",
    "rate",
    "95% CI",
    "drop vs clean [95% CI]",
    "flags",
    "turns",
    "errors",
]


def write_report(results: dict[str, Any], out_dir: str | Path) -> dict[str, Path]:
    """report.md (+ PNGs beside it) and a self-contained report.html (PNGs inlined)."""
    out_dir = Path(out_dir)
    summary = results["summary"]
    meta = results["meta"]
    figs = figures(summary)
    for name, data in figs.items():
        (out_dir / name).write_bytes(data)
    head = (
        f"policies {', '.join(meta['policies'])} · envs {', '.join(meta['envs'])} · recipes "
        f"{', '.join(meta['recipes'])} · {meta['episodes']} episodes per env and condition · "
        f"seed {meta['seed']} · backend {meta.get('backend')} · recipe adapter {meta.get('adapter')}"
    )
    rows = table_rows(summary)
    per_env = [r for r in summary["conditions"] if r["env"] != ALL]
    md = ["# Robustness report", "", head, "", "## Success by condition (all envs)", ""]
    md += ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    md += [
        "",
        "## Success vs severity per axis",
        "",
        "![success vs severity](success_vs_severity.png)",
    ]
    md += ["", "## Env × condition", "", "![heatmap](heatmap_env_condition.png)", ""]
    md += [
        "## Per env",
        "",
        "| policy | env | condition | success | rate | drop vs clean |",
        "|---|---|---|---|---|---|",
    ]
    for r in per_env:
        drop = f"{100 * r['drop']:+.1f} pp" if "drop" in r else "—"
        md.append(
            f"| {r['policy']} | {r['env']} | {r['condition']} | {r['successes']}/{r['n']} | {_pct(r['rate'])} | {drop} |"
        )
    scaffold_md: list[str] = []
    if summary.get("scaffolds"):
        from agentgym.bench.scaffolds import markdown as scaffold_markdown

        scaffold_md = scaffold_markdown(summary["scaffolds"])
        md += ["", *scaffold_md]
    md += ["", STATS_NOTE, ""]
    (out_dir / "report.md").write_text("\n".join(md), "utf-8")

    def img(name: str, alt: str) -> str:
        data = base64.b64encode(figs[name]).decode()
        return f'<figure><img alt="{alt}" src="data:image/png;base64,{data}"><figcaption>{alt}</figcaption></figure>'

    cells = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    env_cells = "".join(
        f"<tr><td>{html.escape(r['policy'])}</td><td>{html.escape(r['env'])}</td><td>{html.escape(r['condition'])}</td>"
        f"<td>{r['successes']}/{r['n']}</td><td>{_pct(r['rate'])}</td>"
        f"<td>{_drop_text(r)}</td></tr>"
        for r in per_env
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>agentgym robustness report</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;background:#fff}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;font-size:14px}}
th{{background:#f0f0f0}}figure{{margin:1em 0}}img{{max-width:100%;border:1px solid #eee}}
.meta{{color:#555}}
</style></head><body>
<h1>Robustness report</h1>
<p class="meta">{html.escape(head)}</p>
<h2>Success by condition (all envs)</h2>
<table><thead><tr>{"".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)}</tr></thead><tbody>{cells}</tbody></table>
<h2>Success vs severity per axis</h2>
{img("success_vs_severity.png", "success rate vs severity, one line per perturbation axis")}
<h2>Env × condition</h2>
{img("heatmap_env_condition.png", "success rate by env and condition")}
<h2>Per env</h2>
<table><thead><tr><th>policy</th><th>env</th><th>condition</th><th>success</th><th>rate</th><th>drop vs clean</th></tr></thead>
<tbody>{env_cells}</tbody></table>
{_scaffold_html(scaffold_md, figs)}
<p>{html.escape(STATS_NOTE)}</p>
</body></html>
"""
    (out_dir / "report.html").write_text(page, "utf-8")
    return {"md": out_dir / "report.md", "html": out_dir / "report.html"}


def _scaffold_html(md: list[str], figs: dict[str, bytes]) -> str:
    """The scaffold section in HTML: its Markdown tables as tables, then the heatmap."""
    if not md:
        return ""
    parts = ["<h2>Real scaffolds: seen vs unseen</h2>"]
    table: list[list[str]] = []
    for line in [*md[1:], ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not set("".join(cells)) <= set("-"):
                table.append(cells)
            continue
        if table:
            head, *body = table
            parts.append(
                "<table><thead><tr>"
                + "".join(f"<th>{html.escape(c)}</th>" for c in head)
                + "</tr></thead><tbody>"
                + "".join(
                    "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                    for r in body
                )
                + "</tbody></table>"
            )
            table = []
        if line and not line.startswith("!") and not line.startswith("#"):
            parts.append(f"<p>{html.escape(line)}</p>")
    if "heatmap_scaffold_condition.png" in figs:
        data = base64.b64encode(figs["heatmap_scaffold_condition.png"]).decode()
        parts.append(
            f'<figure><img alt="success by scaffold and condition" src="data:image/png;base64,{data}">'
            "<figcaption>success rate by scaffold (rows; unseen = held out of training) and "
            "condition</figcaption></figure>"
        )
    return "\n".join(parts)


STATS_NOTE = (
    "Statistics: success rates carry 95% Wilson score intervals. Drops are paired: each "
    "perturbed episode is matched with the clean episode of the same env, task and seed, and "
    "the mean difference (clean − perturbed, in percentage points; positive = worse under "
    "perturbation) gets a 95% percentile bootstrap interval over the matched pairs (2000 "
    "resamples). Monitor flags: share of episodes with at least one flag. Errors (policy or "
    "infrastructure failures) count as failures and are listed."
)

__all__ = ["HEADERS", "STATS_NOTE", "figures", "summarize", "table_rows", "write_report"]
