"""The soak benchmark's short setting (8 concurrent episodes for 1 minute) as a test: the
oracle over mixed tasks and recipes with hostile commands mixed in leaves no container, no
leaked fd and no unexpected error behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]


def test_short_soak(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    run = subprocess.run(
        [
            *(sys.executable, str(ROOT / "benchmarks" / "soak.py")),
            *("--concurrency", "8", "--minutes", "1", "--hostile", "0.25", "--window", "15"),
            *("--out", str(out)),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["episodes"] >= 8
    assert result["containers_left"] == 0
    assert result["open_fds_end"] <= result["open_fds_after_warmup"] + 8
    assert result["unexpected_errors"] == {}, result["unexpected_examples"]
