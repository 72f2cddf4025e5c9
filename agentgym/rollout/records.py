"""Rollout records: what to run (``EpisodeSpec``) and what happened (``EpisodeResult``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class EpisodeSpec(BaseModel):
    """One episode of a run: which env, task, recipe (condition) and seed; ``key`` is unique."""

    model_config = ConfigDict(extra="forbid")

    policy: str
    env_id: str
    task_id: str
    seed: int
    recipe: str = "clean"
    axis: str = "all"  # perturbation surface this condition varies ('all' = the whole recipe)
    severity: str = "clean"
    max_turns: int = 12

    @property
    def condition(self) -> str:
        return self.recipe if self.axis == "all" else f"{self.recipe}:{self.axis}"

    @property
    def key(self) -> str:
        return f"{self.policy}|{self.env_id}|{self.condition}|{self.task_id}|{self.seed}"


class EpisodeResult(BaseModel):
    """One finished (or failed) episode; one JSONL line of ``episodes.jsonl``."""

    model_config = ConfigDict(extra="forbid")

    key: str
    spec: EpisodeSpec
    status: Literal["ok", "error", "infra_error"] = "ok"
    error: str | None = None
    reward: float = 0.0
    success: bool = False
    terminated: bool = False
    truncated: bool = False
    turns: int = 0
    parse_errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    retries: int = 0
    wall_s: float = 0.0
    env_s: float = 0.0
    policy_s: float = 0.0
    backend: str | None = None
    chat_format: str | None = None
    reward_breakdown: dict[str, Any] = Field(default_factory=dict)
    monitor_flags: list[dict[str, Any]] = Field(default_factory=list)
    perturbations: list[dict[str, Any]] = Field(default_factory=list)
    trajectory: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        """Everything but the trajectory (what results.json keeps)."""
        return self.model_dump(mode="json", exclude={"trajectory"})


__all__ = ["EpisodeResult", "EpisodeSpec"]
