"""A profile at work in an episode: its tools, its prompts, and its chat placement.

:class:`ScaffoldRuntime` builds what ``PerturbedEnv`` installs for a scaffold: the harness's
tools (:mod:`agentgym.scaffolds.adapters`), its system prompt and task framing, and a
:class:`ScaffoldFormat` around the episode's chat format. For text placement (mini-swe-agent,
Cline, Aider) the format declares no native tools, shows tool results as user turns and reads
actions out of the assistant's text; for native placement it only adds the harness's
conventions (what a reply without a tool call means, the turn-limit message).

The env talks to the format through four optional attributes (see ``CodingEnv``):
``parse_message`` (a structured reply's text actions), a ``ParseError.feedback`` (the
harness's format-error wording), ``finish_without_tool_call`` / ``no_tool_call_message`` and
``turn_limit_message``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentgym.errors import ParseError
from agentgym.scaffolds.adapters import ScaffoldTool, build_tools
from agentgym.scaffolds.models import ScaffoldProfile
from agentgym.scaffolds.textactions import (
    TextActionError,
    parse_edit_blocks,
    parse_fenced,
    parse_xml_tools,
)
from agentgym.types import Message, ToolCall, ToolSpec

DEFAULT_WORKDIR = "/workspace"


class ScaffoldFormatError(ParseError):
    """A reply that breaks the harness's format; ``feedback`` is the harness's own message."""

    def __init__(self, message: str, feedback: str) -> None:
        super().__init__(message)
        self.feedback = feedback


def xml_tools_text(specs: Sequence[ToolSpec]) -> str:
    """Tool docs in Cline's XML style: description, parameters, usage block per tool."""
    parts = []
    for spec in specs:
        props = spec.parameters.get("properties") or {}
        required = set(spec.parameters.get("required") or [])
        params = "\n".join(
            f"- {name}: ({'required' if name in required else 'optional'}) "
            f"{(schema or {}).get('description', '')}".rstrip()
            for name, schema in props.items()
        )
        usage = "\n".join(f"<{name}>{name} here</{name}>" for name in props)
        parts.append(
            f"## {spec.name}\nDescription: {spec.description}\n"
            + (f"Parameters:\n{params}\n" if params else "Parameters: none\n")
            + f"Usage:\n<{spec.name}>\n{usage + chr(10) if usage else ''}</{spec.name}>"
        )
    return "\n\n".join(parts)


class ScaffoldRuntime:
    """One profile for one episode (tools are fresh per runtime)."""

    def __init__(self, profile: ScaffoldProfile, workdir: str = DEFAULT_WORKDIR) -> None:
        self.profile = profile
        self.workdir = workdir
        self.tools: list[ScaffoldTool] = build_tools(profile)
        self.shown: list[ToolSpec] = [t.spec for t in self.tools]
        # profile tool name -> the name the agent sees (tool transforms may rename on top)
        self.shown_name: dict[str, str] = {t.name: t.name for t in self.tools}
        self.shown_args: dict[str, dict[str, str]] = {}

    @property
    def text(self) -> bool:
        return self.profile.placement == "text"

    # -- prompts ------------------------------------------------------------------------------
    def system_prompt(self, shown: Sequence[ToolSpec] | None = None) -> str:
        p = self.profile
        tools_text = ""
        if self.text and p.text_actions is not None and p.text_actions.style == "xml":
            tools_text = xml_tools_text(list(shown if shown is not None else self.shown))
        return p.system_prompt.format(
            workdir=self.workdir,
            tools_text=tools_text,
            marker=p.finish.marker or "",
            fence=p.text_actions.fence if p.text_actions else "",
        ).strip()

    def user_message(self, instruction: str) -> str:
        p = self.profile
        return p.user_template.format(
            instruction=instruction.strip(),
            workdir=self.workdir,
            tools_text="",
            marker=p.finish.marker or "",
            fence=p.text_actions.fence if p.text_actions else "",
        ).strip()

    def bind_shown(self, forward: Any) -> None:
        """Learn the names the agent sees from a ``forward_call`` (tool transforms on top)."""
        for t in self.tools:
            props = list(t.parameters.get("properties") or {})
            fwd = forward(ToolCall(id="probe", name=t.name, arguments={k: k for k in props}))
            self.shown_name[t.name] = fwd.name
            self.shown_args[t.name] = {
                k: nk for nk, v in fwd.arguments.items() for k in props if v == k
            }

    def _call(self, tool: ScaffoldTool, args: dict[str, Any], index: int) -> ToolCall:
        names = self.shown_args.get(tool.name, {})
        return ToolCall(
            id=f"text_{index}",
            name=self.shown_name.get(tool.name, tool.name),
            arguments={names.get(k, k): v for k, v in args.items()},
        )

    # -- text actions -----------------------------------------------------------------------
    def parse_text(self, content: str, shown: Sequence[ToolSpec]) -> list[ToolCall]:
        """The tool calls written in a reply's text (text placement); raises
        :class:`ScaffoldFormatError` with the harness's wording when the text is malformed."""
        p = self.profile
        ta = p.text_actions
        assert ta is not None
        try:
            if ta.style == "fenced":
                blocks = parse_fenced(content, ta.fence)
                if ta.exactly_one and len(blocks) != 1:
                    raise TextActionError(
                        f"expected exactly one ```{ta.fence} block, found {len(blocks)}",
                        count=len(blocks),
                    )
                tool = self._by_semantics("shell")
                return [
                    self._call(tool, {_arg(tool, "command"): b}, i) for i, b in enumerate(blocks)
                ]
            if ta.style == "xml":
                specs = {s.name: list(s.parameters.get("properties") or {}) for s in shown}
                found = parse_xml_tools(content, specs, first_only=ta.one_tool_per_message)
                if not found:
                    raise TextActionError("no tool use found", count=0)
                return [
                    ToolCall(id=f"text_{i}", name=name, arguments=_typed(params, shown, name))
                    for i, (name, params) in enumerate(found)
                ]
            blocks, commands = parse_edit_blocks(content, ta.shell_fence or "bash")
            calls: list[ToolCall] = []
            edit = self._by_semantics("search_replace")
            for b in blocks:
                calls.append(
                    self._call(
                        edit,
                        {
                            _arg(edit, "path"): b.path,
                            _arg(edit, "search"): b.search,
                            _arg(edit, "replace"): b.replace,
                        },
                        len(calls),
                    )
                )
            shell = self._by_semantics("shell")
            for c in commands:
                calls.append(self._call(shell, {_arg(shell, "command"): c}, len(calls)))
            return calls
        except TextActionError as exc:
            if not content.strip() or (exc.count == 0 and "no tool use" in str(exc)):
                feedback = p.messages.no_action or p.messages.format_error
            else:
                feedback = p.messages.format_error
            raise ScaffoldFormatError(
                str(exc), feedback.format(error=str(exc), count=exc.count, marker=p.finish.marker)
            ) from None

    def _by_semantics(self, semantics: str) -> ScaffoldTool:
        tool = next((t for t in self.tools if t.tdef.semantics == semantics), None)
        if tool is None:  # validated at load time for the styles that need it
            raise ScaffoldFormatError(f"{self.profile.name} has no {semantics} tool", "")
        return tool


def _arg(tool: ScaffoldTool, name: str) -> str:
    return tool.tdef.args.get(name, name)


def _typed(params: dict[str, str], shown: Sequence[ToolSpec], name: str) -> dict[str, Any]:
    """XML values are text; schema booleans and integers get their JSON type (as Cline reads
    ``true``/``false`` strings)."""
    spec = next((s for s in shown if s.name == name), None)
    props = (spec.parameters.get("properties") or {}) if spec else {}
    out: dict[str, Any] = {}
    for k, v in params.items():
        t = (props.get(k) or {}).get("type")
        if t == "boolean" and v.lower() in ("true", "false"):
            out[k] = v.lower() == "true"
        elif t == "integer" and v.strip().lstrip("-").isdigit():
            out[k] = int(v)
        else:
            out[k] = v
    return out


def text_view(messages: Sequence[Message]) -> list[Message]:
    """The conversation as a tools-in-text harness sends it: assistant turns are their text
    (the actions are in it), tool results are user turns. One message in, one message out, so
    segment indices and incremental tokenization stay aligned."""
    out: list[Message] = []
    for m in messages:
        if m.role == "assistant" and m.tool_calls:
            out.append(m.model_copy(update={"tool_calls": []}))
        elif m.role == "tool":
            out.append(Message(role="user", content=m.content))
        else:
            out.append(m)
    return out


class ScaffoldFormat:
    """A chat format wearing a harness: rendering and parsing as that harness places tools."""

    def __init__(self, fmt: Any, runtime: ScaffoldRuntime, shown: Sequence[ToolSpec]) -> None:
        self.fmt = fmt.fmt if isinstance(fmt, ScaffoldFormat) else fmt
        self.runtime = runtime
        self.shown = list(shown)
        p = runtime.profile
        self.finish_without_tool_call = p.finish.style == "no_tool_call"
        self.no_tool_call_message = p.messages.no_action
        self.turn_limit_message = p.messages.turn_limit

    # -- rendering: tools-in-text formats declare no native tools ------------------------------
    def _view(self, messages: Any, tools: Any) -> tuple[Any, Any]:
        if not self.runtime.text:
            return messages, tools
        from agentgym.chat.base import normalize_messages

        return text_view(normalize_messages(messages)), None

    def render(
        self, messages: Any, tools: Any = None, add_generation_prompt: bool = False, **kw: Any
    ) -> str:
        messages, tools = self._view(messages, tools)
        return self.fmt.render(messages, tools, add_generation_prompt, **kw)

    def render_segments(
        self, messages: Any, tools: Any = None, add_generation_prompt: bool = False, **kw: Any
    ) -> Any:
        messages, tools = self._view(messages, tools)
        return self.fmt.render_segments(messages, tools, add_generation_prompt, **kw)

    def generation_prompt(self, messages: Any = (), **kw: Any) -> str:
        messages, _ = self._view(messages, None)
        return self.fmt.generation_prompt(messages, **kw)

    def render_completion(self, message: Any, **kw: Any) -> str:
        if self.runtime.text:
            from agentgym.chat.base import as_message

            message = as_message(message).model_copy(update={"tool_calls": []})
        return self.fmt.render_completion(message, **kw)

    # -- parsing ------------------------------------------------------------------------------
    def parse(self, completion: str, tools: Any = None, **kw: Any) -> Message:
        msg = self.fmt.parse(completion, None if self.runtime.text else tools, **kw)
        return self.parse_message(msg)

    def parse_message(self, msg: Message) -> Message:
        """A reply with its text actions read out (text placement); native replies as they are."""
        if not self.runtime.text:
            return msg
        calls = self.runtime.parse_text(msg.content or "", self.shown)
        if self.runtime.profile.finish.style == "no_tool_call" and not calls:
            return msg.model_copy(update={"tool_calls": []})
        return msg.model_copy(update={"tool_calls": calls})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fmt, name)

    def __repr__(self) -> str:
        return f"<ScaffoldFormat {self.runtime.profile.name} on {self.fmt!r}>"


__all__ = [
    "DEFAULT_WORKDIR",
    "ScaffoldFormat",
    "ScaffoldFormatError",
    "ScaffoldRuntime",
    "runtime_for",
    "text_view",
    "xml_tools_text",
]


def runtime_for(records: Sequence[Any], workdir: str = DEFAULT_WORKDIR) -> ScaffoldRuntime:
    """The runtime of the last ``scaffold`` record of an episode's perturbation records."""
    from agentgym.scaffolds import load_profile

    rec = [r for r in records if getattr(r, "target", None) == "scaffold"][-1]
    return ScaffoldRuntime(load_profile(rec.params["profile"]), workdir)
