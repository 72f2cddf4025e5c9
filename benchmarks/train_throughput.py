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


def agentgym_step(
    model: Any, engine: Any, args: argparse.Namespace, device: Any, seed: int
) -> dict[str, float]:
    """One GRPO step built from agentgym.train's pieces; returns its timings."""
    import torch

    from agentgym.train.config import LossConfig
    from agentgym.train.logprobs import sequence_logprobs
    from agentgym.train.losses import group_advantages, make_normalizer, policy_loss

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(seed)
    prompts = torch.randint(2, vocab, (args.prompts, args.prompt_len), generator=g)
    prompts = prompts.repeat_interleave(args.group, 0).tolist()
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
    if args.separate_old_logprobs:  # else, as the trainer: the update's forward gives them
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
        if not args.separate_old_logprobs:
            old[sl] = logp.detach()
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


def trl_step_time(
    model: Any, args: argparse.Namespace, budget_s: float, bf16: bool
) -> dict[str, Any]:
    """Seconds per GRPOTrainer step on the same model, batch and lengths (None if TRL is absent).

    TRL's defaults except what makes the comparison like for like: no KL (beta=0, as ours),
    no gradient checkpointing (ours has none), micro-batches of ``--micro-batch`` with
    gradient accumulation up to the same ``prompts x group`` sequences per optimizer step,
    all generated in one batch (``steps_per_generation`` = accumulation steps).
    """
    try:
        import trl
        from datasets import Dataset
        from tokenizers import Tokenizer, models, pre_tokenizers
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
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    rng = __import__("numpy").random.default_rng(0)
    prompts = [
        " ".join(f"t{int(x)}" for x in rng.integers(2, vocab, args.prompt_len))
        for _ in range(args.prompts * (args.steps + 2))
    ]
    ds = Dataset.from_dict({"prompt": prompts})

    def reward(completions: list[str], **_: Any) -> list[float]:
        return [float(rng.random()) for _ in completions]

    times: list[float] = []
    lengths: list[float] = []
    sequences = args.prompts * args.group
    accum = max(1, sequences // args.micro_batch)

    class Timer(TrainerCallback):
        def on_step_begin(self, *a: Any, **k: Any) -> None:
            self.t = time.perf_counter()

        def on_step_end(self, *a: Any, **k: Any) -> None:
            times.append(time.perf_counter() - self.t)

        def on_log(self, *a: Any, logs: dict[str, Any] | None = None, **k: Any) -> None:
            if logs and "completions/mean_length" in logs:
                lengths.append(float(logs["completions/mean_length"]))

    conf = trl.GRPOConfig(
        output_dir="/tmp/trl_bench", per_device_train_batch_size=args.micro_batch,
        gradient_accumulation_steps=accum, num_generations=args.group,
        max_completion_length=args.gen_len, max_steps=args.steps + 1, bf16=bf16,
        logging_steps=1, report_to=[], save_strategy="no", temperature=1.0, beta=0.0,
        gradient_checkpointing=False, learning_rate=1e-6, use_cpu=not bf16,
    )  # fmt: skip
    try:
        trainer = trl.GRPOTrainer(model=model, reward_funcs=reward, args=conf, train_dataset=ds,
                                  processing_class=tok, callbacks=[Timer()])  # fmt: skip
        trainer.train()
    except Exception as exc:  # TRL's API moves fast: record, don't crash the benchmark
        return {"available": True, "error": f"{type(exc).__name__}: {exc}", "trl": trl.__version__}
    steady = times[1:] or times
    return {
        "available": True,
        "trl": trl.__version__,
        "step_s": statistics.median(steady),
        "steps_timed": len(steady),
        "mean_completion_len": statistics.mean(lengths) if lengths else None,
        "config": {
            "per_device_train_batch_size": args.micro_batch,
            "gradient_accumulation_steps": accum,
            "gradient_checkpointing": False,
            "beta": 0.0,
        },
    }


def run_engine(
    name: str, model: Any, args: argparse.Namespace, device: Any, deadline: float
) -> dict[str, Any]:
    """Warm-up + ``--steps`` timed GRPO steps with one rollout engine; median timings."""
    from agentgym.train.rollout import HFEngine
    from agentgym.train.static_engine import StaticEngine

    b = args.prompts * args.group
    kw: dict[str, Any] = dict(eos_id=1, pad_id=0, batch_size=b, ignore_eos=True, lm_head_fp32=True)
    engine: Any = StaticEngine(model, **kw) if name == "static" else HFEngine(model, **kw)
    rows = []
    for i in range(args.steps + 1):
        if i > 1 and time.perf_counter() > deadline:
            break
        r = agentgym_step(model, engine, args, device, seed=i)
        if i > 0:  # the first step warms up kernels, the allocator and (static) the CUDA graph
            rows.append(r)
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]} if rows else {}
    out: dict[str, Any] = {**med, "steps_timed": len(rows)}
    if name == "static":
        out["cuda_graphs"] = any(bf.graph is not None for bf in engine._bufs.values())
        out["graph_error"] = engine.graph_error
    return out


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
    p.add_argument(
        "--engines", default="static,hf", help="agentgym rollout engines to time, comma-separated"
    )
    p.add_argument("--budget-s", type=float, default=540.0)
    p.add_argument("--no-trl", action="store_true")
    p.add_argument(
        "--separate-old-logprobs",
        action="store_true",
        help="old log-probs in their own no-grad pass (the trainer fuses them into the update "
        "when there is one optimizer step per RL step)",
    )
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train_throughput.json"))
    args = p.parse_args()

    import torch

    from agentgym.train.config import ModelConfig
    from agentgym.train.model import build_model, count_params

    start = time.perf_counter()
    if args.cpu_smoke:
        device = torch.device("cpu")
        torch.set_num_threads(2)
        args.prompts, args.group, args.prompt_len, args.gen_len = 2, 4, 16, 16
        args.micro_batch, args.steps = 4, 2
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
    name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    peak = peak_flops(name)
    b = args.prompts * args.group
    tokens = b * (args.prompt_len + args.gen_len)
    gen_flops = 2 * n_nonembed * tokens  # rollout: prefill + decode
    train_flops = 6 * n_nonembed * tokens  # fwd + bwd of the update
    ours_flops = gen_flops + train_flops
    if args.separate_old_logprobs:
        ours_flops += 2 * n_nonembed * tokens  # the old log-probs pass

    plain_head = model.get_output_embeddings()  # the engines swap in an FP32 head (our default)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    ours: dict[str, dict[str, Any]] = {}
    trl_res: dict[str, Any] = {"available": False, "reason": "skipped (--no-trl)"}
    out = (
        Path(args.out)
        if not args.cpu_smoke
        else Path(args.out).with_name("train_throughput_cpu_smoke.json")
    )

    def write() -> dict[str, Any]:
        best = ours.get(engines[0], {}) if engines else {}
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
            "agentgym_setup": "rollout with FP32 LM head; "
            + (
                "separate old-log-prob pass (FP32 head, chunked); "
                if args.separate_old_logprobs
                else "old log-probs from the update's forward; "
            )
            + "update fwd+bwd with FP32 head; AdamW",
            "agentgym": best,
            "agentgym_engines": ours,
            "trl": trl_res,
            "speedup_vs_trl": (best["tokens_per_s"] / trl_res["tokens_per_s"])
            if trl_res.get("tokens_per_s") and best.get("tokens_per_s")
            else None,
            "smoke": args.cpu_smoke,
            "wall_s": time.perf_counter() - start,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
        return result

    n_runs = len(engines) + (0 if args.no_trl else 1)
    for i, eng in enumerate(engines):
        deadline = start + args.budget_s * (i + 1) / (n_runs + 0.5)
        r = run_engine(eng, model, args, device, deadline)
        if r.get("step_s"):
            r["tokens_per_s"] = tokens / r["step_s"]
            r["mfu"] = ours_flops / r["step_s"] / peak if peak else None
        ours[eng] = r
        write()
        print(f"{eng:<10} {r}", flush=True)
    if not args.no_trl:
        model.set_output_embeddings(plain_head)  # TRL gets the stock model (bf16 logits)
        trl_res = trl_step_time(
            model, args, args.budget_s - (time.perf_counter() - start), bf16=not args.cpu_smoke
        )
        if trl_res.get("step_s"):
            trl_res["tokens_per_s"] = tokens / trl_res["step_s"]
            trl_res["mfu"] = (gen_flops + train_flops) / trl_res["step_s"] / peak if peak else None
    result = write()

    print(f"{'device':<22}{name}")
    print(f"{'params':<22}{n_params / 1e6:.1f}M ({n_nonembed / 1e6:.1f}M non-embedding)")
    print(f"{'batch':<22}{b} x ({args.prompt_len} prompt + {args.gen_len} generated) tokens")
    base = trl_res.get("tokens_per_s")
    for eng, r in [*ours.items(), ("trl", trl_res)]:
        if not r.get("step_s"):
            print(f"{eng:<22}{r.get('error') or r.get('reason') or 'no steps'}")
            continue
        split = " | ".join(
            f"{k[:-2]} {r[k]:.2f}" for k in ("rollout_s", "logprob_s", "update_s") if k in r
        )
        mfu = "n/a" if r.get("mfu") is None else f"{r['mfu']:.3f}"
        ratio = f"  x{r['tokens_per_s'] / base:.2f} vs TRL" if base else ""
        print(
            f"{eng:<22}step {r['step_s']:.2f}s ({split or 'generate+train'})  "
            f"{r['tokens_per_s']:.0f} tok/s  MFU {mfu}{ratio}"
        )
    print(f"speedup_vs_trl        {result['speedup_vs_trl']}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
