"""Behaviour monitor: expert-defined YAML rules applied to an agent's tool calls and episodes.

    from agentgym.monitor import Monitor, apply_penalty
    monitor = Monitor()                                   # bundled default rules
    flags = monitor.check_call(call, observation, step)   # after each tool call
    report = monitor.finalize(trajectory, {"lines_changed": 12})
    trajectory.monitor_flags = report.flag_dicts()

See docs/monitor.md.
"""

from agentgym.monitor.monitor import Flag, Monitor, MonitorReport, ToolRoles, apply_penalty
from agentgym.monitor.rules import (
    KINDS,
    SEVERITIES,
    Match,
    MetricCondition,
    Rule,
    SequenceCondition,
    default_rules,
    default_rules_path,
    dump_rules,
    load_rules,
    parse_rules,
)

__all__ = [
    "KINDS",
    "SEVERITIES",
    "Flag",
    "Match",
    "MetricCondition",
    "Monitor",
    "MonitorReport",
    "Rule",
    "SequenceCondition",
    "ToolRoles",
    "apply_penalty",
    "default_rules",
    "default_rules_path",
    "dump_rules",
    "load_rules",
    "parse_rules",
]
