"""Rollouts: episodes from any gymnasium text env, token-in/token-out, with rollout log-probs.

``collect_episodes(engine, request)`` is a function of (policy weights held by the engine,
env ids, seeds), so it can move to Ray workers unchanged: see ``rollout_worker``.
Generation goes through a ``RolloutEngine``: ``HFEngine`` (HF ``generate`` with KV cache)
or ``VLLMEngine`` (only with vLLM installed and a GPU).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Protocol

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor

from agentgym.errors import ConfigError
from agentgym.train.toy_env import ToyChatFormat


class TextCodec(Protocol):
    """What rollouts need from a tokenizer (a ``tokenizers.Tokenizer`` fits)."""

    def encode(self, text: str) -> Any: ...
    def decode(self, ids: list[int]) -> str: ...


def encode_ids(codec: Any, text: str) -> list[int]:
    """Ids of ``text`` for a ``tokenizers.Tokenizer`` or an HF tokenizer."""
    out = codec.encode(text)
    return list(out.ids) if hasattr(out, "ids") else list(out)


@dataclass
class Generation:
    """One sampled continuation: ids exactly as generated and their log-probs at sampling time."""

    token_ids: list[int]
    logprobs: list[float]
    finished: bool  # ended with EOS (else hit the token budget)


@dataclass
class Episode:
    """One episode as the trainer sees it: a single token stream with a loss mask."""

    env_id: str
    seed: int
    group: int  # index of the task in the step; episodes of one group share a task
    token_ids: list[int] = field(default_factory=list)
    loss_mask: list[int] = field(default_factory=list)  # 1 on assistant-generated tokens
    rollout_logprobs: list[float] = field(default_factory=list)  # aligned with token_ids
    reward: float = 0.0
    success: bool = False
    error: str | None = None  # infrastructure fault: masked out, not punished
    truncated: bool = False
    num_turns: int = 0
    completions: list[str] = field(default_factory=list)

    @property
    def completion_tokens(self) -> int:
        return sum(self.loss_mask)


@dataclass(frozen=True)
class RolloutRequest:
    """Everything that decides a batch of episodes besides the weights. Plain data: picklable."""

    env_id: str
    seeds: tuple[int, ...]  # one per task; each task gets group_size episodes
    group_size: int
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    max_turns: int = 1
    max_new_tokens: int = 8
    max_total_tokens: int = 256
    temperature: float = 1.0
    sample_seed: int = 0


class RolloutEngine(Protocol):
    """Generates continuations and reports their log-probs; holds its own copy of the weights."""

    def load_weights(self, state_dict: dict[str, Tensor]) -> None: ...

    def generate(
        self, prompts: list[list[int]], *, max_new_tokens: int, temperature: float, seed: int
    ) -> list[Generation]: ...


class _SampleAndRecord:
    """A logits processor that samples (Gumbel-max, explicit generator) and records log p.

    It hands back scores that are -inf except at the sampled token, so greedy decoding
    inside ``generate`` emits exactly our sample; the log-prob is the sampling
    distribution's, computed from the rollout model's logits in its own precision.
    """

    def __init__(self, temperature: float, generator: torch.Generator) -> None:
        self.temperature = temperature
        self.generator = generator
        self.logprobs: list[Tensor] = []

    def __call__(self, input_ids: Tensor, scores: Tensor) -> Tensor:
        t = self.temperature if self.temperature > 0 else 1.0
        logp = torch.log_softmax(scores.float() / t, dim=-1)
        if self.temperature > 0:
            u = torch.rand(logp.shape, generator=self.generator, device=logp.device)
            gumbel = -torch.log(-torch.log(u.clamp(min=1e-20, max=1.0 - 1e-7)))
            tok = (logp + gumbel).argmax(-1)
        else:
            tok = logp.argmax(-1)
        self.logprobs.append(logp.gather(1, tok[:, None]).squeeze(1))
        out = torch.full_like(scores, -torch.inf)
        out.scatter_(1, tok[:, None], 0.0)
        return out


class HFEngine:
    """Rollouts with HF ``generate`` (KV cache) on CPU or GPU.

    With ``share=True`` the engine generates with the trainer's own module (same weights,
    same precision); otherwise it keeps a copy in ``dtype`` and ``load_weights`` syncs it.
    """

    def __init__(
        self,
        model: Any,
        *,
        eos_id: int,
        pad_id: int,
        batch_size: int = 256,
        dtype: torch.dtype | None = None,
        share: bool = True,
        ignore_eos: bool = False,
        lm_head_fp32: bool = False,
    ) -> None:
        self.model = model if share else copy.deepcopy(model)
        if dtype is not None and not share:
            self.model.to(dtype)
        if lm_head_fp32:  # logits in FP32 at generation time too (MiniMax-M1)
            from agentgym.train.model import use_fp32_lm_head

            use_fp32_lm_head(self.model)
        self.eos_id, self.pad_id, self.batch_size = eos_id, pad_id, batch_size
        self.ignore_eos = ignore_eos  # benchmarks: every sequence runs to max_new_tokens

    def load_weights(self, state_dict: dict[str, Tensor]) -> None:
        self.model.load_state_dict(state_dict)

    @torch.no_grad()
    def generate(
        self, prompts: list[list[int]], *, max_new_tokens: int, temperature: float, seed: int
    ) -> list[Generation]:
        device = next(self.model.parameters()).device
        gen = torch.Generator(device=device)
        gen.manual_seed(seed)
        out: list[Generation] = []
        was_training = self.model.training
        self.model.eval()
        for start in range(0, len(prompts), self.batch_size):
            out.extend(
                self._generate_batch(
                    prompts[start : start + self.batch_size],
                    max_new_tokens,
                    temperature,
                    gen,
                    device,
                )
            )
        self.model.train(was_training)
        return out

    def _generate_batch(
        self,
        prompts: list[list[int]],
        max_new_tokens: int,
        temperature: float,
        gen: torch.Generator,
        device: torch.device,
    ) -> list[Generation]:
        width = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        attn = torch.zeros((len(prompts), width), dtype=torch.long)
        for i, p in enumerate(prompts):  # left padding: every prompt ends where generation starts
            ids[i, width - len(p) :] = torch.tensor(p)
            attn[i, width - len(p) :] = 1
        recorder = _SampleAndRecord(temperature, gen)
        seqs = self.model.generate(
            input_ids=ids.to(device),
            attention_mask=attn.to(device),
            max_new_tokens=max_new_tokens,
            min_new_tokens=max_new_tokens if self.ignore_eos else None,
            do_sample=False,
            num_beams=1,
            logits_processor=[recorder],
            eos_token_id=self.eos_id,
            pad_token_id=self.pad_id,
            use_cache=True,
        )
        new = seqs[:, width:].cpu()
        logps = (
            torch.stack(recorder.logprobs, 1).cpu()
            if recorder.logprobs
            else torch.zeros(len(prompts), 0)
        )
        result = []
        for i in range(len(prompts)):
            row = new[i].tolist()
            n = (
                row.index(self.eos_id) + 1
                if self.eos_id in row and not self.ignore_eos
                else len(row)
            )
            result.append(
                Generation(row[:n], logps[i, :n].tolist(), finished=self.eos_id in row[:n])
            )
        return result


class VLLMEngine:
    """vLLM as the rollout engine (optional extra; needs a GPU). Not implemented beyond this check."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            import vllm  # noqa: F401
        except ImportError as exc:
            raise ConfigError(
                "rollout.engine: vllm needs the vllm package and a CUDA GPU "
                "(pip install vllm); use rollout.engine: hf otherwise"
            ) from exc
        if not torch.cuda.is_available():
            raise ConfigError(
                "rollout.engine: vllm needs a CUDA GPU; use rollout.engine: hf on CPU"
            )
        raise NotImplementedError(
            "the vLLM rollout engine is not implemented yet; use rollout.engine: hf"
        )

    def load_weights(self, state_dict: dict[str, Tensor]) -> None:  # pragma: no cover
        raise NotImplementedError

    def generate(
        self, prompts: list[list[int]], *, max_new_tokens: int, temperature: float, seed: int
    ) -> list[Generation]:  # pragma: no cover
        raise NotImplementedError


def _turn_seed(sample_seed: int, turn: int) -> int:
    return int(np.random.SeedSequence([sample_seed, turn]).generate_state(1)[0])


def collect_episodes(
    engine: RolloutEngine,
    codec: Any,
    request: RolloutRequest,
    fmt: ToyChatFormat | None = None,
) -> list[Episode]:
    """Play ``group_size`` episodes of each seeded task, batching every turn across episodes.

    Token-in/token-out: generated ids are appended exactly as sampled; each new observation
    is tokenized on its own and appended with loss mask 0. History is never re-tokenized.
    """
    fmt = fmt or ToyChatFormat()
    episodes: list[Episode] = []
    envs: list[gym.Env[Any, Any]] = []
    for group, seed in enumerate(request.seeds):
        for _ in range(request.group_size):
            env = gym.make(request.env_id, **request.env_kwargs)
            obs, _info = env.reset(seed=int(seed))
            ids = encode_ids(codec, fmt.render_first_turn(obs))
            episodes.append(
                Episode(
                    env_id=request.env_id,
                    seed=int(seed),
                    group=group,
                    token_ids=ids,
                    loss_mask=[0] * len(ids),
                    rollout_logprobs=[0.0] * len(ids),
                )
            )
            envs.append(env)
    active = list(range(len(episodes)))
    for turn in range(request.max_turns):
        budgets = [request.max_total_tokens - len(episodes[i].token_ids) for i in active]
        active = [i for i, b in zip(active, budgets, strict=True) if b > 0]
        if not active:
            break
        new_tokens = min(
            request.max_new_tokens,
            *[request.max_total_tokens - len(episodes[i].token_ids) for i in active],
        )
        gens = engine.generate(
            [episodes[i].token_ids for i in active],
            max_new_tokens=new_tokens,
            temperature=request.temperature,
            seed=_turn_seed(request.sample_seed, turn),
        )
        still: list[int] = []
        for i, g in zip(active, gens, strict=True):
            ep, env = episodes[i], envs[i]
            ep.token_ids += g.token_ids
            ep.loss_mask += [1] * len(g.token_ids)
            ep.rollout_logprobs += g.logprobs
            text = codec.decode(g.token_ids)
            ep.completions.append(text)
            ep.num_turns += 1
            obs, reward, terminated, truncated, info = env.step(text)
            ep.reward += float(reward)
            ep.success = ep.success or bool(info.get("success", False))
            if info.get("error"):
                ep.error = str(info["error"])
                continue
            if terminated or truncated:
                ep.truncated = bool(truncated)
                continue
            obs_ids = encode_ids(codec, fmt.render_tool_turn(obs))
            ep.token_ids += obs_ids
            ep.loss_mask += [0] * len(obs_ids)
            ep.rollout_logprobs += [0.0] * len(obs_ids)
            still.append(i)
        active = still
    for i in active:  # ran out of turns or tokens
        episodes[i].truncated = True
    for env in envs:
        env.close()
    return episodes


def rollout_worker(
    model_factory: Any,
    state_dict: dict[str, Tensor],
    codec: Any,
    request: RolloutRequest,
    *,
    eos_id: int,
    pad_id: int,
) -> list[Episode]:
    """The Ray-ready entry point: build a model, load weights, play the request's episodes."""
    model = model_factory()
    model.load_state_dict(state_dict)
    engine = HFEngine(model, eos_id=eos_id, pad_id=pad_id)
    return collect_episodes(engine, codec, request)
