import pytest

from toolz import get_in


def test_out_of_range_returns_default():
    assert get_in(["a", 5], {"a": [1, 2]}, default="missing") == "missing"


def test_out_of_range_raises_with_no_default():
    with pytest.raises(IndexError):
        get_in(["a", 5], {"a": [1, 2]}, no_default=True)
