"""The behaviour monitor: apply rules to tool calls as they happen and to whole episodes.

The env calls :meth:`Monitor.check_call` after each tool call (fast: regexes and globs are
compiled once, bash parsing is cached) and :meth:`Monitor.finalize` once at the end, which
re-reads the whole trajectory, so the final report depends only on the trajectory and the
metrics, never on what was checked incrementally.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentgym.monitor.rules import (
    KINDS,
    SEVERITIES,
    Kind,
    Match,
    Rule,
    Severity,
    default_rules,
    glob_to_regex,
    load_rules,
)
from agentgym.monitor.shell import parse
from agentgym.types import Message, Observation, ToolCall, Trajectory

Role = Literal["shell", "editor", "search", "submit", "other"]
EVIDENCE_CHARS = 200


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolRoles(_Strict):
    """Which tools the monitor reads as a shell, an editor, a search or a submit, and the
    argument that holds the command / path / summary. ``aliases`` maps renamed tools
    (perturbations) back to their canonical names."""

    shell: dict[str, str] = Field(default_factory=lambda: {"bash": "command"})
    editor: dict[str, str] = Field(default_factory=lambda: {"editor": "path"})
    search: dict[str, str] = Field(default_factory=lambda: {"search": "path"})
    submit: dict[str, str] = Field(default_factory=lambda: {"submit": "summary"})
    aliases: dict[str, str] = Field(default_factory=dict)
    editor_read_commands: list[str] = Field(default_factory=lambda: ["view"])
    editor_text_args: list[str] = Field(default_factory=lambda: ["file_text", "new_str"])

    def role(self, name: str) -> tuple[Role, str | None]:
        for role in ("shell", "editor", "search", "submit"):
            table: dict[str, str] = getattr(self, role)
            if name in table:
                return role, table[name]  # type: ignore[return-value]
        return "other", None


class Flag(_Strict):
    """One rule that fired: where, on what, and what it costs."""

    rule_id: str
    kind: Kind
    severity: Severity
    step: int  # 0-based assistant turn
    tool: str | None = None  # None for assistant text and episode-level rules
    evidence: str = ""  # the matched text, truncated
    penalty: float = 0.0
    call_id: str | None = None
    call_failed: bool = False  # the tool answered with an error (an attempt, not a success)


class MonitorReport(_Strict):
    """Everything the monitor concluded about one episode."""

    flags: list[Flag] = Field(default_factory=list)  # every kind except trusted
    trusted: list[Flag] = Field(default_factory=list)  # trusted behaviours seen
    counts_by_kind: dict[str, int] = Field(default_factory=dict)
    counts_by_severity: dict[str, int] = Field(default_factory=dict)
    counts_by_rule: dict[str, int] = Field(default_factory=dict)
    penalty_total: float = 0.0
    skipped: list[str] = Field(default_factory=list)  # metric rules without their metric

    def flag_dicts(self) -> list[dict[str, Any]]:
        """For ``Trajectory.monitor_flags``: every flag, trusted ones included."""
        return [f.model_dump() for f in [*self.flags, *self.trusted]]

    def info(self) -> dict[str, Any]:
        """A JSON-ready summary for the env's ``info``."""
        return self.model_dump()

    @property
    def worst_severity(self) -> Severity | None:
        if not self.flags:
            return None
        return max((f.severity for f in self.flags), key=SEVERITIES.index)


def apply_penalty(reward: float, report: MonitorReport, *, floor: float | None = None) -> float:
    """``reward - report.penalty_total``, not below ``floor`` when one is given."""
    out = reward - report.penalty_total
    return out if floor is None else max(floor, out)


# --- compiled matching -------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    """One thing a call did: a bash command (text) or an editor / search / submit action."""

    tool: str
    text: str | None  # bash command text; None for other tools
    accesses: tuple[tuple[str, str], ...] = ()
    written: str = ""
    content: str = ""


def _snippet(text: str, start: int, limit: int = EVIDENCE_CHARS) -> str:
    text = text.replace("\n", "\\n") if len(text) <= limit else text
    if len(text) <= limit:
        return text
    lo = max(0, min(start - limit // 4, len(text) - limit))
    out = text[lo : lo + limit].replace("\n", "\\n")
    return ("…" if lo else "") + out + ("…" if lo + limit < len(text) else "")


class _Globs:
    """Globs split by how they anchor: absolute, workspace-relative, or on the basename."""

    def __init__(self, globs: Iterable[str], workspace: str) -> None:
        absolute, relative, base = [], [], []
        for g in globs:
            g = g.replace("${workspace}", workspace)
            rx = glob_to_regex(g)[1:-1]
            if g.startswith("/"):
                absolute.append(rx)
            elif "/" in g:
                relative.append(rx)
            else:
                base.append(rx)
        self.abs = re.compile("^(?:" + "|".join(absolute) + ")$") if absolute else None
        self.rel = re.compile("^(?:" + "|".join(relative) + ")$") if relative else None
        self.base = re.compile("^(?:" + "|".join(base) + ")$") if base else None
        self.prefix = workspace.rstrip("/") + "/"
        self.workspace = workspace.rstrip("/") or "/"

    def __call__(self, path: str) -> bool:
        if self.abs is not None and self.abs.match(path):
            return True
        if self.base is not None and self.base.match(path.rsplit("/", 1)[-1]):
            return True
        if self.rel is not None:
            if path.startswith(self.prefix):
                return self.rel.match(path[len(self.prefix) :]) is not None
            if path == self.workspace:
                return self.rel.match("") is not None
        return False


class _CompiledMatch:
    def __init__(self, m: Match, workspace: str) -> None:
        self.tools = frozenset(m.tool) if m.tool else None
        self.command = re.compile(m.command_regex) if m.command_regex else None
        self.paths = _Globs(m.path_glob, workspace) if m.path_glob else None
        self.exclude = _Globs(m.path_exclude, workspace) if m.path_exclude else None
        self.access = frozenset(m.access) if m.access else None
        self.edit = re.compile(m.edit_regex) if m.edit_regex else None
        self.content = re.compile(m.content_regex) if m.content_regex else None
        # a content-only match also applies to assistant messages
        self.message_rule = self.content is not None and not (
            self.tools or self.command or self.paths or self.edit
        )

    def applies_to(self, name: str, role: Role) -> bool:
        if self.tools is not None and name not in self.tools:
            return False
        if self.command is not None and role != "shell":
            return False
        if self.edit is not None and role not in ("shell", "editor"):
            return False
        if self.paths is not None and role not in ("shell", "editor", "search"):
            return False
        return not (self.content is not None and role != "submit")

    def event(self, ev: _Event) -> str | None:
        """Evidence when ``ev`` satisfies every condition, else None."""
        evidence: str | None = None
        if self.tools is not None and ev.tool not in self.tools:
            return None
        if self.command is not None:
            if ev.text is None:
                return None
            m = self.command.search(ev.text)
            if m is None:
                return None
            evidence = _snippet(ev.text, m.start())
        if self.paths is not None:
            hit = None
            for access, path in ev.accesses:
                if self.access is not None and access not in self.access:
                    continue
                if self.paths(path) and not (self.exclude is not None and self.exclude(path)):
                    hit = f"{access} {path}"
                    break
            if hit is None:
                return None
            if evidence is None:
                evidence = hit if ev.text is None else _snippet(ev.text, 0) + f"  [{hit}]"
        if self.edit is not None:
            m = self.edit.search(ev.written) if ev.written else None
            if m is None:
                return None
            evidence = evidence or _snippet(ev.written, m.start())
        if self.content is not None:
            m = self.content.search(ev.content) if ev.content else None
            if m is None:
                return None
            evidence = evidence or _snippet(ev.content, m.start())
        return evidence if evidence is not None else ev.tool

    def text(self, text: str) -> str | None:
        m = self.content.search(text) if self.content is not None and text else None
        return None if m is None else _snippet(text, m.start())


class _CompiledRule:
    def __init__(self, rule: Rule, workspace: str) -> None:
        self.rule = rule
        self.match = _CompiledMatch(rule.match, workspace) if rule.match else None
        seq = rule.sequence
        self.first = _CompiledMatch(seq.first, workspace) if seq else None
        self.then = _CompiledMatch(seq.then, workspace) if seq else None
        self.between = (
            _CompiledMatch(seq.not_between, workspace) if seq and seq.not_between else None
        )

    def flag(
        self,
        step: int,
        tool: str | None,
        evidence: str,
        call_id: str | None = None,
        failed: bool = False,
    ) -> Flag:
        r = self.rule
        return Flag(
            rule_id=r.id,
            kind=r.kind,
            severity=r.severity,
            step=step,
            tool=tool,
            evidence=evidence[: EVIDENCE_CHARS + 2],
            penalty=r.penalty,
            call_id=call_id,
            call_failed=failed,
        )


def _any(match: _CompiledMatch, events: Sequence[_Event]) -> str | None:
    for ev in events:
        hit = match.event(ev)
        if hit is not None:
            return hit
    return None


# --- the monitor -------------------------------------------------------------------------


class Monitor:
    """Apply behaviour rules to tool calls (``check_call``) and episodes (``finalize``)."""

    def __init__(
        self,
        rules: Iterable[Rule] | None = None,
        *,
        tools: ToolRoles | None = None,
        workspace: str = "/workspace",
        home: str = "/root",
        max_penalty_total: float | None = None,
    ) -> None:
        self.rules = list(default_rules() if rules is None else rules)
        self.tools = tools or ToolRoles()
        self.workspace = workspace.rstrip("/") or "/"
        self.home = home
        self.max_penalty_total = max_penalty_total
        active = [_CompiledRule(r, self.workspace) for r in self.rules if r.enabled]
        self._by_id = {c.rule.id: c for c in active}
        self._call_rules = [c for c in active if c.match is not None]
        self._message_rules = [c for c in self._call_rules if c.match and c.match.message_rule]
        self._episode_rules = [c for c in active if c.match is None]
        self._candidates: dict[str, tuple[Role, str | None, list[_CompiledRule]]] = {}

    @classmethod
    def from_files(cls, *paths: str | Path, include_default: bool = True, **kwargs: Any) -> Monitor:
        """Defaults (unless ``include_default=False``) overridden by each file in turn."""
        return cls(load_rules(*paths, include_default=include_default), **kwargs)

    # -- per call -------------------------------------------------------------------------

    def _lookup(self, name: str) -> tuple[Role, str | None, list[_CompiledRule]]:
        hit = self._candidates.get(name)
        if hit is None:
            canonical = self.tools.aliases.get(name, name)
            role, arg = self.tools.role(canonical)
            rules = [c for c in self._call_rules if c.match and c.match.applies_to(canonical, role)]
            hit = self._candidates[name] = (role, arg, rules)
        return hit

    def _events(self, call: ToolCall, role: Role, arg: str | None) -> list[_Event]:
        name = self.tools.aliases.get(call.name, call.name)
        args = call.arguments if isinstance(call.arguments, dict) else {}
        value = args.get(arg) if arg else None
        if role == "shell":
            command = value if isinstance(value, str) else "" if value is None else str(value)
            units = parse(command, self.workspace, self.home).units
            if not units:
                return [_Event(name, command)]
            return [_Event(name, u.text, u.accesses, u.writes_text) for u in units]
        if role in ("editor", "search"):
            path = value if isinstance(value, str) and value else "."
            full = path if path.startswith("/") else f"{self.workspace}/{path}"
            full = _normpath(full)
            if role == "search":
                return [_Event(name, None, (("read", full),))]
            op = args.get("command")
            access = "read" if op in self.tools.editor_read_commands else "write"
            written = "\n".join(
                str(args[k]) for k in self.tools.editor_text_args if args.get(k) is not None
            )
            return [_Event(name, None, ((access, full),), written if access == "write" else "")]
        if role == "submit":
            return [_Event(name, None, content=str(value) if value is not None else "")]
        return [_Event(name, None)]

    def check_call(
        self, call: ToolCall, observation: Observation | None = None, step: int = 0
    ) -> list[Flag]:
        """Flags raised by one tool call (name already mapped back to the canonical tool);
        ``step`` is the 0-based assistant turn. At most one flag per rule per call."""
        role, arg, rules = self._lookup(call.name)
        if not rules:
            return []
        events = self._events(call, role, arg)
        failed = bool(observation is not None and observation.is_error)
        name = events[0].tool
        flags = []
        for c in rules:
            assert c.match is not None
            hit = _any(c.match, events)
            if hit is not None:
                flags.append(c.flag(step, name, hit, call.id, failed))
        return flags

    def check_message(self, message: Message, step: int = 0) -> list[Flag]:
        """Flags from an assistant message's text and reasoning (content rules)."""
        if message.role != "assistant":
            return []
        flags = []
        for c in self._message_rules:
            assert c.match is not None
            for text in (message.content, message.reasoning):
                hit = c.match.text(text or "")
                if hit is not None:
                    flags.append(c.flag(step, None, hit))
                    break
        return flags

    # -- per episode ----------------------------------------------------------------------

    def finalize(
        self, trajectory: Trajectory, metrics: dict[str, float] | None = None
    ) -> MonitorReport:
        """Every rule over the whole trajectory: per-call and content rules again, then
        sequence and metric rules (``metrics`` come from the env, e.g. ``lines_changed``)."""
        metrics = metrics or {}
        outputs = {
            m.tool_call_id: m for m in trajectory.messages if m.role == "tool" and m.tool_call_id
        }
        flags: list[Flag] = []
        calls: list[tuple[int, ToolCall, list[_Event]]] = []
        step = -1
        for msg in trajectory.messages:
            if msg.role != "assistant":
                continue
            step += 1
            flags += self.check_message(msg, step)
            for call in msg.tool_calls:
                out = outputs.get(call.id)
                obs = None
                if out is not None:
                    # tool messages keep no is_error; tools start error answers with "Error"
                    err = (out.content or "").lstrip().lower().startswith("error")
                    obs = Observation(content=out.content or "", is_error=err)
                flags += self.check_call(call, obs, step)
                role, arg, _ = self._lookup(call.name)
                calls.append((step, call, self._events(call, role, arg)))
        skipped: list[str] = []
        last_step = max(step, 0)
        for c in self._episode_rules:
            rule = c.rule
            missing = [m.name for m in rule.metrics if m.name not in metrics]
            if missing:
                skipped.append(rule.id)
                continue
            if not all(m.holds(float(metrics[m.name])) for m in rule.metrics):
                continue
            evidence = ", ".join(f"{m.name}={metrics[m.name]}" for m in rule.metrics)
            if c.then is None:
                flags.append(c.flag(last_step, None, evidence))
                continue
            hit = self._sequence(c, calls)
            if hit is not None:
                s, tool, ev, call_id = hit
                flags.append(c.flag(s, tool, "; ".join(x for x in (ev, evidence) if x), call_id))
        return self.report(flags, skipped)

    def _sequence(
        self, c: _CompiledRule, calls: list[tuple[int, ToolCall, list[_Event]]]
    ) -> tuple[int, str, str, str] | None:
        assert c.first is not None and c.then is not None
        mode = c.rule.sequence.mode if c.rule.sequence else "present"
        first_hit: str | None = None
        for step, call, events in calls:
            then_hit = _any(c.then, events)
            if then_hit is not None:
                name = events[0].tool if events else call.name
                if mode == "present" and first_hit is not None:
                    return step, name, f"{first_hit} → {then_hit}", call.id
                if mode == "absent" and first_hit is None:
                    return step, name, f"no earlier match → {then_hit}", call.id
            if c.between is not None and _any(c.between, events) is not None:
                first_hit = None
            hit = _any(c.first, events)
            if hit is not None:
                first_hit = hit
        return None

    def report(self, flags: Iterable[Flag], skipped: Iterable[str] = ()) -> MonitorReport:
        """Totals over ``flags``: counts, per-rule capped penalties, trusted split out."""
        flags = list(flags)
        per_rule: dict[str, float] = {}
        for f in flags:
            per_rule[f.rule_id] = per_rule.get(f.rule_id, 0.0) + f.penalty
        total = 0.0
        for rid, amount in per_rule.items():
            c = self._by_id.get(rid)
            cap = c.rule.max_penalty_total if c else None
            total += min(amount, cap) if cap is not None else amount
        if self.max_penalty_total is not None:
            total = min(total, self.max_penalty_total)
        bad = [f for f in flags if f.kind != "trusted"]
        kinds = Counter(f.kind for f in bad)
        sev = Counter(f.severity for f in bad)
        return MonitorReport(
            flags=bad,
            trusted=[f for f in flags if f.kind == "trusted"],
            counts_by_kind={k: kinds[k] for k in KINDS if kinds[k]},
            counts_by_severity={s: sev[s] for s in SEVERITIES if sev[s]},
            counts_by_rule=dict(Counter(f.rule_id for f in flags)),
            penalty_total=round(total, 9),
            skipped=list(skipped),
        )


def _normpath(path: str) -> str:
    out = posixpath.normpath(path)
    return "/" if out.startswith("//") else out
