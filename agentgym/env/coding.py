"""CodingEnv: a Gymnasium environment where an LLM agent fixes code with tools in a sandbox.

Contract (see docs/environments.md):

- ``reset(seed=, options={"task_id": ...})`` picks a task (by id, else seeded sampling),
  starts a sandbox from the task image (warm pool) and returns ``(observation, info)``:
  the observation is the list of new messages (OpenAI dicts: system prompt, task), and
  ``info["tools"]`` the tool definitions (OpenAI shape).
- ``step(action)`` takes the assistant's raw completion text (parsed with the episode's
  chat format) or a ``Message``/dict; runs its tool calls; returns the new messages (tool
  results, or a user message explaining a parse error), the reward (0 until the end, then
  the grade), ``terminated`` (submitted), ``truncated`` (turn / token / wall-clock budget),
  and ``info`` (timings, parse error, monitor flags, reward breakdown).

Observations are the *new* messages of that step; the whole conversation is
``env.messages`` (and ``info["prompt"]``, the rendered next-turn prompt, when
``render_prompt=True``).
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym

from agentgym.env.spaces import CompletionSpace, ConversationSpace
from agentgym.env.timings import Timings
from agentgym.errors import AgentGymError, ConfigError, ParseError
from agentgym.sandbox import (
    SandboxConfig,
    SandboxLimits,
    SandboxPool,
    resolve_backend,
    shared_pool_executor,
    shared_warm_budget,
)
from agentgym.sandbox.base import Sandbox
from agentgym.tasks.harbor import agent_instruction
from agentgym.tools import Tool, default_tools, execute_call
from agentgym.tools.base import sandbox_failure
from agentgym.types import Message, Observation, StepTiming, Task, ToolCall, Trajectory

DEFAULT_SYSTEM_PROMPT = """\
You are a software engineer working in a git repository at {workdir}. You act only \
through the tools you are given: run shell commands, view and edit files, search the \
code. Work step by step: reproduce the problem, find the cause, change the code, run the \
tests, and when the task is done call the submit tool once. Keep the change focused; do \
not edit the tests unless the task asks for it."""

# The starting commit, read with bash builtins (no git process) when the ref is loose.
HEAD_COMMIT = (
    'if read -r h < .git/HEAD 2>/dev/null; then case $h in "ref: "*) r=${h#ref: }; '
    'if [ -f ".git/$r" ]; then read -r c < ".git/$r"; printf %s "$c"; '
    'else git rev-parse HEAD 2>/dev/null; fi;; *) printf %s "$h";; esac; '
    "else git rev-parse HEAD 2>/dev/null; fi"
)
_RANDOM_ID = re.compile(r"^call_[0-9a-f]{24}$")  # ToolCall's default id: replaced

NO_TOOL_CALL = (
    "No tool call found in your reply. Act by calling one of the tools ({tools}); "
    "when the task is done, call submit."
)


class CodingEnv(gym.Env[list[dict[str, Any]], str]):
    """Multi-turn coding tasks in sandboxes, graded by the task's tests."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"]}

    def __init__(
        self,
        tasks: Sequence[Task] | str | Path,
        *,
        backend: str = "auto",
        chat_format: str = "qwen3",
        system_prompt: str | None = None,
        tools: Sequence[Tool] | None = None,
        max_turns: int = 50,
        max_tokens: int | None = None,
        max_wall_s: float | None = None,
        limits: SandboxLimits | dict[str, Any] | None = None,
        pool_size: int = 1,
        grade: bool = True,
        grade_on_truncation: bool = True,
        monitor: bool | str | Sequence[str] = True,
        monitor_penalties: bool = False,
        render_prompt: bool = False,
        render_mode: str | None = None,
        allow_internet: bool = False,
        release_on_done: bool = True,
    ) -> None:
        super().__init__()
        from agentgym.chat import get_format

        self.tasks = _load_tasks(tasks)
        if not self.tasks:
            raise ConfigError(f"no tasks found in {tasks!r}")
        self.task_by_id = {t.id: t for t in self.tasks}
        # Network only for tasks that ask for it (Harbor allow_internet / network_mode) and
        # only when the user allows it here; otherwise a warning names who asked.
        self.allow_internet = allow_internet
        from agentgym.tasks.build import warn_internet

        warn_internet(self.tasks, allow_internet)
        self.chat_format_name = chat_format
        self.fmt = get_format(chat_format)
        self.system_prompt = system_prompt if system_prompt is not None else DEFAULT_SYSTEM_PROMPT
        self.tool_list = list(tools) if tools is not None else default_tools()
        self.tool_by_name = {t.name: t for t in self.tool_list}
        self.max_turns = max_turns
        self.max_tokens = max_tokens
        self.max_wall_s = max_wall_s
        if isinstance(limits, dict):
            limits = SandboxLimits(**limits)
        self.limits = limits
        self.backend = backend
        self._backend_resolved: str | None = None
        self.pool_size = pool_size
        # The container goes as soon as the episode is graded, not at the next reset: a
        # runner keeps one env per worker and condition, each holding its last container.
        self.release_on_done = release_on_done
        self.grade_enabled = grade
        self.grade_on_truncation = grade_on_truncation
        self.render_prompt = render_prompt
        self.render_mode = render_mode
        self.monitor = _make_monitor(monitor)
        self.monitor_penalties = monitor_penalties
        self.observation_space = ConversationSpace()
        self.action_space = CompletionSpace()
        self._pool: SandboxPool | None = None
        self._images: dict[str, str] = {}
        self._prepared: dict[str, Task] = {}  # task id -> task with its image and WORKDIR
        self.sandbox: Sandbox | None = None
        self.task: Task | None = None
        self.messages: list[Message] = []
        self.trajectory: Trajectory | None = None
        self._reset_state()

    # -- set-up ------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.turn = 0
        self.tokens_used = 0
        self.started_at = time.monotonic()
        self.base_commit: str | None = None
        self.done = False
        self._parse_feedback: str | None = None
        self.flags: list[dict[str, Any]] = []
        # call id -> the call as it really ran, or (call, real_call) not merged yet
        self._canonical_calls: dict[str, ToolCall | tuple[ToolCall, dict[str, Any]]] = {}

    def _resolved_backend(self) -> str:
        # "auto" asks the Docker daemon (ping + image lookup): do it once per env, not on
        # every reset, sandbox start and grade.
        if self._backend_resolved is None:
            config = SandboxConfig(type=self.backend)  # type: ignore[arg-type]
            self._backend_resolved = resolve_backend(config)
        return self._backend_resolved

    def _prepare(self, task: Task) -> Task:
        """The task with its image built (or found) and its WORKDIR known (docker only)."""
        if self._resolved_backend() == "local":
            return task
        prepared = self._prepared.get(task.id)
        if prepared is None:
            from agentgym.tasks.build import prepare_task

            prepared = prepare_task(task)
            self._prepared[task.id] = prepared
            assert prepared.image is not None
            self._images[task.id] = prepared.image
        return prepared

    def _sandbox_for(self, task: Task) -> Sandbox:
        backend = self._resolved_backend()
        if backend == "local":
            from agentgym.env.local_build import local_task_sandbox

            limits = self.limits or SandboxLimits(
                memory_mb=task.limits.memory_mb,
                cpus=task.limits.cpus,
                pids=task.limits.pids,
                command_timeout_s=task.limits.command_timeout_s,
            )
            return local_task_sandbox(task, limits)
        from agentgym.tasks.build import task_sandbox_config

        image = self._images[task.id]
        config = task_sandbox_config(
            task, image, allow_internet=self.allow_internet, limits=self.limits
        )
        limits = config.limits
        if self.pool_size <= 0:
            from agentgym.sandbox import make_sandbox

            return make_sandbox(config)
        # max_images=1: warm spares only for the current task's image (a multi-task env
        # would otherwise keep one warm container per task image it has seen); the spares
        # of every env in the process share one budget (AGENTGYM_MAX_WARM_SANDBOXES).
        if self._pool is not None and (
            self._pool.config.limits != limits
            or self._pool.config.workdir != task.workdir
            or self._pool.config.env != config.env
        ):
            self._pool.close()
            self._pool = None
        if self._pool is None:
            self._pool = SandboxPool(
                config,
                size=self.pool_size,
                images=[],
                max_images=1,
                budget=shared_warm_budget(),
                executor=shared_pool_executor(),
            )
        return self._pool.acquire(image)

    def _release_sandbox(self) -> None:
        if self.sandbox is None:
            return
        if self._pool is not None:
            self._pool.release(self.sandbox)
        else:
            self.sandbox.close()
        self.sandbox = None

    # -- Gymnasium API -------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        self._release_sandbox()
        self._reset_state()
        if "task_id" in options:
            if options["task_id"] not in self.task_by_id:
                raise ConfigError(
                    f"unknown task_id {options['task_id']!r}; this env has "
                    f"{len(self.tasks)} tasks, e.g. {', '.join(list(self.task_by_id)[:5])}"
                )
            task = self.task_by_id[options["task_id"]]
        else:
            task = self.tasks[int(self.np_random.integers(len(self.tasks)))]
        started = time.perf_counter()
        task = self._prepare(task)
        self.task = task
        self.sandbox = self._sandbox_for(task)
        head = self.sandbox.run(HEAD_COMMIT, timeout=30)
        self.base_commit = head.output.strip() if head.exit_code == 0 else None
        reset_s = time.perf_counter() - started
        system = self.system_prompt.format(workdir=task.workdir)
        self.messages = [
            Message(role="system", content=system),
            Message(role="user", content=agent_instruction(task.instruction)),
        ]
        self.trajectory = Trajectory(
            task_id=task.id,
            messages=list(self.messages),
            tools=[t.spec for t in self.tool_list],
            seed=seed,
            chat_format=self.chat_format_name,
        )
        info: dict[str, Any] = {
            "task_id": task.id,
            "tools": [t.spec.to_openai() for t in self.tool_list],
            "chat_format": self.chat_format_name,
            "timings": Timings(reset_s=reset_s),
            "backend": self._resolved_backend(),
        }
        if self.render_prompt:
            info["prompt"] = self.prompt()
        return [m.to_openai() for m in self.messages], info

    def step(
        self, action: str | Message | dict[str, Any]
    ) -> tuple[list[dict[str, Any]], float, bool, bool, dict[str, Any]]:
        if self.done:
            raise AgentGymError("the episode is over; call reset()")
        if self.sandbox is None or self.task is None:
            raise AgentGymError("call reset() before step()")
        t0 = time.perf_counter()
        self.turn += 1
        info: dict[str, Any] = {"turn": self.turn}
        assistant, parse_error = self._parse(action)
        parse_s = time.perf_counter() - t0
        self.messages.append(assistant)
        new: list[Message] = []
        terminated = False
        step_flags: list[dict[str, Any]] = []
        if parse_error is not None:
            info["parse_error"] = parse_error
            # A scaffold's format (agentgym.scaffolds) answers in its harness's own wording.
            feedback = self._parse_feedback or (
                f"Your reply could not be parsed: {parse_error}\nFix the tool call format and "
                "try again."
            )
            new.append(Message(role="user", content=feedback))
        elif not assistant.tool_calls:
            if getattr(self.fmt, "finish_without_tool_call", False):
                terminated = True  # harnesses where a reply without a tool call ends the run
                info["finished_by"] = "no_tool_call"
            else:
                names = ", ".join(self.tool_by_name)
                text = getattr(self.fmt, "no_tool_call_message", None)
                new.append(Message(role="user", content=text or NO_TOOL_CALL.format(tools=names)))
        else:
            for call in assistant.tool_calls:
                obs = self._execute(call)
                new.append(
                    Message(role="tool", content=obs.content, tool_call_id=call.id, name=call.name)
                )
                # Under a perturbation wrapper the call may use renamed tools/arguments; the
                # monitor judges what really ran.
                real = obs.metadata.get("real_call")
                if self.monitor is not None:
                    checked = _with_fields(call, real) if real else call
                    self._canonical_calls[call.id] = checked
                    for flag in self.monitor.check_call(checked, obs, self.turn - 1):
                        step_flags.append(flag.model_dump(mode="json"))
                elif real:  # merged only if a monitor ever asks (_canonical_trajectory)
                    self._canonical_calls[call.id] = (call, real)
                if obs.metadata.get("infrastructure_error"):
                    # The infrastructure broke, not the agent: end the episode so trainers
                    # can mask it (info["infrastructure_error"]), and do not grade it.
                    info["infrastructure_error"] = True
                    info["infrastructure_cause"] = obs.metadata.get("infrastructure_cause")
                    break
                if obs.metadata.get("sandbox_unusable"):
                    # The agent broke its sandbox beyond repair: its failure, graded as is.
                    info["sandbox_unusable"] = obs.metadata["sandbox_unusable"]
                    break
                if obs.terminal:
                    terminated = True
                    break
        if self.monitor is not None:
            for flag in self.monitor.check_message(assistant, self.turn - 1):
                step_flags.append(flag.model_dump(mode="json"))
        tools_s = time.perf_counter() - t0 - parse_s
        self.messages.extend(new)
        self.flags.extend(step_flags)
        self.tokens_used += _approx_tokens(assistant) + sum(_approx_tokens(m) for m in new)
        truncated, why = self._budget_exceeded() if not terminated else (False, None)
        limit_message = getattr(self.fmt, "turn_limit_message", None)
        if truncated and limit_message and (why or "").startswith("max_turns"):
            note = Message(role="user", content=limit_message.format(turns=self.turn))
            self.messages.append(note)
            new.append(note)
        if info.get("infrastructure_error"):
            truncated, why = True, "infrastructure_error"
        elif info.get("sandbox_unusable"):
            truncated, why = True, "sandbox_unusable"
        reward = 0.0
        if terminated or truncated:
            self.done = True
            if why:
                info["truncated_by"] = why
            graded = terminated or self.grade_on_truncation
            if self.grade_enabled and graded and not info.get("infrastructure_error"):
                reward = self._finish(info)
            if self.release_on_done:
                self._release_sandbox()
        timing = StepTiming(parse_s=parse_s, tools_s=tools_s, total_s=time.perf_counter() - t0)
        info["timings"] = Timings(**timing.model_dump())
        info["monitor_flags"] = step_flags
        if self.trajectory is not None:
            self.trajectory.messages.extend([assistant, *new])
            self.trajectory.timings.append(timing)
        if self.render_prompt and not self.done:
            info["prompt"] = self.prompt()
        return [m.to_openai() for m in new], reward, terminated, truncated, info

    def end_episode(self, reason: str = "ended by the caller") -> tuple[float, dict[str, Any]]:
        """End the running episode now, graded as a truncation (a trainer stopped it: its turn
        budget ran out, or the model stopped calling tools). ``(reward, info)``; an episode
        already over returns ``(trajectory reward, {})``."""
        if self.done or self.sandbox is None or self.task is None:
            return (self.trajectory.reward or 0.0) if self.trajectory else 0.0, {}
        self.done = True
        info: dict[str, Any] = {"truncated_by": reason}
        reward = 0.0
        if self.grade_enabled and self.grade_on_truncation:
            reward = self._finish(info)
        if self.release_on_done:
            self._release_sandbox()
        return reward, info

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self.prompt()
        return None

    def close(self) -> None:
        self._release_sandbox()
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        super().close()

    # -- helpers -------------------------------------------------------------------

    def prompt(self, add_generation_prompt: bool = True) -> str:
        """The whole conversation rendered in the episode's chat format."""
        return self.fmt.render(
            self.messages,
            tools=[t.spec for t in self.tool_list],
            add_generation_prompt=add_generation_prompt,
        )

    def _parse(self, action: str | Message | dict[str, Any]) -> tuple[Message, str | None]:
        self._parse_feedback = None
        if isinstance(action, (Message, dict)):
            try:
                msg = action if isinstance(action, Message) else Message.model_validate(action)
            except ValueError as exc:
                return Message(role="assistant", content=str(action)[:2000]), str(exc)
            if msg.role != "assistant":
                msg = msg.model_copy(update={"role": "assistant"})
            # Formats with tools written in the text read a structured reply's text actions.
            read_text_actions = getattr(self.fmt, "parse_message", None)
            if read_text_actions is not None:
                try:
                    msg = read_text_actions(msg)
                except ParseError as exc:
                    self._parse_feedback = getattr(exc, "feedback", None)
                    return msg, str(exc)
            return self._number_calls(msg), None
        if not isinstance(action, str):
            return Message(role="assistant", content=repr(action)[:2000]), (
                f"the action must be the completion text (str) or a Message, not {type(action).__name__}"
            )
        try:
            # The tools validate their own arguments and answer in a tool message.
            msg = self.fmt.parse(action, tools=[t.spec for t in self.tool_list], validate=False)
        except ParseError as exc:
            self._parse_feedback = getattr(exc, "feedback", None)
            return Message(role="assistant", content=action), str(exc)
        return self._number_calls(msg, raw=action), None

    def _number_calls(self, msg: Message, raw: str | None = None) -> Message:
        # Deterministic call ids (the same actions give the same episode, byte for byte).
        # Ids the model wrote itself (e.g. Kimi's "functions.bash:0") are kept; ids a parser
        # or client made up are replaced by call_<turn>_<i>.
        calls = [
            call
            if call.id and raw is not None and call.id in raw and not _RANDOM_ID.match(call.id)
            else call.model_copy(update={"id": f"call_{self.turn}_{i}"})
            for i, call in enumerate(msg.tool_calls)
        ]
        return msg.model_copy(update={"tool_calls": calls})

    def _execute(self, call: ToolCall) -> Observation:
        assert self.sandbox is not None
        try:
            return execute_call(self.tool_by_name, self.sandbox, call)
        except AgentGymError as exc:  # a sandbox that broke for good
            return sandbox_failure(call.name, self.sandbox, exc)

    def _canonical_trajectory(self) -> Trajectory:
        """The trajectory with every call as it really ran (perturbed names mapped back)."""
        assert self.trajectory is not None
        calls = {
            k: _with_fields(*v) if isinstance(v, tuple) else v
            for k, v in self._canonical_calls.items()
        }
        messages = _canonical(self.trajectory.messages, calls)
        return self.trajectory.model_copy(update={"messages": messages})

    def _budget_exceeded(self) -> tuple[bool, str | None]:
        if self.turn >= self.max_turns:
            return True, f"max_turns={self.max_turns}"
        if self.max_tokens is not None and self.tokens_used >= self.max_tokens:
            return True, f"max_tokens={self.max_tokens}"
        wall = self.max_wall_s
        if wall is None and self.task is not None:
            wall = self.task.limits.agent_timeout_s  # task.toml [agent] timeout_sec
        if wall is not None and time.monotonic() - self.started_at >= wall:
            return True, f"max_wall_s={wall:g}"
        return False, None

    def _finish(self, info: dict[str, Any]) -> float:
        """Grade the episode; record reward, breakdown and monitor report."""
        from agentgym.grading import grade_episode

        assert self.task is not None and self.sandbox is not None
        result = grade_episode(
            self.task,
            self.sandbox,
            self.base_commit,
            backend=self._resolved_backend(),
            pool=self._pool,
            image=self._images.get(self.task.id),
        )
        reward = result.reward
        report = None
        if self.monitor is not None and self.trajectory is not None:
            from agentgym.monitor import apply_penalty

            metrics = {"lines_changed": result.diff_lines, "files_changed": len(result.diff_files)}
            report = self.monitor.finalize(self._canonical_trajectory(), metrics)
            if self.monitor_penalties:
                reward = apply_penalty(reward, report, floor=0.0)
            info["monitor"] = report.info()
        info["grade"] = result.model_dump()
        # "tests": agentgym's fresh-container grading by node id; "harbor_verifier": the
        # task's tests/test.sh in this episode's container, as Harbor grades it.
        info["grading"] = result.method
        info["reward_breakdown"] = {
            "tests": result.breakdown,
            "status": result.status,
            "error_kind": result.error_kind,
            "grader_reward": result.reward,
            "penalty": (result.reward - reward),
        }
        info["infrastructure_error"] = result.status == "error"
        if self.trajectory is not None:
            self.trajectory.reward = reward
            self.trajectory.reward_breakdown = copy.deepcopy(info["reward_breakdown"])
            flags = report.flag_dicts() if report is not None else list(self.flags)
            self.trajectory.monitor_flags = flags
            if result.status == "error":
                self.trajectory.error = result.error
        return reward


def _canonical(messages: list[Message], calls: dict[str, ToolCall]) -> list[Message]:
    out = []
    for m in messages:
        if m.tool_calls and any(c.id in calls for c in m.tool_calls):
            m = m.model_copy(update={"tool_calls": [calls.get(c.id, c) for c in m.tool_calls]})
        out.append(m)
    return out


def _with_fields(call: ToolCall, update: dict[str, Any]) -> ToolCall:
    """``call.model_copy(update=update)`` without pydantic's generic copy (once per call under
    a perturbation wrapper)."""
    if call.__pydantic_private__ is not None or call.__pydantic_extra__ is not None:
        return call.model_copy(update=update)
    new = ToolCall.__new__(ToolCall)
    object.__setattr__(new, "__dict__", {**call.__dict__, **update})
    object.__setattr__(new, "__pydantic_fields_set__", call.__pydantic_fields_set__ | update.keys())
    object.__setattr__(new, "__pydantic_extra__", None)
    object.__setattr__(new, "__pydantic_private__", None)
    return new


def _approx_tokens(message: Message) -> int:
    size = len(message.content or "") + len(message.reasoning or "")
    size += sum(len(json.dumps(c.arguments)) + len(c.name) for c in message.tool_calls)
    return size // 4 + 4


def _load_tasks(tasks: Sequence[Task] | str | Path) -> list[Task]:
    if isinstance(tasks, (str, Path)):
        from agentgym.tasks import shared_tasks

        return shared_tasks(Path(tasks))
    return list(tasks)


def _make_monitor(spec: bool | str | Sequence[str]) -> Any:
    if spec is False or spec is None:
        return None
    from agentgym.monitor import Monitor

    if spec is True:
        return Monitor()
    paths = [spec] if isinstance(spec, str) else list(spec)
    return Monitor.from_files(*paths)


__all__ = ["DEFAULT_SYSTEM_PROMPT", "CodingEnv"]
