"""GPU throughput of one GRPO step: tokens/s, step split and MFU, against TRL in the same run.

    python benchmarks/train_throughput.py                # on a CUDA GPU, ~0.5B random-init model
    python benchmarks/train_throughput.py --cpu-smoke    # tiny config on CPU, checks the script runs

A Qwen2-0.5B-shaped model (random init, built in code, bf16 weights, FP32 LM head) plays
``--prompts`` x ``--group`` sequences of ``--prompt-len`` random prompt tokens and
``--gen-len`` generated tokens (EOS disabled, so every sequence has the same length), gets
random rewards, and takes one GRPO update: rollout (HF ``generate``, KV cache) -> old
log-probs (chunked FP32 head) -> update (fwd + bwd + AdamW). The same model, batch and
lengths then go through TRL's ``GRPOTrainer`` when ``trl`` is installed. The whole script
keeps to ``--budget-s``. Writes benchmarks/results/train_throughput.json.

MFU = model FLOPs / (step time * peak bf16 FLOP/s): 2*N per generated or scored token,
6*N per trained token (N = non-embedding parameters; attention FLOPs left out).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12, "A10": 125e12}


def peak_flops(device_name: str) -> float | None:
    return next((v for k, v in PEAK_BF16.items() if k in device_name), None)


def model_config(smoke: bool) -> dict[str, Any]:
    if smoke:
        return dict(arch="qwen2", hidden_size=64, num_layers=2, num_heads=4, num_kv_heads=2,
                    intermediate_size=128, vocab_size=1024, max_position_embeddings=512,
                    tie_word_embeddings=True)  # fmt: skip
    # Qwen2.5-0.5B's shape: ~494M parameters with tied embeddings.
    return dict(arch="qwen2", hidden_size=896, num_layers=24, num_heads=14, num_kv_heads=2,
                intermediate_size=4864, vocab_size=151936, max_position_embeddings=4096,
                tie_word_embeddings=True)  # fmt: skip


def agentgym_step(model: Any, args: argparse.Namespace, device: Any, seed: int) -> dict[str, float]:
    """One GRPO step built from agentgym.train's pieces; returns its timings."""
    import torch

    from agentgym.train.config import LossConfig
    from agentgym.train.logprobs import sequence_logprobs
    from agentgym.train.losses import group_advantages, make_normalizer, policy_loss
    from agentgym.train.rollout import HFEngine

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(seed)
    prompts = torch.randint(2, vocab, (args.prompts, args.prompt_len), generator=g)
    prompts = prompts.repeat_interleave(args.group, 0).tolist()
    engine = HFEngine(model, eos_id=1, pad_id=0, batch_size=len(prompts), ignore_eos=True)
    sync()
    t0 = time.perf_counter()
    gens = engine.generate(prompts, max_new_tokens=args.gen_len, temperature=1.0, seed=seed)
    sync()
    t1 = time.perf_counter()
    ids = torch.tensor(
        [p + gn.token_ids for p, gn in zip(prompts, gens, strict=True)], device=device
    )
    attn = torch.ones_like(ids)
    mask = torch.zeros(ids.shape[0], ids.shape[1] - 1, device=device)
    mask[:, args.prompt_len - 1 :] = 1.0
    rollout_logp = torch.zeros_like(mask)
    rollout_logp[:, args.prompt_len - 1 :] = torch.tensor(
        [gn.logprobs for gn in gens], device=device
    )
    rewards = torch.rand(ids.shape[0], generator=g).to(device)
    adv = group_advantages(
        rewards, torch.ones_like(rewards, dtype=torch.bool), args.group, scale=True
    )
    cfg = LossConfig(name="grpo")
    micro = args.micro_batch
    old = torch.zeros_like(mask)
    with torch.no_grad():
        for s in range(0, ids.shape[0], micro):
            old[s : s + micro] = sequence_logprobs(
                model, ids[s : s + micro], attn[s : s + micro], mask[s : s + micro] > 0
            )[0]
    sync()
    t2 = time.perf_counter()
    opt = args._opt
    norm = make_normalizer(mask, args.gen_len)
    for s in range(0, ids.shape[0], micro):
        sl = slice(s, s + micro)
        logp, _ = sequence_logprobs(model, ids[sl], attn[sl], mask[sl] > 0)
        loss, _ = policy_loss(
            logp, old[sl], adv[sl], mask[sl], cfg, norm, rollout_logp=rollout_logp[sl]
        )
        loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    sync()
    t3 = time.perf_counter()
    return {"rollout_s": t1 - t0, "logprob_s": t2 - t1, "update_s": t3 - t2, "step_s": t3 - t0}


def trl_step_time(model: Any, args: argparse.Namespace, budget_s: float) -> dict[str, Any]:
    """Seconds per GRPOTrainer step on the same model, batch and lengths (None if TRL is absent)."""
    try:
        import trl
        from datasets import Dataset
        from tokenizers import Tokenizer, models
        from transformers import PreTrainedTokenizerFast, TrainerCallback
    except ImportError as exc:
        return {"available": False, "reason": f"{exc}"}
    vocab = model.config.vocab_size
    words = {f"t{i}": i for i in range(vocab)}
    tok = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel(words, unk_token="t1")),
        pad_token="t0",
        eos_token="t1",
    )
    tok.backend_tokenizer.pre_tokenizer = __import__("tokenizers").pre_tokenizers.WhitespaceSplit()
    rng = __import__("numpy").random.default_rng(0)
    prompts = [
        " ".join(f"t{int(x)}" for x in rng.integers(2, vocab, args.prompt_len))
        for _ in range(args.prompts * 4)
    ]
    ds = Dataset.from_dict({"prompt": prompts})

    def reward(completions: list[str], **_: Any) -> list[float]:
        return [float(rng.random()) for _ in completions]

    times: list[float] = []

    class Timer(TrainerCallback):
        def on_step_begin(self, *a: Any, **k: Any) -> None:
            self.t = time.perf_counter()

        def on_step_end(self, *a: Any, **k: Any) -> None:
            times.append(time.perf_counter() - self.t)

    conf = trl.GRPOConfig(
        output_dir="/tmp/trl_bench", per_device_train_batch_size=args.prompts * args.group,
        num_generations=args.group, max_completion_length=args.gen_len,
        gradient_accumulation_steps=1, max_steps=args.steps + 1, bf16=True, logging_steps=1000,
        report_to=[], save_strategy="no", temperature=1.0, beta=0.0,
    )  # fmt: skip
    try:
        trainer = trl.GRPOTrainer(model=model, reward_funcs=reward, args=conf, train_dataset=ds,
                                  processing_class=tok, callbacks=[Timer()])  # fmt: skip
        trainer.train()
    except Exception as exc:  # TRL's API moves fast: record, don't crash the benchmark
        return {"available": True, "error": f"{type(exc).__name__}: {exc}", "trl": trl.__version__}
    steady = times[1:] or times
    return {"available": True, "trl": trl.__version__, "step_s": statistics.median(steady)}


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--cpu-smoke", action="store_true", help="tiny model on CPU: checks the script, no numbers"
    )
    p.add_argument("--prompts", type=int, default=16)
    p.add_argument("--group", type=int, default=8)
    p.add_argument("--prompt-len", type=int, default=256)
    p.add_argument("--gen-len", type=int, default=512)
    p.add_argument("--micro-batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up")
    p.add_argument("--budget-s", type=float, default=540.0)
    p.add_argument("--no-trl", action="store_true")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train_throughput.json"))
    args = p.parse_args()

    import torch

    from agentgym.train.config import ModelConfig
    from agentgym.train.model import build_model, count_params

    start = time.perf_counter()
    if args.cpu_smoke:
        device = torch.device("cpu")
        torch.set_num_threads(2)
        args.prompts, args.group, args.prompt_len, args.gen_len, args.micro_batch, args.steps = (
            2,
            4,
            16,
            16,
            4,
            2,
        )
        dtype = "float32"
    else:
        if not torch.cuda.is_available():
            raise SystemExit(
                "train_throughput.py needs a CUDA GPU (it times a ~0.5B model). "
                "On CPU run `python benchmarks/train_throughput.py --cpu-smoke` to check the script."
            )
        device = torch.device("cuda")
        dtype = "bfloat16"
    mcfg = ModelConfig(**model_config(args.cpu_smoke), dtype=dtype, lm_head_fp32=True)
    model = build_model(mcfg, vocab_size=mcfg.vocab_size or 0, pad_id=0, eos_id=1, seed=0).to(
        device
    )
    model.train()
    args._opt = torch.optim.AdamW(model.parameters(), lr=1e-6)
    n_params = count_params(model)
    n_nonembed = count_params(model, exclude_embeddings=True)

    rows = []
    for i in range(args.steps + 1):
        if time.perf_counter() - start > args.budget_s / 2:
            break
        r = agentgym_step(model, args, device, seed=i)
        if i > 0:  # the first step warms up kernels and the allocator
            rows.append(r)
    b = args.prompts * args.group
    tokens = b * (args.prompt_len + args.gen_len)
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]} if rows else {}
    flops = (
        2 * n_nonembed * b * (args.prompt_len + args.gen_len)  # rollout: prefill + decode
        + 2 * n_nonembed * tokens  # old log-probs
        + 6 * n_nonembed * tokens  # update
    )
    name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    peak = peak_flops(name)
    ours = {
        **med,
        "tokens_per_s": tokens / med["step_s"] if med else None,
        "mfu": flops / med["step_s"] / peak if (med and peak) else None,
    }
    trl_res: dict[str, Any] = {"available": False, "reason": "skipped (--no-trl or --cpu-smoke)"}
    if not args.no_trl and not args.cpu_smoke and time.perf_counter() - start < args.budget_s * 0.6:
        trl_res = trl_step_time(model, args, args.budget_s - (time.perf_counter() - start))
        if trl_res.get("step_s"):
            trl_res["tokens_per_s"] = tokens / trl_res["step_s"]
    result = {
        "device": name,
        "torch": torch.__version__,
        "model": {
            "params": n_params,
            "non_embedding_params": n_nonembed,
            **model_config(args.cpu_smoke),
        },
        "batch": {
            "sequences": b,
            "prompt_len": args.prompt_len,
            "gen_len": args.gen_len,
            "micro_batch": args.micro_batch,
        },
        "agentgym": ours,
        "trl": trl_res,
        "speedup_vs_trl": (ours["tokens_per_s"] / trl_res["tokens_per_s"])
        if trl_res.get("tokens_per_s") and ours["tokens_per_s"]
        else None,
        "smoke": args.cpu_smoke,
        "wall_s": time.perf_counter() - start,
    }
    out = (
        Path(args.out)
        if not args.cpu_smoke
        else Path(args.out).with_name("train_throughput_cpu_smoke.json")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'device':<22}{name}")
    print(f"{'params':<22}{n_params / 1e6:.1f}M ({n_nonembed / 1e6:.1f}M non-embedding)")
    if med:
        print(
            f"{'step (s)':<22}{med['step_s']:.3f}  rollout {med['rollout_s']:.3f} | logprob {med['logprob_s']:.3f} | update {med['update_s']:.3f}"
        )
        mfu = "n/a (unknown peak)" if ours["mfu"] is None else f"{ours['mfu']:.3f}"
        print(f"{'tokens/s':<22}{ours['tokens_per_s']:.0f}   MFU {mfu}")
    print(f"{'TRL':<22}{trl_res}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
