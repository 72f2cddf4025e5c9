"""Perturbing recorded trajectories: consistency of renames, retries, formats, tokens, files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from agentgym.chat import get_format, list_formats
from agentgym.data.io import DataError, RowWriter, read_rows
from agentgym.data.perturb import make_job, perturb_conversation, run_job
from agentgym.perturb import Compose, EpisodePerturbation, registry
from agentgym.perturb.recipe import recipes_dir
from agentgym.tools import default_tools
from agentgym.types import Message, ToolCall, Trajectory

FAMILIES = [f for f in list_formats() if f != "hf"]


def T(name: str, severity: str = "heavy") -> object:
    return registry[name](p=1.0, severity=severity)


def trajectory(task_id: str = "demo", strict: bool = False) -> Trajectory:
    """A small recorded episode; ``strict`` leaves out what some templates reject (a user turn
    after tool results: Mistral; text and thinking beside tool calls: gpt-oss)."""
    calls = [
        ToolCall(id="c1", name="bash", arguments={"command": "grep -rn parse src"}),
        ToolCall(id="c2", name="editor", arguments={"command": "view", "path": "src/a.py"}),
    ]
    fix = ToolCall(
        id="c3",
        name="editor",
        arguments={"command": "str_replace", "path": "src/a.py", "old_str": "x", "new_str": "y"},
    )
    return Trajectory(
        task_id=task_id,
        tools=[t.spec for t in default_tools()],
        messages=[
            Message(role="system", content="You are a coding agent. Use the `bash` tool."),
            Message(role="user", content="The function `parse` fails on empty input. Fix it."),
            Message(
                role="assistant",
                content=None if strict else "Let me look.",
                reasoning="think",
                tool_calls=calls,
            ),
            Message(
                role="tool",
                tool_call_id="c1",
                name="bash",
                content="src/a.py:3:x = 1\nsrc/b.py:9:y",
            ),
            Message(role="tool", tool_call_id="c2", name="editor", content="     1\tx = 1"),
            Message(role="assistant", content=None, tool_calls=[fix]),
            Message(role="tool", tool_call_id="c3", name="editor", content="Edited src/a.py"),
            *([] if strict else [Message(role="user", content="Please also run the tests.")]),
            Message(role="assistant", tool_calls=[ToolCall(id="c4", name="submit", arguments={})]),
            Message(role="tool", tool_call_id="c4", name="submit", content="Submitted."),
        ],
        reward=1.0,
    )


def check_consistent(messages: list[Message], tools: list, ep: EpisodePerturbation) -> None:
    """Every call uses a shown tool and maps back to a real call; every result answers one."""
    shown = {t.name: t for t in tools}
    calls: dict[str, ToolCall] = {}
    for m in messages:
        for c in m.tool_calls:
            assert c.name in shown, c.name
            assert set(c.arguments) <= set(shown[c.name].parameters.get("properties", {}))
            real = ep.map_call(c)
            assert real.name in {"bash", "editor", "search", "submit"}
            calls[c.id] = c
        if m.role == "tool":
            assert m.tool_call_id in calls
            assert m.name == calls[m.tool_call_id].name


@pytest.mark.parametrize("seed", range(12))
def test_heavy_recipe_keeps_calls_and_results_consistent(seed: int) -> None:
    from agentgym.perturb import load_recipe

    traj = trajectory()
    recipe = load_recipe(recipes_dir() / "heavy.yaml")
    ep = EpisodePerturbation.sample(recipe, seed, tools=traj.tools, system="s", user="u")
    messages, tools = perturb_conversation(traj.messages, traj.tools, ep)
    check_consistent(messages, tools, EpisodePerturbation(ep.records))


@pytest.mark.parametrize("name", sorted(n for n, c in registry.items() if c.target == "tools"))
def test_every_tool_transform_maps_every_call_back(name: str) -> None:
    traj = trajectory()
    ep = EpisodePerturbation.sample(Compose([T(name)]), 3, tools=traj.tools)
    messages, tools = perturb_conversation(traj.messages, traj.tools, ep)
    check_consistent(messages, tools, EpisodePerturbation(ep.records))
    originals = [c for m in traj.messages for c in m.tool_calls]
    mapped = [ep.map_call(c) for m in messages for c in m.tool_calls]
    assert [(c.name, c.arguments) for c in mapped] == [(c.name, c.arguments) for c in originals]


def test_transient_errors_become_an_error_and_a_real_retry() -> None:
    traj = trajectory()
    recipe = Compose([T("response_transient_error")])
    for seed in range(40):
        ep = EpisodePerturbation.sample(recipe, seed, tools=traj.tools)
        messages, tools = perturb_conversation(traj.messages, traj.tools, ep)
        retries = [c for m in messages for c in m.tool_calls if c.id.endswith("_retry")]
        if retries:
            break
    else:
        pytest.fail("no seed gave a transient error")
    check_consistent(messages, tools, ep)
    for r in retries:
        original = r.id.removesuffix("_retry")
        results = {m.tool_call_id: m.content for m in messages if m.role == "tool"}
        real = next(m.content for m in traj.messages if m.tool_call_id == original)
        assert results[r.id] == real and results[original] != real
    # the retry turn comes right after the failed turn's results, before the next turn
    idx = next(i for i, m in enumerate(messages) if any(c in retries for c in m.tool_calls))
    assert messages[idx - 1].role == "tool"


def test_prompts_and_later_user_turns_are_perturbed() -> None:
    traj = trajectory()
    recipe = Compose([T("user_casing"), T("tool_rename_synonyms"), T("system_persona")])
    ep = EpisodePerturbation.sample(recipe, 0, tools=traj.tools, system="s", user="u")
    messages, _ = perturb_conversation(traj.messages, traj.tools, ep)
    users = [m.content for m in messages if m.role == "user"]
    assert users[0] != traj.messages[1].content and users[1] == ep.user(
        "Please also run the tests."
    )
    assert "`bash`" not in messages[0].content


def rows(tmp_path: Path, n: int = 3, strict: bool = False, **kw) -> tuple[Path, list]:
    src = tmp_path / "traj.jsonl"
    src.write_text("".join(trajectory(f"t{i}", strict).model_dump_json() + "\n" for i in range(n)))
    from agentgym.data.io import read_trajectories

    recipe = kw.pop("recipe", recipes_dir() / "heavy.yaml")
    job = make_job(recipe, variants=2, source_name=src.name, **kw)
    out = []
    for line, rs, errors in run_job(job, read_trajectories(src), kw.get("workers", 1)):
        assert not errors, f"line {line}: {errors}"
        out += rs
    return src, out


def test_rows_are_deterministic_and_worker_independent(tmp_path: Path) -> None:
    from agentgym.data.io import read_trajectories

    _, one = rows(tmp_path, formats=["qwen3", "llama3.1"])
    _, again = rows(tmp_path, formats=["qwen3", "llama3.1"])
    assert one == again and len(one) == 3 * 2 * 2
    job = make_job(
        recipes_dir() / "heavy.yaml",
        variants=2,
        formats=["qwen3", "llama3.1"],
        source_name="traj.jsonl",
    )
    two = [
        r for _, rs, _e in run_job(job, read_trajectories(tmp_path / "traj.jsonl"), 2) for r in rs
    ]
    assert two == one
    assert {r.id for r in one} == {
        f"traj.jsonl:{i}/v{v}/{f}" for i in (1, 2, 3) for v in (0, 1) for f in ("qwen3", "llama3.1")
    }


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_renders_perturbed_rows(tmp_path: Path, family: str) -> None:
    # Every preserving transform but the chat-option ones (some families reject some options,
    # e.g. Mistral with tool results as user turns: those rows are reported, not written).
    recipe = Compose(
        [
            c(p=0.5, severity="heavy")
            for c in registry.values()
            if c.semantics == "preserving" and c.target != "chat_format"
        ]
    )
    _, out = rows(tmp_path, n=1, strict=True, formats=[family], recipe=recipe)
    assert len(out) == 2
    for row in out:
        assert row.chat_format == family and row.text
        assert row.text == get_format(family).render(
            _dict_arguments(row.messages),
            row.tools,
            **{k: v for k, v in _render_opts(row.chat_options).items()},
        )


def _dict_arguments(messages: list[dict]) -> list[Message]:
    """Stored rows use the OpenAI wire shape (arguments as JSON strings); the rendered text
    was made from dict arguments, as serving stacks (vLLM, SGLang) parse them before
    templating. Drop the spelling so tojson templates see dicts, not strings."""
    out = []
    for m in messages:
        msg = Message.model_validate(m)
        calls = [c.model_copy(update={"raw_arguments": None}) for c in msg.tool_calls]
        out.append(msg.model_copy(update={"tool_calls": calls}))
    return out


def _render_opts(opts: dict) -> dict:
    from agentgym.perturb import ChatOptions

    return ChatOptions(**opts).render_options()


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    specials = sorted({t for f in FAMILIES for t in get_format(f).special_tokens})
    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([trajectory().model_dump_json()] * 3, trainer)
    return tok


@pytest.mark.parametrize("family", ["qwen3", "llama3.1", "minimax-m2"])
def test_token_ids_and_assistant_mask(tmp_path: Path, tokenizer: Tokenizer, family: str) -> None:
    _, out = rows(tmp_path, n=1, formats=[family], tokenizer=tokenizer)
    for row in out:
        assert row.input_ids and len(row.input_ids) == len(row.loss_mask)
        assert 0 < sum(row.loss_mask) < len(row.loss_mask)
        generated = tokenizer.decode(
            [i for i, m in zip(row.input_ids, row.loss_mask, strict=True) if m]
        )
        assert "fails on empty input" not in generated  # the user turn is not trained on
        assert tokenizer.decode(row.input_ids, skip_special_tokens=False) == row.text


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_rows_round_trip_through_files(tmp_path: Path, tokenizer: Tokenizer, suffix: str) -> None:
    _, out = rows(tmp_path, n=2, formats=["qwen3", "kimi-k2"], tokenizer=tokenizer)
    path = tmp_path / f"data.{suffix}"
    with RowWriter(path, batch_size=3) as w:
        for r in out:
            w.write(r)
    assert read_rows(path) == out


def test_parquet_without_pyarrow_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(DataError, match="pyarrow"):
        RowWriter(tmp_path / "x.parquet")
    with RowWriter(tmp_path / "x.jsonl") as w:  # JSONL needs nothing
        assert w.rows == 0


def test_bad_output_suffix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"\.jsonl or \.parquet"):
        RowWriter(tmp_path / "x.csv")


def test_rows_carry_records_and_seed(tmp_path: Path) -> None:
    _, out = rows(tmp_path, n=1, formats=["qwen3"])
    for row in out:
        ep = EpisodePerturbation(row.perturbations)
        again = EpisodePerturbation.sample(
            __import__("agentgym.perturb", fromlist=["load_recipe"]).load_recipe(
                recipes_dir() / "heavy.yaml"
            ),
            row.seed,
            tools=trajectory().tools,
            system=trajectory().messages[0].content,
            user=trajectory().messages[1].content,
        )
        assert [r.model_dump() for r in again.records] == [r.model_dump() for r in ep.records]
        assert json.loads(row.model_dump_json())["perturbations"] == [
            r.model_dump(mode="json") for r in ep.records
        ]
