"""The search tool: grep file contents or find files by name, with capped results."""

from __future__ import annotations

from typing import Any, ClassVar

from agentgym.errors import ToolError
from agentgym.sandbox.base import Sandbox, shell_quote
from agentgym.tools.base import Tool, cap_text
from agentgym.tools.files import confine
from agentgym.types import Observation

TOTAL_TAG = "\x1eAG_TOTAL "


class SearchTool(Tool):
    name: ClassVar[str] = "search"
    description: ClassVar[str] = (
        "Search the repository. mode 'content' (default) greps files for a regular "
        "expression (extended syntax) and returns path:line:text; mode 'files' finds files "
        "whose name matches a glob (e.g. '*.py'). Results are capped; .git is skipped."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "pattern": {
                "type": "string",
                "minLength": 1,
                "description": "Regex for content mode, filename glob for files mode.",
            },
            "path": {"type": "string", "description": "Directory or file to search (default '.')."},
            "mode": {"type": "string", "enum": ["content", "files"]},
            "include": {"type": "string", "description": "Only files matching this glob."},
            "ignore_case": {"type": "boolean"},
            "max_results": {"type": "integer", "minimum": 1, "maximum": 1000},
        },
        "required": ["pattern"],
        "additionalProperties": False,
    }

    def run(self, sandbox: Sandbox, arguments: dict[str, Any]) -> Observation:
        pattern = arguments["pattern"]
        path = arguments.get("path", ".")
        mode = arguments.get("mode", "content")
        limit = int(arguments.get("max_results", 100))
        real, _ = confine(sandbox, path, must_exist=True)
        q_path, q_pat = shell_quote(real), shell_quote(pattern)
        count = f"awk -v n={limit} 'NR<=n {{print}} END {{printf \"{TOTAL_TAG}%d\\n\", NR}}'"
        if mode == "files":
            cmd = (
                f"find {q_path} -path '*/.git' -prune -o -name {q_pat} -print 2>&1 | sort | {count}"
            )
        else:
            flags = "-rnIE" + ("i" if arguments.get("ignore_case") else "")
            include = ""
            if arguments.get("include"):
                include = f"--include={shell_quote(arguments['include'])}"
            cmd = (
                f"grep {flags} --exclude-dir=.git {include} -e {q_pat} -- {q_path} 2>&1; "
                f'rc=$?; [ $rc -gt 1 ] && echo "grep failed with exit code $rc"'
            )
            cmd = f"{{ {cmd}; }} | {count}"
        result = sandbox.run(cmd, timeout=60)
        if result.timed_out:
            raise ToolError("the search timed out; narrow it with path or include")
        out = result.output
        tag = out.rfind(TOTAL_TAG)
        if tag == -1:
            raise ToolError(f"the search failed: {out.strip()[:500]}")
        total = int(out[tag + len(TOTAL_TAG) :].split()[0])
        lines = out[:tag].splitlines()
        failed = [ln for ln in lines if ln.startswith("grep failed with exit code")]
        if failed:
            errors = [ln for ln in lines if ln.startswith("grep: ")]
            matches = [ln for ln in lines if not ln.startswith(("grep: ", "grep failed"))]
            if not matches:
                raise ToolError(
                    "bad search: "
                    + ("; ".join(errors) or failed[0])[:500]
                    + ". The pattern is an extended regular expression: escape ( ) [ ] { } . * +"
                )
            lines = matches
            total -= len(failed) + len(errors)
        root = sandbox.workdir.rstrip("/") + "/"
        body = "\n".join(ln.replace(root, "", 1) if ln.startswith(root) else ln for ln in lines)
        if total == 0:
            what = "files named" if mode == "files" else "matches for"
            return Observation(content=f"No {what} {pattern!r} in {path}.")
        shown = min(total, limit)
        header = f"{total} {'files' if mode == 'files' else 'matches'}"
        if total > limit:
            header += f" (showing the first {shown}; narrow the search to see the rest)"
        return Observation(content=cap_text(f"{header}:\n{body}"), metadata={"total": total})
