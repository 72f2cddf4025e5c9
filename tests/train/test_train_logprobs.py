"""Chunked FP32 log-probs: exact against the naive path, correct gradients, precision gains."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from agentgym.train.config import ModelConfig  # noqa: E402
from agentgym.train.logprobs import (  # noqa: E402
    chunked_token_logprobs,
    mismatch_metrics,
    naive_token_logprobs,
    policy_hidden_states,
    sequence_logprobs,
)
from agentgym.train.model import build_model  # noqa: E402

pytestmark = pytest.mark.train


def _data(n: int = 13, h: int = 8, v: int = 11, dtype: torch.dtype = torch.float64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(n, h, generator=g, dtype=dtype)
    weight = torch.randn(v, h, generator=g, dtype=dtype)
    targets = torch.randint(0, v, (n,), generator=g)
    return hidden, weight, targets


@pytest.mark.parametrize("chunk", [1, 4, 13, 100])
def test_chunked_matches_naive_forward_and_backward(chunk: int) -> None:
    hidden, weight, targets = _data()
    h1, w1 = hidden.clone().requires_grad_(), weight.clone().requires_grad_()
    h2, w2 = hidden.clone().requires_grad_(), weight.clone().requires_grad_()
    coeff = torch.linspace(-1, 1, hidden.shape[0], dtype=torch.float64)
    # fp64 data with fp32=False: both paths compute in fp64, so they must agree tightly
    lp1, ent = chunked_token_logprobs(
        h1, w1, targets, chunk_size=chunk, temperature=0.7, fp32=False
    )
    lp2 = naive_token_logprobs(h2, w2, targets, temperature=0.7, fp32=False)
    torch.testing.assert_close(lp1, lp2)
    (lp1 * coeff).sum().backward()
    (lp2 * coeff).sum().backward()
    torch.testing.assert_close(h1.grad, h2.grad)
    torch.testing.assert_close(w1.grad, w2.grad)
    probs = torch.softmax(hidden @ weight.T / 0.7, -1)
    torch.testing.assert_close(ent, -(probs * probs.log()).sum(-1))


def test_chunked_gradcheck_fp64() -> None:
    hidden, weight, targets = _data(n=5, h=3, v=4)
    hidden.requires_grad_()
    weight.requires_grad_()

    def f(h: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        # fp32=False keeps fp64 end to end so gradcheck's finite differences are exact enough
        return chunked_token_logprobs(h, w, targets, chunk_size=2, fp32=False)[0]

    assert torch.autograd.gradcheck(f, (hidden, weight))


@pytest.mark.parametrize("chunk", [2, 100])
def test_entropy_gradient_matches_autograd(chunk: int) -> None:
    """The entropy bonus differentiates through the chunked head, log-prob and entropy together."""
    hidden, weight, targets = _data()
    h1, w1 = hidden.clone().requires_grad_(), weight.clone().requires_grad_()
    h2, w2 = hidden.clone().requires_grad_(), weight.clone().requires_grad_()
    a = torch.linspace(-1, 1, hidden.shape[0], dtype=torch.float64)
    b = torch.linspace(0.5, -2, hidden.shape[0], dtype=torch.float64)
    lp1, ent1 = chunked_token_logprobs(
        h1, w1, targets, chunk_size=chunk, temperature=0.7, fp32=False
    )
    ((lp1 * a).sum() + (ent1 * b).sum()).backward()
    logp = torch.log_softmax(h2 @ w2.T / 0.7, -1)
    ent2 = -(logp.exp() * logp).sum(-1)
    ((logp.gather(1, targets[:, None]).squeeze(1) * a).sum() + (ent2 * b).sum()).backward()
    torch.testing.assert_close(h1.grad, h2.grad)
    torch.testing.assert_close(w1.grad, w2.grad)
    h3, w3 = hidden.clone().requires_grad_(), weight.clone().requires_grad_()
    f = lambda h, w: chunked_token_logprobs(h, w, targets, chunk_size=chunk, fp32=False)[1]  # noqa: E731
    assert torch.autograd.gradcheck(f, (h3[:5], w3))


def test_fp32_head_is_closer_to_fp64_than_bf16_head() -> None:
    cfg = ModelConfig(
        hidden_size=64, num_layers=2, num_heads=4, intermediate_size=128, dtype="bfloat16"
    )
    model = build_model(cfg, vocab_size=512, pad_id=0, eos_id=1, seed=0)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 512, (4, 32), generator=g)
    with torch.no_grad():
        hidden = policy_hidden_states(model, ids, torch.ones_like(ids))[:, :-1].reshape(-1, 64)
    targets = ids[:, 1:].reshape(-1)
    weight = model.get_output_embeddings().weight.detach()
    ref = (
        torch.log_softmax(hidden.double() @ weight.double().T, -1)
        .gather(1, targets[:, None])
        .squeeze(1)
    )
    with torch.no_grad():
        fp32 = chunked_token_logprobs(hidden, weight, targets, fp32=True)[0].double()
        bf16 = chunked_token_logprobs(hidden, weight, targets, fp32=False)[0].double()
    err32 = float((fp32 - ref).abs().mean())
    err16 = float((bf16 - ref).abs().mean())
    assert err16 > 50 * err32, (err16, err32)
    assert float((fp32 - ref).abs().max()) < 1e-5


def test_mismatch_is_zero_for_the_same_computation_and_grows_with_a_gap() -> None:
    cfg = ModelConfig(dtype="float32")
    model = build_model(cfg, vocab_size=64, pad_id=0, eos_id=1, seed=0)
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(2, 64, (3, 20), generator=g)
    attn = torch.ones_like(ids)
    mask = torch.zeros(3, 19, dtype=torch.bool)
    mask[:, 8:] = True
    with torch.no_grad():
        a, _ = sequence_logprobs(model, ids, attn, mask)
        b, _ = sequence_logprobs(model, ids, attn, mask)
        c, _ = sequence_logprobs(model, ids, attn, mask, fp32=False)
        model_bf16 = build_model(
            cfg.model_copy(update={"dtype": "bfloat16"}), vocab_size=64, pad_id=0, eos_id=1, seed=0
        )
        d, _ = sequence_logprobs(model_bf16, ids, attn, mask, fp32=False)
    same = mismatch_metrics(a, b, mask)
    assert same == {
        "mismatch/mean_abs": 0.0,
        "mismatch/max_abs": 0.0,
        "mismatch/kl": 0.0,
        "mismatch/corr": 1.0,
    }
    gap = mismatch_metrics(a, d, mask)
    assert gap["mismatch/max_abs"] > 1e-3 and gap["mismatch/kl"] > 0 and gap["mismatch/corr"] < 1.0
    # fp32 weights, fp32 vs native head: the same numbers here, so no gap
    assert mismatch_metrics(a, c, mask)["mismatch/max_abs"] < 1e-5
    assert float(a[~mask].abs().sum()) == 0.0  # unselected positions stay zero


def test_sequence_logprobs_ignore_right_padding() -> None:
    model = build_model(ModelConfig(), vocab_size=64, pad_id=0, eos_id=1, seed=0)
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(2, 64, (2, 12), generator=g)
    mask = torch.zeros(2, 11, dtype=torch.bool)
    mask[:, 5:] = True
    padded = torch.cat([ids, torch.zeros(2, 7, dtype=torch.long)], 1)
    pmask = torch.cat([mask, torch.zeros(2, 7, dtype=torch.bool)], 1)
    attn = torch.cat([torch.ones_like(ids), torch.zeros(2, 7, dtype=torch.long)], 1)
    with torch.no_grad():
        a, _ = sequence_logprobs(model, ids, torch.ones_like(ids), mask)
        b, _ = sequence_logprobs(model, padded, attn, pmask)
    torch.testing.assert_close(b[:, :11], a, atol=1e-5, rtol=1e-5)
