"""Per-token log-probs from hidden states, memory-safe and (by default) in FP32.

``chunked_token_logprobs`` runs the LM head and log-softmax over chunks of positions and
recomputes each chunk's logits in backward, so no [N, V] tensor larger than one chunk ever
lives, forward or backward. ``mismatch_metrics`` compares trainer and rollout log-probs.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor


class _ChunkedTokenLogprob(torch.autograd.Function):
    """log p(target) = logits[target] - logsumexp(logits), logits = (h @ W^T) / T, chunk by chunk."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        hidden: Tensor,
        weight: Tensor,
        targets: Tensor,
        chunk_size: int,
        fp32: bool,
        inv_temperature: float,
    ) -> tuple[Tensor, Tensor]:
        compute = torch.float32 if fp32 else hidden.dtype
        w = weight.to(compute)
        n = hidden.shape[0]
        out = torch.promote_types(compute, torch.float32)  # fp32, or fp64 for fp64 checks
        logp = torch.empty(n, dtype=out, device=hidden.device)
        entropy = torch.empty(n, dtype=out, device=hidden.device)
        for start in range(0, n, chunk_size):
            end = min(start + chunk_size, n)
            logits = (hidden[start:end].to(compute) @ w.T) * inv_temperature
            lse = torch.logsumexp(logits, dim=-1)
            picked = logits.gather(1, targets[start:end, None]).squeeze(1)
            logp[start:end] = (picked - lse).to(out)
            probs = torch.softmax(logits.to(out), dim=-1)
            entropy[start:end] = lse.to(out) - (probs * logits.to(out)).sum(-1)
        ctx.save_for_backward(hidden, weight, targets)
        ctx.chunk_size, ctx.fp32, ctx.inv_temperature = chunk_size, fp32, inv_temperature
        ctx.set_materialize_grads(False)  # an unused output (entropy) costs nothing in backward
        return logp, entropy

    @staticmethod
    def backward(  # type: ignore[override]
        ctx: Any, grad_logp: Tensor | None, grad_entropy: Tensor | None
    ) -> tuple[Tensor | None, ...]:
        hidden, weight, targets = ctx.saved_tensors
        if grad_logp is None:
            grad_logp = torch.zeros(hidden.shape[0], dtype=torch.float32, device=hidden.device)
        compute = torch.float32 if ctx.fp32 else hidden.dtype
        w = weight.to(compute)
        grad_hidden = torch.empty_like(hidden) if ctx.needs_input_grad[0] else None
        grad_w = (
            torch.zeros(weight.shape, dtype=compute, device=weight.device)
            if ctx.needs_input_grad[1]
            else None
        )
        for start in range(0, hidden.shape[0], ctx.chunk_size):
            end = min(start + ctx.chunk_size, hidden.shape[0])
            h = hidden[start:end].to(compute)
            logits = (h @ w.T) * ctx.inv_temperature
            g = grad_logp[start:end].to(torch.promote_types(compute, torch.float32))
            # d logp / d logits = onehot(target) - softmax(logits)
            probs = torch.softmax(logits.to(g.dtype), dim=-1)
            grad_logits = probs * (-g[:, None])
            grad_logits.scatter_add_(1, targets[start:end, None], g[:, None])
            if grad_entropy is not None:  # d H / d logits = -p * (log p + H)
                ge = grad_entropy[start:end].to(g.dtype)
                logp_all = torch.log_softmax(logits.to(g.dtype), dim=-1)
                ent = -(probs * logp_all).sum(-1, keepdim=True)
                grad_logits -= ge[:, None] * probs * (logp_all + ent)
            grad_logits = (grad_logits * ctx.inv_temperature).to(compute)
            if grad_hidden is not None:
                grad_hidden[start:end] = (grad_logits @ w).to(hidden.dtype)
            if grad_w is not None:
                grad_w += grad_logits.T @ h
        grad_weight = grad_w.to(weight.dtype) if grad_w is not None else None
        return grad_hidden, grad_weight, None, None, None, None


def chunked_token_logprobs(
    hidden: Tensor,
    weight: Tensor,
    targets: Tensor,
    *,
    chunk_size: int = 1024,
    fp32: bool = True,
    temperature: float = 1.0,
) -> tuple[Tensor, Tensor]:
    """(log p(targets), entropy) for hidden [N, H], head weight [V, H], targets [N]; both fp32 [N].

    Both are differentiable (the entropy for an entropy bonus).

    ``fp32=True`` casts the head and hidden states to FP32 (MiniMax-M1's fix for the
    rollout/trainer gap); ``False`` computes head and log-softmax in the weights' dtype.
    """
    inv_t = 1.0 / temperature if temperature > 0 else 1.0
    return _ChunkedTokenLogprob.apply(hidden, weight, targets, chunk_size, fp32, inv_t)


def naive_token_logprobs(
    hidden: Tensor, weight: Tensor, targets: Tensor, *, fp32: bool = True, temperature: float = 1.0
) -> Tensor:
    """Reference: materialise all [N, V] logits at once (what the chunked path avoids)."""
    compute = torch.float32 if fp32 else hidden.dtype
    logits = (hidden.to(compute) @ weight.to(compute).T) / (temperature if temperature > 0 else 1.0)
    logp = torch.log_softmax(logits, dim=-1)
    return (
        logp.gather(1, targets[:, None]).squeeze(1).to(torch.promote_types(compute, torch.float32))
    )


def policy_hidden_states(model: Any, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
    """Last hidden states [B, T, H] of an HF causal LM, without running its LM head."""
    out = model.base_model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
    return out.last_hidden_state


def sequence_logprobs(
    model: Any,
    input_ids: Tensor,
    attention_mask: Tensor,
    positions: Tensor,
    *,
    chunk_size: int = 1024,
    fp32: bool = True,
    temperature: float = 1.0,
) -> tuple[Tensor, Tensor]:
    """Log-probs of ``input_ids[:, 1:]`` where ``positions`` [B, T-1] is true; zeros elsewhere.

    Only the selected positions (the assistant tokens) go through the LM head.
    """
    hidden = policy_hidden_states(model, input_ids, attention_mask)[:, :-1]
    targets = input_ids[:, 1:]
    sel = positions.bool()
    head = model.get_output_embeddings()
    if getattr(head, "bias", None) is not None:
        raise NotImplementedError("LM heads with a bias are not supported")
    logp_sel, ent_sel = chunked_token_logprobs(
        hidden[sel],
        head.weight,
        targets[sel],
        chunk_size=chunk_size,
        fp32=fp32,
        temperature=temperature,
    )
    logp = torch.zeros(targets.shape, dtype=logp_sel.dtype, device=input_ids.device)
    entropy = torch.zeros_like(logp)
    logp = logp.masked_scatter(sel, logp_sel)
    entropy = entropy.masked_scatter(sel, ent_sel)
    return logp, entropy


@torch.no_grad()
def mismatch_metrics(train_logp: Tensor, rollout_logp: Tensor, mask: Tensor) -> dict[str, float]:
    """How far the trainer's log-probs are from the rollout engine's on the same tokens.

    mean/max |Δ log p|; KL(rollout || train) by the k3 estimator on rollout samples;
    Pearson correlation of the token probabilities.
    """
    sel = mask.bool()
    if not bool(sel.any()):
        return {
            "mismatch/mean_abs": 0.0,
            "mismatch/max_abs": 0.0,
            "mismatch/kl": 0.0,
            "mismatch/corr": 1.0,
        }
    t = train_logp[sel].double()
    r = rollout_logp[sel].double()
    d = t - r
    kl = (torch.exp(d) - 1.0 - d).mean()
    pt, pr = t.exp(), r.exp()
    if torch.equal(pt, pr):
        corr = 1.0
    else:
        pt_c, pr_c = pt - pt.mean(), pr - pr.mean()
        denom = math.sqrt(float((pt_c**2).sum()) * float((pr_c**2).sum()))
        corr = float((pt_c * pr_c).sum()) / denom if denom > 0 else float("nan")
    return {
        "mismatch/mean_abs": float(d.abs().mean()),
        "mismatch/max_abs": float(d.abs().max()),
        "mismatch/kl": float(kl),
        "mismatch/corr": corr,
    }
