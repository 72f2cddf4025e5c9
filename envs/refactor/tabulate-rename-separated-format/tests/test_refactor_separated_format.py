import inspect

import pytest

import tabulate as tab


def test_new_name():
    fmt = tab.separated_format("!")
    assert tab.tabulate([[1, 2]], tablefmt=fmt) == "1!2"
    assert "separated_format" in tab.__all__


def test_alias_warns_and_matches():
    with pytest.warns(DeprecationWarning, match="separated_format"):
        old = tab.simple_separated_format("!")
    assert old == tab.separated_format("!")
    assert list(inspect.signature(tab.simple_separated_format).parameters) == ["separator"]
