"""Pydantic models of the files a task folder holds: ``task.toml`` and ``SOURCE.toml``.

Unknown keys are errors (``extra="forbid"``) so a typo never silently changes grading.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentgym.tasks.nodeids import check_node_id, check_relative_path, parse_hidden_test


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetadataSection(_Section):
    """``[metadata]``: descriptive only, never read by the grader."""

    author_name: str | None = None
    author_email: str | None = None
    category: str | None = None
    difficulty: Literal["easy", "medium", "hard"] | None = None
    tags: list[str] = Field(default_factory=list)
    source_lib: str | None = None
    source_task: str | None = None  # e.g. the SWE-bench instance id it was converted from
    # The record's fields agentgym keeps but does not grade with (repo, version,
    # environment_setup_commit, hints_text, difficulty, image_assets, ...).
    swebench: dict[str, Any] | None = None


class AgentSection(_Section):
    """``[agent]``: the agent's wall-clock budget."""

    timeout_sec: float = Field(1800.0, gt=0)


class VerifierSection(_Section):
    """``[verifier]``: how long tests/test.sh may run."""

    timeout_sec: float = Field(600.0, gt=0)


class EnvironmentSection(_Section):
    """``[environment]``: image build and container resources."""

    build_timeout_sec: float = Field(600.0, gt=0)
    cpus: float = Field(1.0, gt=0)
    memory_mb: int = Field(2048, ge=16)
    storage_mb: int | None = Field(None, ge=64)


class AgentgymSection(_Section):
    """``[agentgym]``: where the repo comes from and which tests decide the reward."""

    source: str | None = None
    workdir: str = "/workspace"
    fail_to_pass: list[str] = Field(default_factory=list)
    pass_to_pass: list[str] = Field(default_factory=list)
    test_files: list[str] = Field(default_factory=list)
    hidden_tests: list[str] = Field(default_factory=list)
    test_patch: str | None = None  # a file under tests/ applied with `git apply` at grading

    @field_validator("fail_to_pass", "pass_to_pass")
    @classmethod
    def _node_ids(cls, value: list[str]) -> list[str]:
        for node_id in value:
            check_node_id(node_id)
        if len(set(value)) != len(value):
            dupes = sorted({n for n in value if value.count(n) > 1})
            raise ValueError(f"duplicate node ids: {dupes[:3]}")
        return value

    @field_validator("test_files")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            check_relative_path(path, "test file")
        return value

    @field_validator("hidden_tests")
    @classmethod
    def _hidden(cls, value: list[str]) -> list[str]:
        for entry in value:
            parse_hidden_test(entry)
        return value

    @field_validator("workdir")
    @classmethod
    def _workdir(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"workdir {value!r} must be an absolute path in the container")
        return value

    @field_validator("source")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        if value is not None:
            check_relative_path(value, "source")
        return value


class TaskToml(_Section):
    """The whole ``task.toml`` of a Harbor task folder, plus our ``[agentgym]`` table."""

    version: str = "1.0"
    metadata: MetadataSection = Field(default_factory=MetadataSection)
    agent: AgentSection = Field(default_factory=AgentSection)
    verifier: VerifierSection = Field(default_factory=VerifierSection)
    environment: EnvironmentSection = Field(default_factory=EnvironmentSection)
    agentgym: AgentgymSection | None = None


class SourceInfo(_Section):
    """``envs/_sources/<lib>/SOURCE.toml``: provenance and licence of a bundled library."""

    name: str
    version: str
    sdist: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    url: str | None = None
    license: str
    license_file: str
    redistribution: str
    pythonpath: list[str] = Field(default_factory=list)
    tests: str
    pruned: str = ""
