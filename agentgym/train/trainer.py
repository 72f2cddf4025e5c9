"""The RL loop, top to bottom: rollout -> advantages -> old log-probs -> update -> log -> checkpoint.

    trainer = Trainer(config)
    history = trainer.fit()          # or: train_main("configs/train/toolcall_grpo.yaml")

One ``step`` plays ``tasks_per_step`` tasks ``group_size`` times each, turns rewards into
group-relative advantages, recomputes the behaviour policy's log-probs with the trainer's
own numerics (logging how far they are from the rollout engine's; with one optimizer step
per RL step they come from the update's own forward, no extra pass), then takes
``minibatches`` optimizer steps per epoch with ``grad_accum`` micro-batches each.
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from agentgym.env.toolcall import ToyChatFormat, build_toy_tokenizer
from agentgym.errors import ConfigError
from agentgym.train.config import TrainConfig, dump_config, load_config
from agentgym.train.logprobs import mismatch_metrics, sequence_logprobs
from agentgym.train.losses import (
    group_advantages,
    make_normalizer,
    nonconstant_groups,
    overlong_penalty,
    policy_loss,
)
from agentgym.train.master import make_optimizer
from agentgym.train.model import build_model, torch_dtype
from agentgym.train.rollout import (
    EnvPool,
    Episode,
    HFEngine,
    RolloutRequest,
    collect_episodes,
)
from agentgym.train.static_engine import StaticEngine, check_supported
from agentgym.train.tokenizer import build_chat_tokenizer, chat_stop_ids, pad_id, vocab_size


def probe_env(env_id: str, kwargs: dict[str, Any]) -> tuple[Any, list[str]]:
    """``env_id``'s chat format (``env.unwrapped.fmt``; None for plain text envs) and its
    fixed text (system prompt, tool specs, task instructions) to train a tiny tokenizer on.

    Building a ``CodingEnv`` is cheap: sandboxes start at ``reset``, not here.
    """
    import gymnasium as gym

    import agentgym.env  # noqa: F401  (registers the coding env ids)
    from agentgym.chat import ChatFormat

    env = gym.make(env_id, **kwargs)
    try:
        core = env.unwrapped
        fmt = getattr(core, "fmt", None)
        if not isinstance(fmt, ChatFormat):
            return None, []
        texts = [str(getattr(core, "system_prompt", "") or "")]
        texts += [json.dumps(t.spec.to_openai()) for t in getattr(core, "tool_list", [])]
        texts += [t.instruction for t in list(getattr(core, "tasks", []))[:256]]
        return fmt, [t for t in texts if t]
    finally:
        env.close()


# --- batch -------------------------------------------------------------------


@dataclass
class Batch:
    """Right-padded tensors of one step. Position t predicts token t+1."""

    input_ids: Tensor  # [B, T]
    attention_mask: Tensor  # [B, T]
    mask: Tensor  # [B, T-1] float: assistant tokens of valid, kept episodes
    rollout_logp: Tensor  # [B, T-1]
    advantages: Tensor  # [B]
    rewards: Tensor  # [B] after shaping

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    def select(self, idx: Tensor) -> Batch:
        """Rows ``idx``, trimmed to their longest sequence."""
        width = int(self.attention_mask[idx].sum(1).max())
        return Batch(
            input_ids=self.input_ids[idx, :width],
            attention_mask=self.attention_mask[idx, :width],
            mask=self.mask[idx, : width - 1],
            rollout_logp=self.rollout_logp[idx, : width - 1],
            advantages=self.advantages[idx],
            rewards=self.rewards[idx],
        )


def make_batch(
    episodes: list[Episode], cfg: TrainConfig, pad_id: int
) -> tuple[Batch, dict[str, float]]:
    """Rewards -> (overlong shaping) -> group advantages -> masks, collated into tensors."""
    g = cfg.env.group_size
    rewards = torch.tensor([ep.reward for ep in episodes], dtype=torch.float32)
    valid = torch.tensor([ep.error is None for ep in episodes])
    lengths = torch.tensor([ep.completion_tokens for ep in episodes])
    budget = cfg.rollout.max_new_tokens * cfg.env.max_turns
    if cfg.loss.overlong_buffer > 0:
        rewards = rewards + overlong_penalty(
            lengths, budget, cfg.loss.overlong_buffer, cfg.loss.overlong_penalty
        )
    adv = group_advantages(rewards, valid, g, scale=cfg.loss.resolved_scale_rewards())
    keep = valid.clone()
    if cfg.loss.resolved_dynamic_sampling():
        keep &= nonconstant_groups(rewards, valid, g)

    width = max(len(ep.token_ids) for ep in episodes)
    b = len(episodes)
    ids = torch.full((b, width), pad_id, dtype=torch.long)
    attn = torch.zeros((b, width), dtype=torch.long)
    lmask = torch.zeros((b, width), dtype=torch.float32)
    rlogp = torch.zeros((b, width), dtype=torch.float32)
    for i, ep in enumerate(episodes):
        n = len(ep.token_ids)
        ids[i, :n] = torch.tensor(ep.token_ids)
        attn[i, :n] = 1
        lmask[i, :n] = torch.tensor(ep.loss_mask, dtype=torch.float32)
        rlogp[i, :n] = torch.tensor(ep.rollout_logprobs, dtype=torch.float32)
    mask = lmask[:, 1:] * keep[:, None].float()
    batch = Batch(ids, attn, mask, rlogp[:, 1:], adv, rewards)
    stats = {
        "reward/mean": float(torch.tensor([ep.reward for ep in episodes])[valid].mean())
        if valid.any()
        else 0.0,
        "reward/success_rate": float(np.mean([ep.success for ep in episodes])),
        "episodes/faults": float((~valid).sum()),
        "episodes/kept_frac": float(keep.float().mean()),
        "episodes/truncated_frac": float(np.mean([ep.truncated for ep in episodes])),
        "episodes/graded_frac": float(np.mean([ep.grade_status is not None for ep in episodes])),
        "episodes/parse_errors_mean": float(np.mean([ep.parse_errors for ep in episodes])),
        "episodes/turns_mean": float(np.mean([ep.num_turns for ep in episodes])),
        "tokens/completion_mean": float(lengths.float().mean()),
        "tokens/total": float(attn.sum()),
    }
    return batch, stats


# --- metrics sinks -------------------------------------------------------------


class MetricsLogger:
    """JSONL always; TensorBoard when installed and asked for."""

    def __init__(self, out_dir: Path, tensorboard: bool) -> None:
        self.path = out_dir / "metrics.jsonl"
        self.tb: Any = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.tb = SummaryWriter(str(out_dir / "tb"))
            except ImportError:
                self.tb = None

    def log(self, step: int, metrics: dict[str, float]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps({"step": step, **metrics}) + "\n")
        if self.tb is not None:
            for key, value in metrics.items():
                self.tb.add_scalar(key, value, step)

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


# --- trainer -------------------------------------------------------------------


class Trainer:
    """Owns model, optimizer, rollout engine and RNG; ``step()`` does one RL step."""

    def __init__(self, cfg: TrainConfig) -> None:
        self.cfg = cfg
        if cfg.num_threads:
            torch.set_num_threads(cfg.num_threads)
        self.device = torch.device(cfg.device)
        self.fmt = ToyChatFormat()
        # A chat-format env (CodingEnv, ...) or a toy text env (chat_fmt None).
        self.chat_fmt, self._env_texts = probe_env(cfg.env.id, cfg.env.kwargs)
        self.tokenizer = self._build_tokenizer()
        if self.chat_fmt is not None:  # stop at the format's end-of-turn / stop tokens
            self.stop_ids = chat_stop_ids(self.chat_fmt, self.tokenizer)
        else:
            self.stop_ids = [self.tokenizer.token_to_id(self.fmt.end)]
        self.eos_id = self.stop_ids[0]
        self.pad_id = pad_id(self.tokenizer, fallback=self.eos_id)
        self.model = build_model(
            cfg.model,
            vocab_size=vocab_size(self.tokenizer),
            pad_id=self.pad_id,
            eos_id=self.eos_id,
            seed=cfg.seed,
        ).to(self.device)
        self.model.train()
        self.ref_model = None
        if cfg.loss.kl_coef > 0:
            self.ref_model = copy.deepcopy(self.model).eval().requires_grad_(False)
        master = cfg.optim.master_weights_fp32
        if master is None:
            master = cfg.model.dtype in ("bfloat16", "float16")
        self.optimizer = make_optimizer(
            self.model.parameters(),
            master_fp32=master,
            lr=cfg.optim.lr,
            betas=cfg.optim.betas,
            weight_decay=cfg.optim.weight_decay,
        )
        self.engine = self._build_engine()
        # envs (and their warm sandboxes) live across steps; with ray.address, in Ray actors
        self.env_pool = _env_pool(cfg)
        self.rng = np.random.default_rng(cfg.seed)  # task seeds, sampling seeds, minibatch order
        self.step_idx = 0
        self.out_dir = Path(cfg.output_dir)

    def _build_tokenizer(self) -> Any:
        tcfg = self.cfg.tokenizer
        if tcfg.kind == "file":
            from tokenizers import Tokenizer

            if not tcfg.path:
                raise ConfigError("tokenizer.kind: file needs tokenizer.path")
            return Tokenizer.from_file(tcfg.path)
        kind = tcfg.kind
        if kind == "auto":
            kind = "toy" if self.chat_fmt is None else "chat"
        if kind == "chat":
            if self.chat_fmt is None:
                raise ConfigError(
                    f"tokenizer.kind: chat needs an env with a chat format; {self.cfg.env.id} "
                    "has none (use kind: toy or auto)"
                )
            return build_chat_tokenizer(self.chat_fmt, tcfg.vocab_size or 512, self._env_texts)
        return build_toy_tokenizer(tcfg.vocab_size or 64, self.fmt)

    def _build_engine(self) -> Any:
        rcfg = self.cfg.rollout
        rollout_dtype = torch_dtype(rcfg.dtype) if rcfg.dtype else None
        share = rollout_dtype is None or rollout_dtype == torch_dtype(self.cfg.model.dtype)
        head_fp32 = self.cfg.model.lm_head_fp32 if rcfg.lm_head_fp32 is None else rcfg.lm_head_fp32
        if rcfg.engine == "vllm":  # its own copy of the weights, synced after every update
            from agentgym.train.vllm_engine import VLLMEngine

            self.engine_name = "vllm"
            return VLLMEngine(
                self.model,
                eos_id=self.stop_ids,
                pad_id=self.pad_id,
                batch_size=rcfg.batch_size,
                dtype=rollout_dtype,
                lm_head_fp32=head_fp32,
                max_model_len=rcfg.max_total_tokens,
                seed=self.cfg.seed,
                **rcfg.vllm_kwargs,
            )
        kwargs: dict[str, Any] = dict(
            eos_id=self.stop_ids,
            pad_id=self.pad_id,
            batch_size=rcfg.batch_size,
            dtype=rollout_dtype,
            share=share,
            lm_head_fp32=head_fp32,
        )
        engine = rcfg.engine
        if engine == "auto":
            engine = "hf"
            if self.device.type == "cuda":
                try:
                    check_supported(self.model)
                    engine = "static"
                except ConfigError:
                    pass
        self.engine_name = engine
        if engine == "static":
            return StaticEngine(self.model, **kwargs)
        return HFEngine(self.model, **kwargs)

    # -- one step ---------------------------------------------------------------

    def rollout(self) -> list[Episode]:
        """Play this step's episodes with the current weights."""
        cfg = self.cfg
        seeds = tuple(int(s) for s in self.rng.integers(0, 2**31 - 1, size=cfg.env.tasks_per_step))
        request = RolloutRequest(
            env_id=cfg.env.id,
            seeds=seeds,
            group_size=cfg.env.group_size,
            env_kwargs=cfg.env.kwargs,
            max_turns=cfg.env.max_turns,
            max_new_tokens=cfg.rollout.max_new_tokens,
            max_total_tokens=cfg.rollout.max_total_tokens,
            temperature=cfg.rollout.temperature,
            sample_seed=int(self.rng.integers(0, 2**31 - 1)),
            task_ids=tuple(cfg.env.task_ids),
            env_workers=cfg.env.env_workers,
        )
        return collect_episodes(
            self.engine, self.tokenizer, request, self.fmt, env_pool=self.env_pool
        )

    def close(self) -> None:
        """Close the envs held between steps (coding envs: their warm sandboxes) and an
        engine that holds resources of its own (vLLM)."""
        self.env_pool.close()
        if (close_engine := getattr(self.engine, "close", None)) is not None:
            close_engine()

    def logprobs(self, model: Any, batch: Batch) -> tuple[Tensor, Tensor]:
        """Trainer-side log-probs and entropy of the batch's assistant tokens."""
        m = self.cfg.model
        return sequence_logprobs(
            model,
            batch.input_ids.to(self.device),
            batch.attention_mask.to(self.device),
            batch.mask.to(self.device) > 0,
            chunk_size=m.logprob_chunk_size,
            fp32=m.lm_head_fp32,
            temperature=self.cfg.rollout.temperature,
        )

    @torch.no_grad()
    def _no_grad_logprobs(self, model: Any, batch: Batch) -> Tensor:
        out = torch.zeros_like(batch.rollout_logp)
        micro = max(1, len(batch) // (self.cfg.optim.minibatches * self.cfg.optim.grad_accum))
        for start in range(0, len(batch), micro):
            idx = torch.arange(start, min(start + micro, len(batch)))
            sub = batch.select(idx)
            out[idx, : sub.mask.shape[1]] = self.logprobs(model, sub)[0].cpu()
        return out

    def fused_old_logprobs(self) -> bool:
        """One optimizer step per RL step: every micro-batch's forward runs before any weight
        changes, so the update's own forward gives the old log-probs (no separate pass)."""
        return self.cfg.optim.epochs == 1 and self.cfg.optim.minibatches == 1

    def update(
        self, batch: Batch, old_logp: Tensor | None, ref_logp: Tensor | None
    ) -> dict[str, float]:
        """``epochs`` x ``minibatches`` optimizer steps, each over ``grad_accum`` micro-batches.

        ``old_logp=None`` (only with one optimizer step): each micro-batch's detached log-probs
        are its old log-probs, and the train/rollout mismatch is computed from them.
        """
        ocfg, lcfg = self.cfg.optim, self.cfg.loss
        if old_logp is None and not self.fused_old_logprobs():
            raise ValueError("old_logp=None needs optim.epochs == 1 and optim.minibatches == 1")
        seen = torch.zeros_like(batch.rollout_logp) if old_logp is None else None
        max_tokens = (
            lcfg.max_completion_tokens or self.cfg.rollout.max_new_tokens * self.cfg.env.max_turns
        )
        sums: dict[str, float] = {}
        n_micro = 0
        for _epoch in range(ocfg.epochs):
            order = torch.from_numpy(self.rng.permutation(len(batch)))
            for mb in order.chunk(ocfg.minibatches):
                norm = make_normalizer(batch.mask[mb], max_tokens)
                for micro in mb.chunk(ocfg.grad_accum):
                    sub = batch.select(micro)
                    w = sub.mask.shape[1]
                    logp, entropy = self.logprobs(self.model, sub)
                    dev = self.device
                    if seen is not None:
                        old = logp.detach()
                        seen[micro, :w] = old.cpu()
                    else:
                        assert old_logp is not None
                        old = old_logp[micro, :w].to(dev)
                    loss, metrics = policy_loss(
                        logp,
                        old,
                        sub.advantages.to(dev),
                        sub.mask.to(dev),
                        lcfg,
                        norm,
                        rollout_logp=sub.rollout_logp.to(dev),
                        ref_logp=None if ref_logp is None else ref_logp[micro, :w].to(dev),
                        entropy=entropy,
                    )
                    loss.backward()
                    metrics["loss/total"] = loss.detach()
                    tok = sub.mask.to(dev).sum().clamp(min=1)
                    metrics["policy/entropy"] = (entropy.detach() * sub.mask.to(dev)).sum() / tok
                    for k, v in metrics.items():
                        sums[k] = sums.get(k, 0.0) + float(v)
                    n_micro += 1
                grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), ocfg.grad_clip)
                sums["optim/grad_norm"] = (
                    sums.get("optim/grad_norm", 0.0) + float(grad_norm) * ocfg.grad_accum
                )
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
        out = {k: v / max(n_micro, 1) for k, v in sums.items()}
        if seen is not None:
            out.update(mismatch_metrics(seen, batch.rollout_logp, batch.mask))
        return out

    def step(self) -> dict[str, float]:
        """One RL step; returns its metrics."""
        t0 = time.perf_counter()
        episodes = self.rollout()
        t1 = time.perf_counter()
        batch, metrics = make_batch(episodes, self.cfg, self.pad_id)
        has_tokens = float(batch.mask.sum()) > 0
        # The train/rollout gap on the tokens the loss sees, every step: from a separate pass,
        # or (one optimizer step per RL step) from the update's own forward.
        old_logp = None
        if not self.fused_old_logprobs():
            old_logp = self._no_grad_logprobs(self.model, batch)
            metrics.update(mismatch_metrics(old_logp, batch.rollout_logp, batch.mask))
        elif not has_tokens:  # no update, so no forward: the metrics' values for no tokens
            metrics.update(mismatch_metrics(batch.rollout_logp, batch.rollout_logp, batch.mask))
        ref_logp = (
            self._no_grad_logprobs(self.ref_model, batch) if self.ref_model is not None else None
        )
        t2 = time.perf_counter()
        if has_tokens:
            metrics.update(self.update(batch, old_logp, ref_logp))
        t3 = time.perf_counter()
        if getattr(self.engine, "model", None) is not self.model:
            self.engine.load_weights(self.model.state_dict())
        t4 = time.perf_counter()
        metrics.update(
            {
                "time/rollout_s": t1 - t0,
                "time/logprob_s": t2 - t1,
                "time/update_s": t3 - t2,
                "time/sync_s": t4 - t3,
                "time/step_s": t4 - t0,
                "tokens/per_s": metrics["tokens/total"] / max(t4 - t0, 1e-9),
            }
        )
        self.step_idx += 1
        return metrics

    # -- checkpoints --------------------------------------------------------------

    def save_checkpoint(self, path: Path | None = None) -> Path:
        """Model, optimizer, RNG state and step in one file (``checkpoints/step_XXXXXX.pt``)."""
        path = path or self.out_dir / "checkpoints" / f"step_{self.step_idx:06d}.pt"
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "step": self.step_idx,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": {"numpy": self.rng.bit_generator.state},
            "config": self.cfg.model_dump(mode="json"),
        }
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(path)  # never leave a half-written checkpoint behind
        return path

    def load_checkpoint(self, path: Path) -> None:
        state = torch.load(path, map_location=self.device, weights_only=False)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]["numpy"]
        self.step_idx = int(state["step"])
        if getattr(self.engine, "model", None) is not self.model:
            self.engine.load_weights(self.model.state_dict())

    def latest_checkpoint(self) -> Path | None:
        ckpts = sorted((self.out_dir / "checkpoints").glob("step_*.pt"))
        return ckpts[-1] if ckpts else None

    # -- the loop -------------------------------------------------------------------

    def fit(self) -> list[dict[str, float]]:
        """Train to ``cfg.steps`` (resuming from the latest checkpoint if asked); returns the metrics."""
        cfg = self.cfg
        self.out_dir.mkdir(parents=True, exist_ok=True)
        dump_config(cfg, self.out_dir / "config.yaml")
        if cfg.resume and (ckpt := self.latest_checkpoint()) is not None:
            self.load_checkpoint(ckpt)
        logger = MetricsLogger(self.out_dir, cfg.tensorboard)
        history: list[dict[str, float]] = []
        progress = _progress(cfg.progress)
        with progress, contextlib.closing(self):
            task = progress.add_task("train", total=cfg.steps, completed=self.step_idx, info="")
            while self.step_idx < cfg.steps:
                metrics = self.step()
                history.append(metrics)
                logger.log(self.step_idx, metrics)
                progress.update(
                    task,
                    advance=1,
                    info=f"reward {metrics['reward/mean']:.3f} success {metrics['reward/success_rate']:.2f} "
                    f"|Δlogp|max {metrics['mismatch/max_abs']:.2e}",
                )
                if cfg.checkpoint_every and self.step_idx % cfg.checkpoint_every == 0:
                    self.save_checkpoint()
        self.save_checkpoint()
        logger.close()
        return history


def _progress(enabled: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        disable=not enabled,
    )


def train_main(config_path: str, overrides: dict[str, Any] | None = None) -> None:
    """Entry point of ``agentgym train --config FILE.yaml``: load the config and train."""
    Trainer(load_config(config_path, overrides)).fit()


def _env_pool(cfg: Any) -> EnvPool:
    from agentgym.rollout.ray_runner import ray_address_from

    address = ray_address_from(cfg.ray.address)
    if address is None:
        return EnvPool()
    from agentgym.train.ray_envs import RayEnvPool

    return RayEnvPool(address, num_cpus=cfg.ray.num_cpus_per_env)
