import pytest

from cachetools import Cache, LRUCache


def test_value_as_large_as_cache_fits():
    c = Cache(maxsize=3, getsizeof=len)
    c["k"] = "abc"
    assert c["k"] == "abc"
    assert c.currsize == 3


def test_value_as_large_as_cache_evicts_others():
    c = LRUCache(maxsize=3, getsizeof=len)
    c["a"] = "x"
    c["b"] = "xyz"
    assert list(c) == ["b"]


def test_larger_value_still_rejected():
    c = Cache(maxsize=3, getsizeof=len)
    with pytest.raises(ValueError):
        c["k"] = "abcd"
