"""Adapter tests run against the real trainer packages.

Each test module asks for its trainer with ``need("trl")``: a package that is not installed
skips the module, except when ``AGENTGYM_TRAINER_TESTS=required`` (set by .ci/run's trainer
step, which installs the extras into one shared venv and runs this folder with it): then a
missing package is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # helpers.py


def need(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    why = f"{', '.join(missing)} not installed (pip install 'agentgym[<trainer>]')"
    if os.environ.get("AGENTGYM_TRAINER_TESTS") == "required":
        pytest.fail(why + " but AGENTGYM_TRAINER_TESTS=required", pytrace=False)
    pytest.skip(why, allow_module_level=True)


@pytest.fixture(autouse=True)
def _few_threads() -> None:
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(2)  # the CI box is shared
