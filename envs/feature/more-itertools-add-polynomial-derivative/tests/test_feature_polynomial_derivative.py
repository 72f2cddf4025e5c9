from fractions import Fraction

import pytest

import more_itertools as mi


@pytest.mark.parametrize(
    "coefficients,expected",
    [
        ([], []),
        ([1], []),
        ([1, 2], [1]),
        ([1, 2, 3], [2, 2]),
        ([1, -4, -17, 60], [3, -8, -17]),
        ([Fraction(1, 2), 0, 0], [Fraction(1, 1), 0]),
    ],
)
def test_derivative(coefficients, expected):
    assert list(mi.polynomial_derivative(coefficients)) == expected


def test_exported():
    assert "polynomial_derivative" in mi.recipes.__all__
