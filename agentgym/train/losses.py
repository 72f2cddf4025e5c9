"""The GRPO family as pure functions of tensors: advantages, sample filters, losses.

Shapes: B sequences, T token positions (the targets ``input_ids[:, 1:]``).
``mask`` [B, T] is 1 on assistant-generated tokens of valid episodes, 0 elsewhere
(prompts, tool outputs, padding, infrastructure faults).

Aggregation (``normalizer``) is where the variants differ most:
- ``grpo``:    mean over each sequence's tokens, then mean over sequences.
- ``dr_grpo``: sum over tokens / (num sequences * a constant max length); no std scaling.
- ``dapo``, ``cispo``: sum over all tokens / total token count (token-level).
Denominators are passed in for the whole optimizer batch so that gradient accumulation over
micro-batches gives exactly the full-batch gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from agentgym.train.config import LossConfig


def group_advantages(
    rewards: Tensor, valid: Tensor, group_size: int, *, scale: bool, eps: float = 1e-6
) -> Tensor:
    """(r - mean_group) [/ std_group] per episode; invalid episodes get 0 and are left out of the stats."""
    r = rewards.double().view(-1, group_size)
    v = valid.double().view(-1, group_size)
    n = v.sum(1, keepdim=True).clamp(min=1)
    mean = (r * v).sum(1, keepdim=True) / n
    adv = (r - mean) * v
    if scale:
        var = ((r - mean) ** 2 * v).sum(1, keepdim=True) / (n - 1).clamp(min=1)  # unbiased, as TRL
        adv = adv / (var.sqrt() + eps)
    return adv.view(-1).to(rewards.dtype)


def nonconstant_groups(rewards: Tensor, valid: Tensor, group_size: int) -> Tensor:
    """DAPO dynamic sampling: True for episodes whose group's valid rewards are not all equal."""
    r = rewards.view(-1, group_size)
    v = valid.view(-1, group_size).bool()
    hi = torch.where(v, r, torch.full_like(r, -torch.inf)).amax(1)
    lo = torch.where(v, r, torch.full_like(r, torch.inf)).amin(1)
    keep = (hi - lo) > 0
    return keep[:, None].expand_as(r).reshape(-1)


def overlong_penalty(lengths: Tensor, max_len: int, buffer: int, factor: float = 1.0) -> Tensor:
    """DAPO soft overlong punishment: 0 up to max_len - buffer, linear to -factor at max_len, -factor beyond."""
    if buffer <= 0:
        return torch.zeros_like(lengths, dtype=torch.float32)
    start = max_len - buffer
    pen = (start - lengths.float()) / buffer
    pen = torch.where(lengths <= start, torch.zeros_like(pen), pen)
    return (pen.clamp(min=-1.0) * factor).float()


def k3_kl(logp: Tensor, ref_logp: Tensor) -> Tensor:
    """Per-token KL(policy || ref) estimate k3 = exp(ref - logp) - (ref - logp) - 1 (>= 0, unbiased)."""
    d = ref_logp - logp
    return torch.exp(d) - d - 1.0


def truncated_is_weights(old_logp: Tensor, rollout_logp: Tensor, cap: float | None) -> Tensor:
    """min(pi_trainer / pi_rollout, cap), no gradient: corrects for the rollout engine's mismatch."""
    if cap is None:
        return torch.ones_like(old_logp)
    return torch.exp(old_logp - rollout_logp).clamp(max=cap).detach()


@dataclass
class Normalizer:
    """Denominators of one optimizer batch (all its micro-batches together)."""

    num_seqs: float  # valid sequences
    num_tokens: float  # masked-in tokens
    max_tokens: float  # Dr.GRPO's constant


def make_normalizer(mask: Tensor, max_tokens: int) -> Normalizer:
    """Denominators for ``mask`` [B, T] (the whole optimizer batch)."""
    seq_has = (mask.sum(1) > 0).float()
    return Normalizer(
        num_seqs=max(float(seq_has.sum()), 1.0),
        num_tokens=max(float(mask.sum()), 1.0),
        max_tokens=float(max_tokens),
    )


def aggregate(per_token: Tensor, mask: Tensor, mode: str, norm: Normalizer) -> Tensor:
    """Reduce a [B, T] per-token loss to a scalar the way each variant defines it."""
    m = mask.to(per_token.dtype)
    if mode == "grpo":
        per_seq = (per_token * m).sum(1) / m.sum(1).clamp(min=1)
        return per_seq.sum() / norm.num_seqs
    if mode == "dr_grpo":
        return (per_token * m).sum() / (norm.num_seqs * norm.max_tokens)
    if mode in ("dapo", "cispo"):
        return (per_token * m).sum() / norm.num_tokens
    raise ValueError(f"unknown loss aggregation {mode!r}")


def policy_loss(
    logp: Tensor,
    old_logp: Tensor,
    advantages: Tensor,
    mask: Tensor,
    cfg: LossConfig,
    norm: Normalizer,
    *,
    rollout_logp: Tensor | None = None,
    ref_logp: Tensor | None = None,
    entropy: Tensor | None = None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Scalar loss and detached metrics for one micro-batch.

    ``logp`` [B, T] carries the gradient; ``old_logp`` is the trainer's no-grad log-prob of the
    behaviour policy; ``rollout_logp`` what the rollout engine recorded (for truncated IS);
    ``entropy`` [B, T] the policy's per-position entropy (differentiable) for the bonus.
    """
    adv = advantages[:, None].to(logp.dtype)
    ratio = torch.exp(logp - old_logp)
    tis = (
        truncated_is_weights(old_logp, rollout_logp, cfg.tis_cap)
        if rollout_logp is not None
        else torch.ones_like(logp)
    )
    if cfg.name == "cispo":
        # Clipped, stop-gradient IS weight times the REINFORCE term, on every token.
        lo = 0.0 if cfg.cispo_eps_low is None else 1.0 - cfg.cispo_eps_low
        w = ratio.clamp(min=lo, max=1.0 + cfg.cispo_eps_high).detach()
        per_token = -w * adv * logp
        clipped = (ratio > 1.0 + cfg.cispo_eps_high) | (ratio < lo)
    else:
        unclipped = ratio * adv
        clipped_obj = ratio.clamp(1.0 - cfg.eps_low, 1.0 + cfg.eps_high) * adv
        per_token = -torch.minimum(unclipped, clipped_obj)
        clipped = clipped_obj < unclipped
    per_token = per_token * tis
    if cfg.kl_coef > 0 and ref_logp is not None:
        kl = k3_kl(logp, ref_logp)
        per_token = per_token + cfg.kl_coef * kl
    else:
        kl = torch.zeros_like(logp)
    if cfg.entropy_coef > 0 and entropy is not None:
        # Keeps sampling alive where a tiny policy would collapse onto one answer early.
        per_token = per_token - cfg.entropy_coef * entropy
    loss = aggregate(per_token, mask, cfg.name, norm)

    m = mask.bool()
    with torch.no_grad():
        count = m.sum().clamp(min=1)
        metrics = {
            "loss/ratio_mean": (ratio * m).sum() / count,
            "loss/clip_frac": (clipped & m).sum() / count,
            "loss/kl": (kl * m).sum() / count,
            "loss/tis_weight_mean": (tis * m).sum() / count,
            "loss/tis_capped_frac": ((tis >= (cfg.tis_cap or float("inf"))) & m).sum() / count,
        }
    return loss, metrics
