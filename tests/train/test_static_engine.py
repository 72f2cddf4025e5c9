"""StaticEngine samples exactly what HFEngine samples (same tokens, same log-probs).

On CPU the static engine runs its decode step eagerly; on CUDA the same step is replayed
as a CUDA graph (benchmarks/train_throughput.py times it there).
"""

from __future__ import annotations

import pytest
import torch

from agentgym.errors import ConfigError
from agentgym.train.config import ModelConfig, TrainConfig
from agentgym.train.model import build_model
from agentgym.train.rollout import HFEngine
from agentgym.train.static_engine import StaticEngine, check_supported


def _model(arch: str, kv: int = 2) -> torch.nn.Module:
    cfg = ModelConfig(
        arch=arch, hidden_size=64, num_layers=2, num_heads=4, num_kv_heads=kv,
        intermediate_size=128, vocab_size=300, max_position_embeddings=512, dtype="float32",
    )  # fmt: skip
    return build_model(cfg, vocab_size=300, pad_id=0, eos_id=1, seed=0)


def _prompts(lengths: list[int], seed: int = 0) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(4, 300, (n,), generator=g).tolist() for n in lengths]


@pytest.mark.parametrize("arch,kv", [("qwen2", 2), ("llama", 4), ("llama", 1)])
@pytest.mark.parametrize("ignore_eos", [True, False])
@pytest.mark.parametrize("temperature", [1.0, 0.0, 3.0])
def test_same_tokens_and_logprobs_as_hf_generate(
    arch: str, kv: int, ignore_eos: bool, temperature: float
) -> None:
    model = _model(arch, kv)
    prompts = _prompts([5, 9, 3, 12, 7, 1])
    kw = dict(eos_id=[1, 2, 3], pad_id=0, ignore_eos=ignore_eos)
    ref = HFEngine(model, **kw).generate(
        prompts, max_new_tokens=40, temperature=temperature, seed=3
    )
    got = StaticEngine(model, check_every=4, **kw).generate(
        prompts, max_new_tokens=40, temperature=temperature, seed=3
    )
    assert [g.token_ids for g in got] == [r.token_ids for r in ref]
    assert [g.finished for g in got] == [r.finished for r in ref]
    for g, r in zip(got, ref, strict=True):
        assert g.logprobs == pytest.approx(r.logprobs, abs=1e-4)
    if not ignore_eos and temperature == 1.0:  # the EOS path is exercised, not just the cap
        assert any(r.finished for r in ref)


def test_fp32_head_and_bf16_weights_match_hf() -> None:
    model = _model("qwen2").to(torch.bfloat16)
    prompts = _prompts([4, 8, 6])
    kw = dict(eos_id=1, pad_id=0, ignore_eos=True, lm_head_fp32=True)
    ref = HFEngine(model, **kw).generate(prompts, max_new_tokens=12, temperature=1.0, seed=0)
    got = StaticEngine(model, **kw).generate(prompts, max_new_tokens=12, temperature=1.0, seed=0)
    assert [g.token_ids for g in got] == [r.token_ids for r in ref]
    for g, r in zip(got, ref, strict=True):
        assert g.logprobs == pytest.approx(r.logprobs, abs=2e-2)


def test_buffers_are_reused_across_calls_and_batches_split() -> None:
    model = _model("qwen2")
    engine = StaticEngine(model, eos_id=1, pad_id=0, batch_size=2, ignore_eos=True)
    hf = HFEngine(model, eos_id=1, pad_id=0, batch_size=2, ignore_eos=True)
    for lengths, new in (([3, 7, 5], 6), ([10, 2, 2], 9), ([1], 1)):
        prompts = _prompts(lengths, seed=len(lengths) + new)
        got = engine.generate(prompts, max_new_tokens=new, temperature=1.0, seed=new)
        ref = hf.generate(prompts, max_new_tokens=new, temperature=1.0, seed=new)
        assert [g.token_ids for g in got] == [r.token_ids for r in ref]
        assert all(len(g.token_ids) == new for g in got)
    assert len(engine._bufs) == 1  # one decode shape held at a time
    assert engine.graph_error is None


def test_unsupported_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="engine: hf"):
        check_supported(torch.nn.Linear(2, 2))
    with pytest.raises(ConfigError, match="engine: hf"):
        StaticEngine(torch.nn.Linear(2, 2), eos_id=1, pad_id=0)


def test_trainer_engine_auto_is_hf_on_cpu_and_static_can_be_chosen(tmp_path) -> None:
    from agentgym.train.trainer import Trainer

    base = {
        "steps": 1,
        "output_dir": str(tmp_path / "run"),
        "model": {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "intermediate_size": 64},
        "env": {"id": "agentgym/ToolCall-v0", "tasks_per_step": 2, "group_size": 2},
    }
    auto = Trainer(TrainConfig.model_validate(base))
    assert auto.engine_name == "hf" and type(auto.engine) is HFEngine
    static = Trainer(
        TrainConfig.model_validate(
            {**base, "output_dir": str(tmp_path / "s"), "rollout": {"engine": "static"}}
        )
    )
    assert static.engine_name == "static" and isinstance(static.engine, StaticEngine)
    a, b = auto.step(), static.step()  # same seed, same weights: same episodes
    assert a["reward/mean"] == b["reward/mean"]
    assert a["tokens/total"] == b["tokens/total"]
