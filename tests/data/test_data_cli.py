"""``agentgym data`` as a user types it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentgym.data.cli import data_app
from agentgym.data.io import read_rows
from agentgym.env import envs_root
from agentgym.perturb import EpisodePerturbation

runner = CliRunner()
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap is not installed")


@pytest.fixture(scope="module")
def trajectories(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two real oracle episodes on the local backend, saved as trajectories."""
    if shutil.which("bwrap") is None:
        pytest.skip("bwrap is not installed")
    d = tmp_path_factory.mktemp("roll")
    r = runner.invoke(
        data_app,
        [
            "rollout", "--env", str(envs_root() / "bugfix"), "--backend", "local",
            "--episodes", "2", "--recipe", "perturbations/light.yaml", "--policy", "replay",
            "--formats", "qwen3,llama3.1", "--out", str(d / "rows.jsonl"),
            "--save-trajectories", str(d / "traj.jsonl"),
        ],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "2 kept" in r.output
    return d


def test_rollout_writes_rows_per_format(trajectories: Path) -> None:
    rows = read_rows(trajectories / "rows.jsonl")
    assert [r.chat_format for r in rows] == ["qwen3", "llama3.1"] * 2
    assert all(r.reward == 1.0 for r in rows)
    for row in rows:  # the rows hold the agent's (perturbed) view, consistent with the records
        ep = EpisodePerturbation(row.perturbations)
        names = {t["function"]["name"] for t in row.tools}
        for m in row.messages:
            for c in m.get("tool_calls", []):
                assert c["function"]["name"] in names
        assert ep.records == row.perturbations


def test_perturb_end_to_end_with_a_bad_line(trajectories: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    good = (trajectories / "traj.jsonl").read_text().splitlines()
    src.write_text("\n".join([good[0], "{broken", "", good[1]]) + "\n")
    out = tmp_path / "data.parquet"
    args = [
        "perturb", "--input", str(src), "--recipe", "perturbations/heavy.yaml",
        "--formats", "qwen3,llama3.1,minimax-m2", "--variants", "4", "--out", str(out),
    ]  # fmt: skip
    r = runner.invoke(data_app, args)
    assert r.exit_code == 0, r.output
    assert "in.jsonl:2" in r.output and "1 bad" in r.output and "1 blank" in r.output
    rows = read_rows(out)
    assert len(rows) == 2 * 4 * 3
    assert {r.source for r in rows} == {"in.jsonl:1", "in.jsonl:4"}
    r = runner.invoke(data_app, [*args, "--on-error", "fail"])
    assert r.exit_code == 1 and "in.jsonl:2" in r.output


def test_unknown_format_and_output_are_clear_errors(trajectories: Path, tmp_path: Path) -> None:
    src = str(trajectories / "traj.jsonl")
    r = runner.invoke(
        data_app,
        ["perturb", "--input", src, "--formats", "qwen9", "--out", str(tmp_path / "a.jsonl")],
    )
    assert r.exit_code == 1 and "unknown chat format" in r.output
    r = runner.invoke(data_app, ["perturb", "--input", src, "--out", str(tmp_path / "a.csv")])
    assert r.exit_code == 1 and ".jsonl or .parquet" in r.output


def test_perturb_jsonl_rows_are_valid_json(trajectories: Path, tmp_path: Path) -> None:
    out = tmp_path / "d.jsonl"
    r = runner.invoke(
        data_app,
        [
            "perturb",
            "--input",
            str(trajectories / "traj.jsonl"),
            "--out",
            str(out),
            "--workers",
            "2",
        ],
    )
    assert r.exit_code == 0, r.output
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(x)["text"] for x in lines)


def test_perturb_takes_pinned_template_revisions(trajectories: Path, tmp_path: Path) -> None:
    src = str(trajectories / "traj.jsonl")
    out = tmp_path / "pinned.jsonl"
    r = runner.invoke(
        data_app,
        [
            "perturb", "--input", src, "--recipe", "perturbations/clean.yaml",
            "--formats", "kimi-k2@2025-07,qwen3-coder@2025-07,kimi-k2", "--out", str(out),
        ],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    rows = read_rows(out)
    assert [r.chat_format for r in rows[:3]] == [
        "kimi-k2@2025-07",
        "qwen3-coder@2025-07",
        "kimi-k2",
    ]
    july, _, latest = (row.text for row in rows[:3])
    # Kimi's ids in both; the July 2025 template writes a literal backslash-n after the id
    assert re.search(r"## Return of functions\.\w+:\d+\\n", july)
    assert re.search(r"## Return of functions\.\w+:\d+\n", latest)
    r = runner.invoke(
        data_app,
        ["perturb", "--input", src, "--formats", "kimi-k2@1999-01", "--out", str(out)],
    )
    assert r.exit_code == 1 and "kimi-k2@1999-01" in r.output
