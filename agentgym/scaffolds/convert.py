"""Recorded trajectories (agentgym's own scaffold) re-expressed in a real harness's scaffold.

For ``agentgym data perturb`` with a ``scaffold`` transform in the recipe: the system prompt and
task framing become the harness's; ``bash`` calls become the harness's shell action (a native
call, an argv list for Codex, a fenced block, an XML tool use or an Aider ```bash line) and
their recorded results are re-framed exactly (the default tool's ``[exit code: N]`` trailer is
read back into output and exit code); ``submit`` becomes the harness's finish convention.

Only what can be converted exactly is converted: a trajectory with editor or search calls (whose
recorded output is agentgym's own format) raises :class:`ConversionError`; collect such data
with ``agentgym data rollout`` under the profile instead, where the harness's tools really run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from agentgym.errors import AgentGymError
from agentgym.scaffolds.runtime import ScaffoldRuntime, text_view
from agentgym.types import Message, ToolCall, ToolSpec

_TRAILER = re.compile(r"\n?\[(?:exit code: (-?\d+)|timed out)\](?:\n\[[^\]]*\])?\s*$")


class ConversionError(AgentGymError):
    """A recorded trajectory that cannot be re-expressed exactly in the scaffold."""


def split_bash_result(text: str) -> tuple[str, int | None, bool]:
    """(output, exit code, timed out) of a result of agentgym's ``bash`` tool."""
    m = _TRAILER.search(text)
    if m is None:
        raise ConversionError("a bash result without agentgym's [exit code: N] trailer")
    output = text[: m.start()]
    if output == "(no output)":
        output = ""
    if m.group(1) is None:
        return output, None, True
    return output + ("\n" if output and not output.endswith("\n") else ""), int(m.group(1)), False


def _frame_shell(rt: ScaffoldRuntime, command: str, output: str, code: int | None) -> str:
    r = rt.profile.responses
    if r.shell_format == "codex_json":
        return json.dumps(
            {
                "output": output,
                "metadata": {
                    "exit_code": code if code is not None else -1,
                    "duration_seconds": 0.0,
                },
            }
        )
    if not output.strip() and r.empty_output is not None:
        text = r.empty_output.format(exit_code=code)
    else:
        text = r.shell.format(
            output=output, exit_code=code, cwd=rt.workdir, duration=0.0, command=command
        )
    if r.result_header:
        shell = rt.profile.tool("shell")
        assert shell is not None
        text = f"{r.result_header.format(tool=shell.name, arg=command.split(chr(10))[0][:200])}\n{text}"
    return text


def _shell_action(rt: ScaffoldRuntime, command: str) -> tuple[str, ToolCall | None]:
    """(text written in the reply, native call) of running ``command`` in this harness."""
    p = rt.profile
    shell = p.tool("shell")
    assert shell is not None
    arg = shell.args.get("command", "command")
    if p.placement == "native":
        props = shell.parameters.get("properties") or {}
        value: Any = (
            ["bash", "-lc", command] if props.get(arg, {}).get("type") == "array" else command
        )
        args = {arg: value}
        for k in shell.parameters.get("required") or []:
            if k not in args:
                schema = props.get(k) or {}
                args[k] = (schema.get("enum") or [None])[0] or (
                    False if schema.get("type") == "boolean" else "run a command"
                )
        return "", ToolCall(id="x", name=shell.name, arguments=args)
    ta = p.text_actions
    assert ta is not None
    if ta.style == "fenced":
        return f"```{ta.fence}\n{command}\n```", None
    if ta.style == "search_replace":
        if "\n" in command.strip():
            raise ConversionError("Aider runs one-line shell commands; this command spans lines")
        return f"```{ta.shell_fence or 'bash'}\n{command}\n```", None
    extra = "".join(
        f"<{k}>false</{k}>\n" for k in shell.parameters.get("required") or [] if k != arg
    )
    return f"<{shell.name}>\n<{arg}>{command}</{arg}>\n{extra}</{shell.name}>", None


def to_scaffold(
    messages: Sequence[Message], tools: Sequence[ToolSpec], rt: ScaffoldRuntime
) -> tuple[list[Message], list[ToolSpec]]:
    """The conversation as it would have run in the harness (before any other transform)."""
    p = rt.profile
    names = {t.name for t in tools}
    out: list[Message] = []
    pending: dict[str, tuple[str, str]] = {}  # call id -> (kind, command)
    for i, m in enumerate(messages):
        if m.role == "system" and i == 0:
            out.append(Message(role="system", content=rt.system_prompt()))
        elif m.role == "user" and not any(x.role == "user" for x in messages[:i]):
            out.append(Message(role="user", content=rt.user_message(m.content or "")))
        elif m.role == "assistant":
            texts = [m.content] if m.content else []
            calls: list[ToolCall] = []
            for c in m.tool_calls:
                if c.name == "bash" and "bash" in names:
                    command = str(c.arguments.get("command", ""))
                    text, call = _shell_action(rt, command)
                    pending[c.id] = ("bash", command)
                elif c.name == "submit" and "submit" in names:
                    pending[c.id] = ("submit", "")
                    if p.finish.style == "no_tool_call":  # a closing message ends the run
                        if not texts:
                            texts.append("The task is done.")
                        continue
                    if p.finish.style == "marker":
                        text, call = _shell_action(rt, f"echo {p.finish.marker}")
                    else:
                        sub = p.tool("submit")
                        assert sub is not None
                        req = sub.parameters.get("required") or []
                        args = {k: "The task is done." for k in req}
                        if p.placement == "native":
                            text, call = "", ToolCall(id="x", name=sub.name, arguments=args)
                        else:
                            inner = "".join(f"<{k}>{v}</{k}>\n" for k, v in args.items())
                            text, call = f"<{sub.name}>\n{inner}</{sub.name}>", None
                else:
                    raise ConversionError(
                        f"a {c.name!r} call: only bash and submit convert exactly; collect this "
                        "data with `agentgym data rollout` under the profile"
                    )
                if call is not None:
                    calls.append(call.model_copy(update={"id": c.id}))
                if text:
                    texts.append(text)
            out.append(
                Message(
                    role="assistant",
                    content="\n\n".join(texts) or None,
                    reasoning=m.reasoning,
                    tool_calls=calls,
                )
            )
        elif m.role == "tool":
            kind, command = pending.get(m.tool_call_id or "", ("", ""))
            if kind == "submit":
                continue  # the harness's finish is the end; its reply is not shown
            if kind != "bash":
                raise ConversionError("a tool result without its call")
            output, code, timed_out = split_bash_result(m.content or "")
            if timed_out:
                raise ConversionError("a timed-out command (its harness framing needs the timeout)")
            shell = p.tool("shell")
            assert shell is not None
            out.append(
                Message(
                    role="tool",
                    content=_frame_shell(rt, command, output, code),
                    tool_call_id=m.tool_call_id,
                    name=shell.name,
                )
            )
        else:
            out.append(m)
    specs = [] if p.placement == "text" else list(rt.shown)
    return out, specs


__all__ = ["ConversionError", "split_bash_result", "text_view", "to_scaffold"]
