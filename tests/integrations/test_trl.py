"""TRL 1.16 GRPOTrainer on agentgym envs, with tiny local models (CPU)."""

from __future__ import annotations

import os

import pytest
from conftest import need

need("trl", "datasets", "torch", "transformers")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

from datasets import Dataset  # noqa: E402
from helpers import BUGFIX, TASK, ScriptedEngine, bugfix_task, noop_texts, oracle_texts  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

from agentgym.env.toolcall import canonical_call  # noqa: E402
from agentgym.integrations.tiny import env_texts, tiny_model, tiny_tokenizer  # noqa: E402
from agentgym.integrations.trl import (  # noqa: E402
    AgentGymRollout,
    env_reward,
    environment_factory,
    factory_dataset,
    reward_function,
    rollout_dataset,
    single_turn_dataset,
)

TOOLCALL = "agentgym/ToolCall-v0"


def grpo_args(tmp_path, steps: int, **kw) -> GRPOConfig:
    base = dict(
        output_dir=str(tmp_path / "out"),
        use_cpu=True,
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        max_steps=steps,
        logging_steps=1,
        report_to=[],
        save_strategy="no",
        learning_rate=1e-3,
        bf16=False,
        seed=0,
    )
    base.update(kw)
    return GRPOConfig(**base)


def optimizer_steps(trainer) -> int:
    return int(trainer.state.global_step)


def logged(trainer, key: str) -> list[float]:
    return [h[key] for h in trainer.state.log_history if key in h]


@pytest.fixture(scope="module")
def chat_tok():
    return tiny_tokenizer("qwen3", env_texts(BUGFIX, backend="local"))


# --- ToolCall-v0: (c) reward function and (b) rollout_func, two optimizer steps each ------


def test_toolcall_reward_function_two_steps_and_oracle_scores_one(tmp_path) -> None:
    tok = tiny_tokenizer("toy")
    reward = reward_function(TOOLCALL)
    rows = single_turn_dataset(TOOLCALL, n=8, seed=0)
    trainer = GRPOTrainer(
        model=tiny_model(tok),
        reward_funcs=[reward],
        args=grpo_args(tmp_path, 2),
        train_dataset=Dataset.from_list(rows),
        processing_class=tok,
    )
    trainer.train()
    assert optimizer_steps(trainer) == 2
    assert (
        len(logged(trainer, "rewards/agentgym_reward/mean")) == 2
    )  # the env's reward, in TRL's logs
    # The oracle's completion (the canonical call) scores 1; a wrong value does not.
    prompts = [r["prompt"] for r in rows]
    values = [r["task_id"] for r in rows]
    oracle = [canonical_call("submit", v) for v in values]
    cols = {"task_id": values, "seed": [r["seed"] for r in rows]}
    assert reward(prompts, oracle, **cols) == [1.0] * len(rows)
    wrong = [canonical_call("submit", "9" if v != "9" else "8") for v in values]
    assert all(r < 1.0 for r in reward(prompts, wrong, **cols))


def test_toolcall_rollout_func_two_steps(tmp_path) -> None:
    tok = tiny_tokenizer("toy")
    rollout = AgentGymRollout(TOOLCALL, max_turns=2, max_new_tokens=6)
    rows = rollout_dataset(TOOLCALL, ["1", "3"], seeds=[0, 1])
    trainer = GRPOTrainer(
        model=tiny_model(tok),
        reward_funcs=[env_reward],
        args=grpo_args(tmp_path, 2),
        train_dataset=Dataset.from_list(rows),
        processing_class=tok,
        rollout_func=rollout,
    )
    trainer.train()
    assert optimizer_steps(trainer) == 2
    assert len(logged(trainer, "rewards/env_reward/mean")) == 2
    rollout.close()


def test_toolcall_fault_is_masked_not_scored_zero(tmp_path) -> None:
    tok = tiny_tokenizer("toy")
    rollout = AgentGymRollout(TOOLCALL, max_turns=1, max_new_tokens=4, fault_rate=1.0)
    out = rollout([rollout_dataset(TOOLCALL, ["2"])[0]["prompt"]] * 2, _FakeTrainer(tok))
    assert out["agentgym_reward"] == [None, None]  # TRL: NaN, out of the baseline, no advantage
    assert env_reward([], [], agentgym_reward=out["agentgym_reward"]) == [None, None]
    rollout.close()


class _FakeTrainer:
    """Only what AgentGymRollout reads from a trainer, for direct calls (generation via model)."""

    def __init__(self, tok) -> None:
        import accelerate

        self.processing_class = tok
        self.model = tiny_model(tok)
        self.accelerator = accelerate.Accelerator(cpu=True)
        self.max_completion_length = 4
        self.temperature = 1.0


# --- a bundled bug-fix task on the local backend -----------------------------------------


def test_bugfix_rollout_func_one_step_real_model(tmp_path, chat_tok) -> None:
    rollout = AgentGymRollout(BUGFIX, backend="local", max_turns=2, max_new_tokens=8)
    rows = rollout_dataset(BUGFIX, [TASK], recipes=[None, "light"], seeds=[0])
    trainer = GRPOTrainer(
        model=tiny_model(chat_tok),
        reward_funcs=[env_reward],
        args=grpo_args(tmp_path, 1, per_device_train_batch_size=2, num_generations=2),
        train_dataset=Dataset.from_list(rows),
        processing_class=chat_tok,
        rollout_func=rollout,
    )
    trainer.train()
    assert optimizer_steps(trainer) == 1
    assert logged(trainer, "rewards/env_reward/mean") == [0.0]  # a random model fixes nothing
    for outcome in rollout.last_outcomes:
        assert outcome.done and not outcome.infrastructure_error
        assert outcome.reward_breakdown["status"] == "fail"
    rollout.close()


@pytest.mark.parametrize(("script", "expected"), [("oracle", 1.0), ("noop", 0.0)])
def test_bugfix_rollout_func_scripted_completions(tmp_path, chat_tok, script, expected) -> None:
    texts = oracle_texts(bugfix_task()) if script == "oracle" else noop_texts()
    engine = ScriptedEngine(chat_tok, texts)
    rollout = AgentGymRollout(BUGFIX, backend="local", max_turns=3, engine=engine)
    from transformers import TrainerCallback

    class Rewind(TrainerCallback):
        def on_step_begin(self, *args, **kwargs):
            engine.reset()

    trainer = GRPOTrainer(
        model=tiny_model(chat_tok),
        reward_funcs=[env_reward],
        args=grpo_args(tmp_path, 1, per_device_train_batch_size=2, num_generations=2),
        train_dataset=Dataset.from_list(rollout_dataset(BUGFIX, [TASK], seeds=[0, 1])),
        processing_class=chat_tok,
        rollout_func=rollout,
        callbacks=[Rewind()],
    )
    trainer.train()
    assert logged(trainer, "rewards/env_reward/mean") == [expected]
    out = rollout.last_outcomes
    assert [o.reward for o in out] == [expected, expected]
    rollout.close()


def test_rollout_masks_and_token_in_token_out(chat_tok) -> None:
    """completion ids = generated ids verbatim (mask 1) + env turns (mask 0); log-probs aligned."""
    texts = oracle_texts(bugfix_task())
    engine = ScriptedEngine(chat_tok, texts)
    rollout = AgentGymRollout(BUGFIX, backend="local", max_turns=3, engine=engine)
    spec = rollout_dataset(BUGFIX, [TASK])[0]["prompt"]
    out = rollout([spec], _FakeTrainer(chat_tok))
    ids, mask, lps = out["completion_ids"][0], out["env_mask"][0], out["logprobs"][0]
    assert len(ids) == len(mask) == len(lps)
    first = chat_tok.encode(texts[0], add_special_tokens=False)
    assert ids[: len(first)] == first and mask[: len(first)] == [1] * len(first)
    assert 0 in mask  # the tool's answer is in the completion, masked out
    assert all(lp == 0.0 for lp, m in zip(lps, mask, strict=True) if m == 0)
    # The prompt is the episode's own opening in its chat format (not the spec JSON).
    assert "<|im_start|>system" in chat_tok.decode(out["prompt_ids"][0])
    assert out["agentgym_reward"] == [1.0]
    rollout.close()


def test_rollout_crash_closes_its_sandboxes(chat_tok) -> None:
    class Boom:
        def generate(self, *a, **k):
            raise RuntimeError("generation crashed")

    rollout = AgentGymRollout(BUGFIX, backend="local", engine=Boom())
    seen = []
    original = rollout._take

    def take(spec):
        s = original(spec)
        seen.append(s)
        return s

    rollout._take = take
    with pytest.raises(RuntimeError, match="crashed"):
        rollout([rollout_dataset(BUGFIX, [TASK])[0]["prompt"]], _FakeTrainer(chat_tok))
    assert seen and all(s.closed and s.base.sandbox is None for s in seen)


# --- (a) environment_factory ---------------------------------------------------------------


def test_bugfix_environment_factory_one_step_real_model(tmp_path, chat_tok) -> None:
    env_cls = environment_factory(BUGFIX, backend="local", max_turns=10)
    trainer = GRPOTrainer(
        model=tiny_model(chat_tok),
        args=grpo_args(
            tmp_path,
            1,
            per_device_train_batch_size=2,
            num_generations=2,
            max_completion_length=8,
            max_tool_calling_iterations=1,
        ),
        train_dataset=Dataset.from_list(factory_dataset(env_cls, [TASK], repeat=2)),
        processing_class=chat_tok,
        environment_factory=env_cls,
    )
    trainer.train()
    assert optimizer_steps(trainer) == 1
    assert logged(trainer, "rewards/AgentGymEnv/mean") == [0.0]
    for env in trainer.environments:
        env.close()


def test_environment_factory_oracle_one_noop_zero() -> None:
    env_cls = environment_factory(BUGFIX, backend="local")
    task = bugfix_task()
    from agentgym.policies.oracle import solution_command

    env = env_cls()
    try:
        # As TRL drives it: reset(**row), tool methods called with the parsed arguments, reward.
        assert "ordinal" in (env.reset(prompt=[], task_id=TASK, seed=0) or "")
        env.bash(command=solution_command(task))
        env.submit()
        assert env.get_reward() == 1.0
        env.reset(prompt=[], task_id=TASK, seed=1)
        env.submit()
        assert env.get_reward() == 0.0
        env.reset(prompt=[], task_id=TASK, seed=2)  # no submit: graded as it stands
        assert env.get_reward() == 0.0
    finally:
        env.close()


def test_environment_factory_methods_are_the_perturbed_tools() -> None:
    from transformers.utils import get_json_schema

    from agentgym.policies.oracle import solution_command

    env_cls = environment_factory(BUGFIX, recipe="heavy", seed=3, backend="local")
    names = [s["function"]["name"] for s in env_cls.tool_specs]
    assert "bash" not in names  # this sample renames the tools
    env = env_cls()
    try:
        for spec in env_cls.tool_specs:
            schema = get_json_schema(getattr(env, spec["function"]["name"]))["function"]
            assert schema["name"] == spec["function"]["name"]
            assert set(schema["parameters"]["properties"]) == set(
                spec["function"]["parameters"].get("properties", {})
            )
        env.reset(prompt=[], task_id=TASK)
        shell = next(n for n in names if "command" in n or "exec" in n)
        arg = next(
            iter(env_cls.tool_specs[names.index(shell)]["function"]["parameters"]["required"])
        )
        getattr(env, shell)(**{arg: solution_command(bugfix_task())})
        submit = next(n for n in names if "complete" in n or "submit" in n or "finish" in n)
        getattr(env, submit)()
        assert env.get_reward() == 1.0  # the renamed tools ran the real ones
    finally:
        env.close()
