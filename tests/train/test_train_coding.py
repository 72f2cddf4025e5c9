"""End to end on a real coding task: rollout -> grade -> update -> checkpoint -> resume.

One bundled BugFix task (the first by name: a deterministic pick), a tiny random-init model,
three turns per episode. The local (bubblewrap) variant runs anywhere; the Docker variant
needs a daemon. Every third grade is turned into an infrastructure fault, which must be
masked out of the loss, not punished.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import agentgym.grading  # noqa: E402
from agentgym.train.config import TrainConfig  # noqa: E402
from agentgym.train.trainer import Trainer  # noqa: E402

pytestmark = [pytest.mark.train, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TASK_DIR = sorted(p for p in (ROOT / "envs" / "bugfix").iterdir() if p.is_dir())[0]
GROUP = 3
NEEDS_BWRAP = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")


def _cfg(out: Path, backend: str, steps: int, workers: int = 1) -> TrainConfig:
    return TrainConfig.model_validate(
        {
            "seed": 0,
            "steps": steps,
            "output_dir": str(out),
            "checkpoint_every": 1,
            "progress": False,
            "tensorboard": False,
            "model": {"max_position_embeddings": 4096},
            "env": {
                "id": "agentgym/Harbor-v0",
                "kwargs": {"path": str(TASK_DIR), "backend": backend, "max_turns": 3},
                "tasks_per_step": 1,
                "group_size": GROUP,
                "max_turns": 3,
                "env_workers": workers,
            },
            "rollout": {"max_new_tokens": 16, "max_total_tokens": 4096},
            # A random policy fails every task (all advantages 0): the entropy bonus makes
            # the update a real one, so resume continuity is checked on changing weights.
            "loss": {"name": "grpo", "entropy_coef": 0.01},
        }
    )


@pytest.fixture
def faulty_grader(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Real grading, except that every third grade comes back as an infrastructure error."""
    real = agentgym.grading.grade_episode
    lock = threading.Lock()
    statuses: list[str] = []

    def grade(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        with lock:
            if len(statuses) % GROUP == GROUP - 1:
                result = result.model_copy(
                    update={
                        "status": "error",
                        "error_kind": "infrastructure",
                        "error": "injected",
                        "reward": 0.0,
                    }
                )
            statuses.append(result.status)
        return result

    monkeypatch.setattr(agentgym.grading, "grade_episode", grade)
    return statuses


def _params(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}


def _check_step(trainer: Trainer, metrics: dict[str, float]) -> None:
    """Grading happened for every episode; the faulted one is out of the loss."""
    assert metrics["episodes/graded_frac"] == 1.0
    assert metrics["episodes/faults"] == 1.0
    assert metrics["episodes/turns_mean"] == 3.0
    assert metrics["reward/mean"] == 0.0  # a random policy does not fix the bug
    assert "loss/total" in metrics and metrics["mismatch/max_abs"] < 1e-4


def _run(out: Path, backend: str, faulty_grader: list[str], workers: int) -> None:
    # Interrupted after two steps, then resumed for a third.
    first = Trainer(_cfg(out, backend, steps=2, workers=workers))
    before = _params(first)
    episodes = first.rollout()  # one rollout inspected by hand, then the run itself
    graded = [ep.grade_status for ep in episodes]
    assert sorted(graded, key=str) == ["error", "fail", "fail"], graded
    for ep in episodes:
        assert ep.task_id == TASK_DIR.name and ep.num_turns == 3
        assert (ep.error is not None) == (ep.grade_status == "error")
        assert sum(ep.loss_mask) > 0 and len(ep.token_ids) == len(ep.loss_mask)
    first.step_idx = 0
    history = first.fit()
    assert len(history) == 2
    for m in history:
        _check_step(first, m)
    assert any(not torch.equal(before[k], v) for k, v in _params(first).items())
    ckpts = sorted((out / "checkpoints").glob("step_*.pt"))
    assert [p.name for p in ckpts] == ["step_000001.pt", "step_000002.pt"]
    state = torch.load(ckpts[-1], weights_only=False)
    assert state["step"] == 2
    adam_steps = {int(s["step"]) for s in state["optimizer"]["state"].values()}
    assert adam_steps == {2}  # one optimizer step per RL step

    resumed = Trainer(_cfg(out, backend, steps=3, workers=workers))
    resumed.load_checkpoint(ckpts[-1])  # what fit() does; checked before the next step
    for k, v in _params(first).items():
        torch.testing.assert_close(resumed.model.state_dict()[k], v, rtol=0, atol=0)
    assert resumed.rng.bit_generator.state == first.rng.bit_generator.state
    more = resumed.fit()
    assert resumed.step_idx == 3 and len(more) == 1
    _check_step(resumed, more[0])
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3]
    # 1 inspected rollout + 3 steps, GROUP grades each, every third one faulted
    assert len(faulty_grader) == 4 * GROUP
    assert faulty_grader.count("error") == 4


@NEEDS_BWRAP
@pytest.mark.timeout(120)
def test_coding_task_end_to_end_local(tmp_path: Path, faulty_grader: list[str]) -> None:
    _run(tmp_path / "run", "local", faulty_grader, workers=1)


@pytest.mark.docker
@pytest.mark.timeout(120)
def test_coding_task_end_to_end_docker(tmp_path: Path, faulty_grader: list[str]) -> None:
    _run(tmp_path / "run", "docker", faulty_grader, workers=GROUP)


@NEEDS_BWRAP
@pytest.mark.timeout(120)
def test_coding_resume_is_bit_for_bit(tmp_path: Path) -> None:
    """Three straight steps == two steps, stop, resume for a third (local backend)."""
    straight = Trainer(_cfg(tmp_path / "a", "local", steps=3))
    straight.fit()
    Trainer(_cfg(tmp_path / "b", "local", steps=2)).fit()
    resumed = Trainer(_cfg(tmp_path / "b", "local", steps=3))
    resumed.fit()
    a, b = _params(straight), _params(resumed)
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
