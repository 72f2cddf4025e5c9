import ast
import pathlib

import pytest

import toolz
import toolz.curried
import toolz.itertoolz


def test_new_name_everywhere():
    assert toolz.all_distinct([1, 2]) is True
    assert toolz.itertoolz.all_distinct(iter([1, 1])) is False
    assert toolz.curried.all_distinct("ab") is True
    assert "all_distinct" in toolz.itertoolz.__all__


def test_old_name_warns():
    for fn in (toolz.isdistinct, toolz.curried.isdistinct):
        with pytest.warns(DeprecationWarning, match="all_distinct"):
            assert fn([1, 2, 1]) is False


def test_defined_once():
    tree = ast.parse(pathlib.Path(toolz.itertoolz.__file__).read_text())
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert "all_distinct" in defs
    loops = [n for n in ast.walk(defs["isdistinct"]) if isinstance(n, (ast.For, ast.While))]
    assert not loops, "isdistinct should only delegate to all_distinct"
