"""Task formats: Harbor task folders and SWE-bench-style JSONL records.

>>> from agentgym.tasks import load_tasks
>>> tasks = load_tasks("envs/bugfix")          # doctest: +SKIP
>>> tasks[0].fail_to_pass[:1]                  # doctest: +SKIP
"""

from __future__ import annotations

from agentgym.tasks.build import build_context, prepare_task, task_image
from agentgym.tasks.export import export_task, export_tasks
from agentgym.tasks.harbor import (
    agent_instruction,
    extract_solution_patch,
    find_source,
    find_task_dirs,
    load_source_info,
    load_task,
    load_tasks,
    parse_task_toml,
    render_dockerfile,
    render_solve_sh,
    render_test_sh,
    shared_tasks,
    write_task,
)
from agentgym.tasks.models import SourceInfo, TaskToml
from agentgym.tasks.validate import CaseResult, ValidationResult, validate_task, validate_tasks

__all__ = [
    "CaseResult",
    "SourceInfo",
    "TaskToml",
    "ValidationResult",
    "agent_instruction",
    "build_context",
    "export_task",
    "export_tasks",
    "extract_solution_patch",
    "find_source",
    "find_task_dirs",
    "load_source_info",
    "load_task",
    "load_tasks",
    "parse_task_toml",
    "prepare_task",
    "render_dockerfile",
    "render_solve_sh",
    "render_test_sh",
    "shared_tasks",
    "task_image",
    "validate_task",
    "validate_tasks",
    "write_task",
]
