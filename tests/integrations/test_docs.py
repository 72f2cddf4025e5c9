"""docs/integrations.md's TRL script runs as a user copies it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import need

need("trl", "datasets", "torch", "transformers")

ROOT = Path(__file__).resolve().parents[2]


def doc_script() -> str:
    text = (ROOT / "docs" / "integrations.md").read_text()
    block = re.search(
        r"<!-- trl-script -->\s*```python\n(.*?)```\s*<!-- /trl-script -->", text, re.S
    )
    assert block, "docs/integrations.md lost its marked TRL script"
    return block.group(1)


@pytest.mark.slow
@pytest.mark.timeout(900)  # a whole TRL run in a fresh interpreter; slow on a loaded 2-core box
def test_trl_doc_script_runs(tmp_path) -> None:
    script = tmp_path / "train.py"
    script.write_text(doc_script())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=850,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "'rewards/env_reward/mean'" in out.stdout
