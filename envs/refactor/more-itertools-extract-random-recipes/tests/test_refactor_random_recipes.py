import ast
import importlib
import pathlib

import more_itertools
import more_itertools.recipes as recipes

NAMES = ["random_product", "random_permutation", "random_combination",
         "random_combination_with_replacement"]


def test_new_module_defines_them():
    mod = importlib.import_module("more_itertools.random_recipes")
    for name in NAMES:
        fn = getattr(mod, name)
        assert fn.__module__ == "more_itertools.random_recipes"
        assert getattr(recipes, name) is fn
        assert getattr(more_itertools, name) is fn
        assert name in recipes.__all__
        assert name in mod.__all__


def test_recipes_no_longer_defines_or_imports_random():
    tree = ast.parse(pathlib.Path(recipes.__file__).read_text())
    defs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert not defs & set(NAMES)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.module != "random"
        if isinstance(node, ast.Import):
            assert "random" not in [a.name for a in node.names]


def test_still_random_and_valid():
    assert sorted(more_itertools.random_permutation(range(5))) == [0, 1, 2, 3, 4]
