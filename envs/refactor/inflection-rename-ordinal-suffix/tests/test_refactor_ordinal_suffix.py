import ast
import pathlib
import warnings

import pytest

import inflection

SOURCE = pathlib.Path(inflection.__file__).read_text()


@pytest.mark.parametrize("n,suffix", [(1, "st"), (2, "nd"), (3, "rd"), (11, "th"), (-1021, "st")])
def test_new_name(n, suffix):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert inflection.ordinal_suffix(n) == suffix


def test_old_name_warns():
    with pytest.warns(DeprecationWarning, match="ordinal_suffix"):
        assert inflection.ordinal(22) == "nd"


def test_ordinalize_uses_new_name():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert inflection.ordinalize(13) == "13th"


def test_no_internal_calls_to_old_name():
    tree = ast.parse(SOURCE)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name != "ordinal":
            for sub in ast.walk(node):
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                    assert sub.func.id != "ordinal", f"{node.name} still calls ordinal()"
