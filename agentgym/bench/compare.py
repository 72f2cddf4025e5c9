"""Contrast two benchmark results: per (policy, condition), B − A with a 95 % interval."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from agentgym.bench.run import load_results
from agentgym.bench.stats import newcombe, paired_bootstrap


def _by_condition(results: dict[str, Any]) -> dict[tuple[str, str], dict[tuple, float]]:
    out: dict[tuple[str, str], dict[tuple, float]] = defaultdict(dict)
    for ep in results["episodes"]:
        s = ep["spec"]
        cond = s["recipe"] if s["axis"] == "all" else f"{s['recipe']}:{s['axis']}"
        out[(s["policy"], cond)][(s["env_id"], s["task_id"], s["seed"])] = float(ep["success"])
    return out


def compare(a: str | Path | dict[str, Any], b: str | Path | dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for every (policy, condition) in both; paired bootstrap when the same episodes
    ran in both (same env, task, seed), else Newcombe's interval for independent rates.
    Policies with different names are matched when each file holds exactly one."""
    ra = a if isinstance(a, dict) else load_results(a)
    rb = b if isinstance(b, dict) else load_results(b)
    ca, cb = _by_condition(ra), _by_condition(rb)
    pa = {p for p, _ in ca}
    pb = {p for p, _ in cb}
    if len(pa) == 1 and len(pb) == 1 and pa != pb:  # model A vs model B on the same matrix
        (only_b,) = pb
        (only_a,) = pa
        cb = {(only_a, c): v for (p, c), v in cb.items() if p == only_b}
    rows = []
    for key in sorted(set(ca) & set(cb)):
        xa, xb = ca[key], cb[key]
        common = sorted(set(xa) & set(xb))
        if common and len(common) == len(xa) == len(xb):
            diff, lo, hi = paired_bootstrap([xb[k] for k in common], [xa[k] for k in common])
            method = "paired bootstrap"
        else:
            diff, lo, hi = newcombe(int(sum(xb.values())), len(xb), int(sum(xa.values())), len(xa))
            method = "Newcombe (unpaired)"
        rows.append(
            {
                "policy": key[0],
                "condition": key[1],
                "rate_a": sum(xa.values()) / len(xa),
                "rate_b": sum(xb.values()) / len(xb),
                "n_a": len(xa),
                "n_b": len(xb),
                "diff": diff,
                "low": lo,
                "high": hi,
                "method": method,
            }
        )
    return rows


__all__ = ["compare"]
