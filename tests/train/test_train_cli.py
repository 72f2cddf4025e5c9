"""`agentgym train --config FILE.yaml` as a user types it: a 2-step run on a coding env."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.train, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")
@pytest.mark.timeout(180)
def test_cli_trains_two_steps_on_the_local_coding_config(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "configs" / "train" / "coding-local.yaml").read_text())
    data.update(steps=2, output_dir=str(tmp_path / "run"), progress=False, tensorboard=False)
    config = tmp_path / "coding.yaml"
    config.write_text(yaml.safe_dump(data))
    proc = subprocess.run(
        [sys.executable, "-m", "agentgym.cli", "train", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=tmp_path,  # nothing in the config depends on the working directory
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "run"
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in lines] == [1, 2]
    for m in lines:
        assert m["episodes/graded_frac"] == 1.0  # every episode graded by the task's tests
        assert m["episodes/turns_mean"] == 3.0
    assert (out / "checkpoints" / "step_000002.pt").exists()
    assert (out / "config.yaml").exists()


def test_cli_reports_a_bad_config_without_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("loss:\n  name: grpo\n  entropy_cof: 0.1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "agentgym.cli", "train", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode != 0
    assert "entropy_cof" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
