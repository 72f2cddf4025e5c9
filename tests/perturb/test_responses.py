"""Preserving tool-response transforms keep all information; truncation says what it cut."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from agentgym.perturb import PerturbContext, ToolResponse, registry
from agentgym.perturb.responses import strip_ansi
from tests.perturb.fixtures import OUTPUT_JSON, OUTPUT_LISTING, OUTPUT_LONG, OUTPUTS

PRESERVING = sorted(
    n
    for n, c in registry.items()
    if c.target == "tool_response" and c.semantics == "preserving" and c.lossless
)
SEVERITIES = ("light", "medium", "heavy")


def params_for(name: str, severity: str, seed: int = 0) -> dict:
    (rec,) = registry[name](severity=severity).sample(np.random.default_rng(seed), PerturbContext())
    return rec.params


def norm(text: str):
    try:
        data = json.loads(text)
    except ValueError:
        return text
    return data if isinstance(data, dict | list) else text


@pytest.mark.parametrize("name", PRESERVING)
@pytest.mark.parametrize("severity", SEVERITIES)
def test_lossless_transforms_restore_exactly(name, severity):
    t = registry[name]()
    for seed in range(5):
        params = params_for(name, severity, seed)
        for i, text in enumerate(OUTPUTS):
            resp = ToolResponse(text=text, tool_name="bash", call_index=i)
            out = t.apply(resp, params)
            assert norm(t.restore(out, params)) == norm(text)


LINE_KEEPING = [
    "response_reorder_lines",
    "response_noise_lines",
    "response_latency_note",
    "response_wrapper",
    "response_ansi_colors",
]


@pytest.mark.parametrize("name", LINE_KEEPING)
def test_every_original_line_still_present(name):
    t = registry[name]()
    params = params_for(name, "heavy")
    for i, text in enumerate(OUTPUTS):
        out = strip_ansi(t.apply(ToolResponse(text=text, call_index=i), params).text)
        out_lines = out.split("\n")
        for line in text.split("\n"):
            assert line in out_lines or line in out


def test_reorder_lines_only_moves_listing_lines():
    t = registry["response_reorder_lines"]()
    params = params_for("response_reorder_lines", "heavy")
    out = t.apply(ToolResponse(text=OUTPUT_LISTING), params).text
    assert sorted(out.split("\n")) == sorted(OUTPUT_LISTING.split("\n"))
    # the command line, the blank line and the summary stay where they were
    assert out.split("\n")[0] == "$ grep -rn parse_date ."
    assert out.split("\n")[-2:] == ["", "5 matches"]


@pytest.mark.parametrize("severity", SEVERITIES)
def test_truncation_notice_states_the_count(severity):
    t = registry["response_truncate"]()
    params = params_for("response_truncate", severity)
    lines = OUTPUT_LONG.split("\n")
    out = t.apply(ToolResponse(text=OUTPUT_LONG), params).text
    m = re.search(
        r"\[\.\.\. (\d+) lines truncated \((\d+) first and (\d+) last of (\d+) shown\) \.\.\.\]",
        out,
    )
    if len(lines) <= params["max_lines"]:
        assert m is None and out == OUTPUT_LONG
        return
    assert m, out[:500]
    cut, head, tail, total = map(int, m.groups())
    assert total == len(lines) and cut + head + tail == total
    kept = out.split("\n")
    assert kept[:head] == lines[:head]
    assert kept[-tail:] == lines[-tail:]


def test_truncation_by_characters_states_the_count():
    t = registry["response_truncate"]()
    params = params_for("response_truncate", "heavy")
    text = "x" * 10_000
    out = t.apply(ToolResponse(text=text), params).text
    m = re.search(r"\[\.\.\. (\d+) characters truncated \.\.\.\]", out)
    assert m
    head, _, tail = out.partition(m.group(0))
    assert len(head.rstrip("\n")) + len(tail.lstrip("\n")) + int(m.group(1)) == len(text)


def test_short_outputs_are_not_truncated():
    t = registry["response_truncate"]()
    for severity in SEVERITIES:
        params = params_for("response_truncate", severity)
        assert t.apply(ToolResponse(text="ok\n1 passed"), params).text == "ok\n1 passed"


def test_json_becomes_yaml_and_table():
    t = registry["response_json_to_text"]()
    medium = t.apply(
        ToolResponse(text=OUTPUT_JSON), params_for("response_json_to_text", "medium")
    ).text
    assert "path: a.py" in medium
    rows = '[{"name": "a", "n": 1}, {"name": "b|c", "n": 2}]'
    heavy_params = params_for("response_json_to_text", "heavy")
    table = t.apply(ToolResponse(text=rows), heavy_params).text
    assert '| "b\\|c" | 2 |' in table
    assert json.loads(t.restore(ToolResponse(text=table), heavy_params)) == json.loads(rows)


def test_per_response_randomness_depends_on_call_index_not_order():
    t = registry["response_noise_lines"]()
    params = params_for("response_noise_lines", "heavy")
    a = t.apply(ToolResponse(text=OUTPUT_LISTING, call_index=3), params).text
    t.apply(ToolResponse(text="other", call_index=4), params)
    b = t.apply(ToolResponse(text=OUTPUT_LISTING, call_index=3), params).text
    assert a == b
    variants = {
        t.apply(ToolResponse(text=OUTPUT_LISTING, call_index=i), params).text for i in range(20)
    }
    assert len(variants) > 1


def test_adversarial_transforms_add_known_content():
    t = registry["response_prompt_injection"]()
    params = params_for("response_prompt_injection", "heavy")
    out = t.apply(ToolResponse(text="ok"), params).text
    from agentgym.perturb.banks import bank

    assert any(inj in out for inj in bank("responses")["injections"])
