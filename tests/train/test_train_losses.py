"""Loss invariances (TRL-style) and the definitions of each normalisation."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from agentgym.train.config import LossConfig  # noqa: E402
from agentgym.train.losses import (  # noqa: E402
    aggregate,
    group_advantages,
    k3_kl,
    make_normalizer,
    nonconstant_groups,
    overlong_penalty,
    policy_loss,
    truncated_is_weights,
)

pytestmark = pytest.mark.train
LOSSES = ["grpo", "dr_grpo", "dapo", "cispo"]


def _inputs(b: int = 4, t: int = 6, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    logp = (-torch.rand(b, t, generator=g) * 3).requires_grad_()
    old = logp.detach() + 0.1 * torch.randn(b, t, generator=g)
    rollout = old + 0.05 * torch.randn(b, t, generator=g)
    ref = old + 0.2 * torch.randn(b, t, generator=g)
    adv = torch.randn(b, generator=g)
    mask = torch.zeros(b, t)
    for i, n in enumerate([6, 3, 1, 4][:b]):
        mask[i, t - n :] = 1.0  # completions at the end, prompts masked
    return {"logp": logp, "old": old, "rollout": rollout, "ref": ref, "adv": adv, "mask": mask}


def _loss(x: dict[str, torch.Tensor], cfg: LossConfig) -> torch.Tensor:
    norm = make_normalizer(x["mask"], max_tokens=8)
    loss, _ = policy_loss(
        x["logp"],
        x["old"],
        x["adv"],
        x["mask"],
        cfg,
        norm,
        rollout_logp=x["rollout"],
        ref_logp=x["ref"],
    )
    return loss


def _pad(t: torch.Tensor, extra: int, value: float = 0.0) -> torch.Tensor:
    return torch.cat([t, torch.full((t.shape[0], extra), value, dtype=t.dtype)], dim=1)


@pytest.mark.parametrize("name", LOSSES)
def test_padding_does_not_change_the_loss(name: str) -> None:
    cfg = LossConfig(name=name, kl_coef=0.1)
    x = _inputs()
    base = _loss(x, cfg)
    padded = {
        "logp": _pad(x["logp"].detach(), 5, -7.0).requires_grad_(),
        "old": _pad(x["old"], 5, 3.0),
        "rollout": _pad(x["rollout"], 5, -9.0),
        "ref": _pad(x["ref"], 5, 1.0),
        "adv": x["adv"],
        "mask": _pad(x["mask"], 5, 0.0),
    }
    torch.testing.assert_close(_loss(padded, cfg), base)


@pytest.mark.parametrize("name", LOSSES)
def test_masked_tokens_get_zero_gradient(name: str) -> None:
    x = _inputs()
    _loss(x, LossConfig(name=name, kl_coef=0.1)).backward()
    grad = x["logp"].grad
    assert grad is not None
    assert torch.all(grad[x["mask"] == 0] == 0)
    assert torch.all(grad[x["mask"] == 1] != 0)


@pytest.mark.parametrize("name", LOSSES)
def test_microbatches_add_up_to_the_full_batch_gradient(name: str) -> None:
    cfg = LossConfig(name=name)
    x = _inputs()
    _loss(x, cfg).backward()
    full = x["logp"].grad.clone()
    x["logp"].grad = None
    norm = make_normalizer(x["mask"], max_tokens=8)  # denominators of the whole batch
    for rows in (slice(0, 1), slice(1, 4)):
        loss, _ = policy_loss(
            x["logp"][rows],
            x["old"][rows],
            x["adv"][rows],
            x["mask"][rows],
            cfg,
            norm,
            rollout_logp=x["rollout"][rows],
        )
        loss.backward()
    torch.testing.assert_close(x["logp"].grad, full)


def test_aggregation_definitions() -> None:
    per_token = torch.tensor([[1.0, 2.0, 3.0, 0.0], [4.0, 0.0, 0.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    norm = make_normalizer(mask, max_tokens=10)
    # GRPO: mean over each sequence, then over sequences: (2 + 4) / 2
    assert float(aggregate(per_token, mask, "grpo", norm)) == pytest.approx(3.0)
    # DAPO / CISPO: token level: (1+2+3+4) / 4 tokens
    assert float(aggregate(per_token, mask, "dapo", norm)) == pytest.approx(2.5)
    assert float(aggregate(per_token, mask, "cispo", norm)) == pytest.approx(2.5)
    # Dr.GRPO: sum / (sequences * constant length): 10 / (2 * 10)
    assert float(aggregate(per_token, mask, "dr_grpo", norm)) == pytest.approx(0.5)


def test_token_level_weights_long_sequences_more_than_grpo() -> None:
    # One long and one short completion with the same advantage: under GRPO each sequence
    # weighs the same, so a token of the long one gets less gradient; DAPO weighs tokens equally.
    x = _inputs(b=2, t=6)
    x["mask"] = torch.tensor([[1.0] * 6, [0.0] * 5 + [1.0]])
    x["old"] = x["logp"].detach().clone()
    x["rollout"] = x["old"]
    x["adv"] = torch.tensor([1.0, 1.0])
    grads = {}
    for name in ("grpo", "dapo", "dr_grpo"):
        x["logp"].grad = None
        _loss(x, LossConfig(name=name)).backward()
        grads[name] = x["logp"].grad.clone()
    g = grads["grpo"]
    assert float(g[0, 0] / g[1, 5]) == pytest.approx(1 / 6)
    g = grads["dapo"]
    assert float(g[0, 0] / g[1, 5]) == pytest.approx(1.0)
    g = grads["dr_grpo"]  # -A * ratio / (num_seqs * max_tokens) per token
    assert float(g[1, 5]) == pytest.approx(-1.0 / (2 * 8))


def test_group_advantages_with_and_without_std() -> None:
    rewards = torch.tensor([1.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0])
    valid = torch.ones(8, dtype=torch.bool)
    adv = group_advantages(rewards, valid, 4, scale=False)
    torch.testing.assert_close(adv, torch.tensor([0.75, -0.25, -0.25, -0.25, 0, 0, 0, 0]))
    scaled = group_advantages(rewards, valid, 4, scale=True)
    torch.testing.assert_close(scaled[:4], adv[:4] / (rewards[:4].std() + 1e-6))
    assert torch.all(scaled[4:] == 0)  # constant group: no signal, no NaN


def test_faulty_episodes_are_left_out_of_group_stats() -> None:
    rewards = torch.tensor([1.0, 0.0, 0.0, 0.0])
    valid = torch.tensor([True, True, False, False])
    adv = group_advantages(rewards, valid, 4, scale=False)
    torch.testing.assert_close(adv, torch.tensor([0.5, -0.5, 0.0, 0.0]))


def test_dynamic_sampling_drops_all_equal_groups() -> None:
    rewards = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    valid = torch.tensor([True, True, True, False, True, True, True, True])
    keep = nonconstant_groups(rewards, valid, 4)
    # group 0: the only differing member is a fault -> all valid rewards equal -> dropped
    assert keep.tolist() == [False] * 4 + [True] * 4


def test_overlong_penalty_shape() -> None:
    lengths = torch.tensor([10, 16, 18, 20, 25])
    pen = overlong_penalty(lengths, max_len=20, buffer=4)
    torch.testing.assert_close(pen, torch.tensor([0.0, 0.0, -0.5, -1.0, -1.0]))
    assert torch.all(overlong_penalty(lengths, 20, 0) == 0)


def test_clip_higher_is_decoupled() -> None:
    logp = torch.log(torch.tensor([[1.25, 0.7]])).requires_grad_()
    old = torch.zeros(1, 2)
    mask = torch.ones(1, 2)
    norm = make_normalizer(mask, 2)
    # ratio 1.25 with positive advantage: clipped at 1.2 (eps 0.2) but not at 1.28 (clip-higher)
    for eps_high, clipped in ((0.2, True), (0.28, False)):
        cfg = LossConfig(name="dapo", eps_low=0.2, eps_high=eps_high, tis_cap=None)
        logp.grad = None
        policy_loss(logp, old, torch.tensor([1.0]), mask, cfg, norm)[0].backward()
        assert (float(logp.grad[0, 0]) == 0.0) is clipped
    # ratio 0.7 with negative advantage: clipped below at 0.8 whatever eps_high
    logp.grad = None
    policy_loss(
        logp, old, torch.tensor([-1.0]), mask, LossConfig(name="dapo", eps_high=0.28), norm
    )[0].backward()
    assert float(logp.grad[0, 1]) == 0.0


def test_cispo_keeps_gradient_on_clipped_tokens() -> None:
    logp = torch.log(torch.tensor([[10.0, 1.0]])).requires_grad_()
    old = torch.zeros(1, 2)
    mask = torch.ones(1, 2)
    cfg = LossConfig(name="cispo", cispo_eps_high=1.0, tis_cap=None)
    loss, metrics = policy_loss(logp, old, torch.tensor([1.0]), mask, cfg, make_normalizer(mask, 2))
    loss.backward()
    # weight clipped to 2 (stop-gradient) but the token still learns: grad = -2 * A / 2 tokens
    assert float(logp.grad[0, 0]) == pytest.approx(-1.0)
    assert float(logp.grad[0, 1]) == pytest.approx(-0.5)
    assert float(metrics["loss/clip_frac"]) == pytest.approx(0.5)


def test_k3_kl_is_zero_at_reference_and_positive_elsewhere() -> None:
    logp = torch.tensor([-1.0, -2.0, -0.5])
    assert torch.all(k3_kl(logp, logp) == 0)
    assert torch.all(k3_kl(logp, logp + torch.tensor([0.3, -0.3, 1.0])) > 0)


def test_truncated_is_weights_are_capped_and_detached() -> None:
    old = torch.tensor([0.0, 0.0, 0.0], requires_grad=True)
    rollout = torch.log(torch.tensor([1.0, 0.5, 0.1]))
    w = truncated_is_weights(old, rollout, cap=2.0)
    torch.testing.assert_close(w, torch.tensor([1.0, 2.0, 2.0]))
    assert not w.requires_grad
    assert torch.all(truncated_is_weights(old, rollout, None) == 1)
