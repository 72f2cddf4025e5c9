"""Scaffold profiles: one real agent harness, the way a model meets it, as validated data.

A profile is YAML (``agentgym/scaffolds/profiles/<name>.yaml``) loaded into
:class:`ScaffoldProfile`. It says which harness and version it follows and which files of its
public source were read, which tools the harness shows (names, descriptions, JSON schemas,
copied as facts) and what each tool *does* (``semantics``: a small adapter in
``agentgym.scaffolds.adapters`` maps it onto the sandbox), how outputs and errors are framed,
where the tools live (native function calling or written into the assistant's text), how the
agent says it is done, and the system prompt and task framing (written for agentgym in the
harness's structure; its prose is not copied).
"""

from __future__ import annotations

from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentgym.perturb.text import NAME_RE

Semantics = Literal[
    "shell",  # run a command (string or argv list)
    "editor",  # view / create / write / str_replace / insert / undo_edit, one tool
    "apply_patch",  # Codex's V4A envelope (*** Begin Patch ... *** End Patch)
    "unified_diff",  # a unified diff (--- a/ +++ b/ @@ hunks)
    "write_file",  # whole-file write
    "read_file",  # read a file (line-numbered in the harness's style)
    "edit_file",  # exact string replacement (oldString/newString, one tool)
    "replace_blocks",  # SEARCH/REPLACE blocks in one argument (Cline's replace_in_file diff)
    "search_replace",  # one Aider SEARCH/REPLACE block (path, search, replace) from the text
    "grep",  # regex search over files
    "glob",  # find files by glob pattern
    "list_dir",  # list a directory
    "todo",  # a plan / todo list: no side effect
    "think",  # log a thought: no side effect
    "submit",  # the agent is done: ends the episode
]
ActionStyle = Literal[
    "shell_tool",
    "str_replace_editor",
    "apply_patch_v4a",
    "unified_diff",
    "whole_file_write",
    "search_replace_text",
    "fenced_bash_text",
    "xml_tool_text",
    "split_read_grep_glob",
    "todo_plan",
    "think",
    "finish_tool",
    "finish_by_message",
    "finish_by_marker",
]
STYLES: tuple[str, ...] = ActionStyle.__args__  # type: ignore[attr-defined]
SEMANTICS: tuple[str, ...] = Semantics.__args__  # type: ignore[attr-defined]


class ProfileModel(BaseModel):
    """Base of the profile records: unknown fields are errors (a typo is never ignored)."""

    model_config = ConfigDict(extra="forbid")


class Source(ProfileModel):
    """A file of the harness's public source this profile was written from."""

    repo: str  # owner/name on GitHub
    ref: str  # tag or commit read
    paths: list[str] = Field(min_length=1)


class ToolDef(ProfileModel):
    """One tool as the harness shows it, and what it does in agentgym.

    ``args`` maps this tool's parameter names to the adapter's argument names (``command``,
    ``path``, ``old``, ...) so the adapter reads the harness's own names; ``options`` are the
    adapter's knobs (framing templates, subshell vs persistent shell, review-before-submit).
    """

    name: str
    semantics: Semantics
    description: str
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    args: dict[str, str] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> ToolDef:
        if not NAME_RE.match(self.name):
            raise ValueError(f"tool name {self.name!r} must match {NAME_RE.pattern}")
        jsonschema.Draft202012Validator.check_schema(self.parameters)
        props = self.parameters.get("properties") or {}
        for adapter_arg, param in self.args.items():
            if param not in props:
                raise ValueError(
                    f"tool {self.name}: args maps {adapter_arg!r} to {param!r}, which is not a "
                    f"parameter (parameters: {', '.join(props) or 'none'})"
                )
        return self


class Responses(ProfileModel):
    """How the harness frames tool output, errors and long output (``{...}`` templates)."""

    shell: str = "{output}"  # fields: output, exit_code, cwd, duration, command
    shell_format: Literal["template", "codex_json"] = "template"
    shell_timeout: str = "{output}\nThe command timed out."
    empty_output: str | None = None  # replaces {output} when a command prints nothing
    error: str = "{message}"  # a tool error (bad path, no match, bad arguments)
    result_header: str | None = None  # text placement: a header before each result
    max_output_chars: int = Field(30_000, ge=200)
    truncation: Literal["head_tail", "head"] = "head_tail"
    truncation_notice: str = "[... {elided} characters elided ...]"
    shell_in_subshell: bool = False  # every command in a fresh subshell (cd does not persist)


class TextActions(ProfileModel):
    """Tool use written into the assistant's text (``placement: text``)."""

    style: Literal["fenced", "xml", "search_replace"]
    fence: str = "bash"  # fenced: the code block's language tag
    exactly_one: bool = True  # fenced: exactly one block per reply
    shell_fence: str | None = None  # search_replace: language of the shell-command blocks
    one_tool_per_message: bool = True  # xml: only the first tool use runs


class Finish(ProfileModel):
    """How the agent says it is done."""

    style: Literal["tool", "no_tool_call", "marker"]
    marker: str | None = None  # marker: the first output line of the shell command
    marker_needs_success: bool = False  # marker: only when the command exits 0

    @model_validator(mode="after")
    def _check(self) -> Finish:
        if self.style == "marker" and not self.marker:
            raise ValueError("finish.style 'marker' needs finish.marker")
        return self


class Messages(ProfileModel):
    """What the harness says when the agent misuses it, and at its limits."""

    no_action: str | None = None  # a reply with no tool call / no action
    format_error: str = "{error}"  # a reply that breaks the text format ({error}, {count})
    turn_limit: str | None = None  # shown when the turn budget runs out ({turns})


class ScaffoldProfile(ProfileModel):
    """One harness, validated. See docs/scaffolds.md for the field guide."""

    name: str
    harness: str
    version: str
    homepage: str
    sources: list[Source] = Field(min_length=1)
    placement: Literal["native", "text"]
    chat_format: str | None = None  # the family it is usually served with (a hint)
    action_styles: list[ActionStyle] = Field(min_length=1)
    system_prompt: str
    user_template: str = "{instruction}"
    tools: list[ToolDef] = Field(min_length=1)
    responses: Responses = Field(default_factory=Responses)
    text_actions: TextActions | None = None
    finish: Finish
    messages: Messages = Field(default_factory=Messages)
    notes: str = ""

    @model_validator(mode="after")
    def _check(self) -> ScaffoldProfile:
        names = [t.name for t in self.tools]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate tool names in {names}")
        if (self.placement == "text") != (self.text_actions is not None):
            raise ValueError(f"{self.name}: text_actions is required exactly when placement=text")
        if not any(t.semantics == "shell" for t in self.tools):
            raise ValueError(f"{self.name}: every harness needs a shell tool (semantics: shell)")
        if self.finish.style == "tool" and not any(t.semantics == "submit" for t in self.tools):
            raise ValueError(f"{self.name}: finish.style 'tool' needs a tool with semantics submit")
        if self.finish.style == "marker" and not any(t.semantics == "shell" for t in self.tools):
            raise ValueError(f"{self.name}: finish.style 'marker' needs a shell tool")
        for field in ("system_prompt", "user_template"):
            _check_template(getattr(self, field), f"{self.name}.{field}")
        return self

    def tool(self, semantics: str) -> ToolDef | None:
        """The first tool with these semantics."""
        return next((t for t in self.tools if t.semantics == semantics), None)


_FIELDS = {"workdir", "instruction", "tools_text", "marker", "fence"}


def _check_template(text: str, where: str) -> None:
    import string

    for _, field, _, _ in string.Formatter().parse(text):
        if field is not None and field not in _FIELDS:
            raise ValueError(
                f"{where}: unknown placeholder {{{field}}} (known: {', '.join(sorted(_FIELDS))}; "
                "write literal braces as {{ and }})"
            )


__all__ = [
    "SEMANTICS",
    "STYLES",
    "ActionStyle",
    "Finish",
    "Messages",
    "Responses",
    "ScaffoldProfile",
    "Semantics",
    "Source",
    "TextActions",
    "ToolDef",
]
