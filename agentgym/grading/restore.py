"""What grading puts back to the pristine commit before any test runs, as one shell script.

Restored from ``HEAD`` of the fresh grading container (the task's starting commit),
whatever the agent's diff did to them — edited, deleted, renamed, skipped:

1. every test module named by FAIL_TO_PASS / PASS_TO_PASS, in every id style (the file
   of a pytest node id, the module of a django id; see :mod:`agentgym.tasks.testids`),
   every file the task declares in ``test_files`` and every file its test patch touches;
2. every tracked file under the repository's test directories: any folder named
   ``tests``, and top-level ``test/`` and ``testing/`` (deeper ``test``/``testing``
   folders are often library code, e.g. ``django/test/``, ``numpy/testing/``);
3. every tracked test file elsewhere (``test_*.py``, ``*_test.py``, ``tests.py``,
   ``conftest.py``) and test configuration (``pytest.ini``, ``.pytest.ini``, ``tox.ini``,
   ``setup.cfg``, ``pyproject.toml``, at any depth).

Then deleted: untracked files in those folders, untracked test modules anywhere, and
untracked files that can hook into pytest or the interpreter (``conftest.py``,
``sitecustomize.py``, ``usercustomize.py``, ``*.pth``, pytest/tox/setup configs at any
depth: pytest looks for its ini file in the folders above the tests it is given). Named files that do not exist at ``HEAD`` (a test
the task's hidden tests or test patch create) are deleted too, so those arrive fresh.
"""

from __future__ import annotations

from collections.abc import Iterable

from agentgym.sandbox.base import shell_quote
from agentgym.tasks.patches import patch_files
from agentgym.tasks.testids import files_of_test_id
from agentgym.types import Task

TEST_DIRS = (":(glob)**/tests/**", ":(glob)test/**", ":(glob)testing/**")
TEST_FILES = (
    ":(glob)**/test_*.py",
    ":(glob)**/*_test.py",
    ":(glob)**/tests.py",
    ":(glob)**/conftest.py",
    ":(glob)**/pytest.ini",
    ":(glob)**/.pytest.ini",
    ":(glob)**/tox.ini",
    ":(glob)**/setup.cfg",
    ":(glob)**/pyproject.toml",
)
HOOK_FILES = (
    ":(glob)**/conftest.py",
    ":(glob)**/sitecustomize.py",
    ":(glob)**/usercustomize.py",
    ":(glob)**/*.pth",
    ":(glob)**/pytest.ini",
    ":(glob)**/.pytest.ini",
    ":(glob)**/tox.ini",
    ":(glob)**/setup.cfg",
    ":(glob)**/pyproject.toml",
)


def named_test_files(task: Task) -> list[str]:
    """Repository paths the task's test ids and ``test_files`` name (candidates)."""
    paths: list[str] = []
    for test_id in [*task.fail_to_pass, *task.pass_to_pass]:
        for path in files_of_test_id(test_id):
            if path not in paths:
                paths.append(path)
    patched = [path for path, _ in patch_files(task.hidden_test_patch or "")]
    for path in [*task.test_files, *patched]:
        if path not in paths:
            paths.append(path)
    return paths


def restore_script(task: Task, extra: Iterable[str] = ()) -> str:
    """Bash (run in the workdir) that restores the tests; exits non-zero if one could not be.

    ``extra``: more repository paths to restore (the repository's own test runner script).
    """
    q = shell_quote
    tracked = " ".join(q(p) for p in (*TEST_DIRS, *TEST_FILES))
    new_tests = " ".join(q(p) for p in (*TEST_DIRS, *TEST_FILES[:3]))
    hooks = " ".join(q(p) for p in HOOK_FILES)
    lines = [
        "rc=0",
        # Tracked: back to HEAD (also brings back what the agent deleted or renamed away).
        f"git ls-files -z -- {tracked} | xargs -0 -r git checkout -q HEAD -- || rc=1",
        # New files in test folders and new test modules: gone. (Ignored files cannot come
        # from the agent's diff; they are the image's own build outputs, so they stay.)
        f"git ls-files -z --others --exclude-standard -- {new_tests} "
        "| xargs -0 -r rm -f -- || rc=1",
        # Anything that could hook into pytest or the interpreter: gone, ignored or not.
        f"git ls-files -z --others -- {hooks} | xargs -0 -r rm -f -- || rc=1",
    ]
    named = named_test_files(task)
    named += [p for p in extra if p not in named]
    if named:
        lines.append(
            f"for f in {' '.join(q(p) for p in named)}; do "
            'if git cat-file -e HEAD:"$f" 2>/dev/null; then git checkout -q HEAD -- "$f" || rc=1; '
            'elif [ -d "$f" ]; then :; else rm -f -- "$f"; fi; done'
        )
    lines.append("exit $rc")
    return "\n".join(lines) + "\n"
