"""Random-init causal LMs built in code (no hub), and the toy tokenizer's special ids."""

from __future__ import annotations

from typing import Any

import torch

from agentgym.train.config import DType, ModelConfig

DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
    "float64": torch.float64,
}


def torch_dtype(name: DType) -> torch.dtype:
    return DTYPES[name]


def build_model(cfg: ModelConfig, *, vocab_size: int, pad_id: int, eos_id: int, seed: int) -> Any:
    """A Llama/Qwen2-style causal LM with random weights drawn from ``seed`` (global RNG untouched)."""
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    common = dict(
        vocab_size=cfg.vocab_size or vocab_size,
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_kv_heads or cfg.num_heads,
        intermediate_size=cfg.intermediate_size,
        max_position_embeddings=cfg.max_position_embeddings,
        tie_word_embeddings=cfg.tie_word_embeddings,
        initializer_range=cfg.init_std,
        pad_token_id=pad_id,
        eos_token_id=eos_id,
        bos_token_id=None,
        use_cache=True,
    )
    config_cls, model_cls = (
        (LlamaConfig, LlamaForCausalLM) if cfg.arch == "llama" else (Qwen2Config, Qwen2ForCausalLM)
    )
    config = config_cls(**common)
    config._attn_implementation = "sdpa"
    # HF initialises from the global RNG: fork it so this seed decides the weights and
    # nothing outside this function sees a changed global state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_cls(config)
    model.to(torch_dtype(cfg.dtype))
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    return model


class FP32LMHead(torch.nn.Module):
    """An LM head that computes logits in FP32 from low-precision weights (same Parameter)."""

    def __init__(self, head: torch.nn.Module) -> None:
        super().__init__()
        self.weight = head.weight  # shared: state_dict keys and tying are unchanged

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.linear(hidden.float(), self.weight.float())


def use_fp32_lm_head(model: Any) -> Any:
    """Make ``model``'s own forward (and so HF ``generate``) compute logits in FP32."""
    head = model.get_output_embeddings()
    if not isinstance(head, FP32LMHead):
        model.set_output_embeddings(FP32LMHead(head))
    return model


def count_params(model: Any, *, exclude_embeddings: bool = False) -> int:
    """Number of parameters (optionally without the input embedding, as MFU formulas use)."""
    total = sum(p.numel() for p in model.parameters())
    if exclude_embeddings:
        total -= model.get_input_embeddings().weight.numel()
    return total
