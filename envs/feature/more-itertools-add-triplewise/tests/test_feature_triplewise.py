from itertools import count, islice

import pytest

import more_itertools as mi


@pytest.mark.parametrize(
    "data,expected",
    [
        ("", []),
        ("A", []),
        ("AB", []),
        ("ABC", [("A", "B", "C")]),
        ("ABCDE", [("A", "B", "C"), ("B", "C", "D"), ("C", "D", "E")]),
    ],
)
def test_triplewise(data, expected):
    assert list(mi.triplewise(iter(data))) == expected


def test_lazy():
    assert list(islice(mi.triplewise(count()), 2)) == [(0, 1, 2), (1, 2, 3)]


def test_exported():
    assert "triplewise" in mi.recipes.__all__
