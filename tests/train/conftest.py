from __future__ import annotations

import importlib.util

import pytest

# Skip the whole folder cleanly when the [train] extra is not installed.
_MISSING = [
    m for m in ("torch", "transformers", "tokenizers") if importlib.util.find_spec(m) is None
]
collect_ignore_glob = ["test_*.py"] if _MISSING else []


@pytest.fixture(autouse=True)
def _few_threads() -> None:
    # The CI box is shared: never use more than two cores.
    import torch

    torch.set_num_threads(2)
