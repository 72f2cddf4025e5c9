"""EpisodePerturbation: sampled once, consistent every turn, calls mapped back, retries succeed."""

from __future__ import annotations

import pytest

from agentgym.errors import ToolArgumentError, UnknownToolError
from agentgym.perturb import Compose, EpisodePerturbation, registry
from agentgym.types import Observation, ToolCall
from tests.perturb.fixtures import OUTPUT_LISTING, SYSTEM, TOOLS, USER


def T(name, severity="heavy", p=1.0):
    return registry[name](p=p, severity=severity)


def sample(*transforms, seed=0):
    return EpisodePerturbation.sample(
        Compose(list(transforms)), seed, tools=TOOLS, system=SYSTEM, user=USER
    )


class FakeTools:
    """Executes calls against the real (unperturbed) tool names, counting runs."""

    def __init__(self):
        self.runs: list[ToolCall] = []

    def __call__(self, call: ToolCall) -> Observation:
        assert call.name in {t.name for t in TOOLS}, call.name
        self.runs.append(call)
        return Observation(content=f"ran {call.name} {sorted(call.arguments.items())}")


def test_renamed_tool_runs_as_the_original():
    ep = sample(T("tool_rename_synonyms"), T("tool_arg_rename_synonyms"))
    seen = {t.name: t for t in ep.tools(TOOLS)}
    bash_like = ep.forward_call(ToolCall(name="bash", arguments={"command": "ls"}))
    assert bash_like.name in seen and bash_like.name != "bash"
    tools = FakeTools()
    obs = ep.call(bash_like, tools)
    assert not obs.is_error
    assert tools.runs[-1].name == "bash" and tools.runs[-1].arguments == {"command": "ls"}


def test_old_names_are_rejected_not_silently_run():
    ep = sample(T("tool_rename_synonyms"), T("tool_arg_rename_synonyms"))
    with pytest.raises(UnknownToolError, match="available tools"):
        ep.map_call(ToolCall(name="bash", arguments={"command": "ls"}))
    fwd = ep.forward_call(ToolCall(name="bash", arguments={"command": "ls"}))
    new_arg = next(iter(fwd.arguments))
    stale = fwd.model_copy(update={"arguments": {"command": "ls"}})
    if new_arg != "command":
        with pytest.raises(ToolArgumentError, match="has no argument 'command'"):
            ep.map_call(stale)
    tools = FakeTools()
    obs = ep.call(ToolCall(name="bash", arguments={"command": "ls"}), tools)
    assert obs.is_error and not tools.runs


def test_surfaces_are_consistent_every_turn():
    ep = sample(
        T("tool_rename_synonyms"), T("user_typos"), T("system_persona"), T("chat_switch_format")
    )
    assert ep.tools(TOOLS) == ep.tools(list(TOOLS))
    assert ep.user("second turn: please keep going with the change") == ep.user(
        "second turn: please keep going with the change"
    )
    assert ep.system(SYSTEM) == ep.system(SYSTEM)
    assert ep.chat_format("qwen3") == ep.chat_options().format


def test_replay_from_records_alone():
    recipe = Compose(
        [T(n, "medium") for n in sorted(registry) if registry[n].semantics == "preserving"]
    )
    ep = EpisodePerturbation.sample(recipe, 9, tools=TOOLS, system=SYSTEM, user=USER)
    again = EpisodePerturbation(
        [type(r).model_validate_json(r.model_dump_json()) for r in ep.records]
    )
    assert again.tools(TOOLS) == ep.tools(TOOLS)
    assert again.opening(SYSTEM, USER) == ep.opening(SYSTEM, USER)
    assert again.chat_options() == ep.chat_options()
    assert again.tool_response(OUTPUT_LISTING, "bash", 3) == ep.tool_response(
        OUTPUT_LISTING, "bash", 3
    )


def test_transient_error_then_retry_really_runs():
    ep = sample(T("response_transient_error"), seed=1)
    tools = FakeTools()
    failures = 0
    for i in range(40):
        call = ToolCall(name="bash", arguments={"command": f"echo {i}"})
        obs = ep.call(call, tools)
        if obs.is_error:
            failures += 1
            assert obs.metadata["perturbation"] == "transient_error"
            assert all(r.arguments != call.arguments for r in tools.runs)  # not executed
            retry = ep.call(call.model_copy(update={"id": "retry"}), tools)
            assert not retry.is_error
            assert tools.runs[-1].arguments == call.arguments
    assert failures > 0
    assert len(tools.runs) == 40


def test_transient_error_light_fails_at_most_once():
    ep = sample(T("response_transient_error", "light"), seed=2)
    errors = sum(
        ep.intercept(ToolCall(name="bash", arguments={"command": str(i)})) is not None
        for i in range(300)
    )
    assert errors == 1


def test_distractor_calls_get_canned_errors_and_run_nothing():
    ep = sample(T("tool_distractors"), T("tool_rename_synonyms"))
    names = {t.name for t in ep.tools(TOOLS)}
    distractor = ep.records[0].params["distractors"][0]
    renamed = ep.records[1].params["names"].get(distractor, distractor)
    assert renamed in names
    tools = FakeTools()
    obs = ep.call(ToolCall(name=renamed, arguments={}), tools)
    assert obs.is_error and obs.metadata["perturbation"] == "distractor_tool"
    assert not tools.runs


def test_split_and_merge_calls_reach_the_original_tool():
    for t in ("tool_split", "tool_merge"):
        ep = sample(T(t))
        call = ToolCall(name="str_replace_editor", arguments={"command": "view", "path": "/a.py"})
        fwd = ep.forward_call(call)
        assert fwd.name != call.name
        tools = FakeTools()
        assert not ep.call(fwd, tools).is_error
        assert tools.runs == [call]


def test_merge_rejects_missing_operation():
    ep = sample(T("tool_merge"))
    merged = ep.tools(TOOLS)[0].name
    with pytest.raises(ToolArgumentError, match="operation"):
        ep.map_call(ToolCall(name=merged, arguments={"command": "ls"}))


def test_move_to_user_keeps_all_text():
    ep = sample(T("system_move_to_user", "medium"))
    system, user = ep.opening(SYSTEM, USER)
    assert USER in user
    for line in SYSTEM.strip().split("\n"):
        if line.strip():
            assert line in system or line in user
    heavy = sample(T("system_move_to_user", "heavy"))
    s2, u2 = heavy.opening(SYSTEM, USER)
    assert s2 == "" and SYSTEM.strip().split("\n")[0] in u2


def test_tool_response_applies_in_call():
    ep = sample(T("response_wrapper", "medium"))
    obs = ep.call(ToolCall(name="bash", arguments={"command": "ls"}), FakeTools())
    assert obs.content.startswith("<")


def test_clean_is_identity():
    ep = EpisodePerturbation.clean()
    assert ep.tools(TOOLS) == TOOLS
    assert ep.opening(SYSTEM, USER) == (SYSTEM, USER)
    assert ep.tool_response("x", "bash", 0) == "x"
    call = ToolCall(name="bash", arguments={"command": "ls"})
    assert ep.intercept(call) is None and ep.map_call(call) == call
    assert ep.chat_format("qwen3") == "qwen3"


def test_chat_options_map_to_chat_render_options():
    ep = sample(T("chat_past_reasoning"), T("chat_tool_results"), T("chat_system_in_user", "light"))
    assert ep.chat_options().render_options() == {
        "reasoning": "drop",
        "tool_results": "user",
        "system": "fold",
    }


def test_prompts_and_descriptions_follow_renames():
    ep = sample(T("tool_rename_synonyms"), T("tool_arg_rename_synonyms", "heavy"), seed=4)
    names = ep.records[0].params["names"]
    system, user = ep.opening(SYSTEM, USER)
    assert f"`{names['bash']}`" in system and "`bash`" not in system
    assert f"`{names['submit']}`" in system
    assert "parse_date" in user  # the task's own identifiers are untouched
    editor = next(t for t in ep.tools(TOOLS) if t.name == names["str_replace_editor"])
    old_str_new = ep.records[1].params["args"][names["str_replace_editor"]]["old_str"]
    assert old_str_new in editor.description and "old_str" not in editor.description


def test_mentions_in_code_fences_are_untouched():
    from agentgym.perturb.text import rewrite_mentions

    text = "Use `search`.\n```python\nre.search(x)\n```\nthen search_files"
    out = rewrite_mentions(text, {"search": "grep", "search_files": "find_files"})
    assert out == "Use `grep`.\n```python\nre.search(x)\n```\nthen find_files"
