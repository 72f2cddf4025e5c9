"""Rollouts: episodes from any gymnasium text env, token-in/token-out, with rollout log-probs.

``collect_episodes(engine, request)`` is a function of (policy weights held by the engine,
env ids, seeds), so it can move to Ray workers unchanged: see ``rollout_worker``.
Generation goes through a ``RolloutEngine``: ``HFEngine`` (HF ``generate`` with KV cache),
``StaticEngine`` (``static_engine.py``) or ``VLLMEngine`` (``vllm_engine.py``, with vLLM
installed).
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor

from agentgym.env.toolcall import ToyChatFormat
from agentgym.errors import AgentGymError


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
    task_id: str | None = None  # chat envs: the task the env reset to
    grade_status: str | None = None  # coding envs: "pass" / "fail" / "error" once graded
    parse_errors: int = 0  # turns the env could not parse

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
    task_ids: tuple[str, ...] = ()  # reset(options={"task_id": task_ids[seed % len]}) when set
    env_workers: int = 1  # threads for env reset/step (sandbox calls block)


class RolloutEngine(Protocol):
    """Generates continuations and reports their log-probs; holds its own copy of the weights."""

    def load_weights(self, state_dict: dict[str, Tensor]) -> None: ...

    def generate(
        self, prompts: list[list[int]], *, max_new_tokens: int, temperature: float, seed: int
    ) -> list[Generation]: ...


def sample_and_logprob(
    scores: Tensor, temperature: float, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """Sample one token per row (Gumbel-max from ``generator``; greedy at temperature 0) and
    return it with its log-prob under the sampling distribution, in FP32."""
    t = temperature if temperature > 0 else 1.0
    logp = torch.log_softmax(scores.float() / t, dim=-1)
    if temperature > 0:
        u = torch.rand(logp.shape, generator=generator, device=logp.device)
        gumbel = -torch.log(-torch.log(u.clamp(min=1e-20, max=1.0 - 1e-7)))
        tok = (logp + gumbel).argmax(-1)
    else:
        tok = logp.argmax(-1)
    return tok, logp.gather(1, tok[:, None]).squeeze(1)


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
        tok, logp = sample_and_logprob(scores, self.temperature, self.generator)
        self.logprobs.append(logp)
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
        eos_id: int | Sequence[int],
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
        # Generation stops at any of these (a chat format's end-of-turn and stop tokens).
        self.eos_ids = [eos_id] if isinstance(eos_id, int) else list(eos_id)
        self.pad_id, self.batch_size = pad_id, batch_size
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
        ids, attn = left_pad(prompts, self.pad_id)
        width = ids.shape[1]
        recorder = _SampleAndRecord(temperature, gen)
        seqs = self.model.generate(
            input_ids=ids.to(device),
            attention_mask=attn.to(device),
            max_new_tokens=max_new_tokens,
            min_new_tokens=max_new_tokens if self.ignore_eos else None,
            do_sample=False,
            num_beams=1,
            logits_processor=[recorder],
            eos_token_id=self.eos_ids,
            pad_token_id=self.pad_id,
            use_cache=True,
        )
        new = seqs[:, width:].cpu()
        logps = (
            torch.stack(recorder.logprobs, 1).cpu()
            if recorder.logprobs
            else torch.zeros(len(prompts), 0)
        )
        return self._generations(new.tolist(), logps.tolist())

    def _generations(self, rows: list[list[int]], logps: list[list[float]]) -> list[Generation]:
        """Cut each row after its first stop id (unless ``ignore_eos``)."""
        stops = set(self.eos_ids)
        out = []
        for row, lp in zip(rows, logps, strict=True):
            n = len(row)
            if not self.ignore_eos:
                n = next((j + 1 for j, t in enumerate(row) if t in stops), n)
            out.append(Generation(row[:n], lp[:n], finished=n > 0 and row[n - 1] in stops))
        return out


def left_pad(prompts: list[list[int]], pad_id: int) -> tuple[Tensor, Tensor]:
    """``(ids, attention_mask)`` with every prompt ending where generation starts."""
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    attn = torch.zeros((len(prompts), width), dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
        attn[i, width - len(p) :] = 1
    return ids, attn


def __getattr__(name: str) -> Any:
    # ``VLLMEngine`` lives in ``vllm_engine`` (which imports this module); re-exported lazily.
    if name == "VLLMEngine":
        from agentgym.train.vllm_engine import VLLMEngine

        return VLLMEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _turn_seed(sample_seed: int, turn: int) -> int:
    return int(np.random.SeedSequence([sample_seed, turn]).generate_state(1)[0])


# --- per-episode token bookkeeping: toy text envs and chat-format envs ----------------


class _ToyTurns:
    """Text envs (``agentgym/ToolCall-v0``): observations are strings in the toy format."""

    def __init__(self, codec: Any, fmt: ToyChatFormat) -> None:
        self.codec, self.fmt = codec, fmt

    def start(self, obs: Any, info: dict[str, Any]) -> list[int]:
        return encode_ids(self.codec, self.fmt.render_first_turn(obs))

    def take(self, gen: Generation) -> tuple[list[int], list[int], list[float], str]:
        return (
            list(gen.token_ids),
            [1] * len(gen.token_ids),
            list(gen.logprobs),
            self.codec.decode(gen.token_ids),
        )

    def observe(self, env: Any, obs: Any) -> list[int]:
        return encode_ids(self.codec, self.fmt.render_tool_turn(obs))


class _ChatTurns:
    """Chat envs (``CodingEnv`` and anything with ``env.unwrapped.fmt``): token-in/token-out.

    The prompt is ``agentgym.chat.tokenize``; after each turn the assistant's sampled ids
    and the env's new messages go through ``Tokenized.append`` (ids kept verbatim, only the
    new turns rendered and encoded), so history is never re-tokenized.
    """

    def __init__(self, codec: Any, fmt: Any) -> None:
        from agentgym.train.tokenizer import chat_stop_ids

        self.codec, self.fmt = codec, fmt
        self.stop_ids = set(chat_stop_ids(fmt, codec))
        # Tokens that close a turn the budget cut short (not sampled: loss mask 0).
        self.close_ids = encode_ids(codec, fmt.end_of_turn) if fmt.end_of_turn else []
        self.tok: Any = None
        self.seen = 0  # messages rendered so far
        self.pending: list[int] = []  # the last turn's ids, appended with its messages

    def start(self, obs: list[dict[str, Any]], info: dict[str, Any]) -> list[int]:
        from agentgym.chat import tokenize

        self.tok = tokenize(
            self.fmt, self.codec, obs, info.get("tools"), add_generation_prompt=True
        )
        self.seen = len(obs)
        return list(self.tok.ids)

    def take(self, gen: Generation) -> tuple[list[int], list[int], list[float], str]:
        ids, logps = list(gen.token_ids), list(gen.logprobs)
        text = self.codec.decode(ids, skip_special_tokens=False)
        mask = [1] * len(ids)
        if not self.fmt.end_of_turn and ids and ids[-1] in self.stop_ids:
            # GLM-style: the stop token is the next turn's header, rendered with that turn.
            ids, logps, mask = ids[:-1], logps[:-1], mask[:-1]
        elif not gen.finished and self.close_ids:
            # Cut by the token budget: close the turn as the template would, untrained.
            ids += self.close_ids
            logps += [0.0] * len(self.close_ids)
            mask += [0] * len(self.close_ids)
        self.pending = ids
        return ids, mask, logps, text

    def observe(self, env: Any, obs: list[dict[str, Any]]) -> list[int]:
        assistant = self._assistant_message(env)
        before = len(self.tok.ids) + len(self.pending)
        self.tok.append([assistant, *obs], generated_ids=self.pending)
        self.seen += 1 + len(obs)
        return list(self.tok.ids[before:])

    def _assistant_message(self, env: Any) -> Any:
        """The assistant turn as the env recorded it (its parse, its call ids)."""
        from agentgym.types import Message

        messages = getattr(env.unwrapped, "messages", None)
        if messages is not None and len(messages) > self.seen:
            msg = messages[self.seen]
            if getattr(msg, "role", None) == "assistant":
                return msg
        return Message(role="assistant", content=self.codec.decode(self.pending))


def _turns_for(env: Any, codec: Any, toy_fmt: ToyChatFormat) -> _ToyTurns | _ChatTurns:
    from agentgym.chat import ChatFormat

    fmt = getattr(env.unwrapped, "fmt", None)
    return _ChatTurns(codec, fmt) if isinstance(fmt, ChatFormat) else _ToyTurns(codec, toy_fmt)


def _map(fn: Any, items: list[Any], workers: int) -> list[Any]:
    """``[fn(x) for x in items]``, on ``workers`` threads when > 1 (env calls block on sandboxes)."""
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(fn, items))


_INFRA_EXCEPTIONS: tuple[type[BaseException], ...] = (AgentGymError, OSError)


class EnvPool:
    """Envs kept between ``collect_episodes`` calls, so a trainer does not rebuild them each
    step: a coding env keeps its loaded tasks and its warm sandbox pool (reset from a warm
    container takes milliseconds; a new env's first reset waits for a cold container).

    Every episode still starts with ``env.reset(seed=...)``; an env whose episode hit an
    infrastructure fault is closed, not reused. ``close()`` closes everything it holds.
    """

    def __init__(self) -> None:
        self._free: dict[str, list[gym.Env[Any, Any]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(env_id: str, kwargs: dict[str, Any]) -> str:
        return env_id + json.dumps(kwargs, sort_keys=True, default=repr)

    def take(self, env_id: str, kwargs: dict[str, Any], n: int) -> list[gym.Env[Any, Any]]:
        """``n`` envs for ``env_id`` with ``kwargs``: held ones first, then new ones."""
        key = self._key(env_id, kwargs)
        with self._lock:
            free = self._free.get(key, [])
            reused, self._free[key] = free[:n], free[n:]
        return reused + [self._make(env_id, kwargs) for _ in range(n - len(reused))]

    def _make(self, env_id: str, kwargs: dict[str, Any]) -> Any:
        """A new env (``RayEnvPool`` makes one in a Ray actor instead)."""
        return gym.make(env_id, **kwargs)

    def put(self, env_id: str, kwargs: dict[str, Any], envs: list[gym.Env[Any, Any]]) -> None:
        with self._lock:
            self._free.setdefault(self._key(env_id, kwargs), []).extend(envs)

    def __len__(self) -> int:
        return sum(len(v) for v in self._free.values())

    def close(self) -> None:
        with self._lock:
            held, self._free = [e for v in self._free.values() for e in v], {}
        for env in held:
            env.close()


def _play_episodes(
    engine: RolloutEngine,
    codec: Any,
    request: RolloutRequest,
    toy_fmt: ToyChatFormat,
    episodes: list[Episode],
    envs: list[gym.Env[Any, Any]],
) -> None:
    """``collect_episodes``' reset and turn loop: fills ``episodes`` in place."""
    turns = [_turns_for(env, codec, toy_fmt) for env in envs]

    def start(i: int) -> None:
        ep = episodes[i]
        options = (
            {"task_id": request.task_ids[ep.seed % len(request.task_ids)]}
            if request.task_ids
            else None
        )
        try:
            obs, info = envs[i].reset(seed=ep.seed, options=options)
            ids = turns[i].start(obs, info)
            ep.task_id = info.get("task_id")
        except _INFRA_EXCEPTIONS as exc:
            ep.error = f"reset failed: {type(exc).__name__}: {exc}"
            ids = [getattr(engine, "pad_id", 0)]  # one token so the batch row is well-formed
        ep.token_ids, ep.loss_mask, ep.rollout_logprobs = ids, [0] * len(ids), [0.0] * len(ids)

    _map(start, list(range(len(episodes))), request.env_workers)
    active = [i for i, ep in enumerate(episodes) if ep.error is None]
    for turn in range(request.max_turns):
        budgets = {i: request.max_total_tokens - len(episodes[i].token_ids) for i in active}
        for i in active:
            episodes[i].truncated = budgets[i] <= 0  # no room left for another turn
        active = [i for i in active if budgets[i] > 0]
        if not active:
            break
        gens = engine.generate(
            [episodes[i].token_ids for i in active],
            max_new_tokens=min(request.max_new_tokens, max(budgets[i] for i in active)),
            temperature=request.temperature,
            seed=_turn_seed(request.sample_seed, turn),
        )

        def play(job: tuple[int, Generation, int]) -> bool:
            """Append the turn, step the env; True while the episode goes on."""
            i, g, budget = job
            ep, env = episodes[i], envs[i]
            if len(g.token_ids) > budget:  # this episode's own token budget
                g = Generation(g.token_ids[:budget], g.logprobs[:budget], False)
            ids, mask, logps, text = turns[i].take(g)
            ep.token_ids += ids
            ep.loss_mask += mask
            ep.rollout_logprobs += logps
            ep.completions.append(text)
            ep.num_turns += 1
            try:
                obs, reward, terminated, truncated, info = env.step(text)
            except _INFRA_EXCEPTIONS as exc:
                ep.error = f"step failed: {type(exc).__name__}: {exc}"
                return False
            ep.reward += float(reward)
            ep.success = ep.success or bool(info.get("success", float(reward) >= 1.0))
            ep.parse_errors += int("parse_error" in info)
            if "grade" in info:
                ep.grade_status = str(info["grade"].get("status"))
            if info.get("error") or info.get("infrastructure_error"):
                grade = info.get("grade") or {}
                ep.error = str(info.get("error") or grade.get("error") or "infrastructure error")
                return False
            if terminated or truncated:
                ep.truncated = bool(truncated)
                return False
            obs_ids = turns[i].observe(env, obs)
            ep.token_ids += obs_ids
            ep.loss_mask += [0] * len(obs_ids)
            ep.rollout_logprobs += [0.0] * len(obs_ids)
            return True

        jobs = [(i, g, budgets[i]) for i, g in zip(active, gens, strict=True)]
        alive = _map(play, jobs, request.env_workers)
        active = [i for i, go in zip(active, alive, strict=True) if go]
    for i in active:  # ran out of turns or tokens before the env ended the episode
        episodes[i].truncated = True


def collect_episodes(
    engine: RolloutEngine,
    codec: Any,
    request: RolloutRequest,
    fmt: ToyChatFormat | None = None,
    env_pool: EnvPool | None = None,
) -> list[Episode]:
    """Play ``group_size`` episodes of each seeded task, batching every turn across episodes.

    Token-in/token-out: generated ids are appended exactly as sampled; each new observation
    is tokenized on its own (toy envs) or appended through the chat format's incremental
    tokenization (chat envs) with loss mask 0. History is never re-tokenized.
    Infrastructure faults (``info["error"]``, ``info["infrastructure_error"]``, sandbox
    exceptions) end the episode with ``Episode.error`` set: the trainer masks it out.
    With ``env_pool`` the envs come from and go back to it (else they are made and closed here).
    """
    toy_fmt = fmt or ToyChatFormat()
    episodes = [
        Episode(env_id=request.env_id, seed=int(seed), group=group)
        for group, seed in enumerate(request.seeds)
        for _ in range(request.group_size)
    ]
    if env_pool is not None:
        envs = env_pool.take(request.env_id, request.env_kwargs, len(episodes))
    else:
        envs = [gym.make(request.env_id, **request.env_kwargs) for _ in episodes]
    try:
        _play_episodes(engine, codec, request, toy_fmt, episodes, envs)
    except BaseException:  # an engine error or Ctrl-C: no env is left running
        for env in envs:
            with contextlib.suppress(Exception):
                env.close()
        raise
    kept = []
    for env, ep in zip(envs, episodes, strict=True):
        if env_pool is not None and ep.error is None:
            kept.append(env)
        else:  # no pool, or an env that hit a fault: not reused
            env.close()
    if env_pool is not None:
        env_pool.put(request.env_id, request.env_kwargs, kept)
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
