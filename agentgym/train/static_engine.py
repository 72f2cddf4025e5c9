"""Rollouts with a static KV cache and, on CUDA, one captured CUDA graph per decode shape.

HF ``generate`` spends most of a decode step in Python: ~30 module calls per layer, a
growing ``DynamicCache`` and a logits-processor stack, so a 0.5B model at batch 128 is
bound by the CPU, not the GPU. ``StaticEngine`` runs the same weights through a small
decode loop of its own: the KV cache is preallocated ``[batch, kv_heads, max_len, head_dim]``
per layer, every decode step has the same shapes, and on CUDA the whole step (all layers,
cache writes, mask update, LM head) is captured once as a CUDA graph and replayed per token.
Sampling (Gumbel-max from an explicit generator, log-prob of the sampled token) is the same
function ``HFEngine`` uses, so both engines sample identical tokens from identical logits.

Supported: Llama/Qwen2-style decoders (``model.model.layers[i].self_attn.{q,k,v,o}_proj``,
RMSNorm, gated MLP, rotary embeddings, no sliding window, no q/k norms). Anything else raises
``ConfigError`` at construction; ``engine: auto`` then falls back to HF ``generate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from agentgym.errors import ConfigError
from agentgym.train.rollout import Generation, HFEngine, left_pad, sample_and_logprob

_CACHE_ROUND = 128  # cache length rounded up so varying prompt widths reuse one graph


def check_supported(model: Any) -> None:
    """Raise ``ConfigError`` unless ``StaticEngine`` can decode with ``model``."""
    inner = getattr(model, "model", None)
    layers = getattr(inner, "layers", None)
    if inner is None or layers is None or not hasattr(inner, "rotary_emb"):
        raise ConfigError(
            f"rollout.engine: static supports Llama/Qwen2-style decoders; "
            f"{type(model).__name__} has no model.layers / model.rotary_emb (use engine: hf)"
        )
    for layer in layers:
        attn = layer.self_attn
        missing = [n for n in ("q_proj", "k_proj", "v_proj", "o_proj") if not hasattr(attn, n)]
        extra = [n for n in ("q_norm", "k_norm") if hasattr(attn, n)]
        if missing or extra or getattr(attn, "sliding_window", None):
            raise ConfigError(
                f"rollout.engine: static cannot decode {type(model).__name__} "
                f"(attention has {'no ' + ', '.join(missing) if missing else ', '.join(extra) or 'a sliding window'}); "
                "use engine: hf"
            )
    rope_type = getattr(inner.rotary_emb, "rope_type", "default")
    if rope_type not in ("default", "linear", "llama3"):
        raise ConfigError(
            f"rollout.engine: static supports static RoPE only, not {rope_type!r}; use engine: hf"
        )


@dataclass
class _Buffers:
    """Static tensors of one decode shape (and its CUDA graph, if captured)."""

    k: list[Tensor]  # per layer [B, kv_heads, T, head_dim]
    v: list[Tensor]
    valid: Tensor  # [B, T] bool: which cache slots hold real tokens
    tok: Tensor  # [B] token fed this step
    pos: Tensor  # [B] its rotary position
    slot: Tensor  # [1] cache slot it is written to (the same for every row: left padding)
    logits: Tensor  # [B, V] float32 output
    graph: Any = None


class StaticEngine(HFEngine):
    """``HFEngine``'s contract (same sampling, log-probs, stop ids), a faster decode loop.

    ``cuda_graphs=None`` captures graphs whenever the model is on CUDA; capture failures
    fall back to eager replay of the same step and are reported in ``graph_error``.
    """

    def __init__(
        self,
        model: Any,
        *,
        eos_id: int | Sequence[int],
        pad_id: int,
        batch_size: int = 256,
        dtype: torch.dtype | None = None,
        share: bool = True,
        ignore_eos: bool = False,
        lm_head_fp32: bool = False,
        cuda_graphs: bool | None = None,
        check_every: int = 16,
    ) -> None:
        check_supported(model)
        super().__init__(
            model,
            eos_id=eos_id,
            pad_id=pad_id,
            batch_size=batch_size,
            dtype=dtype,
            share=share,
            ignore_eos=ignore_eos,
            lm_head_fp32=lm_head_fp32,
        )
        self.cuda_graphs = cuda_graphs
        self.check_every = check_every  # decode steps between "all finished?" host syncs
        self.graph_error: str | None = None
        self._bufs: dict[tuple[int, int], _Buffers] = {}
        cfg = self.model.config
        self.n_heads = cfg.num_attention_heads
        self.n_kv = cfg.num_key_value_heads or cfg.num_attention_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads

    # -- the model, layer by layer --------------------------------------------------

    def _qkv(self, attn: Any, x: Tensor, cos: Tensor, sin: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        b, t, _ = x.shape
        q = attn.q_proj(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        k = attn.k_proj(x).view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        v = attn.v_proj(x).view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        return q * cos + _rotate_half(q) * sin, k * cos + _rotate_half(k) * sin, v

    def _head(self, h: Tensor) -> Tensor:
        inner = self.model.model
        return self.model.get_output_embeddings()(inner.norm(h)).float()

    def _prefill(self, ids: Tensor, attn_mask: Tensor, bufs: _Buffers) -> Tensor:
        """Run the (left-padded) prompts, fill cache slots ``[0, width)``; logits of the last."""
        inner = self.model.model
        b, width = ids.shape
        pos = (attn_mask.cumsum(-1) - 1).masked_fill(attn_mask == 0, 1)  # as HF generate
        h = inner.embed_tokens(ids)
        cos, sin = inner.rotary_emb(h, pos)
        valid = attn_mask.bool()
        causal = torch.ones(width, width, dtype=torch.bool, device=ids.device).tril()
        eye = torch.eye(width, dtype=torch.bool, device=ids.device)
        # A padding row attends to itself only, so no row is all -inf (NaN would leak).
        mask = ((causal & valid[:, None, :]) | eye)[:, None]  # [B, 1, P, P]
        group = self.n_heads // self.n_kv
        for i, layer in enumerate(inner.layers):
            attn = layer.self_attn
            q, k, v = self._qkv(attn, layer.input_layernorm(h), cos, sin)
            bufs.k[i][:, :, :width] = k
            bufs.v[i][:, :, :width] = v
            o = F.scaled_dot_product_attention(
                q, k.repeat_interleave(group, 1), v.repeat_interleave(group, 1), attn_mask=mask
            )
            h = h + attn.o_proj(o.transpose(1, 2).reshape(b, width, -1))
            h = h + layer.mlp(layer.post_attention_layernorm(h))
        bufs.valid.zero_()
        bufs.valid[:, :width] = valid
        return self._head(h[:, -1:])[:, 0]

    def _decode(self, bufs: _Buffers) -> None:
        """One token for every row: reads ``tok/pos/slot``, writes the cache and ``logits``.

        Shapes never change and nothing syncs with the host, so this can be a CUDA graph.
        Grouped-query attention without copying the cache: a row's query heads of one KV
        head become that head's ``group`` queries.
        """
        inner = self.model.model
        b = bufs.tok.shape[0]
        h = inner.embed_tokens(bufs.tok[:, None])
        cos, sin = inner.rotary_emb(h, bufs.pos[:, None])
        bufs.valid.index_fill_(1, bufs.slot, True)
        mask = bufs.valid[:, None, None, :]
        group = self.n_heads // self.n_kv
        for i, layer in enumerate(inner.layers):
            attn = layer.self_attn
            q, k, v = self._qkv(attn, layer.input_layernorm(h), cos, sin)
            bufs.k[i].index_copy_(2, bufs.slot, k)
            bufs.v[i].index_copy_(2, bufs.slot, v)
            qg = q.reshape(b, self.n_kv, group, self.head_dim)
            o = F.scaled_dot_product_attention(qg, bufs.k[i], bufs.v[i], attn_mask=mask)
            h = h + attn.o_proj(o.reshape(b, 1, self.n_heads * self.head_dim))
            h = h + layer.mlp(layer.post_attention_layernorm(h))
        bufs.logits.copy_(self._head(h)[:, 0])

    # -- buffers and graphs ----------------------------------------------------------

    def _buffers(self, batch: int, length: int, device: torch.device) -> _Buffers:
        key = (batch, length)
        if key in self._bufs:
            return self._bufs[key]
        self._bufs.clear()  # one shape at a time: caches are the big allocation
        p = next(self.model.parameters())
        shape = (batch, self.n_kv, length, self.head_dim)
        vocab = self.model.get_output_embeddings().weight.shape[0]
        bufs = _Buffers(
            k=[torch.zeros(shape, dtype=p.dtype, device=device) for _ in self.model.model.layers],
            v=[torch.zeros(shape, dtype=p.dtype, device=device) for _ in self.model.model.layers],
            valid=torch.zeros(batch, length, dtype=torch.bool, device=device),
            tok=torch.zeros(batch, dtype=torch.long, device=device),
            pos=torch.zeros(batch, dtype=torch.long, device=device),
            slot=torch.zeros(1, dtype=torch.long, device=device),
            logits=torch.zeros(batch, vocab, dtype=torch.float32, device=device),
        )
        use_graphs = device.type == "cuda" if self.cuda_graphs is None else self.cuda_graphs
        if use_graphs and device.type == "cuda":
            try:
                bufs.graph = _capture(lambda: self._decode(bufs))
            except Exception as exc:  # eager replay still works; say why graphs did not
                self.graph_error = f"{type(exc).__name__}: {exc}"
                bufs.graph = None
        self._bufs[key] = bufs
        return bufs

    # -- the loop ----------------------------------------------------------------------

    def _generate_batch(
        self,
        prompts: list[list[int]],
        max_new_tokens: int,
        temperature: float,
        gen: torch.Generator,
        device: torch.device,
    ) -> list[Generation]:
        if max_new_tokens <= 0:
            return [Generation([], [], finished=False) for _ in prompts]
        ids, attn = (t.to(device) for t in left_pad(prompts, self.pad_id))
        n, width = ids.shape
        length = -(-(width + max_new_tokens) // _CACHE_ROUND) * _CACHE_ROUND
        bufs = self._buffers(n, length, device)
        stops = torch.tensor(self.eos_ids, device=device)
        toks = torch.empty(n, max_new_tokens, dtype=torch.long, device=device)
        logps = torch.empty(n, max_new_tokens, dtype=torch.float32, device=device)
        done = torch.zeros(n, dtype=torch.bool, device=device)
        logits = self._prefill(ids, attn, bufs)
        bufs.pos.copy_(attn.sum(-1))  # the first generated token's position
        steps = max_new_tokens
        for s in range(max_new_tokens):
            if self.ignore_eos:  # as HF's min_new_tokens: EOS can't be sampled
                logits[:, stops] = -torch.inf
            tok, lp = sample_and_logprob(logits, temperature, gen)
            toks[:, s], logps[:, s] = tok, lp
            if s + 1 == max_new_tokens:
                break
            if not self.ignore_eos:
                done |= torch.isin(tok, stops)
                if (s + 1) % self.check_every == 0 and bool(done.all()):
                    steps = s + 1
                    break
            bufs.tok.copy_(tok)
            bufs.slot.fill_(width + s)
            if s > 0:
                bufs.pos.add_(1)
            if bufs.graph is not None:
                bufs.graph.replay()
            else:
                self._decode(bufs)
            logits = bufs.logits
        return self._generations(toks[:, :steps].cpu().tolist(), logps[:, :steps].cpu().tolist())


def _rotate_half(x: Tensor) -> Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def _capture(step: Any) -> Any:
    """Warm ``step`` up on a side stream, then capture it as a CUDA graph."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(2):
            step()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    return graph
