import ast
import pathlib

import pytest

import semver.version
from semver import Version

MODULE = ast.parse(pathlib.Path(semver.version.__file__).read_text())


def method_tree(name):
    for node in ast.walk(MODULE):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise AssertionError(f"{name} not found")


@pytest.mark.parametrize("name", ["bump_prerelease", "bump_build"])
def test_no_branches_left(name):
    tree = method_tree(name)
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.If, ast.IfExp))]


@pytest.mark.parametrize("name", ["bump_prerelease", "bump_build"])
def test_calls_helper(name):
    tree = method_tree(name)
    called = {n.func.attr for n in ast.walk(tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert "_next_token" in called


@pytest.mark.parametrize(
    "current,token,default,expected",
    [("rc.1", "x", "rc", "rc.2"), (None, "", "rc", "1"), (None, None, "build", "build.1"),
     (None, "dev", "rc", "dev.1")],
)
def test_helper(current, token, default, expected):
    assert Version._next_token(current, token, default) == expected
