"""Registered environment ids. ``gymnasium.make("agentgym/BugFix-v0", backend="docker")``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import gymnasium as gym

from agentgym.errors import ConfigError

ENV_IDS = {
    "agentgym/BugFix-v0": "bugfix",
    "agentgym/Refactor-v0": "refactor",
    "agentgym/Feature-v0": "feature",
    "agentgym/Harbor-v0": None,
    "agentgym/SWEBench-v0": None,
}
TOY_ENV_ID = "agentgym/ToolCall-v0"


def envs_root() -> Path:
    """Where the bundled task packs live (``AGENTGYM_ENVS`` overrides)."""
    if os.environ.get("AGENTGYM_ENVS"):
        return Path(os.environ["AGENTGYM_ENVS"])
    return Path(__file__).resolve().parents[2] / "envs"


def make_pack_env(pack: str, **kwargs: Any) -> Any:
    from agentgym.env.coding import CodingEnv

    root = envs_root() / pack
    if not root.is_dir():
        raise ConfigError(
            f"task pack {pack!r} not found at {root}; install agentgym from a source checkout "
            "or point AGENTGYM_ENVS at the folder holding the packs"
        )
    return CodingEnv(root, **kwargs)


def make_harbor_env(path: str | None = None, **kwargs: Any) -> Any:
    """Any folder of Harbor tasks (or one task folder)."""
    from agentgym.env.coding import CodingEnv

    if path is None:
        raise ConfigError('agentgym/Harbor-v0 needs path="folder of Harbor tasks"')
    return CodingEnv(Path(path), **kwargs)


def make_swebench_env(
    jsonl: str | None = None,
    repos: str | None = None,
    strict: bool = False,
    official_images: bool = True,
    **kwargs: Any,
) -> Any:
    """SWE-bench-style JSONL records: each instance's official image when the local Docker
    has it, else its repository (local folder or tarball) checked out at ``base_commit``."""
    from agentgym.env.coding import CodingEnv

    if jsonl is None:
        raise ConfigError('agentgym/SWEBench-v0 needs jsonl="records.jsonl" (and repos="dir")')
    from agentgym.tasks.swebench import load_record_tasks

    if repos is None:
        repos = str(Path(jsonl).resolve().parent)
    tasks = load_record_tasks(jsonl, repos, strict=strict, official_images=official_images)
    return CodingEnv(tasks, **kwargs)


def register_envs() -> None:
    """Register every agentgym id with Gymnasium (idempotent)."""
    registry = gym.envs.registration.registry
    for env_id, pack in ENV_IDS.items():
        if env_id in registry:
            continue
        if pack is not None:
            gym.register(
                id=env_id,
                entry_point="agentgym.env.registry:make_pack_env",
                kwargs={"pack": pack},
                disable_env_checker=True,
            )
        elif env_id.endswith("Harbor-v0"):
            gym.register(
                id=env_id,
                entry_point="agentgym.env.registry:make_harbor_env",
                disable_env_checker=True,
            )
        else:
            gym.register(
                id=env_id,
                entry_point="agentgym.env.registry:make_swebench_env",
                disable_env_checker=True,
            )
    if TOY_ENV_ID not in registry:
        gym.register(id=TOY_ENV_ID, entry_point="agentgym.env.toolcall:ToolCallEnv")
