import ast
import importlib
import pathlib

import inflection


def test_rules_module_exists():
    rules = importlib.import_module("inflection.rules")
    for name in ("PLURALS", "SINGULARS", "UNCOUNTABLES", "_irregular"):
        assert hasattr(rules, name), name


def test_same_objects_reexported():
    rules = importlib.import_module("inflection.rules")
    assert inflection.PLURALS is rules.PLURALS
    assert inflection.SINGULARS is rules.SINGULARS
    assert inflection.UNCOUNTABLES is rules.UNCOUNTABLES


def test_tables_defined_only_in_rules():
    tree = ast.parse(pathlib.Path(inflection.__file__).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            assert not {"PLURALS", "SINGULARS", "UNCOUNTABLES"} & set(names)
        if isinstance(node, ast.FunctionDef):
            assert node.name != "_irregular"


def test_irregulars_still_registered():
    assert inflection.pluralize("person") == "people"
    assert inflection.singularize("kine") == "cow"
