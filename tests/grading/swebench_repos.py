"""Small local git repositories shaped like SWE-bench's, and records written as the datasets
write them (JSON-string lists, null hints, Verified / Multimodal fields).

Three runner styles, each repository carrying its own runner:
- pytest (most of SWE-bench): node ids ``tests/test_calc.py::test_add``;
- django: ``tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 <labels>``
  (unittest's verbose output, as Django's runner prints it), ids
  ``test_add (calc_tests.tests.AddTests.test_add)``;
- sympy: ``bin/test -C --verbose <files>`` printing sympy's format, bare ids ``test_add``.

Each repo has a base commit with the bug and a later commit (the upstream fix) that must
never leak into a task.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

BUG = "def add(a, b):\n    return a - b\n"
FIXED = "def add(a, b):\n    return a + b\n"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]

DJANGO_RUNTESTS = '''#!/usr/bin/env python3
"""A tiny stand-in for Django's tests/runtests.py: same flags, same unittest output."""
import argparse
import os
import sys
import unittest

parser = argparse.ArgumentParser()
parser.add_argument("--verbosity", type=int, default=1)
parser.add_argument("--settings")
parser.add_argument("--parallel")
parser.add_argument("labels", nargs="*")
args = parser.parse_args()
here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [here, os.path.dirname(here)]
print("Testing against Django installed in '%s'" % os.path.dirname(here))
loader = unittest.defaultTestLoader
if args.labels:
    suite = loader.loadTestsFromNames(args.labels)
else:
    suite = loader.discover(here, pattern="tests.py", top_level_dir=here)
result = unittest.TextTestRunner(verbosity=args.verbosity, stream=sys.stderr).run(suite)
sys.exit(0 if result.wasSuccessful() else 1)
'''

SYMPY_BIN_TEST = '''#!/usr/bin/env python3
"""A tiny stand-in for sympy's bin/test: same flags, sympy's verbose output format."""
import importlib.util
import os
import sys
import traceback

paths = [a for a in sys.argv[1:] if not a.startswith("-")]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, root)
if not paths:
    for folder, _, files in os.walk(os.path.join(root, "calc")):
        paths += [os.path.relpath(os.path.join(folder, f), root) for f in sorted(files)
                  if f.startswith("test_") and f.endswith(".py")]
print("=" * 29 + " test process starts " + "=" * 30)
failures, passed = [], 0
for path in paths:
    spec = importlib.util.spec_from_file_location("t", os.path.join(root, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = [n for n in vars(module) if n.startswith("test_") and callable(vars(module)[n])]
    print("%s[%d] " % (path, len(names)))
    for name in names:
        try:
            vars(module)[name]()
        except AssertionError:
            print(name + " F")
            failures.append((path, name, traceback.format_exc()))
        except Exception:
            print(name + " E")
            failures.append((path, name, traceback.format_exc()))
        else:
            print(name + " ok")
            passed += 1
for path, name, tb in failures:
    print(("_" * 20) + " %s:%s " % (path, name) + ("_" * 20))
    print(tb)
print("=" * 13 + " tests finished: %d passed, %d failed =" % (passed, len(failures)))
sys.exit(1 if failures else 0)
'''


def _run(cwd: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _commit(repo: Path, message: str) -> str:
    _run(repo, "add", "-A")
    _run(repo, "commit", "-qm", message)
    return _run(repo, "rev-parse", "HEAD")


def _write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if rel in ("tests/runtests.py", "bin/test"):
            path.chmod(0o755)


def git_diff(old: str, new: str, path: str) -> str:
    """A git diff of one file's change."""
    import difflib

    body = "".join(
        difflib.unified_diff(
            old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}", n=3
        )
    )
    return f"diff --git a/{path} b/{path}\n{body}"


def fix_patch(path: str) -> str:
    return git_diff(BUG, FIXED, path)


def make_repo(root: Path, style: str, hidden: bool = False) -> tuple[Path, dict]:
    """A repo in ``style`` (pytest | django | sympy) and its record. With ``hidden`` the
    failing test arrives by test_patch; otherwise it is already visible in the repo."""
    repo = root / f"{style}-repo"
    repo.mkdir(parents=True)
    _run(repo, "init", "-q")
    if style == "pytest":
        src, test_path = "calc/ops.py", "tests/test_calc.py"
        existing = "from calc.ops import add\n\n\ndef test_add_zero():\n    assert add(2, 0) == 2\n"
        failing = "\n\ndef test_add():\n    assert add(2, 3) == 5\n"
        files = {"calc/__init__.py": "", src: BUG, "tests/__init__.py": ""}
        f2p = [f"{test_path}::test_add"]
        p2p = [f"{test_path}::test_add_zero"]
        repo_name, version = "demo/calc", "0.1"
    elif style == "django":
        src, test_path = "calc/ops.py", "tests/calc_tests/tests.py"
        existing = (
            "import unittest\n\nfrom calc.ops import add\n\n\nclass AddTests(unittest.TestCase):\n"
            "    def test_add_zero(self):\n        self.assertEqual(add(2, 0), 2)\n"
        )
        failing = "\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n"
        files = {
            "calc/__init__.py": "",
            src: BUG,
            "tests/runtests.py": DJANGO_RUNTESTS,
            "tests/test_sqlite.py": "DATABASES = {}\n",
            "tests/calc_tests/__init__.py": "",
        }
        f2p = ["test_add (calc_tests.tests.AddTests.test_add)"]
        p2p = ["test_add_zero (calc_tests.tests.AddTests.test_add_zero)"]
        repo_name, version = "django/django", "5.0"
    elif style == "sympy":
        src, test_path = "calc/ops.py", "calc/tests/test_ops.py"
        existing = "from calc.ops import add\n\n\ndef test_add_zero():\n    assert add(2, 0) == 2\n"
        failing = "\n\ndef test_add():\n    assert add(2, 3) == 5\n"
        files = {"calc/__init__.py": "", src: BUG, "bin/test": SYMPY_BIN_TEST}
        f2p, p2p = ["test_add"], ["test_add_zero"]
        repo_name, version = "sympy/sympy", "1.12"
    else:
        raise ValueError(style)
    files[test_path] = existing if hidden else existing + failing
    _write(repo, files)
    base = _commit(repo, "base")
    _write(repo, {src: FIXED})
    _commit(repo, "upstream fix (must not leak)")
    test_patch = git_diff(existing, existing + failing, test_path) if hidden else ""
    record = {
        "repo": repo_name,
        "instance_id": f"{repo_name.replace('/', '__')}-{style}{'-hidden' if hidden else ''}",
        "base_commit": base,
        "patch": fix_patch(src),
        "test_patch": test_patch,
        "problem_statement": "add() subtracts instead of adding.\n",
        "hints_text": None,
        "created_at": "2023-05-01T12:00:00Z",
        "version": version,
        "FAIL_TO_PASS": json.dumps(f2p),
        "PASS_TO_PASS": json.dumps(p2p),
        "environment_setup_commit": base,
        # SWE-bench Verified and Multimodal fields ride along.
        "difficulty": "<15 min fix",
        "image_assets": json.dumps({"problem_statement": [], "patch": [], "test_patch": []}),
    }
    return repo, record


def write_records(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path
