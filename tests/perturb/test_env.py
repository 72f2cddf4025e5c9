"""PerturbedEnv and the per-surface wrappers on a real CodingEnv (local backend, no grading)."""

from __future__ import annotations

import shutil
from functools import cache
from typing import Any

import pytest
from gymnasium.utils.env_checker import check_env

from agentgym.env import CodingEnv, envs_root
from agentgym.errors import ConfigError
from agentgym.perturb import Compose, EpisodePerturbation, registry
from agentgym.perturb.env import BoundChatFormat, PerturbedEnv, PerturbedTool
from agentgym.perturb.recipe import recipes_dir
from agentgym.perturb.wrappers import (
    ChatFormatPerturbation,
    PromptPerturbation,
    ToolResponsePerturbation,
    ToolsPerturbation,
)
from agentgym.tasks import load_tasks
from agentgym.types import PerturbationRecord, Task, ToolCall

pytestmark = [
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap is not installed"),
    pytest.mark.filterwarnings("ignore:.*different from the unwrapped version"),
]
HEAVY = recipes_dir() / "heavy.yaml"


@cache
def first_task() -> Task:
    return sorted(load_tasks(envs_root() / "bugfix"), key=lambda t: t.id)[0]


def make_core(**kw: Any) -> CodingEnv:
    opts: dict[str, Any] = {"backend": "local", "monitor": False, "grade": False, "max_turns": 40}
    return CodingEnv([first_task()], **{**opts, **kw})


def T(name: str, severity: str = "heavy", **options: Any) -> Any:
    return registry[name](p=1.0, severity=severity, **options)


def act(*calls: ToolCall) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": [c.to_openai() for c in calls]}


def episode(info: dict[str, Any]) -> EpisodePerturbation:
    return EpisodePerturbation([PerturbationRecord(**r) for r in info["perturbations"]])


def stable(info: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in info.items() if k not in ("timings", "backend")}


@pytest.fixture
def core():
    env = make_core()
    yield env
    env.close()


def test_check_env_passes_with_the_heavy_recipe(core: CodingEnv) -> None:
    env = PerturbedEnv(core, HEAVY, seed=1)
    check_env(env, skip_render_check=True)


def test_check_env_passes_with_stacked_surface_wrappers(core: CodingEnv) -> None:
    env = ToolResponsePerturbation(
        ToolsPerturbation(core, [T("tool_rename_synonyms")], seed=1),
        [T("response_noise_lines")],
        seed=2,
    )
    check_env(env, skip_render_check=True)


def test_same_seeds_give_the_same_episode() -> None:
    outs = []
    for _ in range(2):
        env = PerturbedEnv(make_core(), HEAVY, seed=11)
        obs, info = env.reset(seed=5)
        outs.append((obs, stable(info)))
        env.close()
    assert outs[0] == outs[1]
    env = PerturbedEnv(make_core(), HEAVY, seed=12)
    _, other = env.reset(seed=5)
    env.close()
    assert other["perturbation_seed"] != outs[0][1]["perturbation_seed"]


def test_episodes_without_a_reset_seed_follow_the_wrapper_seed(core: CodingEnv) -> None:
    def seeds(env: PerturbedEnv) -> list[int]:
        return [env.reset()[1]["perturbation_seed"] for _ in range(3)]

    first = seeds(PerturbedEnv(core, HEAVY, seed=3))
    assert len(set(first)) == 3
    assert seeds(PerturbedEnv(make_core(), HEAVY, seed=3)) == first


def test_renamed_tools_map_back_and_old_names_are_rejected(core: CodingEnv) -> None:
    env = ToolsPerturbation(
        core, [T("tool_rename_synonyms"), T("tool_arg_rename_synonyms")], seed=0
    )
    _, info = env.reset(seed=0)
    shown = [t["function"]["name"] for t in info["tools"]]
    assert "bash" not in shown
    real = ToolCall(id="c1", name="bash", arguments={"command": "echo hello-from-real-bash"})
    renamed = episode(info).forward_call(real)
    assert renamed.name in shown and renamed.arguments != real.arguments
    obs, *_ = env.step(act(real))
    assert "unknown tool 'bash'" in obs[0]["content"].lower()
    obs, *_, step_info = env.step(act(renamed))
    assert "hello-from-real-bash" in obs[0]["content"]
    assert obs[0]["name"] == renamed.name
    assert not step_info.get("perturbation_events")


def test_transient_errors_run_nothing_and_the_retry_really_runs(core: CodingEnv) -> None:
    env = ToolResponsePerturbation(core, [T("response_transient_error")], seed=0)
    env.reset(seed=0)
    failures = ran = 0
    for i in range(12):
        call = ToolCall(id=f"c{i}", name="bash", arguments={"command": f"echo {i} >> /tmp/ran"})
        while True:
            _obs, *_, info = env.step(act(call))
            if any(e["kind"] == "transient_error" for e in info.get("perturbation_events", [])):
                failures += 1
                continue
            ran += 1
            break
    assert failures >= 1
    lines = core.sandbox.run("cat /tmp/ran", timeout=10).output.split()
    assert lines == [str(i) for i in range(12)]  # each command ran exactly once, in order
    assert ran == 12


def test_distractor_tools_answer_without_running(core: CodingEnv) -> None:
    env = ToolsPerturbation(core, [T("tool_distractors")], seed=0)
    _, _info = env.reset(seed=0)
    real = {t.name for t in core.tool_list if isinstance(t, PerturbedTool)} - {
        "bash",
        "editor",
        "search",
        "submit",
    }
    name = sorted(real)[0]
    obs, _, terminated, _, step_info = env.step(act(ToolCall(id="d", name=name, arguments={})))
    assert not terminated
    assert step_info["perturbation_events"][0]["kind"] == "distractor_tool"
    assert obs[0]["content"]


def test_records_go_to_info_and_the_trajectory(core: CodingEnv) -> None:
    env = PerturbedEnv(core, HEAVY, seed=4)
    obs, info = env.reset(seed=1)
    traj = core.trajectory
    assert traj is not None
    assert [r.model_dump(mode="json") for r in traj.perturbations] == info["perturbations"]
    assert [t.name for t in traj.tools] == [t["function"]["name"] for t in info["tools"]]
    assert traj.chat_format == info["chat_format"]
    assert traj.metadata["perturbation_seeds"] == [info["perturbation_seed"]]
    assert [m.to_openai() for m in traj.messages] == obs


def test_surface_wrappers_reject_other_surfaces(core: CodingEnv) -> None:
    with pytest.raises(ConfigError, match="user_typos targets 'user'"):
        ToolsPerturbation(core, [T("user_typos")])
    with pytest.raises(ConfigError):
        ChatFormatPerturbation(core, HEAVY)
    PromptPerturbation(core, [T("system_persona"), T("user_typos")])


def test_stacked_wrappers_compose_and_restore_the_real_env(core: CodingEnv) -> None:
    real_names = [t.name for t in core.tool_list]
    env = ToolResponsePerturbation(
        ToolsPerturbation(core, [T("tool_name_case")], seed=1),
        [T("response_wrapper")],
        seed=2,
    )
    for seed in (0, 1):
        _, info = env.reset(seed=seed)
        assert [r["transform"] for r in info["perturbations"]] == [
            "tool_name_case",
            "response_wrapper",
        ]
        call = episode(info).forward_call(
            ToolCall(id="x", name="bash", arguments={"command": "echo stacked"})
        )
        obs, *_ = env.step(act(call))
        assert "stacked" in obs[0]["content"] and obs[0]["content"] != "stacked\n[exit code: 0]"
    env.close()
    assert [t.name for t in core.tool_list] == real_names
    assert not isinstance(core.fmt, BoundChatFormat)


def test_chat_format_switch_renders_and_parses_in_the_new_family() -> None:
    core = make_core(render_prompt=True)
    env = ChatFormatPerturbation(
        core, [T("chat_switch_format", families=["llama3.1"]), T("chat_system_in_user")], seed=0
    )
    _, info = env.reset(seed=0)
    assert info["chat_format"] == "llama3.1" and core.fmt.name == "llama3.1"
    assert "<|start_header_id|>" in info["prompt"]
    assert info["chat_options"]["system_in_user"] == "tagged"
    text = core.fmt.render_completion(
        {
            "role": "assistant",
            "tool_calls": [ToolCall(id="a", name="bash", arguments={"command": "echo hi"})],
        }
    )
    obs, *_, step_info = env.step(text)
    assert "parse_error" not in step_info and "hi" in obs[0]["content"]
    env.close()


def test_system_moved_into_the_user_turn(core: CodingEnv) -> None:
    env = PromptPerturbation(core, [T("system_move_to_user")], seed=0)
    obs, _ = env.reset(seed=0)
    assert [m["role"] for m in obs] == ["user"]
    assert "software engineer" in obs[0]["content"]


def test_returned_objects_are_fresh(core: CodingEnv) -> None:
    env = PerturbedEnv(core, HEAVY, seed=0)
    obs, info = env.reset(seed=2)
    info["tools"][0]["function"]["parameters"]["properties"].clear()
    obs[0]["content"] = "mutated"
    obs2, info2 = env.reset(seed=2)
    assert info2["tools"][0]["function"]["parameters"]["properties"]
    assert obs2[0]["content"] != "mutated"


def test_clean_recipe_is_the_identity(core: CodingEnv) -> None:
    clean_obs, clean_info = core.reset(seed=0)
    env = PerturbedEnv(core, Compose([]), seed=0)
    obs, info = env.reset(seed=0)
    assert obs == clean_obs and info["tools"] == clean_info["tools"]
    assert info["perturbations"] == []
    assert not any(isinstance(t, PerturbedTool) for t in core.tool_list)


def test_pinned_template_revisions_flow_through_the_env_and_the_format_switch() -> None:
    core = make_core(render_prompt=True, chat_format="kimi-k2@2025-07")
    _, info = core.reset(seed=0)
    assert info["chat_format"] == "kimi-k2@2025-07"
    assert core.fmt.full_name() == "kimi-k2@2025-07"
    core.close()
    core = make_core(render_prompt=True)
    env = ChatFormatPerturbation(
        core, [T("chat_switch_format", families=["qwen3-coder@2025-07"])], seed=0
    )
    _, info = env.reset(seed=0)
    assert info["chat_format"] == "qwen3-coder@2025-07"
    assert "You have access to the following functions" in info["prompt"]
    assert "# Tools" not in info["prompt"]  # the July 2025 template has no header
    text = core.fmt.render_completion(
        {
            "role": "assistant",
            "tool_calls": [ToolCall(id="a", name="bash", arguments={"command": "echo hi"})],
        }
    )
    obs, *_, step_info = env.step(text)
    assert "parse_error" not in step_info and "hi" in obs[0]["content"]
    env.close()
    with pytest.raises(ValueError, match="unknown chat formats"):
        T("chat_switch_format", families=["qwen3-coder@1999-01"])
