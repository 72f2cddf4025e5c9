"""Test ids in the styles SWE-bench records use, and the test files they name.

SWE-bench's FAIL_TO_PASS / PASS_TO_PASS lists hold whatever the repository's own runner
prints, so three styles occur:

- **pytest** node ids, ``tests/test_x.py::TestC::test_y[param]`` (most repositories);
- **django** runner lines, ``test_y (app.tests.TestC)`` or, from Python 3.11 on,
  ``test_y (app.tests.TestC.test_y)``; a test with a docstring is listed by the
  docstring's first line instead, which names no module at all;
- **bare** names, ``test_y``, as sympy's ``bin/test`` prints them.

:func:`files_of_test_id` turns an id into the repository files it may live in, so grading
can put exactly those files back to their pristine state whatever the id's style.
"""

from __future__ import annotations

import re
from typing import Literal

from agentgym.tasks.nodeids import check_relative_path

IdStyle = Literal["pytest", "django", "bare", "text"]
_DJANGO = re.compile(r"^(?P<name>[^\s()]+) \((?P<dotted>[A-Za-z_][\w.]*)\)$")
_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def id_style(test_id: str) -> IdStyle:
    """Which runner's style ``test_id`` is written in."""
    if "::" in test_id.partition("[")[0] or test_id.partition("::")[0].endswith(".py"):
        return "pytest"
    if _DJANGO.match(test_id):
        return "django"
    if _BARE.match(test_id):
        return "bare"
    return "text"


def check_test_id(test_id: str) -> str:
    """Return ``test_id`` if it is a usable test id of any style, else raise ``ValueError``."""
    if not isinstance(test_id, str) or not test_id.strip():
        raise ValueError("a test id must be a non-empty string")
    if "\n" in test_id or "\r" in test_id or "\0" in test_id:
        raise ValueError(f"test id {test_id!r} contains a line break or NUL")
    if id_style(test_id) == "pytest":
        # Only the file part is checked: real ids also name doctests (``mod.py::mod.func``)
        # and parameters of any shape.
        path, sep, rest = test_id.partition("::")
        check_relative_path(path, "test file of test id")
        if not sep or not rest:
            raise ValueError(f"test id {test_id!r} names a file, not a test")
    return test_id


def django_module(test_id: str) -> str | None:
    """The dotted module of a django-style id (``app.tests`` of ``test_y (app.tests.C)``)."""
    match = _DJANGO.match(test_id)
    if not match:
        return None
    parts = match["dotted"].split(".")
    if len(parts) > 1 and parts[-1] == match["name"]:
        parts = parts[:-1]  # Python 3.11+ appends the method name
    # Drop the class names: the module path ends before the first capitalised part.
    for i, part in enumerate(parts):
        if part[:1].isupper():
            parts = parts[:i]
            break
    return ".".join(parts) or None


def files_of_test_id(test_id: str) -> list[str]:
    """Repository paths ``test_id``'s test may live in (candidates; check which exist).

    pytest ids name their file; django ids name a module under ``tests/`` (Django runs
    its suite from there) or at the top; bare names and docstring lines name none.
    """
    style = id_style(test_id)
    if style == "pytest":
        return [test_id.partition("::")[0]]
    if style == "django":
        module = django_module(test_id)
        if module is None:
            return []
        path = module.replace(".", "/")
        return [f"tests/{path}.py", f"{path}.py", f"tests/{path}/__init__.py"]
    return []
