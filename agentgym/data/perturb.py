"""Perturb recorded trajectories into training rows.

For each trajectory and variant one :class:`EpisodePerturbation` is sampled (seeded from the
run's seed, the input line and the variant, so a row does not depend on which other lines were
good or how many workers ran), applied to every surface exactly as ``PerturbedEnv`` would:
tool specs, the opening system/user messages, later user turns, every tool call
(``ep.forward_call``: renamed tools and arguments, split and merged tools) and every tool result
(``ep.tool_response``). A transient error the recipe injects becomes the error result plus an
assistant turn that retries the same call and gets the real result, as in a live episode.
Each variant is then rendered in every requested chat format (with the episode's render
options), and tokenized with a loss mask when a tokenizer is given.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agentgym.data.formats import fit_messages
from agentgym.data.io import DataRow
from agentgym.errors import AgentGymError
from agentgym.perturb.base import ChatOptions, Transform
from agentgym.perturb.env import as_recipe, chat_format
from agentgym.perturb.episode import EpisodePerturbation
from agentgym.types import Message, ToolCall, ToolSpec, Trajectory

DEFAULT_FORMAT = "qwen3"


def episode_seed(seed: int, line: int, variant: int) -> int:
    """The perturbation seed of one (input line, variant)."""
    return int(np.random.default_rng([seed, line, variant]).integers(2**31 - 1))


def perturb_conversation(
    messages: Sequence[Message], tools: Sequence[ToolSpec], ep: EpisodePerturbation
) -> tuple[list[Message], list[ToolSpec]]:
    """The conversation and tool list as the agent would have seen them under ``ep``."""
    new_tools = ep.tools(list(tools))
    sys_i = 0 if messages and messages[0].role == "system" else None
    user_i = next((i for i, m in enumerate(messages) if m.role == "user"), None)
    system = messages[sys_i].content or "" if sys_i is not None else ""
    user = messages[user_i].content or "" if user_i is not None else ""
    new_system, new_user = ep.opening(system, user)

    out: list[Message] = []
    if new_system:
        out.append(Message(role="system", content=new_system))
    calls: dict[str, tuple[ToolCall, ToolCall]] = {}  # id -> (real call, perturbed call)
    retry: list[ToolCall] = []
    held: list[Message] = []  # real results of retried calls, shown after the retry turn

    def flush_retries() -> None:
        if retry:
            out.append(Message(role="assistant", content=None, tool_calls=list(retry)))
            out.extend(held)
            retry.clear()
            held.clear()

    for i, m in enumerate(messages):
        if m.role != "tool":
            flush_retries()
        if i == sys_i:
            continue
        if i == user_i:
            out.append(m.model_copy(update={"content": new_user}))
        elif m.role == "user":
            out.append(m.model_copy(update={"content": ep.user(m.content or "")}))
        elif m.role == "assistant" and m.tool_calls:
            fwd = []
            for c in m.tool_calls:
                pc = ep.forward_call(c).model_copy(update={"id": c.id})
                calls[c.id] = (c, pc)
                fwd.append(pc)
            out.append(m.model_copy(update={"tool_calls": fwd}))
        elif m.role == "tool":
            out.extend(_tool_result(m, calls, ep, retry, held))
        else:
            out.append(m)
    flush_retries()
    return out, new_tools


def _tool_result(
    m: Message,
    calls: dict[str, tuple[ToolCall, ToolCall]],
    ep: EpisodePerturbation,
    retry: list[ToolCall],
    held: list[Message],
) -> list[Message]:
    pair = calls.get(m.tool_call_id or "")
    if pair is None:  # a result we cannot tie to a call: perturb the text only
        return [m.model_copy(update={"content": ep.tool_response(m.content or "", m.name or "")})]
    real, pc = pair
    obs = ep.intercept(pc)
    if obs is not None and obs.metadata.get("perturbation") == "transient_error":
        again = pc.model_copy(update={"id": f"{pc.id}_retry"})
        ep.intercept(again)  # the retry: always let through, advances the call index
        retry.append(again)
        text = ep.tool_response(m.content or "", real.name)
        held.append(
            m.model_copy(update={"content": text, "tool_call_id": again.id, "name": pc.name})
        )
        return [m.model_copy(update={"content": obs.content, "name": pc.name})]
    text = ep.tool_response(m.content or "", real.name)
    return [m.model_copy(update={"content": text, "name": pc.name if m.name else None})]


@dataclass
class Renderer:
    """Renders (and optionally tokenizes) one conversation in one chat format."""

    tokenizer: Any = None

    def row(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        family: str,
        options: ChatOptions,
        **fields: Any,
    ) -> DataRow:
        fmt = chat_format(family)
        msgs = fit_messages(messages, family)
        render_opts = options.render_options()
        tool_list = list(tools) or None
        ids = mask = None
        if self.tokenizer is not None:
            from agentgym.chat import tokenize

            tok = tokenize(fmt, self.tokenizer, msgs, tool_list, **render_opts)
            ids, mask = tok.ids, tok.assistant_mask
        text = fmt.render(msgs, tool_list, **render_opts)
        opts = options.model_copy(update={"format": family}).model_dump(exclude_none=True)
        return DataRow(
            chat_format=family,
            chat_options=opts,
            messages=[m.to_openai() for m in msgs],
            tools=[t.to_openai() for t in tools],
            text=text,
            input_ids=ids,
            loss_mask=mask,
            **fields,
        )


@dataclass
class PerturbJob:
    """Everything a worker needs to turn trajectories into rows."""

    recipe: Transform
    recipe_name: str = ""
    variants: int = 1
    formats: Sequence[str] | None = None
    seed: int = 0
    tokenizer: Any = None
    source_name: str = "input"

    def rows(self, line: int, traj: Trajectory) -> tuple[list[DataRow], list[str]]:
        """Every row of one trajectory, and one message per row that could not be made
        (e.g. a template that rejects the conversation); the caller reports both."""
        renderer = Renderer(self.tokenizer)
        out: list[DataRow] = []
        errors: list[str] = []
        source = f"{self.source_name}:{line}"
        for variant in range(self.variants):
            seed = episode_seed(self.seed, line, variant)
            ep = EpisodePerturbation.sample(
                self.recipe,
                seed,
                tools=traj.tools,
                system=_first(traj.messages, "system"),
                user=_first(traj.messages, "user"),
            )
            source_messages, source_tools = list(traj.messages), list(traj.tools)
            runtime = _scaffold(ep)
            if runtime is not None:  # a real harness: re-express the episode in it first
                from agentgym.scaffolds.convert import ConversionError, to_scaffold

                try:
                    source_messages, source_tools = to_scaffold(traj.messages, traj.tools, runtime)
                except ConversionError as exc:
                    errors.append(f"v{variant}: {runtime.profile.name}: {exc}")
                    continue
            messages, tools = perturb_conversation(source_messages, source_tools, ep)
            if runtime is not None and runtime.text:
                from agentgym.scaffolds.runtime import text_view

                messages, tools = (
                    text_view(messages),
                    [],
                )  # tools in the text, results as user turns
            options = ep.chat_options()
            families = list(self.formats or [ep.chat_format(traj.chat_format or DEFAULT_FORMAT)])
            for family in families:
                try:
                    row = renderer.row(
                        messages,
                        tools,
                        family,
                        options,
                        id=f"{source}/v{variant}/{family}",
                        source=source,
                        task_id=traj.task_id,
                        variant=variant,
                        seed=seed,
                        recipe=self.recipe_name,
                        perturbations=list(traj.perturbations) + ep.records,
                        reward=traj.reward,
                        metadata={"perturbation_summary": ep.summary()},
                    )
                except AgentGymError as exc:
                    errors.append(f"v{variant}/{family}: {exc}")
                    continue
                out.append(row)
        return out, errors


def _scaffold(ep: EpisodePerturbation) -> Any:
    """The episode's harness runtime when its recipe drew a ``scaffold`` record, else None."""
    if not any(r.target == "scaffold" for r in ep.records):
        return None
    from agentgym.scaffolds.runtime import runtime_for

    return runtime_for(ep.records)


def _first(messages: Sequence[Message], role: str) -> str:
    for i, m in enumerate(messages):
        if m.role == role and (role != "system" or i == 0):
            return m.content or ""
    return ""


# --- running many -----------------------------------------------------------------------------

Result = tuple[int, list[DataRow], list[str]]  # (line, rows, errors)
_JOB: PerturbJob | None = None


def _init(job: PerturbJob) -> None:
    global _JOB
    _JOB = job


def _work(item: tuple[int, str]) -> Result:
    line, raw = item
    assert _JOB is not None
    try:
        traj = Trajectory.model_validate_json(raw)
        rows, errors = _JOB.rows(line, traj)
        return line, rows, errors
    except Exception as exc:  # reported with its line number, never dropped silently
        return line, [], [f"{type(exc).__name__}: {exc}"]


def run_job(
    job: PerturbJob, items: Iterable[tuple[int, Trajectory]], workers: int = 1
) -> Iterator[Result]:
    """Rows for each ``(line, trajectory)``, in input order, on ``workers`` processes."""
    payload = ((line, traj.model_dump_json()) for line, traj in items)
    if workers <= 1:
        _init(job)
        yield from map(_work, payload)
        return
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Pool(workers, initializer=_init, initargs=(job,)) as pool:
        yield from pool.imap(_work, payload, chunksize=4)


def load_tokenizer(path: str | Path) -> Any:
    """A ``tokenizers`` file (tokenizer.json) or a transformers tokenizer folder / hub name."""
    p = Path(path)
    if p.is_file():
        from tokenizers import Tokenizer

        return Tokenizer.from_file(str(p))
    if (p / "tokenizer.json").is_file() and not (p / "tokenizer_config.json").is_file():
        from tokenizers import Tokenizer

        return Tokenizer.from_file(str(p / "tokenizer.json"))
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path))


def make_job(
    recipe: str | Path | Transform | None,
    *,
    variants: int = 1,
    formats: Sequence[str] | None = None,
    seed: int = 0,
    tokenizer: Any = None,
    source_name: str = "input",
) -> PerturbJob:
    name = Path(recipe).stem if isinstance(recipe, (str, Path)) else getattr(recipe, "name", "")
    return PerturbJob(
        as_recipe(recipe),
        recipe_name=name or "",
        variants=variants,
        formats=formats,
        seed=seed,
        tokenizer=tokenizer,
        source_name=source_name,
    )


__all__ = [
    "PerturbJob",
    "Renderer",
    "episode_seed",
    "load_tokenizer",
    "make_job",
    "perturb_conversation",
    "run_job",
]
