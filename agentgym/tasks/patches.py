"""Small helpers for unified diffs (git style): which files a patch touches."""

from __future__ import annotations

import re

_DIFF_GIT = re.compile(r"^diff --git [ab]/(?P<a>\S+) [ab]/(?P<b>\S+)$", re.M)


def patch_files(patch: str) -> list[tuple[str, str]]:
    """(path, status) for each file in a git diff; status is 'new', 'deleted' or 'modified'."""
    out: list[tuple[str, str]] = []
    sections = list(_DIFF_GIT.finditer(patch))
    for i, match in enumerate(sections):
        end = sections[i + 1].start() if i + 1 < len(sections) else len(patch)
        header = patch[match.end() : end].split("\n@@", 1)[0]
        if "\nnew file mode" in header or "\n--- /dev/null" in header:
            out.append((match["b"], "new"))
        elif "\ndeleted file mode" in header or "\n+++ /dev/null" in header:
            out.append((match["a"], "deleted"))
        else:
            out.append((match["b"], "modified"))
    if not sections:
        # plain unified diff without `diff --git` headers
        for old, new in re.findall(r"^--- (\S+).*\n\+\+\+ (\S+)", patch, re.M):
            if old == "/dev/null":
                out.append((new.removeprefix("b/"), "new"))
            elif new == "/dev/null":
                out.append((old.removeprefix("a/"), "deleted"))
            else:
                out.append((new.removeprefix("b/"), "modified"))
    return out


def new_file_patch(files: dict[str, str]) -> str:
    """A git diff that creates ``files`` ({repo path: text})."""
    chunks = []
    for path, text in files.items():
        lines = text.splitlines(keepends=True)
        body = "".join("+" + line for line in lines)
        if lines and not lines[-1].endswith("\n"):
            body += "\n\\ No newline at end of file\n"
        chunks.append(
            f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
            f"@@ -0,0 +1,{len(lines)} @@\n{body}"
        )
    return "".join(chunks)
