"""The declaration of one generated task (see make_task.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class After:
    """Old text to replace: the first occurrence of ``text`` after ``anchor``."""

    anchor: str
    text: str


# (repo path, old text | After | None for a new file, new text | None to delete the file)
Edit = tuple[str, "str | After | None", "str | None"]


@dataclass
class Spec:
    """One task.

    ``edits`` (and ``transform``) turn the pristine library into:
    - bugfix: the buggy state (the solution is the reverse);
    - feature: the state without the feature, its tests removed too (the solution restores
      the non-test files);
    - refactor: the refactored state (that is the solution; the agent starts from pristine).
    ``hidden`` maps repo paths to test files copied in only at grading.
    ``modules`` are the test modules whose other tests become PASS_TO_PASS.
    """

    id: str
    pack: Literal["bugfix", "refactor", "feature"]
    lib: str
    instruction: str
    modules: list[str]
    edits: list[Edit] = field(default_factory=list)
    transform: Callable[[Path], None] | None = None
    hidden: dict[str, str] = field(default_factory=dict)
    difficulty: Literal["easy", "medium", "hard"] = "medium"
    tags: list[str] = field(default_factory=list)
    max_fail_to_pass: int = 10
    # Where the agent starts: "edited" (bugfix, feature removal) or "pristine" (refactor,
    # brand-new features, where the edits are the solution). None: by pack.
    start: Literal["edited", "pristine"] | None = None

    @property
    def starts_pristine(self) -> bool:
        return self.start == "pristine" or (self.start is None and self.pack == "refactor")


def remove_defs(path: Path, names: list[str]) -> None:
    """Delete top-level functions/classes (with decorators and trailing blank lines)."""
    import ast

    text = path.read_text()
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    spans = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in names:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            end = node.end_lineno or node.lineno
            while end < len(lines) and not lines[end].strip():
                end += 1
            spans.append((start, end))
    missing = set(names) - {n.name for n in tree.body if hasattr(n, "name")}
    if missing:
        raise SystemExit(f"{path}: no top-level {sorted(missing)}")
    for start, end in sorted(spans, reverse=True):
        del lines[start:end]
    path.write_text("".join(lines))
