"""Produce the golden renderings in this folder from the publishers' chat templates.

Not run by the tests. How the committed JSON files were made (once, by hand):

1. Copy each reference model's ``chat_template`` (from its ``tokenizer_config.json`` or
   ``chat_template.jinja``; we read the copies vendored under ``models/templates/`` in
   llama.cpp forks) to ``$REF_TEMPLATES/<file>.jinja``. The template files themselves are
   third-party and are NOT committed.
2. ``REF_TEMPLATES=/tmp/ref_templates python tests/chat/golden/make_golden.py [FAMILY ...]``
   (no family names: every family; otherwise only the named ones are rewritten).

Every case of ``tests/chat/corpus.py`` goes through transformers' ``apply_chat_template``
on a tiny tokenizer that carries the template and the family's bos/eos tokens. If the
template fails on the raw OpenAI-shaped data for a reason other than ``raise_exception``
(e.g. ``content: null`` concatenated to a string, dict arguments where a string is
expected), the case is retried once with ``content: null`` -> ``""`` and arguments as JSON
strings, and the record says ``"variant": "normalized"``. A template that raises on
purpose is recorded as ``{"error": ...}``: our renderer must raise ``ChatFormatError``.

Some publishers ship a tokenizer class (``trust_remote_code``) whose ``apply_chat_template``
rewrites the tools before its template sees them; ``TOOLS_HOOKS`` repeats that step so the
golden text is what ``AutoTokenizer.from_pretrained(model, trust_remote_code=True)`` renders.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from tokenizers import Tokenizer, models
from transformers import PreTrainedTokenizerFast
from transformers.utils import chat_template_utils

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus import CASES, GOLDEN_DATE

# family -> (template file, bos, eos, extra template kwargs)
FAMILIES = {
    "qwen2.5": ("qwen25.jinja", None, "<|im_end|>", {}),
    "qwen3": ("qwen3.jinja", None, "<|im_end|>", {}),
    "qwen3-coder": ("qwen3coder.jinja", None, "<|im_end|>", {}),
    "llama3.1": (
        "llama31.jinja",
        "<|begin_of_text|>",
        "<|eot_id|>",
        {"date_string": GOLDEN_DATE.strftime("%d %b %Y")},
    ),
    "llama3.2": ("llama32.jinja", "<|begin_of_text|>", "<|eot_id|>", {"date": True}),
    "mistral": ("mistral_nemo.jinja", "<s>", "</s>", {}),
    "minimax-m2": ("minimax.jinja", None, "[e~[", {}),
    "glm-4.6": ("glm46.jinja", None, "<|endoftext|>", {}),
    "gpt-oss": ("gptoss.jinja", None, "<|return|>", {"date": True}),
    "hermes3": ("hermes3.jinja", "<|begin_of_text|>", "<|im_end|>", {}),
    "kimi-k2": ("kimi.jinja", None, "<|im_end|>", {}),
    "deepseek-v3.1": ("deepseek31.jinja", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", {}),
}
# Hermes 3 ships two templates; without tools transformers picks the plain ChatML one.
HERMES3_DEFAULT = "hermes3_default.jinja"


def _sort_keys_deep(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _sort_keys_deep(v) for k, v in sorted(obj.items())}
    if isinstance(obj, list):
        return [_sort_keys_deep(v) for v in obj]
    return obj


# family -> what the publisher's tokenizer class does to ``tools`` before the template runs.
# Kimi K2's ``TikTokenTokenizer.apply_chat_template`` (tokenization_kimi.py) sorts every
# mapping in the tools by key, recursively.
TOOLS_HOOKS: dict[str, Callable[[Any], Any]] = {"kimi-k2": _sort_keys_deep}


def _normalize(messages: list[dict], args_as: str) -> list[dict]:
    out = copy.deepcopy(messages)
    for m in out:
        if m.get("content") is None:
            m["content"] = ""
        for tc in m.get("tool_calls") or []:
            args = tc["function"]["arguments"]
            if args_as == "dict" and isinstance(args, str):
                tc["function"]["arguments"] = json.loads(args)
            elif args_as == "json" and not isinstance(args, str):
                tc["function"]["arguments"] = json.dumps(args, ensure_ascii=False)
    return out


class _FixedDatetime(datetime.datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return cls.combine(GOLDEN_DATE, datetime.time(12, 0))


def _tokenizer(template: str, bos: str | None, eos: str | None) -> PreTrainedTokenizerFast:
    vocab = {"<unk>": 0}
    for tok in (bos, eos):
        if tok:
            vocab[tok] = len(vocab)
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    hf = PreTrainedTokenizerFast(
        tokenizer_object=tk, bos_token=bos, eos_token=eos, unk_token="<unk>"
    )
    hf.chat_template = template
    return hf


def render_case(family: str, case: dict, ref: Path) -> dict:
    fname, bos, eos, extra = FAMILIES[family]
    if family == "hermes3" and not case["tools"]:
        fname = HERMES3_DEFAULT
    tok = _tokenizer((ref / fname).read_text(), bos, eos)
    kwargs = dict(extra)
    kwargs.pop("date", None)  # strftime_now() reads the patched clock below

    tools = case["tools"]
    if tools and family in TOOLS_HOOKS:
        tools = TOOLS_HOOKS[family](copy.deepcopy(tools))

    def run(messages: list[dict]) -> str:
        return tok.apply_chat_template(
            messages,
            tools=tools,
            add_generation_prompt=case["add_generation_prompt"],
            tokenize=False,
            **kwargs,
        )

    first: Exception | None = None
    variants = [
        ("raw", copy.deepcopy(case["messages"])),
        (
            "normalized: content null -> '', arguments as dicts",
            _normalize(case["messages"], "dict"),
        ),
        (
            "normalized: content null -> '', arguments as JSON strings",
            _normalize(case["messages"], "json"),
        ),
    ]
    for variant, messages in variants:
        try:
            return {"text": run(messages), "variant": variant}
        except jinja2.TemplateError as exc:
            if type(exc) is jinja2.TemplateError:  # raise_exception() in the template
                return {"error": str(exc)}
            first = first or exc
        except Exception as exc:
            first = first or exc
    return {"error": f"{type(first).__name__}: {first}"}


def main() -> None:
    ref = Path(os.environ.get("REF_TEMPLATES", "/tmp/ref_templates"))
    chat_template_utils.datetime = _FixedDatetime  # fixed "today" for strftime_now()
    out_dir = Path(__file__).resolve().parent
    wanted = sys.argv[1:] or list(FAMILIES)
    unknown = [f for f in wanted if f not in FAMILIES]
    if unknown:
        sys.exit(f"unknown families: {', '.join(unknown)} (known: {', '.join(FAMILIES)})")
    for family in wanted:
        records = {name: render_case(family, case, ref) for name, case in CASES.items()}
        path = out_dir / f"{family}.json"
        path.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
        errors = sum("error" in r for r in records.values())
        print(f"{family:14s} {len(records)} cases, {errors} template errors -> {path.name}")


if __name__ == "__main__":
    main()
