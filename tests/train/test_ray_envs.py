"""The trainer's rollout collection with envs in Ray actors (``ray.address``): the same
episodes, token for token, as with local envs."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("ray", reason="needs agentgym[ray]")

from agentgym.train.config import TrainConfig  # noqa: E402
from agentgym.train.ray_envs import RayEnvPool, RemoteEnv  # noqa: E402
from agentgym.train.rollout import EnvPool, RolloutRequest, collect_episodes  # noqa: E402
from agentgym.train.trainer import Trainer  # noqa: E402

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _trainer(tmp_path: Path, env_id: str, kwargs: dict, address: str | None = None) -> Trainer:
    cfg = {
        "output_dir": str(tmp_path),
        "progress": False,
        "tensorboard": False,
        "model": {"max_position_embeddings": 2048},
        "env": {"id": env_id, "kwargs": kwargs, "tasks_per_step": 2, "group_size": 2},
        "rollout": {"max_new_tokens": 8, "max_total_tokens": 2048},
        "ray": {"address": address},
    }
    return Trainer(TrainConfig.model_validate(cfg))


@pytest.mark.parametrize(
    ("env_id", "kwargs", "turns"),
    [
        ("agentgym/ToolCall-v0", {}, 1),
        ("agentgym/BugFix-v0", {"backend": "docker", "max_turns": 2, "grade": False}, 2),
    ],
)
def test_remote_envs_give_the_local_episodes(
    ray_cluster: str, tmp_path: Path, env_id: str, kwargs: dict, turns: int
) -> None:
    trainer = _trainer(tmp_path, env_id, kwargs, address=ray_cluster)
    assert isinstance(trainer.env_pool, RayEnvPool)
    req = RolloutRequest(
        env_id,
        (1, 2),
        2,
        kwargs,
        max_turns=turns,
        max_new_tokens=8,
        max_total_tokens=2048,
        sample_seed=3,
        env_workers=4,
    )
    local_pool = EnvPool()
    try:
        local = collect_episodes(trainer.engine, trainer.tokenizer, req, env_pool=local_pool)
        remote = collect_episodes(trainer.engine, trainer.tokenizer, req, env_pool=trainer.env_pool)
        assert len(trainer.env_pool) == 4
        assert all(isinstance(e, RemoteEnv) for v in trainer.env_pool._free.values() for e in v)
        again = collect_episodes(trainer.engine, trainer.tokenizer, req, env_pool=trainer.env_pool)
    finally:
        local_pool.close()
        trainer.env_pool.close()
    for eps in (remote, again):
        assert [e.error for e in eps] == [None] * 4
        assert [e.token_ids for e in eps] == [e.token_ids for e in local]
        assert [e.loss_mask for e in eps] == [e.loss_mask for e in local]
        assert [e.reward for e in eps] == [e.reward for e in local]
        assert [e.num_turns for e in eps] == [e.num_turns for e in local]
