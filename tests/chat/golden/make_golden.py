"""Produce the golden renderings in this folder from the publishers' chat templates.

Not run by the tests. Usage::

    python tests/chat/golden/make_golden.py TEMPLATE_DIR [FORMAT ...]
    python tests/chat/golden/make_golden.py --compare TEMPLATE_DIR OTHER_DIR [FORMAT ...]

(The second form cross-checks two independent copies of the templates: it renders the corpus
with both and reports per format how many cases agree; nothing is written.)

``TEMPLATE_DIR`` holds the publishers' template texts under the file names of ``SOURCES``
(third-party text: it is NOT committed; ``SOURCES`` says where each was read, and every
golden file records the SHA-256 of the exact text used, so a rerun can tell whether it has
the same text). Without FORMAT names every format is rewritten; ``<format>.json`` is one
file per selectable format (``family@revision``).

Every case of ``tests/chat/corpus.py`` is rendered by transformers' own tokenizer-less
renderer, ``transformers.utils.chat_template_utils.render_jinja_template`` (what
``apply_chat_template`` calls: ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
its ``tojson``, ``raise_exception``, ``strftime_now`` with the clock fixed at
``corpus.GOLDEN_DATE``). If the template fails on the raw OpenAI-shaped data for a reason
other than ``raise_exception`` (``content: null`` concatenated to a string, dict arguments
where a string is expected, ...), the case is retried with ``content: null`` -> ``""``, then
also with the arguments as dicts, then as JSON strings; the record says which ``variant`` rendered and
keeps the raw failure as ``raw_error`` (agentgym renders such input the normalized way on
purpose; docs/chat-formats.md lists them). A template that raises on purpose (or fails on
every variant) is recorded as ``{"error": ...}``: agentgym must raise ``ChatFormatError``,
unless the template only rejects the raw spelling (string arguments, ``content: null``) and
renders the normalized data: then ``normalized_text`` holds that rendering, which agentgym
(which keeps arguments as dicts) must produce -- a deliberate, documented difference. Where
a template prints a ``content: null`` as the text ``None``, ``null_content_as_empty_text``
holds the rendering with ``""`` instead (agentgym's deliberate choice, also documented).

Hooks repeat what the publisher's own serving code does before its template runs:
``TOOLS_HOOKS`` (Kimi's tokenizer class sorts the tools' keys recursively) and ``ID_HOOKS``
(Kimi's API names every call ``functions.NAME:IDX``; the corpus' ids are rewritten that way,
tool results included, so the golden shows the ids the checkpoint was trained on).
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from transformers.utils import chat_template_utils

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus import CASES, GOLDEN_DATE

LLAMA_CPP = "llama.cpp models/templates/"


@dataclass(frozen=True)
class Source:
    file: str  # name of the template text in TEMPLATE_DIR
    read_from: str  # where that text was read
    bos: str | None = None
    eos: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    no_tools_file: str | None = None  # a second template, used when no tools are given


SOURCES: dict[str, Source] = {
    "qwen2.5@2024-09": Source(
        "qwen2.5.jinja",
        LLAMA_CPP + "Qwen-Qwen2.5-7B-Instruct.jinja (commit 8b576b6c, 2025-01-30)",
        eos="<|im_end|>",
    ),
    "qwen3@2025-04": Source(
        "qwen3.jinja",
        LLAMA_CPP + "Qwen-Qwen3-0.6B.jinja (commit e121edc4, 2025-05-26)",
        eos="<|im_end|>",
    ),
    "qwen3-coder@2025-07": Source(
        "qwen3-coder@2025-07.jinja",
        LLAMA_CPP + "Qwen3-Coder.jinja at commit c920daf3 (llama.cpp PR #15019, 2025-08-02)",
        eos="<|im_end|>",
    ),
    "qwen3-coder@2025-08": Source(
        "qwen3-coder@2025-08.jinja",
        LLAMA_CPP + "Qwen3-Coder.jinja at commit d1fe9434 (2025-09-18, synced with "
        "Qwen3-Coder-30B-A3B-Instruct's chat_template.jinja); the same text as vLLM's "
        "examples/tool_chat_template_qwen3coder.jinja",
        eos="<|im_end|>",
    ),
    "llama3.1@2024-07": Source(
        "llama3.1.jinja",
        LLAMA_CPP + "meta-llama-Llama-3.1-8B-Instruct.jinja (commit 8b576b6c); the same text "
        "as meta-llama-Llama-3.3-70B-Instruct.jinja",
        bos="<|begin_of_text|>",
        eos="<|eot_id|>",
        kwargs={"date_string": GOLDEN_DATE.strftime("%d %b %Y")},
    ),
    "llama3.2@2024-09": Source(
        "llama3.2.jinja",
        LLAMA_CPP + "meta-llama-Llama-3.2-3B-Instruct.jinja (commit 8b576b6c)",
        bos="<|begin_of_text|>",
        eos="<|eot_id|>",
    ),
    "mistral@2024-07": Source(
        "mistral.jinja",
        LLAMA_CPP + "mistralai-Mistral-Nemo-Instruct-2407.jinja (commit 8b576b6c)",
        bos="<s>",
        eos="</s>",
    ),
    "minimax-m2@2025-10": Source(
        "minimax-m2.jinja",
        LLAMA_CPP + "MiniMax-M2.jinja (commit 1920345c, 2025-11-18)",
        eos="[e~[",
    ),
    "glm-4.6@2025-09": Source(
        "glm-4.6.jinja",
        LLAMA_CPP + "GLM-4.6.jinja (commit 1920345c, 2025-11-18)",
        eos="<|endoftext|>",
    ),
    "gpt-oss@2025-08": Source(
        "gpt-oss.jinja",
        LLAMA_CPP + "openai-gpt-oss-120b.jinja (commit b204a5a2, 2025-08-14)",
        eos="<|return|>",
    ),
    "hermes3@2024-08": Source(
        "hermes3.jinja",
        LLAMA_CPP + "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja (commit 8b576b6c); the "
        "no-tools template (hermes3-default.jinja, tokenizer_config.json's 'default') as "
        "OpenPipe/ART quotes it for Hermes-3-Llama-3.1-8B (hermes3_old in "
        "src/art/local/tokenize.py, commit fc5ca1c), byte-identical to the GGUF template of "
        "ollama's hermes3:70b in huggingface.js packages/ollama-utils/src/"
        "chat-template-automap.ts (commit 0429cdc7)",
        bos="<|begin_of_text|>",
        eos="<|im_end|>",
        no_tools_file="hermes3-default.jinja",
    ),
    "kimi-k2@2025-07": Source(
        "kimi-k2@2025-07.jinja",
        LLAMA_CPP + "moonshotai-Kimi-K2.jinja at commit 4a4f4269 (llama.cpp PR #14654, 2025-07-15)",
        eos="<|im_end|>",
    ),
    "kimi-k2@2025-08": Source(
        "kimi-k2@2025-08.jinja",
        LLAMA_CPP + "Kimi-K2-Instruct.jinja at commit 1920345c with llama.cpp's id edits undone "
        "(call ids and tool_call_id printed as given, as upstream Kimi-K2-Thinking prints "
        "them: llama.cpp moonshotai-Kimi-K2-Thinking.jinja at 0c3c896e) and the tool "
        "declaration as tojson(separators=(',', ':'))",
        eos="<|im_end|>",
    ),
    "kimi-k2@2025-09": Source(
        "kimi-k2@2025-09.jinja",
        "Kimi-K2-Instruct-0905's chat_template.jinja as vendored by alibaba/rtp-llm in "
        "rtp_llm/test/model_test/fake_test/testdata/kimi_k2/tokenizer/chat_template.jinja at "
        "commit be512b94 (2025-09-09, 'support kimik2 new chat template'); every corpus case "
        "renders the same with the copy embedded in llama.cpp PR #18851's regression test "
        "(the template of unsloth's Kimi-K2-Instruct-0905 GGUF)",
        eos="<|im_end|>",
    ),
    "deepseek-v3.1@2025-08": Source(
        "deepseek-v3.1.jinja",
        LLAMA_CPP + "deepseek-ai-DeepSeek-V3.1.jinja at commit 88021565 (2025-09-08)",
        bos="<｜begin▁of▁sentence｜>",
        eos="<｜end▁of▁sentence｜>",
    ),
}


def _sort_keys_deep(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _sort_keys_deep(v) for k, v in sorted(obj.items())}
    if isinstance(obj, list):
        return [_sort_keys_deep(v) for v in obj]
    return obj


def _kimi_ids(messages: list[dict], per_message: bool) -> list[dict]:
    """Kimi's API ids: ``functions.NAME:IDX``, IDX counting the conversation's calls from 0
    (per assistant message for the July 2025 template, which numbers them that way itself)."""
    out = copy.deepcopy(messages)
    rename: dict[str, str] = {}
    counter = 0
    for m in out:
        if per_message:
            counter = 0
        for tc in m.get("tool_calls") or []:
            new = f"functions.{tc['function']['name']}:{counter}"
            counter += 1
            rename[tc["id"]] = new
            tc["id"] = new
        if m.get("tool_call_id") in rename:
            m["tool_call_id"] = rename[m["tool_call_id"]]
    return out


# Kimi K2's ``TikTokenTokenizer.apply_chat_template`` (tokenization_kimi.py) sorts every
# mapping in the tools by key, recursively, before the template sees them.
TOOLS_HOOKS: dict[str, Callable[[Any], Any]] = {"kimi-k2": _sort_keys_deep}
ID_HOOKS: dict[str, Callable[[list[dict]], list[dict]]] = {
    "kimi-k2@2025-07": lambda ms: _kimi_ids(ms, per_message=True),
    "kimi-k2@2025-08": lambda ms: _kimi_ids(ms, per_message=False),
    "kimi-k2@2025-09": lambda ms: _kimi_ids(ms, per_message=False),
}


def _normalize(messages: list[dict], args_as: str | None) -> list[dict]:
    out = copy.deepcopy(messages)
    for m in out:
        if m.get("content") is None:
            m["content"] = ""
        for tc in m.get("tool_calls") or [] if args_as else []:
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


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def render_case(name: str, case: dict, texts: dict[str, str]) -> dict:
    src = SOURCES[name]
    family = name.split("@")[0]
    template = texts[src.file]
    if src.no_tools_file and not case["tools"]:
        template = texts[src.no_tools_file]
    tools = copy.deepcopy(case["tools"])
    if tools and family in TOOLS_HOOKS:
        tools = TOOLS_HOOKS[family](tools)
    messages = copy.deepcopy(case["messages"])
    if name in ID_HOOKS:
        messages = ID_HOOKS[name](messages)

    def run(msgs: list[dict]) -> str:
        kwargs = dict(src.kwargs)
        if src.bos:
            kwargs["bos_token"] = src.bos
        if src.eos:
            kwargs["eos_token"] = src.eos
        rendered, _ = chat_template_utils.render_jinja_template(
            conversations=[msgs],
            tools=tools,
            chat_template=template,
            add_generation_prompt=case["add_generation_prompt"],
            **kwargs,
        )
        return rendered[0]

    raw_error: str | None = None
    variants = [
        ("raw", messages),
        ("normalized: content null -> ''", _normalize(messages, None)),
        ("normalized: content null -> '', arguments as dicts", _normalize(messages, "dict")),
        ("normalized: content null -> '', arguments as JSON strings", _normalize(messages, "json")),
    ]
    for variant, msgs in variants:
        try:
            text = run(msgs)
        except jinja2.TemplateError as exc:
            if type(exc) is jinja2.TemplateError:  # raise_exception() in the template
                out: dict[str, Any] = {"error": str(exc)}
                if variant == "raw":  # does it reject only the spelling (string arguments)?
                    try:
                        out["normalized_text"] = run(variants[2][1])
                    except Exception:
                        pass
                return out
            raw_error = raw_error or f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            raw_error = raw_error or f"{type(exc).__name__}: {str(exc)[:200]}"
        else:
            record: dict[str, Any] = {"text": text, "variant": variant}
            if raw_error:
                record["raw_error"] = raw_error
            if variant == "raw" and msgs != variants[1][1]:
                null_as_empty = run(variants[1][1])
                if null_as_empty != text:  # the template prints a null content as text
                    record["null_content_as_empty_text"] = null_as_empty
            return record
    return {"error": raw_error}


def compare(ref: Path, other: Path, wanted: list[str]) -> None:
    """Cross-check: render the corpus with the templates of two folders (two independent
    copies of the same publisher file) and report, per format, how many cases agree."""
    chat_template_utils.datetime = _FixedDatetime
    for name in wanted:
        src = SOURCES[name]
        files = [f for f in (src.file, src.no_tools_file) if f]
        if not all((other / f).exists() for f in files):
            continue
        a = {f: (ref / f).read_text() for f in files}
        b = {f: (other / f).read_text() for f in files}
        differ = [
            case for case, c in CASES.items() if render_case(name, c, a) != render_case(name, c, b)
        ]
        print(
            f"{name:22s} {len(CASES) - len(differ)}/{len(CASES)} cases render the same"
            + (f"; differ: {', '.join(differ)}" if differ else "")
        )


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit(__doc__)
    if argv[0] == "--compare":  # make_golden.py --compare DIR OTHER_DIR [FORMAT ...]
        compare(Path(argv[1]), Path(argv[2]), argv[3:] or list(SOURCES))
        return
    ref = Path(argv[0])
    wanted = argv[1:] or list(SOURCES)
    unknown = [f for f in wanted if f not in SOURCES]
    if unknown:
        sys.exit(f"unknown formats: {', '.join(unknown)} (known: {', '.join(SOURCES)})")
    chat_template_utils.datetime = _FixedDatetime  # fixed "today" for strftime_now()
    out_dir = Path(__file__).resolve().parent
    for name in wanted:
        src = SOURCES[name]
        files = [f for f in (src.file, src.no_tools_file) if f]
        texts = {f: (ref / f).read_text() for f in files}
        records = {case: render_case(name, c, texts) for case, c in CASES.items()}
        doc = {
            "source": {"read_from": src.read_from, "sha256": {f: _sha(texts[f]) for f in files}},
            "cases": records,
        }
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        errors = sum("error" in r for r in records.values())
        normalized = sum("raw_error" in r for r in records.values())
        print(
            f"{name:22s} {len(records)} cases, {errors} template errors, "
            f"{normalized} normalized -> {path.name}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
