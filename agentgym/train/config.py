"""The trainer's one config, loaded from YAML (`agentgym train --config FILE.yaml`).

Every field has a default that trains the toy env on CPU; unknown keys are errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentgym.errors import ConfigError

LossName = Literal["grpo", "dr_grpo", "dapo", "cispo"]
DType = Literal["float32", "bfloat16", "float16", "float64"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Section):
    """A random-init causal LM built in code (no hub): a Llama-style config."""

    arch: Literal["llama", "qwen2"] = "llama"
    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int | None = None
    intermediate_size: int = 128
    max_position_embeddings: int = 128
    tie_word_embeddings: bool = False
    init_std: float = 0.02
    vocab_size: int | None = None  # None: the tokenizer's size
    dtype: DType = "float32"  # trainer weights ("bfloat16" on GPU)
    lm_head_fp32: bool = True  # LM head + log-softmax in FP32 whatever the weights are
    logprob_chunk_size: int = 1024  # positions per chunk of the chunked log-prob
    gradient_checkpointing: bool = False


class TokenizerConfig(_Section):
    """Which tokenizer the model uses.

    ``auto``: ``toy`` for text envs, ``chat`` for chat-format envs. ``toy``: BPE trained on
    the bundled ToolCall corpus. ``chat``: byte-level BPE on the same corpus with the env's
    chat-format special tokens added. ``file``: a ``tokenizer.json`` (a real model's).
    """

    kind: Literal["auto", "toy", "chat", "file"] = "auto"
    path: str | None = None
    vocab_size: int | None = None  # None: 64 (toy), 512 (chat)


class EnvConfig(_Section):
    """Which gymnasium env to train on and how many episodes per step."""

    id: str = "agentgym/ToolCall-v0"
    kwargs: dict[str, Any] = Field(default_factory=dict)
    tasks_per_step: int = 16  # distinct task seeds per step
    group_size: int = 8  # episodes per task (G)
    max_turns: int = 1  # the trainer's turn bound (coding envs: also set kwargs.max_turns)
    task_ids: list[str] = Field(default_factory=list)  # reset to these tasks (by seed) if set
    env_workers: int = 1  # threads for env reset/step; sandboxed envs block on I/O


class RolloutConfig(_Section):
    """Generation engine: ``auto`` is ``static`` on CUDA (static KV cache + CUDA graphs) for
    Llama/Qwen2-style models, else ``hf`` (HF ``generate``); ``vllm`` when installed
    (``agentgym/train/vllm_engine.py``)."""

    engine: Literal["auto", "hf", "static", "vllm"] = "auto"
    max_new_tokens: int = 4  # per assistant turn
    max_total_tokens: int = 256  # whole episode (prompt + all turns)
    temperature: float = 1.0
    dtype: DType | None = None  # rollout precision; None: same as the trainer's weights
    lm_head_fp32: bool | None = None  # FP32 logits at generation; None: as model.lm_head_fp32
    batch_size: int = 256  # sequences per generate call (vllm: max_num_seqs)
    vllm_kwargs: dict[str, Any] = Field(default_factory=dict)  # extra vllm.LLM arguments


class RayConfig(_Section):
    """Envs on a Ray cluster: each env (and its sandbox) in a Ray actor on some node; the
    model and generation stay here. ``address`` None: envs run in this process."""

    address: str | None = None  # host:port of a running cluster, "auto" or "local"
    num_cpus_per_env: float = 0.25


class LossConfig(_Section):
    """The GRPO family. See docs/training.md for the formulas."""

    name: LossName = "grpo"
    eps_low: float = 0.2  # PPO clip below (DAPO: decoupled from eps_high)
    eps_high: float = 0.2  # DAPO clip-higher uses 0.28
    cispo_eps_high: float = 4.0  # CISPO clips the IS weight above at 1 + this
    cispo_eps_low: float | None = None  # None: no lower clip (MiniMax-M1)
    scale_rewards: bool | None = None  # divide advantages by group std; None: per loss
    kl_coef: float = 0.0  # KL(policy || reference), k3 estimator
    entropy_coef: float = 0.0  # entropy bonus on the assistant tokens (same aggregation)
    tis_cap: float | None = 2.0  # truncated IS toward the rollout log-probs; None: off
    dynamic_sampling: bool | None = None  # drop groups whose rewards are all equal; None: per loss
    overlong_buffer: int = 0  # DAPO soft overlong punishment: buffer length in tokens (0: off)
    overlong_penalty: float = 1.0
    max_completion_tokens: int | None = None  # Dr.GRPO constant; None: rollout budget

    def resolved_scale_rewards(self) -> bool:
        """GRPO, DAPO and CISPO divide by the group std; Dr.GRPO does not."""
        if self.scale_rewards is not None:
            return self.scale_rewards
        return self.name != "dr_grpo"

    def resolved_dynamic_sampling(self) -> bool:
        if self.dynamic_sampling is not None:
            return self.dynamic_sampling
        return self.name == "dapo"


class OptimConfig(_Section):
    """AdamW, gradient clipping and how one step's batch is split."""

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    minibatches: int = 1  # optimizer steps per RL step (>1: later minibatches are off-policy)
    epochs: int = 1  # passes over the step's batch
    grad_accum: int = 1  # micro-batches per optimizer step
    # AdamW on FP32 master copies of bf16/fp16 weights; None: on whenever model.dtype is one
    master_weights_fp32: bool | None = None


class TrainConfig(_Section):
    """Everything one training run needs."""

    seed: int = 0
    steps: int = 100
    device: str = "cpu"
    num_threads: int | None = None  # torch intra-op threads on CPU
    output_dir: str = "runs/train"
    checkpoint_every: int = 0  # steps; 0: only at the end
    resume: bool = True  # pick up the latest checkpoint in output_dir
    tensorboard: bool = True  # used only when tensorboard is installed
    progress: bool = True
    model: ModelConfig = Field(default_factory=ModelConfig)
    tokenizer: TokenizerConfig = Field(default_factory=TokenizerConfig)
    env: EnvConfig = Field(default_factory=EnvConfig)
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)
    loss: LossConfig = Field(default_factory=LossConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    ray: RayConfig = Field(default_factory=RayConfig)

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        batch = self.env.tasks_per_step * self.env.group_size
        parts = self.optim.minibatches * self.optim.grad_accum
        if batch % parts:
            raise ValueError(
                f"tasks_per_step*group_size={batch} must divide into "
                f"minibatches*grad_accum={parts} equal micro-batches"
            )
        if self.env.group_size < 2:
            raise ValueError("group_size must be >= 2 for group-relative advantages")
        return self


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML file into a TrainConfig; ``overrides`` are deep-merged on top."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read train config {path}: {exc}") from exc
    if overrides:
        data = _deep_merge(data, overrides)
    try:
        return TrainConfig.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"invalid train config {path}:\n{exc}") from exc


def dump_config(cfg: TrainConfig, path: str | Path) -> None:
    """Write a config back as YAML (loads to an equal config)."""
    Path(path).write_text(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
