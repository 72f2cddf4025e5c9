import pytest

from more_itertools import batched


def test_zero_raises():
    with pytest.raises(ValueError, match="at least one"):
        list(batched("ABC", 0))


def test_one_is_fine():
    assert list(batched("AB", 1)) == [("A",), ("B",)]
