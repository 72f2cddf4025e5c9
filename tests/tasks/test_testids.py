"""Test ids of every style SWE-bench records hold, and the files they name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentgym.tasks.testids import check_test_id, django_module, files_of_test_id, id_style


@pytest.mark.parametrize(
    "test_id,style,files",
    [
        ("tests/test_x.py::TestC::test_y[a-b]", "pytest", ["tests/test_x.py"]),
        (
            "src/_pytest/python_api.py::_pytest.python_api.approx",
            "pytest",
            ["src/_pytest/python_api.py"],
        ),
        # Django before Python 3.11, and from 3.11 on (method name repeated).
        (
            "test_y (admin_views.tests.AdminViewTest)",
            "django",
            [
                "tests/admin_views/tests.py",
                "admin_views/tests.py",
                "tests/admin_views/tests/__init__.py",
            ],
        ),
        (
            "test_y (admin_views.tests.AdminViewTest.test_y)",
            "django",
            [
                "tests/admin_views/tests.py",
                "admin_views/tests.py",
                "tests/admin_views/tests/__init__.py",
            ],
        ),
        (
            "test_migrate (migrations.test_commands.MigrateTests)",
            "django",
            [
                "tests/migrations/test_commands.py",
                "migrations/test_commands.py",
                "tests/migrations/test_commands/__init__.py",
            ],
        ),
        # sympy's bin/test prints bare names; a django docstring line names nothing.
        ("test_issue_12345", "bare", []),
        ("Regression test for #10348: ChangeList.get_results() ...", "text", []),
    ],
)
def test_styles_and_files(test_id: str, style: str, files: list[str]) -> None:
    assert id_style(test_id) == style
    assert check_test_id(test_id) == test_id
    assert files_of_test_id(test_id) == files


def test_django_module() -> None:
    assert django_module("test_a (app.sub.tests.T)") == "app.sub.tests"
    assert django_module("test_a (app.tests.T.test_a)") == "app.tests"
    assert django_module("not django") is None


@pytest.mark.parametrize("bad", ["", "tests/x.py", "a\nb", "/abs/x.py::t", "../x.py::t", "x.py::"])
def test_bad_ids(bad: str) -> None:
    with pytest.raises(ValueError):
        check_test_id(bad)


@given(st.text(max_size=60))
def test_any_text_is_classified_or_rejected(text: str) -> None:
    try:
        check_test_id(text)
    except ValueError:
        return
    assert id_style(text) in ("pytest", "django", "bare", "text")
    for path in files_of_test_id(text):
        assert not path.startswith("/") and ".." not in path.split("/")
