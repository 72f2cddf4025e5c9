"""The loop's plumbing: env contract, rollouts, fault masking, checkpoint/resume, config files."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest

torch = pytest.importorskip("torch")

import agentgym.train  # noqa: E402,F401  (registers agentgym/ToolCall-v0)
from agentgym.env.toolcall import call_scaffold, canonical_call  # noqa: E402
from agentgym.errors import ConfigError  # noqa: E402
from agentgym.train.config import TrainConfig, dump_config, load_config  # noqa: E402
from agentgym.train.logprobs import mismatch_metrics  # noqa: E402
from agentgym.train.rollout import RolloutRequest, collect_episodes  # noqa: E402
from agentgym.train.trainer import Trainer, make_batch  # noqa: E402

pytestmark = pytest.mark.train


def _cfg(tmp_path: Path, **over: object) -> TrainConfig:
    data = {
        "steps": 3,
        "output_dir": str(tmp_path),
        "progress": False,
        "env": {"tasks_per_step": 4, "group_size": 4},
    }
    data.update(over)
    return TrainConfig.model_validate(data)


def test_toolcall_env_contract_and_rewards() -> None:
    from gymnasium.utils.env_checker import check_env

    env = gym.make("agentgym/ToolCall-v0")
    check_env(env.unwrapped)
    obs, info = env.reset(seed=3)
    value = info["value"]
    assert value in obs
    before, _after = call_scaffold()
    toy = env.unwrapped
    assert toy.reward_for(canonical_call("submit", value)) == (1.0, True)
    assert toy.reward_for("I will not call anything")[0] == 0.0
    assert 0 < toy.reward_for(before)[0] < toy.reward_for(before + value)[0] < 1.0
    wrong = canonical_call("submit", "x")
    assert toy.reward_for(wrong)[1] is False
    # same seed, same task
    assert gym.make("agentgym/ToolCall-v0").reset(seed=3)[1]["value"] == value


def test_rollout_keeps_generated_ids_and_their_logprobs(tmp_path: Path) -> None:
    trainer = Trainer(
        _cfg(
            tmp_path,
            env={"tasks_per_step": 2, "group_size": 3, "max_turns": 2, "kwargs": {"max_turns": 2}},
        )
    )
    req = RolloutRequest(
        env_id="agentgym/ToolCall-v0",
        seeds=(1, 2),
        group_size=3,
        env_kwargs={"max_turns": 2},
        max_turns=2,
        max_new_tokens=4,
        sample_seed=7,
    )
    eps = collect_episodes(trainer.engine, trainer.tokenizer, req)
    again = collect_episodes(trainer.engine, trainer.tokenizer, req)
    assert [e.token_ids for e in eps] == [e.token_ids for e in again]  # seeded, no global RNG
    for ep in eps:
        assert len(ep.token_ids) == len(ep.loss_mask) == len(ep.rollout_logprobs)
        gen = [t for t, m in zip(ep.token_ids, ep.loss_mask, strict=True) if m]
        assert trainer.tokenizer.decode(gen) == "".join(ep.completions)
        assert all(lp <= 0 for lp, m in zip(ep.rollout_logprobs, ep.loss_mask, strict=True) if m)
    assert any(
        ep.num_turns == 2 for ep in eps
    )  # the random policy fails turn 1: a tool turn follows
    # the trainer recomputes the same log-probs (fp32 weights, fp32 head): tiny gap only
    batch, _ = make_batch(eps, trainer.cfg, trainer.pad_id)
    batch.mask[:] = torch.tensor(
        [e.loss_mask[1:] + [0] * (batch.mask.shape[1] - len(e.loss_mask) + 1) for e in eps],
        dtype=torch.float32,
    )
    old = trainer._no_grad_logprobs(trainer.model, batch)
    gap = mismatch_metrics(old, batch.rollout_logp, batch.mask)
    assert gap["mismatch/max_abs"] < 1e-4 and gap["mismatch/corr"] > 0.9999


def test_infrastructure_faults_are_masked_not_punished(tmp_path: Path) -> None:
    trainer = Trainer(
        _cfg(tmp_path, env={"tasks_per_step": 8, "group_size": 4, "kwargs": {"fault_rate": 0.5}})
    )
    eps = trainer.rollout()
    faulty = [i for i, e in enumerate(eps) if e.error]
    assert 0 < len(faulty) < len(eps)
    batch, stats = make_batch(eps, trainer.cfg, trainer.pad_id)
    assert stats["episodes/faults"] == len(faulty)
    for i in faulty:
        assert float(batch.mask[i].sum()) == 0.0
        assert float(batch.advantages[i]) == 0.0


def test_assistant_tokens_only_in_the_mask(tmp_path: Path) -> None:
    trainer = Trainer(_cfg(tmp_path))
    eps = trainer.rollout()
    batch, _ = make_batch(eps, trainer.cfg, trainer.pad_id)
    for i, ep in enumerate(eps):
        n = len(ep.token_ids)
        assert batch.mask[i, : n - 1].tolist() == [float(m) for m in ep.loss_mask[1:]]
        assert float(batch.mask[i, n - 1 :].sum()) == 0.0  # padding


def _params(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}


def test_checkpoint_resume_gives_the_same_next_step(tmp_path: Path) -> None:
    straight = Trainer(_cfg(tmp_path / "a", steps=3, optim={"minibatches": 2, "grad_accum": 2}))
    straight.fit()
    interrupted = Trainer(_cfg(tmp_path / "b", steps=2, optim={"minibatches": 2, "grad_accum": 2}))
    interrupted.fit()  # writes checkpoints/step_000002.pt
    resumed = Trainer(_cfg(tmp_path / "b", steps=3, optim={"minibatches": 2, "grad_accum": 2}))
    resumed.fit()
    assert resumed.step_idx == 3
    a, b = _params(straight), _params(resumed)
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    lines = (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 3


def test_grad_accumulation_matches_one_big_batch(tmp_path: Path) -> None:
    one = Trainer(_cfg(tmp_path / "one", loss={"name": "dapo", "dynamic_sampling": False}))
    acc = Trainer(
        _cfg(
            tmp_path / "acc",
            loss={"name": "dapo", "dynamic_sampling": False},
            optim={"grad_accum": 4},
        )
    )
    one.step()
    acc.step()
    a, b = _params(one), _params(acc)
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("loss", ["grpo", "dr_grpo", "dapo", "cispo"])
def test_every_loss_runs_a_step_with_kl_and_overlong(loss: str, tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, loss={"name": loss, "kl_coef": 0.05, "overlong_buffer": 2})
    m = Trainer(cfg).step()
    for key in (
        "reward/mean",
        "mismatch/max_abs",
        "mismatch/kl",
        "mismatch/corr",
        "time/rollout_s",
    ):
        assert key in m
    assert all(v == v for v in m.values())  # no NaN


def test_config_yaml_round_trip_and_unknown_keys(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, loss={"name": "dapo", "eps_high": 0.28})
    path = tmp_path / "c.yaml"
    dump_config(cfg, path)
    assert load_config(path) == cfg
    path.write_text("loss:\n  name: grpo\n  epsilon_typo: 0.1\n")
    with pytest.raises(ConfigError, match="epsilon_typo"):
        load_config(path)


def test_bundled_example_configs_load() -> None:
    root = Path(__file__).resolve().parents[2] / "configs" / "train"
    files = sorted(root.glob("*.yaml"))
    assert files, "configs/train/*.yaml missing"
    for f in files:
        load_config(f)


def test_vllm_engine_says_what_to_do_without_vllm(tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed: tests/train/test_vllm_engine.py covers the engine")
    from agentgym.train.rollout import VLLMEngine

    with pytest.raises(ConfigError, match=r"pip install"):
        VLLMEngine(torch.nn.Linear(2, 2), eos_id=1, pad_id=0)
    with pytest.raises(ConfigError, match=r"vllm"):
        Trainer(_cfg(tmp_path, rollout={"engine": "vllm"}))


def test_fp32_head_at_both_ends_shrinks_the_bf16_mismatch(tmp_path: Path) -> None:
    gaps = {}
    for label, head in (("bf16", False), ("fp32", True)):
        cfg = _cfg(
            tmp_path / label,
            model={
                "dtype": "bfloat16",
                "hidden_size": 128,
                "intermediate_size": 256,
                "lm_head_fp32": head,
            },
            rollout={"lm_head_fp32": head},
        )
        gaps[label] = Trainer(cfg).step()["mismatch/mean_abs"]
    assert gaps["bf16"] > 0
    assert gaps["fp32"] < gaps["bf16"] / 5, gaps


def test_env_pool_reuses_envs_across_calls_and_drops_faulted_ones(tmp_path: Path) -> None:
    from agentgym.train.rollout import EnvPool

    trainer = Trainer(_cfg(tmp_path, env={"tasks_per_step": 2, "group_size": 3}))
    req = RolloutRequest(
        env_id="agentgym/ToolCall-v0", seeds=(1, 2), group_size=3, max_new_tokens=4, sample_seed=7
    )
    pool = EnvPool()
    first = collect_episodes(trainer.engine, trainer.tokenizer, req, env_pool=pool)
    held = next(iter(pool._free.values()))[:]
    assert len(pool) == 6
    again = collect_episodes(trainer.engine, trainer.tokenizer, req, env_pool=pool)
    assert next(iter(pool._free.values())) == held  # the same env objects, handed back
    fresh = collect_episodes(trainer.engine, trainer.tokenizer, req)  # no pool: made and closed
    # reused envs are reset per episode: episodes are the same as with fresh envs
    for a, b, c in zip(first, again, fresh, strict=True):
        assert a.token_ids == b.token_ids == c.token_ids and a.reward == b.reward == c.reward
    faulty = RolloutRequest(**{**req.__dict__, "env_kwargs": {"fault_rate": 1.0}})
    eps = collect_episodes(trainer.engine, trainer.tokenizer, faulty, env_pool=pool)
    assert all(ep.error for ep in eps)
    assert len(pool) == 6  # the faulted envs were closed, not put back
    pool.close()
    assert len(pool) == 0


def test_fused_old_logprobs_match_a_separate_pass(tmp_path: Path) -> None:
    """One optimizer step per RL step: the update's forward gives the old log-probs; the step
    (weights, loss, mismatch) matches a run that computes them in a separate no-grad pass."""
    cfg = _cfg(tmp_path, env={"tasks_per_step": 2, "group_size": 4})
    fused, separate = Trainer(cfg), Trainer(cfg)
    separate.fused_old_logprobs = lambda: False  # type: ignore[method-assign]
    assert fused.fused_old_logprobs()
    for _ in range(2):
        a, b = fused.step(), separate.step()
        for key in ("loss/total", "mismatch/mean_abs", "mismatch/max_abs", "reward/mean"):
            assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-7), key
    for p, q in zip(fused.model.parameters(), separate.model.parameters(), strict=True):
        assert torch.allclose(p, q, atol=1e-6)
    with pytest.raises(ValueError, match="epochs == 1"):
        Trainer(_cfg(tmp_path, optim={"epochs": 2})).update(*[None] * 3)  # type: ignore[arg-type]
