"""Per-turn cost of token-in/token-out appends vs re-rendering with apply_chat_template.

For a 200-turn coding trajectory and every chat family, measure:
- incremental: ``Tokenized.append`` of each new (assistant, tool) pair, as a rollout does;
- baseline: the usual way, ``tokenizer.apply_chat_template(all messages, tokenize=True)``
  every turn. The baseline uses the publisher's template (latest revision) from
  ``--templates DIR`` (default ``$REF_TEMPLATES``, else /tmp/ref_templates; file names as in
  tests/chat/golden/make_golden.py) when the file is there, else our own ``render`` of the
  whole conversation + encode (recorded as ``baseline_kind``).
Also parse throughput (completions/s). Prints a table, writes benchmarks/results/chat_render.json.

    python benchmarks/chat_render.py [--turns 200] [--templates DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentgym.chat import get_format, list_formats, resolve_format, tokenize  # noqa: E402
from agentgym.chat.tokenize import encode  # noqa: E402
from tests.chat.corpus import GOLDEN_DATE, TOOLS  # noqa: E402


def template_file(family: str) -> str:
    """The file name of the latest revision's publisher template (make_golden.py's SOURCES)."""
    from tests.chat.golden.make_golden import SOURCES

    return SOURCES[resolve_format(family)].file


def make_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = sorted(
        {t for f in list_formats() if f != "hf" for t in get_format(f).special_tokens}
    )
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=2000,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    text = [json.dumps(TOOLS)] + [
        f"cat src/module_{i}.py\ndef f{i}(x):\n    return x + {i}\n" for i in range(300)
    ]
    tok.train_from_iterator(text, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok)


def trajectory(family: str, turns: int) -> list[dict]:
    msgs: list[dict] = [
        {"role": "system", "content": "You are a coding agent. Fix the failing test."},
        {"role": "user", "content": "tests/test_parse.py::test_keys fails with KeyError. Fix it."},
    ]
    for n in range(turns):
        cid = f"functions.bash:{n}" if family == "kimi-k2" else f"c{n:08d}"
        msgs.append({
            "role": "assistant", "content": "", "reasoning_content": f"Next I inspect module {n}.",
            "tool_calls": [{"id": cid, "type": "function",
                            "function": {"name": "bash", "arguments": {"command": f"cat src/module_{n}.py"}}}],
        })  # fmt: skip
        msgs.append(
            {
                "role": "tool",
                "tool_call_id": cid,
                "content": f"def f{n}(x):\n    return x + {n}\n" * 3,
            }
        )
    return msgs


def bench_family(family: str, hf_tok, turns: int, ref: Path) -> dict:
    fmt = get_format(family)
    msgs = trajectory(family, turns)
    template_path = ref / template_file(family)
    kind = (
        "apply_chat_template(publisher template)"
        if template_path.exists()
        else "full render + encode (ours)"
    )
    if template_path.exists():
        hf_tok.chat_template = template_path.read_text()
        hf_tok.bos_token, hf_tok.eos_token = fmt.bos_token or None, fmt.eos_token or None

    # incremental: prompt once, then one append per (assistant, tool) pair
    t0 = time.perf_counter()
    tok = tokenize(fmt, hf_tok, msgs[:2], TOOLS, add_generation_prompt=True, date=GOLDEN_DATE)
    inc_times = []
    for k in range(2, len(msgs), 2):
        s = time.perf_counter()
        tok.append(msgs[k : k + 2])
        inc_times.append(time.perf_counter() - s)
    inc_total = time.perf_counter() - t0

    base_msgs = json.loads(json.dumps(msgs))
    if family == "deepseek-v3.1":  # its template concatenates arguments as a string
        for m in base_msgs:
            for tc in m.get("tool_calls", []):
                tc["function"]["arguments"] = json.dumps(tc["function"]["arguments"])
    base_times = []
    for k in range(2, len(msgs), 2):
        s = time.perf_counter()
        if template_path.exists():
            kwargs = (
                {"date_string": GOLDEN_DATE.strftime("%d %b %Y")} if family == "llama3.1" else {}
            )
            hf_tok.apply_chat_template(
                base_msgs[: k + 2], tools=TOOLS, add_generation_prompt=True, tokenize=True, **kwargs
            )
        else:
            encode(hf_tok, fmt.render(msgs[: k + 2], TOOLS, True, date=GOLDEN_DATE))
        base_times.append(time.perf_counter() - s)

    last = slice(-10, None)  # per-turn cost around turn 200
    inc_last = sum(inc_times[last]) / len(inc_times[last])
    base_last = sum(base_times[last]) / len(base_times[last])

    completions = [fmt.render_completion(m) for m in msgs[2::2][:50]]
    s = time.perf_counter()
    reps = 0
    while time.perf_counter() - s < 0.3:
        for c in completions:
            fmt.parse(c, tools=TOOLS)
        reps += 1
    parse_rate = reps * len(completions) / (time.perf_counter() - s)
    return {
        "turns": turns,
        "tokens": len(tok.ids),
        "baseline_kind": kind,
        "incremental_ms_per_turn_mean": 1000 * sum(inc_times) / len(inc_times),
        "baseline_ms_per_turn_mean": 1000 * sum(base_times) / len(base_times),
        "incremental_ms_per_turn_at_200": 1000 * inc_last,
        "baseline_ms_per_turn_at_200": 1000 * base_last,
        "speedup_at_200_turns": base_last / inc_last,
        "incremental_total_s": inc_total,
        "baseline_total_s": sum(base_times),
        "parse_completions_per_s": parse_rate,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=200)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/chat_render.json")
    ap.add_argument(
        "--templates",
        type=Path,
        default=Path(os.environ.get("REF_TEMPLATES", "/tmp/ref_templates")),
        help="folder with the publishers' template texts (see make_golden.py)",
    )
    args = ap.parse_args()
    ref = args.templates
    hf_tok = make_tokenizer()
    results = {}
    print(
        f"{'family':14s} {'incr ms/turn@200':>17s} {'base ms/turn@200':>17s} {'speedup':>8s} {'parse/s':>9s}  baseline"
    )
    for family in [f for f in list_formats() if f != "hf"]:
        r = bench_family(family, hf_tok, args.turns, ref)
        results[family] = r
        print(
            f"{family:14s} {r['incremental_ms_per_turn_at_200']:17.3f} {r['baseline_ms_per_turn_at_200']:17.3f} "
            f"{r['speedup_at_200_turns']:7.1f}x {r['parse_completions_per_s']:9.0f}  {r['baseline_kind']}"
        )
    speedups = sorted(r["speedup_at_200_turns"] for r in results.values())
    summary = {
        "min_speedup_at_200_turns": speedups[0],
        "median_speedup_at_200_turns": speedups[len(speedups) // 2],
    }
    print(
        f"speedup at 200 turns: min {speedups[0]:.1f}x, median {summary['median_speedup_at_200_turns']:.1f}x"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"families": results, "summary": summary}, indent=1) + "\n")


if __name__ == "__main__":
    main()
