"""Pytest node ids and hidden-test mappings: parsing and validation.

A node id names one test the way pytest prints it: ``path/to/test_file.py::Class::test[param]``.
A hidden-test mapping is ``"tests/<file> -> <repo path>"``: a file of the task folder that is
copied into the repository only at grading time.
"""

from __future__ import annotations

import posixpath
import re

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[.*\])?$", re.S)


def check_relative_path(path: str, what: str = "path") -> str:
    """Return ``path`` if it is a clean relative POSIX path inside the repo, else raise."""
    if not path or path != path.strip():
        raise ValueError(f"{what} {path!r} is empty or has surrounding whitespace")
    if path.startswith("/") or "\\" in path or "\0" in path or "\n" in path:
        raise ValueError(f"{what} {path!r} must be a relative POSIX path")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"{what} {path!r} must not contain empty, '.' or '..' parts")
    return path


def check_node_id(node_id: str) -> str:
    """Return ``node_id`` if it is a well-formed pytest node id, else raise ``ValueError``."""
    if not isinstance(node_id, str) or not node_id:
        raise ValueError("a test node id must be a non-empty string")
    path, sep, rest = node_id.partition("::")
    if not sep:
        raise ValueError(f"node id {node_id!r} names a file, not a test: expected FILE.py::TEST")
    check_relative_path(path, "test file of node id")
    if not path.endswith(".py"):
        raise ValueError(f"node id {node_id!r}: test file {path!r} does not end in .py")
    # Parameter ids may contain '::' themselves; split only the part before the first '['.
    head, bracket, params = rest.partition("[")
    names = head.split("::")
    names[-1] = names[-1] + bracket + params
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"node id {node_id!r}: {name!r} is not a test, class or parameter id")
    if "\n" in node_id or "\r" in node_id:
        raise ValueError(f"node id {node_id!r} contains a line break")
    return node_id


def node_file(node_id: str) -> str:
    """The test file part of a node id."""
    return node_id.partition("::")[0]


def parse_hidden_test(entry: str) -> tuple[str, str]:
    """Split ``"tests/<file> -> <repo path>"`` into (task file, repo path), validated."""
    if not isinstance(entry, str) or entry.count(" -> ") != 1:
        raise ValueError(f"hidden test {entry!r} must read 'tests/<file> -> <repo path>'")
    task_file, repo_path = (part.strip() for part in entry.split(" -> "))
    check_relative_path(task_file, "hidden test file")
    check_relative_path(repo_path, "hidden test destination")
    if not task_file.startswith("tests/") or task_file == "tests/test.sh":
        raise ValueError(f"hidden test {entry!r}: the file must be under tests/ (not test.sh)")
    return task_file, repo_path


def format_hidden_test(task_file: str, repo_path: str) -> str:
    """Inverse of :func:`parse_hidden_test`."""
    return f"{task_file} -> {repo_path}"


def is_posix_child(path: str, folder: str) -> bool:
    """Whether ``path`` lies inside ``folder`` (both relative POSIX paths)."""
    return posixpath.commonpath([path, folder]) == folder
