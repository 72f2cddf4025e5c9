"""Registry, options and the hf format."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer, models
from transformers import PreTrainedTokenizerFast

from agentgym.chat import get_format, list_formats
from agentgym.errors import ChatFormatError
from agentgym.types import Message, ToolSpec
from tests.chat.corpus import CASES, GOLDEN_DATE, TOOLS

NAMES = ["qwen2.5", "qwen3", "qwen3-coder", "llama3.1", "llama3.2", "mistral", "minimax-m2", "glm-4.6",
         "gpt-oss", "hermes3", "kimi-k2", "deepseek-v3.1", "hf"]  # fmt: skip


def test_names() -> None:
    assert list_formats() == NAMES
    with pytest.raises(ChatFormatError, match="unknown chat format"):
        get_format("nope")


@pytest.mark.parametrize("family", NAMES[:-1])
def test_metadata_and_options(family: str) -> None:
    fmt = get_format(family)
    assert {"reasoning", "tool_results", "system"} <= set(fmt.options)
    assert fmt.stop_strings and fmt.special_tokens
    with pytest.raises(ChatFormatError, match="unknown option"):
        fmt.render([{"role": "user", "content": "hi"}], bogus=1)


@pytest.mark.parametrize("family", NAMES[:-1])
def test_objects_and_dicts_render_the_same(family: str) -> None:
    fmt = get_format(family)
    case = CASES["tool_call_dict_args"]
    objs = [Message.model_validate(m) for m in case["messages"]]
    specs = [ToolSpec.model_validate(t) for t in TOOLS]
    assert fmt.render(objs, specs, True, date=GOLDEN_DATE) == fmt.render(
        case["messages"], TOOLS, True, date=GOLDEN_DATE
    )


def test_common_options() -> None:
    fmt = get_format("qwen3")
    case = CASES["reasoning_past_and_current"]
    base = fmt.render(case["messages"], TOOLS)
    assert "I should check git status" not in base
    assert "I should check git status" in fmt.render(case["messages"], TOOLS, reasoning="keep")
    dropped = fmt.render(case["messages"], TOOLS, reasoning="drop")
    assert "line 12" not in dropped and "Run the failing test" not in dropped
    as_user = fmt.render(case["messages"], TOOLS, tool_results="user")
    assert (
        "<tool_response>" not in as_user.split("</tools>")[1]
        and "[tool result call0005e]" in as_user
    )
    folded = fmt.render(case["messages"], None, system="fold")
    assert "<|im_start|>system" not in folded
    assert f"<|im_start|>user\n{case['messages'][0]['content']}\n\nIs the repo clean?" in folded


def test_hf_format_uses_the_tokenizers_template() -> None:
    tok = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel({"<unk>": 0}, unk_token="<unk>"))
    )
    tok.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    tok.eos_token = "<|im_end|>"
    fmt = get_format("hf", tokenizer=tok)
    text = fmt.render([{"role": "user", "content": "hi"}], add_generation_prompt=True)
    assert text == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    msg = fmt.parse(
        '<tool_call>\n{"name": "bash", "arguments": {"command": "ls"}}\n</tool_call><|im_end|>'
    )
    assert msg.tool_calls[0].name == "bash"
    with pytest.raises(ChatFormatError):
        get_format("hf")


def test_revisions_are_selectable_and_bare_names_are_the_latest() -> None:
    from agentgym.chat import format_revisions, resolve_format

    assert format_revisions("kimi-k2") == ["kimi-k2@2025-07", "kimi-k2@2025-08", "kimi-k2@2025-09"]
    assert format_revisions("qwen3-coder") == ["qwen3-coder@2025-07", "qwen3-coder@2025-08"]
    assert resolve_format("kimi-k2") == "kimi-k2@2025-09"
    assert get_format("kimi-k2@2025-07").full_name() == "kimi-k2@2025-07"
    assert get_format("qwen3-coder").full_name() == "qwen3-coder@2025-08"
    every = list_formats(revisions=True)
    assert all("@" in n for n in every) and len(every) == 15
    for cls_name in every:
        fmt = get_format(cls_name)
        assert fmt.revision and fmt.source and fmt.reference
    with pytest.raises(
        ChatFormatError, match="has no revision '1999-01'; revisions: 2025-07, 2025-08, 2025-09"
    ):
        get_format("kimi-k2@1999-01")
    with pytest.raises(ChatFormatError, match="unknown chat format"):
        get_format("nope@2025-01")
