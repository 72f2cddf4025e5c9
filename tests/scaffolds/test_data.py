"""`agentgym data perturb|rollout` under real scaffolds: exact conversion and text rendering."""

from __future__ import annotations

import json
import shutil

import pytest

from agentgym.chat import get_format
from agentgym.data.perturb import PerturbJob
from agentgym.data.rollout import collect, episode_rows, make_env
from agentgym.perturb.scaffold import ScaffoldSwap
from agentgym.policies.oracle import OraclePolicy
from agentgym.scaffolds import load_profile, profile_names
from agentgym.scaffolds.convert import ConversionError, split_bash_result, to_scaffold
from agentgym.scaffolds.runtime import ScaffoldRuntime
from agentgym.tools import default_tools
from agentgym.types import Message, ToolCall, Trajectory

TOOLS = [t.spec for t in default_tools()]


def trajectory(command: str = "ls pkg") -> Trajectory:
    return Trajectory(
        task_id="t",
        tools=TOOLS,
        chat_format="qwen3",
        messages=[
            Message(role="system", content="You are agentgym's default agent."),
            Message(role="user", content="Fix the bug in pkg/calc.py."),
            Message(
                role="assistant",
                content="Look first.",
                tool_calls=[ToolCall(id="c1", name="bash", arguments={"command": command})],
            ),
            Message(role="tool", content="calc.py\n[exit code: 0]", tool_call_id="c1", name="bash"),
            Message(
                role="assistant",
                content=None,
                tool_calls=[ToolCall(id="c2", name="submit", arguments={})],
            ),
            Message(role="tool", content="Submitted.", tool_call_id="c2", name="submit"),
        ],
    )


def test_split_bash_result():
    assert split_bash_result("a\nb\n[exit code: 2]") == ("a\nb\n", 2, False)
    assert split_bash_result("(no output)\n[exit code: 0]") == ("", 0, False)
    assert split_bash_result("x\n[timed out]\n[shell restarted]") == ("x", None, True)
    with pytest.raises(ConversionError):
        split_bash_result("no trailer")


@pytest.mark.parametrize("name", profile_names())
def test_conversion_per_profile(name):
    rt = ScaffoldRuntime(load_profile(name))
    msgs, tools = to_scaffold(trajectory().messages, TOOLS, rt)
    assert msgs[0].content == rt.system_prompt() and "Fix the bug" in (msgs[1].content or "")
    first = msgs[2]
    p = rt.profile
    if p.placement == "native":
        assert (
            tools == rt.shown
            and first.tool_calls
            and first.tool_calls[0].name == p.tool("shell").name
        )
        arg = first.tool_calls[0].arguments[p.tool("shell").args["command"]]
        assert arg == (["bash", "-lc", "ls pkg"] if name == "codex-cli" else "ls pkg")
        # the converted call is valid for the harness's schema
        shell = next(t for t in rt.tools if t.name == first.tool_calls[0].name)
        assert shell.validate(first.tool_calls[0].arguments) is None
    else:
        assert tools == [] and not first.tool_calls
        # the reply text parses back into the same shell call with the harness's own parser
        calls = rt.parse_text(first.content or "", rt.shown)
        assert calls[0].name == p.tool("shell").name and "ls pkg" in json.dumps(calls[0].arguments)
    result = msgs[3].content or ""
    assert "calc.py" in result and "[exit code" not in result
    if name == "openhands":
        assert "[Command finished with exit code 0]" in result
    if name.startswith("mini-swe-agent"):
        assert result.startswith("<returncode>0</returncode>")
    # the finish convention
    last = msgs[-1]
    if p.finish.style == "no_tool_call":
        assert last.role == "assistant" and not last.tool_calls and last.content
    elif p.finish.style == "marker":
        assert f"echo {p.finish.marker}" in (last.content or "")


def test_inexact_conversions_are_refused():
    rt = ScaffoldRuntime(load_profile("aider"))
    with pytest.raises(ConversionError, match="one-line"):
        to_scaffold(trajectory("cat <<'EOF' > x\nhi\nEOF").messages, TOOLS, rt)
    traj = trajectory()
    traj.messages[2] = traj.messages[2].model_copy(
        update={
            "tool_calls": [
                ToolCall(id="c1", name="editor", arguments={"command": "view", "path": "x"})
            ]
        }
    )
    with pytest.raises(ConversionError, match="only bash and submit"):
        to_scaffold(traj.messages, TOOLS, ScaffoldRuntime(load_profile("openhands")))


def test_perturb_job_renders_text_placement_without_native_tools():
    for profile in ("mini-swe-agent", "cline", "codex-cli"):
        job = PerturbJob(recipe=ScaffoldSwap(profiles=[profile]), variants=1)
        rows, errors = job.rows(0, trajectory())
        assert not errors and len(rows) == 1
        text = rows[0].text
        if load_profile(profile).placement == "text":
            assert rows[0].tools == [] and "<tools>" not in text and "<tool_response>" not in text
            assert all(m["role"] != "tool" for m in rows[0].messages)
        else:
            assert "<tools>" in text and '"name": "shell"' in text
        # the rendered text is exactly the chat template's rendering of the row's messages
        assert text == get_format("qwen3").render(rows[0].messages, rows[0].tools or None)


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap is not installed")
def test_rollout_rows_under_a_text_scaffold():
    core = make_env("agentgym/BugFix-v0", backend="local", max_turns=10)
    (ep,) = list(
        collect(
            core,
            OraclePolicy(run_tests=False),
            [ScaffoldSwap(profiles=["cline"])],
            1,
            task_ids=["toolz-get-in-index-error"],
        )
    )
    assert ep.error is None and ep.trajectory is not None and ep.trajectory.reward == 1.0
    (row,) = episode_rows(ep)
    assert row.tools == [] and "<replace_in_file>" in row.text and "<tool_response>" not in row.text
    assert "[replace_in_file for 'toolz/dicttoolz.py'] Result:" in row.text
