"""Pydantic models of the files a task folder holds: ``task.toml`` and ``SOURCE.toml``.

``task.toml`` follows Harbor's task schema (``harbor/models/task/config.py``), every version
from 1.0 (``version = "1.0"``, ``memory = "2G"``) to 1.4 (``[task]``, ``artifacts``,
``network_mode``, ``[[steps]]``, ...), plus agentgym's one extension table ``[agentgym]``.
Harbor's tables accept keys this model does not name: they are kept (``model_extra``) and
reported as warnings by the loader, never errors, because a newer Harbor may have added
them. ``[agentgym]`` is ours, so a misspelt key there is an error.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agentgym.tasks.nodeids import check_node_id, check_relative_path, parse_hidden_test

# Schema versions whose keys this model knows; a newer one loads, with a warning.
KNOWN_SCHEMA_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4")
NetworkMode = Literal["public", "no-network", "allowlist"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _HarborTable(BaseModel):
    """A table of Harbor's schema: unknown keys are kept, and the loader warns about them."""

    model_config = ConfigDict(extra="allow")


def _absolute_workdir(value: str | None) -> str | None:
    if value is not None and not value.startswith("/"):
        raise ValueError(f"workdir {value!r} must be an absolute path in the container")
    return value


def parse_size_mb(text: str) -> int:
    """Harbor's deprecated ``memory`` / ``storage`` strings ("2G", "512M", "4 GB") in MB."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([GMK])B?\s*", text.upper())
    if not match:
        raise ValueError(f"invalid size {text!r}: expected a number and G, M or K, e.g. '2G'")
    number, unit = float(match.group(1)), match.group(2)
    return int(number * 1024) if unit == "G" else int(number) if unit == "M" else int(number / 1024)


class Author(_HarborTable):
    name: str
    email: str | None = None


class PackageSection(_HarborTable):
    """``[task]`` (schema 1.1+): the package name in the Harbor registry; descriptive here."""

    name: str
    version: str | None = None
    description: str = ""
    authors: list[Author] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class AgentSection(_HarborTable):
    """``[agent]``: the agent's wall-clock budget (and, kept only, user and network)."""

    timeout_sec: float | None = Field(None, gt=0)
    user: str | int | None = None
    network_mode: NetworkMode | None = None
    allowed_hosts: list[str] | None = None


class VerifierSection(_HarborTable):
    """``[verifier]``: how long tests/test.sh may run and the environment it gets."""

    timeout_sec: float = Field(600.0, gt=0)
    env: dict[str, str] = Field(default_factory=dict)
    user: str | int | None = None
    network_mode: NetworkMode | None = None
    allowed_hosts: list[str] | None = None
    environment_mode: Literal["shared", "separate"] | None = None
    environment: dict[str, Any] | None = None
    collect: list[dict[str, Any]] = Field(default_factory=list)
    continuous: dict[str, Any] | None = None


class SolutionSection(_HarborTable):
    """``[solution]``: the environment solve.sh runs with."""

    env: dict[str, str] = Field(default_factory=dict)


class EnvironmentSection(_HarborTable):
    """``[environment]``: image, resources, network and environment variables."""

    build_timeout_sec: float = Field(600.0, gt=0)
    docker_image: str | None = None
    os: str | None = None
    cpus: float | None = Field(None, gt=0)
    memory_mb: int | None = Field(None, ge=16)
    storage_mb: int | None = Field(None, ge=64)
    gpus: int | None = Field(None, ge=0)
    gpu_types: list[str] | None = None
    tpu: dict[str, Any] | None = None
    allow_internet: bool | None = None
    network_mode: NetworkMode | None = None
    allowed_hosts: list[str] | None = None
    mcp_servers: list[dict[str, Any]] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    skills_dir: str | None = None
    healthcheck: dict[str, Any] | None = None
    workdir: str | None = None
    # Schema 1.0's spellings, read as Harbor reads them (into memory_mb / storage_mb).
    memory: str | None = None
    storage: str | None = None

    @model_validator(mode="after")
    def _sizes(self) -> EnvironmentSection:
        for old, new in (("memory", "memory_mb"), ("storage", "storage_mb")):
            text = getattr(self, old)
            if text is None:
                continue
            size = parse_size_mb(text)
            current = getattr(self, new)
            if current is not None and current != size:
                raise ValueError(f"{old} = {text!r} ({size} MB) disagrees with {new} = {current}")
            setattr(self, new, size)
        return self

    _workdir = field_validator("workdir")(staticmethod(_absolute_workdir))

    def wants_internet(self) -> bool:
        """Whether the task asks for network: ``network_mode`` wins over ``allow_internet``."""
        if self.network_mode is not None:
            return self.network_mode != "no-network"
        return bool(self.allow_internet)


class AgentgymSection(_Section):
    """``[agentgym]``: where the repo comes from and which tests decide the reward."""

    source: str | None = None
    workdir: str | None = None  # default: [environment] workdir, else the Dockerfile's WORKDIR
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

    _workdir = field_validator("workdir")(staticmethod(_absolute_workdir))

    @field_validator("source")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        if value is not None:
            check_relative_path(value, "source")
        return value


class TaskToml(_HarborTable):
    """The whole ``task.toml`` of a Harbor task folder, plus our ``[agentgym]`` table."""

    schema_version: str = "1.0"
    source: str | None = None
    task: PackageSection | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    verifier: VerifierSection = Field(default_factory=VerifierSection)
    agent: AgentSection = Field(default_factory=AgentSection)
    environment: EnvironmentSection = Field(default_factory=EnvironmentSection)
    solution: SolutionSection = Field(default_factory=SolutionSection)
    artifacts: list[str | dict[str, Any]] = Field(default_factory=list)
    steps: list[dict[str, Any]] | None = None
    multi_step_reward_strategy: Literal["mean", "final"] | None = None
    multi_step_reward_mode: str | None = None  # before 1.3; Harbor drops it
    agentgym: AgentgymSection | None = None

    @model_validator(mode="before")
    @classmethod
    def _version_key(cls, data: Any) -> Any:
        # Schema 1.0 spells it ``version``; Harbor reads it as schema_version.
        if isinstance(data, dict) and "version" in data:
            data = dict(data)
            version = data.pop("version")
            data.setdefault("schema_version", version)
        return data


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
