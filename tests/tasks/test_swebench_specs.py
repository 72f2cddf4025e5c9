"""The official swebench package, used for what it defines: per-repo/version test commands,
test directives, log parsers, image names and environment build specs.

Needs the ``swebench`` extra (CI installs ``agentgym[swebench]``; without CI these skip).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agentgym.errors import ConfigError
from agentgym.tasks import swebench_specs

if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
    import swebench  # noqa: F401  (CI installs the extra: a missing package is a failure)
else:
    pytest.importorskip("swebench")

# Logs in the exact formats the runners print (django's runner is unittest's verbose output).
DJANGO_LOG = """Testing against Django installed in '/testbed/django'
Importing application admin_views
test_add (calc_tests.tests.AddTests.test_add) ... FAIL
test_add_zero (calc_tests.tests.AddTests.test_add_zero) ... ok
test_skip (calc_tests.tests.AddTests.test_skip) ... skipped 'nope'
test_boom (calc_tests.tests.AddTests)
Docstring first line ... ERROR

======================================================================
FAIL: test_add (calc_tests.tests.AddTests.test_add)
----------------------------------------------------------------------
Ran 4 tests in 0.001s

FAILED (failures=1, errors=1, skipped=1)
"""
SYMPY_LOG = """============================= test process starts ==============================
executable:         /opt/miniconda3/envs/testbed/bin/python  (3.9.19-final-0) [CPython]
sympy/core/tests/test_basic.py[3]
test_add ok
test_sub F
test_mul E
                                                                          [FAIL]

________________________________________________________________________________
___________________ sympy/core/tests/test_basic.py:test_sub ____________________
AssertionError
============= tests finished: 1 passed, 1 failed, 1 exceptions, in 0.01 seconds =
"""


def test_repo_runner_django_and_sympy() -> None:
    django = swebench_specs.repo_runner("django/django", "5.0")
    assert django.test_cmd.startswith("./tests/runtests.py --verbosity 2")
    sympy = swebench_specs.repo_runner("sympy/sympy", "1.12")
    assert "bin/test -C --verbose" in sympy.test_cmd
    assert (
        "export LANG=en_US.UTF-8"
        in swebench_specs.repo_runner("django/django", "3.0").eval_commands
    )


def test_unknown_repo_or_version_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="no specs for repository"):
        swebench_specs.repo_runner("nobody/nothing", "1.0")
    with pytest.raises(ConfigError, match="known versions"):
        swebench_specs.repo_runner("django/django", "0.0")


def test_directives_follow_the_package() -> None:
    patch = "diff --git a/tests/admin_views/tests.py b/tests/admin_views/tests.py\n"
    assert swebench_specs.test_directives("django/django", patch, ["tests/x/tests.py"]) == [
        "admin_views.tests",
        "x.tests",
    ]
    # Data files are dropped; other repos keep paths.
    sym = "diff --git a/sympy/core/tests/test_basic.py b/sympy/core/tests/test_basic.py\n"
    sym += "diff --git a/sympy/data.json b/sympy/data.json\n"
    assert swebench_specs.test_directives("sympy/sympy", sym) == ["sympy/core/tests/test_basic.py"]


def test_log_parsers() -> None:
    django = swebench_specs.parse_log("django/django", "5.0", DJANGO_LOG)
    assert django["test_add (calc_tests.tests.AddTests.test_add)"] == "FAILED"
    assert django["test_add_zero (calc_tests.tests.AddTests.test_add_zero)"] == "PASSED"
    assert django["test_skip (calc_tests.tests.AddTests.test_skip)"] == "SKIPPED"
    assert django["Docstring first line"] == "ERROR"
    sympy = swebench_specs.parse_log("sympy/sympy", "1.12", SYMPY_LOG)
    assert sympy["test_add"] == "PASSED" and sympy["test_sub"] == "FAILED"
    assert sympy["test_mul"] == "ERROR"


def test_official_image_names_match_the_package() -> None:
    from swebench.harness.test_spec.test_spec import TestSpec

    names = swebench_specs.official_image_names("django__django-11099")
    assert names == [
        "sweb.eval.x86_64.django__django-11099:latest",
        "swebench/sweb.eval.x86_64.django_1776_django-11099:latest",
    ]
    spec = TestSpec(
        instance_id="django__django-11099",
        repo="django/django",
        version="3.0",
        repo_script_list=[],
        eval_script_list=[],
        env_script_list=[],
        arch="x86_64",
        FAIL_TO_PASS=[],
        PASS_TO_PASS=[],
        language="py",
        docker_specs={},
        namespace="swebench",
    )
    assert spec.instance_image_key == names[1]


def test_spec_build_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = {
        "instance_id": "pytest-dev__pytest-5103",
        "repo": "pytest-dev/pytest",
        "version": "5.0",
        "base_commit": "10ca84ffc56c2dd2d9dc4bd71b7b898e083500cd",
        "patch": "",
        "test_patch": "",
        "problem_statement": "x",
        "FAIL_TO_PASS": ["t.py::t"],
        "PASS_TO_PASS": [],
    }
    out = swebench_specs.write_spec_build_context(record, tmp_path / "ctx")
    images = json.loads((out / "images.json").read_text())
    assert images["instance"] == "sweb.eval.x86_64.pytest-dev__pytest-5103:latest"
    repo_script = (out / "instance" / "setup_repo.sh").read_text()
    assert f"git reset --hard {record['base_commit']}" in repo_script
    assert "conda create -n testbed python=3.9" in (out / "env" / "setup_env.sh").read_text()
    # Repositories with a requirements file read it at environment_setup_commit (GitHub;
    # stubbed here, as this machine has no network).
    import swebench.harness.test_spec.python as spec_python

    seen: list[str] = []
    monkeypatch.setattr(
        spec_python,
        "get_requirements_by_commit",
        lambda repo, commit: seen.append(commit) or "six\n",
    )
    django = {
        **record,
        "instance_id": "django__django-1",
        "repo": "django/django",
        "version": "5.0",
        "environment_setup_commit": "4a72da71001f154ea60906a2f74898d32b7322a7",
    }
    swebench_specs.write_spec_build_context(django, tmp_path / "dj")
    assert seen == ["4a72da71001f154ea60906a2f74898d32b7322a7"]
