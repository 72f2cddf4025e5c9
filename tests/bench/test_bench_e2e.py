"""`agentgym bench` end to end as a user types it (local sandbox), report in headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentgym.bench.cli import bench_app

RECIPES = "clean,light,heavy,scaffold-shift"


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    result = CliRunner().invoke(
        bench_app,
        [
            "--policy",
            "oracle,scripted",
            "--envs",
            "agentgym/BugFix-v0",
            "--recipes",
            RECIPES,
            "--episodes",
            "2",
            "--seed",
            "0",
            "--out",
            str(out),
            "--backend",
            "local",
            "--max-turns",
            "6",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "report:" in result.output
    return out


def _rates(out: Path) -> dict[tuple[str, str], float]:
    data = json.loads((out / "results.json").read_text())
    return {
        (r["policy"], r["condition"]): r["rate"]
        for r in data["summary"]["conditions"]
        if r["env"] == "all"
    }


@pytest.mark.slow
def test_oracle_solves_everything_under_preserving_recipes(bench_dir: Path) -> None:
    rates = _rates(bench_dir)
    for recipe in RECIPES.split(","):
        assert rates[("oracle", recipe)] == 1.0, recipe
    data = json.loads((bench_dir / "results.json").read_text())
    assert all(e["status"] == "ok" for e in data["episodes"])
    # paired: the same (task, seed) pairs under every condition
    pairs = {}
    for e in data["episodes"]:
        s = e["spec"]
        pairs.setdefault((s["policy"], s["recipe"]), set()).add((s["task_id"], s["seed"]))
    assert len({frozenset(v) for v in pairs.values()}) == 1


@pytest.mark.slow
def test_scripted_drops_under_scaffold_shift(bench_dir: Path) -> None:
    rates = _rates(bench_dir)
    assert rates[("scripted", "clean")] == 1.0
    assert rates[("scripted", "scaffold-shift")] <= 0.5
    data = json.loads((bench_dir / "results.json").read_text())
    row = next(
        r
        for r in data["summary"]["conditions"]
        if r["env"] == "all" and r["policy"] == "scripted" and r["condition"] == "scaffold-shift"
    )
    assert row["drop"] >= 0.5 and row["pairs"] == 2


@pytest.mark.slow
def test_reports_and_compare(bench_dir: Path, tmp_path: Path) -> None:
    md = (bench_dir / "report.md").read_text()
    assert "success_vs_severity.png" in md and "Wilson" in md
    html = (bench_dir / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2
    # resume: rerunning the same command runs nothing new
    lines = (bench_dir / "episodes.jsonl").read_text().splitlines()
    result = CliRunner().invoke(
        bench_app,
        [
            "--policy",
            "oracle,scripted",
            "--recipes",
            RECIPES,
            "--episodes",
            "2",
            "--out",
            str(bench_dir),
            "--backend",
            "local",
            "--max-turns",
            "6",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (bench_dir / "episodes.jsonl").read_text().splitlines() == lines
    result = CliRunner().invoke(
        bench_app, ["compare", str(bench_dir), str(bench_dir / "results.json")]
    )
    assert result.exit_code == 0, result.output
    assert "paired" in result.output.replace("\n", " ")


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.slow
@pytest.mark.skipif(
    _chromium() is None, reason="chromium not installed (apt-get install -y chromium)"
)
def test_report_renders_in_headless_chromium(bench_dir: Path, tmp_path: Path) -> None:
    import numpy as np
    from matplotlib.image import imread

    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,2400",
            f"--screenshot={shot}",
            (bench_dir / "report.html").resolve().as_uri(),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )
    img = imread(shot)
    assert img.shape[0] > 1000
    # not blank: many distinct colours (the plots), not just text on white
    flat = (img[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    assert len(np.unique(flat, axis=0)) > 200
    assert (flat.std(axis=0) > 5).all()
