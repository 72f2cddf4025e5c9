import ast
import pathlib

import parse

TREE = ast.parse(pathlib.Path(parse.__file__).read_text())


def test_no_explicit_object_base():
    for node in ast.walk(TREE):
        if isinstance(node, ast.ClassDef):
            names = [b.id for b in node.bases if isinstance(b, ast.Name)]
            assert "object" not in names, node.name


def test_no_next_alias():
    assert not hasattr(parse.ResultIterator, "next")


def test_iteration_still_works():
    assert [r[0] for r in parse.findall("<{}>", "<a><b>")] == ["a", "b"]
