"""Word lists and text banks bundled as package data (``agentgym/perturb/data/*.yaml``)."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import yaml


@functools.cache
def bank(name: str) -> Any:
    """The parsed ``data/<name>.yaml`` (cached; treat it as read-only)."""
    text = resources.files("agentgym.perturb").joinpath("data", f"{name}.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@functools.cache
def phrase_table() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The paraphrase bank as ``(phrase, alternatives)`` pairs, longest phrase first."""
    items = sorted(bank("phrases").items(), key=lambda kv: (-len(kv[0]), kv[0]))
    return tuple((k.lower(), tuple(v)) for k, v in items)


@functools.cache
def phrase_regex() -> re.Pattern[str]:
    keys = [re.escape(k) for k, _ in phrase_table()]
    return re.compile(r"(?<![\w`])(?:" + "|".join(keys) + r")(?![\w`])", re.IGNORECASE)
