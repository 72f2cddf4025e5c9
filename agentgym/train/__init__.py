"""agentgym.train: a readable GRPO-family RL trainer (see docs/training.md).

Torch-free on import: ``import agentgym.train`` registers the env ids (through
``agentgym.env``, which owns them, the toy ``agentgym/ToolCall-v0`` included); the trainer
modules import torch themselves.
"""

from __future__ import annotations

from typing import Any

import agentgym.env  # noqa: F401  (registers every env id, agentgym/ToolCall-v0 included)
from agentgym.env.registry import TOY_ENV_ID as TOOLCALL_ENV_ID


def train_main(config_path: str, overrides: dict[str, Any] | None = None) -> None:
    """`agentgym train --config FILE.yaml`: train with the config in ``config_path``."""
    from agentgym.train.trainer import train_main as _train_main

    _train_main(config_path, overrides)


def __getattr__(name: str) -> Any:  # lazy: Trainer, TrainConfig without importing torch up front
    if name == "Trainer":
        from agentgym.train.trainer import Trainer

        return Trainer
    if name in ("TrainConfig", "load_config"):
        from agentgym.train import config

        return getattr(config, name)
    raise AttributeError(name)


__all__ = ["TOOLCALL_ENV_ID", "TrainConfig", "Trainer", "load_config", "train_main"]
