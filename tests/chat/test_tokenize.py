"""Token-in/token-out: masks align with rendered assistant spans; incremental == full."""

from __future__ import annotations

import pytest

from agentgym.chat import get_format, list_formats, tokenize
from agentgym.chat.tokenize import encode
from agentgym.errors import ChatFormatError
from tests.chat.corpus import CASES, GOLDEN_DATE, TOOLS

FAMILIES = [f for f in list_formats() if f != "hf"]


def _call_id(family: str, name: str, n: int) -> str:
    return f"functions.{name}:{n}" if family == "kimi-k2" else f"call{n:04d}z"


def trajectory(family: str, turns: int = 3) -> list[dict]:
    """system + user, then turns of (assistant with reasoning + one call, tool result)."""
    msgs: list[dict] = [
        {"role": "system", "content": "You fix bugs."},
        {"role": "user", "content": "Fix test_parse."},
    ]
    for n in range(turns):
        cid = _call_id(family, "bash", n)
        msgs.append(
            {
                "role": "assistant",
                "content": "",
                "reasoning_content": f"Step {n}: look at the output.",
                "tool_calls": [
                    {
                        "id": cid,
                        "type": "function",
                        "function": {"name": "bash", "arguments": {"command": f"ls {n}"}},
                    }
                ],
            }
        )
        msgs.append({"role": "tool", "tool_call_id": cid, "content": f"file_{n}.py"})
    return msgs


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(
    "case_name", ["tool_call_dict_args", "reasoning_past_and_current", "assistant_final_training"]
)
def test_mask_covers_exactly_the_rendered_assistant_spans(
    family: str, case_name: str, tokenizer
) -> None:
    fmt = get_format(family)
    case = CASES[case_name]
    try:
        segs = fmt.render_segments(
            case["messages"], case["tools"], case["add_generation_prompt"], date=GOLDEN_DATE
        )
    except ChatFormatError:
        pytest.skip("the publisher's template rejects this conversation")
    tok = tokenize(
        fmt,
        tokenizer,
        case["messages"],
        case["tools"],
        case["add_generation_prompt"],
        date=GOLDEN_DATE,
    )
    rendered = fmt.render(
        case["messages"], case["tools"], case["add_generation_prompt"], date=GOLDEN_DATE
    )
    assert "".join(s.text for s in segs) == rendered
    assert len(tok.ids) == len(tok.assistant_mask)
    masked = [i for i, m in zip(tok.ids, tok.assistant_mask, strict=True) if m]
    expected = "".join(s.text for s in segs if s.part == "body")
    assert tokenizer.decode(masked, skip_special_tokens=False) == expected
    assert tokenizer.decode(tok.ids, skip_special_tokens=False) == tokenizer.decode(
        encode(tokenizer, rendered), skip_special_tokens=False
    )
    if fmt.end_of_turn:  # every assistant span ends with its end-of-turn token (it is trained)
        ends = (fmt.end_of_turn, *fmt.stop_strings, "<|end|>")
        assert all(s.text.endswith(ends) for s in segs if s.part == "body")


@pytest.mark.parametrize("family", FAMILIES)
def test_incremental_equals_full_when_prefix_stable(family: str, tokenizer) -> None:
    fmt = get_format(family)
    msgs = trajectory(family)
    full = tokenize(fmt, tokenizer, msgs, TOOLS, add_generation_prompt=True)
    inc = tokenize(fmt, tokenizer, msgs[:2], TOOLS, add_generation_prompt=True)
    for k in range(2, len(msgs), 2):
        inc.append(msgs[k : k + 2])
    whole = fmt.render(msgs, TOOLS, True)
    if not all(whole.startswith(fmt.render(msgs[:k], TOOLS, True)) for k in range(2, len(msgs), 2)):
        pytest.skip(f"{family} re-renders earlier turns differently once later turns exist")
    assert inc.ids == full.ids
    assert inc.assistant_mask == full.assistant_mask
    assert inc.messages == full.messages


@pytest.mark.parametrize("family", FAMILIES)
def test_generated_ids_are_kept_verbatim(family: str, tokenizer) -> None:
    fmt = get_format(family)
    msgs = trajectory(family, turns=1)
    tok = tokenize(fmt, tokenizer, msgs[:2], TOOLS, add_generation_prompt=True)
    n_prompt = len(tok.ids)
    # a policy may tokenize its output differently from our encoder: ids must not be touched
    generated = encode(tokenizer, fmt.render_completion(msgs[2]))[::-1]
    tok.append(msgs[2:4], generated_ids=generated)
    assert tok.ids[n_prompt : n_prompt + len(generated)] == generated
    assert tok.assistant_mask[n_prompt : n_prompt + len(generated)] == [1] * len(generated)
    assert sum(tok.assistant_mask) == len(generated)  # tool result and prompt are not trained


def test_append_requires_the_assistant_turn_after_a_generation_prompt(tokenizer) -> None:
    fmt = get_format("qwen3")
    tok = tokenize(fmt, tokenizer, trajectory("qwen3")[:2], TOOLS, add_generation_prompt=True)
    with pytest.raises(ChatFormatError):
        tok.append([{"role": "user", "content": "hi"}])
