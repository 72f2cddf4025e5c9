"""One test per property, parametrized over the whole transform registry and every severity."""

from __future__ import annotations

import json
from collections import Counter

import jsonschema
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentgym.errors import ToolError
from agentgym.perturb import (
    SEVERITIES,
    TARGETS,
    PerturbContext,
    ToolResponse,
    dump_recipe,
    parse_recipe,
    registry,
    replay,
)
from agentgym.perturb.base import ResponseTransform, ToolsTransform
from agentgym.perturb.text import NAME_RE
from agentgym.types import PerturbationRecord, ToolCall, ToolSpec
from tests.perturb.fixtures import OUTPUTS, SYSTEM, TOOLS, USER

NAMES = sorted(registry)
CASES = [(n, s) for n in NAMES for s in SEVERITIES]


def context() -> PerturbContext:
    return PerturbContext(tools=list(TOOLS), system=SYSTEM, user=USER)


def run(name: str, severity: str, seed: int, ctx: PerturbContext | None = None):
    ctx = ctx or context()
    t = registry[name](severity=severity)
    records = t.sample(np.random.default_rng(seed), ctx)
    assert len(records) == 1
    return t, records[0], ctx


def surface_output(t, rec, ctx: PerturbContext):
    """What the transform produced, as comparable JSON (tool responses over every sample)."""
    if t.target == "tool_response":
        return [
            t.apply(ToolResponse(text=o, tool_name="bash", call_index=i), rec.params).text
            for i, o in enumerate(OUTPUTS)
        ]
    obj = ctx.get(t.target)
    if t.target == "tools":
        return [x.model_dump() for x in obj]
    if t.target in ("chat_format", "scaffold"):
        return obj.model_dump()
    return obj


def test_registry_covers_every_surface_with_40_plus_transforms():
    counts = Counter(c.target for c in registry.values())
    assert len(registry) >= 40
    assert set(counts) == set(TARGETS)
    for cls in registry.values():
        assert cls.semantics in ("preserving", "adversarial")
        assert set(cls.levels) == set(SEVERITIES)
        assert set(cls.severity_doc) == set(SEVERITIES), cls.name
        assert cls.doc, cls.name


@pytest.mark.parametrize(("name", "severity"), CASES)
def test_same_seed_same_output(name, severity):
    t1, r1, c1 = run(name, severity, 7)
    t2, r2, c2 = run(name, severity, 7)
    assert json.dumps(r1.model_dump(), sort_keys=True) == json.dumps(
        r2.model_dump(), sort_keys=True
    )
    assert json.dumps(surface_output(t1, r1, c1)) == json.dumps(surface_output(t2, r2, c2))


@pytest.mark.parametrize(("name", "severity"), CASES)
def test_record_is_json_and_replays(name, severity):
    t, rec, ctx = run(name, severity, 11)
    assert rec.transform == name and rec.target == t.target
    back = PerturbationRecord.model_validate_json(rec.model_dump_json())
    assert back == rec
    fresh = context()
    if t.target == "tool_response":
        for i, o in enumerate(OUTPUTS):
            resp = ToolResponse(text=o, tool_name="bash", call_index=i)
            assert replay([back], resp).text == t.apply(resp, rec.params).text
    elif t.target in ("system", "user"):
        assert replay([back], fresh.get(t.target), target=t.target) == ctx.get(t.target)
    else:
        assert replay([back], fresh.get(t.target)) == ctx.get(t.target)


@pytest.mark.parametrize(("name", "severity"), CASES)
def test_yaml_round_trip(name, severity):
    t = registry[name](p=0.25, severity=severity)
    text = dump_recipe([t], name="one")
    again = parse_recipe(text)
    assert dump_recipe(again) == text
    assert again.transforms[0].to_dict() == t.to_dict()


def check_tools(tools: list[ToolSpec]) -> None:
    names = [t.name for t in tools]
    assert len(names) == len(set(names)), names
    for t in tools:
        assert NAME_RE.match(t.name), t.name
        jsonschema.Draft202012Validator.check_schema(t.parameters)
        for prop in t.parameters.get("properties", {}):
            assert NAME_RE.match(prop), prop


def sample_call(tool: ToolSpec, rng: np.random.Generator) -> ToolCall:
    args = {}
    required = set(tool.parameters.get("required") or [])
    for k, v in tool.parameters.get("properties", {}).items():
        if k in required or rng.random() < 0.5:
            args[k] = v["enum"][int(rng.integers(len(v["enum"])))] if "enum" in v else f"v-{k}"
    return ToolCall(id="call_1", name=tool.name, arguments=args)


TOOL_NAMES = [n for n in NAMES if registry[n].target == "tools"]


@pytest.mark.parametrize(("name", "severity"), [c for c in CASES if c[0] in TOOL_NAMES])
def test_tools_stay_valid_and_calls_map_back(name, severity):
    t, rec, ctx = run(name, severity, 3)
    check_tools(ctx.tools)
    assert isinstance(t, ToolsTransform)
    rng = np.random.default_rng(0)
    for tool in TOOLS:
        for _ in range(3):
            call = sample_call(tool, rng)
            forward = t.forward_call(call, rec.params)
            assert forward.name in {x.name for x in ctx.tools}
            assert t.invert_call(forward, rec.params) == call


@pytest.mark.parametrize(("name", "severity"), CASES)
def test_empty_inputs(name, severity):
    ctx = PerturbContext(tools=[], system="", user="")
    t, rec, ctx = run(name, severity, 5, ctx)
    check_tools(ctx.tools)
    if t.target == "tool_response":
        out = t.apply(ToolResponse(text=""), rec.params)
        if t.lossless and t.semantics == "preserving":
            assert t.restore(out, rec.params) == ""


# --- hypothesis: random tool sets and conversations ------------------------------------------

ident = st.from_regex(r"[a-z][a-z0-9]{0,7}(_[a-z0-9]{1,6}){0,2}", fullmatch=True)
prop_schema = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["string", "integer", "boolean"])}),
    st.fixed_dictionaries(
        {"type": st.just("string"), "enum": st.lists(ident, min_size=2, max_size=4, unique=True)}
    ),
    st.fixed_dictionaries({"type": st.just("string"), "description": st.text(max_size=40)}),
)


@st.composite
def tool_sets(draw):
    names = draw(st.lists(ident, min_size=1, max_size=6, unique=True))
    tools = []
    for n in names:
        props = draw(st.dictionaries(ident, prop_schema, max_size=5))
        req = [k for k in props if draw(st.booleans())]
        desc = draw(st.text(max_size=80))
        tools.append(
            ToolSpec(
                name=n,
                description=desc,
                parameters={"type": "object", "properties": props, "required": req},
            )
        )
    return tools


prose = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(tools=tool_sets(), system=prose, user=prose, output=prose, seed=st.integers(0, 2**32 - 1))
def test_random_inputs(name, tools, system, user, output, seed):
    cls = registry[name]
    severity = SEVERITIES[seed % 3]
    ctx = PerturbContext(tools=list(tools), system=system, user=user)
    t = cls(severity=severity)
    (rec,) = t.sample(np.random.default_rng(seed), ctx)
    json.dumps(rec.params)
    if cls.target == "tools":
        check_tools(ctx.tools)
        rng = np.random.default_rng(seed)
        for tool in tools:
            call = sample_call(tool, rng)
            assert t.invert_call(t.forward_call(call, rec.params), rec.params) == call
    elif cls.target in ("system", "user"):
        assert isinstance(ctx.get(cls.target), str)
    elif cls.target == "tool_response":
        assert isinstance(t, ResponseTransform)
        resp = ToolResponse(text=output, tool_name="bash", call_index=seed % 50)
        out = t.apply(resp, rec.params)
        assert isinstance(out.text, str)
        if cls.lossless and cls.semantics == "preserving" and "\x1b" not in output:
            restored = t.restore(out, rec.params)
            assert normalize(restored) == normalize(output)


def normalize(text: str):
    try:
        data = json.loads(text)
    except ValueError:
        return text
    return data if isinstance(data, dict | list) else text


def test_forward_then_map_back_across_a_whole_chain():
    from agentgym.perturb import EpisodePerturbation, Sequential

    chain = Sequential(
        [registry[n](severity="heavy") for n in TOOL_NAMES if registry[n].semantics == "preserving"]
    )
    for seed in range(20):
        ep = EpisodePerturbation.sample(chain, seed, tools=TOOLS)
        seen = ep.tools(TOOLS)
        check_tools(seen)
        rng = np.random.default_rng(seed)
        for tool in TOOLS:
            call = sample_call(tool, rng)
            fwd = ep.forward_call(call)
            assert fwd.name in {t.name for t in seen}
            try:
                assert ep.map_call(fwd) == call
            except ToolError as exc:  # pragma: no cover - shows the chain on failure
                raise AssertionError(ep.summary()) from exc
