"""Scaffolds inside the env: chat placement, harness feedback, finishing conventions, limits,
and composition with other transforms (local backend)."""

from __future__ import annotations

import shutil

import pytest

from agentgym.env import CodingEnv
from agentgym.perturb import load_recipe
from agentgym.perturb.env import PerturbedEnv
from agentgym.perturb.scaffold import ScaffoldSwap
from agentgym.policies.oracle import OraclePolicy
from agentgym.types import Message, ToolCall
from tests.scaffolds.episodes import BUGFIX, ROOT

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap is not installed")
TASK = "toolz-get-in-index-error"


def make(profile: str | None = None, recipe=None, max_turns: int = 8) -> PerturbedEnv:
    core = CodingEnv(BUGFIX, backend="local", max_turns=max_turns, render_prompt=True)
    return PerturbedEnv(core, recipe or [ScaffoldSwap(profiles=[profile])], seed=0)


def test_text_placement_declares_no_tools_and_shows_results_as_user_turns():
    env = make("mini-swe-agent")
    try:
        obs, info = env.reset(seed=1, options={"task_id": TASK})
        assert info["tools"] == [] and info["scaffold"] == "mini-swe-agent"
        assert "exactly ONE ```mswea_bash_command" in obs[0]["content"]
        assert "<pr_description>" in obs[1]["content"]
        assert "<tools>" not in info["prompt"]  # qwen3 would declare native tools here
        _, _, _, _, step = env.step("THOUGHT: look.\n\n```mswea_bash_command\necho hello\n```")
        assert "<|im_start|>user\n<returncode>0</returncode>" in step["prompt"]
        assert "<tool_response>" not in step["prompt"]
        traj = env.unwrapped.trajectory
        assert traj.tools == [] and traj.metadata["scaffold"]["placement"] == "text"
    finally:
        env.close()


def test_format_errors_answer_in_the_harness_wording():
    env = make("mini-swe-agent")
    try:
        env.reset(seed=1, options={"task_id": TASK})
        two = "```mswea_bash_command\nls\n```\n```mswea_bash_command\npwd\n```"
        obs, _, term, trunc, step = env.step(two)
        assert "parse_error" in step and not (term or trunc)
        assert obs[-1]["role"] == "user"
        assert obs[-1]["content"].startswith(
            "Please always provide EXACTLY ONE action in triple backticks, found 2 actions."
        )
        obs, *_ = env.step(Message(role="assistant", content="no action here"))
        assert "found 0 actions" in obs[-1]["content"]
    finally:
        env.close()
    env = make("cline")
    try:
        env.reset(seed=1, options={"task_id": TASK})
        obs, *_ = env.step("I will just talk.")
        assert obs[-1]["content"].startswith(
            "[ERROR] You did not use a tool in your previous response!"
        )
        obs, *_ = env.step("<execute_command>\n<command>echo hi</command>\n</execute_command>")
        assert "Missing value for required parameter 'requires_approval'" in obs[-1]["content"]
    finally:
        env.close()


def test_native_no_tool_call_conventions_and_turn_limit():
    env = make("openhands", max_turns=2)
    try:
        env.reset(seed=1, options={"task_id": TASK})
        obs, _, term, trunc, _ = env.step(Message(role="assistant", content="What should I do?"))
        assert not (term or trunc)
        assert obs[-1]["content"].startswith("Please continue working on the task")
        obs, _, term, trunc, step = env.step(Message(role="assistant", content="Still thinking."))
        assert trunc and step["truncated_by"] == "max_turns=2"
        assert obs[-1]["content"].startswith("RuntimeError: Agent reached maximum iteration.")
    finally:
        env.close()
    env = make("codex-cli")
    try:
        env.reset(seed=1, options={"task_id": TASK})
        _, reward, term, _, step = env.step(Message(role="assistant", content="Nothing to do."))
        assert term and step["finished_by"] == "no_tool_call" and reward == 0.0
    finally:
        env.close()


def test_same_seed_same_scaffold_and_restore_between_episodes():
    recipe = load_recipe(ROOT / "perturbations" / "real-scaffolds.yaml")
    env = make(recipe=recipe)
    try:
        seen = []
        for seed in (3, 3, 4):
            _, info = env.reset(seed=seed, options={"task_id": TASK})
            seen.append((info.get("scaffold"), info["perturbations"]))
        assert seen[0] == seen[1]
    finally:
        env.close()


@pytest.mark.slow
def test_oracle_solves_real_scaffolds_recipe_with_transforms_on_top():
    """The recipe composes a profile with renames, paraphrases and transient errors; the oracle
    still solves (over seeds that cover text and native profiles and renamed tools)."""
    recipe = load_recipe(ROOT / "perturbations" / "real-scaffolds.yaml")
    env = make(recipe=recipe, max_turns=14)
    core = env.unwrapped
    profiles, renamed = set(), 0
    try:
        for seed in range(10):
            _, info = env.reset(seed=seed, options={"task_id": TASK})
            profiles.add(info["scaffold"])
            renamed += any(p["transform"].startswith("tool_") for p in info["perturbations"])
            policy = OraclePolicy(run_tests=False)
            policy.reset({**info, "task": core.task, "seed": seed})
            done, reward = False, 0.0
            while not done:
                action = policy.act([m.to_openai() for m in core.messages], info["tools"], info)
                _, reward, term, trunc, _ = env.step(action)
                done = term or trunc
            assert reward == 1.0, (seed, info["scaffold"], info["perturbations"])
    finally:
        env.close()
    assert len(profiles) >= 5 and renamed >= 1


def test_monitor_judges_harness_calls_as_agentgym_calls():
    env = make("openhands")
    try:
        env.reset(seed=1, options={"task_id": TASK})
        call = ToolCall(
            id="c",
            name="execute_bash",
            arguments={"command": "rm -rf /etc", "security_risk": "HIGH"},
        )
        _, _, _, _, step = env.step(Message(role="assistant", content=None, tool_calls=[call]))
        assert any(str(f.get("rule_id", f)).startswith("unsafe.") for f in step["monitor_flags"]), (
            step["monitor_flags"]
        )
    finally:
        env.close()
