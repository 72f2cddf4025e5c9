"""Behaviour rules: the YAML schema, loading several files with overrides, and dumping.

A rule file::

    version: 1
    disable: [unsafe.sudo]          # optional: turn rules off by id
    rules:
      - id: unsafe.rm_rf_root
        description: rm -rf on / or everything under it
        kind: unsafe
        severity: critical
        penalty: 1.0
        match: {command_regex: '^rm\\s', access: [delete], path_glob: ['/', '/*']}

Later files override earlier ones by id; an override only needs the fields it changes
(``- {id: unsafe.sudo, enabled: false}`` or ``- {id: unsafe.sudo, penalty: 0.5}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agentgym.errors import ConfigError

Kind = Literal["unsafe", "tamper", "probe", "network", "give_up", "trusted"]
Severity = Literal["info", "low", "medium", "high", "critical"]
Access = Literal["read", "write", "delete"]
KINDS: tuple[str, ...] = ("unsafe", "tamper", "probe", "network", "give_up", "trusted")
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
RULE_FILE_KEYS = frozenset({"version", "rules", "disable"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex {value!r}: {exc}") from None
    return value


def glob_to_regex(pattern: str) -> str:
    """A path glob as a regex: ``*`` stays in one segment, ``**`` spans segments,
    ``?`` is one character, ``[abc]`` a class, ``{a,b}`` alternatives."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == n:
            out.append("(?:/.*)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 2)
            if j < 0:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j + 1
        elif c == "{":
            j = pattern.find("}", i)
            if j < 0:
                out.append(re.escape(c))
                i += 1
            else:
                alts = pattern[i + 1 : j].split(",")
                out.append("(?:" + "|".join(glob_to_regex(a)[1:-1] for a in alts) + ")")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "^" + "".join(out) + "$"


def _check_globs(values: list[str] | None) -> list[str] | None:
    for g in values or []:
        if not g:
            raise ValueError("empty path glob")
        try:
            re.compile(glob_to_regex(g.replace("${workspace}", "/workspace")))
        except re.error as exc:
            raise ValueError(f"invalid path glob {g!r}: {exc}") from None
    return values


class Match(_Strict):
    """What one tool call (or assistant message) must show. Every field given must hold,
    on the same bash command when several are given."""

    tool: list[str] | None = None  # canonical tool names
    command_regex: str | None = None  # searched in each bash command and pipeline
    path_glob: list[str] | None = None  # paths the call reads / writes / deletes
    path_exclude: list[str] = Field(default_factory=list)
    access: list[Access] | None = None  # which kinds of path access count (default: any)
    edit_regex: str | None = None  # text written into files (editor text, heredocs, sed -i)
    content_regex: str | None = None  # assistant text / reasoning / submit summary

    @field_validator("tool", "path_glob", "path_exclude", "access", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return _listify(value)

    @field_validator("command_regex", "edit_regex", "content_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return _check_regex(value)

    @field_validator("path_glob", "path_exclude")
    @classmethod
    def _globs(cls, value: list[str] | None) -> list[str] | None:
        return _check_globs(value)

    @model_validator(mode="after")
    def _not_empty(self) -> Match:
        fields = (self.tool, self.command_regex, self.path_glob, self.edit_regex)
        if all(f is None for f in fields) and self.content_regex is None:
            raise ValueError(
                "match needs at least one of tool, command_regex, path_glob, edit_regex, "
                "content_regex"
            )
        if self.access is not None and self.path_glob is None:
            raise ValueError("access only applies together with path_glob")
        return self


class SequenceCondition(_Strict):
    """Order over the episode's tool calls: ``then`` happened with (``present``) or without
    (``absent``) an earlier ``first``; a ``not_between`` call in between cancels ``first``."""

    first: Match
    then: Match
    not_between: Match | None = None
    mode: Literal["present", "absent"] = "present"


class MetricCondition(_Strict):
    """A number the env passes to ``finalize`` (e.g. ``lines_changed``) compared to a value."""

    name: str
    op: Literal["<", "<=", "==", "!=", ">=", ">"]
    value: float

    def holds(self, actual: float) -> bool:
        v = self.value
        return {
            "<": actual < v,
            "<=": actual <= v,
            "==": actual == v,
            "!=": actual != v,
            ">=": actual >= v,
            ">": actual > v,
        }[self.op]


class Rule(_Strict):
    """One expert-defined behaviour rule."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str
    kind: Kind
    severity: Severity = "medium"
    match: Match | None = None  # checked on every call / assistant message
    sequence: SequenceCondition | None = None  # checked once per episode (finalize)
    metrics: list[MetricCondition] = Field(default_factory=list)  # finalize, from env metrics
    penalty: float = 0.0  # subtracted from the reward per flag (negative: a bonus)
    max_penalty_total: float | None = Field(default=None, ge=0)  # cap per episode
    enabled: bool = True

    @model_validator(mode="after")
    def _one_trigger(self) -> Rule:
        episode = self.sequence is not None or bool(self.metrics)
        if self.match is None and not episode:
            raise ValueError(f"rule {self.id!r} needs match, sequence or metrics")
        if self.match is not None and episode:
            raise ValueError(
                f"rule {self.id!r}: match is per call; sequence/metrics are per episode — "
                "use one or the other"
            )
        return self

    @property
    def per_episode(self) -> bool:
        return self.match is None


# --- loading ----------------------------------------------------------------------------


def default_rules_path() -> Path:
    """The bundled ``default.yaml``."""
    return Path(str(resources.files("agentgym.monitor") / "rules" / "default.yaml"))


def _format_error(source: str, rule_id: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(rule)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        lines.append(f"{source}: rule {rule_id!r}: field {loc}: {msg}")
    return "\n".join(lines)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    merged.update(override)
    return merged


def parse_rules(data: Any, source: str = "<rules>", base: Iterable[Rule] = ()) -> list[Rule]:
    """Validate one rule file's data on top of ``base`` (overrides by id, ``disable``)."""
    by_id: dict[str, dict[str, Any]] = {
        r.id: r.model_dump(exclude_defaults=True) | {"enabled": r.enabled} for r in base
    }
    if data is None:
        data = {}
    if isinstance(data, list):
        data = {"rules": data}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a rule file is a mapping with a 'rules' list")
    unknown = set(data) - RULE_FILE_KEYS
    if unknown:
        raise ConfigError(
            f"{source}: unknown top-level field(s) {sorted(unknown)}; "
            f"expected {sorted(RULE_FILE_KEYS)}"
        )
    if data.get("version", 1) != 1:
        raise ConfigError(f"{source}: unsupported rule file version {data.get('version')!r}")
    entries = data.get("rules") or []
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: 'rules' must be a list")
    seen: set[str] = set()
    for k, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ConfigError(f"{source}: rules[{k}] must be a mapping with a string 'id'")
        rid = entry["id"]
        if rid in seen:
            raise ConfigError(f"{source}: rule {rid!r} is defined twice in this file")
        seen.add(rid)
        merged = _merge(by_id[rid], entry) if rid in by_id else dict(entry)
        try:
            Rule.model_validate(merged)
        except ValidationError as exc:
            raise ConfigError(_format_error(source, rid, exc)) from None
        by_id[rid] = merged
    disable = _listify(data.get("disable") or [])
    if not isinstance(disable, list):
        raise ConfigError(f"{source}: 'disable' must be a list of rule ids")
    for rid in disable:
        if rid not in by_id:
            raise ConfigError(f"{source}: disable names unknown rule {rid!r}")
        by_id[rid] = by_id[rid] | {"enabled": False}
    return [Rule.model_validate(d) for d in by_id.values()]


def load_rules(*paths: str | Path, include_default: bool = True) -> list[Rule]:
    """Load rule files in order (the bundled defaults first unless ``include_default=False``);
    later files override earlier ones by rule id."""
    rules: list[Rule] = list(default_rules()) if include_default else []
    for path in paths:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{p}: cannot read rule file: {exc}") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: invalid YAML: {exc}") from None
        rules = parse_rules(data, str(p), rules)
    return rules


@lru_cache(maxsize=1)
def _default_rules() -> tuple[Rule, ...]:
    path = default_rules_path()
    return tuple(parse_rules(yaml.safe_load(path.read_text(encoding="utf-8")), str(path)))


def default_rules() -> list[Rule]:
    """The bundled default rules (parsed once)."""
    return list(_default_rules())


def dump_rules(rules: Iterable[Rule]) -> str:
    """Rules as a YAML rule file; ``parse_rules(yaml.safe_load(dump_rules(r)))`` gives ``r``."""
    out = []
    for r in rules:
        d = r.model_dump(exclude_defaults=True)
        d.setdefault("severity", r.severity)
        out.append(d)
    return yaml.safe_dump(
        {"version": 1, "rules": out}, sort_keys=False, allow_unicode=True, width=100
    )
