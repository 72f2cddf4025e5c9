"""Core data records shared by every part of agentgym.

Messages follow the OpenAI chat shape that trainers and serving stacks already speak:
``Message.model_validate(openai_dict)`` accepts it, ``Message.to_openai()`` emits it.
All records are pydantic v2 models with ``extra="forbid"`` and round-trip through JSON.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Role = Literal["system", "user", "assistant", "tool"]


class Record(BaseModel):
    """Base for every data record: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- tools -----------------------------------------------------------------


class ToolSpec(Record):
    """A tool definition: name, description and a JSON Schema for its arguments."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})

    @model_validator(mode="before")
    @classmethod
    def _accept_openai(cls, data: Any) -> Any:
        # {"type": "function", "function": {...}} is the OpenAI wire shape.
        if isinstance(data, dict) and "function" in data and "name" not in data:
            return dict(data["function"])
        return data

    def to_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


def _new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


class ToolCall(Record):
    """One call of a tool by the assistant. ``arguments`` is always a dict here."""

    id: str = Field(default_factory=_new_call_id)
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    # The JSON text exactly as received when arguments came as a string (OpenAI wire shape):
    # chat templates treat string and dict arguments differently. Ignored once stale; not
    # part of equality, nor of the record's JSON (to_openai() still emits the text).
    raw_arguments: str | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _accept_openai(cls, data: Any) -> Any:
        if isinstance(data, dict) and "function" in data:
            fn = data["function"] or {}
            out: dict[str, Any] = {"name": fn.get("name"), "arguments": fn.get("arguments", {})}
            if data.get("id") is not None:
                out["id"] = data["id"]
            data = out
        if isinstance(data, dict) and isinstance(data.get("arguments"), str):
            raw = data["arguments"]
            try:
                parsed = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                return data  # the field validator reports it
            if isinstance(parsed, dict):
                data = {**data, "raw_arguments": data.get("raw_arguments") or raw}
        return data

    def __eq__(self, other: object) -> bool:
        # raw_arguments is how the arguments were spelled, not what they are.
        if not isinstance(other, ToolCall):
            return NotImplemented
        return (self.id, self.name, self.arguments) == (other.id, other.name, other.arguments)

    __hash__ = None  # type: ignore[assignment]

    def arguments_json(self) -> str:
        """The arguments as JSON text: the original text when still current, else a dump."""
        if self.raw_arguments is not None:
            try:
                if json.loads(self.raw_arguments) == self.arguments:
                    return self.raw_arguments
            except json.JSONDecodeError:
                pass
        return json.dumps(self.arguments, ensure_ascii=False)

    @field_validator("arguments", mode="before")
    @classmethod
    def _parse_json_arguments(cls, value: Any) -> Any:
        if value is None or value == "":
            return {}
        if isinstance(value, str):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"tool call arguments are not valid JSON: {exc}") from exc
            if not isinstance(parsed, dict):
                raise ValueError("tool call arguments must be a JSON object")
            return parsed
        return value

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments_json()},
        }


class Message(Record):
    """One chat message in the OpenAI shape, plus ``reasoning`` (interleaved thinking)."""

    role: Role
    content: str | None = None
    reasoning: str | None = Field(default=None, alias="reasoning_content")
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_openai(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if data.get("tool_calls") is None:
                data.pop("tool_calls", None)
            # Both spellings are common; "reasoning" wins if both are present.
            if "reasoning" in data and "reasoning_content" in data:
                data.pop("reasoning_content")
            content = data.get("content")
            if isinstance(content, list):
                # OpenAI content parts: keep the text parts, in order.
                data["content"] = "".join(
                    part.get("text", "") for part in content if isinstance(part, dict)
                )
        return data

    @model_validator(mode="after")
    def _check_roles(self) -> Message:
        if self.tool_calls and self.role != "assistant":
            raise ValueError(f"only assistant messages carry tool_calls, not {self.role!r}")
        return self

    def to_openai(self, *, reasoning_key: str = "reasoning_content") -> dict[str, Any]:
        """The OpenAI wire dict. Empty fields are left out."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.reasoning is not None:
            out[reasoning_key] = self.reasoning
        if self.tool_calls:
            out["tool_calls"] = [tc.to_openai() for tc in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            out["name"] = self.name
        return out


def as_message(obj: Message | dict[str, Any]) -> Message:
    """Accept our Message or an OpenAI/HF-style dict."""
    return obj if isinstance(obj, Message) else Message.model_validate(obj)


# --- execution -------------------------------------------------------------


class ExecResult(Record):
    """What one command in a sandbox produced."""

    output: str
    exit_code: int | None
    timed_out: bool = False
    truncated: bool = False
    bytes_cut: int = 0
    duration_s: float = 0.0
    shell_restarted: bool = False
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class Observation(Record):
    """What a tool returns to the agent: text, whether it is an error, and metadata."""

    content: str
    is_error: bool = False
    metadata: dict[str, Any] = Field(default_factory=dict)
    terminal: bool = False  # the submit tool ends the episode


# --- tasks and trajectories -------------------------------------------------


class TaskLimits(Record):
    """Resource limits and budgets for one task's sandbox and episode."""

    agent_timeout_s: float = 1800.0
    verifier_timeout_s: float = 600.0
    build_timeout_s: float = 600.0
    cpus: float = 1.0
    memory_mb: int = 2048
    storage_mb: int | None = None
    gpus: int = 0
    pids: int = 256
    command_timeout_s: float = 120.0
    max_turns: int = 100


class TaskEnv(Record):
    """Environment variables a task sets: Harbor's ``[environment.env]``, ``[verifier.env]``
    and ``[solution.env]`` (values may use ``${VAR}`` / ``${VAR:-default}`` from the host)."""

    environment: dict[str, str] = Field(default_factory=dict)
    verifier: dict[str, str] = Field(default_factory=dict)
    solution: dict[str, str] = Field(default_factory=dict)


class Task(Record):
    """A coding task: what to do, where its code lives, and how it is graded.

    Harbor folders load into it (``agentgym.tasks.load_task``); so do SWE-bench records.
    ``files`` holds the task folder's other text files (environment patches, hidden tests),
    keyed by their path inside the folder, so a task writes back byte for byte.
    """

    id: str
    instruction: str
    version: str = "1.0"
    path: str | None = None  # the task folder it was loaded from, if any
    source: str | None = None  # library under envs/_sources/ copied in as the repo
    workspace: str | None = None  # host path of the repo (folder or tarball)
    workdir: str = "/workspace"
    image: str | None = None  # docker image (built from environment/Dockerfile if None)
    dockerfile: str | None = None
    test_command: str | None = None
    fail_to_pass: list[str] = Field(default_factory=list)
    pass_to_pass: list[str] = Field(default_factory=list)
    test_files: list[str] = Field(default_factory=list)
    hidden_tests: dict[str, str] = Field(default_factory=dict)  # task file -> repo path
    hidden_test_patch: str | None = None
    solution_patch: str | None = None
    solution_script: str | None = None
    test_script: str | None = None  # tests/test.sh (Harbor verifier)
    files: dict[str, str] = Field(default_factory=dict)
    limits: TaskLimits = Field(default_factory=TaskLimits)
    metadata: dict[str, Any] = Field(default_factory=dict)
    env: TaskEnv = Field(default_factory=TaskEnv)
    # The task asks for network access (Harbor ``allow_internet = true`` or a public /
    # allowlist ``network_mode``); it gets it only where the user allows it too.
    internet: bool = False
    # task.toml keys agentgym keeps but does not act on ([task], artifacts, mcp_servers,
    # keys of newer schema versions, ...), nested as in the file; written back as they were.
    harbor_extra: dict[str, Any] = Field(default_factory=dict)


class StepTiming(Record):
    """Wall-clock split of one env step."""

    parse_s: float = 0.0
    tools_s: float = 0.0
    total_s: float = 0.0


class PerturbationRecord(Record):
    """One applied transform: enough to replay it."""

    transform: str
    target: str
    params: dict[str, Any] = Field(default_factory=dict)


class Trajectory(Record):
    """A whole episode: conversation, tools, timings, reward and what was perturbed."""

    task_id: str
    messages: list[Message] = Field(default_factory=list)
    tools: list[ToolSpec] = Field(default_factory=list)
    timings: list[StepTiming] = Field(default_factory=list)
    reward: float | None = None
    reward_breakdown: dict[str, Any] = Field(default_factory=dict)
    monitor_flags: list[dict[str, Any]] = Field(default_factory=list)
    perturbations: list[PerturbationRecord] = Field(default_factory=list)
    seed: int | None = None
    chat_format: str | None = None
    error: str | None = None
    created: float = Field(default_factory=time.time)
    metadata: dict[str, Any] = Field(default_factory=dict)
