"""The GPU benchmarks stay runnable: their CPU smoke mode runs here, their GPU mode on a GPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_train_throughput_cpu_smoke_times_both_engines(tmp_path: Path) -> None:
    out = tmp_path / "train_throughput.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "train_throughput.py"), "--cpu-smoke",
         "--no-trl", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.with_name("train_throughput_cpu_smoke.json").read_text())
    assert set(result["agentgym_engines"]) == {"static", "hf"}
    for eng in result["agentgym_engines"].values():
        assert eng["steps_timed"] >= 1 and eng["tokens_per_s"] > 0
    assert result["trl"]["available"] is False and result["speedup_vs_trl"] is None


def test_gpu_trainer_check_says_it_needs_a_gpu() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("has a GPU: the script would run for minutes")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_trainer_check.py")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode != 0 and "needs a CUDA GPU" in proc.stderr
