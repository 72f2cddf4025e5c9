"""FP32 master weights: bf16 models keep learning from updates smaller than bf16's resolution."""

from __future__ import annotations

import torch

from agentgym.train.config import TrainConfig
from agentgym.train.master import MasterWeightsAdamW, make_optimizer


def _bf16_layer() -> torch.nn.Linear:
    layer = torch.nn.Linear(4, 4, bias=False).to(torch.bfloat16)
    with torch.no_grad():
        layer.weight.fill_(1.0)
    return layer


def _steps(opt: object, layer: torch.nn.Linear, n: int) -> None:
    for _ in range(n):
        layer.weight.grad = torch.ones_like(layer.weight)
        opt.step()  # type: ignore[attr-defined]
        opt.zero_grad(set_to_none=True)  # type: ignore[attr-defined]


def test_small_updates_vanish_in_pure_bf16_but_not_with_masters() -> None:
    plain, mixed = _bf16_layer(), _bf16_layer()
    # AdamW's first steps move each weight by ~lr = 1e-3 < bf16's spacing just below 1.0 (2^-9)
    _steps(make_optimizer(plain.parameters(), master_fp32=False, lr=1e-3), plain, 10)
    _steps(make_optimizer(mixed.parameters(), master_fp32=True, lr=1e-3), mixed, 10)
    assert torch.all(plain.weight == 1.0)  # every update rounded away
    assert torch.all(mixed.weight < 1.0)  # the FP32 master accumulated them
    assert mixed.weight.dtype == torch.bfloat16


def test_state_dict_round_trip_continues_identically() -> None:
    a, b = _bf16_layer(), _bf16_layer()
    opt_a = MasterWeightsAdamW(a.parameters(), lr=1e-3)
    _steps(opt_a, a, 3)
    state = opt_a.state_dict()
    with torch.no_grad():
        b.weight.copy_(a.weight)
    opt_b = MasterWeightsAdamW(b.parameters(), lr=1e-3)
    opt_b.load_state_dict(state)
    assert torch.equal(opt_b.master[0], opt_a.master[0])
    _steps(opt_a, a, 4)
    _steps(opt_b, b, 4)
    assert torch.equal(a.weight, b.weight) and torch.equal(opt_a.master[0], opt_b.master[0])


def test_plain_adamw_state_loads_masters_from_the_model() -> None:
    a = _bf16_layer()
    plain = torch.optim.AdamW(a.parameters(), lr=1e-3)
    _steps(plain, a, 2)
    opt = MasterWeightsAdamW(a.parameters(), lr=1e-3)
    opt.load_state_dict(plain.state_dict())  # a checkpoint written before master weights
    assert torch.equal(opt.master[0], a.weight.float())


def test_trainer_uses_masters_for_bf16_and_resumes(tmp_path) -> None:
    from agentgym.train.trainer import Trainer

    raw = {
        "steps": 2,
        "output_dir": str(tmp_path / "run"),
        "model": {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "intermediate_size": 64,
                  "dtype": "bfloat16"},
        "env": {"id": "agentgym/ToolCall-v0", "tasks_per_step": 2, "group_size": 2},
    }  # fmt: skip
    t = Trainer(TrainConfig.model_validate(raw))
    assert isinstance(t.optimizer, MasterWeightsAdamW)
    t.fit()
    again = Trainer(TrainConfig.model_validate({**raw, "steps": 3}))
    ckpt = again.latest_checkpoint()
    assert ckpt is not None
    again.load_checkpoint(ckpt)
    for m1, m2 in zip(t.optimizer.master, again.optimizer.master, strict=True):
        assert torch.equal(m1, m2)
    fp32 = Trainer(
        TrainConfig.model_validate(
            {
                **raw,
                "output_dir": str(tmp_path / "f"),
                "model": {**raw["model"], "dtype": "float32"},
            }
        )
    )
    assert isinstance(fp32.optimizer, torch.optim.AdamW)
