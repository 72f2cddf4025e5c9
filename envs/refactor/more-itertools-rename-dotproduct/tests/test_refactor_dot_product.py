import ast
import pathlib

import pytest

import more_itertools as mi
import more_itertools.recipes as recipes


def test_new_name():
    assert mi.dot_product([10, 10], [20, 20]) == 400
    assert "dot_product" in recipes.__all__


def test_alias_warns():
    with pytest.warns(DeprecationWarning, match="dot_product"):
        assert mi.dotproduct([1, 2], [3, 4]) == 11


def test_no_internal_use_of_old_name():
    tree = ast.parse(pathlib.Path(recipes.__file__).read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "dotproduct":
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                assert sub.func.id != "dotproduct"
