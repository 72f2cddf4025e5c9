"""Pure RL from a random-init transformer: reward on ToolCall-v0 must go from low to >= 0.8."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from agentgym.train.config import TrainConfig  # noqa: E402
from agentgym.train.trainer import Trainer  # noqa: E402

pytestmark = [pytest.mark.train, pytest.mark.slow]

MAX_STEPS = 700  # GRPO gets there in ~390 steps, CISPO in ~500 (about 45-60 s on an idle core)


@pytest.mark.timeout(900)  # generous: a shared, overloaded CI box can be 10x slower
@pytest.mark.parametrize("loss", ["grpo", "cispo"])
def test_reward_rises_from_scratch(loss: str, tmp_path: Path) -> None:
    # One thread: the learning curve depends on float summation order, so pin it.
    torch.set_num_threads(1)
    cfg = TrainConfig(
        seed=0, steps=MAX_STEPS, output_dir=str(tmp_path), progress=False, loss={"name": loss}
    )
    trainer = Trainer(cfg)
    rewards: list[float] = []
    start = time.perf_counter()
    while trainer.step_idx < MAX_STEPS:
        rewards.append(trainer.step()["reward/mean"])
        if len(rewards) >= 10 and sum(rewards[-10:]) / 10 >= 0.8:
            break
    elapsed = time.perf_counter() - start
    first = sum(rewards[:5]) / 5
    last = sum(rewards[-10:]) / 10
    print(f"{loss}: reward {first:.3f} -> {last:.3f} in {len(rewards)} steps, {elapsed:.0f}s")
    assert first < 0.1, "a random-init policy should start near zero reward"
    assert last >= 0.8, (
        f"reward only reached {last:.3f} after {len(rewards)} steps ({elapsed:.0f}s)"
    )
